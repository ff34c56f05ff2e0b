"""The APC paper's training protocol, with its random-initialisation control (Wever et al. 2021, arXiv 2106.15577).

Three arms share the labelled training stays, a validation split that picks each stage's best
epoch (the authors keep the checkpoint with the best validation AUPRC), and the class weights
``n / (2 n_c)`` of the training labels (the authors' ``get_class_weights``):

- ``"scratch"``: encoder and outcome head trained together on the weighted outcome loss;
- ``"apc"``: (1) APC alone on the same stays (best epoch on the validation APC loss), (2) the
  outcome head on the frozen encoder, (3) everything on ``outcome loss + apc_weight * APC loss``;
- ``"schedule"``: stages (2) and (3) from the encoder that stage (1) starts from, never
  pre-trained. It isolates what pre-training adds from what the staged schedule adds.

The authors' code applies its stop-gradient to the forecasting path only, so in their stage (2)
the outcome loss still reaches the encoder; the paper calls that stage frozen, and so does this
module (the encoder's parameters take no gradient).

Tensors: a split is ``(values, mask, deltas, labels)`` with ``(N, T, V)`` series and ``(N,)`` labels.

A *job* is one seed of one setting, a JSON-able dict (``run_job``); ``run_jobs`` runs many in
worker processes and caches each result under a hash of the job, of the data tensors it reads,
and of the protocol's version.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from typing import Any

import torch

from eqlib.data.apc_simulation import apc_simulation
from eqlib.data.icu import ICUData, synthetic_icu
from eqlib.metrics import auprc, auroc
from eqlib.models.apc import APC, APCClassifier, OutcomeClassifier, SeriesEncoder, weighted_bce
from eqlib.train import TensorBatches, checkpoint_path, fit_best, predict, source_fingerprint, tensor_fingerprint

Split = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
ARMS = ("scratch", "apc", "schedule")


@dataclass(frozen=True)
class Schedule:
    """Sizes, epochs and learning rates of the three arms.

    ``scratch_epochs`` defaults to ``head_epochs + tune_epochs``, so that every arm trains its
    classifier for the same number of epochs; APC's own epochs come on top, without labels.
    """

    hidden: int = 64
    shift: int = 1
    batch: int = 32
    lr: float = 1e-3
    apc_epochs: int = 10
    head_epochs: int = 5
    tune_epochs: int = 10
    head_lr: float = 1e-3
    tune_lr: float = 1e-3
    apc_weight: float = 1.0
    scratch_epochs: int = 0

    def __post_init__(self) -> None:
        for name in ("hidden", "shift", "batch", "apc_epochs", "head_epochs", "tune_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"Schedule.{name} must be >= 1, got {getattr(self, name)}")
        if self.scratch_epochs == 0:
            object.__setattr__(self, "scratch_epochs", self.head_epochs + self.tune_epochs)

    def as_config(self) -> dict[str, float]:
        return asdict(self)


_STAGES = ("apc", "scratch", "head", "tune")


def _batch_seed(seed: int, stage: str) -> int:
    # TensorBatches shuffles epoch e with seed + e: stages 1,000 apart share no shuffle up to 1,000 epochs
    return 10_000 * seed + 1_000 * _STAGES.index(stage)


def series_tensors(data: ICUData, delta_scale: float = 10.0) -> Split:
    """``(values, mask, deltas / delta_scale, labels)``; the scaling keeps GRU-D's deltas near 1."""
    return data.values, data.mask, data.deltas() / delta_scale, data.labels


def class_weights(labels: torch.Tensor) -> tuple[float, float]:
    """``(w_0, w_1)`` with ``w_c = n / (2 n_c)`` for a label vector ``(N,)``: each class weighs half the loss."""
    n, positives = labels.numel(), float(labels.sum())
    if positives == 0 or positives == n:
        raise ValueError(f"labels need both classes, got {positives:.0f} positives of {n}")
    return n / (2 * (n - positives)), n / (2 * positives)


@torch.no_grad()
def outcome_scores(model: torch.nn.Module, split: Split, device: torch.device | str = "cpu") -> torch.Tensor:
    """Outcome logits ``(N,)`` of a classifier over a split, in batches."""
    model.eval()
    return predict(model, *split[:3], batch_size=256, device=device)


def evaluate(model: torch.nn.Module, split: Split, device: torch.device | str = "cpu") -> dict[str, float]:
    """``{"auprc", "auroc"}`` of a classifier on a split."""
    scores = outcome_scores(model, split, device)
    return {"auprc": auprc(scores, split[3]), "auroc": auroc(scores, split[3])}


@torch.no_grad()
def _apc_loss_on(model: APC, split: Split, device: torch.device | str) -> float:
    model.eval()
    total, count = 0.0, 0.0
    for start in range(0, len(split[0]), 256):
        part = [t[start : start + 256].to(device) for t in split[:3]]
        weight = float(part[1][:, model.shift :].sum())
        total, count = total + float(model.loss(*part)) * weight, count + weight
    return total / max(count, 1.0)


def pretrain_apc(
    kind: str, train: Split, val: Split, schedule: Schedule, seed: int, device: torch.device | str = "cpu"
) -> tuple[APC, list[float]]:
    """Stage (1): APC on the training stays, keeping the epoch with the lowest validation APC loss.

    Returns the model (on ``device``) and the validation APC loss per epoch.
    """
    model = initial_apc(kind, train, schedule, seed).to(device)
    batches = TensorBatches(*train[:3], batch_size=schedule.batch, seed=_batch_seed(seed, "apc"))
    scores, _ = fit_best(
        model,
        batches,
        lambda m, b: m.loss(*b),
        lambda m: -_apc_loss_on(m, val, device),
        epochs=schedule.apc_epochs,
        lr=schedule.lr,
        device=device,
    )
    return model, [-s for s in scores]


def initial_apc(kind: str, train: Split, schedule: Schedule, seed: int) -> APC:
    """The encoder and forecasting head that every arm of ``seed`` starts from (GRU-D imputes towards 0)."""
    torch.manual_seed(seed)
    return APC(SeriesEncoder(kind, train[0].shape[2], schedule.hidden), shift=schedule.shift)


def _outcome_head(model: torch.nn.Module, seed: int) -> None:
    # the same initial outcome head for every arm of a seed
    torch.manual_seed(10_000 + seed)
    model.head.reset_parameters()


def train_scratch(
    kind: str,
    train: Split,
    val: Split,
    schedule: Schedule,
    seed: int,
    device: torch.device | str = "cpu",
    weights: tuple[float, float] | None = None,
) -> tuple[OutcomeClassifier, list[float]]:
    """The plain baseline: encoder and head on the weighted outcome loss; best epoch on validation AUPRC.

    ``weights``: the class weights ``(w_0, w_1)``, by default ``class_weights`` of the training labels.
    """
    model = OutcomeClassifier(SeriesEncoder(kind, train[0].shape[2], schedule.hidden))
    model.encoder.load_state_dict(initial_apc(kind, train, schedule, seed).encoder.state_dict())
    _outcome_head(model, seed)
    weights = weights if weights is not None else class_weights(train[3])
    scores, _ = fit_best(
        model.to(device),
        TensorBatches(*train, batch_size=schedule.batch, seed=_batch_seed(seed, "scratch")),
        lambda m, b: weighted_bce(m(*b[:3]), b[3], weights),
        lambda m: evaluate(m, val, device)["auprc"],
        epochs=schedule.scratch_epochs,
        lr=schedule.lr,
        device=device,
    )
    return model, scores


def train_stages(
    apc: APC, train: Split, val: Split, schedule: Schedule, seed: int, device: torch.device | str = "cpu"
) -> tuple[APCClassifier, list[float]]:
    """Stages (2) and (3) from the encoder of ``apc`` (pre-trained or not); best epochs on validation AUPRC.

    Returns the classifier and the validation AUPRC per epoch, stage (2) then stage (3).
    """
    copy = APC(SeriesEncoder(apc.encoder.kind, apc.encoder.variables, apc.encoder.hidden_size), shift=apc.shift)
    copy.load_state_dict(apc.state_dict())
    model = APCClassifier(copy)
    _outcome_head(model, seed)
    model.to(device)
    weights = class_weights(train[3])
    score = lambda m: evaluate(m, val, device)["auprc"]
    model.apc.requires_grad_(False)  # stage (2): the encoder is frozen
    try:
        head_scores, _ = fit_best(
            model,
            TensorBatches(*train, batch_size=schedule.batch, seed=_batch_seed(seed, "head")),
            lambda m, b: weighted_bce(m(*b[:3]), b[3], weights),
            score,
            epochs=schedule.head_epochs,
            optimizer=torch.optim.Adam(model.head.parameters(), lr=schedule.head_lr),
            device=device,
        )
    finally:
        model.apc.requires_grad_(True)
    tune_scores, _ = fit_best(
        model,
        TensorBatches(*train, batch_size=schedule.batch, seed=_batch_seed(seed, "tune")),
        lambda m, b: m.joint_loss(*b, class_weights=weights, apc_weight=schedule.apc_weight),
        score,
        epochs=schedule.tune_epochs,
        lr=schedule.tune_lr,
        device=device,
    )
    return model, head_scores + tune_scores


def compare_arms(
    kind: str,
    train: Split,
    val: Split,
    test: Split,
    schedule: Schedule,
    seed: int,
    device: torch.device | str = "cpu",
) -> dict[str, dict[str, float]]:
    """Test AUPRC and AUROC of the three arms (``ARMS``) for one encoder kind and one seed.

    Every arm starts from the same encoder and outcome head (drawn from ``seed``) and reads the
    same training, validation and test stays.
    """
    if kind not in ("gru", "grud"):
        raise ValueError(f"kind must be 'gru' or 'grud', got {kind!r}")
    results = {}
    scratch, _ = train_scratch(kind, train, val, schedule, seed, device)
    results["scratch"] = evaluate(scratch, test, device)
    pretrained, _ = pretrain_apc(kind, train, val, schedule, seed, device)
    results["apc"] = evaluate(train_stages(pretrained, train, val, schedule, seed, device)[0], test, device)
    untrained = initial_apc(kind, train, schedule, seed)
    results["schedule"] = evaluate(train_stages(untrained, train, val, schedule, seed, device)[0], test, device)
    return results


SOURCES: dict[str, Callable[..., ICUData]] = {"icu": synthetic_icu, "simulation": apc_simulation}


def job_splits(job: dict[str, Any]) -> tuple[Split, Split, Split]:
    """Training, validation and test splits of a job, standardised with the observed training entries.

    ``job["source"]`` names the generator (``SOURCES``), ``job["data"]`` its keyword arguments
    (missing rate, positive rate, noise, ...), ``job["sizes"]`` the three split sizes; the three
    splits are drawn with seeds ``100 * seed + 1, 2, 3``.
    """
    if job["source"] not in SOURCES:
        raise ValueError(f"job source must be one of {sorted(SOURCES)}, got {job['source']!r}")
    generate, seed = SOURCES[job["source"]], job["seed"]
    raw = [generate(n, seed=100 * seed + i, **job["data"]) for i, n in enumerate(job["sizes"], start=1)]
    mean, std = raw[0].normaliser()
    train, val, test = (series_tensors(d.standardised(mean, std)) for d in raw)
    return train, val, test


def split_stays(data: ICUData, shares: tuple[float, float] = (0.7, 0.15), seed: int = 0) -> tuple[Split, Split, Split]:
    """One dataset (e.g. ``eqlib.data.physionet_2012``) split at random into training, validation and test.

    ``shares``: the training and validation shares; the test split gets the rest. Standardised
    with the observed training entries, like ``job_splits``.
    """
    train_share, val_share = shares
    if not (0 < train_share and 0 < val_share and train_share + val_share < 1):
        raise ValueError(f"shares must be two positive fractions summing below 1, got {shares}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    cut_train, cut_val = round(train_share * len(data)), round((train_share + val_share) * len(data))
    if not 0 < cut_train < cut_val < len(data):
        raise ValueError(f"{len(data)} stays are too few to split with shares {shares}")
    parts = [data.subset(order[:cut_train]), data.subset(order[cut_train:cut_val]), data.subset(order[cut_val:])]
    mean, std = parts[0].normaliser()
    train, val, test = (series_tensors(d.standardised(mean, std)) for d in parts)
    return train, val, test


def run_job(job: dict[str, Any], splits: tuple[Split, Split, Split] | None = None) -> dict[str, dict[str, float]]:
    """``compare_arms`` for one job: ``{"source", "data", "sizes", "kind", "seed", "schedule", "device"}``."""
    torch.set_num_threads(job.get("threads", torch.get_num_threads()))
    train, val, test = splits if splits is not None else job_splits(job)
    return compare_arms(job["kind"], train, val, test, Schedule(**job["schedule"]), job["seed"], job["device"])


def data_fingerprint(splits: tuple[Split, ...]) -> str:
    """A SHA-256 of every tensor of the splits: any change of the data, by a knob or by the generator's code."""
    return hashlib.sha256("".join(tensor_fingerprint(t) for split in splits for t in split).encode()).hexdigest()


def _cached_job(job: dict[str, Any]) -> dict[str, dict[str, float]]:
    # the key: the job without its thread count (speed, not what is computed), the data it actually reads,
    # the eqlib source that trains (so any change of the code computes afresh) and torch's version
    splits = job_splits(job)
    key = {k: v for k, v in job.items() if k != "threads"}
    key.update(data=data_fingerprint(splits), given=job["data"], source=source_fingerprint(), torch=torch.__version__)
    path = checkpoint_path("apc-job", key).with_suffix(".json")
    if path.is_file():
        return json.loads(path.read_text())
    result = run_job(job, splits)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, path)  # atomic: a reader never sees half a file
    return result


def run_jobs(jobs: Sequence[dict[str, Any]], workers: int = 1) -> list[dict[str, dict[str, float]]]:
    """Results of ``run_job`` for every job, in order, each cached as JSON in ``eqlib.runtime.cache_root()``.

    ``workers > 1`` runs jobs in that many fresh processes with one thread each (two single-threaded
    small recurrent nets train faster side by side than one on two threads); use 1 on a GPU.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if workers == 1:
        return [_cached_job(job) for job in jobs]
    single = [{**job, "threads": 1} for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_cached_job, single))
