"""Homomorphic self-supervised learning (Keller, Suau, Zappella, arXiv 2211.08282).

Augmentation-based SSL feeds two transformed views ``g1 x`` and ``g2 x`` through the network.
If the backbone is equivariant, ``f(g x) = rho(g) f(x)``, the features of every view are
already inside ``f(x)``: apply the (cheap) action ``rho(g)`` to the features instead. Here the
group is C4 rotations times cyclic shifts on the pooling grid, acting on C4 fields
``(B, C, 4, S, S)``; the representation of a view is its identity fiber: group index 0,
averaged over a ``window x window`` patch around the centre cell (the fixed point of the
rotations). The window plays the role of the crop size of ordinary SSL.
"""

from __future__ import annotations

import torch
from torch import nn

from eqlib import groups
from eqlib.losses import nt_xent

Elements = tuple[torch.Tensor, torch.Tensor]  # turns (B,), cell shifts (B, 2)


def sample_elements(
    batch: int, max_shift: int, generator: torch.Generator | None = None, rotations: bool = True
) -> Elements:
    """Random group elements per sample: quarter turns in C4 and cell shifts in [-max_shift, max_shift]^2."""
    if batch <= 0 or max_shift < 0:
        raise ValueError(f"need batch > 0 and max_shift >= 0, got {batch}, {max_shift}")
    turns = torch.randint(0, 4, (batch,), generator=generator) if rotations else torch.zeros(batch, dtype=torch.long)
    shifts = torch.randint(-max_shift, max_shift + 1, (batch, 2), generator=generator)
    return turns, shifts


def act_on_images(x: torch.Tensor, elements: Elements, stride: int = 4) -> torch.Tensor:
    """``g . x`` per sample: rotate, then shift by ``stride`` pixels per cell. ``x``: ``(B, C, H, H)``."""
    turns, shifts = elements
    return groups.shift_each(groups.rotate_each(x, turns), shifts * stride)


def act_on_fields(y: torch.Tensor, elements: Elements) -> torch.Tensor:
    """``rho(g) y`` per sample on C4 fields ``(B, C, 4, S, S)``: rotate and roll the group axis, then shift cells."""
    turns, shifts = elements
    return groups.shift_each(groups.rotate_each(y, turns, field=True), shifts)


class GroupAxisView(nn.Module):
    """Read a plain CNN's maps ``(B, 4C, S, S)`` as a pseudo C4 field ``(B, C, 4, S, S)``.

    Same shapes as a group CNN but no equivariance: the "structure removed" control.
    """

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def features(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.backbone.features(x)
        if maps.shape[1] % 4:
            raise ValueError(f"GroupAxisView needs a channel count divisible by 4, got {maps.shape[1]}")
        return maps.view(maps.shape[0], maps.shape[1] // 4, 4, *maps.shape[-2:])


class ScrambledFields(nn.Module):
    """The same backbone with its field coordinates ``(4, S, S)`` permuted by one fixed random permutation.

    Nothing is lost (the permutation is invertible) but ``rho(g)`` no longer corresponds to
    any transformation of the input: the "structure removed" control of the homomorphic loss.
    """

    def __init__(self, backbone: nn.Module, seed: int = 0) -> None:
        super().__init__()
        self.backbone, self.seed = backbone, seed
        self.permutation: torch.Tensor | None = None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        y = self.backbone.features(x)
        if y.dim() != 5:
            raise ValueError(f"ScrambledFields needs fields (B, C, G, S, S), got {tuple(y.shape)}")
        size = y[0, 0].numel()
        if self.permutation is None or self.permutation.numel() != size:
            self.permutation = torch.randperm(size, generator=torch.Generator().manual_seed(self.seed))
        return y.flatten(2)[:, :, self.permutation.to(y.device)].view_as(y)


class HomomorphicSSL(nn.Module):
    """A backbone with a group axis, a projection head and the two SSL losses on it.

    ``backbone.features(x)`` must return C4 fields ``(B, channels, 4, S, S)`` with odd S.
    """

    def __init__(
        self, backbone: nn.Module, channels: int, window: int = 3, projection: int = 64, temperature: float = 0.5
    ) -> None:
        super().__init__()
        if window <= 0 or window % 2 == 0:
            raise ValueError(f"window must be a positive odd number of cells, got {window}")
        self.backbone, self.window, self.temperature = backbone, window, temperature
        self.head = nn.Sequential(nn.Linear(channels, channels), nn.ReLU(), nn.Linear(channels, projection))

    def fields(self, x: torch.Tensor) -> torch.Tensor:
        y = self.backbone.features(x)
        if y.dim() != 5 or y.shape[2] != 4 or y.shape[-1] != y.shape[-2] or y.shape[-1] % 2 == 0:
            raise ValueError(f"the backbone must give C4 fields (B, C, 4, S, S) with odd S, got {tuple(y.shape)}")
        if self.window > y.shape[-1]:
            raise ValueError(f"window {self.window} is larger than the {y.shape[-1]}x{y.shape[-1]} feature map")
        return y

    def view_representation(self, y: torch.Tensor) -> torch.Tensor:
        """Identity fiber of a field ``(B, C, 4, S, S) -> (B, C)``: group index 0, window mean at the centre."""
        centre, half = y.shape[-1] // 2, self.window // 2
        return y[:, :, 0, centre - half : centre + half + 1, centre - half : centre + half + 1].mean(dim=(-2, -1))

    def homomorphic_loss(self, x: torch.Tensor, g1: Elements, g2: Elements) -> torch.Tensor:
        """NT-Xent between the identity fibers of ``rho(g1) f(x)`` and ``rho(g2) f(x)``: ONE forward pass."""
        y = self.fields(x)
        z1 = self.head(self.view_representation(act_on_fields(y, g1)))
        z2 = self.head(self.view_representation(act_on_fields(y, g2)))
        return nt_xent(z1, z2, self.temperature)

    def augmentation_loss(self, x: torch.Tensor, g1: Elements, g2: Elements) -> torch.Tensor:
        """SimCLR on the same backbone: NT-Xent between the identity fibers of ``f(g1 x)`` and ``f(g2 x)``."""
        z1 = self.head(self.view_representation(self.fields(act_on_images(x, g1))))
        z2 = self.head(self.view_representation(self.fields(act_on_images(x, g2))))
        return nt_xent(z1, z2, self.temperature)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Representation for downstream probes ``(B, C)``: max over positions and the group axis."""
        return self.fields(x).amax(dim=(2, 3, 4))
