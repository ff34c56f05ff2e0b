"""Do notebook 06's seeds train faster side by side? Times ``train_runs`` with 1 and with 2+ worker processes.

A batch of retrieval runs (every cell of ``eqlib.models.fastweights.CELLS`` over a few seeds, K and
budget as given) trains into a fresh cache, once one after another in this process on one thread
(the baseline, as notebook 06 ran before) and once in ``--workers`` processes of one thread each;
each arrangement is repeated and the medians of the wall times and their ratio are printed, with
a Markdown table written to ``benchmarks/results/retrieval_runs_<device>.md``.
Usage: python benchmarks/bench_retrieval_runs.py [--pairs 4] [--steps 200] [--seeds 2] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from eqlib.models.fastweights import CELLS
from eqlib.models.retrieval_runs import RetrievalRun, train_runs
from eqlib.perf import interleaved_medians, ratio_table


def wall_seconds(runs: list[RetrievalRun], workers: int) -> float:
    """Seconds to train ``runs`` from an empty cache with ``workers`` processes (1: this process, one thread)."""
    with tempfile.TemporaryDirectory() as cache:
        os.environ["EQLIB_CACHE"] = cache
        torch.set_num_threads(1)
        start = time.perf_counter()
        train_runs(runs, workers=workers)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = [RetrievalRun(cell, args.pairs, args.steps, seed) for seed in range(args.seeds) for cell in CELLS]
    medians = interleaved_medians(
        {
            "one after another, one thread": lambda: wall_seconds(runs, 1),
            f"{args.workers} worker processes, one thread each": lambda: wall_seconds(runs, args.workers),
        },
        args.repeats,
    )
    head = (
        f"{len(runs)} retrieval runs (cells {', '.join(CELLS)}; {args.seeds} seeds; K = {args.pairs}, {args.steps} "
        f"steps of batch 128, hidden 64), trained from an empty cache; device cpu ({platform.machine()}, "
        f"{os.cpu_count()} cores), torch {torch.__version__}; median of {args.repeats} interleaved repeats."
    )
    text = ratio_table(head, medians, "one after another")
    print(text)
    out = Path(__file__).parent / "results" / "retrieval_runs_cpu.md"
    out.write_text(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
