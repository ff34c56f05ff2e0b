"""Timing helpers shared by benchmarks/ and notebooks: medians of repeated runs and log-log slopes.

Timings are measurements, never test assertions: they depend on the machine and its load.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch


def interleaved_medians(arrangements: Mapping[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """The median of the seconds each arrangement's call returns, over ``repeats`` rounds in which every arrangement
    runs once in turn (so that a change of the machine's load hits all of them alike)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    times: dict[str, list[float]] = {name: [] for name in arrangements}
    for _ in range(repeats):
        for name, run in arrangements.items():
            times[name].append(run())
    return {name: statistics.median(measured) for name, measured in times.items()}


def ratio_table(head: str, medians: Mapping[str, float], baseline: str) -> str:
    """A Markdown result: ``head``, then one row per arrangement with its median wall time and its ratio to the first
    arrangement's, which ``baseline`` names in the column title."""
    if not medians:
        raise ValueError("ratio_table needs at least one arrangement")
    first = next(iter(medians.values()))
    rows = [f"| arrangement | wall time (s) | ratio to {baseline} |", "| --- | ---: | ---: |"]
    rows += [f"| {name} | {seconds:.1f} | {seconds / first:.2f} |" for name, seconds in medians.items()]
    return "\n".join([head, "", *rows]) + "\n"


def median_seconds(
    step: Callable[[], None], repeats: int = 10, warmup: int = 2, device: torch.device | None = None
) -> float:
    """Median wall time of ``step()`` over ``repeats`` runs after ``warmup`` runs (CUDA-synchronised)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    sync = torch.cuda.synchronize if device is not None and device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def loglog_slope(sizes: Sequence[float], seconds: Sequence[float]) -> float:
    """Least-squares slope of ``log(seconds)`` against ``log(sizes)``: the empirical exponent."""
    if len(sizes) != len(seconds) or len(sizes) < 2:
        raise ValueError("need at least two (size, seconds) pairs of equal length")
    if min(sizes) <= 0 or min(seconds) <= 0:
        raise ValueError("sizes and seconds must be positive")
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def flow_layer_step_time(
    layer_cls: type[torch.nn.Module], dim: int, batch: int = 64, repeats: int = 5, device: torch.device | None = None
) -> float:
    """Median seconds of one training step (forward, log-det, reconstruction if any, backward) of one linear flow layer."""
    device = device or torch.device("cpu")
    generator = torch.Generator().manual_seed(0)  # local: timing must not reset the caller's random state
    layer = layer_cls(dim, generator=generator).to(device)
    x = torch.randn(batch, dim, generator=generator).to(device)

    def step() -> None:
        layer.zero_grad(set_to_none=True)
        z, logdet = layer(x)
        loss = 0.5 * z.pow(2).sum(1).mean() - logdet.mean()
        if hasattr(layer, "reconstruction_loss"):
            loss = loss + layer.reconstruction_loss(x)
        loss.backward()

    return median_seconds(step, repeats=repeats, device=device)


def log_det_gradient_time(kind: str, dim: int, repeats: int = 5, device: torch.device | None = None) -> float:
    """Median seconds to obtain the gradient of ``log|det W|`` for one ``(dim, dim)`` layer, nothing else.

    ``kind="exact"``: autograd through ``slogdet`` (LU factorisation, then ``W^-T``: O(D^3));
    ``kind="self-normalizing"``: the update's stand-ins ``R^T`` for W and ``-W^T`` for R (O(D^2)).
    """
    if kind not in ("exact", "self-normalizing"):
        raise ValueError(f"kind must be 'exact' or 'self-normalizing', got {kind!r}")
    device = device or torch.device("cpu")
    generator = torch.Generator().manual_seed(0)
    weight = (torch.eye(dim) + 0.01 * torch.randn(dim, dim, generator=generator) / dim**0.5).to(device)
    inverse = torch.linalg.inv(weight)
    if kind == "exact":
        weight.requires_grad_(True)

        def step() -> None:
            torch.autograd.grad(torch.linalg.slogdet(weight).logabsdet, weight)

    else:

        def step() -> None:
            inverse.T.contiguous(), weight.T.neg()

    return median_seconds(step, repeats=repeats, device=device)
