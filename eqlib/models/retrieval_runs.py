"""Training runs of notebook 06: one associative-retrieval model per run, cached, several side by side.

A ``RetrievalRun`` names everything that fixes a trained model: the cell, the task's ``K``, the
budget, the seed (initial weights and the stream of fresh batches), the sizes and the fast-weight
knobs, and optionally a level of the running batch accuracy at which training stops. ``train_run``
trains it (or loads its checkpoint); ``train_runs`` trains many, in worker processes of one thread
each on a CPU: the recurrent cells are overhead-bound, so two single-threaded runs side by side
use two cores where one run on two threads does not (``benchmarks/bench_retrieval_runs.py``
measures it). A run trained in a worker is the same model, bit for bit, as the run trained alone
on one thread; the tests check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context

import numpy as np
import torch
import torch.nn.functional as F

from eqlib.data.retrieval import RetrievalBatches
from eqlib.models.fastweights import CELLS, RetrievalNet
from eqlib.train import checkpoint_key, fit

WINDOW = 25  # steps in the running batch accuracy


@dataclass(frozen=True)
class RetrievalRun:
    """One model of notebook 06 and how it is trained.

    Attributes:
        cell: one of ``eqlib.models.fastweights.CELLS``.
        pairs: ``K``, key-value pairs per sequence.
        steps: the budget in optimisation steps (a multiple of ``steps_per_epoch``); with ``stop_at``, a cap.
        seed: the initial weights (``torch.manual_seed(seed)``) and the batch stream (seed ``1000 * seed``).
        stop_at: stop at the end of the first epoch whose running batch accuracy (``WINDOW``-step mean)
            reached this level; ``None`` trains the whole budget.
    """

    cell: str
    pairs: int
    steps: int
    seed: int
    hidden: int = 64
    batch: int = 128
    lr: float = 1e-3
    decay: float = 0.95
    rate: float = 0.5
    inner_steps: int = 1
    stop_at: float | None = None
    steps_per_epoch: int = 50

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.steps <= 0 or self.steps % self.steps_per_epoch:
            raise ValueError(f"steps must be a positive multiple of {self.steps_per_epoch}, got {self.steps}")
        if self.stop_at is not None and not 0 < self.stop_at <= 1:
            raise ValueError(f"stop_at must be an accuracy in (0, 1], got {self.stop_at}")


def running_accuracy(history: Sequence[dict[str, float]], window: int = WINDOW) -> np.ndarray:
    """Mean batch accuracy over the last ``window`` steps, at steps ``window, window + 1, ..., len(history)``."""
    return np.convolve([h["accuracy"] for h in history], np.ones(window) / window, mode="valid")


def steps_to(history: Sequence[dict[str, float]], level: float, window: int = WINDOW) -> float:
    """The first step at which the running batch accuracy reaches ``level``; ``inf`` if it never does."""
    hit = np.flatnonzero(running_accuracy(history, window) >= level)
    return float(hit[0] + window) if hit.size else float("inf")


def _loss(
    model: RetrievalNet, batch: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    tokens, answers = batch
    logits = model(tokens)
    return F.cross_entropy(logits, answers), {"accuracy": (logits.argmax(1) == answers).float().mean()}


def train_run(
    run: RetrievalRun, device: torch.device | str = "cpu", progress: bool = False
) -> tuple[RetrievalNet, list[dict[str, float]]]:
    """The trained model (in eval mode) and its per-step history (``loss``, ``accuracy``), from the cache if there.

    The checkpoint key hashes the run, a fingerprint of its stream's first batch and the eqlib source.
    """
    torch.manual_seed(run.seed)
    model = RetrievalNet(run.cell, hidden_size=run.hidden, decay=run.decay, rate=run.rate, inner_steps=run.inner_steps)
    stream = RetrievalBatches(run.pairs, run.batch, run.steps_per_epoch, seed=1_000 * run.seed)
    first_tokens, first_answers = next(iter(stream(0)))
    until = None
    if run.stop_at is not None:
        level = run.stop_at

        def until(history: list[dict[str, float]]) -> bool:
            return steps_to(history, level) < float("inf")

    history = fit(
        model,
        stream,
        _loss,
        epochs=run.steps // run.steps_per_epoch,
        lr=run.lr,
        device=device,
        checkpoint=checkpoint_key("retrieval", asdict(run), first_tokens, first_answers),
        progress=progress,
        desc=f"{run.cell}, K={run.pairs}, hidden {run.hidden}, seed {run.seed}",
        until=until,
    )
    return model.eval(), history


def _train_alone(run: RetrievalRun) -> int:
    """A worker's job: train ``run`` on one CPU thread into the cache; returns the steps taken."""
    torch.set_num_threads(1)
    return len(train_run(run)[1])


def train_runs(
    runs: Sequence[RetrievalRun], device: torch.device | str = "cpu", workers: int = 1, progress: bool = False
) -> dict[RetrievalRun, tuple[RetrievalNet, list[dict[str, float]]]]:
    """``train_run`` for every run, keyed by run.

    With ``workers > 1`` on a CPU the runs train first in that many fresh processes of one thread each, the
    longest first (a cached run only loads), and are then loaded from the cache here; on a GPU, or with
    ``workers = 1``, they train one after another in this process.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    unique = list(dict.fromkeys(runs))
    if workers > 1 and torch.device(device).type == "cpu" and len(unique) > 1:
        with ProcessPoolExecutor(min(workers, len(unique)), mp_context=get_context("spawn")) as pool:
            list(pool.map(_train_alone, sorted(unique, key=lambda r: -r.steps * r.pairs * r.hidden)))
    return {run: train_run(run, device, progress) for run in unique}
