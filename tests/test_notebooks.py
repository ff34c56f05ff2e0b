"""Notebook tests: structure policy (fast) and papermill runs in fast mode with a non-default seed.

nbval re-runs the committed notebooks separately (see pyproject.toml); this file checks
what nbval cannot: that each notebook follows the anatomy in the README and that it also
passes its checks with another seed.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from eqlib.claims import CLAIMS, HOLDS, UNTESTED, judge
from eqlib.claims.registry import fast_tolerances
from eqlib.results import read_record, recorded_values

ROOT = Path(__file__).resolve().parent.parent
FAST_VALUES = ROOT / "tests" / "fast_values"  # the committed values of every fast run (make fast-values records them)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUILD = ROOT / "build" / "papermill"
CELL_TIMEOUT = int(os.environ.get("EQLIB_CELL_TIMEOUT", "300"))  # seconds per cell of a papermill run
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


def claim_cells(nb: dict) -> list[dict]:
    return [c for c in code_cells(nb) if "check(" in source(c)]


def checked_keys(cell: dict) -> list[str]:
    return [
        node.args[0].value
        for node in ast.walk(ast.parse(source(cell)))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "check" and isinstance(node.args[0], ast.Constant)
    ]


def names_read(node: ast.AST) -> set[str]:
    """Variables an expression reads, leaving out called functions and CONSTANT-style names."""
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and id(n) not in called and not n.id.isupper() and n.id not in {"FAST", "SEED"}
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_claim_is_checked_once_through_its_one_rule(path):
    """Each claim of the registry is judged by check() in exactly one cell, which asserts nothing itself."""
    nb = load(path)
    keys = [key for cell in claim_cells(nb) for key in checked_keys(cell)]
    assert sorted(keys) == sorted(c.key for c in CLAIMS[path.name[:2]]), f"{path.name} checks {keys}"
    for cell in claim_cells(nb):
        assert not any(isinstance(n, ast.Assert) for n in ast.walk(ast.parse(source(cell)))), (
            f"a claim's check cell decides through check() alone:\n{source(cell)}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_assert_decides_a_claim_outside_its_rule(path):
    """No assert anywhere in the notebook reads the measurements a claim is judged on (a second threshold)."""
    nb = load(path)
    measured = set()
    for cell in claim_cells(nb):
        for node in ast.walk(ast.parse(source(cell))):
            if isinstance(node, ast.Assign) and any(ast.unparse(t).endswith("_values") for t in node.targets):
                measured |= names_read(node.value)
    measured -= {"name", "arm", "kind", "k", "v", "model", "cell", "part", "end", "label", "encoder", "toy"}
    for cell in code_cells(nb):
        for node in ast.walk(ast.parse(source(cell))):
            if isinstance(node, ast.Assert):
                shared = names_read(node.test) & measured
                assert not shared, f"{path.name}: an assert reads a claim's measurements {shared}: {ast.unparse(node)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_verdicts_are_the_registrys_expected_ones_and_the_tables(path):
    """The verdict each check cell printed is judge() on the notebook's record (the README table's call), and
    it is the one recorded for full mode; every control of a tested claim comes out as not holding."""
    nb = load(path)
    result = read_record(nb)
    values = recorded_values(result)
    printed = "\n".join(stream_text(c) for c in claim_cells(nb))
    for claim in CLAIMS[path.name[:2]]:
        judgement = judge(claim, values, result["mode"])
        match = re.search(rf"^verdict {re.escape(claim.key)}: (.+?)(?: \(.*\))?$", printed, re.MULTILINE)
        assert match, f"{path.name}: no printed verdict for {claim.key}"
        assert match.group(1) == judgement.verdict == claim.expected["full"], (claim.key, match.group(1))
        # a control that passes makes the claim "not tested"; anywhere else it must not hold
        if claim.expected["full"] != UNTESTED:
            assert judgement.control is not None and not judgement.control.passed, f"{claim.key}: the control passes"
        else:
            assert claim.why or claim.control_flaw, f"{claim.key}: a claim recorded as not tested says why"
        if judgement.verdict == HOLDS and judgement.health is not None:
            assert judgement.health.passed, f"{claim.key}: holds beside a control that did not train"


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_checkpoint_key_is_built_by_hand(path):
    """Checkpoints are keyed by train.checkpoint_key (parameters, data fingerprints, eqlib source) alone."""
    for cell in code_cells(load(path)):
        assert "checkpoint_path(" not in source(cell), (
            f"{path.name}: a checkpoint key built by hand; use checkpoint_key(name, params, *data tensors):\n"
            f"{source(cell)[:300]}"
        )


def fast_regression_values(result: dict) -> tuple[dict[str, list[float]], dict[str, dict[str, float]]]:
    """A fast record's compared values, one column per quantity (per-seed lists as rows), and their tolerances."""
    tolerances = fast_tolerances(result["notebook"])
    values = recorded_values(result)
    columns = {name: list(map(float, np.atleast_1d(values[name]))) for name in tolerances if tolerances[name]}
    return columns, {name: tolerance for name, tolerance in tolerances.items() if tolerance}


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_fast_mode_with_another_seed_and_reproduces_its_values(path, num_regression):
    """The fast run passes its checks with seed 1, and every value its claims read matches the committed fast
    values within its tolerance (``make fast-values`` re-records them, deliberately)."""
    import papermill

    BUILD.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(path),
        str(BUILD / path.name),
        parameters={"FAST": True, "SEED": 1},
        kernel_name="python3",
        cwd=str(path.parent),
        execution_timeout=CELL_TIMEOUT,
        progress_bar=False,
    )
    result = read_record(load(BUILD / path.name))
    assert result["mode"] == "fast" and result["seed"] == 1
    columns, tolerances = fast_regression_values(result)
    num_regression.check(columns, fullpath=FAST_VALUES / f"{path.name[:2]}.csv", tolerances=tolerances)


@pytest.mark.gpu
@pytest.mark.notebook
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_fast_mode_on_cuda(path):
    """Every model, batch and metric of a notebook lives on one device: fast mode with DEVICE="cuda"."""
    import papermill

    BUILD.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(path),
        str(BUILD / f"cuda-{path.name}"),
        parameters={"FAST": True, "DEVICE": "cuda"},
        kernel_name="python3",
        cwd=str(path.parent),
        execution_timeout=300,
        progress_bar=False,
    )
