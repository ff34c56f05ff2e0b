import pytest
import torch

from eqlib import groups
from eqlib.models import P4CNN, MLPNet, PlainCNN

X = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("model", "feature_shape", "embed_dim"),
    [(MLPNet(), (4, 16, 7, 7), 16), (PlainCNN(), (4, 64, 7, 7), 64), (P4CNN(), (4, 32, 4, 7, 7), 32)],
)
def test_shapes(model, feature_shape, embed_dim):
    model.eval()
    assert model.features(X).shape == feature_shape
    assert model.embed(X).shape == (4, embed_dim)
    assert model(X).shape == (4, 10)


def test_p4cnn_is_invariant_and_its_fibers_roll():
    model = P4CNN().eval()
    assert groups.invariance_error(model, X, groups.rotate, groups.C4) < 1e-5
    roll = lambda f, k: torch.roll(f, k, dims=-1)
    assert groups.equivariance_error(model.fibers, X, groups.rotate, roll, groups.C4) < 1e-5


def test_plain_cnn_is_shift_equivariant_on_the_pooling_grid_only():
    model = PlainCNN().eval()
    coarse = lambda y, s: groups.shift(y, (s[0] // 4, s[1] // 4))
    assert groups.equivariance_error(model.features, X, groups.shift, coarse, [(4, 0), (8, -12)]) < 1e-5
    assert groups.equivariance_error(model.features, X, groups.rotate, groups.rotate, groups.C4) > 0.05


def test_other_image_sizes_and_channels():
    model = P4CNN(in_channels=3, image_size=16, widths=(2, 3, 4), num_classes=5).eval()
    x = torch.rand(2, 3, 16, 16)
    assert model(x).shape == (2, 5)
    assert groups.invariance_error(model, x, groups.rotate, groups.C4) < 1e-5


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"images \(B, 1, 28, 28\)"):
        PlainCNN()(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match="three positive ints"):
        P4CNN(widths=(8, 16))
    with pytest.raises(ValueError, match="divisible by 4"):
        P4CNN(image_size=30)
    with pytest.raises(ValueError, match="divisible by 4"):
        MLPNet(image_size=30)
