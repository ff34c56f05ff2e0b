"""Datasets: committed real data (MNIST) and deterministic generators."""

from eqlib.data.apc_simulation import apc_simulation
from eqlib.data.categories import CATEGORIES, SUBCATEGORIES, category_images, load_image_folder
from eqlib.data.icu import ICUData, load_icu_csv, save_icu_csv, synthetic_icu
from eqlib.data.mnist import MNIST_FILES, CorruptDataError, download_mnist, load_mnist, mnist_tensors
from eqlib.data.physionet import download_physionet_2012, physionet_2012
from eqlib.data.retrieval import (
    VOCABULARY,
    RetrievalBatches,
    decode,
    encode,
    parse_query,
    retrieval_batch,
    sequence_length,
)
from eqlib.data.sequences import TRANSFORMATIONS, TransformedSequences, transform_digits, transformed_sequences
from eqlib.data.toy2d import TOY_DENSITIES, toy_density

__all__ = [
    "CATEGORIES",
    "MNIST_FILES",
    "SUBCATEGORIES",
    "TOY_DENSITIES",
    "TRANSFORMATIONS",
    "VOCABULARY",
    "CorruptDataError",
    "ICUData",
    "RetrievalBatches",
    "TransformedSequences",
    "apc_simulation",
    "category_images",
    "decode",
    "download_mnist",
    "download_physionet_2012",
    "encode",
    "load_icu_csv",
    "load_image_folder",
    "load_mnist",
    "mnist_tensors",
    "parse_query",
    "physionet_2012",
    "retrieval_batch",
    "save_icu_csv",
    "sequence_length",
    "synthetic_icu",
    "toy_density",
    "transform_digits",
    "transformed_sequences",
]
