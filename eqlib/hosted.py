"""Hosted notebooks (Colab, Kaggle and the like): the install cell and the "open in" links.

Every notebook's first code cell (``INSTALL_CELL``) does nothing where ``eqlib`` imports, as it
does after ``make lab`` or ``make test``. In a hosted Jupyter that opened the notebook alone, it
clones the suite from ``REPOSITORY`` (the data sets come with it), puts the clone on the path so
the running kernel imports it, and calls ``install_requirements``, which installs what the
notebooks import and the host lacks. The host's own torch is kept (a hosted GPU comes with a
CUDA build; the pin in ``requirements.txt`` is the CPU build the suite is tested with).

``REPOSITORY`` is the one place that names the suite's public home: a fork sets it and runs
``python -m eqlib.hosted`` (``make hosted``), which rewrites the install cell of every notebook.
The README's badges are built by ``open_in_colab`` from the same constant, and a test checks both.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement

if TYPE_CHECKING:  # nbformat is imported where the cells are written, after a hosted install
    import nbformat

REPOSITORY = "https://github.com/eqlib/eqlib"
BRANCH = "main"
CLONE = "eqlib-suite"
INSTALL_TAG = "hosted-install"

# Tools that run the tests and the lab locally; a hosted notebook does not need them.
LOCAL_ONLY = ("jupyterlab", "papermill", "nbval", "pytest", "playwright", "ruff", "ipykernel")

INSTALL_CELL = f"""\
# Hosted notebooks only: where eqlib is missing (a notebook opened alone in Colab or Kaggle),
# clone the suite with its data and install what the notebooks import. Locally this does nothing.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("eqlib") is None:
    if not os.path.isdir("{CLONE}"):  # a restarted kernel finds the clone of its first run
        subprocess.run(["git", "clone", "--depth", "1", "--branch", "{BRANCH}", "{REPOSITORY}", "{CLONE}"], check=True)
    sys.path.insert(0, os.path.abspath("{CLONE}"))
    from eqlib.hosted import install_requirements

    install_requirements()
    importlib.invalidate_caches()"""


def requirements_to_install(requirements: list[str], installed: Callable[[str], str | None]) -> list[str]:
    """The lines of ``requirements.txt`` a hosted notebook installs.

    Drops comments, the local-only tools (``LOCAL_ONLY``) and every package whose installed
    version (``installed(name)``, ``None`` when absent) satisfies the line. torch is kept at any
    version the host has, so that a host's build (CUDA on a hosted GPU) is never replaced.
    """
    wanted = []
    for line in requirements:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        if requirement.name in LOCAL_ONLY:
            continue
        version = installed(requirement.name)
        if version is not None and (requirement.name == "torch" or requirement.specifier.contains(version, True)):
            continue
        wanted.append(text)
    return wanted


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def install_requirements(
    root: Path | None = None,
    run: Callable[..., object] = subprocess.run,
    installed: Callable[[str], str | None] = _installed_version,
) -> list[str]:
    """pip-install what the notebooks import and the host lacks (or has at a version outside the
    line's bounds); returns the lines installed.

    ``root`` is the clone (default: the checkout this module sits in); ``run`` and ``installed``
    are there for tests.
    """
    from eqlib.runtime import repo_root

    path = (root or repo_root()) / "requirements.txt"
    if not path.is_file():
        raise FileNotFoundError(f"expected the suite's requirements.txt at {path}")
    specs = requirements_to_install(path.read_text().splitlines(), installed)
    if specs:
        run([sys.executable, "-m", "pip", "install", "--quiet", *specs], check=True)
    return specs


def open_in_colab(relative_path: str) -> str:
    """The Colab address that opens ``relative_path`` (e.g. ``notebooks/01_x.ipynb``) from ``REPOSITORY``."""
    prefix = "https://github.com/"
    if not REPOSITORY.startswith(prefix):
        raise ValueError(f"REPOSITORY must be a GitHub address starting with {prefix}, got {REPOSITORY!r}")
    return f"https://colab.research.google.com/github/{REPOSITORY[len(prefix) :]}/blob/{BRANCH}/{relative_path}"


def with_install_cell(notebook: nbformat.NotebookNode) -> bool:
    """Put ``INSTALL_CELL`` right under the title of ``notebook``; True when the notebook changed.

    An existing install cell (tagged ``hosted-install``) is rewritten in place, keeping its
    execution count and (empty) outputs, so that a changed ``REPOSITORY`` needs no re-run.
    """
    for cell in notebook.cells:
        if INSTALL_TAG in cell.metadata.get("tags", []):
            if cell.source == INSTALL_CELL:
                return False
            cell.source = INSTALL_CELL
            return True
    if not notebook.cells or not notebook.cells[0].source.startswith("# "):
        raise ValueError("expected the notebook's first cell to be its title '# NN · Topic'")
    import nbformat

    cell = nbformat.v4.new_code_cell(INSTALL_CELL, metadata={"tags": [INSTALL_TAG]})
    cell.id = INSTALL_TAG  # a fixed id: rewriting the cell never shows up as a changed id in a diff
    notebook.cells.insert(1, cell)
    return True


def main(argv: list[str] | None = None) -> None:
    """Write (or refresh) the install cell of every notebook in ``notebooks/``."""
    from eqlib.runtime import repo_root

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--notebooks", type=Path, default=repo_root() / "notebooks")
    args = parser.parse_args(argv)
    import nbformat

    for path in sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        if with_install_cell(notebook):
            nbformat.write(notebook, path)
            print(f"install cell written: {path.name}")


if __name__ == "__main__":
    main()
