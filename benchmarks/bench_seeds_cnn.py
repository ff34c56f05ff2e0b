"""Do a conv net's seeds train faster side by side on a CPU? Times three arrangements of the same seeds.

Notebooks 01-03 train a small CNN (``eqlib.models.PlainCNN``: three 3x3 conv layers with batch norm,
batch 128, 28 x 28 images) over several paired seeds. For ``--seeds`` seeds of ``--steps`` Adam steps
each on random images, this times, from the start of the work to its end:

- one seed after another in this process on every thread (the baseline, as the notebooks run);
- ``--workers`` fresh processes of one thread each (spawn start-up included, as a notebook would pay it);
- all seeds stacked into one model with ``torch.func`` (``stack_module_state`` + ``vmap``; batch norm
  without running statistics, which ``vmap`` cannot update in place), on every thread.

Medians over interleaved repeats and the ratio to the baseline are printed and written to
``benchmarks/results/seeds_cnn_cpu.md``.
Usage: python benchmarks/bench_seeds_cnn.py [--seeds 4] [--steps 60] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, stack_module_state, vmap

from eqlib.models import PlainCNN
from eqlib.perf import interleaved_medians, ratio_table

BATCH = 128


def batches(seed: int, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``steps`` batches of random images ``(steps, B, 1, 28, 28)`` and labels ``(steps, B)`` for one seed."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(steps, BATCH, 1, 28, 28, generator=g), torch.randint(0, 10, (steps, BATCH), generator=g)


def train_one(seed: int, steps: int, threads: int | None = None) -> float:
    """One seed's training: ``steps`` Adam steps of a fresh PlainCNN; returns the last loss."""
    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = PlainCNN()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, labels = batches(seed, steps)
    for x, y in zip(images, labels):
        optimiser.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
    return float(loss)


def one_after_another(seeds: int, steps: int, workers: int) -> None:
    for seed in range(seeds):
        train_one(seed, steps)


def side_by_side(seeds: int, steps: int, workers: int) -> None:
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(train_one, range(seeds), [steps] * seeds, [1] * seeds))


def stacked(seeds: int, steps: int, workers: int) -> None:
    models = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = PlainCNN()
        torch.func.replace_all_batch_norm_modules_(model)  # no running statistics: vmap cannot update them
        models.append(model)
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def loss_of(p, b, x, y):
        return F.cross_entropy(functional_call(base, (p, b), (x,)), y)

    step_grads = vmap(grad(loss_of), in_dims=(0, 0, 0, 0))
    optimiser = torch.optim.Adam(params.values(), lr=1e-3)
    data = [batches(seed, steps) for seed in range(seeds)]
    images, labels = torch.stack([d[0] for d in data], 1), torch.stack([d[1] for d in data], 1)  # (steps, S, B, ...)
    for x, y in zip(images, labels):
        grads = step_grads(params, buffers, x, y)
        for name, p in params.items():
            p.grad = grads[name]
        optimiser.step()


ARRANGEMENTS = {
    "one after another, all threads": one_after_another,
    "worker processes, one thread each": side_by_side,
    "stacked with torch.func (vmap), all threads": stacked,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    threads = torch.get_num_threads()

    def timed(run) -> float:
        torch.set_num_threads(threads)
        start = time.perf_counter()
        run(args.seeds, args.steps, args.workers)
        return time.perf_counter() - start

    medians = interleaved_medians({name: partial(timed, run) for name, run in ARRANGEMENTS.items()}, args.repeats)
    head = (
        f"{args.seeds} seeds of PlainCNN (3 conv layers with batch norm, batch {BATCH}, 28 x 28), {args.steps} Adam "
        f"steps each; device cpu ({platform.machine()}, {os.cpu_count()} cores, {threads} threads), torch "
        f"{torch.__version__}; {args.workers} worker processes; median of {args.repeats} interleaved repeats."
    )
    text = ratio_table(head, medians, "one after another")
    print(text)
    out = Path(__file__).parent / "results" / "seeds_cnn_cpu.md"
    out.write_text(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
