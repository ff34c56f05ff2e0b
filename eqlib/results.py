"""Results against the papers: what each notebook records, and the README table built from it.

Each notebook ends with ``record(...)``: the measured values go into the notebook's outputs as
JSON (mimetype ``application/vnd.eqlib.results+json``) next to a small table the reader sees.
``python -m eqlib.results`` (``make results``) reads those records from the committed,
full-mode notebooks and writes two tables into README.md between two markers: the papers' claims
(the paper's number where it gives one, this suite's numbers from the run, the control and its
health, the verdict and its reason, the device and the notebook's run time), and apart from them
the checks that are true by construction. The claims themselves (rule, control, seeds, expected
verdicts) live once in ``eqlib.claims`` (one module per notebook); the verdict in the table is
``eqlib.claims.judge`` on the recorded values, the same call a notebook's check cell makes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from eqlib.claims import CLAIMS, CONSTRUCTION, HOLDS, judge, measures
from eqlib.claims.registry import fast_unmeasured

MIMETYPE = "application/vnd.eqlib.results+json"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
GPU_RUNS = Path("benchmarks/results/gpu_runs.json")  # records of GPU runs by scale, from benchmarks/time_notebooks.py
GPU_SCALES = ("full", "paper")
NOT_MEASURED = "not yet measured"


def required_values(notebook: str) -> set[str]:
    """The names of the values a notebook must record: every quantity its claims read."""
    if notebook not in CLAIMS:
        raise ValueError(f"notebook must be one of {sorted(CLAIMS)}, got {notebook!r}")
    return {name for claim in CLAIMS[notebook] for name in claim.quantities}


def describe_device(device: torch.device | str) -> str:
    """``"CPU, 2 cores"`` or the GPU's name, for the table's device column."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        return f"CPU, {os.cpu_count()} cores"
    return device.type.upper()


def make_record(
    notebook: str,
    values: Mapping[str, float],
    *,
    seconds: float,
    device: torch.device | str,
    fast: bool,
    seed: int,
) -> dict:
    """The record of one run: ``{"notebook", "mode", "seed", "device", "seconds", "torch", "values"}``.

    ``values`` must hold exactly ``required_values(notebook)``, each a number or a list of per-seed
    numbers. NaN means "not measured in this run" and is written as ``null``: a full run measures every
    value, and a fast run every value but those its claims module lists as unmeasured in fast mode
    (``FAST_UNMEASURED``), so any other NaN raises; an infinite value means the run went wrong, so it
    raises too.
    """
    needed = required_values(notebook)
    missing, unknown = needed - set(values), set(values) - needed
    if missing or unknown:
        raise ValueError(
            f"notebook {notebook} records {sorted(needed)}; missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    clean = {name: _clean(notebook, name, value) for name, value in values.items()}
    allowed = fast_unmeasured(notebook) if fast else {}
    unmeasured = sorted(name for name, value in clean.items() if _has_null(value) and name not in allowed)
    if unmeasured:
        raise ValueError(
            f"notebook {notebook}: a {'fast' if fast else 'full'} run must measure {unmeasured}, got NaN (a fast run "
            f"may leave only {sorted(allowed)} unmeasured)"
        )
    if not seconds > 0:
        raise ValueError(f"seconds must be the positive run time of the notebook, got {seconds}")
    return {
        "notebook": notebook,
        "mode": "fast" if fast else "full",
        "seed": int(seed),
        "device": describe_device(device),
        "seconds": round(float(seconds), 1),
        "torch": torch.__version__,
        "values": clean,
    }


def _clean(notebook: str, name: str, value: float | Sequence[float]) -> float | None | list[float | None]:
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"value {name!r} of notebook {notebook} is an empty list of seeds")
        return [_clean(notebook, name, v) for v in value]  # type: ignore[misc]
    number = float(value)
    if math.isinf(number):
        raise ValueError(f"value {name!r} of notebook {notebook} must be finite (or NaN: not measured), got {number}")
    return None if math.isnan(number) else number


def _has_null(value: float | None | list) -> bool:
    return any(v is None for v in value) if isinstance(value, list) else value is None


def recorded_values(result: Mapping) -> dict[str, float | list[float]]:
    """A record's values with ``null`` read back as NaN (not measured)."""

    def back(value):
        if isinstance(value, list):
            return [back(v) for v in value]
        return math.nan if value is None else value

    return {name: back(value) for name, value in result["values"].items()}


def _format(template: str, values: Mapping) -> str:
    return template.format(**measures(values))


def record(
    notebook: str,
    values: Mapping[str, float],
    *,
    seconds: float,
    device: torch.device | str,
    fast: bool,
    seed: int,
) -> None:
    """Put a notebook's measured values into its outputs, shown next to the claims they test.

    The arguments are ``make_record``'s; the record travels in the cell's output as JSON
    (``MIMETYPE``) beside a markdown table, which is what a reader sees.
    """
    _display(make_record(notebook, values, seconds=seconds, device=device, fast=fast, seed=seed))


def _display(result: dict) -> None:
    from IPython.display import display

    values = recorded_values(result)
    rows = [
        f"| {c.key} | {c.statement} | {c.paper or '-'} | {_format(c.suite, values)} | {judge(c, values, result['mode']).verdict} |"
        for c in CLAIMS[result["notebook"]]
    ]
    table = "\n".join(["| claim | statement | paper | this run | verdict |", "| --- | --- | --- | --- | --- |", *rows])
    caption = f"\n\n{result['mode']} mode, seed {result['seed']}, {result['device']}, {result['seconds']:.0f} s"
    display({MIMETYPE: result, "text/markdown": table + caption}, raw=True)


def read_record(notebook: Mapping) -> dict:
    """The one record in a notebook's outputs (a notebook as loaded by ``json``/``nbformat``)."""
    found = [
        output["data"][MIMETYPE]
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "code"
        for output in cell.get("outputs", [])
        if MIMETYPE in output.get("data", {})
    ]
    if len(found) != 1:
        raise ValueError(f"expected one results record ({MIMETYPE}) in the notebook's outputs, found {len(found)}")
    return found[0]


def load_gpu_runs(path: Path) -> dict[str, dict[str, dict]]:
    """``{scale: {notebook: record}}`` from ``path``; empty where no GPU run has been stored."""
    if not path.exists():
        return {}
    runs = json.loads(path.read_text())
    if not isinstance(runs, dict) or not set(runs) <= set(GPU_SCALES):
        raise ValueError(f"{path}: expected an object keyed by scales {GPU_SCALES}, got {sorted(runs)}")
    for scale, by_notebook in runs.items():
        for notebook, result in by_notebook.items():
            if result.get("notebook") != notebook or result.get("mode") != "full":
                raise ValueError(f"{path}: {scale}/{notebook} is not a full-mode record of notebook {notebook}")
    return runs


def store_gpu_run(path: Path, scale: str, result: dict) -> None:
    """Add (or replace) one GPU run's record under ``scale`` in ``path``, written atomically."""
    if scale not in GPU_SCALES:
        raise ValueError(f"scale must be one of {GPU_SCALES}, got {scale!r}")
    if result.get("mode") != "full":
        raise ValueError(f"a GPU run is stored from a full-mode record, got mode {result.get('mode')!r}")
    runs = load_gpu_runs(path)
    runs.setdefault(scale, {})[result["notebook"]] = result
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")
    partial.replace(path)


def _minutes(result: dict) -> str:
    return f"{result['device']}, {result['seconds'] / 60:.1f} min"


def _control_cell(judgement) -> str:
    claim = judgement.claim
    if judgement.control is None:
        return f"{claim.control_text} (not measured)"
    outcome = {"past": "passes", "short": "does not hold", "straddles": "undecided"}[judgement.control.outcome]
    health = ""
    if judgement.health is not None:
        health = {"past": "; healthy", "short": "; did not train", "straddles": "; health undecided"}[
            judgement.health.outcome
        ]
    return f"{claim.control_text} ({outcome}{health})"


def results_table(records: list[dict], gpu_runs: Mapping[str, Mapping[str, dict]] | None = None) -> str:
    """Markdown: the papers' claims, then the construction checks in a table of their own.

    Claims: notebook, claim, paper, this suite's full run, control (its verdict and health), verdict, reason,
    device and run time, then the GPU columns: the full run's time on a GPU and the verdict at the paper's scale
    (``gpu_runs``, as ``load_gpu_runs`` reads it; ``not yet measured`` where none was stored). Construction
    checks: notebook, check, this suite's run, the reference, verdict. Every verdict is ``judge`` on the
    recorded values.
    """
    gpu_runs = gpu_runs or {}
    claims = [
        (
            "| # | claim | paper | this suite (full run) | control (its verdict; health) | verdict | reason | "
            "device, run time | GPU: full run | GPU: paper scale, verdict |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    built = [
        "| # | checked by construction (not a paper's claim) | this suite (full run) | reference (its verdict) | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for result in sorted(records, key=lambda r: r["notebook"]):
        if result["mode"] != "full":
            raise ValueError(
                f"notebook {result['notebook']} was recorded in {result['mode']} mode; the table takes full runs "
                "only (make execute)"
            )
        values = recorded_values(result)
        where = _minutes(result)
        gpu_full = gpu_runs.get("full", {}).get(result["notebook"])
        gpu_full_text = NOT_MEASURED if gpu_full is None else _minutes(gpu_full)
        paper_run = gpu_runs.get("paper", {}).get(result["notebook"])
        paper_values = None if paper_run is None else recorded_values(paper_run)
        first = True
        for claim in CLAIMS[result["notebook"]]:
            judgement = judge(claim, values)
            seeds = f" ({judgement.seeds} seeds)" if judgement.seeds > 1 else ""
            measured = f"{_format(claim.suite, values)}{seeds}"
            if claim.kind == CONSTRUCTION:
                built.append(
                    f"| {result['notebook']} | {claim.statement} | {measured} | {_control_cell(judgement)} | "
                    f"{judgement.verdict} |"
                )
                continue
            paper = (
                NOT_MEASURED
                if paper_values is None
                else f"{judge(claim, paper_values).verdict} ({_minutes(paper_run) if first else paper_run['device']})"
            )
            reading = claim.why if judgement.verdict == claim.expected["full"] != HOLDS else ""
            reason = "; ".join(part for part in (judgement.reason, reading) if part)
            claims.append(
                f"| {result['notebook'] if first else ''} | {claim.statement} | {claim.paper or '-'} | {measured} | "
                f"{_control_cell(judgement)} | {judgement.verdict} | {reason or '-'} | {where if first else ''} | "
                f"{gpu_full_text if first else ''} | {paper} |"
            )
            first = False
    return "\n".join([*claims, "", *built])


def replace_table(readme: str, table: str) -> str:
    """``readme`` with the text between the two markers replaced by ``table``."""
    start, stop = readme.find(BEGIN), readme.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"README needs the markers {BEGIN} and {END}, in that order")
    return readme[: start + len(BEGIN)] + "\n" + table + "\n" + readme[stop:]


def collect(notebooks: list[Path]) -> list[dict]:
    """The records of the given committed notebooks, in order."""
    if not notebooks:
        raise ValueError("no notebooks given")
    return [read_record(json.loads(Path(path).read_text())) for path in notebooks]


def main(argv: list[str] | None = None) -> None:
    """Write the results table from ``notebooks/NN_*.ipynb`` into README.md."""
    from eqlib.runtime import repo_root

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--readme", type=Path, default=repo_root() / "README.md")
    parser.add_argument("--notebooks", type=Path, default=repo_root() / "notebooks")
    parser.add_argument("--gpu-runs", type=Path, default=repo_root() / GPU_RUNS)
    args = parser.parse_args(argv)
    table = results_table(collect(sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))), load_gpu_runs(args.gpu_runs))
    args.readme.write_text(replace_table(args.readme.read_text(), table))
    print(f"wrote {len(table.splitlines()) - 2} rows into {args.readme}")


if __name__ == "__main__":
    main()
