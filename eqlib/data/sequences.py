"""Sequences of one MNIST digit under a cyclic transformation (Topographic VAE data).

Following Keller & Welling 2021 (arXiv 2109.01394), the digit sits in the red channel of an
RGB image, and each sequence applies one transformation in equal steps over a full cycle:

- ``"rotation"``: rotation by ``360 / S`` degrees per frame;
- ``"colour"``: the hue turns by ``360 / S`` degrees per frame (red, yellow, green, ...);
- ``"scale"``: the size grows in equal log steps, ``exp(a (2k / S - 1))``, then starts small
  again. (A size that grew and then shrank would show each size twice per cycle, and no
  per-frame encoder could tell the two frames apart to roll a capsule through them.)

With ``S`` frames and capsules of ``S`` units, one full cycle of the input corresponds to
one full roll of a capsule. Each sequence starts at a random phase of its cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

TRANSFORMATIONS = ("rotation", "colour", "scale")
SCALE_AMPLITUDE = 0.3  # log-scale range: sizes from exp(-0.3) = 0.74 up to (not including) exp(0.3) = 1.35


def _require_images(images: torch.Tensor, channels: int | None = None) -> None:
    if images.dim() != 4 or (channels is not None and images.shape[1] != channels):
        want = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
        raise ValueError(f"images must have shape {want}, got {tuple(images.shape)}")


def hue_rgb(degrees: torch.Tensor) -> torch.Tensor:
    """The fully saturated, full-value RGB colour of each hue, ``(N,)`` degrees -> ``(N, 3)``.

    HSV to RGB with S = V = 1: channel ``c`` is ``clamp(|((h / 60 + offset_c) mod 6) - 3| - 1, 0, 1)``
    with offsets 0, 4, 2 for red, green, blue; hue 0 is pure red.
    """
    offsets = torch.tensor([0.0, 4.0, 2.0], device=degrees.device)
    position = (degrees[:, None] / 60.0 + offsets) % 6.0
    return ((position - 3.0).abs() - 1.0).clamp(0.0, 1.0)


def colourise(gray: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Paint grey digits ``(N, 1, H, W)`` in the hues ``(N,)`` -> RGB ``(N, 3, H, W)``; hue 0 = red channel only."""
    _require_images(gray, channels=1)
    return gray * hue_rgb(degrees)[:, :, None, None]


def affine(images: torch.Tensor, degrees: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """Rotate images ``(N, C, H, W)`` counter-clockwise by ``degrees`` and scale them by ``scales`` about the centre.

    Bilinear resampling, zeros outside the image.
    """
    _require_images(images)
    angle = torch.deg2rad(degrees)
    cos, sin = torch.cos(angle) / scales, torch.sin(angle) / scales
    # the grid maps output pixels to input pixels, so it holds the inverse transformation
    theta = torch.stack(
        [torch.stack([cos, -sin, torch.zeros_like(cos)], 1), torch.stack([sin, cos, torch.zeros_like(cos)], 1)], 1
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def frame_parameters(kind: str, phase: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rotation (degrees), hue (degrees) and scale for the frames at cycle positions ``phase`` ``(N,)`` of ``length``."""
    if kind not in TRANSFORMATIONS:
        raise ValueError(f"transformation must be one of {TRANSFORMATIONS}, got {kind!r}")
    turn = 360.0 * phase.float() / length
    zero, one = torch.zeros_like(turn), torch.ones_like(turn)
    if kind == "rotation":
        return turn, zero, one
    if kind == "colour":
        return zero, turn, one
    position = (phase % length).float() / length
    return zero, zero, torch.exp(SCALE_AMPLITUDE * (2.0 * position - 1.0))


@dataclass
class TransformedSequences:
    """Sequences of transformed digits.

    Attributes:
        frames: ``(N, S, 3, H, W)`` float images in [0, 1].
        labels: ``(N,)`` digit classes.
        kinds: ``(N,)`` index into ``TRANSFORMATIONS`` of each sequence's transformation.
        phases: ``(N,)`` cycle position of the first frame, in ``0 .. S - 1``.
    """

    frames: torch.Tensor
    labels: torch.Tensor
    kinds: torch.Tensor
    phases: torch.Tensor

    def __len__(self) -> int:
        return self.frames.shape[0]

    @property
    def length(self) -> int:
        return self.frames.shape[1]


def transform_digits(gray: torch.Tensor, kind: str, phase: torch.Tensor, length: int) -> torch.Tensor:
    """Grey digits ``(N, 1, H, W)`` at cycle positions ``phase`` ``(N,)`` of ``kind`` -> RGB ``(N, 3, H, W)``."""
    degrees, hue, scale = frame_parameters(kind, phase, length)
    return affine(colourise(gray, hue), degrees, scale)


def transformed_sequences(
    gray: torch.Tensor,
    labels: torch.Tensor,
    length: int,
    transformations: tuple[str, ...] = ("rotation",),
    seed: int = 0,
) -> TransformedSequences:
    """One sequence of ``length`` frames per digit; the transformation of each is drawn from ``transformations``.

    Args:
        gray: ``(N, 1, H, W)`` digits in [0, 1] (``eqlib.data.mnist_tensors``).
        labels: ``(N,)`` digit classes.
        length: frames per sequence = steps per full cycle (use the capsule size).
        transformations: names from ``TRANSFORMATIONS``; pass a name left out of training to
            build a held-out test set for generalisation.
    """
    _require_images(gray, channels=1)
    if labels.shape != (gray.shape[0],):
        raise ValueError(f"labels must have shape ({gray.shape[0]},), got {tuple(labels.shape)}")
    if not isinstance(length, int) or length < 2:
        raise ValueError(f"length must be an int >= 2, got {length!r}")
    if not transformations or any(t not in TRANSFORMATIONS for t in transformations):
        raise ValueError(f"transformations must be a non-empty subset of {TRANSFORMATIONS}, got {transformations!r}")
    g = torch.Generator().manual_seed(seed)
    n = gray.shape[0]
    kinds = torch.tensor([TRANSFORMATIONS.index(t) for t in transformations])[
        torch.randint(len(transformations), (n,), generator=g)
    ]
    phases = torch.randint(length, (n,), generator=g)
    frames = torch.empty(n, length, 3, *gray.shape[2:])
    for kind_index in kinds.unique().tolist():
        rows = torch.nonzero(kinds == kind_index).flatten()
        for step in range(length):
            frames[rows, step] = transform_digits(
                gray[rows], TRANSFORMATIONS[kind_index], (phases[rows] + step) % length, length
            )
    return TransformedSequences(frames.clamp(0.0, 1.0), labels.clone(), kinds, phases)
