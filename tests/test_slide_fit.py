"""Every slide screen of every deck fits a 1280 x 720 projector (``make test-slides``).

Headless Chromium walks every slide and fragment of every deck (``tools/slide_fit.py``)
and fails on content outside the screen, code cut on the right, a figure not entirely on
the screen, a visible ``NBVAL`` marker, a ``##`` heading that is not the first thing on
its screen, and text drawn in a font of the machine instead of the site's own (which must
load: the walk measures the same pixels on every machine); each faulty screen is
screenshot into ``test-artifacts/slide-fit/`` and the per-deck table goes to
``test-artifacts/slide-fit.txt``. Walking every deck takes about a minute, so this test has
its own marker, ``slides_fit``, left out of the default run (``make test``): run it with
``make test-slides`` or ``pytest -m slides_fit``.

1920 x 1080 has the same 16:9 shape, so reveal.js scales the same layout up; the walk checks
that on the first deck (``SLIDE_FIT_VIEWPORTS=1280x720,1920x1080`` walks every deck at both).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402
import slide_fit  # noqa: E402

pytestmark = pytest.mark.slides_fit

LESSONS = build_site.all_notebooks()[0]
ALL_DECKS_AT = [
    tuple(map(int, size.split("x")))
    for size in os.environ.get("SLIDE_FIT_VIEWPORTS", "1280x720").split(",")
]
WALKS = [(lesson, size) for size in ALL_DECKS_AT for lesson in LESSONS]
if (1920, 1080) not in ALL_DECKS_AT:
    WALKS.append((LESSONS[0], (1920, 1080)))
REPORTS: list[slide_fit.DeckReport] = []


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (in CI the slide-fit test must run: .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(request, chromium):  # conftest.py's, with this file's report at the end
    yield chromium
    if REPORTS:  # printed at the end of the run by tests/conftest.py
        request.config.slide_fit_report = slide_fit.write_report(REPORTS)


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every lesson's slides, built into a temporary folder and served on 127.0.0.1."""
    out = tmp_path_factory.mktemp("decks")
    try:
        build_site.fetch_vendor()
    except (OSError, RuntimeError) as error:
        _missing(f"slides not built: the web libraries could not be fetched ({error})")
    build_site.build(out, LESSONS, html_pages=False)
    with slide_fit.serve(out) as base:
        yield base


@pytest.mark.parametrize(
    ("lesson", "viewport"), WALKS, ids=[f"{p.stem}-{w}x{h}" for p, (w, h) in WALKS]
)
def test_every_screen_fits(browser, decks, lesson, viewport):
    url = f"{decks}/slides/{lesson.stem}.slides.html"
    report = slide_fit.with_times(
        slide_fit.walk_deck(browser, url, lesson.stem, viewport), lesson
    )
    REPORTS.append(report)
    types = build_site.deck_times(nbformat.read(lesson, as_version=4))
    assert report.screens == types.screens, "the walk missed screens"
    assert report.ok, (
        f"{report.line()}\n" + "\n".join(report.details)
        + f"\nscreenshots: {[str(p.relative_to(ROOT)) for p in report.screenshots]}"
    )


# ---- the walk finds each fault (a deck built to have them) -----------------------------------

LONG = "\n\n".join(f"Paragraph {i}: " + "words that fill a line " * 6 for i in range(14))


PIXEL_PNG = (  # a 1 x 1 picture: the slide CSS draws a figure 440 px high
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def faulty_notebook():
    figure = new_code_cell(
        "\n".join(f"step_{i} = {i}" for i in range(12)) + "\nplt.show()",
        outputs=[new_output("display_data", data={"image/png": PIXEL_PNG, "text/plain": "f"})],
    )
    return new_notebook(cells=[
        new_markdown_cell("# 99 · A deck with every fault"),
        new_markdown_cell("## 1. Fine\n\nShort text."),
        # Speaker notes are not on the screen: neither their length nor a marker counts.
        new_markdown_cell("NBVAL in the notes. " + LONG, metadata={"tags": ["notes"]}),
        new_markdown_cell("## 2. Too long\n\n" + LONG),  # overflow
        new_code_cell("x = '" + "y" * 150 + "'  # one long line"),  # cut code (CSS below)
        new_markdown_cell("Closing words of section 2.\n\n## 3. Misplaced"),  # heading
        new_markdown_cell("## 4. Marker\n\nThe text NBVAL_IGNORE_OUTPUT in prose."),  # marker
        new_markdown_cell("## 5. Figure"),
        figure,  # its own screen: a 440 px figure below 13 lines of code is cut at the bottom
        new_markdown_cell(  # a system font
            '## 6. System font\n\n<p style="font-family: serif">Not the site\'s font.</p>'
        ),
    ])


def test_the_walk_finds_every_fault(browser, tmp_path):
    path = tmp_path / "notebooks" / "99_faults.ipynb"
    path.parent.mkdir()
    nbformat.write(faulty_notebook(), path)
    site = tmp_path / "site"
    build_site.copy_vendor(site)
    deck = site / "slides" / "99_faults.slides.html"
    build_site.export(path, "slides", deck)
    # Code that does not wrap, as a slide without the course's CSS would show it.
    no_wrap = ".reveal pre, .reveal div.highlight > pre { white-space: pre !important; }"
    deck.write_text(deck.read_text().replace("</body>", f"<style>{no_wrap}</style></body>"))
    with slide_fit.serve(site) as base:
        report = slide_fit.walk_deck(
            browser, f"{base}/slides/99_faults.slides.html", "99_faults", (1280, 720),
            artifacts=tmp_path / "artifacts",
        )
    counts = report.counts()
    assert report.screens == 8
    assert counts == {
        "overflow": 2, "cut_code": 1, "cut_figure": 1, "marker": 1, "heading": 1, "font": 1
    }, "\n".join(report.details)
    faulty = set().union(*report.faulty.values())
    assert faulty == {(2, 0), (3, 0), (4, 0), (5, 1), (6, 0)}
    assert report.faulty["font"] == {(6, 0)}
    assert not report.font_problems  # the site's own fonts loaded
    assert len(report.screenshots) == 5 and all(p.is_file() for p in report.screenshots)


def test_the_walk_fails_when_a_font_of_the_site_does_not_load(browser, tmp_path):
    path = tmp_path / "notebooks" / "98_font.ipynb"
    path.parent.mkdir()
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("# 98 · A deck whose code font is broken"),
        new_code_cell("print('drawn in a fallback font')"),
    ]), path)
    site = tmp_path / "site"
    vendor = build_site.copy_vendor(site)
    mono = vendor / build_site.MONO.package / build_site.MONO.faces[0].file  # the regular
    mono.write_bytes(b"not a font")
    build_site.export(path, "slides", site / "slides" / "98_font.slides.html")
    with slide_fit.serve(site) as base:
        report = slide_fit.walk_deck(
            browser, f"{base}/slides/98_font.slides.html", "98_font", (1280, 720),
            artifacts=tmp_path / "artifacts",
        )
    assert not report.ok and "FONTS NOT LOADED" in report.line()
    assert any("Course Mono" in problem for problem in report.font_problems), (
        report.font_problems
    )
    assert report.faulty["font"] == {(0, 0)}, report.details  # the code, in a system font


def test_the_walk_pins_how_fonts_are_rendered_over_the_machine_configuration(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("FONTCONFIG_FILE", "/etc/custom/fonts & more.conf")
    text = slide_fit.pinned_fontconfig(tmp_path).read_text()
    assert '<include ignore_missing="yes">/etc/custom/fonts &amp; more.conf</include>' in text
    assert "<const>hintslight</const>" in text and 'mode="assign"' in text
    monkeypatch.delenv("FONTCONFIG_FILE")
    monkeypatch.delenv("FONTCONFIG_PATH", raising=False)
    assert "/etc/fonts/fonts.conf</include>" in slide_fit.pinned_fontconfig(tmp_path).read_text()
