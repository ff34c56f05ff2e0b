"""Layers: C4 group convolutions, exact / self-normalizing flow layers, fast-weight cells, the LN-LSTM, GRU-D,
the topographic latent of TVAEs."""

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
from eqlib.nn.grud import GRUDCell, decay_rate
from eqlib.nn.lstm import LayerNormLSTMCell
from eqlib.nn.topographic import (
    roll_capsules,
    topographic_kernel,
    topographic_variable,
    topographic_variance,
    torus_kernel,
)

__all__ = [
    "C4BatchNorm",
    "C4GroupConv2d",
    "C4LiftingConv2d",
    "ExactConv2d",
    "ExactLinear",
    "FastWeightLSTMCell",
    "FastWeightRNNCell",
    "GRUDCell",
    "LayerNormLSTMCell",
    "MonotoneTanhMixture",
    "SelfNormConv2d",
    "SelfNormLinear",
    "SmoothLeakyReLU",
    "attention_scores",
    "c4_group_pool",
    "c4_spatial_max_pool",
    "decay_rate",
    "fast_weight_attention",
    "fast_weight_update",
    "memory_matrix",
    "roll_capsules",
    "topographic_kernel",
    "topographic_variable",
    "topographic_variance",
    "torus_kernel",
]
