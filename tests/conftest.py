"""Shared test settings: a non-interactive matplotlib backend for unit tests.

(Notebooks run in their own kernels under nbval and keep the inline backend.)
"""

import matplotlib
import matplotlib.pyplot as plt
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---- the offline site, built once per test run (tests/test_site.py, tests/test_browser.py)

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


def pytest_collection_modifyitems(config, items):
    """The slide-fit walk (marker ``slides_fit``, about a minute) runs only when asked for.

    Asked for: ``-m`` names it (``make test-slides`` runs ``-m slides_fit``), or its file is
    given on the command line. Any other run, ``make test`` first, leaves it out.
    """
    asked = "slides_fit" in (config.option.markexpr or "") or any(
        "test_slide_fit" in str(arg) for arg in config.args
    )
    if asked:
        return
    walks = [item for item in items if item.get_closest_marker("slides_fit")]
    if walks:
        config.hook.pytest_deselected(items=walks)
        items[:] = [item for item in items if not item.get_closest_marker("slides_fit")]


def pytest_terminal_summary(terminalreporter):
    """Say plainly when the browser tests did not run, and why (they skip without Chromium)."""
    reasons = {
        str(report.longrepr[2])
        for report in terminalreporter.stats.get("skipped", [])
        if "test_browser.py" in report.nodeid and isinstance(report.longrepr, tuple)
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"NOTE: the browser tests did not run. {reason}", yellow=True)
    report = getattr(terminalreporter.config, "slide_fit_report", None)
    if report:  # tests/test_slide_fit.py: the table per deck (details in test-artifacts/)
        terminalreporter.section("slide fit")
        for line in report.splitlines():
            if not line.startswith(tuple("0123456789")) or "screens" in line:
                terminalreporter.write_line(line)
