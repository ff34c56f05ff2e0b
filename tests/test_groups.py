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


def test_equivariance_probe_follows_the_models_device():
    """Notebook 01's equivariance table: a CPU probe batch moved to ``runtime.device_of(model)``.

    The models sit on ``meta`` (shapes and devices without numbers), as they sit on the GPU after
    ``fit``; the errors stay on the model's device until ``equivariance_errors`` copies them.
    """
    from eqlib import runtime
    from eqlib.models import P4CNN, MLPNet, PlainCNN

    probe_batch = torch.rand(8, 1, 28, 28)
    for model in (P4CNN().to("meta"), PlainCNN().to("meta"), MLPNet().to("meta")):
        x = probe_batch.to(runtime.device_of(model))
        act_out = groups.rotate_field if isinstance(model, P4CNN) else groups.rotate
        errors = groups.relative_errors(model.features, x, groups.rotate, act_out, groups.C4)
        assert errors.device.type == "meta" and errors.shape == (4,)
        shifts = groups.relative_errors(
            model.features, x, groups.shift, lambda y, o: groups.shift(y, (o[0] // 4, o[1] // 4)), [(4, 0), (0, 8)]
        )
        assert shifts.device.type == "meta" and shifts.shape == (2,)
    with pytest.raises(ValueError, match="no parameters"):
        runtime.device_of(torch.nn.ReLU())


def test_equivariance_errors_are_the_relative_errors_as_floats(images):
    f = torch.nn.Conv2d(2, 3, 3, padding=1)
    tensor = groups.relative_errors(f, images, groups.rotate, groups.rotate, groups.C4)
    floats = groups.equivariance_errors(f, images, groups.rotate, groups.rotate, groups.C4)
    assert list(floats) == list(groups.C4) and all(isinstance(v, float) for v in floats.values())
    assert torch.equal(torch.tensor(list(floats.values())), tensor)


def test_notebook_01s_equivariance_table_moves_its_probe_batch_to_each_models_device():
    """The notebook's own ``equivariance_table``, run on models on ``meta`` with a CPU probe batch.

    ``groups`` is handed in with ``equivariance_error`` returning the worst error as a tensor (a
    ``meta`` tensor has no number), so the table holds the errors' devices: a call site that fed
    the CPU batch to a ``meta`` model would raise instead.
    """
    import json
    import types
    from pathlib import Path

    import pandas as pd

    from eqlib import runtime
    from eqlib.models import P4CNN, MLPNet, PlainCNN

    path = Path(__file__).resolve().parent.parent / "notebooks" / "01_invariance_vs_equivariance.ipynb"
    cells = json.loads(path.read_text())["cells"]
    text = next("".join(c["source"]) for c in cells if "def equivariance_table" in "".join(c["source"]))
    as_tensor = types.SimpleNamespace(**vars(groups))
    as_tensor.equivariance_error = lambda *args: groups.relative_errors(*args).max()
    namespace = {"groups": as_tensor, "runtime": runtime, "torch": torch, "pd": pd, "P4CNN": P4CNN}
    exec(compile(text.split("torch.manual_seed(SEED)")[0], path.name, "exec"), namespace)  # noqa: S102
    models = {"MLP": MLPNet().to("meta"), "plain CNN": PlainCNN().to("meta"), "P4CNN": P4CNN().to("meta")}
    table = namespace["equivariance_table"](models, torch.rand(4, 1, 28, 28))
    assert table.shape == (3, 3) and all(error.device.type == "meta" for error in table.to_numpy().ravel())
