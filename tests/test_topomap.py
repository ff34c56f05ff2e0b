"""Topographic maps of category selectivity: procedural categories, the image-folder loader,
the 2-D topographic VAE, Cohen's d and Moran's I."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _training import loss_before_and_after

from eqlib.data.categories import CATEGORIES, SUBCATEGORIES, category_images, load_image_folder
from eqlib.metrics import cohens_d, morans_i, morans_i_null
from eqlib.models import TopographicMapVAE
from eqlib.nn import topographic_variable, torus_kernel


def test_categories_are_balanced_deterministic_and_in_range():
    images, labels, subs = category_images(10, size=32, seed=3)
    again, _, _ = category_images(10, size=32, seed=3)
    other, _, _ = category_images(10, size=32, seed=4)
    assert images.shape == (40, 1, 32, 32) and images.dtype == torch.float32
    assert torch.bincount(labels).tolist() == [10] * len(CATEGORIES)
    assert set(subs.tolist()) == {0, 1} and len(SUBCATEGORIES) == len(CATEGORIES)
    assert torch.equal(images, again) and not torch.equal(images, other)
    assert images.min() >= 0 and images.max() <= 1


def test_categories_differ_more_between_than_within():
    images, labels, _ = category_images(40, size=32, seed=0, noise=0.0)
    means = torch.stack([images[labels == c].mean(0).flatten() for c in range(len(CATEGORIES))])
    within = np.mean([(images[labels == c].flatten(1) - means[c]).norm(dim=1).mean().item() for c in range(4)])
    between = torch.pdist(means).min().item()
    assert between > 0.3 * within  # class means are distinct, not just noise apart


def test_image_folder_loader_reads_one_subfolder_per_category(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, count in [("cats", 2), ("dogs", 3)]:
        (tmp_path / name).mkdir()
        for i in range(count):
            pixels = (rng.random((20, 30, 3)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{i}.png")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    images, labels, names = load_image_folder(tmp_path, size=16)
    assert names == ["cats", "dogs"] and labels.tolist() == [0, 0, 1, 1, 1]
    assert images.shape == (5, 1, 16, 16) and 0 <= images.min() and images.max() <= 1


def test_image_folder_loader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="one sub-folder"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images"):
        load_image_folder(tmp_path)


def test_cohens_d_matches_a_direct_numpy_computation():
    rng = np.random.default_rng(1)
    t = rng.normal(size=(60, 5))
    labels = rng.integers(0, 3, size=60)
    t[labels == 2, 0] += 2.0
    d = cohens_d(torch.tensor(t), torch.tensor(labels), 2).numpy()
    a, b = t[labels == 2], t[labels != 2]
    expected = (a.mean(0) - b.mean(0)) / np.sqrt((a.var(0, ddof=1) + b.var(0, ddof=1)) / 2)
    np.testing.assert_allclose(d, expected, rtol=1e-10)
    assert d[0] > 1.5 and np.abs(d[1:]).max() < 1.0


def test_morans_i_by_hand_on_a_small_torus():
    values = torch.tensor([[1.0, 2.0, 0.0], [0.0, 3.0, 1.0], [2.0, 0.0, 1.0]], dtype=torch.float64)
    z = values - values.mean()
    total = 0.0
    for i in range(3):
        for j in range(3):
            for di, dj in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
                total += z[i, j] * z[(i + di) % 3, (j + dj) % 3]
    expected = (9 / (4 * 9)) * total / (z**2).sum()
    assert math.isclose(morans_i(values), float(expected), rel_tol=1e-9)


def test_morans_i_is_high_for_smooth_maps_near_zero_when_shuffled_and_minus_one_for_a_checkerboard():
    y, x = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    smooth = torch.cos(2 * math.pi * x / 16) + torch.cos(2 * math.pi * y / 16)
    assert morans_i(smooth) > 0.9
    null = morans_i_null(smooth, permutations=200, seed=0)
    assert abs(null.mean().item()) < 0.02 and null.max() < 0.3
    checkerboard = ((x + y) % 2).float()
    assert math.isclose(morans_i(checkerboard), -1.0, abs_tol=1e-12)


def test_torus_kernel_is_a_circular_square():
    kernel = torus_kernel(8, 3)
    assert kernel.shape == (8, 8) and kernel.sum() == 9
    assert kernel[[0, 1, 7]][:, [0, 1, 7]].sum() == 9
    with pytest.raises(ValueError, match="odd"):
        torus_kernel(8, 4)


def test_topographic_map_t_pools_a_square_of_u_squared():
    torch.manual_seed(0)
    model = TopographicMapVAE(grid=6, width=3, mu_init=2.0, hidden=32, image_shape=(1, 8, 8))
    x = torch.rand(3, 1, 8, 8)
    out = model.latents(x)
    z, u = out["z"], out["u"]
    pooled = torch.zeros_like(u)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            pooled += torch.roll(u**2, shifts=(di, dj), dims=(1, 2))
    torch.testing.assert_close(out["t"], (z + 2.0) / torch.sqrt(pooled + 1e-6))
    kernel = torus_kernel(6, 3)
    torch.testing.assert_close(out["t"], topographic_variable(z[:, :, None], u[:, :, None], kernel, 2.0)[:, :, 0])


@pytest.mark.parametrize("topographic", [True, False])
def test_topographic_map_vae_trains(topographic):
    torch.manual_seed(0)
    images, _, _ = category_images(8, size=16, seed=0)
    model = TopographicMapVAE(grid=4, width=3, topographic=topographic, hidden=32, image_shape=(1, 16, 16))
    first, last = loss_before_and_after(model, lambda: model.loss(images)[0], steps=40)
    assert torch.isfinite(first) and last < 0.8 * first
    assert model.decode(model.latents(images)["t"]).shape == images.shape


def test_a_frozen_feature_extractor_can_be_plugged_in():
    stand_in = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 12))  # e.g. AlexNet's fc6 in real use
    model = TopographicMapVAE(grid=4, width=3, hidden=16, image_shape=(1, 8, 8), features=stand_in, feature_size=12)
    x = torch.rand(5, 1, 8, 8)
    loss, metrics = model.loss(x)
    loss.backward()
    assert all(p.grad is None for p in stand_in.parameters())  # the extractor stays frozen
    assert model.latents(x)["t"].shape == (5, 4, 4) and model.decode(model.latents(x)["t"]).shape == (5, 12)
    assert math.isfinite(metrics["nll"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: category_images(0), "per_class"),
        (lambda: category_images(2, size=8), "size"),
        (lambda: cohens_d(torch.zeros(4, 3), torch.zeros(5), 0), r"\(N, U\)"),
        (lambda: cohens_d(torch.zeros(4, 3), torch.tensor([0, 1, 1, 1]), 0), "at least 2"),
        (lambda: morans_i(torch.zeros(2, 5)), "H, W >= 3"),
        (lambda: morans_i(torch.ones(4, 4)), "constant"),
        (lambda: TopographicMapVAE(image_shape=(1, 30, 30)), "multiple of 4"),
        (lambda: TopographicMapVAE(features=torch.nn.Identity()), "together"),
        (
            lambda: TopographicMapVAE(grid=4, width=3, hidden=8, image_shape=(1, 8, 8)).loss(torch.zeros(2, 8, 8)),
            "images",
        ),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
