import random

import numpy as np
import pytest
import torch

from eqlib import runtime


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    assert runtime.device("auto").type == "mps"
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    assert runtime.device("auto") == torch.device("cpu")


def test_explicit_unavailable_device_raises(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        runtime.device("cuda")
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    with pytest.raises(ValueError, match="MPS is not available"):
        runtime.device("mps")


@pytest.mark.parametrize("kind", ["gpu", "", "tpu:0", 3])
def test_unknown_device_kind_raises(kind):
    with pytest.raises(ValueError, match="device kind must be one of"):
        runtime.device(kind)


def _draw():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seed_everything_makes_all_generators_repeat():
    runtime.seed_everything(123)
    first = _draw()
    runtime.seed_everything(123)
    assert _draw() == first
    runtime.seed_everything(124)
    assert _draw() != first


def test_seed_everything_seeds_cuda_when_present(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: calls.append(seed))
    runtime.seed_everything(7)
    assert calls and set(calls) == {7}


def test_seed_everything_flips_cudnn_flags():
    runtime.seed_everything(0, deterministic=False)
    assert torch.backends.cudnn.deterministic is False and torch.backends.cudnn.benchmark is True
    runtime.seed_everything(0, deterministic=True)
    assert torch.backends.cudnn.deterministic is True and torch.backends.cudnn.benchmark is False


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be an int"):
        runtime.seed_everything(seed)


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("true", True), ("ON", True), ("0", False), ("", False), ("no", False)]
)
def test_fast_mode_reads_environment(monkeypatch, value, expected):
    monkeypatch.setenv("EQLIB_FAST", value)
    assert runtime.fast_mode() is expected


def test_fast_mode_defaults_to_off_and_rejects_garbage(monkeypatch):
    monkeypatch.delenv("EQLIB_FAST", raising=False)
    assert runtime.fast_mode() is False
    monkeypatch.setenv("EQLIB_FAST", "maybe")
    with pytest.raises(ValueError, match="EQLIB_FAST"):
        runtime.fast_mode()


def test_data_root_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("EQLIB_DATA", raising=False)
    assert runtime.data_root() == runtime.repo_root() / "data"
    assert (runtime.data_root() / "mnist").is_dir()
    monkeypatch.setenv("EQLIB_DATA", str(tmp_path))
    assert runtime.data_root() == tmp_path


def test_cache_root_override(monkeypatch, tmp_path):
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    assert runtime.cache_root() == tmp_path
