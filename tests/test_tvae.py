"""Topographic VAE: transformed sequences, the topographic variable, the model and its metrics."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from _training import loss_before_and_after

from eqlib.data.sequences import (
    TRANSFORMATIONS,
    affine,
    colourise,
    hue_rgb,
    transform_digits,
    transformed_sequences,
)
from eqlib.metrics import (
    capsule_equivariance_error,
    per_frame_log_likelihood,
    sequence_log_likelihood,
)
from eqlib.models import TopographicVAE
from eqlib.nn import roll_capsules, topographic_kernel, topographic_variable, topographic_variance


def blob_digits(n: int = 4, size: int = 12) -> torch.Tensor:
    """Off-centre blobs ``(n, 1, size, size)``: every rotation, hue and scale of them differs."""
    g = torch.Generator().manual_seed(0)
    images = torch.zeros(n, 1, size, size)
    images[:, :, 2:6, 3:9] = torch.rand(n, 1, 4, 6, generator=g) * 0.5 + 0.5
    images[:, :, 6:10, 3:5] = 1.0
    return images


# --- data -------------------------------------------------------------------------------------


def test_hues_are_the_primary_colours_at_thirds_of_a_turn():
    rgb = hue_rgb(torch.tensor([0.0, 60.0, 120.0, 240.0, 360.0]))
    expected = torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])
    torch.testing.assert_close(rgb, expected)


def test_colourise_puts_hue_zero_in_the_red_channel_only():
    gray = blob_digits(2)
    red = colourise(gray, torch.zeros(2))
    torch.testing.assert_close(red[:, :1], gray)
    assert red[:, 1:].abs().max() == 0


def test_affine_quarter_turn_matches_rot90_and_identity_is_exact():
    images = blob_digits(3, size=10)
    same = affine(images, torch.zeros(3), torch.ones(3))
    torch.testing.assert_close(same, images, atol=1e-5, rtol=0)
    quarter = affine(images, torch.full((3,), 90.0), torch.ones(3))
    # counter-clockwise as displayed (row 0 on top), like numpy's rot90 over (rows, columns)
    torch.testing.assert_close(quarter, torch.rot90(images, 1, dims=(2, 3)), atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", TRANSFORMATIONS)
def test_a_sequence_steps_through_one_full_cycle(kind):
    gray, length = blob_digits(3), 6
    phase = torch.tensor([0, 2, 5])
    start = transform_digits(gray, kind, phase, length)
    after_cycle = transform_digits(gray, kind, phase + length, length)
    torch.testing.assert_close(after_cycle, start, atol=1e-5, rtol=0)
    halfway = transform_digits(gray, kind, phase + length // 2, length)
    assert (halfway - start).abs().amax(dim=(1, 2, 3)).min() > 0.1


def test_transformed_sequences_are_deterministic_and_follow_their_phase():
    gray, labels = blob_digits(6), torch.arange(6)
    a = transformed_sequences(gray, labels, 4, ("rotation", "colour", "scale"), seed=3)
    b = transformed_sequences(gray, labels, 4, ("rotation", "colour", "scale"), seed=3)
    c = transformed_sequences(gray, labels, 4, ("rotation", "colour", "scale"), seed=4)
    torch.testing.assert_close(a.frames, b.frames)
    assert not torch.equal(a.frames, c.frames)
    assert a.frames.shape == (6, 4, 3, 12, 12) and len(a) == 6 and a.length == 4
    for i in range(6):
        kind = TRANSFORMATIONS[int(a.kinds[i])]
        expected = transform_digits(gray[i : i + 1], kind, (a.phases[i : i + 1] + 2) % 4, 4)
        torch.testing.assert_close(a.frames[i, 2], expected[0].clamp(0, 1))


def test_a_held_out_transformation_gives_only_that_kind():
    data = transformed_sequences(blob_digits(5), torch.arange(5), 4, ("scale",), seed=0)
    assert (data.kinds == TRANSFORMATIONS.index("scale")).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: transformed_sequences(torch.zeros(2, 3, 8, 8), torch.zeros(2), 4), r"\(N, 1, H, W\)"),
        (lambda: transformed_sequences(torch.zeros(2, 1, 8, 8), torch.zeros(3), 4), "labels"),
        (lambda: transformed_sequences(torch.zeros(2, 1, 8, 8), torch.zeros(2), 1), "length"),
        (lambda: transformed_sequences(torch.zeros(2, 1, 8, 8), torch.zeros(2), 4, ("shear",)), "subset"),
        (lambda: transform_digits(torch.zeros(2, 1, 8, 8), "shear", torch.zeros(2), 4), "one of"),
    ],
)
def test_bad_sequence_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- the topographic variable -----------------------------------------------------------------


def loop_topographic_variable(z, u, frames, size, coherence, n, mu, pooling="roll", eps=1e-6):
    """T written with explicit loops over every unit and every neighbour (paper eq. 8)."""
    out = torch.empty_like(z)
    batch, _, capsules, _ = z.shape
    for b in range(batch):
        for t in range(frames):
            for c in range(capsules):
                for d in range(size):
                    total = 0.0
                    for dt in range(-coherence, coherence + 1):
                        offsets = {
                            "roll": range(dt - n, dt + n + 1),
                            "window": range(-n, n + 1),
                            "capsule": range(size),
                        }[pooling]
                        for dc in offsets:
                            total += u[b, (t + dt) % frames, c, (d + dc) % size].item() ** 2
                    out[b, t, c, d] = (z[b, t, c, d] + mu) / math.sqrt(total + eps)
    return out


@pytest.mark.parametrize(
    ("coherence", "n", "pooling"),
    [(1, 1, "roll"), (0, 1, "roll"), (2, 0, "roll"), (1, 1, "window"), (2, 2, "window"), (1, 1, "capsule")],
)
def test_topographic_variable_matches_a_direct_loop(coherence, n, pooling):
    g = torch.Generator().manual_seed(1)
    frames, capsules, size = 5, 2, 6
    z, u = torch.randn(2, frames, capsules, size, generator=g), torch.randn(2, frames, capsules, size, generator=g)
    kernel = topographic_kernel(frames, size, coherence, n, pooling)
    fast = topographic_variable(z, u, kernel, mu=1.5)
    slow = loop_topographic_variable(z, u, frames, size, coherence, n, 1.5, pooling=pooling)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)


def test_kernel_is_a_circular_diagonal_band():
    kernel = topographic_kernel(8, 8, coherence=2, n=1)
    assert kernel.shape == (8, 8)
    assert kernel.sum() == 5 * 3  # 2L + 1 frames, K = 2n + 1 units each
    assert (kernel.sum(dim=1)[[0, 1, 2, 6, 7]] == 3).all() and (kernel.sum(dim=1)[3:6] == 0).all()
    # one frame later the band sits one unit further along: offsets (1, 0..2), and circularly (-1, -2..0)
    assert kernel[1, :3].tolist() == [1, 1, 1] and kernel[1, 3:].sum() == 0
    assert kernel[7, [6, 7, 0]].tolist() == [1, 1, 1]
    assert topographic_kernel(8, 8, coherence=2, pooling="capsule").sum() == 5 * 8
    assert topographic_kernel(8, 8, coherence=0, n=1).sum() == 3


def authors_bubbles_variance(u_squared, k_time, k_space):
    """The pooling of the authors' Stationary_Capsules_1d as bubbles_mnist.py builds it: a circular pad,
    then an all-ones ConvTranspose3d over (time, capsule unit); ``(B, S, C, D)`` -> ``(B, S, C, D)``."""
    b, frames, capsules, size = u_squared.shape
    x = u_squared.permute(0, 2, 1, 3).reshape(b * capsules, 1, frames, size, 1)
    fix_t, fix_c = (k_time + 1) % 2, (k_space + 1) % 2
    x = F.pad(x, (0, 0, k_space // 2 - fix_c, k_space // 2, k_time // 2 - fix_t, k_time // 2), mode="circular")
    padding = (2 * (k_time // 2) - fix_t, 2 * (k_space // 2) - fix_c, 0)
    conv = torch.nn.ConvTranspose3d(1, 1, (k_time, k_space, 1), padding=padding, bias=False)
    torch.nn.init.ones_(conv.weight)
    with torch.no_grad():
        v = conv(x)
    return v.reshape(b, capsules, frames, size).permute(0, 2, 1, 3)


def test_bubbles_kernel_pools_as_the_authors_code_does():
    # bubbles_mnist.py: (k_time, k_space) = (5, 3) over 18 x 18 capsules -> L = 2, n = 1;
    # bubbles_dsprites.py: (5, 5) over 15 x 15 -> L = 2, n = 2
    g = torch.Generator().manual_seed(0)
    for (k_time, k_space), size in [((5, 3), 18), ((5, 5), 15)]:
        kernel = topographic_kernel(size, size, k_time // 2, k_space // 2, pooling="window")
        assert kernel.sum() == k_time * k_space
        u_squared = torch.rand(2, size, 3, size, generator=g)
        torch.testing.assert_close(
            topographic_variance(u_squared, kernel), authors_bubbles_variance(u_squared, k_time, k_space)
        )
    kernel = topographic_kernel(8, 8, coherence=2, n=1, pooling="window")
    # the same three units at every time offset: no roll
    assert all(kernel[dt % 8].nonzero().flatten().tolist() == [0, 1, 7] for dt in range(-2, 3))
    assert TopographicVAE(2, 8, 8, kind="bubbles", coherence=2, n=1, hidden=8, image_shape=(1, 4, 4)).kernel.equal(
        kernel
    )


def test_roll_capsules_shifts_units_cyclically():
    t = torch.arange(8.0).view(1, 1, 2, 4)
    assert roll_capsules(t, 1)[0, 0].tolist() == [[3, 0, 1, 2], [7, 4, 5, 6]]
    torch.testing.assert_close(roll_capsules(roll_capsules(t, 3), 1), t)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: topographic_kernel(4, 8, coherence=2), "coherence"),
        (lambda: topographic_kernel(8, 2, coherence=1, n=1), "n must"),
        (lambda: topographic_kernel(8, 8, coherence=1, pooling="flat"), "pooling"),
        (
            lambda: topographic_variable(torch.zeros(1, 4, 2, 4), torch.zeros(1, 4, 2, 5), torch.ones(4, 4), 1.0),
            "share",
        ),
        (
            lambda: topographic_variable(torch.zeros(1, 4, 2, 5), torch.zeros(1, 4, 2, 5), torch.ones(4, 4), 1.0),
            "(S, D)",
        ),
        (lambda: TopographicVAE(2, 4, 4, kind="ica"), "kind"),
        (
            lambda: TopographicVAE(2, 4, 4, coherence=1, image_shape=(1, 6, 6)).loss(torch.zeros(2, 3, 1, 6, 6)),
            "expected sequences",
        ),
        (lambda: capsule_equivariance_error(torch.zeros(2, 1, 3, 4)), "S >= 2"),
    ],
)
def test_bad_shapes_and_settings(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- model and metrics -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tvae", "bubbles", "bubbles_capsule", "vae"])
def test_elbo_is_finite_and_decreases_over_a_few_steps(kind):
    torch.manual_seed(0)
    frames = 4
    x = transformed_sequences(blob_digits(8), torch.arange(8), frames, seed=0).frames
    model = TopographicVAE(3, frames, frames, kind=kind, coherence=1, mu_init=5.0, hidden=64, image_shape=(3, 12, 12))
    first, last = loss_before_and_after(model, lambda: model.loss(x)[0], steps=30)
    assert torch.isfinite(first) and torch.isfinite(last)
    assert last < 0.9 * first
    assert model.latents(x)["t"].shape == (8, frames, 3, frames)


def test_vae_has_no_u_and_the_tvae_learns_mu():
    vae = TopographicVAE(2, 4, 4, kind="vae", hidden=16, image_shape=(1, 4, 4))
    tvae = TopographicVAE(2, 4, 4, kind="tvae", coherence=1, hidden=16, image_shape=(1, 4, 4), mu_init=7.0)
    assert not hasattr(vae, "u_encoder") and vae.kernel.sum() == 0
    assert tvae.mu.item() == 7.0
    # catches a mu that is a buffer, detached from T, or left out of the optimiser
    torch.manual_seed(0)
    optimizer = torch.optim.SGD(tvae.parameters(), lr=0.1)
    tvae.loss(torch.rand(3, 4, 1, 4, 4))[0].backward()
    assert tvae.mu.grad is not None and tvae.mu.grad.abs().sum() > 0
    optimizer.step()
    assert tvae.mu.item() != 7.0


def test_equivariance_error_is_zero_for_rolling_capsules_and_positive_when_scrambled():
    g = torch.Generator().manual_seed(0)
    base = torch.rand(5, 3, 6, generator=g) + 0.1  # (N, C, D), the capsules of frame 0
    rolling = torch.stack([roll_capsules(base, s) * (1 + s) for s in range(6)], dim=1)  # any scale per frame
    error = capsule_equivariance_error(rolling)
    assert error.total < 1e-5 and error.per_pair_capsule < 1e-6
    scrambled = rolling[..., torch.randperm(6, generator=g)]
    scrambled_error = capsule_equivariance_error(scrambled)
    assert scrambled_error.per_pair_capsule > 0.1
    pairs = 6 * 5 // 2
    assert math.isclose(scrambled_error.per_pair_capsule, scrambled_error.total / (pairs * 3), rel_tol=1e-6)


def test_equivariance_error_equals_a_direct_sum_over_pairs():
    t = torch.randn(3, 4, 2, 4, generator=torch.Generator().manual_seed(2))
    unit = t / t.norm(dim=-1, keepdim=True)
    direct = (
        sum(
            (torch.roll(unit[n, a], b - a, dims=-1) - unit[n, b]).abs().sum().item()
            for n in range(3)
            for a in range(4)
            for b in range(a + 1, 4)
        )
        / 3
    )
    assert math.isclose(capsule_equivariance_error(t).total, direct, rel_tol=1e-5)


@pytest.mark.parametrize("kind", ["tvae", "vae"])
def test_frame_log_weights_come_in_chunks_of_draws(kind):
    x = transformed_sequences(blob_digits(3), torch.arange(3), 4, seed=5).frames
    model = TopographicVAE(2, 4, 4, kind=kind, coherence=1, hidden=16, image_shape=(3, 12, 12), mu_init=3.0)
    with torch.no_grad():
        frame_w = model.frame_log_weights(x, 5, chunk=2)
    assert frame_w.shape == (5, 3, 4) and torch.isfinite(frame_w).all()
    assert frame_w.std(0).min() > 0  # five different draws, not one repeated
    with pytest.raises(ValueError, match="positive int"):
        model.frame_log_weights(x, 0)


def test_frame_log_weights_match_the_definition_at_given_draws():
    torch.manual_seed(0)
    x = transformed_sequences(blob_digits(2), torch.arange(2), 4, seed=6).frames
    model = TopographicVAE(2, 4, 4, coherence=1, hidden=16, image_shape=(3, 12, 12), mu_init=3.0)
    with torch.no_grad():
        torch.manual_seed(9)
        frame_w = model.frame_log_weights(x, 1)[0]
        torch.manual_seed(9)
        out = model.latents(x)  # the same draws: z first, then u, from the same generator state

        def log_normal(v, m, lv):
            return (-0.5 * (lv + (v - m) ** 2 / lv.exp()) - 0.5 * math.log(2 * math.pi)).sum((-2, -1))

        expected = (
            -F.binary_cross_entropy_with_logits(model.decode_logits(out["t"]), x, reduction="none").flatten(2).sum(-1)
        )
        for name in ("z", "u"):
            v = out[name]
            expected = expected + log_normal(v, torch.zeros_like(v), torch.zeros_like(v))
            expected = expected - log_normal(v, out[f"{name}_mean"], out[f"{name}_log_var"])
    torch.testing.assert_close(frame_w, expected, atol=1e-3, rtol=1e-5)


def test_sequence_and_per_frame_estimators():
    g = torch.Generator().manual_seed(0)
    log_w = torch.randn(7, 3, 4, generator=g)
    # one draw: both are the plain weight
    torch.testing.assert_close(sequence_log_likelihood(log_w[:1]), log_w[0].sum(-1))
    torch.testing.assert_close(per_frame_log_likelihood(log_w[:1]), log_w[0])
    # direct formulas
    joint = torch.log(torch.exp(log_w.sum(-1)).mean(0))
    frames = torch.log(torch.exp(log_w).mean(0))
    torch.testing.assert_close(sequence_log_likelihood(log_w), joint)
    torch.testing.assert_close(per_frame_log_likelihood(log_w), frames)
    # equal weights in every draw: both estimates are exact, and - log K is subtracted
    same = torch.full((10, 2, 3), -2.0)
    torch.testing.assert_close(sequence_log_likelihood(same), torch.full((2,), -6.0))
    with pytest.raises(ValueError, match=r"\(K, B, S\)"):
        sequence_log_likelihood(torch.zeros(3, 4))


def test_importance_sampling_subtracts_log_k():
    constant = torch.tensor([-3.0, -7.0])
    estimate = sequence_log_likelihood(constant.expand(10, 2)[..., None])  # K = 10 equal draws, one frame
    torch.testing.assert_close(estimate, constant)  # without "- log K" it would read constant + log 10


def test_importance_sampled_likelihood_bounds_the_elbo_from_above_on_average():
    torch.manual_seed(0)
    x = transformed_sequences(blob_digits(6), torch.arange(6), 4, seed=1).frames
    model = TopographicVAE(2, 4, 4, coherence=1, hidden=32, image_shape=(3, 12, 12), mu_init=3.0)
    with torch.no_grad():
        torch.manual_seed(3)
        elbo = torch.stack([model.log_importance_weight(x) for _ in range(200)]).mean()
        torch.manual_seed(4)
        estimate = sequence_log_likelihood(model.frame_log_weights(x, 50)).mean()
    assert torch.isfinite(estimate) and estimate > elbo


def test_kl_weight_scales_only_the_kl_terms():
    x = transformed_sequences(blob_digits(3), torch.arange(3), 4, seed=2).frames
    model = TopographicVAE(2, 4, 4, coherence=1, hidden=16, image_shape=(3, 12, 12))
    losses = {}
    for weight in (0.0, 0.5, 1.0):
        torch.manual_seed(7)
        losses[weight] = model.loss(x, kl_weight=weight)
    nll, kl = losses[1.0][1]["nll"], losses[1.0][1]["kl"]
    assert math.isclose(losses[0.0][0].item(), nll, rel_tol=1e-5)
    assert math.isclose(losses[0.5][0].item(), nll + 0.5 * kl, rel_tol=1e-5)
    assert math.isclose(losses[1.0][0].item(), nll + kl, rel_tol=1e-5) and kl > 0
