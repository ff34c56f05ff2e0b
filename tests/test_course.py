"""The notebooks as an nbgrader course: every exercise a solution cell and an autograded check cell, and an
instructor's grading run on one notebook (generate the assignment, autograde a full and a blank submission)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from eqlib.course import POINTS, assignment_name, nbgrader_source, write_course
from eqlib.student import SOLUTION_TAG

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GRADED = "08_apc_time_series"  # the notebook an instructor's run is shown on: its fast run is among the shortest


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_solution_is_an_nbgrader_solution_followed_by_a_graded_check(path):
    source = nbgrader_source(nbformat.read(path, as_version=4), path.stem)
    marked = [c.metadata["nbgrader"] for c in source.cells if "nbgrader" in c.metadata]
    solutions = [m for m in marked if m["solution"]]
    checks = [m for m in marked if m["grade"]]
    tagged = [c for c in source.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert len(solutions) == len(checks) == len(tagged) > 0
    assert all(m["points"] == POINTS and m["locked"] for m in checks)
    assert len({m["grade_id"] for m in marked}) == len(marked)  # nbgrader needs unique ids
    assert all(not c.get("outputs") for c in source.cells if c.cell_type == "code")
    validator = pytest.importorskip("nbgrader.nbgraderformat").MetadataValidator()
    validator.validate_nb(source)  # nbgrader's own schema check


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_a_passing_check_prints_to_stdout_alone(path):
    """nbgrader scores a check cell by its outputs: an error gives no points, stderr or a bare value last would be
    read as a failure or a partial score. The committed run's passing checks print to stdout and nothing else."""
    notebook = nbformat.read(path, as_version=4)
    source = nbgrader_source(notebook, path.stem)
    for committed, marked in zip(notebook.cells, source.cells):
        if marked.metadata.get("nbgrader", {}).get("grade"):
            kinds = {(o["output_type"], o.get("name")) for o in committed.get("outputs", [])}
            assert kinds <= {("stream", "stdout")}, (path.stem, marked.metadata["nbgrader"]["grade_id"], kinds)


def test_a_solution_without_its_check_or_markers_is_named():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Exercise"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": [SOLUTION_TAG]}),
    ]
    with pytest.raises(ValueError, match=r"99_x, cell 1: a solution cell must mark the student's lines"):
        nbgrader_source(notebook, "99_x")
    notebook.cells[1].source = "# BEGIN SOLUTION\nx = 1\n# END SOLUTION"
    with pytest.raises(ValueError, match="solution cell 1 needs a check cell"):
        nbgrader_source(notebook, "99_x")
    notebook.cells.append(nbformat.v4.new_code_cell("# Check of exercise 1\nprint(x)"))  # checks nothing
    with pytest.raises(ValueError, match="solution cell 1 needs a check cell"):
        nbgrader_source(notebook, "99_x")
    notebook.cells[-1].source = "# Check of exercise 1\ncheck_that('x', x == 1, 'x is 1', 'x = 1')\nx"  # a bare value
    with pytest.raises(ValueError, match="solution cell 1 needs a check cell"):
        nbgrader_source(notebook, "99_x")
    with pytest.raises(ValueError, match="expected a notebook named NN_topic"):
        assignment_name("fast_weights")


def nbgrader(*args: str, cwd: Path) -> None:
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader calls the environment's own tools (alembic) by name: this environment's bin folder comes first
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.mark.book
@pytest.mark.notebook
def test_an_instructor_grades_a_full_and_a_blank_submission(tmp_path, monkeypatch):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    monkeypatch.setenv("EQLIB_FAST", "1")
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path / "cache"))
    course = tmp_path / "course"
    write_course(course, ROOT / "notebooks")
    assignment = assignment_name(GRADED)
    nbgrader("generate_assignment", assignment, "--force", cwd=course)
    released = course / "release" / assignment / f"{GRADED}.ipynb"
    assert "raise NotImplementedError()" in released.read_text()
    for student, notebook in (("full", course / "source" / assignment / f"{GRADED}.ipynb"), ("blank", released)):
        nbgrader("db", "student", "add", student, cwd=course)
        submitted = course / "submitted" / student / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted / f"{GRADED}.ipynb")
        (submitted / "timestamp.txt").write_text("2026-12-07 12:00:00.000000 UTC")
    nbgrader("autograde", assignment, "--force", cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        checks = len(gradebook.find_notebook(GRADED, assignment).grade_cells)
        full = gradebook.find_submission_notebook(GRADED, assignment, "full").score
        blank = gradebook.find_submission_notebook(GRADED, assignment, "blank").score
    solutions = sum(
        SOLUTION_TAG in c.metadata.get("tags", [])
        for c in nbformat.read(ROOT / "notebooks" / f"{GRADED}.ipynb", as_version=4).cells
    )
    assert checks == solutions > 0
    assert full == checks * POINTS, (full, checks)
    assert blank == 0, blank
    graded = json.loads((course / "autograded" / "full" / assignment / f"{GRADED}.ipynb").read_text())
    assert not any(o.get("output_type") == "error" for c in graded["cells"] for o in c.get("outputs", []))
    assert os.path.isfile(course / "autograded" / "blank" / assignment / f"{GRADED}.ipynb")
