import pytest
import torch

from eqlib import groups
from eqlib.nn import C4BatchNorm, C4GroupConv2d, C4LiftingConv2d, c4_group_pool, c4_spatial_max_pool

GEN = torch.Generator().manual_seed(0)


@pytest.mark.parametrize("padding_mode", ["zeros", "circular"])
@pytest.mark.parametrize(("size", "kernel"), [(9, 3), (12, 5), (7, 1)])
def test_lifting_conv_is_exactly_rotation_equivariant(padding_mode, size, kernel):
    layer = C4LiftingConv2d(3, 5, kernel, padding_mode=padding_mode)
    torch.nn.init.normal_(layer.bias)
    x = torch.randn(4, 3, size, size, generator=GEN)
    assert layer(x).shape == (4, 5, 4, size, size)
    assert groups.equivariance_error(layer, x, groups.rotate, groups.rotate_field, groups.C4) < 1e-5


@pytest.mark.parametrize("padding_mode", ["zeros", "circular"])
@pytest.mark.parametrize(("size", "kernel"), [(9, 3), (10, 5)])
def test_group_conv_is_exactly_rotation_equivariant(padding_mode, size, kernel):
    layer = C4GroupConv2d(3, 5, kernel, padding_mode=padding_mode)
    torch.nn.init.normal_(layer.bias)
    y = torch.randn(2, 3, 4, size, size, generator=GEN)
    assert layer(y).shape == (2, 5, 4, size, size)
    assert groups.equivariance_error(layer, y, groups.rotate_field, groups.rotate_field, groups.C4) < 1e-5


def test_group_conv_is_not_equivariant_without_the_group_roll():
    """Sanity check that the test above can fail: rotating filters without rolling the group axis breaks it."""
    layer = C4GroupConv2d(2, 3, 3)
    y = torch.randn(2, 2, 4, 8, 8, generator=GEN)
    spatial_only = lambda f, k: groups.rotate(f, k)
    assert groups.equivariance_error(layer, y, spatial_only, spatial_only, groups.C4) > 0.1


def test_circular_padding_gives_exact_shift_equivariance():
    lift, gconv = C4LiftingConv2d(1, 4, 3, padding_mode="circular"), C4GroupConv2d(4, 4, 3, padding_mode="circular")
    net = lambda x: gconv(torch.relu(lift(x)))
    x = torch.randn(2, 1, 8, 8, generator=GEN)
    assert groups.equivariance_error(net, x, groups.shift, groups.shift, [(1, 0), (3, -2), (0, 5)]) < 1e-5


def test_filter_banks_hold_rotated_copies():
    lift = C4LiftingConv2d(2, 3, 3)
    bank = lift.filter_bank().view(3, 4, 2, 3, 3)
    for r in range(4):
        assert torch.equal(bank[:, r], torch.rot90(lift.weight, r, dims=(-2, -1)))
    gconv = C4GroupConv2d(2, 3, 3)
    assert gconv.filter_bank().shape == (12, 8, 3, 3)


def test_pooling_helpers():
    y = torch.randn(2, 3, 4, 8, 8, generator=GEN)
    pooled = c4_group_pool(y)
    assert pooled.shape == (2, 3, 8, 8)
    # group pooling turns the field action into the plain image action
    assert torch.equal(c4_group_pool(groups.rotate_field(y, 1)), groups.rotate(pooled, 1))
    assert c4_spatial_max_pool(y).shape == (2, 3, 4, 4, 4)
    assert groups.equivariance_error(c4_spatial_max_pool, y, groups.rotate_field, groups.rotate_field, groups.C4) == 0.0


def test_batch_norm_is_equivariant_in_training_and_eval_mode():
    bn = C4BatchNorm(3)
    y = torch.randn(5, 3, 4, 6, 6, generator=GEN)
    assert groups.equivariance_error(bn, y, groups.rotate_field, groups.rotate_field, groups.C4) < 1e-5
    bn.eval()
    assert groups.equivariance_error(bn, y, groups.rotate_field, groups.rotate_field, groups.C4) < 1e-5


def test_gradients_reach_the_weights():
    layer = C4GroupConv2d(2, 2, 3)
    layer(torch.randn(1, 2, 4, 5, 5)).square().sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: C4LiftingConv2d(1, 2, 4), "odd"),
        (lambda: C4GroupConv2d(0, 2, 3), "in_channels"),
        (lambda: C4LiftingConv2d(1, 2, 3, padding_mode="reflect"), "padding_mode"),
    ],
)
def test_bad_constructor_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_input_shapes():
    with pytest.raises(ValueError, match=r"square images \(B, 1, H, H\)"):
        C4LiftingConv2d(1, 2)(torch.zeros(1, 1, 5, 6))
    with pytest.raises(ValueError, match=r"\(B, 2, 4, H, H\)"):
        C4GroupConv2d(2, 2)(torch.zeros(1, 2, 5, 5))
    with pytest.raises(ValueError, match="C4 fields"):
        C4BatchNorm(2)(torch.zeros(1, 2, 3, 5, 5))
    with pytest.raises(ValueError, match="c4_group_pool"):
        c4_group_pool(torch.zeros(1, 2, 5, 5))
