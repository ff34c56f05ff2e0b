"""One training loop for every notebook: progress, divergence guard, atomic checkpoints, resume.

``fit`` trains for a number of epochs and, given a checkpoint path, saves after each epoch
and resumes from it; if the checkpoint already holds all epochs it only loads (load or
train). ``checkpoint_path`` keys that path by a hash of the run's configuration, so changing
any knob trains afresh while re-running a notebook reuses its models.

Inside a process group (``torchrun``, see ``eqlib.experiments``) the same ``fit`` is data-parallel:
every rank walks the same batches, takes its share of each (samples ``rank::world``), and
DistributedDataParallel averages the gradients, so the ranks stay identical; rank 0 alone writes
the checkpoint, under the key a single process would use.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from eqlib.runtime import cache_root

Batch = Any
LossFn = Callable[[nn.Module, Batch], "torch.Tensor | tuple[torch.Tensor, Mapping[str, float]]"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


class TensorBatches:
    """Shuffled minibatches over tensors that share their first dimension, reproducible per epoch.

    ``batches(epoch)`` yields tuples of slices; epoch ``e`` is shuffled with seed ``seed + e``,
    so a resumed run sees exactly the batches an uninterrupted run would have seen.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True, seed: int = 0) -> None:
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        sizes = {t.shape[0] for t in tensors}
        if len(sizes) != 1:
            raise ValueError(f"all tensors must have the same first dimension, got {[t.shape[0] for t in tensors]}")
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.tensors, self.batch_size, self.shuffle, self.seed = tensors, batch_size, shuffle, seed
        self.size = sizes.pop()

    def __len__(self) -> int:
        return math.ceil(self.size / self.batch_size)

    def __call__(self, epoch: int) -> Iterator[tuple[torch.Tensor, ...]]:
        if self.shuffle:
            order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch))
        else:
            order = torch.arange(self.size)
        for start in range(0, self.size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield tuple(t[index] for t in self.tensors)


def config_hash(config: Mapping[str, Any]) -> str:
    """Stable hex digest of a JSON-serialisable configuration (key order does not matter)."""
    try:
        text = json.dumps(dict(config), sort_keys=True, default=_reject)
    except (TypeError, ValueError) as err:
        raise ValueError(f"config must hold only JSON values (numbers, strings, lists, dicts): {err}") from err
    return hashlib.sha256(text.encode()).hexdigest()


def _reject(value: Any) -> Any:
    raise TypeError(f"{value!r} of type {type(value).__name__} is not JSON-serialisable")


def checkpoint_path(name: str, config: Mapping[str, Any], root: str | os.PathLike | None = None) -> Path:
    """``<root>/<name>-<hash12>.pt``, with root defaulting to ``eqlib.runtime.cache_root()``."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"name must be letters, digits, '-' or '_', got {name!r}")
    return Path(root if root is not None else cache_root()) / f"{name}-{config_hash(config)[:12]}.pt"


def save_checkpoint(path: str | os.PathLike, state: Mapping[str, Any]) -> Path:
    """Write ``state`` with ``torch.save`` atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(dict(state), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class UnreadableCheckpoint(RuntimeError):
    """A checkpoint file exists but cannot be read (truncated, corrupted, or from an incompatible version)."""


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint written by ``save_checkpoint`` (tensors and plain containers only).

    Raises ``FileNotFoundError`` where there is none and ``UnreadableCheckpoint``, naming the
    file, where torch cannot read it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises zip, pickle or runtime errors from its internals
        raise UnreadableCheckpoint(
            f"the checkpoint {path} cannot be read ({type(err).__name__}: {str(err)[:200]}); it may be truncated or "
            "from another version of the suite: delete it, or let fit() retrain over it"
        ) from err


def checkpoint_key(
    name: str, params: Mapping[str, Any], *tensors: torch.Tensor, root: str | os.PathLike | None = None
) -> Path:
    """The checkpoint path of a model trained with ``params`` on ``tensors``: one place for every key.

    The key hashes the parameters (JSON values), a SHA-256 fingerprint of each tensor's dtype,
    shape and bytes (so a changed data knob or generator gives a new key even where the
    parameters do not name it) and ``source_fingerprint()`` of the eqlib code that trains, so editing a
    model's code never reuses a model the old code trained. ``<root>/<name>-<hash12>.pt``.
    """
    fingerprints = [tensor_fingerprint(t) for t in tensors]
    return checkpoint_path(name, {"params": dict(params), "data": fingerprints, "eqlib": source_fingerprint()}, root)


def tensor_fingerprint(tensor: torch.Tensor) -> str:
    """SHA-256 hex digest of a tensor's dtype, shape and contents (on the CPU, contiguous)."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"expected a tensor to fingerprint, got {type(tensor).__name__}")
    data = tensor.detach().cpu().contiguous()
    digest = hashlib.sha256(f"{data.dtype}{tuple(data.shape)}".encode())
    digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()


# eqlib's modules that present results and never change what is trained: left out of the source fingerprint, so
# editing a claim's text or a plot keeps the trained models
PRESENTATION_ONLY = (
    "claims",
    "results.py",
    "student.py",
    "exercises.py",
    "viz.py",
    "widgets.py",
    "hosted.py",
    "book.py",
    "course.py",
)


@functools.lru_cache(maxsize=8)
def source_fingerprint(root: str | os.PathLike | None = None) -> str:
    """SHA-256 hex digest of the eqlib source that trains: every ``.py`` file of the package (its relative path and
    bytes, in sorted order) except the presentation modules ``PRESENTATION_ONLY``.

    Args:
        root: the package folder to hash; defaults to the imported eqlib's own.

    Read once per process and folder: a running kernel keeps the code it imported, and so its fingerprint.
    """
    package = Path(root) if root is not None else Path(__file__).resolve().parent
    if not package.is_dir():
        raise ValueError(f"expected the eqlib package folder, got {package}")
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in PRESENTATION_ONLY:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _to_device(batch: Batch, device: torch.device) -> Batch:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(b, device) for b in batch)
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device) for k, v in batch.items()}
    return batch


def _nonfinite(batch: Batch, name: str = "batch") -> str | None:
    """The name of the first floating tensor in ``batch`` (a tensor, tuple, list or dict of them) that holds a
    NaN or an infinite entry, e.g. ``"batch[1]"`` or ``"batch['values']"``; ``None`` when every entry is finite."""
    if isinstance(batch, torch.Tensor):
        floating = batch.is_floating_point() or batch.is_complex()
        return name if floating and not bool(torch.isfinite(batch).all()) else None
    if isinstance(batch, (tuple, list)):
        items: Iterable[tuple[Any, Any]] = enumerate(batch)
    elif isinstance(batch, Mapping):
        items = ((repr(k), v) for k, v in batch.items())
    else:
        return None
    for key, value in items:
        found = _nonfinite(value, f"{name}[{key}]")
        if found is not None:
            return found
    return None


def _process_group() -> tuple[int, int]:
    """``(rank, world)`` of the initialised process group, ``(0, 1)`` outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _share(batch: Batch, rank: int, world: int) -> Batch:
    """This rank's samples ``rank::world`` of every tensor in ``batch`` (all of it when ``world`` is 1)."""
    if world == 1:
        return batch
    if isinstance(batch, torch.Tensor):
        if batch.shape[0] < world:
            raise ValueError(f"a batch of {batch.shape[0]} samples cannot be shared by {world} processes")
        return batch[rank::world]
    if isinstance(batch, (tuple, list)):
        return type(batch)(_share(b, rank, world) for b in batch)
    if isinstance(batch, Mapping):
        return {k: _share(v, rank, world) for k, v in batch.items()}
    return batch


def _share_weight(batch: Batch, rank: int, world: int) -> float:
    """``len(share) * world / len(batch)``: scales a rank's mean loss so that averaging the ranks' gradients
    gives the whole batch's mean, also for a last batch that does not split evenly."""
    first = batch
    while isinstance(first, (tuple, list, Mapping)):
        first = next(iter(first.values() if isinstance(first, Mapping) else first))
    size = first.shape[0]
    return len(range(rank, size, world)) * world / size


@contextlib.contextmanager
def _own_noise(seed: int | None, device: torch.device) -> Iterator[None]:
    """Inside, random numbers come from ``seed``; outside, the shared stream is left as it was (``None``: no-op)."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def _same_on_every_rank(start_epoch: int, world: int, device: torch.device, checkpoint: object) -> None:
    """Raise on every rank when the ranks read different checkpoints (they would block each other forever)."""
    if world == 1:
        return
    bounds = torch.tensor([start_epoch, -start_epoch], device=device)
    dist.all_reduce(bounds, op=dist.ReduceOp.MAX)
    if int(bounds[0]) != -int(bounds[1]):
        raise RuntimeError(
            f"the ranks start at different epochs ({-int(bounds[1])} to {int(bounds[0])}) of {checkpoint}: "
            "every rank must see the same EQLIB_CACHE"
        )


def _finite_everywhere(value: float, world: int, device: torch.device) -> bool:
    """Whether the loss is finite on every rank, so that all ranks stop together when one diverges."""
    finite = math.isfinite(value)
    if world > 1:
        flag = torch.tensor([0.0 if finite else 1.0], device=device)
        dist.all_reduce(flag)
        finite = flag.item() == 0.0
    return finite


class _LossModule(nn.Module):
    """``forward(batch, step)`` is ``loss_fn(model, batch[, step])``: the call DistributedDataParallel wraps."""

    def __init__(self, model: nn.Module, loss_fn: LossFn, takes_step: bool) -> None:
        super().__init__()
        self.model, self.loss_fn, self.takes_step = model, loss_fn, takes_step

    def forward(self, batch: Batch, step: int) -> Any:
        return self.loss_fn(self.model, batch, step=step) if self.takes_step else self.loss_fn(self.model, batch)


def fit(
    model: nn.Module,
    batches: Callable[[int], Iterable[Batch]] | Iterable[Batch],
    loss_fn: LossFn,
    *,
    epochs: int,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    device: torch.device | str | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    desc: str = "training",
    until: Callable[[list[dict[str, float]]], bool] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` for ``epochs`` epochs and return the per-step history.

    Args:
        batches: ``batches(epoch)`` returning an iterable of batches (e.g. ``TensorBatches``),
            or any re-iterable such as a ``DataLoader``. Tensors are moved to ``device``.
        loss_fn: ``loss_fn(model, batch)`` returning a scalar loss, or ``(loss, metrics)``
            with a dict of floats that is logged with it. A loss function that takes a
            keyword ``step`` also gets the global step (0, 1, ...), which continues where a
            resumed run stopped: schedules such as a KL warm-up or per-step noise seeds use it.
        optimizer: defaults to Adam with learning rate ``lr``.
        checkpoint: if given, the model, optimizer and history are saved there atomically
            after every epoch and training resumes from it; a checkpoint that already holds
            ``epochs`` epochs is loaded without training.
        until: a stopping rule, ``until(history) -> bool``, asked after every epoch (and of a loaded
            checkpoint's history): once it is true, training stops there, so ``epochs`` is a cap. A rule of the
            history alone (e.g. "the running accuracy reached 90 %") makes a resumed run stop where an
            uninterrupted one did.

    In a process group of ``world`` ranks each rank computes the loss on its share of every batch
    (``_share``, its loss weighted by the share's size so that the averaged gradient is the whole
    batch's) and DistributedDataParallel averages the gradients. The loss draws its noise from a
    seed of its own per rank and step, leaving the shared stream (which may order the batches)
    alike on every rank. The history holds rank 0's losses, BatchNorm statistics are taken from
    rank 0 after each epoch, and rank 0 writes the checkpoint (with the world size).

    Returns:
        one dict per optimisation step: ``epoch``, ``step``, ``loss`` and the metrics.

    Raises:
        TrainingDiverged: when the loss becomes NaN or infinite.
        ValueError: when a batch holds a NaN or an infinite entry (naming the tensor, the epoch and the step).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    rank, world = _process_group()
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history: list[dict[str, float]] = []
    start_epoch = 0
    if checkpoint is not None and Path(checkpoint).is_file():
        initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
        try:
            state = load_checkpoint(checkpoint)
            try:  # a checkpoint of another architecture or version: keys or shapes differ
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["optimizer"])
                history, start_epoch = list(state["history"]), int(state["epoch"])
            except (KeyError, RuntimeError, ValueError) as err:
                model.load_state_dict(initial)  # undo a partial load
                raise UnreadableCheckpoint(f"the checkpoint {checkpoint} does not fit this model ({err})") from err
        except UnreadableCheckpoint as err:
            print(f"{desc}: {str(err)[:400]}; training from scratch and overwriting it")
            history, start_epoch = [], 0
    _same_on_every_rank(start_epoch, world, device, checkpoint)
    progress = progress and rank == 0
    if start_epoch >= epochs or (start_epoch > 0 and until is not None and until(history)):
        model.eval()
        if progress and checkpoint is not None:
            print(f"{desc}: loaded {start_epoch} trained epochs from checkpoint {Path(checkpoint).name}")
        return history

    total = len(batches) * (epochs - start_epoch) if hasattr(batches, "__len__") else None
    bar = tqdm(total=total, desc=desc, disable=not progress, leave=True)
    step = start_step = len(history)
    takes_step = "step" in inspect.signature(loss_fn).parameters
    engine = _LossModule(model, loss_fn, takes_step)
    noise_base = None
    if world > 1:  # unused parameters (a control without some branch) are allowed, and stay unchanged everywhere
        engine = DistributedDataParallel(engine, find_unused_parameters=True, broadcast_buffers=False)
        noise_base = int(torch.randint(2**62, ()))  # one draw of the shared stream, alike on every rank
    started = time.perf_counter()
    try:
        for epoch in range(start_epoch, epochs):
            model.train()
            for batch in batches(epoch) if callable(batches) else batches:
                bad = _nonfinite(batch)
                if bad is not None:
                    raise ValueError(
                        f"{desc}: {bad} of the batch at epoch {epoch}, step {step} holds NaN or infinite entries; "
                        "expected finite inputs (fill missing values and pass a mask)"
                    )
                weight = _share_weight(batch, rank, world) if world > 1 else 1.0
                batch = _to_device(_share(batch, rank, world), device)
                with _own_noise(None if noise_base is None else noise_base + step * world + rank, device):
                    out = engine(batch, step)
                loss, metrics = out if isinstance(out, tuple) else (out, {})
                value = float(loss.detach())
                if not _finite_everywhere(value, world, device):
                    raise TrainingDiverged(
                        f"{desc}: loss became {value} at epoch {epoch}, step {step}. Lower the learning rate "
                        f"or check the inputs for NaN/inf"
                        + (f"; the last good checkpoint is {checkpoint}" if checkpoint else "")
                    )
                optimizer.zero_grad(set_to_none=True)
                (loss * weight if world > 1 else loss).backward()
                optimizer.step()
                history.append(
                    {"epoch": epoch, "step": step, "loss": value, **{k: float(v) for k, v in metrics.items()}}
                )
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
            if world > 1:  # BatchNorm's running statistics saw each rank's own share: rank 0's everywhere
                for buffer in model.buffers():
                    dist.broadcast(buffer, src=0)
            if checkpoint is not None and rank == 0:
                save_checkpoint(
                    checkpoint,
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "epoch": epoch + 1,
                        "history": history,
                        "world": world,
                    },
                )
            if world > 1:
                dist.barrier()  # no rank runs ahead of the checkpoint of this epoch
            if until is not None and until(history):
                break
    finally:
        bar.close()
    model.eval()
    if progress:  # a static record for saved notebooks, where progress widgets do not render
        print(
            f"{desc}: epochs {start_epoch}-{history[-1]['epoch'] + 1 if history else epochs} on {device}, "
            f"{step - start_step} steps "
            f"in {time.perf_counter() - started:.0f} s, last loss {history[-1]['loss']:.4f}"
        )
    return history


def fit_best(
    model: nn.Module,
    batches: Callable[[int], Iterable[Batch]],
    loss_fn: LossFn,
    score_fn: Callable[[nn.Module], float],
    *,
    epochs: int,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    device: torch.device | str | None = None,
) -> tuple[list[float], int]:
    """Train up to ``epochs`` epochs, score on held-out data after each, and keep the best epoch.

    ``score_fn(model)`` (higher is better, e.g. validation AUPRC) is called in eval mode after every
    epoch; at the end the model holds the weights of the best-scoring epoch, as a checkpoint on
    the validation metric does. ``batches(epoch)`` gives epoch ``epoch``'s batches. Returns the
    scores per epoch and the index of the best one.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    scores: list[float] = []
    best_state, best_epoch = None, -1
    for epoch in range(epochs):
        fit(model, lambda _, e=epoch: batches(e), loss_fn, epochs=1, optimizer=optimizer, device=device, progress=False)
        model.eval()
        with torch.no_grad():
            scores.append(float(score_fn(model)))
        if best_state is None or scores[-1] > scores[best_epoch]:
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch = epoch
    model.load_state_dict(best_state)
    model.eval()
    return scores, best_epoch


@torch.no_grad()
def predict(
    fn: Callable[..., torch.Tensor],
    *tensors: torch.Tensor,
    batch_size: int = 512,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``fn`` applied in batches without gradients; the result is concatenated on the CPU.

    ``tensors`` share their first dimension ``N``; ``fn`` receives one batch of each, moved to
    ``device`` where one is given: ``predict(model, images)`` or ``predict(model, values, mask, times)``.
    A floating input with a NaN or an infinite entry raises ``ValueError`` naming it and its rows.
    """
    if not tensors:
        raise ValueError("predict needs at least one input tensor")
    n = tensors[0].shape[0]
    if any(t.shape[0] != n for t in tensors):
        raise ValueError(f"predict's inputs must share their first dimension, got {[tuple(t.shape) for t in tensors]}")
    if n == 0:
        raise ValueError("predict got an empty input")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    for i in range(0, n, batch_size):
        bad = _nonfinite([t[i : i + batch_size] for t in tensors], "input")
        if bad is not None:
            raise ValueError(
                f"predict: {bad} holds NaN or infinite entries in rows {i}-{min(i + batch_size, n) - 1}; expected "
                "finite inputs (fill missing values and pass a mask)"
            )
    outs = [
        fn(*(t[i : i + batch_size].to(device) if device is not None else t[i : i + batch_size] for t in tensors)).cpu()
        for i in range(0, n, batch_size)
    ]
    return torch.cat(outs)
