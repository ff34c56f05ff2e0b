"""Assembled networks built from ``eqlib.nn`` layers."""

from eqlib.models.apc import APC, APCClassifier, OutcomeClassifier, SeriesEncoder, apc_loss, forward_fill, weighted_bce
from eqlib.models.cnn import P4CNN, MLPNet, PlainCNN
from eqlib.models.duet import (
    ImageDecoder,
    LinearReadout,
    SelfSupervised,
    bin_circular_mean,
    circular_error_degrees,
    circular_features,
    content_of,
    controlled_code,
    duet_code,
    duet_objective,
    duet_targets,
    informed_code,
    judge_classifier,
    nearest_angle_class,
    structure_of,
    transform,
)
from eqlib.models.fastweights import CELLS, RetrievalNet
from eqlib.models.flows import Flow, LogitDequantization, conv_flow, mlp_flow, standard_normal_log_prob
from eqlib.models.hssl import (
    GroupAxisView,
    HomomorphicSSL,
    ScrambledFields,
    act_on_fields,
    act_on_images,
    sample_elements,
)
from eqlib.models.topomap import TopographicMapVAE
from eqlib.models.tvae import TopographicVAE

__all__ = [
    "APC",
    "CELLS",
    "P4CNN",
    "APCClassifier",
    "Flow",
    "GroupAxisView",
    "HomomorphicSSL",
    "ImageDecoder",
    "LinearReadout",
    "LogitDequantization",
    "MLPNet",
    "OutcomeClassifier",
    "PlainCNN",
    "RetrievalNet",
    "ScrambledFields",
    "SelfSupervised",
    "SeriesEncoder",
    "TopographicMapVAE",
    "TopographicVAE",
    "act_on_fields",
    "act_on_images",
    "apc_loss",
    "bin_circular_mean",
    "circular_error_degrees",
    "circular_features",
    "content_of",
    "controlled_code",
    "conv_flow",
    "duet_code",
    "duet_objective",
    "duet_targets",
    "forward_fill",
    "informed_code",
    "judge_classifier",
    "mlp_flow",
    "nearest_angle_class",
    "sample_elements",
    "standard_normal_log_prob",
    "structure_of",
    "transform",
    "weighted_bce",
]
