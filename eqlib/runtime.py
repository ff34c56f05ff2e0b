"""Where code runs and how reproducibly: device choice, seeding, fast mode and paths."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_DEVICE_KINDS = ("auto", "cpu", "cuda", "mps")


def device(kind: str = "auto") -> torch.device:
    """Return the torch device to train on.

    ``"auto"`` picks CUDA when a GPU is present, then Apple's MPS, then the CPU.
    ``"cpu"``, ``"cuda"`` (or ``"cuda:1"``) and ``"mps"`` ask for one explicitly and raise
    if it is not available, so a notebook never silently trains somewhere unexpected.
    """
    if not isinstance(kind, str) or kind.split(":")[0] not in _DEVICE_KINDS:
        raise ValueError(f"device kind must be one of {_DEVICE_KINDS} (optionally 'cuda:N'), got {kind!r}")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {kind!r} was asked for, but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    if kind == "mps" and not _mps_available():
        raise ValueError("device 'mps' was asked for, but MPS is not available; use 'auto' or 'cpu'")
    return torch.device(kind)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every CUDA device).

    With ``deterministic=True`` cuDNN is told to pick deterministic kernels and not to
    benchmark, so two runs with the same seed give the same numbers on the same machine.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an int in [0, 2**32), got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also calls torch.cuda.manual_seed_all: every GPU is seeded
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic


def env_flag(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1/true/yes/on" or "0/false/no/off/empty")."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"environment variable {name} must be one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def fast_mode() -> bool:
    """True when ``EQLIB_FAST`` is set: notebooks shrink data and epochs to run in about a minute."""
    return env_flag("EQLIB_FAST", default=False)


def repo_root() -> Path:
    """The checkout that holds ``eqlib/`` (and ``data/``, ``notebooks/``)."""
    return Path(__file__).resolve().parent.parent


def device_of(module: torch.nn.Module) -> torch.device:
    """The device of ``module``'s weights: a batch made on the CPU goes there before the call.

    Raises ``ValueError`` for a module without parameters or buffers (it has no device).
    """
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    raise ValueError(f"{type(module).__name__} has no parameters or buffers, so no device to follow")


def data_root() -> Path:
    """Folder with the committed datasets: ``EQLIB_DATA`` if set, else the repo's ``data/``."""
    raw = os.environ.get("EQLIB_DATA")
    return Path(raw).expanduser() if raw else repo_root() / "data"


def cache_root() -> Path:
    """Folder for checkpoints of trained models: ``EQLIB_CACHE`` if set, else ``.cache/`` in the repo."""
    raw = os.environ.get("EQLIB_CACHE")
    return Path(raw).expanduser() if raw else repo_root() / ".cache"
