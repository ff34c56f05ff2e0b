"""Assembled networks built from ``eqlib.nn`` layers."""

from eqlib.models.cnn import MLPNet, P4CNN, PlainCNN
from eqlib.models.flows import Flow, LogitDequantization, conv_flow, mlp_flow, standard_normal_log_prob

__all__ = [
    "Flow",
    "LogitDequantization",
    "MLPNet",
    "P4CNN",
    "PlainCNN",
    "conv_flow",
    "mlp_flow",
    "standard_normal_log_prob",
]
