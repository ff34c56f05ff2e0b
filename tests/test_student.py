"""Student copies: skeletons where the solutions were, a check after every exercise, and copies that stop there."""

import ast
from pathlib import Path

import nbformat
import pytest

from eqlib.exercises import ExerciseError
from eqlib.student import (
    EXERCISE_TAG,
    SOLUTION_TAG,
    skeleton,
    student_copies,
    student_copy,
    without_answers,
    without_outputs,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
STUDENT = ROOT / "student"
CHECK_HELPERS = ("check_close(", "check_that(", "answer(")


SOLUTION = '''def double(x):
    """Twice x."""
    # BEGIN SOLUTION
    y = x + x
    return y
    # END SOLUTION


result = double(2)
'''
CHECK = """from eqlib.exercises import check_that
check_that("double", result == 4, f"double(2) gave {result!r}", "add x to itself")
print("Check passed")
"""


def tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    run = nbformat.v4.new_code_cell("x = 2\nprint(x * 2)", execution_count=1)
    run.outputs = [nbformat.v4.new_output("stream", name="stdout", text="4\n")]
    exercise = nbformat.v4.new_markdown_cell(
        "## Exercises\n\n**Exercise 1 · Double it.** Write `double`.\n\n*Answer:* x + x.\n\n"
        "The solution cells are collapsed; click on one to reveal it."
    )
    solution = nbformat.v4.new_code_cell(
        SOLUTION, metadata={"tags": [SOLUTION_TAG], "jupyter": {"source_hidden": True}}
    )
    nb.cells = [run, exercise, solution, nbformat.v4.new_code_cell(CHECK)]
    return nb


def test_skeleton_keeps_the_signature_and_docstring_and_leaves_dots_where_the_lines_go():
    text = skeleton(SOLUTION)
    assert '    """Twice x."""\n    ...  # your lines here\n' in text
    assert "x + x" not in text and "BEGIN" not in text and "result = double(2)" in text
    ast.parse(text)


@pytest.mark.parametrize(
    "source, problem",
    [
        ("x = 1\n", "must mark"),
        ("# BEGIN SOLUTION\nx = 1\n", "without '# END SOLUTION'"),
        ("x = 1\n# END SOLUTION\n", "without '# BEGIN SOLUTION'"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside another block"),
    ],
)
def test_skeleton_refuses_unmarked_or_unbalanced_solutions(source, problem):
    with pytest.raises(ValueError, match=problem):
        skeleton(source, "00_tiny, cell 2")


def test_student_copy_has_skeletons_no_answers_and_stops_at_the_check_with_its_message():
    copy = student_copy(tiny_notebook(), "00_tiny")
    markdown, stub, check = copy.cells[1], copy.cells[2], copy.cells[3]
    assert "Double it" in markdown.source and "Answer" not in markdown.source and "collapsed" not in markdown.source
    assert stub.metadata["tags"] == [EXERCISE_TAG] and "jupyter" not in stub.metadata
    assert all(c.get("outputs", []) == [] for c in copy.cells)
    namespace: dict = {}
    exec(compile(stub.source, "stub", "exec"), namespace)  # noqa: S102 -- the generated skeleton, on purpose
    assert namespace["result"] is None
    with pytest.raises(ExerciseError, match="double\\(2\\) gave None\nHint: add x to itself"):
        exec(compile(check.source, "check", "exec"), namespace)  # noqa: S102 -- the check cell itself


def test_a_notebook_without_outputs_keeps_its_source_and_hidden_solutions_but_no_run_state():
    notebook = tiny_notebook()
    notebook.metadata.update(papermill={"parameters": {}}, widgets={"state": {}}, kernelspec={"name": "python3"})
    notebook.cells[2].metadata["execution"] = {"iopub.status.busy": "t"}
    fresh = without_outputs(notebook)
    assert fresh.metadata == {"kernelspec": {"name": "python3"}}
    assert [c.get("outputs") for c in fresh.cells] == [[], None, [], []]
    assert [c.get("execution_count") for c in fresh.cells] == [None, None, None, None]
    assert [c.source for c in fresh.cells] == [c.source for c in notebook.cells]
    assert fresh.cells[2].metadata == {"tags": [SOLUTION_TAG], "jupyter": {"source_hidden": True}}
    assert notebook.cells[0].outputs and "widgets" in notebook.metadata  # the original is untouched


def test_a_solution_without_its_exercise_above_is_refused():
    notebook = tiny_notebook()
    del notebook.cells[1]
    with pytest.raises(ValueError, match="markdown cell right above"):
        student_copy(notebook, "00_tiny")


def test_without_answers_drops_every_wording_of_the_collapsed_note_and_the_answers():
    for note in ("The solution cell is collapsed; click on it.", "The solution cell below is collapsed; click."):
        assert without_answers(f"**3 · Sweep.** Go.\n\n{note}\n\n*Answer:* it.") == "**3 · Sweep.** Go."


def test_student_copies_are_current():
    expected = student_copies(ROOT / "notebooks")
    committed = {path.name: path.read_text() for path in sorted(STUDENT.glob("*.ipynb"))}
    assert committed.keys() == expected.keys(), "student/ lacks or has extra copies: make student"
    stale = [name for name in expected if committed[name] != expected[name]]
    assert not stale, f"student copies out of date: {stale}; make student"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_exercise_is_followed_by_a_check_that_gives_feedback(path):
    """A "Your turn" in the main flow and every exercise: a solution with markers, then a check cell."""
    cells = nbformat.read(path, as_version=4).cells
    solutions = [i for i, c in enumerate(cells) if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert solutions, f"{path.name}: no exercises"
    headings = [c.source for c in cells if c.cell_type == "markdown"]
    assert any(h.startswith("### Your turn") for h in headings), f"{path.name}: no 'Your turn' in the main flow"
    for i in solutions:
        ast.parse(skeleton(cells[i].source, f"{path.name}, cell {i}"))
        check = cells[i + 1] if i + 1 < len(cells) else None
        assert check is not None and check.cell_type == "code" and "# Check of" in check.source, (
            f"{path.name}: solution cell {i} is not followed by its check cell"
        )
        tree = ast.parse(check.source)
        assert not any(isinstance(n, ast.Assert) for n in ast.walk(tree)), f"{path.name}: a bare assert in a check"
        assert any(helper in check.source for helper in CHECK_HELPERS), f"{path.name}: check {i + 1} gives no feedback"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_student_copy_runs_to_its_first_exercise_and_stops_there_with_the_checks_message(path, tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    copy = nbformat.reads((STUDENT / path.name).read_text(), as_version=4)
    first = next(i for i, c in enumerate(copy.cells) if EXERCISE_TAG in c.metadata.get("tags", []))
    source = tmp_path / path.name
    source.write_text(nbformat.writes(copy))
    with pytest.raises(PapermillExecutionError) as stopped:
        papermill.execute_notebook(
            str(source),
            str(tmp_path / f"run-{path.name}"),
            parameters={"FAST": True},
            kernel_name="python3",
            cwd=str(path.parent),
            execution_timeout=300,
            progress_bar=False,
        )
    error = stopped.value
    assert error.ename == "ExerciseError", f"{path.name}: stopped with {error.ename}: {error.evalue}"
    run = nbformat.read(tmp_path / f"run-{path.name}", as_version=4)
    # papermill puts a banner cell of its own right above the cell that raised
    run.cells = [c for c in run.cells if "papermill-error-cell" not in c.source]
    failed = [i for i, c in enumerate(run.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failed) == 1, f"{path.name}: errors in cells {failed}"
    assert "# Check of" in run.cells[failed[0]].source, f"{path.name}: stopped outside a check cell"
    assert run.cells[failed[0] - 1].source == copy.cells[first].source, f"{path.name}: not its first exercise"
