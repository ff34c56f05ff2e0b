"""Datasets: committed real data (MNIST) and deterministic generators."""

from eqlib.data.mnist import MNIST_FILES, CorruptDataError, download_mnist, load_mnist, mnist_tensors
from eqlib.data.retrieval import VOCABULARY, RetrievalBatches, decode, encode, parse_query, retrieval_batch, sequence_length
from eqlib.data.toy2d import TOY_DENSITIES, toy_density

__all__ = [
    "VOCABULARY",
    "RetrievalBatches",
    "decode",
    "encode",
    "parse_query",
    "retrieval_batch",
    "sequence_length",
    "MNIST_FILES",
    "TOY_DENSITIES",
    "CorruptDataError",
    "download_mnist",
    "load_mnist",
    "mnist_tensors",
    "toy_density",
]
