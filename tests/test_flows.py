import math

import pytest
import torch

from eqlib.data import TOY_DENSITIES, toy_density
from eqlib.models import Flow, LogitDequantization, conv_flow, mlp_flow, standard_normal_log_prob
from eqlib.nn import ExactConv2d, ExactLinear, MonotoneTanhMixture, SelfNormConv2d, SelfNormLinear, SmoothLeakyReLU

torch.set_default_dtype(torch.float32)


def double_layer(layer):
    return layer.double()


def _perturbed_layer(update: str, seed: int = 0) -> SelfNormLinear:
    torch.manual_seed(seed)
    layer = SelfNormLinear(4, update=update).double()
    with torch.no_grad():
        layer.weight.add_(0.3 * torch.randn(4, 4, dtype=torch.float64))
        layer.bias.normal_()
        layer.inverse_weight.add_(0.1 * torch.randn(4, 4, dtype=torch.float64))  # R is NOT W^-1 here
    return layer


def _mean_log_likelihood(layer, h):
    z, logdet = layer(h)
    return (standard_normal_log_prob(z) + logdet).mean(), z, logdet


def test_mirrored_update_gives_w_and_r_half_their_formula_gradients():
    layer = _perturbed_layer("mirrored")
    h = torch.randn(6, 4, dtype=torch.float64)
    log_likelihood, z, logdet = _mean_log_likelihood(layer, h)
    log_likelihood.backward()
    W, R = layer.weight.detach(), layer.inverse_weight.detach()
    delta_z = -z.detach() / len(h)  # d mean_b log N(z_b) / dz
    delta_h = delta_z @ W
    # paper Sec. 4: grad_W = (delta_z h^T + R^T) / 2, grad_R = (-delta_h (W h)^T - W^T) / 2
    expected_W = (delta_z.T @ h + R.T) / 2
    expected_R = (-(delta_h.T @ (h @ W.T)) - W.T) / 2
    assert torch.allclose(layer.weight.grad, expected_W, atol=1e-12)
    assert torch.allclose(layer.inverse_weight.grad, expected_R, atol=1e-12)
    assert torch.allclose(layer.bias.grad, delta_z.sum(0), atol=1e-12)
    assert torch.all(logdet == 0), "the log-det carries gradient only"


def test_detached_update_gives_w_the_data_term_plus_r_transpose_and_r_nothing():
    layer = _perturbed_layer("detached")
    h = torch.randn(6, 4, dtype=torch.float64)
    log_likelihood, z, _ = _mean_log_likelihood(layer, h)
    log_likelihood.backward()
    expected = -(z.detach().T @ h) / len(h) + layer.inverse_weight.detach().T
    assert torch.allclose(layer.weight.grad, expected, atol=1e-12)
    assert layer.inverse_weight.grad is None, "the likelihood must not train R"


def test_at_the_exact_inverse_the_mirrored_update_is_half_the_true_gradients():
    """With R = W^-1, W's update is half of autograd through slogdet, and R's is half of the
    true gradient of the same likelihood parametrised by R (W = R^-1)."""
    torch.manual_seed(1)
    W = torch.randn(5, 5, dtype=torch.float64) + 3 * torch.eye(5, dtype=torch.float64)
    b, h = torch.randn(5, dtype=torch.float64), torch.randn(7, 5, dtype=torch.float64)
    layer = SelfNormLinear(5).double()
    with torch.no_grad():
        layer.weight.copy_(W)
        layer.bias.copy_(b)
        layer.inverse_weight.copy_(torch.linalg.inv(W))
    _mean_log_likelihood(layer, h)[0].backward()

    W_true = W.clone().requires_grad_()
    (standard_normal_log_prob(h @ W_true.T + b) + torch.linalg.slogdet(W_true).logabsdet).mean().backward()
    R_true = torch.linalg.inv(W).requires_grad_()
    W_of_R = torch.linalg.inv(R_true)
    (standard_normal_log_prob(h @ W_of_R.T + b) - torch.linalg.slogdet(R_true).logabsdet).mean().backward()
    assert torch.allclose(layer.weight.grad, W_true.grad / 2, atol=1e-10)
    assert torch.allclose(layer.inverse_weight.grad, R_true.grad / 2, atol=1e-10)


def test_with_exact_inverse_the_detached_gradient_equals_the_exact_one():
    torch.manual_seed(1)
    snf, exact = SelfNormLinear(5, update="detached").double(), ExactLinear(5).double()
    with torch.no_grad():
        exact.weight.copy_(torch.randn(5, 5, dtype=torch.float64) + 3 * torch.eye(5, dtype=torch.float64))
        snf.weight.copy_(exact.weight)
        snf.inverse_weight.copy_(torch.linalg.inv(exact.weight))
    h = torch.randn(7, 5, dtype=torch.float64)
    for layer in (snf, exact):
        _mean_log_likelihood(layer, h)[0].backward()
    assert torch.allclose(snf.weight.grad, exact.weight.grad, atol=1e-10)


def test_self_norm_linear_rejects_an_unknown_update():
    with pytest.raises(ValueError, match="update must be one of"):
        SelfNormLinear(3, update="both")


def test_self_norm_conv_surrogate_matches_the_exact_conv_gradient_when_r_inverts_w():
    """With a 1x1 kernel the convolution's inverse is again a convolution, so R can be exact."""
    torch.manual_seed(2)
    snf, exact = SelfNormConv2d(3, kernel_size=1).double(), ExactConv2d(3, kernel_size=1).double()
    w = torch.randn(3, 3, dtype=torch.float64) + 2 * torch.eye(3, dtype=torch.float64)
    with torch.no_grad():
        exact.weight.copy_(w.view(3, 3, 1, 1))
        snf.weight.copy_(exact.weight)
        snf.inverse_weight.copy_(torch.linalg.inv(w).view(3, 3, 1, 1))
    h = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    for layer in (snf, exact):
        z, logdet = layer(h)
        (standard_normal_log_prob(z) + logdet).mean().backward()
    assert torch.allclose(snf.weight.grad, exact.weight.grad, atol=1e-10)


def test_conv_surrogate_counts_taps_inside_the_image():
    layer = SelfNormConv2d(1, kernel_size=3)
    counts = layer.tap_counts(4, 5)[0, 0]
    # centre tap sees all 20 pixels; a corner tap loses one row and one column
    assert counts[1, 1] == 20 and counts[0, 0] == 3 * 4 and counts[0, 1] == 3 * 5


def test_exact_conv_log_det_matches_its_dense_matrix():
    torch.manual_seed(3)
    layer = ExactConv2d(2, kernel_size=3, init_noise=0.5).double()
    h = torch.randn(3, 2, 4, 4, dtype=torch.float64)
    z, logdet = layer(h)
    dense = layer.matrix(4, 4)
    assert torch.allclose(z.flatten(1), h.flatten(1) @ dense.T + layer.bias.repeat_interleave(16), atol=1e-10)
    assert torch.allclose(logdet, torch.linalg.slogdet(dense).logabsdet.expand(3))
    assert torch.allclose(layer.inverse(z), h, atol=1e-8)


@pytest.mark.parametrize("build", [lambda: SelfNormLinear(6), lambda: ExactLinear(6)])
def test_linear_inverse_round_trips(build):
    layer = build().double()
    h = torch.randn(5, 6, dtype=torch.float64)
    z, _ = layer(h)
    assert torch.allclose(layer.inverse(z, exact=True), h, atol=1e-10)


def test_reconstruction_loss_vanishes_at_the_exact_inverse_and_trains_r():
    layer = SelfNormLinear(3).double()
    h = torch.randn(8, 3, dtype=torch.float64)
    assert float(layer.reconstruction_loss(h).detach()) < 1e-10 and layer.inverse_error() < 1e-6
    with torch.no_grad():
        layer.weight.add_(0.3 * torch.randn(3, 3, dtype=torch.float64))
    assert layer.inverse_error() > 0.05
    optimizer = torch.optim.Adam([layer.inverse_weight], lr=0.02)
    for _ in range(1500):
        optimizer.zero_grad()
        layer.reconstruction_loss(torch.randn(32, 3, dtype=torch.float64)).backward()
        optimizer.step()
    assert layer.inverse_error() < 1e-3
    z, _ = layer(h)
    assert torch.allclose(layer.inverse(z), h, atol=1e-2)


def test_smooth_leaky_relu_inverse_and_log_derivative():
    act = SmoothLeakyReLU(0.3).double()
    h = torch.linspace(-8, 8, 41, dtype=torch.float64).view(1, -1).requires_grad_()
    z, logdet = act(h)
    assert torch.allclose(act.inverse(z.detach()), h.detach(), atol=1e-10)
    (grad,) = torch.autograd.grad(z.sum(), h)
    assert torch.allclose(logdet, grad.log().sum(dim=1))


def test_flow_log_prob_matches_change_of_variables_by_hand():
    torch.manual_seed(4)
    flow = mlp_flow(2, depth=2, self_normalizing=True, init_noise=0.5).double()
    x = torch.randn(3, 2, dtype=torch.float64)
    first, _, second = flow.layers
    h1 = x @ first.weight.T + first.bias
    a = 0.3 * h1 + 0.7 * torch.nn.functional.softplus(h1)
    z = a @ second.weight.T + second.bias
    log_det = (
        torch.log(torch.abs(torch.det(first.weight)))
        + torch.log(0.3 + 0.7 * torch.sigmoid(h1)).sum(1)
        + torch.log(torch.abs(torch.det(second.weight)))
    )
    by_hand = -0.5 * (z**2).sum(1) - math.log(2 * math.pi) + log_det
    assert torch.allclose(flow.log_prob(x), by_hand, atol=1e-10)
    assert torch.allclose(flow.inverse(flow.transform(x)[0], exact=True), x, atol=1e-8)


def test_flow_density_integrates_to_one_in_2d():
    torch.manual_seed(5)
    flow = mlp_flow(2, depth=2, self_normalizing=False, init_noise=0.3).double()
    grid = torch.linspace(-25, 25, 801, dtype=torch.float64)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    with torch.no_grad():
        density = flow.log_prob(torch.stack([xx.flatten(), yy.flatten()], 1)).exp()
    cell = (grid[1] - grid[0]) ** 2
    assert float(density.sum() * cell) == pytest.approx(1.0, abs=0.01)


def test_training_loss_adds_reconstruction_and_trains_both_flows():
    data = toy_density("eight_gaussians", 512, seed=0)
    for snf in (False, True):
        torch.manual_seed(0)
        flow = mlp_flow(2, depth=3, self_normalizing=snf)
        optimizer = torch.optim.Adam(flow.parameters(), lr=5e-3)
        before = -float(flow.log_prob(data).mean().detach())
        for _ in range(150):
            loss, metrics = flow.training_loss(data, recon_weight=1.0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert -float(flow.log_prob(data).mean().detach()) < before - 0.5
        assert ("recon" in metrics) and (metrics["recon"] > 0) == snf
    assert flow.inverse_error() < 0.05


def test_conv_flow_shapes_and_sampling():
    flow = conv_flow(2, 6, depth=2, self_normalizing=True)
    x = torch.randn(4, 2, 6, 6)
    assert flow.log_prob(x).shape == (4,)
    assert flow.sample(3).shape == (3, 2, 6, 6)
    loss, _ = flow.training_loss(x)
    loss.backward()


def test_logit_dequantization_log_det_and_inverse():
    deq = LogitDequantization()
    x = torch.randint(0, 256, (3, 1, 2, 2), dtype=torch.uint8)
    y, logdet = deq(x, generator=torch.Generator().manual_seed(0))
    recovered = deq.inverse(y) * 256
    assert torch.all((recovered >= x.float() - 1e-3) & (recovered <= x.float() + 1.0 + 1e-3))
    # per pixel: d logit / dx = (1 - 2a) / (256 s (1 - s))
    s = torch.sigmoid(y)
    expected = (math.log(1 - 2e-6) - math.log(256) - torch.log(s * (1 - s))).flatten(1).sum(1)
    assert torch.allclose(logdet, expected, atol=1e-3)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        deq(torch.full((1, 2), 300.0))


@pytest.mark.parametrize("name", sorted(TOY_DENSITIES))
def test_toy_densities_are_deterministic_and_bounded(name):
    a, b = toy_density(name, 500, seed=3), toy_density(name, 500, seed=3)
    assert a.shape == (500, 2) and a.dtype == torch.float32 and torch.equal(a, b)
    assert not torch.equal(a, toy_density(name, 500, seed=4))
    assert a.abs().max() < 6


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"inputs \(B, 3\)"):
        SelfNormLinear(3)(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="odd"):
        SelfNormConv2d(2, kernel_size=2)
    with pytest.raises(ValueError, match=r"\(B, 2, H, W\)"):
        ExactConv2d(2)(torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match="alpha"):
        SmoothLeakyReLU(1.5)
    with pytest.raises(ValueError, match=r"Flow expects inputs \(B, 2\)"):
        mlp_flow(2, 1, True).log_prob(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="at least one layer"):
        Flow([], (2,))
    with pytest.raises(ValueError, match="unknown toy density"):
        toy_density("spiral", 10)
    with pytest.raises(ValueError, match="temperature"):
        mlp_flow(2, 1, True).sample(4, temperature=-1)


def test_tanh_mixture_is_invertible_with_the_right_log_derivative():
    torch.manual_seed(6)
    act = MonotoneTanhMixture(3, components=4).double()
    with torch.no_grad():
        act.raw_weight.normal_()  # make the soft steps matter
        act.log_scale.normal_()
    h = (4 * torch.randn(10, 3, dtype=torch.float64)).requires_grad_()
    z, logdet = act(h)
    assert torch.allclose(act.inverse(z.detach()), h.detach(), atol=1e-8)
    slopes = torch.autograd.functional.jacobian(lambda t: act(t.view(1, 3))[0].view(3), h[0].detach())
    assert torch.allclose(logdet[0], torch.diagonal(slopes).log().sum())


def test_mlp_flow_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp_flow(2, 2, True, activation="relu")


def test_reconstruction_errors_on_data_and_with_replaced_inverses():
    torch.manual_seed(7)
    flow = mlp_flow(3, depth=2, self_normalizing=True)
    x = torch.randn(20, 3)
    assert max(flow.reconstruction_errors(x)) < 1e-5  # R starts at the exact inverse
    identity = [torch.eye(3), torch.eye(3)]
    with torch.no_grad():
        flow.layers[0].weight.mul_(2.0)
    errors = flow.reconstruction_errors(x, inverse_weights=identity)
    assert errors[0] == pytest.approx(1.0, abs=0.05)  # h - 2h
    with pytest.raises(ValueError, match="inverse weights"):
        flow.reconstruction_errors(x, inverse_weights=identity[:1])
