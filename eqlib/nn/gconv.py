"""Group convolutions for C4, the four rotations by multiples of 90 degrees.

Cohen & Welling, "Group Equivariant Convolutional Networks", ICML 2016 (arXiv 1602.07576).
A C4 feature field has shape ``(B, C, 4, H, W)``: for every channel one spatial map per
rotation r. Both layers build a bank of rotated filters and call one ``conv2d``; their cost
is that of a plain convolution with 4x the output maps plus building the bank
(``benchmarks/bench_gconv.py`` measures both).

Lifting (image -> field), with cross-correlation ``*``:
    ``y_r = x * rot_r(W)``                                   (W: out x in x k x k)
Group convolution (field -> field):
    ``y_r = sum_s x_s * rot_r(W_{(s - r) mod 4})``          (W: out x in x 4 x k x k)
Both satisfy ``f(rot_k x) = rho(k) f(x)`` with ``[rho(k) y]_r = rot_k(y_{r-k})``
(see ``eqlib.groups.rotate_field``), exactly, for square inputs and odd kernels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

_PADDING_MODES = ("zeros", "circular")


def _check_conv_args(in_channels: int, out_channels: int, kernel_size: int, padding_mode: str) -> None:
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not isinstance(kernel_size, int) or kernel_size <= 0 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd int (so rotations keep the centre), got {kernel_size!r}")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")


def _same_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, padding_mode: str) -> torch.Tensor:
    """Stride-1 cross-correlation that keeps H and W, with zero or circular padding."""
    pad = weight.shape[-1] // 2
    if padding_mode == "circular":
        x = F.pad(x, (pad, pad, pad, pad), mode="circular")
        return F.conv2d(x, weight, bias)
    return F.conv2d(x, weight, bias, padding=pad)


class _C4Conv(nn.Module):
    """Shared parts of the two C4 convolutions; ``group_axis`` says whether inputs carry one."""

    group_axis: bool

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, bias: bool = True, padding_mode: str = "zeros"
    ) -> None:
        super().__init__()
        _check_conv_args(in_channels, out_channels, kernel_size, padding_mode)
        self.in_channels, self.out_channels, self.padding_mode = in_channels, out_channels, padding_mode
        group = (4,) if self.group_axis else ()
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *group, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        nn.init.kaiming_uniform_(self.weight.view(out_channels, -1, kernel_size, kernel_size), a=math.sqrt(5))

    def filter_bank(self) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rank = 5 if self.group_axis else 4
        group_ok = not self.group_axis or x.shape[2] == 4
        if x.dim() != rank or x.shape[1] != self.in_channels or not group_ok or x.shape[-1] != x.shape[-2]:
            expected = f"(B, {self.in_channels}, 4, H, H)" if self.group_axis else f"(B, {self.in_channels}, H, H)"
            kind = "square C4 fields" if self.group_axis else "square images"
            raise ValueError(f"{type(self).__name__} expects {kind} {expected}, got shape {tuple(x.shape)}")
        bias = None if self.bias is None else self.bias.repeat_interleave(4)
        y = _same_conv(x.flatten(1, 2) if self.group_axis else x, self.filter_bank(), bias, self.padding_mode)
        return y.view(x.shape[0], self.out_channels, 4, *y.shape[-2:])


class C4LiftingConv2d(_C4Conv):
    """Lift images ``(B, in, H, W)`` to C4 fields ``(B, out, 4, H, W)`` (square H = W)."""

    group_axis = False

    def filter_bank(self) -> torch.Tensor:
        """The rotated filters ``(out * 4, in, k, k)``; row ``o * 4 + r`` is ``rot_r(W_o)``."""
        rotated = torch.stack([torch.rot90(self.weight, r, dims=(-2, -1)) for r in range(4)], dim=1)
        return rotated.reshape(self.out_channels * 4, self.in_channels, *self.weight.shape[-2:])


class C4GroupConv2d(_C4Conv):
    """Convolve C4 fields ``(B, in, 4, H, W)`` into C4 fields ``(B, out, 4, H, W)``."""

    group_axis = True

    def filter_bank(self) -> torch.Tensor:
        """Filters ``(out * 4, in * 4, k, k)``: output rotation r sees ``rot_r`` of W rolled by r on the group axis."""
        rotated = [torch.rot90(torch.roll(self.weight, shifts=r, dims=2), r, dims=(-2, -1)) for r in range(4)]
        k = self.weight.shape[-1]
        return torch.stack(rotated, dim=1).reshape(self.out_channels * 4, self.in_channels * 4, k, k)


class C4BatchNorm(nn.BatchNorm3d):
    """Batch norm for C4 fields ``(B, C, 4, H, W)``: one mean/scale per channel, shared over rotations."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[2] != 4:
            raise ValueError(f"C4BatchNorm expects C4 fields (B, C, 4, H, W), got shape {tuple(x.shape)}")
        return super().forward(x)


def c4_spatial_max_pool(x: torch.Tensor, size: int = 2) -> torch.Tensor:
    """Max-pool every map of a C4 field ``(B, C, 4, H, W) -> (B, C, 4, H/size, W/size)``.

    Stays exactly rotation-equivariant when ``H`` is divisible by ``size`` (pooling windows map onto windows).
    """
    if x.dim() != 5:
        raise ValueError(f"c4_spatial_max_pool expects (B, C, 4, H, W), got shape {tuple(x.shape)}")
    pooled = F.max_pool2d(x.flatten(1, 2), size)
    return pooled.view(*x.shape[:3], *pooled.shape[-2:])


def c4_group_pool(x: torch.Tensor) -> torch.Tensor:
    """Max over the group axis ``(B, C, 4, H, W) -> (B, C, H, W)``: rotation acts on the result as on images."""
    if x.dim() != 5 or x.shape[2] != 4:
        raise ValueError(f"c4_group_pool expects (B, C, 4, H, W), got shape {tuple(x.shape)}")
    return x.amax(dim=2)
