"""How many CPU threads should notebook 06's recurrent models use? Times one training step.

A retrieval step runs ``2K + 3`` small recurrent cell updates (batch 128, hidden 64): each
matrix product is too small to split across threads, so intra-op threads mostly synchronise.
For each cell (LSTM with the memory off, fast-weight RNN, FW-LSTM) this times one
forward+backward+Adam step with 1 thread and with ``torch.get_num_threads()`` threads,
and prints the medians and the ratio to the one-thread baseline measured in the same run.
Usage: python benchmarks/bench_retrieval_threads.py [--repeats 20] [--pairs 8]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
import torch.nn.functional as F

from eqlib.data import retrieval_batch
from eqlib.models import RetrievalNet
from eqlib.models.fastweights import CELLS
from eqlib.perf import median_seconds


def training_step(cell: str, pairs: int, batch: int) -> Callable[[], None]:
    torch.manual_seed(0)
    model = RetrievalNet(cell)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens, answers = retrieval_batch(batch, pairs, seed=0)

    def step() -> None:
        optimiser.zero_grad(set_to_none=True)
        F.cross_entropy(model(tokens), answers).backward()
        optimiser.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    most = torch.get_num_threads()
    print(f"device: CPU | one training step, K = {args.pairs}, batch {args.batch} | median of {args.repeats} runs")
    print(f"{'cell':<8} {'1 thread (ms)':>14} {f'{most} threads (ms)':>16} {'ratio':>7}")
    for cell in CELLS:
        medians = {}
        for threads in (1, most):
            torch.set_num_threads(threads)
            step = training_step(cell, args.pairs, args.batch)
            medians[threads] = 1e3 * median_seconds(step, repeats=args.repeats, warmup=3)
        torch.set_num_threads(most)
        print(f"{cell:<8} {medians[1]:>14.1f} {medians[most]:>16.1f} {medians[most] / medians[1]:>7.2f}")


if __name__ == "__main__":
    main()
