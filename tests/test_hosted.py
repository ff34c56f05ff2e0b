"""Hosted notebooks: the install cell is a no-op here, clones and installs where eqlib is missing."""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

from eqlib import hosted
from eqlib.hosted import INSTALL_CELL, INSTALL_TAG, LOCAL_ONLY, REPOSITORY, open_in_colab, requirements_to_install
from eqlib.student import student_copy

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def _refuse(*args, **kwargs):
    raise AssertionError(f"the install cell ran a command where eqlib is installed: {args}")


def test_the_install_cell_does_nothing_where_eqlib_is_installed(monkeypatch):
    monkeypatch.setattr("subprocess.run", _refuse)
    path_before = list(sys.path)
    exec(compile(INSTALL_CELL, "install cell", "exec"), {})  # noqa: S102 -- the notebooks' own cell
    assert sys.path == path_before


def test_the_install_cell_clones_the_repository_once_and_installs_where_eqlib_is_missing(monkeypatch, tmp_path):
    commands, installs = [], []
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "eqlib" else real_find_spec(name, *a)
    )
    monkeypatch.setattr("subprocess.run", lambda command, check: commands.append((command, check)))
    monkeypatch.setattr(hosted, "install_requirements", lambda: installs.append(True))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)  # a hosted notebook's working folder
    exec(compile(INSTALL_CELL, "install cell", "exec"), {})  # noqa: S102 -- the notebooks' own cell
    clone = ["git", "clone", "--depth", "1", "--branch", hosted.BRANCH, REPOSITORY, hosted.CLONE]
    assert commands == [(clone, True)]
    assert sys.path[0] == str(tmp_path / hosted.CLONE) and installs == [True]
    (tmp_path / hosted.CLONE).mkdir()  # the kernel restarts: the clone of the first run is there
    exec(compile(INSTALL_CELL, "install cell", "exec"), {})  # noqa: S102 -- the notebooks' own cell
    assert commands == [(clone, True)] and installs == [True, True]


def test_a_hosted_install_keeps_the_hosts_torch_and_skips_the_local_tools():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    everything = requirements_to_install(lines, installed=lambda name: None)
    assert "torch==2.13.0" in everything and "scikit-learn>=1.4" in everything
    assert not [spec for spec in everything if spec.split("=")[0].split(">")[0] in LOCAL_ONLY]
    assert all(not spec.startswith("#") and "#" not in spec for spec in everything)
    versions = {"torch": "2.5.1+cu121", "scikit-learn": "1.6.0", "ipywidgets": "7.7.1", "pillow": "11.0.0"}
    on_a_gpu_host = requirements_to_install(lines, installed=versions.get)
    assert "ipywidgets>=8.1" in on_a_gpu_host, "a version below the line's bound is upgraded"
    assert not [spec for spec in on_a_gpu_host if spec.startswith(("torch", "scikit-learn", "pillow"))]
    assert len(on_a_gpu_host) == len(everything) - 3


def test_install_requirements_calls_pip_once_with_what_is_missing(tmp_path):
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\nplotly>=5.20  # figures\nruff==0.17.6\n")
    calls = []
    specs = hosted.install_requirements(
        tmp_path, run=lambda cmd, check: calls.append(cmd), installed={"torch": "2.4.0"}.get
    )
    assert specs == ["plotly>=5.20"] and calls == [[sys.executable, "-m", "pip", "install", "--quiet", "plotly>=5.20"]]
    assert hosted.install_requirements(tmp_path, run=_refuse, installed=lambda name: "6.0") == []
    with pytest.raises(FileNotFoundError, match="requirements.txt"):
        hosted.install_requirements(tmp_path / "missing", run=_refuse)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_notebook_and_student_copy_opens_with_the_install_cell(path):
    notebook = nbformat.read(path, as_version=4)
    title, first_code = notebook.cells[0], next(c for c in notebook.cells if c.cell_type == "code")
    assert title.cell_type == "markdown" and title.source.startswith("# ")
    assert first_code is notebook.cells[1] and first_code.metadata.get("tags") == [INSTALL_TAG]
    assert first_code.source == INSTALL_CELL, "run `python -m eqlib.hosted` to refresh the install cell"
    assert first_code.execution_count == 1 and first_code.outputs == [], "the committed run printed nothing here"
    copy = nbformat.read(ROOT / "student" / path.name, as_version=4)
    assert copy.cells[1].source == INSTALL_CELL


def test_writing_the_install_cell_is_idempotent_and_needs_a_title():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 99 · Test"), nbformat.v4.new_code_cell("1")]
    )
    assert hosted.with_install_cell(notebook) and not hosted.with_install_cell(notebook)
    assert [c.source for c in notebook.cells] == ["# 99 · Test", INSTALL_CELL, "1"]
    nbformat.validate(notebook)
    assert student_copy(notebook, "99").cells[1].source == INSTALL_CELL
    with pytest.raises(ValueError, match="title"):
        hosted.with_install_cell(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]))


def test_the_readme_has_open_in_colab_links_for_every_notebook_and_student_copy():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        for folder in ("notebooks", "student"):
            assert f"({open_in_colab(f'{folder}/{path.name}')})" in readme, f"no Colab link for {folder}/{path.name}"
    assert open_in_colab("notebooks/x.ipynb").startswith("https://colab.research.google.com/github/")
