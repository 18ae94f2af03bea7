"""Shared test settings: a non-interactive matplotlib backend for unit tests.

(Notebooks run in their own kernels under nbval and keep the inline backend.)
"""

import gc
import sys

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")  # not imported for nothing (xdist's controller)
    if pyplot is not None:
        pyplot.close("all")


# ---- the offline site, built once per process (tests/test_site.py, tests/test_browser.py)

@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The first lesson (and its solutions) built as pages and slides in a temporary folder.

    ``make site`` builds and scans every notebook; this builds one so the suite stays
    fast. The vendored MathJax and reveal.js come from the npm registry once, then from
    the cache in ``build/vendor/``: without network and without that cache the site tests
    are skipped, except in CI (``CI=true``), where that is a failure.
    """
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "tools"))
    import build_site

    lessons, solutions = build_site.all_notebooks()
    chosen = [lessons[0]] + [s for s in solutions if s.name == lessons[0].name]
    out = tmp_path_factory.mktemp("site")
    try:
        build_site.fetch_vendor()
    except (OSError, RuntimeError) as error:  # no network, npm failure, bad checksum
        if os.environ.get("CI") == "true":
            pytest.fail(f"could not fetch the vendored web libraries: {error}")
        pytest.skip(f"site not built: the web libraries could not be fetched ({error})")
    report = build_site.build(out, chosen)
    return out, report, chosen


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium as the slide-fit walk launches it (tools/slide_fit.py).

    Without Chromium or playwright the test is skipped, except in CI (``CI=true``), where
    that is a failure: ``.ci/run`` installs both.
    """
    import os
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import slide_fit

    def missing(reason: str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (in CI the browser tests must run: .ci/run installs it)")
        pytest.skip(reason)

    if slide_fit.chromium_path() is None:
        missing("Chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install -r requirements.txt)")
    with sync_playwright() as playwright:
        browser = slide_fit.launch(playwright)
        yield browser
        browser.close()


# Heavier checks that `make test` leaves out: marker -> the command that runs them.
ON_REQUEST = {
    "slides_fit": "make test-slides",  # every slide of every deck (about a minute)
    "site_build": "make test-site",  # builds a lesson's pages and slides, opens them in Chromium
    "lab_run": "make test-lab",  # JupyterLab runs notebook 01 in Chromium (about 17 s of a core)
    # Fresh interpreters that import PyTorch (about 2-3 s of a core each): the spawn start
    # method of run_on_ranks, an ordinary kernel compared with a forked one.
    "fresh_processes": "make test-processes",
}


# Tests that hold only in the reference environment of requirements.txt (marker `pinned`,
# deselected by make test-versions) but live in files maintained with other tools: marked
# here by node id, with the reason.
PINNED_ELSEWHERE = {
    "tests/test_portability.py::test_every_named_numpy_group_exists_in_the_pinned_numpy":
        "NumPy 1.x names its CPU dispatch groups differently (no X86_V3)",
}


def pytest_itemcollected(item):
    if item.nodeid in PINNED_ELSEWHERE:
        item.add_marker(pytest.mark.pinned)


def pytest_collection_modifyitems(config, items):
    """Tests marked with a key of ``ON_REQUEST`` run only when asked for.

    Asked for: ``-m`` names the marker (``make test-slides`` runs ``-m slides_fit``), or the
    test's file is given on the command line. Any other run, ``make test`` first, leaves
    them out (reported as deselected).
    """
    markexpr = config.option.markexpr or ""
    named = [str(arg).split("::")[0] for arg in config.args]

    def asked(item) -> bool:
        markers = [m for m in ON_REQUEST if item.get_closest_marker(m)]
        if not markers or any(m in markexpr for m in markers):
            return True
        return any(str(item.path).endswith(name) for name in named if name.endswith(".py"))

    left_out = [item for item in items if not asked(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if asked(item)]
    items.sort(key=dispatch_order)


# The unit-test files that take seconds (kernels, processes, training), longest first: with
# `--dist loadfile --no-loadscope-reorder` xdist hands files to the workers in collection
# order, and long files at the end would leave one worker running alone.
LONG_FILES = ("test_exercises.py", "test_execute_notebooks.py", "test_distributed.py",
              "test_widgets.py", "test_wrong_answers.py", "test_run_all.py")


def dispatch_order(item) -> tuple[int, int]:
    """Notebooks first (they are longest), then ``LONG_FILES``, then the rest as collected."""
    if item.path.suffix == ".ipynb":
        return (0, 0)
    if item.path.name in LONG_FILES:
        return (1, LONG_FILES.index(item.path.name))
    return (2, 0)


def pytest_terminal_summary(terminalreporter):
    """Say plainly when the browser tests did not run, and why (they skip without Chromium)."""
    reasons = {
        str(report.longrepr[2])
        for report in terminalreporter.stats.get("skipped", [])
        if "test_browser.py" in report.nodeid and isinstance(report.longrepr, tuple)
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"NOTE: the browser tests did not run. {reason}", yellow=True)
    config = terminalreporter.config
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:  # the whole suite: make test
        markexpr = config.option.markexpr or ""
        for marker, command in ON_REQUEST.items():
            if marker not in markexpr:
                terminalreporter.write_line(f"not in this run: tests marked {marker} ({command})")
        terminalreporter.write_line(
            "not in this run: the solution notebooks under nbval (make test-solutions; "
            "their code passes its checks in tests/test_exercises.py)")
    report = getattr(config, "slide_fit_report", None)
    if report:  # tests/test_slide_fit.py: the table per deck (details in test-artifacts/)
        terminalreporter.section("slide fit")
        for line in report.splitlines():
            if not line.startswith(tuple("0123456789")) or "screens" in line:
                terminalreporter.write_line(line)


def pytest_collection_finish(session):
    """The modules and test items collected live to the end: later collections skip them."""
    gc.freeze()


def pytest_unconfigure(config):
    """Let each process exit quickly: xdist waits for every worker's interpreter to shut down.

    After a run a worker holds hundreds of thousands of objects (PyTorch's operator database
    alone adds 280,000); moved out of the collector's reach, they are not scanned again by the
    collections that run at interpreter exit (which added about 1.5 s to the end of a run).
    """
    gc.freeze()
