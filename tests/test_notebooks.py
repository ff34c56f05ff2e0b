"""Notebook tests: structure policy (fast) and papermill runs in fast mode with a non-default seed.

nbval re-runs the committed notebooks separately (see pyproject.toml); this file checks
what nbval cannot: that each notebook follows the anatomy in the README and that it also
passes its checks with another seed.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUILD = ROOT / "build" / "papermill"
IDS = [p.stem for p in NOTEBOOKS]
ABSOLUTE_PATH = re.compile(r"""["'](/(home|root|work|tmp|Users|usr|mnt)/|[A-Za-z]:\\\\)""")


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def source(cell: dict) -> str:
    return "".join(cell["source"])


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def stream_text(cell: dict) -> str:
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o["output_type"] == "stream")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exactly_one_parameters_cell_with_scalar_knobs(path):
    cells = [c for c in code_cells(load(path)) if "parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters'"
    for statement in ast.parse(source(cells[0])).body:
        assert isinstance(statement, ast.Assign), f"parameters cell may only assign: {ast.unparse(statement)}"
        value = statement.value
        is_scalar = isinstance(value, ast.Constant) or (
            isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant)
        )
        reads_env = isinstance(value, ast.Call) and ast.unparse(value.func).endswith("fast_mode")
        assert is_scalar or reads_env, f"parameters must be scalars, got {ast.unparse(statement)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_anatomy_headings(path):
    markdown = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert re.match(r"#\s+\d\d\s+·", markdown), "the first cell is the title '# NN · Topic'"
    for heading in ("Learning goals", "Exercises", "Think!", "Summary", "References"):
        assert re.search(rf"^##\s+.*{re.escape(heading)}", markdown, re.MULTILINE), f"missing heading '{heading}'"
    assert "arXiv" in markdown and "Run time" in markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_outputs_come_from_one_full_run_in_order_without_errors(path):
    cells = [c for c in code_cells(load(path)) if source(c).strip()]
    counts = [c["execution_count"] for c in cells]
    assert None not in counts, f"{path.name}: {counts.count(None)} code cells were not executed"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: not executed top to bottom once: {counts}"
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name}: error outputs {[e['ename'] for e in errors]}"
    printed = "\n".join(stream_text(c) for c in cells)
    assert "mode: full" in printed, f"{path.name}: committed outputs must come from a full-mode run"
    images = [o for c in cells for o in c["outputs"] if "image/png" in o.get("data", {})]
    assert images, f"{path.name}: no figures in the committed outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_section_check_asserts_and_prints_a_verdict(path):
    checks = [c for c in code_cells(load(path)) if source(c).startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checks) >= 3, f"{path.name}: only {len(checks)} check cells"
    for cell in checks:
        assert "assert " in source(cell), f"check without an assert:\n{source(cell)}"
        outputs = cell["outputs"]
        assert outputs and all(o["output_type"] == "stream" for o in outputs), "check cells print text only"
        assert stream_text(cell).startswith("Check passed"), stream_text(cell)
        assert not re.search(r"\d\.\d{3,}", stream_text(cell)), "verdicts hold in both modes: no raw numbers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_installs_absolute_paths_or_unmarked_widgets(path):
    nb = load(path)
    for cell in code_cells(nb):
        text = source(cell)
        assert not re.search(r"^\s*[!%]\s*pip", text, re.MULTILINE), "no pip installs inside notebooks"
        assert not ABSOLUTE_PATH.search(text), f"absolute path in:\n{text}"
        assert "urlopen" not in text and "download_mnist" not in text, "no downloads at run time"
        if "_explorer(" in text and "def " not in text:
            assert text.startswith("# NBVAL_IGNORE_OUTPUT"), "widget cells are marked NBVAL_IGNORE_OUTPUT"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_fast_mode_with_another_seed(path):
    import papermill

    BUILD.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(path),
        str(BUILD / path.name),
        parameters={"FAST": True, "SEED": 1},
        kernel_name="python3",
        cwd=str(path.parent),
        execution_timeout=300,
        progress_bar=False,
    )
