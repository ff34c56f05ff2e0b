"""Two-dimensional toy densities for flows, deterministic for a given seed.

Each sampler returns ``(n, 2)`` float32 points, roughly centred and scaled to [-4, 4]
(the conventions of the flow literature, e.g. Grathwohl et al. 2019, FFJORD).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def two_moons(n: int, seed: int = 0, noise: float = 0.1) -> torch.Tensor:
    """Two interleaved half circles."""
    g = _generator(seed)
    upper = torch.rand(n, generator=g) < 0.5
    angle = torch.rand(n, generator=g) * math.pi
    x = torch.where(upper, torch.cos(angle), 1 - torch.cos(angle))
    y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
    points = torch.stack([x - 0.5, y - 0.25], dim=1) * 2.0
    return (points + noise * torch.randn(n, 2, generator=g)).float()


def rings(n: int, seed: int = 0, radii: tuple[float, ...] = (1.0, 2.0, 3.0), noise: float = 0.08) -> torch.Tensor:
    """Concentric circles, points spread in proportion to circumference."""
    g = _generator(seed)
    weights = torch.tensor(radii)
    ring = torch.multinomial(weights / weights.sum(), n, replacement=True, generator=g)
    radius = weights[ring] + noise * torch.randn(n, generator=g)
    angle = torch.rand(n, generator=g) * 2 * math.pi
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1).float()


def checkerboard(n: int, seed: int = 0) -> torch.Tensor:
    """Uniform over the black squares of a 4 x 4 board on [-4, 4]^2."""
    g = _generator(seed)
    cell_x = torch.randint(0, 4, (n,), generator=g)
    cell_y = torch.randint(0, 2, (n,), generator=g) * 2 + (cell_x % 2)
    corner = torch.stack([cell_x, cell_y], dim=1).float() * 2 - 4
    return (corner + 2 * torch.rand(n, 2, generator=g)).float()


def eight_gaussians(n: int, seed: int = 0, radius: float = 3.0, std: float = 0.3) -> torch.Tensor:
    """A mixture of 8 equal Gaussians on a circle."""
    g = _generator(seed)
    angle = torch.randint(0, 8, (n,), generator=g).float() * (2 * math.pi / 8)
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return (centres + std * torch.randn(n, 2, generator=g)).float()


TOY_DENSITIES: dict[str, Callable[..., torch.Tensor]] = {
    "two_moons": two_moons,
    "rings": rings,
    "checkerboard": checkerboard,
    "eight_gaussians": eight_gaussians,
}


def toy_density(name: str, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` points ``(n, 2)`` from the named toy density (see ``TOY_DENSITIES``)."""
    if name not in TOY_DENSITIES:
        raise ValueError(f"unknown toy density {name!r}; choose one of {sorted(TOY_DENSITIES)}")
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return TOY_DENSITIES[name](n, seed=seed)
