"""Run notebooks on a GPU at the full or the paper scale and keep their records for the README.

Each notebook runs through papermill with the scale's parameters (``eqlib.scales``) into
``runs/<scale>/``; its last cell's record (values, device, run time) is read back from the
output and stored under ``<scale>/<notebook>`` in ``benchmarks/results/gpu_runs.json``, which
``make results`` turns into the README's GPU columns (run time of the full run; the paper-scale
verdicts, with the device named). Runs on a CPU are refused: the CPU times are the committed runs'.

Usage: python benchmarks/time_notebooks.py --scale full [--notebooks 01 04] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import torch

from eqlib.results import GPU_RUNS, read_record, store_gpu_run
from eqlib.runtime import repo_root
from eqlib.scales import PAPER, SCALES, papermill_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[s for s in SCALES if s != "fast"], default="full")
    parser.add_argument("--notebooks", nargs="+", default=sorted(PAPER))
    parser.add_argument("--cache", type=Path, default=None, help="EQLIB_CACHE for the runs (default: a fresh folder)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: the CPU run times are those of the committed notebooks (make results)")
    root = repo_root()
    cache = args.cache or root / "runs" / args.scale / "cache"
    env = {**os.environ, "EQLIB_CACHE": str(cache), "EQLIB_FAST": "0"}
    for notebook in args.notebooks:
        command = papermill_command(notebook, args.scale, root)
        Path(command[-1]).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(command, check=True, env=env)
        result = read_record(json.loads(Path(command[-1]).read_text()))
        store_gpu_run(root / GPU_RUNS, args.scale, result)
        print(f"{notebook} ({args.scale}): {result['seconds'] / 60:.1f} min on {result['device']}")


if __name__ == "__main__":
    main()
