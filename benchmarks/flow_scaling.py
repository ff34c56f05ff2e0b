"""Cost of one training step of an exact vs a self-normalizing linear flow layer, against dimension D.

The exact layer differentiates ``log|det W|`` through ``slogdet`` (LU: O(D^3)); the
self-normalizing layer replaces that gradient by ``R^T`` and adds a reconstruction loss,
all matrix products with a batch (O(D^2) per example). Prints, for each D, the median step
time of both, their ratio, and the fitted log-log slopes.

Usage: python benchmarks/flow_scaling.py [--dims 64 128 256 512 1024 2048] [--batch 64] [--repeats 5]
"""

from __future__ import annotations

import argparse

from eqlib.nn import ExactLinear, SelfNormLinear
from eqlib.perf import flow_layer_step_time, loglog_slope
from eqlib.runtime import device as pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 128, 256, 512, 1024, 2048])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    dev = pick_device(args.device)
    print(f"one training step of one linear flow layer, batch {args.batch}, median of {args.repeats}, device {dev}")
    print(f"{'D':>6s} {'exact ms':>10s} {'SNF ms':>10s} {'exact/SNF':>10s}")
    exact, snf = [], []
    for dim in args.dims:
        exact.append(flow_layer_step_time(ExactLinear, dim, args.batch, args.repeats, dev))
        snf.append(flow_layer_step_time(SelfNormLinear, dim, args.batch, args.repeats, dev))
        print(f"{dim:6d} {1e3 * exact[-1]:10.2f} {1e3 * snf[-1]:10.2f} {exact[-1] / snf[-1]:10.2f}")
    print(f"log-log slope, all D: exact {loglog_slope(args.dims, exact):.2f}, SNF {loglog_slope(args.dims, snf):.2f}")
    if len(args.dims) >= 3:
        top = slice(-3, None)
        print(
            f"log-log slope, largest 3 D: exact {loglog_slope(args.dims[top], exact[top]):.2f}, "
            f"SNF {loglog_slope(args.dims[top], snf[top]):.2f}"
        )
    print("(theory for large D: 3 for exact, 2 for SNF; small D is dominated by fixed overheads)")


if __name__ == "__main__":
    main()
