"""Assembled networks built from ``eqlib.nn`` layers."""

from eqlib.models.cnn import MLPNet, P4CNN, PlainCNN
from eqlib.models.hssl import GroupAxisView, HomomorphicSSL, act_on_fields, act_on_images, sample_elements
from eqlib.models.flows import Flow, LogitDequantization, conv_flow, mlp_flow, standard_normal_log_prob

__all__ = [
    "Flow",
    "GroupAxisView",
    "HomomorphicSSL",
    "LogitDequantization",
    "MLPNet",
    "P4CNN",
    "PlainCNN",
    "act_on_fields",
    "act_on_images",
    "conv_flow",
    "mlp_flow",
    "sample_elements",
    "standard_normal_log_prob",
]
