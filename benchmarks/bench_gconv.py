"""How much does C4 weight sharing cost? Times a forward+backward pass of one layer.

Compares, at equal output size (``out * 4`` maps):
    plain     ``nn.Conv2d(in, 4 * out)``: the baseline, no symmetry
    lifting   ``C4LiftingConv2d(in, out)``: the filter bank built from rot90 copies, one conv2d
    loop      the same lifting conv as four separate conv2d calls (how one might first write it)
and the group convolution ``C4GroupConv2d(out, out)`` against ``nn.Conv2d(4 * out, 4 * out)``.

Prints the median of several runs and the ratio to the plain baseline measured in the same run.
Usage: python benchmarks/bench_gconv.py [--repeats 20] [--batch 64] [--device auto]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from eqlib.nn import C4GroupConv2d, C4LiftingConv2d
from eqlib.perf import median_seconds
from eqlib.runtime import device as pick_device


def forward_backward(layer_call: Callable[[], torch.Tensor]) -> Callable[[], None]:
    return lambda: layer_call().sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    dev = pick_device(args.device)
    torch.manual_seed(0)
    c = args.channels
    image = torch.randn(args.batch, 1, args.size, args.size, device=dev)
    field = torch.randn(args.batch, c, 4, args.size, args.size, device=dev)

    plain_lift = nn.Conv2d(1, 4 * c, 3, padding=1).to(dev)
    lift = C4LiftingConv2d(1, c, 3).to(dev)
    plain_group = nn.Conv2d(4 * c, 4 * c, 3, padding=1).to(dev)
    gconv = C4GroupConv2d(c, c, 3).to(dev)

    def lift_loop() -> torch.Tensor:
        maps = [F.conv2d(image, torch.rot90(lift.weight, r, dims=(-2, -1)), padding=1) for r in range(4)]
        return torch.stack(maps, dim=2)

    candidates = [
        ("lifting", "plain Conv2d(1, 4C)", lambda: plain_lift(image)),
        ("lifting", "C4LiftingConv2d (filter bank)", lambda: lift(image)),
        ("lifting", "lifting as 4 conv2d calls", lift_loop),
        ("group", "plain Conv2d(4C, 4C)", lambda: plain_group(field.flatten(1, 2))),
        ("group", "C4GroupConv2d (filter bank)", lambda: gconv(field)),
    ]
    rows = [
        (kind, name, median_seconds(forward_backward(call), repeats=args.repeats, warmup=3, device=dev))
        for kind, name, call in candidates
    ]
    baseline = {"lifting": rows[0][2], "group": rows[3][2]}
    print(
        f"forward+backward, batch {args.batch}, {args.size}x{args.size}, C={c}, device {dev}, median of {args.repeats}"
    )
    print(f"{'layer':8s} {'implementation':32s} {'median ms':>10s} {'x plain':>8s}")
    for kind, name, seconds in rows:
        print(f"{kind:8s} {name:32s} {1e3 * seconds:10.2f} {seconds / baseline[kind]:8.2f}")


if __name__ == "__main__":
    main()
