import math

import pytest
import torch
import torch.nn.functional as F
from scipy.spatial.distance import jensenshannon as scipy_js_distance

from eqlib.losses import binned_target, jensen_shannon, nt_xent
from eqlib.models.duet import (
    METHODS,
    TRANSFORMS,
    ImageDecoder,
    LinearReadout,
    SelfSupervised,
    bin_circular_mean,
    circular_error_degrees,
    circular_features,
    controlled_code,
    duet_code,
    duet_objective,
    informed_code,
    judge_classifier,
    nearest_angle_class,
    transform,
)


def test_binned_targets_are_normalised_and_peak_at_the_parameters_bin():
    params = torch.tensor([0.0, 0.3, 0.55, 0.74, 0.99])
    for kind in ("vonmises", "gaussian"):
        target = binned_target(params, 8, kind)
        assert target.shape == (5, 8) and torch.allclose(target.sum(1), torch.ones(5)) and (target >= 0).all()
    assert binned_target(params, 8, "vonmises").argmax(1).tolist() == [0, 2, 4, 6, 0]  # cyclic bins centred on g / 8
    assert binned_target(params, 8, "gaussian").argmax(1).tolist() == [0, 2, 4, 5, 7]  # bins [g / 8, (g + 1) / 8)


def test_von_mises_targets_wrap_around_and_gaussian_ones_do_not():
    vm = binned_target(torch.tensor([0.0]), 8, "vonmises")[0]
    assert torch.allclose(vm[1], vm[7]) and torch.allclose(vm[2], vm[6])  # symmetric across the wrap
    shifted = binned_target(torch.tensor([3 / 8]), 8, "vonmises")[0]
    assert torch.allclose(torch.roll(vm, 3), shifted, atol=1e-6)  # moving the parameter rolls the target
    gauss = binned_target(torch.tensor([0.0]), 8, "gaussian")[0]
    assert gauss[7] < 1e-3 < gauss[0]
    assert (
        binned_target(torch.tensor([0.5]), 8, "vonmises", width=20.0).max()
        > binned_target(torch.tensor([0.5]), 8).max()
    )


def test_jensen_shannon_matches_scipy_and_its_bounds():
    p, q = (
        torch.softmax(torch.randn(6, 8, dtype=torch.float64), -1),
        torch.softmax(torch.randn(6, 8, dtype=torch.float64), -1),
    )
    expected = sum(scipy_js_distance(a.numpy(), b.numpy()) ** 2 for a, b in zip(p, q)) / 6
    assert jensen_shannon(p, q).item() == pytest.approx(expected, rel=1e-6)
    assert jensen_shannon(p, q).item() == pytest.approx(jensen_shannon(q, p).item())
    assert jensen_shannon(p, p).item() == pytest.approx(0.0, abs=1e-9)
    one_hot = torch.eye(2, dtype=torch.float64)
    assert jensen_shannon(one_hot[:1], one_hot[1:]).item() == pytest.approx(math.log(2), rel=1e-6)


def test_transform_paints_and_rotates():
    gray = torch.zeros(2, 1, 8, 8)
    gray[:, 0, 1, 2:6] = 1.0  # a bar near the top
    out = transform(gray, torch.tensor([[0.0, 0.0], [0.25, 1 / 3]]))
    assert out.shape == (2, 3, 8, 8)
    assert torch.allclose(out[0, 0], gray[0, 0]) and out[0, 1:].abs().max() == 0  # hue 0: red only
    assert out[1, 0].abs().max() < 1e-5 and out[1, 1].max() > 0.9  # hue 120 degrees: green
    assert torch.allclose(out[1, 1], torch.rot90(gray[0, 0], 1), atol=1e-5)  # a quarter turn, counter-clockwise


@pytest.mark.parametrize("groups", [("rotation",), TRANSFORMS])
def test_duet_loss_is_nt_xent_of_the_content_plus_lambda_times_js_to_the_targets(groups):
    # catches a wrong marginal (mean over C vs over G), content summed over the wrong axis, or lambda dropped
    torch.manual_seed(0)
    model = SelfSupervised("duet", features=64, bins=4, weight=3.0, groups=groups)
    gray = torch.rand(8, 1, 12, 12)
    torch.manual_seed(1)
    loss, metrics = model.loss(gray)
    torch.manual_seed(1)
    params = torch.rand(2, 8, 2)  # the views loss() draws: (view, B, [angle, hue]) in turns
    m1, m2 = model.matrix(transform(gray, params[0])), model.matrix(transform(gray, params[1]))  # (B, K, G, C)
    contrastive = nt_xent(model.head(m1.sum(2).flatten(1)), model.head(m2.sum(2).flatten(1)), model.temperature)
    group_marginal = torch.cat([m1, m2]).mean(dim=3).softmax(dim=-1)  # (2B, K, G)
    js = jensen_shannon(group_marginal, model.targets(torch.cat([params[0], params[1]])))
    assert torch.allclose(loss, contrastive + 3.0 * js, atol=1e-5)
    assert metrics["js"] == pytest.approx(js.item(), abs=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_each_method_gives_a_finite_loss_with_gradients_everywhere_it_trains(method):
    torch.manual_seed(0)
    model = SelfSupervised(method, features=64, bins=4)
    loss, metrics = model.loss(torch.rand(8, 1, 12, 12))
    loss.backward()
    assert loss.dim() == 0 and torch.isfinite(loss) and "nt_xent" in metrics
    assert {"essl": "rotation_mse", "duet": "js"}.get(method, "nt_xent") in metrics
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_essl_regresses_a_turn_in_plus_minus_90_degrees_or_classifies_quarter_turns():
    gray = torch.rand(6, 1, 12, 12)
    hue = torch.rand(6)
    continuous = SelfSupervised("essl", features=32, essl_target="continuous")
    torch.manual_seed(4)
    loss = continuous.rotation_loss(gray, hue)
    torch.manual_seed(4)
    half_turns = torch.rand(6) - 0.5  # the draw rotation_loss makes: degrees / 180
    assert half_turns.abs().max() <= 0.5
    rotated = transform(gray, torch.stack([half_turns / 2, hue], 1))
    by_hand = (continuous.rotation_head(continuous.representation(rotated))[:, 0] - half_turns).pow(2).mean()
    assert torch.allclose(loss, by_hand, atol=1e-6)
    quarter = SelfSupervised("essl", features=32, essl_target="quarter")
    torch.manual_seed(4)
    loss = quarter.rotation_loss(gray, hue)
    torch.manual_seed(4)
    turns = torch.randint(0, 4, (6,))
    logits = quarter.rotation_head(quarter.representation(transform(gray, torch.stack([turns / 4, hue], 1))))
    assert logits.shape == (6, 4) and torch.allclose(loss, F.cross_entropy(logits, turns), atol=1e-6)
    _, metrics = quarter.loss(gray)
    assert "rotation_ce" in metrics
    with pytest.raises(ValueError, match="essl_target must be one of"):
        SelfSupervised("essl", essl_target="octant")


def test_duet_matrix_content_and_structure_are_marginals_of_one_representation():
    torch.manual_seed(0)
    model = SelfSupervised("duet", features=64, bins=4, groups=TRANSFORMS).eval()
    x = torch.rand(5, 3, 12, 12)
    matrix = model.matrix(x)
    assert matrix.shape == (5, 2, 4, 8) and torch.equal(matrix.flatten(1), model.representation(x))
    assert torch.allclose(model.content(x), matrix.sum(2).flatten(1))
    structure = model.structure(x)
    assert structure.shape == (5, 2, 4) and torch.allclose(structure.sum(-1), torch.ones(5, 2))
    assert torch.allclose(structure, torch.softmax(matrix.mean(3), -1))
    assert duet_code(model.content(x), structure).shape == (5, 2 * 8 + 2 * 4)
    assert torch.allclose(model.targets(torch.tensor([[0.0, 0.5]]))[0, 1], binned_target(torch.tensor([0.5]), 4))
    rotation_only = SelfSupervised("duet", features=64, bins=4).eval()  # the main path: one group, C = 16
    assert rotation_only.matrix(x).shape == (5, 1, 4, 16) and rotation_only.content(x).shape == (5, 16)
    assert torch.allclose(rotation_only.targets(torch.tensor([[0.25, 0.5]])), binned_target(torch.tensor([0.25]), 4))


def test_linear_readout_predicts_and_edits_parameters_it_can_see():
    torch.manual_seed(0)
    params = torch.rand(300, 2)
    features = torch.cat([circular_features(params), torch.randn(300, 12)], 1) @ torch.randn(16, 16)
    readout = LinearReadout(features, params, ridge=1e-6)
    assert (circular_error_degrees(readout.predict(features), params) < 1.0).all()
    new = (params + 0.3) % 1.0
    assert (circular_error_degrees(readout.predict(readout.edit(features, new)), new) < 1.0).all()
    blind = LinearReadout(torch.randn(300, 16), params)  # features that know nothing of the parameters
    assert (circular_error_degrees(blind.predict(torch.randn(300, 16)), params) > 60).all()


def test_circular_error_wraps_and_decoder_shapes():
    assert circular_error_degrees(torch.tensor([[0.99]]), torch.tensor([[0.01]])).item() == pytest.approx(7.2, abs=1e-4)
    out = ImageDecoder(10, size=12)(torch.randn(4, 10))
    assert out.shape == (4, 3, 12, 12) and out.min() >= 0 and out.max() <= 1


def test_bin_circular_mean_reads_the_parameter_back_from_its_target_and_wraps():
    model = SelfSupervised("duet", features=64, bins=8, groups=TRANSFORMS)
    params = torch.tensor([[0.0, 0.97], [0.3, 0.5], [0.62, 0.01]])
    assert torch.allclose(
        circular_features(bin_circular_mean(model.targets(params))), circular_features(params), atol=1e-3
    )
    uniform_but_one = torch.full((1, 1, 8), 0.1)
    uniform_but_one[0, 0, 6] = 0.3
    assert bin_circular_mean(uniform_but_one).item() == pytest.approx(6 / 8)


def test_controlled_code_sets_duets_bins_and_edits_the_others_through_the_readout():
    torch.manual_seed(0)
    images, params, new = torch.rand(40, 3, 28, 28), torch.rand(40, 2), torch.rand(40, 2)
    duet = SelfSupervised("duet", features=64, bins=8, groups=TRANSFORMS).eval()
    code = controlled_code(duet, images, new)
    channels = 64 // (2 * 8)
    assert torch.equal(code[:, : 2 * channels], duet.content(images).detach())
    assert torch.allclose(code[:, 2 * channels :].view(40, 2, 8), duet.targets(new))
    simclr = SelfSupervised("simclr", features=64, groups=TRANSFORMS).eval()
    with torch.no_grad():
        readout = LinearReadout(simclr.representation(images), params, ridge=1e-6)
    edited = controlled_code(simclr, images, new, readout)
    assert edited.shape == (40, 64)
    assert (circular_error_degrees(readout.predict(edited), new) < 1.0).all()
    # one group (the main path): only the angle is set, by DUET's bins or by a readout of the angle alone
    rotation_duet = SelfSupervised("duet", features=64, bins=8).eval()
    code = controlled_code(rotation_duet, images, new)
    assert torch.allclose(code[:, 8:].view(40, 1, 8), binned_target(new[:, 0], 8).view(40, 1, 8))
    rotation_simclr = SelfSupervised("simclr", features=64).eval()
    with torch.no_grad():
        angle_readout = LinearReadout(rotation_simclr.representation(images), params[:, :1], ridge=1e-6)
    edited = controlled_code(rotation_simclr, images, new, angle_readout)
    assert (circular_error_degrees(angle_readout.predict(edited), new[:, :1]) < 1.0).all()
    with pytest.raises(ValueError, match="no parameter slot"):
        controlled_code(simclr, images, new)


def test_duet_objective_is_the_formula_on_given_views_and_parameters():
    # no random views: matrices and parameters are given, every piece is written out here
    torch.manual_seed(2)
    head = torch.nn.Linear(2 * 3, 5)
    m1, m2 = torch.randn(6, 2, 4, 3), torch.randn(6, 2, 4, 3)  # (B, K, G, C)
    p1, p2 = torch.rand(6, 2), torch.rand(6, 2)
    contrastive, js = duet_objective(m1, m2, p1, p2, head, kappa=2.0, temperature=0.5)
    content_1, content_2 = m1.sum(dim=2).reshape(6, 6), m2.sum(dim=2).reshape(6, 6)
    torch.testing.assert_close(contrastive, nt_xent(head(content_1), head(content_2), 0.5))
    marginal = torch.exp(torch.cat([m1, m2]).mean(3))
    marginal = marginal / marginal.sum(-1, keepdim=True)
    params = torch.cat([p1, p2])
    target = torch.stack([binned_target(params[:, k], 4, "vonmises", 2.0) for k in range(2)], 1)
    middle = (marginal + target) / 2
    by_hand = 0.5 * (marginal * (marginal / middle).log() + target * (target / middle).log()).sum(-1)
    torch.testing.assert_close(js, by_hand.mean(), atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match="parameters"):
        duet_objective(m1, m2, p1[:, :1], p2[:, :1], head)


def test_readout_and_controlled_code_follow_the_device_of_the_features():
    # fitted on the CPU, used on another device (meta: shapes and devices without numbers)
    torch.manual_seed(0)
    images, params = torch.rand(20, 3, 28, 28), torch.rand(20, 2)
    simclr = SelfSupervised("simclr", features=32).eval()
    with torch.no_grad():
        readout = LinearReadout(simclr.representation(images), params[:, :1])  # the angle, the model's one group
    assert readout.weight.dtype == torch.float64
    meta_images, meta_params = images.to("meta"), params.to("meta")
    code = controlled_code(simclr.to("meta"), meta_images, meta_params, readout.to("meta"))
    assert code.device.type == "meta" and code.shape == (20, 32) and code.dtype == torch.float32
    assert readout.predict(code).device.type == "meta"
    duet = SelfSupervised("duet", features=64, bins=8).eval().to("meta")
    assert controlled_code(duet, meta_images, meta_params).device.type == "meta"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: binned_target(torch.zeros(2, 2), 8), "normalised parameters"),
        (lambda: binned_target(torch.zeros(2), 1), "bins must be"),
        (lambda: binned_target(torch.zeros(2), 8, "cauchy"), "kind must be"),
        (lambda: binned_target(torch.zeros(2), 8, width=0.0), "width must be positive"),
        (lambda: jensen_shannon(torch.ones(2, 3), torch.ones(2, 4)), "share a shape"),
        (lambda: SelfSupervised("byol"), "method must be"),
        (lambda: SelfSupervised("duet", features=60, bins=8), "divisible"),
        (lambda: SelfSupervised("duet", groups=("rotation", "scale")), "groups must be"),
        (lambda: SelfSupervised("duet", groups=()), "groups must be"),
        (lambda: SelfSupervised("duet").targets(torch.zeros(3, 1)), "angle, hue"),
        (lambda: informed_code(torch.zeros(3, 4), torch.zeros(2, 1)), "features"),
        (lambda: transform(torch.zeros(2, 3, 8, 8), torch.zeros(2, 2)), "grey digits"),
        (lambda: LinearReadout(torch.zeros(3, 4), torch.zeros(2, 2)), "features"),
        (lambda: ImageDecoder(4, size=10), "multiple of 4"),
        (lambda: bin_circular_mean(torch.ones(2, 8)), "distributions"),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_informed_code_appends_the_true_parameters_on_the_circle():
    features, params = torch.randn(5, 7), torch.tensor([[0.0], [0.25], [0.5], [0.75], [0.125]])
    code = informed_code(features, params)
    assert code.shape == (5, 9) and torch.equal(code[:, :7], features)
    torch.testing.assert_close(code[:, 7:], circular_features(params))


def test_nearest_angle_class_rounds_to_the_nearest_multiple_and_wraps():
    angles = torch.tensor([0.0, 0.06, 0.07, 0.5, 0.94, 0.99])
    assert nearest_angle_class(angles, 8).tolist() == [0, 0, 1, 4, 0, 0]
    logits = judge_classifier(8)(torch.rand(3, 3, 28, 28))
    assert logits.shape == (3, 8)
