"""Three image classifiers that differ only in the symmetry they build in.

All three share one interface, so notebooks can treat them alike:
    ``features(x)``  the last feature maps, before any global pooling
    ``embed(x)``     a vector per image ``(B, D)`` (global max over positions) that the linear head reads
    ``forward(x)``   class logits ``(B, num_classes)``

``MLPNet``   no built-in symmetry; its features are reshaped to ``(B, C, S, S)`` maps.
``PlainCNN`` translation equivariant (circular padding makes it exact for cyclic shifts
             by multiples of the pooling stride), not rotation equivariant.
``P4CNN``    rotation (C4) and translation equivariant features ``(B, C, 4, S, S)``;
             its ``embed`` max-pools over the group axis and is exactly C4 invariant.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from eqlib.nn import C4BatchNorm, C4GroupConv2d, C4LiftingConv2d, c4_spatial_max_pool


def _check_images(x: torch.Tensor, channels: int, size: int, name: str) -> None:
    if x.dim() != 4 or x.shape[1] != channels or x.shape[-2:] != (size, size):
        raise ValueError(f"{name} expects images (B, {channels}, {size}, {size}), got shape {tuple(x.shape)}")


def _check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    widths = tuple(widths)
    if len(widths) != 3 or any(not isinstance(w, int) or w <= 0 for w in widths):
        raise ValueError(f"widths must be three positive ints (one per conv layer), got {widths!r}")
    return widths


class MLPNet(nn.Module):
    """Fully connected net whose hidden layer is read as ``(B, C, S, S)`` maps, S = image_size / 4."""

    def __init__(
        self, in_channels: int = 1, image_size: int = 28, hidden: int = 256, channels: int = 16, num_classes: int = 10
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {image_size}")
        self.in_channels, self.image_size, self.channels = in_channels, image_size, channels
        self.map_size = image_size // 4
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * image_size**2, hidden),
            nn.ReLU(),
            nn.Linear(hidden, channels * self.map_size**2),
            nn.ReLU(),
        )
        self.head = nn.Linear(channels, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in, N, N) -> (B, channels, N/4, N/4)``."""
        _check_images(x, self.in_channels, self.image_size, "MLPNet")
        return self.body(x).view(x.shape[0], self.channels, self.map_size, self.map_size)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).amax(dim=(-2, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


class PlainCNN(nn.Module):
    """Three 3x3 conv layers (BN, ReLU), 2x2 max-pool after the first two, global max, linear head."""

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        widths: Sequence[int] = (16, 32, 64),
        num_classes: int = 10,
        padding_mode: str = "circular",
    ) -> None:
        super().__init__()
        w1, w2, w3 = _check_widths(widths)
        self.in_channels, self.image_size = in_channels, image_size
        conv = {"kernel_size": 3, "padding": 1, "padding_mode": padding_mode}
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, w1, **conv), nn.BatchNorm2d(w1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w1, w2, **conv), nn.BatchNorm2d(w2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w2, w3, **conv), nn.BatchNorm2d(w3), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(w3, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in, N, N) -> (B, w3, N/4, N/4)``."""
        _check_images(x, self.in_channels, self.image_size, "PlainCNN")
        return self.body(x)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).amax(dim=(-2, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


class P4CNN(nn.Module):
    """C4 group CNN: lifting conv, two group convs, then invariant pooling and a linear head.

    ``fibers(x)`` gives the rotation-equivariant embedding ``(B, C, 4)``: a rotation of the
    input by k quarter turns rolls its group axis by k. ``embed(x)`` takes the max over that
    axis and is exactly invariant, which is what the classifier reads.
    """

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        widths: Sequence[int] = (8, 16, 32),
        num_classes: int = 10,
        padding_mode: str = "circular",
    ) -> None:
        super().__init__()
        w1, w2, w3 = _check_widths(widths)
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 so pooling keeps exact equivariance, got {image_size}")
        self.in_channels, self.image_size = in_channels, image_size
        self.lift = C4LiftingConv2d(in_channels, w1, 3, padding_mode=padding_mode)
        self.bn1 = C4BatchNorm(w1)
        self.gconv2 = C4GroupConv2d(w1, w2, 3, padding_mode=padding_mode)
        self.bn2 = C4BatchNorm(w2)
        self.gconv3 = C4GroupConv2d(w2, w3, 3, padding_mode=padding_mode)
        self.bn3 = C4BatchNorm(w3)
        self.head = nn.Linear(w3, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in, N, N) -> (B, w3, 4, N/4, N/4)``, a C4 field."""
        _check_images(x, self.in_channels, self.image_size, "P4CNN")
        y = c4_spatial_max_pool(F.relu(self.bn1(self.lift(x))))
        y = c4_spatial_max_pool(F.relu(self.bn2(self.gconv2(y))))
        return F.relu(self.bn3(self.gconv3(y)))

    def fibers(self, x: torch.Tensor) -> torch.Tensor:
        """Rotation-equivariant embedding ``(B, w3, 4)``: spatial max of every map (rotation only rolls the group axis)."""
        return self.features(x).amax(dim=(-2, -1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Rotation-invariant embedding ``(B, w3)``: max over the group axis."""
        return self.fibers(x).amax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))
