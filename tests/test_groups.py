import pytest
import torch

from eqlib import groups


@pytest.fixture
def images():
    return torch.randn(3, 2, 9, 9, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def field():
    return torch.randn(3, 2, 4, 9, 9, generator=torch.Generator().manual_seed(1))


def test_rotation_is_a_c4_action(images):
    assert torch.equal(groups.rotate(images, 4), images)
    for a in groups.C4:
        for b in groups.C4:
            assert torch.equal(groups.rotate(groups.rotate(images, b), a), groups.rotate(images, a + b))


def test_rotation_turns_counter_clockwise():
    x = torch.zeros(3, 3)
    x[0, 2] = 1  # top right
    assert groups.rotate(x, 1)[0, 0] == 1  # -> top left


def test_field_rotation_is_an_action_and_rolls_the_group_axis(field):
    for a in groups.C4:
        for b in groups.C4:
            assert torch.equal(groups.rotate_field(groups.rotate_field(field, b), a), groups.rotate_field(field, a + b))
    moved = groups.rotate_field(field, 1)
    assert torch.equal(moved[:, :, 1], groups.rotate(field[:, :, 0], 1))


def test_flip_and_shift_are_actions(images):
    assert torch.equal(groups.flip(groups.flip(images)), images)
    assert torch.equal(groups.flip(images, 0), images)
    assert torch.equal(groups.shift(groups.shift(images, (2, 3)), (-2, -3)), images)
    assert torch.equal(groups.shift(images, (9, 9)), images)


def test_equivariant_map_has_zero_error(images):
    pointwise = torch.tanh  # commutes with any permutation of pixels
    assert groups.equivariance_error(pointwise, images, groups.rotate, groups.rotate, groups.C4) == 0.0
    assert groups.equivariance_error(pointwise, images, groups.shift, groups.shift, [(1, 2), (0, 5)]) == 0.0


def test_non_equivariant_map_has_a_large_error(images):
    ramp = torch.linspace(0, 3, 9).expand(9, 9)
    position_dependent = lambda x: x * ramp
    errors = groups.equivariance_errors(position_dependent, images, groups.rotate, groups.rotate, groups.C4)
    assert errors[0] == 0.0
    assert min(errors[k] for k in (1, 2, 3)) > 0.3


def test_invariance_error_of_global_pooling(images):
    assert groups.invariance_error(lambda x: x.sum(dim=(-2, -1)), images, groups.rotate, groups.C4) < 1e-6
    assert groups.invariance_error(lambda x: x[..., 0, :].sum(-1), images, groups.rotate, groups.C4) > 0.1


def test_random_rotations_records_the_applied_turns(images):
    rotated, turns = groups.random_rotations(images, generator=torch.Generator().manual_seed(3))
    assert turns.shape == (3,) and turns.dtype == torch.int64
    for i in range(3):
        assert torch.equal(rotated[i], groups.rotate(images[i], int(turns[i])))


def test_bad_inputs_raise_clear_errors(images, field):
    with pytest.raises(ValueError, match="square"):
        groups.rotate(torch.zeros(1, 4, 5), 1)
    with pytest.raises(ValueError, match="group axis of size 4"):
        groups.rotate_field(images, 1)
    with pytest.raises(TypeError, match="torch.Tensor"):
        groups.rotate([[1.0]], 1)
    with pytest.raises(ValueError, match=r"offset \(dy, dx\)"):
        groups.shift(images, (1,))
    with pytest.raises(ValueError, match="at least one group element"):
        groups.equivariance_error(torch.tanh, images, groups.rotate, groups.rotate, [])
    with pytest.raises(ValueError, match="is act_out the right action"):
        groups.equivariance_error(torch.tanh, images, groups.rotate, lambda y, g: y[0], groups.C4)
