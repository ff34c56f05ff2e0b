"""The suite as a static site: ``python -m eqlib.book [OUT]`` (``make book``) builds ``OUT/html``.

Sphinx with MyST-NB and the book theme renders the committed notebooks without executing them: a
landing page from the README's story and notebook table, one page per notebook with its outputs, and
the results table generated from the notebooks' records as ``make results`` does. Nothing is fetched
at build time or when a page is read: plotly figures are drawn by the plotly.js the plotly package
ships, and formulas by the MathJax 3 that django-static-mathjax ships (SVG output), both copied into the site.
Widgets need a running kernel, so each explorer's output becomes a line saying how to run it (progress bars
are dropped: the static line ``fit`` prints stays); every page links to the notebook and its student copy in
Colab.

The book's packages are pinned in ``requirements-book.txt``, apart from the notebooks' environment.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from eqlib.hosted import REPOSITORY, open_in_colab
from eqlib.results import GPU_RUNS, collect, load_gpu_runs, results_table

ROOT = Path(__file__).resolve().parent.parent
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "*An interactive explorer runs here when the notebook runs: open it in Colab (link at the top of the page) "
    "or locally with `make lab`.*"
)

CONF = """\
project = "eqlib"
author = "the eqlib authors"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_title = "eqlib: structured and equivariant representations"
html_static_path = ["_static"]
html_js_files = ["plotly.min.js"]
html_theme_options = {{"repository_url": "{repository}", "use_repository_button": True}}
html_context = {{"default_mode": "light"}}
html_favicon = "_static/favicon.png"
nb_execution_mode = "off"
nb_ipywidgets_js = {{}}
myst_enable_extensions = ["dollarmath", "amsmath"]
# MathJax 3 with SVG output from django-static-mathjax's files: one script, glyphs drawn from JavaScript (no web fonts)
mathjax_path = "mathjax/tex-svg.js"
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header", "misc.highlighting_failure"]
exclude_patterns = ["_build"]
"""


def plotly_html(figure: dict, number: int) -> str:
    """A ``<div>`` and the script that draws ``figure`` (plotly's JSON: data, layout) with the page's plotly.js."""
    target = f"eqlib-plotly-{number}"
    height = figure.get("layout", {}).get("height") or 450
    spec = json.dumps({"data": figure.get("data", []), "layout": figure.get("layout", {})}).replace("</", "<\\/")
    return (
        f'<div id="{target}" class="eqlib-plotly" style="width: 100%; height: {height}px;"></div>\n'
        f"<script>window.addEventListener('load', function () {{ var spec = {spec}; "
        f"Plotly.newPlot('{target}', spec.data, spec.layout, {{responsive: true}}); }});</script>"
    )


def links_cell(name: str) -> nbformat.NotebookNode:
    """The line under each page's title: the notebook and its student copy in Colab."""
    return nbformat.v4.new_markdown_cell(
        f"[Open in Colab]({open_in_colab(f'notebooks/{name}')}) · "
        f"[student copy in Colab]({open_in_colab(f'student/{name}')}) · "
        f"run it locally with `make lab`"
    )


def is_explorer(output: dict) -> bool:
    """Whether a widget output is one of the suite's explorers (``eqlib.widgets``: a ``VBox`` of controls and a plot),
    not a progress bar."""
    data = output.get("data", {})
    return WIDGET_MIME in data and str(data.get("text/plain", "")).startswith("VBox(")


def for_the_page(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """A copy of a committed notebook as its page shows it: links after the title cell, plotly figures as drawable
    HTML, each explorer as a line saying how to run it, progress bars and saved widget state (which would load the
    widget manager from the web) dropped. Raises ``ValueError`` when the notebook has no markdown title cell."""
    page = copy.deepcopy(notebook)
    page.metadata.pop("widgets", None)
    figures = 0
    for cell in page.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY_MIME in data:
                figures += 1
                output["data"] = {"text/html": plotly_html(data[PLOTLY_MIME], figures)}
            elif is_explorer(output):
                output["data"] = {"text/markdown": WIDGET_NOTE}
            elif WIDGET_MIME in data:
                continue
            kept.append(output)
        if cell.cell_type == "code":
            cell.outputs = kept
    title = next((i for i, cell in enumerate(page.cells) if cell.cell_type == "markdown"), None)
    if title is None:
        raise ValueError(f"{name}: expected a markdown title cell")
    page.cells.insert(title + 1, links_cell(name))
    return page


def landing_page(readme: str, notebooks: list[str]) -> str:
    """``index.md``: the README's opening story and notebook table, and the table of contents."""
    story = readme.split("\n## ", 1)[0]
    table = re.search(r"^\| # \| notebook \|.*?(?=\n\n)", readme, re.MULTILINE | re.DOTALL)
    toc = "\n".join(["```{toctree}", ":maxdepth: 1", ":caption: Notebooks", "", *notebooks, "", "results", "```"])
    rows = table.group(0).replace("](notebooks/", "](") if table else ""  # the pages sit beside the index
    rows = re.sub(r"\[!\[([^\]]*)\]\([^)]*\)\]\(", r"[\1](", rows)  # badges are images from the web: plain links
    parts = [story.strip(), "## The notebooks", rows, toc]
    return "\n\n".join(parts) + "\n"


def results_page(notebook_paths: list[Path], root: Path = ROOT) -> str:
    """``results.md``: every claim's verdict from the committed runs' records, the README's table (``make results``)."""
    table = results_table(collect(notebook_paths), load_gpu_runs(root / GPU_RUNS))
    return "# Results\n\nEach claim, its control and its verdict, from the committed full runs.\n\n" + table + "\n"


def write_sources(source: Path, root: Path = ROOT) -> list[Path]:
    """The Sphinx project in ``source``: conf.py, the landing and results pages, the pages of the notebooks and
    the static scripts. Returns the notebook pages written."""
    import mathjax
    import plotly

    if source.exists():
        shutil.rmtree(source)
    (source / "_static").mkdir(parents=True)
    paths = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks NN_*.ipynb in {root / 'notebooks'}")
    pages = []
    for path in paths:
        page = source / path.name
        nbformat.write(for_the_page(nbformat.read(path, as_version=4), path.name), page)
        pages.append(page)
    readme = (root / "README.md").read_text()
    (source / "index.md").write_text(landing_page(readme, [p.stem for p in pages]))
    (source / "results.md").write_text(results_page(paths, root))
    (source / "conf.py").write_text(CONF.format(repository=REPOSITORY))
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", source / "_static")
    _favicon(source / "_static" / "favicon.png")
    shutil.copytree(Path(mathjax.__file__).parent / "static" / "mathjax" / "es5", source / "_static" / "mathjax")
    return pages


def _favicon(path: Path) -> None:
    """A 16 x 16 icon (a browser asks for one; without it every page logs a 404)."""
    from PIL import Image, ImageDraw

    icon = Image.new("RGB", (16, 16), "white")
    ImageDraw.Draw(icon).ellipse((2, 2, 13, 13), outline="steelblue", width=2)
    icon.save(path)


def build(out: Path, root: Path = ROOT) -> Path:
    """Write the sources to ``out/source`` and build the site into ``out/html``; returns the html folder."""
    write_sources(out / "source", root)
    html = out / "html"
    if html.exists():  # pages of notebooks that are gone must not linger
        shutil.rmtree(html)
    # -W: a warning (a broken link or table of contents entry) fails the build
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", str(out / "source"), str(html)]
    subprocess.run(command, check=True)
    return html


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the suite's static site from the committed notebooks.")
    parser.add_argument("out", nargs="?", default=str(ROOT / "build" / "book"), help="output folder")
    html = build(Path(parser.parse_args(argv).out))
    print(f"the book is in {html}; open {html / 'index.html'}")


if __name__ == "__main__":
    main()
