import gzip
import shutil

import numpy as np
import pytest
import torch

from eqlib.data import MNIST_FILES, CorruptDataError, download_mnist, load_mnist, mnist_tensors
from eqlib.data import mnist as mnist_module
from eqlib.runtime import data_root

COMMITTED = data_root() / "mnist"


@pytest.fixture
def mnist_copy(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(COMMITTED, folder)
    return folder


def test_committed_mnist_loads_with_expected_shapes():
    images, labels = load_mnist("train")
    assert images.shape == (60_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60_000,) and set(np.unique(labels)) == set(range(10))
    images, labels = load_mnist("test")
    assert images.shape == (10_000, 28, 28) and labels.shape == (10_000,)
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test labels


def test_mnist_tensors_scale_and_limit():
    x, y = mnist_tensors("test", limit=32)
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert y.dtype == torch.int64 and y.shape == (32,)


def test_loaded_arrays_are_read_only():
    images, _ = load_mnist("test", limit=2)
    with pytest.raises(ValueError):
        images[0, 0, 0] = 1


@pytest.mark.parametrize(("kwargs", "message"), [({"split": "val"}, "split must be"), ({"limit": 0}, "limit must be")])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_mnist(**kwargs)


def test_missing_file_error_names_the_path(mnist_copy):
    (mnist_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz is missing"):
        load_mnist("test", root=mnist_copy)


def test_corrupt_content_is_detected_by_md5(mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[100] = (raw[100] + 1) % 256  # one wrong label
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(CorruptDataError, match=r"t10k-labels-idx1-ubyte.gz is corrupt: md5"):
        load_mnist("test", root=mnist_copy)


def test_truncated_gzip_is_reported(mnist_copy):
    path = mnist_copy / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CorruptDataError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("test", root=mnist_copy)


def test_environment_variable_moves_the_data_root(mnist_copy, monkeypatch):
    monkeypatch.setenv("EQLIB_DATA", str(mnist_copy.parent))
    (mnist_copy / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=str(mnist_copy)):
        load_mnist("test")


def test_download_from_a_local_file_url(tmp_path):
    target = tmp_path / "fresh"
    folder = download_mnist(target, mirrors=(COMMITTED.as_uri() + "/",))
    assert sorted(p.name for p in folder.iterdir()) == sorted(MNIST_FILES)
    images, labels = load_mnist("test", root=folder)
    reference_images, reference_labels = load_mnist("test")
    assert np.array_equal(images, reference_images) and np.array_equal(labels, reference_labels)


def test_download_skips_bad_mirrors_and_replaces_corrupt_files(mnist_copy, tmp_path):
    broken = tmp_path / "broken-mirror"
    broken.mkdir()
    for name in MNIST_FILES:  # a mirror that serves wrong content for every file
        (broken / name).write_bytes(gzip.compress(b"not mnist"))
    (mnist_copy / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    missing = (tmp_path / "nowhere").as_uri()
    download_mnist(mnist_copy, mirrors=(missing, broken.as_uri(), COMMITTED.as_uri()))
    load_mnist("train", root=mnist_copy)
    assert not list(mnist_copy.glob(".*part")), "no temporary download may be left behind"


def test_download_fails_clearly_when_no_mirror_has_a_valid_copy(tmp_path):
    with pytest.raises(OSError, match="could not download a valid"):
        download_mnist(tmp_path / "out", mirrors=((tmp_path / "nowhere").as_uri(),))


def test_idx_parser_rejects_wrong_magic(tmp_path):
    with pytest.raises(CorruptDataError, match="not an IDX file"):
        mnist_module._parse_idx(b"\x00\x00\x0d\x01" + b"\x00" * 8, tmp_path / "x")
    with pytest.raises(CorruptDataError, match="header says shape"):
        mnist_module._parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x05" + b"\x00" * 3, tmp_path / "x")
