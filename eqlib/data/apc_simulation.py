"""The synthetic benchmark of the APC paper (Wever, Keller, Symul, Garcia Satorras 2021, arXiv 2106.15577).

Each series has two inputs over ``length`` steps, driven by three latents drawn uniformly on
[0, 1] per series (the authors' ``datasets/data_simulation_function.R``):

- ``x_t = offset + 1 + cos(2 pi t / period) + N(0, sigma^2)`` with ``period = 5 + 15 * frequency``,
  a noisy cosine whose period encodes the *frequency* latent and whose level the *offset*;
- ``b_t ~ Bernoulli(rate)``, a binary series whose rate is the third latent;
- the label ``y = 1`` when ``sign(rate - 0.5) * sign(0.5 - frequency) > 0``: an XOR of two
  latents, so that no per-series mean of ``x`` or ``b`` reveals it, and the classifier has to
  read the period of ``x`` from its dynamics. The offset does not enter the label.

Missingness (entries dropped completely at random) and class imbalance (positives kept at a
chosen share) are applied on top, for the paper's sweep; the authors' repository generates
complete, balanced series only, so how the two are imposed here is this module's choice. The
authors simulate 400 series of 100 steps with ``sigma = 0.2``.
"""

from __future__ import annotations

import math

import torch

from eqlib.data.icu import ICUData

VARIABLES = ["b", "x"]


def _latents_and_labels(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    latents = torch.rand(n, 3, generator=g)  # rate, frequency, offset
    rate, frequency = latents[:, 0], latents[:, 1]
    labels = (torch.sign(rate - 0.5) * torch.sign(0.5 - frequency) > 0).float()
    return latents, labels


def apc_simulation(
    n: int = 400,
    seed: int = 0,
    length: int = 100,
    sigma: float = 0.2,
    missing_rate: float = 0.0,
    positive_rate: float = 0.5,
) -> ICUData:
    """``n`` simulated series ``(n, length, 2)`` (variables ``b``, ``x``), deterministic for a seed.

    Args:
        missing_rate: share of entries dropped completely at random, in [0, 1).
        positive_rate: share of positive series, in (0, 1); the balanced default is the XOR's own.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not 0.0 <= missing_rate < 1.0 or not 0.0 < positive_rate < 1.0:
        raise ValueError(
            f"missing_rate must lie in [0, 1) and positive_rate in (0, 1), got {missing_rate}, {positive_rate}"
        )
    if length < 2 or sigma < 0:
        raise ValueError(f"need length >= 2 and sigma >= 0, got {length}, {sigma}")
    g = torch.Generator().manual_seed(seed)
    positives = min(n - 1, max(1, round(n * positive_rate)))
    # draw a pool of balanced labels and keep the first `positives` positives and the first negatives
    pool = 4 * math.ceil(n / min(positive_rate, 1 - positive_rate))
    latents, labels = _latents_and_labels(pool, g)
    keep = torch.cat([torch.nonzero(labels == 1)[:positives, 0], torch.nonzero(labels == 0)[: n - positives, 0]])
    keep = keep[torch.randperm(n, generator=g)]
    latents, labels = latents[keep], labels[keep]
    rate, frequency, offset = latents.T
    t = torch.arange(1, length + 1, dtype=torch.float32)
    period = 5.0 + 15.0 * frequency[:, None]
    x = offset[:, None] + 1.0 + torch.cos(2 * math.pi * t / period) + sigma * torch.randn(n, length, generator=g)
    b = (torch.rand(n, length, generator=g) < rate[:, None]).float()
    values = torch.stack([b, x], dim=-1)
    mask = (torch.rand(values.shape, generator=g) >= missing_rate).float()
    return ICUData(values * mask, mask, labels, list(VARIABLES))
