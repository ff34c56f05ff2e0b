"""The widgets and interactive figures as a reader meets them: JupyterLab driven by headless Chromium.

For each notebook with explorers or plotly figures, the test opens it in a JupyterLab started
from this environment (127.0.0.1, a fresh token, fast mode) and runs all cells. It then checks
that every plotly figure the notebook shows is drawn by JupyterLab's plotly renderer (offline,
from the labextension the plotly package installs), and that each explorer redraws: it drags
every slider and picks another entry of every dropdown, and the screenshots of the explorer's
output area before and after must differ. Screenshots go to build/browser/.

Needs Debian's Chromium (``apt-get install chromium``) and Playwright from PyPI (in
requirements.txt); Playwright drives the system browser and never downloads one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from eqlib.student import serialise, without_outputs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "browser"
CHROMIUM = Path(os.environ.get("EQLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOTEBOOKS = [
    "01_invariance_vs_equivariance.ipynb",
    "03_duet.ipynb",
    "04_topographic_vae.ipynb",
    "05_category_selectivity.ipynb",
]
RUN_ALL_TIMEOUT_S = 420
REDRAW_TIMEOUT_S = 60

# JupyterLab settings for the test: every cell stays in the page (no windowing), so sliders far
# down the notebook can be found and scrolled to; no news pop-up over the page.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _skip_without_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (Debian), "
            "or point EQLIB_CHROMIUM at a Chromium binary"
        )
    pytest.importorskip("playwright.sync_api", reason="Playwright is missing: pip install -r requirements.txt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str, method: str = "GET") -> bytes:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


class Lab:
    """A JupyterLab server on 127.0.0.1 serving copies of the notebooks; stopped by its PID."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port, self.token = folder, _free_port(), os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        settings, workspaces = folder.parent / "lab-settings", folder.parent / "lab-workspaces"
        for name, values in LAB_SETTINGS.items():
            plugin, file = name.rsplit("/", 1)
            (settings / plugin).mkdir(parents=True, exist_ok=True)
            (settings / plugin / file).write_text(json.dumps(values))
        env = {**os.environ, "EQLIB_FAST": "1", "JUPYTERLAB_SETTINGS_DIR": str(settings)}
        env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the figures the widgets show
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={folder}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={workspaces}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log = (folder.parent / "lab.log").open("w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until_up(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}; see {self.log.name}")
            try:
                _get(f"{self.url}/api/status", self.token)
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer on {self.url} within {timeout_s} s; see {self.log.name}")

    def shutdown_kernels(self) -> None:
        """Shut every running kernel down through the REST API (one notebook's kernel at a time)."""
        try:
            for kernel in json.loads(_get(f"{self.url}/api/kernels", self.token)):
                _get(f"{self.url}/api/kernels/{kernel['id']}", self.token, method="DELETE")
        except OSError:
            pass

    def stop(self) -> None:
        """Shut the kernels down, then stop the server by its PID (its whole process group)."""
        self.shutdown_kernels()
        for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if self.process.poll() is not None:
                break
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(wait_s)
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    _skip_without_browser()
    folder = tmp_path_factory.mktemp("lab") / "notebooks"
    folder.mkdir()
    for name in NOTEBOOKS:  # copies: nothing the browser session saves can touch the committed notebooks
        # as a reader first opens it: the committed execution counts would make it look run already
        (folder / name).write_text(serialise(without_outputs(json.loads((ROOT / "notebooks" / name).read_text()))))
    server = Lab(folder)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser_context(lab, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


# JavaScript run in the page: the state of the open notebook, read from JupyterLab's own models.
NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
                 && panel.sessionContext.session.kernel;
  if (!kernel || !panel.content) { return null; }
  const cells = panel.content.widgets.filter(c => c.model.type === 'code'
                                             && c.model.sharedModel.getSource().trim() !== '');
  const errors = [];
  cells.forEach((c, i) => c.model.outputs.toJSON().forEach(o => {
    if (o.output_type === 'error') { errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`); }
  }));
  return {status: kernel.status, cells: cells.length,
          executed: cells.filter(c => c.model.executionCount !== null).length, errors: errors};
}"""


def _wait_for_state(page, predicate, timeout_s: float, what: str) -> dict:
    deadline, state = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE)
        if state and state["errors"]:
            raise AssertionError(f"{what}: the notebook raised: {state['errors']}")
        if state and predicate(state):
            return state
        time.sleep(1)
    raise TimeoutError(f"{what}: not done after {timeout_s} s, last state {state}")


def _open_and_run_all(page, lab: Lab, name: str) -> None:
    # a workspace of its own, reset: only this notebook is open in the page
    page.goto(f"{lab.url}/lab/workspaces/eqlib-{name[:2]}/tree/{name}?token={lab.token}&reset")
    _wait_for_state(page, lambda s: s["status"] == "idle", 120, f"{name}: kernel start")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    _wait_for_state(
        page,
        lambda s: s["status"] == "idle" and s["executed"] == s["cells"],
        RUN_ALL_TIMEOUT_S,
        f"{name}: run all cells",
    )


def _drag(page, slider) -> None:
    """Drag a slider's handle across its track, to the far side from where it is."""
    slider.scroll_into_view_if_needed()
    track, handle = slider.locator(".noUi-base").bounding_box(), slider.locator(".noUi-handle").bounding_box()
    x0, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    x1 = track["x"] + track["width"] * (0.85 if x0 < track["x"] + track["width"] / 2 else 0.15)
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move(x1, y, steps=8)
    page.mouse.up()


def plotly_cells(name: str) -> int:
    """How many code cells of the committed notebook show a plotly figure (a call to one of eqlib.viz's *_plotly)."""
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    return sum(
        1
        for c in cells
        if c["cell_type"] == "code" and "_plotly(" in "".join(c["source"]) and "def " not in "".join(c["source"])
    )


def _explorer_output(control):
    explorer = control.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
    return explorer.locator(".widget-output").first


def _wait_for_redraw(page, output, before: bytes) -> bytes:
    """The output area's screenshot once it differs from ``before`` and has settled (or ``before``)."""
    deadline = time.monotonic() + REDRAW_TIMEOUT_S
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        if output.locator("img").count() == 0:  # cleared, the new figure not drawn yet
            continue
        now = output.screenshot()
        if now != before:
            page.wait_for_timeout(1_000)
            return output.screenshot()
    return before


@pytest.mark.parametrize("name", NOTEBOOKS, ids=[n[:2] for n in NOTEBOOKS])
def test_every_plotly_figure_renders_and_every_explorer_redraws(browser_context, lab, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_context.new_page()
    try:
        _open_and_run_all(page, lab, name)
        page.screenshot(path=str(SHOTS / f"{name[:2]}-after-run-all.png"))
        figures = page.locator(".js-plotly-plot")
        expected_figures = plotly_cells(name)
        assert figures.count() == expected_figures, (
            f"{name}: {figures.count()} plotly figures drawn, {expected_figures} shown"
        )
        for i in range(expected_figures):
            figure = figures.nth(i)
            figure.scroll_into_view_if_needed()
            figure.locator(".main-svg").first.wait_for(state="visible", timeout=REDRAW_TIMEOUT_S * 1000)
            box = figure.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100, f"{name}: plotly figure {i} drawn at {box}"
            # heatmaps are drawn as images in the SVG's heatmap layer, 3-D surfaces onto a WebGL canvas
            drawn = figure.locator(".main-svg .hm image, .main-svg .trace, .gl-container canvas").count()
            assert drawn > 0, f"{name}: plotly figure {i} has no traces drawn"
            figure.screenshot(path=str(SHOTS / f"{name[:2]}-plotly{i}.png"))
        sliders, dropdowns = page.locator(".widget-slider"), page.locator(".widget-dropdown")
        assert sliders.count() + dropdowns.count() > 0, f"{name}: no explorer rendered in the page"
        unchanged = []
        for i in range(sliders.count()):
            slider = sliders.nth(i)
            output = _explorer_output(slider)
            label = f"{name[:2]}-slider{i}-{slider.locator('.widget-label').first.inner_text().strip() or 'value'}"
            output.scroll_into_view_if_needed()
            before = output.screenshot(path=str(SHOTS / f"{label}-before.png"))
            readout = slider.locator(".widget-readout").first.inner_text()
            _drag(page, slider)
            moved = slider.locator(".widget-readout").first.inner_text()
            assert moved != readout, f"{label}: the drag did not move the slider (readout {readout})"
            after = _wait_for_redraw(page, output, before)
            (SHOTS / f"{label}-after.png").write_bytes(after)
            if after == before:
                unchanged.append(f"{label} ({readout} -> {moved})")
        for i in range(dropdowns.count()):
            dropdown = dropdowns.nth(i)
            select, output = dropdown.locator("select"), _explorer_output(dropdown)
            label = f"{name[:2]}-dropdown{i}-{dropdown.locator('.widget-label').first.inner_text().strip() or 'value'}"
            options = select.locator("option").all_inner_texts()
            assert len(options) > 1, f"{label}: a dropdown with {options} cannot be changed"
            current = select.evaluate("s => s.options[s.selectedIndex].text")
            choice = next(o for o in options if o != current)
            output.scroll_into_view_if_needed()
            before = output.screenshot(path=str(SHOTS / f"{label}-before.png"))
            select.select_option(label=choice)
            after = _wait_for_redraw(page, output, before)
            (SHOTS / f"{label}-after.png").write_bytes(after)
            if after == before:
                unchanged.append(f"{label} ({current} -> {choice})")
        assert not unchanged, f"{name}: the explorer did not redraw after changing {unchanged}"
    finally:
        page.close()
        lab.shutdown_kernels()
