"""The notebooks as an nbgrader course: ``python -m eqlib.course [ROOT]`` (``make course``).

Each notebook becomes an nbgrader *source* notebook: every code cell tagged ``solution`` is a
solution cell (its lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION``, the markers
``eqlib.student`` reads too, become nbgrader's stub), and the check cell right after it is an
autograded test cell worth ``POINTS`` points, locked. Everything else stays as the notebook has it,
outputs dropped. ``nbgrader generate_assignment`` then releases the student version, and
``nbgrader autograde`` runs a submission and scores each check cell: full points when the check
passes, none when it raises. The suite's own student copies (``make student``) stay as they are:
the same cells, with ``...`` in place of nbgrader's ``raise NotImplementedError()``.

Layout (nbgrader's): ``ROOT/source/<assignment>/<notebook>.ipynb`` with one assignment per notebook,
named ``nb01`` ... ``nb08``, and ``ROOT/nbgrader_config.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

from eqlib.student import SOLUTION_TAG, skeleton, without_outputs

POINTS = 1
SCHEMA_VERSION = 3  # nbgrader's cell metadata schema
CHECK_CALLS = ("answer(", "check_that(", "check_close(")  # what a check cell of eqlib.exercises calls
# nbgrader's course root is the folder it runs in, its gradebook gradebook.db there
CONFIG = """\
c = get_config()  # noqa: F821 (nbgrader's config loader defines it)
# a notebook's fast run trains small models: give each cell the time a laptop CPU needs
c.ExecutePreprocessor.timeout = 600
"""


def assignment_name(notebook: str) -> str:
    """``"06_fast_weights"`` -> ``"nb06"``."""
    if len(notebook) < 2 or not notebook[:2].isdigit():
        raise ValueError(f"expected a notebook named NN_topic, got {notebook!r}")
    return f"nb{notebook[:2]}"


def _metadata(grade_id: str, *, solution: bool, grade: bool, locked: bool) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
    }
    if grade:
        meta["points"] = POINTS
    return meta


def is_check(source: str) -> bool:
    """A check cell of an exercise: a ``# Check of ...`` comment and a call of ``eqlib.exercises``, which raises when
    the answer is wrong, so that nbgrader gives the cell no points; its last line a call (a bare value last would be
    read by nbgrader as a partial score)."""
    lines = [line for line in source.strip().splitlines() if line.strip()]
    ends_in_a_call = bool(lines) and lines[-1].rstrip().endswith(")")
    return "# Check of" in source and any(call in source for call in CHECK_CALLS) and ends_in_a_call


def nbgrader_source(notebook: nbformat.NotebookNode | dict, name: str) -> nbformat.NotebookNode:
    """The notebook as an nbgrader source: solution cells and their check cells marked, outputs dropped.

    Raises ``ValueError`` naming the cell when a solution lacks its markers or is not followed by a check cell.
    """
    source = without_outputs(notebook)
    cells = source.cells
    exercises = 0
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or SOLUTION_TAG not in cell.metadata.get("tags", []):
            continue
        skeleton(cell.source, f"{name}, cell {i}")  # checks the markers
        check = next((j for j in range(i + 1, len(cells)) if cells[j].cell_type == "code"), None)
        if check is None or not is_check(cells[check].source):
            raise ValueError(f"{name}: solution cell {i} needs a check cell (eqlib.exercises) as the next code cell")
        exercises += 1
        cell.metadata["nbgrader"] = _metadata(f"{name}-solution-{exercises}", solution=True, grade=False, locked=False)
        cells[check].metadata["nbgrader"] = _metadata(
            f"{name}-check-{exercises}", solution=False, grade=True, locked=True
        )
    if not exercises:
        raise ValueError(f"{name}: no cell tagged {SOLUTION_TAG!r}")
    return source


def write_course(root: Path, notebooks_dir: Path) -> list[Path]:
    """``root/nbgrader_config.py`` and one source assignment per notebook; returns the source notebooks."""
    paths = sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"no notebooks named NN_*.ipynb in {notebooks_dir}")
    root = Path(root).resolve()
    written = []
    for path in paths:
        target = root / "source" / assignment_name(path.stem) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_source(nbformat.read(path, as_version=4), path.stem), target)
        written.append(target)
    (root / "nbgrader_config.py").write_text(CONFIG)
    return written


def main(argv: list[str] | None = None) -> None:
    """Write the nbgrader course (sources and config) for every notebook."""
    from eqlib.runtime import repo_root

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("root", nargs="?", type=Path, default=repo_root() / "build" / "course")
    parser.add_argument("--notebooks", type=Path, default=repo_root() / "notebooks")
    args = parser.parse_args(argv)
    for path in write_course(args.root, args.notebooks):
        print(f"wrote {path}")
    print(f"release them with: cd {args.root} && nbgrader generate_assignment nb01 (... nb08)")


if __name__ == "__main__":
    main()
