"""Layers: C4 group convolutions (P4CNN) and exact / self-normalizing flow layers."""

from eqlib.nn.flows import (
    ExactConv2d,
    ExactLinear,
    MonotoneTanhMixture,
    SelfNormConv2d,
    SelfNormLinear,
    SmoothLeakyReLU,
)
from eqlib.nn.gconv import C4BatchNorm, C4GroupConv2d, C4LiftingConv2d, c4_group_pool, c4_spatial_max_pool

__all__ = [
    "C4BatchNorm",
    "C4GroupConv2d",
    "C4LiftingConv2d",
    "ExactConv2d",
    "ExactLinear",
    "MonotoneTanhMixture",
    "SelfNormConv2d",
    "SelfNormLinear",
    "SmoothLeakyReLU",
    "c4_group_pool",
    "c4_spatial_max_pool",
]
