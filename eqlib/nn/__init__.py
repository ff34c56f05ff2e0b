"""Layers. Group convolutions for the rotation group C4 (Cohen & Welling 2016, P4CNN)."""

from eqlib.nn.gconv import C4BatchNorm, C4GroupConv2d, C4LiftingConv2d, c4_group_pool, c4_spatial_max_pool

__all__ = ["C4BatchNorm", "C4GroupConv2d", "C4LiftingConv2d", "c4_group_pool", "c4_spatial_max_pool"]
