"""Walk every slide and fragment of the built decks in headless Chromium and check the fit.

    python tools/slide_fit.py                       # build the slides, walk them at 1280 x 720
    python tools/slide_fit.py --site build/site     # walk an existing build
    python tools/slide_fit.py --viewport 1920x1080 notebooks/01_softmax.ipynb

A lecturer presents on a projector; what does not fit its screen is lost. At each step
(every screen, and every fragment of it) the walk measures the screen as reveal.js shows
it, at its default scaling, and counts six faults:

* **overflow**: some content (text, formula, table, figure) lies outside the viewport or
  below or right of a scroll box (a slide too tall for the screen scrolls);
* **cut code**: a code block (input or output) is wider than its box, so it is cut or
  scrolls sideways;
* **cut figure**: a picture that is not entirely on the screen, or did not load;
* **marker**: the text ``NBVAL`` is visible;
* **heading**: a ``##`` heading that is not the first thing on its screen;
* **system font**: some text on the screen is drawn in a font of the machine instead of
  the site's own (``build_site.WEB_FONTS``, or MathJax's), as Chromium reports it for each
  character not seen before in the deck in the same font.

The walk measures with the site's fonts loaded: it loads every face of them first and waits
for ``document.fonts.ready`` at every step; a face that does not load, or a family with no
``@font-face``, fails the deck. So the walk measures the same pixels on every machine,
whatever fonts it has installed.

Each screen with a fault is screenshot once (its first faulty step) into
``test-artifacts/slide-fit/<width>x<height>/``, with the faulty elements outlined in red,
and the report (per deck: screens, fragments, estimated presenting time, and the count of
screens with each fault) is printed and written to ``test-artifacts/slide-fit.txt``. The exit
status is 1 when any deck has a fault. ``SLIDE_FIT_SCREENSHOTS=all`` screenshots every step.

Besides which fonts are installed, a machine's fontconfig settings say how glyphs are
hinted, and full hinting rounds their widths to whole pixels, so that two machines with the
same fonts can wrap a line differently. The walk's Chromium therefore reads the machine's
configuration (for the fonts it has) with the rendering settings pinned on top of it
(``FONTCONFIG``: slight hinting, greyscale antialiasing, the usual desktop defaults).

Chromium is Debian's ``chromium`` (or ``$CHROMIUM``), driven by Playwright; no browser is
downloaded. ``tests/test_slide_fit.py`` (``make test-slides``) runs this walk as a test.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import html
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_site  # noqa: E402  (same folder)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORTS = ((1280, 720), (1920, 1080))
FAULTS = ("overflow", "cut_code", "cut_figure", "marker", "heading", "font")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
# The flags a root, sandbox-less, offline machine needs (and no background traffic).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
# fontconfig's settings for the walk's Chromium: the machine's own configuration (which fonts
# are installed), then the rendering settings that change text metrics, the same everywhere.
FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">{machine}</include>
  <match target="font">
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="hinting" mode="assign"><bool>true</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintslight</const></edit>
    <edit name="autohint" mode="assign"><bool>false</bool></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
    <edit name="embeddedbitmap" mode="assign"><bool>false</bool></edit>
  </match>
</fontconfig>
"""
TOLERANCE_PX = 1.5  # sub-pixel rounding of a scaled slide
STEP_TIMEOUT_MS = 30_000

# Runs in the page before and after the walk: every face of the site's fonts loads (the
# faces are CSS ``font`` values, from ``build_site.WEB_FONTS``) and no font face failed;
# the problems found, if any.
FONTS_JS = r"""
async (faces) => {
  const problems = [];
  await document.fonts.ready;
  await Promise.all(faces.map(face => document.fonts.load(face).then(
      found => { if (!found.length) { problems.push(`no @font-face for ${face}`); } },
      error => problems.push(`${face} did not load: ${error}`))));
  await document.fonts.ready;
  for (const face of faces) {
    if (!document.fonts.check(face)) { problems.push(`not loaded: ${face}`); }
  }
  for (const face of document.fonts) {
    // MathJax looks for its fonts among the installed ones first (faces that fail when
    // they are not there), then takes its web fonts (the families ending in "w").
    const family = face.family.replace(/^["']|["']$/g, '');
    if (face.status === 'error' && !/^MJXc-TeX-.*[^w]$/.test(family)) {
      problems.push(`failed to load: ${family} ${face.style} ${face.weight}`);
    }
  }
  return [...new Set(problems)];
}
"""

# Runs in the page at every step: marks the elements of the screen (and the slide number)
# whose text has a character not seen before in the deck in the same font, with
# ``data-fit-font="<index>"``; returns those characters, by index.
GLYPHS_JS = r"""
() => {
  const seen = window.courseFitGlyphs || (window.courseFitGlyphs = new Set());
  for (const el of document.querySelectorAll('[data-fit-font]')) {
    el.removeAttribute('data-fit-font');
  }
  const marks = [];
  const roots = [Reveal.getCurrentSlide(), document.querySelector('.reveal .slide-number')];
  for (const root of roots.filter(Boolean)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.data.trim() || el.closest('aside.notes, script, style, .MJX_Assistive_MathML') ||
          !el.checkVisibility()) { continue; }
      const style = getComputedStyle(el);
      const font = `${style.fontFamily}|${style.fontWeight}|${style.fontStyle}|`;
      const fresh = [...new Set(node.data.replace(/\s/g, ''))].filter(c => !seen.has(font + c));
      if (!fresh.length) { continue; }
      fresh.forEach(c => seen.add(font + c));
      if (el.hasAttribute('data-fit-font')) {
        marks[+el.getAttribute('data-fit-font')] += fresh.join('');
      } else {
        el.setAttribute('data-fit-font', String(marks.length));
        marks.push(fresh.join(''));
      }
    }
  }
  return marks;
}
"""

# Runs in the page: wait until the fonts, MathJax and the pictures are done, then measure.
MEASURE_JS = r"""
async (tolerance) => {
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  await document.fonts.ready;
  // MathJax is done when its queue has been empty for a while and every formula on the
  // screen has a size (it re-renders a slide when it is shown).
  const idle = () => (!window.MathJax || !MathJax.Hub ||
      (MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0)) &&
      [...Reveal.getCurrentSlide().querySelectorAll('.MathJax_CHTML')].every(
          m => !m.checkVisibility() || m.getBoundingClientRect().width > 0);
  await frame(); await frame();
  for (let i = 0, calm = 0; i < 600 && calm < 4; i++) {
    calm = idle() ? calm + 1 : 0;
    await new Promise(r => setTimeout(r, 25));
  }
  await Promise.all([...document.images].filter(i => !i.complete).map(
      i => new Promise(r => { i.onload = i.onerror = r; })));
  await frame(); await frame();

  for (const el of document.querySelectorAll('[data-fit-fault]')) {
    el.style.outline = ''; el.removeAttribute('data-fit-fault');
  }
  const slide = Reveal.getCurrentSlide();
  const scale = Reveal.getScale();
  const indices = Reveal.getIndices();
  const view = {left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight};
  const skip = el => el.closest('aside.notes, script, style, .MJX_Assistive_MathML');
  const shown = el => el.checkVisibility({visibilityProperty: true, opacityProperty: false});
  const clipCache = new Map();
  // The part of the viewport where an element's content can be seen: clipped by every
  // ancestor (up to the slide) whose overflow is not visible.
  const clipOf = el => {
    if (!el || el === document.body) { return view; }
    if (clipCache.has(el)) { return clipCache.get(el); }
    let clip = clipOf(el.parentElement);
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
      const r = el.getBoundingClientRect();
      clip = {
        left: style.overflowX !== 'visible' ? Math.max(clip.left, r.left) : clip.left,
        right: style.overflowX !== 'visible' ? Math.min(clip.right, r.right) : clip.right,
        top: style.overflowY !== 'visible' ? Math.max(clip.top, r.top) : clip.top,
        bottom: style.overflowY !== 'visible' ? Math.min(clip.bottom, r.bottom) : clip.bottom,
      };
    }
    clipCache.set(el, clip);
    return clip;
  };
  // How far a rectangle sticks out of what can be seen (0 when it is all visible).
  const outside = (r, clip) => Math.max(
      clip.left - r.left, r.right - clip.right, clip.top - r.top, r.bottom - clip.bottom, 0);
  const faults = {overflow: [], cut_code: [], cut_figure: [], marker: [], heading: [], font: []};
  const mark = el => {
    el.style.outline = '3px solid red';
    el.setAttribute('data-fit-fault', '1');
  };
  const short = text => text.replace(/\s+/g, ' ').trim().slice(0, 60);

  // Content: every piece of visible text, and every picture.
  let worst = 0, worstText = '';
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const textNodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim() || skip(node.parentElement)) { continue; }
    if (!node.parentElement.checkVisibility()) { continue; }  // display: none
    textNodes.push(node);
    if (!shown(node.parentElement)) { continue; }
    range.selectNodeContents(node);
    // A glyph box is taller than its line box (by about a quarter of the font size when
    // the line height is tight, as in headings), and a line that wraps at the right edge
    // ends with a space that hangs past it (at most 1 em): only what lies beyond is cut.
    const em = parseFloat(getComputedStyle(node.parentElement).fontSize) * scale;
    for (const r of range.getClientRects()) {
      if (r.width < 0.5 || r.height < 0.5) { continue; }
      const clip = clipOf(node.parentElement);
      const out = Math.max(
          clip.left - r.left - em, r.right - clip.right - em,
          clip.top - r.top - em / 4, r.bottom - clip.bottom - em / 4, 0);
      if (out > worst) { worst = out; worstText = short(node.data); }
    }
  }
  const pictures = [...slide.querySelectorAll('img, svg:not(.MathJax_CHTML svg), canvas')]
      .filter(el => !skip(el) && shown(el) && !el.closest('svg svg'));
  for (const el of pictures) {
    const r = el.getBoundingClientRect();
    const out = outside(r, clipOf(el.parentElement));
    const broken = el.tagName === 'IMG' && !(el.complete && el.naturalWidth > 0);
    if (out > tolerance || broken) {
      mark(el);
      faults.cut_figure.push(broken ? 'did not load' : `${Math.round(out)} px outside`);
    }
    if (out > worst) { worst = out; worstText = `<${el.tagName.toLowerCase()}>`; }
  }
  if (worst > tolerance) {
    faults.overflow.push(`${Math.round(worst)} px outside (${worstText})`);
  }
  // A slide too tall for the screen scrolls: its lower part is not on the screen.
  if (slide.scrollHeight > slide.clientHeight + tolerance &&
      getComputedStyle(slide).overflowY !== 'visible') {
    const hidden = slide.scrollHeight - slide.clientHeight;
    if (!faults.overflow.length) { faults.overflow.push(`scrolls: ${hidden} px below`); }
  }

  // Code: no block wider than its box (cut, or scrolling sideways).
  for (const pre of slide.querySelectorAll('pre')) {
    if (skip(pre) || !shown(pre)) { continue; }
    let cut = 0;
    for (let el = pre; el && el !== slide; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (style.overflowX !== 'visible') { cut = Math.max(cut, el.scrollWidth - el.clientWidth); }
      if (el.closest('.jp-Cell') === null) { break; }
    }
    const r = pre.getBoundingClientRect();
    cut = Math.max(cut, r.right - clipOf(pre).right, pre.scrollWidth - pre.clientWidth);
    if (cut > tolerance) {
      mark(pre);
      faults.cut_code.push(`${Math.round(cut)} px: ${short(pre.innerText.split('\n')[0])}`);
    }
  }

  // Markers: never on the screen.
  if (/NBVAL/.test(slide.innerText)) {
    faults.marker.push(short(slide.innerText.slice(slide.innerText.indexOf('NBVAL'))));
  }

  // A ## heading comes first on its screen: nothing (text or picture) before it.
  const firstContent = [...textNodes.map(n => n.parentElement), ...pictures].sort(
      (a, b) => a === b ? 0 :
          (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0];
  for (const h2 of slide.querySelectorAll('h2')) {
    if (skip(h2)) { continue; }
    if (!firstContent || !h2.contains(firstContent)) {
      mark(h2);
      faults.heading.push(`"${short(h2.innerText.replace('¶', ''))}" after ` +
                          `"${short(firstContent ? firstContent.textContent : '')}"`);
    }
  }
  return {h: indices.h, v: indices.v || 0, f: indices.f === undefined ? -1 : indices.f,
          faults: faults};
}
"""

MARK_JS = """(selectors) => {
  for (const el of document.querySelectorAll(selectors.join(', '))) {
    el.style.outline = '3px solid red';
    el.setAttribute('data-fit-fault', '1');
  }
}"""

NEXT_JS = """() => {
  if (Reveal.isLastSlide() && !Reveal.availableFragments().next) { return false; }
  Reveal.next();
  return true;
}"""


@dataclass
class DeckReport:
    """What the walk found in one deck at one viewport size."""

    deck: str
    viewport: tuple[int, int]
    screens: int = 0
    steps: int = 0
    presenting_minutes: float = 0.0
    reading_minutes: float = 0.0
    faulty: dict[str, set[tuple[int, int]]] = field(
        default_factory=lambda: {fault: set() for fault in FAULTS}
    )
    details: list[str] = field(default_factory=list)
    font_problems: list[str] = field(default_factory=list)  # the site's fonts did not load
    screenshots: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {fault: len(screens) for fault, screens in self.faulty.items()}

    @property
    def ok(self) -> bool:
        return not any(self.counts().values()) and not self.font_problems

    def line(self) -> str:
        counts = self.counts()
        width, height = self.viewport
        return (
            f"{self.deck:<32} {width}x{height} {self.screens:>4} screens {self.steps:>4} steps "
            f"~{self.presenting_minutes:>3.0f} min | overflow {counts['overflow']:>3}  "
            f"cut code {counts['cut_code']:>3}  cut figures {counts['cut_figure']:>3}  "
            f"markers {counts['marker']:>3}  headings {counts['heading']:>3}  "
            f"system fonts {counts['font']:>3}"
            + ("  FONTS NOT LOADED" if self.font_problems else "")
        )


def chromium_path() -> str | None:
    """The Chromium to drive: ``$CHROMIUM`` if set, else Debian's ``chromium`` on PATH."""
    candidates = [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else CHROMIUM_CANDIDATES
    return next(filter(None, map(shutil.which, candidates)), None)


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while the block runs; yield the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    # Poll every 20 ms, so that shutdown() returns at once (the default waits 0.5 s).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def system_fonts(cdp, marks: list[str]) -> dict[int, str]:
    """The installed fonts Chromium drew the marked elements' text with (see ``GLYPHS_JS``).

    ``cdp`` is a DevTools session of the page with the DOM and CSS domains enabled. The
    answer maps the index of each element drawn (in part) in a system font to a message.
    """
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    found = {}
    for index, characters in enumerate(marks):
        node = cdp.send(
            "DOM.querySelector", {"nodeId": root, "selector": f'[data-fit-font="{index}"]'}
        )["nodeId"]
        if not node:  # no longer in the page
            continue
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        system = sorted({font["familyName"] for font in fonts if not font["isCustomFont"]})
        if system:
            found[index] = f"{', '.join(system)} for {characters[:24]!r}"
    return found


def walk_deck(
    browser,
    url: str,
    deck: str,
    viewport: tuple[int, int],
    artifacts: Path = ARTIFACTS,
    every_screenshot: bool | None = None,
) -> DeckReport:
    """Open the deck at ``url`` in a new page of ``browser`` and check every step of it."""
    if every_screenshot is None:
        every_screenshot = os.environ.get("SLIDE_FIT_SCREENSHOTS") == "all"
    width, height = viewport
    report = DeckReport(deck, viewport)
    shots = artifacts / "slide-fit" / f"{width}x{height}"
    shots.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    context = browser.new_context(viewport={"width": width, "height": height})
    # Only the site itself: nothing outside 127.0.0.1 is fetched.
    context.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
        else route.abort(),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.locator(".reveal.ready").wait_for(timeout=STEP_TIMEOUT_MS)
    page.evaluate("() => Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    faces = [face for font in build_site.WEB_FONTS for face in font.shorthands]
    report.font_problems = page.evaluate(FONTS_JS, faces)
    for problem in report.font_problems:
        report.details.append(f"{deck}: the site's fonts: {problem}")
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    seen: set[tuple[int, int]] = set()
    shot_screens: set[tuple[int, int]] = set()
    while True:
        step = page.evaluate(MEASURE_JS, TOLERANCE_PX)
        marks = page.evaluate(GLYPHS_JS)
        drawn = system_fonts(cdp, marks) if marks else {}
        if drawn:
            step["faults"]["font"] += list(drawn.values())
            page.evaluate(MARK_JS, [f'[data-fit-font="{index}"]' for index in drawn])
        screen = (step["h"], step["v"])
        seen.add(screen)
        report.steps += 1
        faulty = {fault: found for fault, found in step["faults"].items() if found}
        name = f"{deck}_{step['h']:02d}-{step['v']:02d}-{step['f'] + 1:02d}.png"
        for fault, found in faulty.items():
            report.faulty[fault].add(screen)
            report.details.append(
                f"{deck} #/{step['h']}/{step['v']} (fragment {step['f'] + 1}) {fault}: "
                + "; ".join(found[:3])
            )
        if (faulty and screen not in shot_screens) or every_screenshot:
            path = shots / name
            page.screenshot(path=path)
            if faulty:
                shot_screens.add(screen)
                report.screenshots.append(path)
        if not page.evaluate(NEXT_JS):
            break
    # A face that failed later (MathJax's web fonts load while it sets the formulas).
    late = [p for p in page.evaluate(FONTS_JS, faces) if p not in report.font_problems]
    report.font_problems += late
    report.details += [f"{deck}: the site's fonts: {problem}" for problem in late]
    context.close()
    report.screens = len(seen)
    report.seconds = time.monotonic() - start
    if errors:
        report.details.append(f"{deck}: script errors: {errors}")
    return report


def with_times(report: DeckReport, lesson: Path) -> DeckReport:
    times = build_site.deck_times(nbformat.read(lesson, as_version=4))
    report.presenting_minutes = times.presenting_minutes
    report.reading_minutes = times.reading_minutes
    return report


def write_report(reports: list[DeckReport], path: Path = ARTIFACTS / "slide-fit.txt") -> str:
    """The table (one line per deck and viewport), then every fault found; also saved."""
    lines = ["Slide fit: screens with each fault, per deck", ""]
    lines += [r.line() for r in reports]
    total = sum(r.seconds for r in reports)
    lines += ["", f"walked {sum(r.steps for r in reports)} steps in {total:.0f} s", ""]
    for r in reports:
        lines += r.details
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def pinned_fontconfig(folder: Path) -> Path:
    """Write ``FONTCONFIG`` into ``folder``, over the configuration fontconfig would read."""
    machine = os.environ.get("FONTCONFIG_FILE") or "fonts.conf"
    if not os.path.isabs(machine):
        machine = os.path.join(os.environ.get("FONTCONFIG_PATH") or "/etc/fonts", machine)
    path = folder / "fonts.conf"
    path.write_text(FONTCONFIG.format(machine=html.escape(machine)), encoding="utf-8")
    return path


def launch(playwright):
    """Chromium for the walk, with fontconfig's rendering settings pinned (``FONTCONFIG``)."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    folder = Path(tempfile.mkdtemp(prefix="slide-fit-fontconfig-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = {**os.environ, "FONTCONFIG_FILE": str(pinned_fontconfig(folder))}
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lesson")
    parser.add_argument("--site", type=Path, help="walk this built site instead of building")
    parser.add_argument(
        "--viewport", action="append", help="WIDTHxHEIGHT (repeatable); default: 1280x720"
    )
    parser.add_argument(
        "--artifacts", type=Path, default=ARTIFACTS, help="default: test-artifacts/"
    )
    args = parser.parse_args(argv)
    viewports = [tuple(map(int, v.lower().split("x"))) for v in args.viewport or ["1280x720"]]
    lessons = build_site.all_notebooks()[0]
    if args.notebooks:
        chosen = {p.resolve() for p in args.notebooks}
        lessons = [p for p in lessons if p.resolve() in chosen]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = Path(tmp)
            build_site.build(site, lessons, html_pages=False)
        reports = []
        with serve(site) as base, sync_playwright() as playwright:
            browser = launch(playwright)
            for viewport in viewports:
                for lesson in lessons:
                    url = f"{base}/slides/{lesson.stem}.slides.html"
                    report = walk_deck(browser, url, lesson.stem, viewport, args.artifacts)
                    reports.append(with_times(report, lesson))
                    print(report.line(), flush=True)
            browser.close()
    print(write_report(reports, args.artifacts / "slide-fit.txt"))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
