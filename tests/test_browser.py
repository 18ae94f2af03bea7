"""The course in a real browser: JupyterLab runs notebook 01, and the offline site renders.

Headless Chromium (Debian's ``chromium`` package) is driven by Playwright with that
executable: the test never downloads a browser. Without Chromium or Playwright the tests
are skipped with the reason, except in CI (``CI=true``), where that is a failure.
Screenshots go to ``test-artifacts/``. Select or leave out these tests with
``-m browser`` / ``-m "not browser"``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from slide_fit import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402  (one setup)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
README = (ROOT / "README.md").read_text(encoding="utf-8")
LAB_TIMEOUT_S = 90
RUN_ALL_TIMEOUT_S = 120

pytestmark = pytest.mark.browser


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (in CI the browser test must run: .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        _missing("Chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -r requirements.txt)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class RequestLog:
    """Every request a page makes; external ones are blocked (and still recorded)."""

    def __init__(self, context):
        self.urls: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        self.urls.append(url)
        if is_local(url):
            route.continue_()
        else:
            route.abort()

    def external(self) -> list[str]:
        return sorted({url for url in self.urls if not is_local(url)})


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- JupyterLab ------------------------------------------------------------------------------

def readme_lab_arguments() -> list[str]:
    """The arguments of the README's ``jupyter lab`` command (the one learners type)."""
    match = re.search(r"^\S*jupyter lab (.+)$", README, re.MULTILINE)
    assert match, "the README must show the jupyter lab command"
    return shlex.split(match.group(1).split("#")[0])


def test_readme_and_makefile_start_lab_the_same_way():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"LAB_FLAGS := {' '.join(readme_lab_arguments())}\n" in makefile
    assert "jupyter lab $(LAB_FLAGS)" in makefile


LAB_SETTINGS = {
    # No notebook virtualisation, so every cell is in the page to be checked.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No update check or news: nothing to fetch from outside.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started with the README's command, on a free port, with a token.

    It runs in a copy of the course (notebooks/ and images/), so running the cells never
    touches the committed notebooks; helpers/ is this checkout's, as with ``make lab``.
    """
    home = tmp_path_factory.mktemp("lab")
    course = home / "course"
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    shutil.copytree(ROOT / "images", course / "images")
    settings = home / "settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
    }
    jupyter = Path(sys.executable).parent / "jupyter"
    command = [
        str(jupyter), "lab", *readme_lab_arguments(),
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--no-browser",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root; Jupyter refuses it
        command.append("--allow-root")
    log = (home / "lab.log").open("w")
    process = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + LAB_TIMEOUT_S
        while True:
            assert process.poll() is None, (home / "lab.log").read_text()
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.3)
        yield base, token, course
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


CELL_STATE = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({
    source: cell.querySelector('.cm-content')?.innerText ?? '',
    prompt: cell.querySelector('.jp-InputPrompt')?.innerText ?? '',
    errors: cell.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
    images: [...cell.querySelectorAll('.jp-RenderedImage img, .widget-image')].map(
        img => img.complete && img.naturalWidth > 0),
    sliders: cell.querySelectorAll('.widget-slider').length,
}))"""


def stored_image_outputs(path: Path) -> int:
    notebook = nbformat.read(path, as_version=4)
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.lab_run
def test_lab_runs_the_first_notebook_without_errors(browser, lab):
    base, token, course = lab
    notebook = sorted((course / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests = RequestLog(context)
    page = context.new_page()
    page.goto(f"{base}/lab/tree/{notebook.name}?token={token}")
    # Wait for the notebook itself (not the empty placeholder) and for its kernel.
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(notebook, as_version=4).cells)
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-Notebook .jp-CodeCell').length === n",
        arg=code_cells,
        timeout=LAB_TIMEOUT_S * 1000,
    )
    page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=LAB_TIMEOUT_S * 1000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + RUN_ALL_TIMEOUT_S
    while True:
        cells = page.evaluate(CELL_STATE)
        code = [c for c in cells if c["source"].strip()]
        done = all(re.fullmatch(r"\[\d+\]:", c["prompt"].strip()) for c in code)
        if done and all(all(c["images"]) for c in code):
            break
        assert time.monotonic() < deadline, f"cells still running: {[c['prompt'] for c in code]}"
        page.wait_for_timeout(200)
    page.screenshot(path=ARTIFACTS / f"lab_{notebook.stem}_end.png")
    page.locator(".jp-RenderedImage img").first.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"lab_{notebook.stem}_figure.png")
    numbers = [int(c["prompt"].strip()[1:-2]) for c in code]
    assert numbers == list(range(1, len(code) + 1)), "every cell ran once, in order"
    for index, cell in enumerate(code, start=1):  # no cell may raise (Run All never stops)
        assert cell["errors"] == 0, f"cell {index} shows an error"
    figures = sum(len(c["images"]) for c in code)
    assert figures >= stored_image_outputs(notebook) > 0, "figures did not render"
    if any(c["sliders"] for c in code):  # a live control: moving it redraws its picture
        widget_image = page.locator(".widget-image").first
        before = widget_image.get_attribute("src")
        page.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            "src => document.querySelector('.widget-image').getAttribute('src') !== src",
            arg=before,
            timeout=20_000,
        )
        widget_image.screenshot(path=ARTIFACTS / f"lab_{notebook.stem}_slider.png")
    context.close()
    assert requests.external() == [], "JupyterLab fetched from outside 127.0.0.1"


# ---- the offline site ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site_server(built_site):
    with serve(built_site[0]) as base:  # the static server of tools/slide_fit.py
        yield base, built_site


MATH = ".MathJax_CHTML, .MathJax, mjx-container, .katex"
MATH_ERRORS = ".MathJax_Error, merror, .katex-error"


@pytest.mark.site_build
def test_site_and_slides_render_math_and_fetch_nothing_outside(browser, site_server):
    base, (out, _, notebooks) = site_server
    lesson = notebooks[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = RequestLog(context)
    page = context.new_page()
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda error: failed.append(f"script error: {error}"))

    page.goto(f"{base}/index.html")
    assert page.locator("#syllabus li").count() >= 1
    page.screenshot(path=ARTIFACTS / "site_index.png")

    # The slides last: the checks after the loop continue on that page.
    pages = [f"lessons/{lesson.stem}.html"] + [f"solutions/{p.stem}.html" for p in notebooks[1:]]
    pages += [f"slides/{lesson.stem}.slides.html"]
    for path in pages:
        page.goto(f"{base}/{path}")  # returns after the load event: scripts, styles, images
        page.wait_for_function(
            "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
            " && MathJax.Hub.queue.running === 0",
            timeout=30_000,
        )
        page.evaluate("() => document.fonts.ready.then(() => true)")  # web fonts fetched too
        page.screenshot(path=ARTIFACTS / f"site_{path.replace('/', '_')}.png")
        if not path.startswith("solutions/"):
            assert page.locator(MATH).count() > 0, f"{path}: no rendered math"
        assert page.locator(MATH_ERRORS).count() == 0, f"{path}: math errors"
        images = page.evaluate("() => [...document.images].map(i => i.naturalWidth > 0)")
        assert all(images), f"{path}: an image did not load"

    # The slides follow the slide metadata: one screen per slide or sub-slide.
    page.locator(".reveal.ready").wait_for(timeout=30_000)
    screens = page.locator(".reveal .slides section:not(:has(section))").count()
    types = [
        c.metadata.get("slideshow", {}).get("slide_type")
        for c in nbformat.read(lesson, as_version=4).cells
    ]
    assert screens == types.count("slide") + types.count("subslide")
    page.evaluate(
        "() => { window.slideMoved = false;"
        " Reveal.on('slidetransitionend', () => { window.slideMoved = true; }); }"
    )
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.slideMoved", timeout=10_000)  # the transition ended
    assert page.evaluate("() => Reveal.getIndices().h") == 1
    page.screenshot(path=ARTIFACTS / f"site_slides_{lesson.stem}_2.png")
    # Each formula shows once: no quick preview left next to the rendered math.
    assert page.locator(".MathJax_PHTML, .MJXp-math").count() == 0
    context.close()
    assert failed == [], "failed requests or script errors"
    assert requests.external() == [], "a page fetched from outside 127.0.0.1"
    assert any("/vendor/mathjax/" in url for url in requests.urls)
