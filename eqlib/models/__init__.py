"""Assembled networks built from ``eqlib.nn`` layers."""

from eqlib.models.cnn import P4CNN, MLPNet, PlainCNN
from eqlib.models.fastweights import CELLS, RetrievalNet
from eqlib.models.flows import Flow, LogitDequantization, conv_flow, mlp_flow, standard_normal_log_prob
from eqlib.models.hssl import GroupAxisView, HomomorphicSSL, ScrambledFields, act_on_fields, act_on_images, sample_elements

__all__ = [
    "CELLS",
    "RetrievalNet",
    "ScrambledFields",
    "P4CNN",
    "Flow",
    "GroupAxisView",
    "HomomorphicSSL",
    "LogitDequantization",
    "MLPNet",
    "PlainCNN",
    "act_on_fields",
    "act_on_images",
    "conv_flow",
    "mlp_flow",
    "sample_elements",
    "standard_normal_log_prob",
]
