"""Layers: C4 group convolutions, exact / self-normalizing flow layers, fast-weight cells."""

from eqlib.nn.fastweights import (
    FastWeightLSTMCell,
    FastWeightRNNCell,
    attention_scores,
    fast_weight_attention,
    fast_weight_update,
    memory_matrix,
)
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
    "FastWeightLSTMCell",
    "FastWeightRNNCell",
    "attention_scores",
    "fast_weight_attention",
    "fast_weight_update",
    "memory_matrix",
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
