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


def test_rotate_by_zero_is_the_identity_and_quarter_turns_are_rot90(images):
    assert torch.allclose(groups.rotate_by(images, 0.0), images, atol=1e-5)
    for k in range(-1, 5):
        assert torch.allclose(groups.rotate_by(images, 90.0 * k), groups.rotate(images, k), atol=1e-5)
    assert groups.rotate_by(images, 33.0).shape == images.shape
    assert groups.rotate_by(images[0, 0], 33.0).shape == (9, 9)  # (..., H, W) with one angle


def test_rotate_by_composes_and_turns_counter_clockwise():
    x = torch.zeros(1, 1, 15, 15)
    x[0, 0, 7, 12] = 1.0  # right of the centre
    up = groups.rotate_by(x, 90.0)
    assert up[0, 0, 2, 7] == pytest.approx(1.0, abs=1e-5)  # -> above the centre, as rot90 does
    smooth = torch.nn.functional.avg_pool2d(torch.rand(2, 1, 32, 32), 5, stride=1, padding=2)
    twice = groups.rotate_by(groups.rotate_by(smooth, 20.0), 25.0)
    once = groups.rotate_by(smooth, 45.0)
    interior = (slice(None), slice(None), slice(10, 22), slice(10, 22))  # away from the cut corners
    assert (twice - once)[interior].abs().max() < 0.05  # equal up to interpolation blur


def test_rotate_by_takes_one_angle_per_sample_and_follows_the_device(images):
    degrees = torch.tensor([0.0, 90.0, 30.0])
    rotated = groups.rotate_by(images, degrees)
    assert torch.allclose(rotated[0], images[0], atol=1e-5)
    assert torch.allclose(rotated[1], groups.rotate(images[1], 1), atol=1e-5)
    assert torch.allclose(rotated[2], groups.rotate_by(images[2], 30.0), atol=1e-6)
    if torch.cuda.is_available():
        assert groups.rotate_by(images.cuda(), degrees).device.type == "cuda"


def test_random_angle_rotations_are_uniform_and_deterministic_per_seed(images):
    batch = images.repeat(200, 1, 1, 1)
    first, degrees = groups.random_angle_rotations(batch, generator=torch.Generator().manual_seed(5))
    again, same = groups.random_angle_rotations(batch, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, again) and torch.equal(degrees, same)
    assert degrees.shape == (600,) and 0.0 <= degrees.min() and degrees.max() < 360.0
    assert degrees.mean() == pytest.approx(180.0, abs=20.0)
    assert torch.allclose(first[7], groups.rotate_by(batch[7], float(degrees[7])), atol=1e-5)
    _, other = groups.random_angle_rotations(batch, generator=torch.Generator().manual_seed(6))
    assert not torch.equal(degrees, other)


def test_rotate_by_rejects_bad_inputs(images):
    with pytest.raises(ValueError, match="square"):
        groups.rotate_by(torch.zeros(1, 4, 5), 10.0)
    with pytest.raises(ValueError, match="floating point"):
        groups.rotate_by(torch.zeros(1, 5, 5, dtype=torch.int64), 10.0)
    with pytest.raises(ValueError, match=r"shape \(B,\)"):
        groups.rotate_by(images, torch.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        groups.rotate_by(images, float("nan"))
    with pytest.raises(TypeError, match="torch.Tensor"):
        groups.rotate_by([[1.0]], 10.0)
    with pytest.raises(ValueError, match="max_degrees"):
        groups.random_angle_rotations(images, max_degrees=0.0)
