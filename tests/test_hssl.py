import math

import pytest
import torch
import torch.nn.functional as F

from eqlib import groups
from eqlib.losses import nt_xent
from eqlib.models import (
    P4CNN,
    GroupAxisView,
    HomomorphicSSL,
    PlainCNN,
    ScrambledFields,
    act_on_fields,
    act_on_images,
    sample_elements,
)

GEN = torch.Generator().manual_seed(0)


def nt_xent_by_loop(z1, z2, t):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n, total = len(z1), 0.0
    for i in range(2 * n):
        partner = (i + n) % (2 * n)
        others = [math.exp(float(z[i] @ z[j]) / t) for j in range(2 * n) if j != i]
        total += -math.log(math.exp(float(z[i] @ z[partner]) / t) / sum(others))
    return total / (2 * n)


def test_nt_xent_matches_the_formula():
    z1, z2 = torch.randn(5, 3, generator=GEN), torch.randn(5, 3, generator=GEN)
    assert float(nt_xent(z1, z2, 0.3)) == pytest.approx(nt_xent_by_loop(z1, z2, 0.3), rel=1e-5)


def test_nt_xent_is_low_for_matching_views():
    z = torch.randn(8, 4, generator=GEN)
    assert float(nt_xent(z, z, 0.1)) < float(nt_xent(z, torch.randn(8, 4, generator=GEN), 0.1))


@pytest.mark.parametrize(
    ("args", "message"),
    [((torch.zeros(3, 2), torch.zeros(3, 3)), "same shape"), ((torch.zeros(1, 2), torch.zeros(1, 2)), "at least 2")],
)
def test_nt_xent_bad_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        nt_xent(*args)


def test_per_sample_actions_match_whole_batch_actions():
    x = torch.randn(6, 2, 8, 8, generator=GEN)
    turns, shifts = sample_elements(6, 2, torch.Generator().manual_seed(1))
    moved = act_on_images(x, (turns, shifts), stride=1)
    for b in range(6):
        expected = groups.shift(groups.rotate(x[b], int(turns[b])), shifts[b].tolist())
        assert torch.equal(moved[b], expected)


def test_sample_elements_ranges_and_determinism():
    turns, shifts = sample_elements(500, 2, torch.Generator().manual_seed(3))
    assert set(turns.tolist()) == {0, 1, 2, 3} and shifts.min() == -2 and shifts.max() == 2
    again = sample_elements(500, 2, torch.Generator().manual_seed(3))
    assert torch.equal(turns, again[0]) and torch.equal(shifts, again[1])
    assert sample_elements(4, 0, rotations=False)[0].eq(0).all()


def test_feature_action_is_what_the_equivariant_backbone_does():
    backbone = P4CNN(widths=(2, 3, 4)).eval()
    x = torch.rand(4, 1, 28, 28, generator=GEN)
    g = sample_elements(4, 3, torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.allclose(backbone.features(act_on_images(x, g)), act_on_fields(backbone.features(x), g), atol=1e-5)


@pytest.mark.parametrize("window", [1, 3, 7])
def test_homomorphic_and_augmentation_losses_agree_for_an_equivariant_backbone(window):
    torch.manual_seed(0)
    model = HomomorphicSSL(P4CNN(widths=(4, 6, 8)), 8, window=window)  # train-mode batch norm included
    x = torch.rand(8, 1, 28, 28, generator=GEN)
    gen = torch.Generator().manual_seed(5)
    g1, g2 = sample_elements(8, 3, gen), sample_elements(8, 3, gen)
    with torch.no_grad():
        assert float(model.homomorphic_loss(x, g1, g2)) == pytest.approx(
            float(model.augmentation_loss(x, g1, g2)), abs=1e-5
        )


def test_losses_differ_without_equivariance():
    torch.manual_seed(0)
    model = HomomorphicSSL(GroupAxisView(PlainCNN(widths=(4, 8, 32))), 8)
    x = torch.rand(8, 1, 28, 28, generator=GEN)
    gen = torch.Generator().manual_seed(5)
    g1, g2 = sample_elements(8, 3, gen), sample_elements(8, 3, gen)
    with torch.no_grad():
        assert abs(float(model.homomorphic_loss(x, g1, g2)) - float(model.augmentation_loss(x, g1, g2))) > 1e-3


def test_scrambled_fields_keep_the_features_but_break_the_homomorphism():
    torch.manual_seed(0)
    backbone = P4CNN(widths=(2, 3, 4)).eval()
    scrambled = ScrambledFields(backbone, seed=1)
    x = torch.rand(3, 1, 28, 28, generator=GEN)
    with torch.no_grad():
        y, z = backbone.features(x), scrambled.features(x)
        assert torch.equal(y.flatten(2).sort(dim=2).values, z.flatten(2).sort(dim=2).values)  # a pure permutation
        assert torch.equal(z, scrambled.features(x))  # the same permutation every call
        g = sample_elements(3, 2, torch.Generator().manual_seed(4))
        error = (scrambled.features(act_on_images(x, g)) - act_on_fields(z, g)).abs().max()
    assert error > 1e-2
    with pytest.raises(ValueError, match="fields"):
        ScrambledFields(PlainCNN()).features(x)


def test_embedding_is_rotation_invariant_for_the_group_backbone():
    model = HomomorphicSSL(P4CNN(widths=(2, 3, 4)), 4).eval()
    x = torch.rand(3, 1, 28, 28, generator=GEN)
    assert groups.invariance_error(model.embed, x, groups.rotate, groups.C4) < 1e-5


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="odd number of cells"):
        HomomorphicSSL(P4CNN(), 32, window=2)
    with pytest.raises(ValueError, match="larger than the 7x7"):
        HomomorphicSSL(P4CNN(widths=(2, 3, 4)), 4, window=9).fields(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="C4 fields"):
        HomomorphicSSL(PlainCNN(), 64).fields(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="divisible by 4"):
        GroupAxisView(PlainCNN(widths=(4, 4, 6))).features(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="max_shift"):
        sample_elements(4, -1)
    with pytest.raises(ValueError, match="offsets"):
        groups.shift_each(torch.zeros(2, 1, 4, 4), torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="one turn per sample"):
        groups.rotate_each(torch.zeros(2, 1, 4, 4), torch.zeros(3, dtype=torch.long))
