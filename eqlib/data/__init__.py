"""Datasets: committed real data (MNIST) and deterministic generators."""

from eqlib.data.mnist import MNIST_FILES, CorruptDataError, download_mnist, load_mnist, mnist_tensors

__all__ = ["MNIST_FILES", "CorruptDataError", "download_mnist", "load_mnist", "mnist_tensors"]
