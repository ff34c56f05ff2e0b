"""The topographic latent of Topographic VAEs (Keller & Welling, NeurIPS 2021, arXiv 2109.01394).

A Gaussian scale mixture: with Z, U ~ N(0, I), ``T = (Z + mu) / sqrt(W * U^2 + eps)``, where
``W * U^2`` sums the squares of U over a neighbourhood (paper eq. 5, 8). Here the latent of
each frame of a sequence is ``C`` capsules of ``D`` units, and the neighbourhood runs over
(time offset, position-in-capsule offset), circular in both.

Tensors: ``(B, S, C, D)`` for B sequences of S frames.
"""

from __future__ import annotations

import torch

POOLINGS = ("roll", "window", "capsule")


def topographic_kernel(
    frames: int, capsule_size: int, coherence: int, n: int = 1, pooling: str = "roll"
) -> torch.Tensor:
    """The 0/1 neighbourhood ``W`` over circular (time offset, capsule offset), shape ``(frames, capsule_size)``.

    ``W[dt mod S, dc mod D] = 1`` for ``|dt| <= coherence`` and

    - ``pooling="roll"`` (the TVAE): ``|dc - dt| <= n``, a band of ``2n + 1`` units that moves one unit
      per frame;
    - ``pooling="window"`` (the paper's "bubbles" baseline): ``|dc| <= n``, a fixed window of ``2n + 1``
      units, the same at every time offset. The authors' bubbles scripts pool a ``k_time x k_space``
      box of ones (5 x 3 on MNIST), i.e. ``coherence = 2, n = 1``;
    - ``pooling="capsule"``: every ``dc``, the whole capsule (a variant that makes capsules nearly flat).
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if frames < 1 or capsule_size < 1:
        raise ValueError(f"frames and capsule_size must be >= 1, got {frames}, {capsule_size}")
    if coherence < 0 or 2 * coherence + 1 > frames:
        raise ValueError(f"coherence L must satisfy 0 <= 2L + 1 <= frames = {frames}, got L = {coherence}")
    if n < 0 or 2 * n + 1 > capsule_size:
        raise ValueError(f"n must satisfy 0 <= 2n + 1 <= capsule_size = {capsule_size}, got n = {n}")
    kernel = torch.zeros(frames, capsule_size)
    for dt in range(-coherence, coherence + 1):
        if pooling == "capsule":
            kernel[dt % frames] = 1.0
            continue
        centre = dt if pooling == "roll" else 0
        for dc in range(centre - n, centre + n + 1):
            kernel[dt % frames, dc % capsule_size] = 1.0
    return kernel


def topographic_variance(u_squared: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``W * U^2``: for each unit the sum of ``U^2`` over its neighbourhood, ``(B, S, C, D)`` -> ``(B, S, C, D)``.

    ``out[b, t, c, d] = sum_{dt, dc} W[dt, dc] U^2[b, (t + dt) mod S, c, (d + dc) mod D]``.
    """
    if u_squared.dim() != 4 or tuple(u_squared.shape[1::2]) != tuple(kernel.shape):
        raise ValueError(
            f"expected U^2 of shape (B, S, C, D) with (S, D) = {tuple(kernel.shape)}, got {tuple(u_squared.shape)}"
        )
    out = torch.zeros_like(u_squared)
    for dt, dc in torch.nonzero(kernel).tolist():
        out = out + torch.roll(u_squared, shifts=(-dt, -dc), dims=(1, 3))
    return out


def topographic_variable(
    z: torch.Tensor, u: torch.Tensor, kernel: torch.Tensor, mu: torch.Tensor | float, eps: float = 1e-6
) -> torch.Tensor:
    """``T = (Z + mu) / sqrt(W * U^2 + eps)`` for ``z, u`` of shape ``(B, S, C, D)``."""
    if z.shape != u.shape:
        raise ValueError(f"z and u must share a shape, got {tuple(z.shape)} and {tuple(u.shape)}")
    return (z + mu) / torch.sqrt(topographic_variance(u**2, kernel) + eps)


def roll_capsules(t: torch.Tensor, shift: int) -> torch.Tensor:
    """Roll every capsule (last dim) by ``shift`` units: ``Roll^shift``, ``(..., C, D)``."""
    return torch.roll(t, shifts=shift, dims=-1)


def torus_kernel(grid: int, width: int) -> torch.Tensor:
    """All-ones square neighbourhood of ``width x width`` units on a ``grid x grid`` torus, ``(grid, grid)``.

    ``W[di mod grid, dj mod grid] = 1`` for ``|di|, |dj| <= width // 2``. Used with
    ``topographic_variance`` on latents shaped ``(B, grid, 1, grid)``: a 2-D topographic map
    without a time axis (Keller, Gao, Welling 2021, arXiv 2110.13911).
    """
    if not isinstance(width, int) or width < 1 or width % 2 == 0 or width > grid:
        raise ValueError(f"width must be an odd int in [1, grid = {grid}], got {width!r}")
    kernel = torch.zeros(grid, grid)
    half = width // 2
    for di in range(-half, half + 1):
        for dj in range(-half, half + 1):
            kernel[di % grid, dj % grid] = 1.0
    return kernel
