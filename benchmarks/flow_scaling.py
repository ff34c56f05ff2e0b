"""Cost of the log-determinant gradient, exact vs self-normalizing, against dimension D.

Two measurements per D, both of one linear flow layer:
    log-det gradient   exact: autograd through ``slogdet`` (LU, O(D^3));
                       self-normalizing: the stand-ins ``R^T`` and ``-W^T`` (O(D^2))
    training step      forward, log-det (or its stand-in), reconstruction loss, backward, batch B
                       (the self-normalizing step is O(B D^2), the exact one adds O(D^3))
Prints medians, the ratio to the exact layer measured in the same run, and the log-log slope
fitted over the top decade of D; ``--write`` also saves the table as Markdown.

Usage: python benchmarks/flow_scaling.py [--dims 256 512 ... 4096] [--batch 64] [--repeats 5]
       [--device auto] [--write benchmarks/results/flow_scaling_cpu.md]
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import torch

from eqlib.nn import ExactLinear, SelfNormLinear
from eqlib.perf import flow_layer_step_time, log_det_gradient_time, loglog_slope
from eqlib.runtime import device as pick_device

DEFAULT_DIMS = [256, 362, 512, 724, 1024, 1448, 2048, 2896, 4096]


def top_decade(dims: list[int]) -> list[int]:
    """The dimensions within a factor 10 of the largest (at least the largest two)."""
    top = [d for d in dims if d * 10 >= max(dims)]
    return top if len(top) >= 2 else sorted(dims)[-2:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=DEFAULT_DIMS)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--write", type=Path, default=None, help="also write the table (Markdown) to this file")
    args = parser.parse_args()
    dev = pick_device(args.device)
    dims = sorted(args.dims)
    rows = []
    for dim in dims:
        rows.append(
            {
                "D": dim,
                "logdet exact": log_det_gradient_time("exact", dim, args.repeats, dev),
                "logdet SNF": log_det_gradient_time("self-normalizing", dim, args.repeats, dev),
                "step exact": flow_layer_step_time(ExactLinear, dim, args.batch, args.repeats, dev),
                "step SNF": flow_layer_step_time(SelfNormLinear, dim, args.batch, args.repeats, dev),
            }
        )
        r = rows[-1]
        print(
            f"D {dim:5d} | log-det gradient: exact {1e3 * r['logdet exact']:9.2f} ms, SNF {1e3 * r['logdet SNF']:7.3f} ms"
            f" | step: exact {1e3 * r['step exact']:9.2f} ms, SNF {1e3 * r['step SNF']:8.2f} ms",
            flush=True,
        )
    top = top_decade(dims)
    picked = [r for r in rows if r["D"] in top]
    slopes = {key: loglog_slope(top, [r[key] for r in picked]) for key in rows[0] if key != "D"}
    lines = [
        (
            f"One linear flow layer; device {dev} ({platform.processor() or platform.machine()}, "
            f"{torch.get_num_threads()} threads), torch {torch.__version__}; batch {args.batch} for steps; "
            f"median of {args.repeats} after 2 warm-up runs."
        ),
        "",
        (
            "| D | log-det gradient, exact (ms) | log-det gradient, SNF (ms) | exact / SNF | "
            "training step, exact (ms) | training step, SNF (ms) | exact / SNF |"
        ),
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['D']} | {1e3 * r['logdet exact']:.2f} | {1e3 * r['logdet SNF']:.3f} | "
            f"{r['logdet exact'] / r['logdet SNF']:.0f} | {1e3 * r['step exact']:.2f} | {1e3 * r['step SNF']:.2f} | "
            f"{r['step exact'] / r['step SNF']:.1f} |"
        )
    lines += [
        "",
        (
            f"Log-log slopes over D = {top[0]}-{top[-1]} (theory for large D: 3 for the exact log-det gradient, "
            "2 for the stand-in and for the self-normalizing step):"
        ),
        (
            f"log-det gradient exact {slopes['logdet exact']:.2f}, SNF {slopes['logdet SNF']:.2f}; "
            f"training step exact {slopes['step exact']:.2f}, SNF {slopes['step SNF']:.2f}."
        ),
    ]
    table = "\n".join(lines)
    print()
    print(table)
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(table + "\n")
        print(f"\nwritten to {args.write}")


if __name__ == "__main__":
    main()
