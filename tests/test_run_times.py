"""The run times a reader is told: each notebook's header and the README's notebook table state the full-mode time of
the committed run, as its record holds it (within a quarter, for rounding to whole minutes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eqlib.results import read_record

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
HEADER = re.compile(r"\*\*Run time\*\*[^:]*:\s+(\d+(?:\.\d+)?) minutes in full mode, the committed run")


def recorded_minutes(path: Path) -> float:
    record = read_record(json.loads(path.read_text()))
    assert record["mode"] == "full", f"{path.name}: the committed record is of a {record['mode']} run"
    return record["seconds"] / 60


def close_enough(stated: float, recorded: float) -> bool:
    return abs(stated - recorded) <= 0.25 * recorded


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_the_header_states_the_committed_runs_time(path):
    header = "".join(json.loads(path.read_text())["cells"][0]["source"])
    found = HEADER.search(header)
    assert found, f"{path.name}: the header says '**Run time** ...: N minutes in full mode, the committed run'"
    stated, recorded = float(found.group(1)), recorded_minutes(path)
    assert close_enough(stated, recorded), f"{path.name}: the header says {stated:g} min, the record {recorded:.1f} min"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_the_readme_table_states_the_committed_runs_time(path):
    readme = (ROOT / "README.md").read_text()
    row = re.search(
        rf"^\| {path.stem[:2]} \| \[[^\]]*\]\(notebooks/{re.escape(path.name)}\).*?\| (\d+) min / ",
        readme,
        re.MULTILINE,
    )
    assert row, f"README: no row of the notebook table for {path.name} with its 'N min / ...' run times"
    stated, recorded = float(row.group(1)), recorded_minutes(path)
    assert close_enough(stated, recorded), f"README: {path.name} stated {stated:g} min, the record {recorded:.1f} min"
