"""Topographic VAEs (Keller & Welling, NeurIPS 2021, arXiv 2109.01394).

A Gaussian scale mixture gives a *topographic* latent: with Z, U ~ N(0, I),

    T = (Z + mu) / sqrt(W * U^2 + eps)                                           (paper eq. 5, 8)

where ``W * U^2`` sums the squares of U over a neighbourhood. Units that share a
neighbourhood share a variance, so their activations rise and fall together. Here the latent
of every frame of a sequence is split into ``C`` capsules of ``D`` units, and the
neighbourhood runs over (time offset, position-in-capsule offset), circular in both: unit
``d`` of frame ``t`` pools ``U^2`` at ``(t + dt, d + dc)`` for ``|dt| <= L`` and
``|dc - dt| <= n``. The diagonal band "one frame later, one unit further" makes a capsule's
activation pattern *roll* by one unit per frame, so a transformation of the input that runs
through its cycle in ``D`` frames becomes a cyclic shift of the capsule: the TVAE learns
equivariant capsules from temporal coherence alone.

Variants (the paper's table 1 baselines):

- ``"tvae"``: the rolling band above; ``coherence = 0`` is the "L = 0" TVAE (one frame);
- ``"bubbles"``: the authors' bubbles baseline, a fixed window of ``2n + 1`` units over the time
  window, coherence without the roll (their scripts: 5 frames x 3 units on MNIST);
- ``"bubbles_capsule"``: the window widened to the whole capsule, which makes capsules nearly flat
  (not a baseline of the paper; it shows how a flat capsule games the equivariance error);
- ``"vae"``: ``T = Z``, no U, the same encoder and decoder.

Tensors: sequences ``(B, S, channels, H, W)``; latents ``(B, S, C, D)``.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from eqlib.nn.topographic import topographic_kernel, topographic_variable

KINDS = ("tvae", "bubbles", "bubbles_capsule", "vae")
_POOLING = {"tvae": "roll", "bubbles": "window", "bubbles_capsule": "capsule"}
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _normal_log_prob(x: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    return -0.5 * (log_var + (x - mean) ** 2 / log_var.exp()) - _HALF_LOG_2PI


LOG_VAR_RANGE = (-12.0, 8.0)  # posterior log-variances are clamped here, so exp() stays finite


def reparameterise(mean: torch.Tensor, log_var: torch.Tensor, sample: bool = True) -> torch.Tensor:
    """``mean + eps * exp(log_var / 2)`` with ``eps ~ N(0, I)``, or the mean when ``sample`` is False."""
    if not sample:
        return mean.clone()
    return mean + torch.randn_like(mean) * (0.5 * log_var).exp()


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """``KL(N(mean, exp(log_var)) || N(0, 1))`` elementwise."""
    return 0.5 * (log_var.exp() + mean**2 - 1.0 - log_var)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class TopographicVAE(nn.Module):
    """A TVAE (or its baselines) over sequences of frames, with per-frame MLP encoders and decoder.

    Args:
        capsules, capsule_size: the latent of a frame is ``capsules x capsule_size`` (C x D).
        frames: sequence length S the kernel is built for (S = D makes one cycle one roll).
        kind: one of ``KINDS`` (see the module docstring).
        coherence: L, the time half-width of the neighbourhood (``2L + 1`` frames).
        n: the band half-width in capsule units (n = 1: K = 3 units per frame).
        mu_init: initial value of the learnable shift ``mu``.
        image_shape: ``(channels, H, W)`` of a frame; pixels in [0, 1], Bernoulli likelihood.
    """

    def __init__(
        self,
        capsules: int,
        capsule_size: int,
        frames: int,
        kind: str = "tvae",
        coherence: int = 2,
        n: int = 1,
        mu_init: float = 10.0,
        hidden: int = 512,
        image_shape: tuple[int, int, int] = (3, 28, 28),
    ) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind, self.capsules, self.capsule_size, self.frames = kind, capsules, capsule_size, frames
        self.image_shape = tuple(image_shape)
        pixels, latent = math.prod(image_shape), capsules * capsule_size
        self.z_encoder = _mlp([pixels, hidden, hidden, 2 * latent])
        self.decoder = _mlp([latent, hidden, hidden, pixels])
        if kind == "vae":
            self.register_buffer("kernel", torch.zeros(frames, capsule_size))
        else:
            self.u_encoder = _mlp([pixels, hidden, hidden, 2 * latent])
            self.mu = nn.Parameter(torch.tensor(float(mu_init)))
            self.register_buffer("kernel", topographic_kernel(frames, capsule_size, coherence, n, _POOLING[kind]))

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() != 5 or x.shape[1] != self.frames or tuple(x.shape[2:]) != self.image_shape:
            raise ValueError(
                f"expected sequences of shape (B, {self.frames}, {', '.join(map(str, self.image_shape))}), "
                f"got {tuple(x.shape)}"
            )

    def _posterior(self, encoder: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance ``(B, S, C, D)`` of a per-frame Gaussian posterior."""
        out = encoder(x.flatten(2)).view(*x.shape[:2], 2, self.capsules, self.capsule_size)
        return out[:, :, 0], out[:, :, 1].clamp(*LOG_VAR_RANGE)

    def decode_logits(self, t: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of the frames ``(..., channels, H, W)`` for latents ``(..., C, D)``."""
        return self.decoder(t.flatten(-2)).view(*t.shape[:-2], *self.image_shape)

    def decode(self, t: torch.Tensor) -> torch.Tensor:
        """Pixel means in [0, 1] for latents ``(..., C, D)``."""
        return torch.sigmoid(self.decode_logits(t))

    def latents(self, x: torch.Tensor, sample: bool = True) -> dict[str, torch.Tensor]:
        """Posterior parameters, the (sampled or mean) Z and U, and T, each ``(B, S, C, D)``."""
        self._check(x)
        out: dict[str, torch.Tensor] = {}
        out["z_mean"], out["z_log_var"] = self._posterior(self.z_encoder, x)
        out["z"] = reparameterise(out["z_mean"], out["z_log_var"], sample)
        if self.kind == "vae":
            out["t"] = out["z"]
            return out
        out["u_mean"], out["u_log_var"] = self._posterior(self.u_encoder, x)
        out["u"] = reparameterise(out["u_mean"], out["u_log_var"], sample)
        out["t"] = topographic_variable(out["z"], out["u"], self.kernel, self.mu)
        return out

    def _reconstruction_nll(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``-log p(x | t)`` summed over the frames and pixels of each sequence, ``(B,)``."""
        nll = F.binary_cross_entropy_with_logits(self.decode_logits(t), x, reduction="none")
        return nll.flatten(1).sum(1)

    def loss(self, x: torch.Tensor, kl_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
        """Negative ELBO per frame in nats, averaged over the batch: ``E_q[-log p(x|t)] + KL_z + KL_u``.

        ``kl_weight`` < 1 down-weights the KL terms (a warm-up); the logged metrics are unweighted.
        """
        out = self.latents(x)
        nll = self._reconstruction_nll(x, out["t"])
        kl = gaussian_kl(out["z_mean"], out["z_log_var"]).flatten(1).sum(1)
        if self.kind != "vae":
            kl = kl + gaussian_kl(out["u_mean"], out["u_log_var"]).flatten(1).sum(1)
        frames = x.shape[1]
        metrics = {"nll": nll.mean().item() / frames, "kl": kl.mean().item() / frames}
        return (nll + kl_weight * kl).mean() / frames, metrics

    def frame_log_weights(self, x: torch.Tensor, samples: int, chunk: int = 64) -> torch.Tensor:
        """Importance-sampling log-weights split over frames, ``(K, B, S)``, with the posterior as proposal.

        For draw ``k`` and frame ``t``: ``log p(x_t | t_t) + log p(z_t) + log p(u_t) - log q(z_t | x_t)
        - log q(u_t | x_t)`` at ``z, u ~ q``. Summed over ``t`` it is the log-weight of the whole
        sequence, since ``p(x | t)``, the priors and the posteriors all factorise over frames (``T_t``
        itself does not: it pools ``U`` of neighbouring frames). The encoders run once; the ``K``
        draws are decoded ``chunk`` at a time.
        """
        if not isinstance(samples, int) or samples < 1:
            raise ValueError(f"samples must be a positive int, got {samples!r}")
        self._check(x)
        names = ("z",) if self.kind == "vae" else ("z", "u")
        posterior = {name: self._posterior(getattr(self, f"{name}_encoder"), x) for name in names}
        out = []
        for start in range(0, samples, chunk):
            k = min(chunk, samples - start)
            log_w = torch.zeros(k, *x.shape[:2], device=x.device)
            draws = {}
            for name, (mean, log_var) in posterior.items():
                mean, log_var = mean.expand(k, *mean.shape), log_var.expand(k, *log_var.shape)
                value = reparameterise(mean, log_var)
                draws[name] = value
                ratio = _normal_log_prob(value, torch.zeros_like(value), torch.zeros_like(value)) - _normal_log_prob(
                    value, mean, log_var
                )
                log_w = log_w + ratio.sum((-2, -1))
            if self.kind == "vae":
                t = draws["z"]
            else:
                shape = draws["z"].shape
                t = topographic_variable(draws["z"].flatten(0, 1), draws["u"].flatten(0, 1), self.kernel, self.mu).view(
                    shape
                )
            logits = self.decode_logits(t)
            target = x.expand(k, *x.shape)
            nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(3).sum(-1)
            out.append(log_w - nll)
        return torch.cat(out)

    def log_importance_weight(self, x: torch.Tensor) -> torch.Tensor:
        """One importance-sampling log-weight per sequence, ``(B,)``, with the posterior as proposal:

        ``log p(x | t) + log p(z) + log p(u) - log q(z | x) - log q(u | x)`` at ``z, u ~ q``.
        """
        return self.frame_log_weights(x, 1)[0].sum(-1)
