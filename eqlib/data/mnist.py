"""MNIST from the committed IDX files in ``data/mnist/``, verified by md5.

The four gzip files are committed so that every notebook runs offline. Each file is
checked against the md5 of its *decompressed* content, the values published with the
original dataset, so a damaged copy fails loudly instead of training on garbage.
``download_mnist`` keeps the network path for readers who want to fetch a fresh copy.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from eqlib.runtime import data_root

#: file name -> md5 of the decompressed IDX content
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class CorruptDataError(ValueError):
    """A data file exists but its content is not what it should be."""


def _mnist_dir(root: str | os.PathLike | None) -> Path:
    return Path(root) if root is not None else data_root() / "mnist"


def _read_verified(path: Path, expected_md5: str) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file {path} is missing. Copy the four *-ubyte.gz files into {path.parent}, "
            "point EQLIB_DATA at a folder with a mnist/ subfolder, or call "
            "eqlib.data.download_mnist() on a machine with a network."
        )
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as err:
        raise CorruptDataError(f"MNIST file {path} is not a valid gzip file ({err}); replace it") from err
    digest = hashlib.md5(raw).hexdigest()
    if digest != expected_md5:
        raise CorruptDataError(
            f"MNIST file {path} is corrupt: md5 of its decompressed content is {digest}, "
            f"expected {expected_md5}; replace it"
        )
    return raw


def _parse_idx(raw: bytes, path: Path) -> np.ndarray:
    """Parse an IDX byte string (big-endian header: magic with dtype code and rank, then dims)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise CorruptDataError(f"{path} is not an IDX file of unsigned bytes")
    rank = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=rank, offset=4).astype(np.int64)
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(dims)):
        raise CorruptDataError(f"{path}: header says shape {tuple(dims)}, body has {body.size} bytes")
    return body.reshape(tuple(dims))


@lru_cache(maxsize=4)
def _load_split(folder: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = _SPLITS[split]
    images_path, labels_path = Path(folder) / images_name, Path(folder) / labels_name
    images = _parse_idx(_read_verified(images_path, MNIST_FILES[images_name]), images_path)
    labels = _parse_idx(_read_verified(labels_path, MNIST_FILES[labels_name]), labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise CorruptDataError(f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_mnist(
    split: str = "train", root: str | os.PathLike | None = None, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST split as read-only NumPy arrays.

    Args:
        split: ``"train"`` (60,000 digits) or ``"test"`` (10,000 digits).
        root: folder with the four ``*-ubyte.gz`` files; default ``<data_root()>/mnist``.
        limit: keep only the first ``limit`` examples.

    Returns:
        images ``(N, 28, 28)`` uint8 and labels ``(N,)`` uint8.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if limit is not None and (not isinstance(limit, int) or limit <= 0):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    images, labels = _load_split(str(_mnist_dir(root).resolve()), split)
    return images[:limit], labels[:limit]


def mnist_tensors(
    split: str = "train", limit: int | None = None, root: str | os.PathLike | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as float images ``(N, 1, 28, 28)`` in [0, 1] and int64 labels ``(N,)``."""
    images, labels = load_mnist(split, root=root, limit=limit)
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def download_mnist(
    root: str | os.PathLike | None = None, mirrors: tuple[str, ...] = DEFAULT_MIRRORS, timeout: float = 30.0
) -> Path:
    """Fetch any missing or corrupt MNIST file from the first mirror that serves a valid copy.

    Each file is written to a temporary name, checked against its md5 and only then moved
    into place, so an interrupted download never leaves a half file behind. ``mirrors``
    are URL prefixes (``file://`` works too). Returns the folder.
    """
    folder = _mnist_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    for name, md5 in MNIST_FILES.items():
        target = folder / name
        try:
            _read_verified(target, md5)
            continue
        except (FileNotFoundError, CorruptDataError):
            pass
        failures = []
        for prefix in mirrors:
            url = prefix.rstrip("/") + "/" + name
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    payload = response.read()
            except OSError as err:
                failures.append(f"{url}: {err}")
                continue
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            try:
                _read_verified(Path(tmp), md5)
            except CorruptDataError as err:
                os.unlink(tmp)
                failures.append(f"{url}: {err}")
                continue
            os.replace(tmp, target)
            break
        else:
            raise OSError(f"could not download a valid {name} into {folder}:\n  " + "\n  ".join(failures))
    _load_split.cache_clear()
    return folder
