"""Group actions on images and feature maps, and how far a map is from respecting them.

Conventions (shapes):
    image or plain feature map   ``(..., H, W)``
    C4 feature field             ``(B, C, 4, H, W)``: one spatial map per rotation (the "fiber")

A map ``f`` is *equivariant* when ``f(g . x) = rho(g) f(x)`` for every group element ``g``
(``rho`` is the action on the output) and *invariant* when ``rho`` is the identity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

#: The elements of the rotation group C4, as numbers of quarter turns (counter-clockwise).
C4: tuple[int, ...] = (0, 1, 2, 3)

Action = Callable[[torch.Tensor, Any], torch.Tensor]


def _require_spatial(x: torch.Tensor, name: str, min_dims: int = 2) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} expects a torch.Tensor, got {type(x).__name__}")
    if x.dim() < min_dims:
        raise ValueError(
            f"{name} expects a tensor with at least {min_dims} dims (..., H, W), got shape {tuple(x.shape)}"
        )


def rotate(x: torch.Tensor, k: int) -> torch.Tensor:
    """Rotate images ``(..., H, W)`` by ``k`` quarter turns counter-clockwise (exact, no interpolation)."""
    _require_spatial(x, "rotate")
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"rotate needs square images so that C4 acts on the grid, got H, W = {tuple(x.shape[-2:])}")
    return torch.rot90(x, int(k) % 4, dims=(-2, -1))


def rotate_field(y: torch.Tensor, k: int) -> torch.Tensor:
    """Action of C4 on a C4 feature field ``(B, C, 4, H, W)``.

    A rotation by ``k`` quarter turns rotates every spatial map and cyclically shifts the
    group axis by ``k``: ``[rho(k) y]_r = rot_k(y_{r-k})``.
    """
    _require_spatial(y, "rotate_field", min_dims=3)
    if y.shape[-3] != 4:
        raise ValueError(f"rotate_field expects a group axis of size 4 at dim -3, got shape {tuple(y.shape)}")
    return torch.roll(rotate(y, k), shifts=int(k) % 4, dims=-3)


def flip(x: torch.Tensor, flipped: bool | int = True) -> torch.Tensor:
    """Mirror images ``(..., H, W)`` left-right when ``flipped`` (the group Z2 = {0, 1})."""
    _require_spatial(x, "flip")
    return torch.flip(x, dims=(-1,)) if int(flipped) % 2 else x


def shift(x: torch.Tensor, offset: Sequence[int]) -> torch.Tensor:
    """Cyclically translate images ``(..., H, W)`` by ``offset = (dy, dx)`` pixels (wrapping around)."""
    _require_spatial(x, "shift")
    if len(offset) != 2:
        raise ValueError(f"shift expects an offset (dy, dx), got {offset!r}")
    return torch.roll(x, shifts=(int(offset[0]), int(offset[1])), dims=(-2, -1))


def identity(y: torch.Tensor, _element: Any = None) -> torch.Tensor:
    """The trivial action: every element leaves ``y`` unchanged (used for invariance)."""
    return y


def random_rotations(x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each image of a batch ``(B, ..., H, W)`` by its own random multiple of 90 degrees.

    Returns the rotated batch and the quarter turns ``(B,)`` int64 that were applied.
    """
    _require_spatial(x, "random_rotations", min_dims=3)
    turns = torch.randint(0, 4, (x.shape[0],), generator=generator)
    return rotate_each(x, turns), turns


def rotate_by(x: torch.Tensor, degrees: float | torch.Tensor) -> torch.Tensor:
    """Rotate square images counter-clockwise about their centre by any angle, with bilinear resampling.

    ``x``: ``(..., H, H)`` floating point. ``degrees``: one number for every image, or a tensor
    ``(B,)`` with one angle per sample of ``x`` ``(B, ..., H, H)``. Returns a tensor of ``x``'s shape;
    pixels whose source falls outside the image are 0. This is ``SO(2)`` acting on the grid only
    approximately: interpolation blurs, and the corners are cut. At multiples of 90 degrees the
    sampling points land on pixel centres, so the result equals ``rotate`` (``torch.rot90``) up to
    float rounding (about 1e-6), and at 0 degrees it is the identity.
    """
    _require_spatial(x, "rotate_by")
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"rotate_by needs square images, got H, W = {tuple(x.shape[-2:])}")
    if not x.is_floating_point():
        raise ValueError(f"rotate_by interpolates, so it needs floating point images, got dtype {x.dtype}")
    size = x.shape[-1]
    if isinstance(degrees, torch.Tensor) and degrees.dim() > 0:
        if x.dim() < 3 or degrees.shape != (x.shape[0],):
            raise ValueError(
                f"one angle per sample needs degrees of shape (B,) for x (B, ..., H, W); got degrees "
                f"{tuple(degrees.shape)} for x {tuple(x.shape)}"
            )
        batch = x.reshape(x.shape[0], -1, size, size)
        angle = torch.deg2rad(degrees.to(device=x.device, dtype=torch.float64))
    else:
        batch = x.reshape(1, -1, size, size)
        angle = torch.deg2rad(torch.as_tensor(float(degrees), dtype=torch.float64, device=x.device)).reshape(1)
    if not torch.isfinite(angle).all():
        raise ValueError("rotate_by needs finite angles")
    # the grid maps output pixels to input pixels (the inverse rotation), in (column, row) order with rows
    # pointing down; cos and sin in float64 so that quarter turns land on pixel centres
    cos, sin, zero = torch.cos(angle), torch.sin(angle), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1).to(x.dtype)
    grid = F.affine_grid(theta, [batch.shape[0], 1, size, size], align_corners=False)
    if grid.shape[0] != batch.shape[0]:
        grid = grid.expand(batch.shape[0], -1, -1, -1)
    out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.reshape(x.shape)


def random_angle_rotations(
    x: torch.Tensor, generator: torch.Generator | None = None, max_degrees: float = 360.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each image of a batch ``(B, ..., H, H)`` by its own angle, uniform in ``[0, max_degrees)``.

    Returns the rotated batch (``rotate_by``, bilinear) and the angles ``(B,)`` in degrees (float32).
    The same ``generator`` state gives the same angles (the MNIST-rot protocol: one fixed angle per digit).
    """
    _require_spatial(x, "random_angle_rotations", min_dims=3)
    if not 0.0 < max_degrees <= 360.0:
        raise ValueError(f"max_degrees must lie in (0, 360], got {max_degrees}")
    degrees = torch.rand(x.shape[0], generator=generator) * max_degrees
    return rotate_by(x, degrees), degrees


def relative_errors(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    act_in: Action,
    act_out: Action,
    elements: Iterable[Any],
) -> torch.Tensor:
    """Relative equivariance errors ``(len(elements),)``, left on the device ``f`` computes on.

    ``err(g) = ||f(g.x) - rho(g) f(x)|| / ||rho(g) f(x)||`` with Frobenius norms over the
    whole batch; 0 means exactly equivariant. ``act_in(x, g)`` acts on inputs,
    ``act_out(y, g)`` on outputs (``identity`` for invariance). ``x`` must sit where ``f``'s
    weights do (``runtime.device_of(model)``); nothing is copied to the CPU here.
    """
    elements = list(elements)
    if not elements:
        raise ValueError("relative_errors needs at least one group element")
    with torch.no_grad():
        fx = f(x)
        errors = []
        for g in elements:
            expected = act_out(fx, g)
            got = f(act_in(x, g))
            if got.shape != expected.shape:
                raise ValueError(
                    f"f(g.x) has shape {tuple(got.shape)} but rho(g) f(x) has {tuple(expected.shape)}; "
                    "is act_out the right action for f's output?"
                )
            errors.append((got - expected).norm() / expected.norm().clamp_min(1e-12))
    return torch.stack(errors)


def equivariance_errors(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    act_in: Action,
    act_out: Action,
    elements: Iterable[Any],
) -> dict[Any, float]:
    """Relative equivariance error of ``f`` for each group element (``relative_errors``), as floats.

    The one place the errors are copied to the CPU.
    """
    elements = list(elements)
    errors = relative_errors(f, x, act_in, act_out, elements).cpu().tolist()
    return dict(zip(elements, errors))


def equivariance_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    act_in: Action,
    act_out: Action,
    elements: Iterable[Any],
) -> float:
    """Worst relative equivariance error of ``f`` over ``elements`` (see ``equivariance_errors``)."""
    return max(equivariance_errors(f, x, act_in, act_out, elements).values())


def invariance_error(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, act_in: Action, elements: Iterable[Any]
) -> float:
    """Worst relative change ``||f(g.x) - f(x)|| / ||f(x)||`` over ``elements``."""
    return equivariance_error(f, x, act_in, identity, elements)


def rotate_each(x: torch.Tensor, turns: torch.Tensor, field: bool = False) -> torch.Tensor:
    """Rotate sample b of ``x`` by ``turns[b]`` quarter turns (``rotate_field`` when ``field``)."""
    if turns.shape != (x.shape[0],):
        raise ValueError(f"need one turn per sample: turns {tuple(turns.shape)} for batch {x.shape[0]}")
    act = rotate_field if field else rotate
    out = torch.empty_like(x)
    for k in C4:
        chosen = (turns % 4 == k).to(x.device)
        if chosen.any():
            out[chosen] = act(x[chosen], k)
    return out


def shift_each(x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Cyclically translate sample b of ``x (B, ..., H, W)`` by ``offsets[b] = (dy, dx)``."""
    _require_spatial(x, "shift_each", min_dims=3)
    if offsets.shape != (x.shape[0], 2):
        raise ValueError(f"need offsets (B, 2) for batch {x.shape[0]}, got {tuple(offsets.shape)}")
    height, width = x.shape[-2:]
    offsets = offsets.to(x.device)
    rows = (torch.arange(height, device=x.device) - offsets[:, :1]) % height  # (B, H)
    cols = (torch.arange(width, device=x.device) - offsets[:, 1:]) % width  # (B, W)
    flat = x.reshape(x.shape[0], -1, height, width)
    batch = torch.arange(x.shape[0], device=x.device)[:, None, None]
    moved = flat[batch, :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, rest)
    return moved.permute(0, 3, 1, 2).reshape(x.shape)
