"""Give every cell of a notebook its reveal.js slide type, by one fixed rule.

Each notebook is also a 45-minute lecture (``make slides``). Which cell starts a slide is
not chosen by hand: this rule decides, so every notebook, present or future, is cut the
same way and re-running it never changes a correct notebook.

The rule (``slide_type``), cell by cell:

* an empty cell is skipped;
* a markdown cell with a ``#`` or ``##`` heading starts a new **slide** (a section, a
  horizontal step in reveal.js); one with a ``###`` heading starts a **sub-slide**;
* any other markdown cell (an explanation) starts a **sub-slide** (a vertical step):
  an explanation and the code right after it share one screen;
* a code cell that draws a figure (it calls ``plt.show()``, as every plotting cell of the
  course does) gets a **sub-slide** of its own, so the figure has the whole screen;
* another code cell right after markdown stays on that screen (``-``);
* a code cell right after another code cell is a **fragment** (it appears on the same
  screen at the next click) when it is short (at most ``FRAGMENT_MAX_LINES`` lines);
  otherwise it gets a sub-slide of its own;
* the first non-empty cell is always a slide (the title).

Two cell tags (set in JupyterLab's property inspector, or ``cell.metadata["tags"]``) take
a cell out of the lecture; they win over everything above:

* ``reading``: reading for later. The cell stays on the web page and in the notebook but
  is **skipped** on the slides (slide type ``skip``). Tag the cells that make the full
  notebook longer than its 45-minute lecture (derivations, API tours, deep dives).
* ``notes``: **speaker notes** (slide type ``notes``): shown to the lecturer in reveal.js's
  speaker view (press ``S``) next to the screen they follow, never on the screen itself.

A skipped or notes cell is not a screen: the cell after it is cut as if it followed the
last presented cell. There is deliberately no rule that turns a cell into notes by its
length: characters cannot tell a formula from prose, a title cell (what you will learn)
is long and must show, and hiding an explanation from the audience is worse than a slide
that overflows, which the slide-fit test (``make test-slides``) reports with a screenshot
so that the author splits the cell or tags it.

How long a lecture and a self-study take (``presenting_minutes``, ``reading_minutes``)
is estimated from the same cut; the build prints both for every notebook:

* presenting: ``MINUTES_PER_SCREEN`` per screen (slide or sub-slide) plus
  ``MINUTES_PER_FRAGMENT`` per fragment (a step that appears at a click);
* reading the whole notebook: its prose at ``READING_WORDS_PER_MINUTE`` (formulas and
  code in prose count as words) plus ``MINUTES_PER_CODE_CELL`` per code cell (run it,
  read its output). Speaker notes (``notes`` cells) are the lecturer's talking points, not
  part of the lesson: they are not counted.

Both are rough on purpose (a rule of thumb, the same for every notebook): they tell a
deck that runs far past 45 minutes from one that fits.

``tools/execute_notebooks.py`` applies the rule before it executes a notebook, and the
structure tests check that every stored notebook carries exactly these types. To apply it
without re-executing (it touches metadata only, never outputs):

    python tools/slide_metadata.py                     # every notebook
    python tools/slide_metadata.py --check             # exit 1 if one is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
from course import all_notebooks

ROOT = Path(__file__).resolve().parent.parent
SLIDE, SUBSLIDE, FRAGMENT, SAME = "slide", "subslide", "fragment", "-"
SKIP, NOTES = "skip", "notes"  # not on the screen: left out, or in the speaker view
SLIDE_TYPES = (SLIDE, SUBSLIDE, FRAGMENT, SAME, SKIP, NOTES)
NOT_PRESENTED = (SKIP, NOTES)
FRAGMENT_MAX_LINES = 8
READING_TAG, NOTES_TAG = "reading", "notes"
TAG_TYPES = {READING_TAG: SKIP, NOTES_TAG: NOTES}
MINUTES_PER_SCREEN, MINUTES_PER_FRAGMENT = 1.5, 0.5
READING_WORDS_PER_MINUTE, MINUTES_PER_CODE_CELL = 100, 1.5
FIGURE_MARK = "plt.show()"
_HEADING = re.compile(r"^(#{1,6})\s+\S")
_FENCE = re.compile(r"^\s*(```|~~~)")


def heading_levels(markdown: str) -> list[int]:
    """Levels of the Markdown headings in ``markdown`` (ignoring fenced code blocks)."""
    levels, in_fence = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _HEADING.match(line)):
            levels.append(len(match.group(1)))
    return levels


def tag_type(cell: dict) -> str | None:
    """The slide type a cell's tags ask for (``reading`` or ``notes``), or ``None``."""
    tags = cell.get("metadata", {}).get("tags", [])
    if not isinstance(tags, list):
        raise TypeError(f"cell tags must be a list of strings, got {tags!r}")
    asked = {TAG_TYPES[tag] for tag in tags if tag in TAG_TYPES}
    if len(asked) > 1:
        raise ValueError(f"a cell cannot be both {READING_TAG!r} and {NOTES_TAG!r}: {tags!r}")
    return asked.pop() if asked else None


def slide_type(cell: dict, previous: dict | None) -> str:
    """The slide type of ``cell``; ``previous`` is the last presented cell before it
    (non-empty, neither ``reading`` nor ``notes``), ``None`` if there is none."""
    source = cell["source"].strip()
    if not source:
        return SKIP
    if (tagged := tag_type(cell)) is not None:
        return tagged
    if previous is None:
        return SLIDE
    if cell["cell_type"] == "markdown":
        levels = heading_levels(source)
        if levels and min(levels) <= 2:
            return SLIDE
        return SUBSLIDE
    if cell["cell_type"] != "code":  # raw cells
        return SAME
    if FIGURE_MARK in source:
        return SUBSLIDE
    if previous["cell_type"] == "markdown":
        return SAME
    return FRAGMENT if len(source.splitlines()) <= FRAGMENT_MAX_LINES else SUBSLIDE


def expected_slide_types(notebook) -> list[str]:
    """The rule's slide type for every cell of ``notebook``, in order."""
    types, previous = [], None
    for cell in notebook.cells:
        types.append(slide_type(cell, previous))
        if types[-1] not in NOT_PRESENTED:
            previous = cell
    return types


def apply_slide_types(notebook) -> bool:
    """Write the rule's slide types into the cells' metadata; return whether one changed."""
    changed = False
    for cell, kind in zip(notebook.cells, expected_slide_types(notebook), strict=True):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    return changed


def stored_slide_types(notebook) -> list[str | None]:
    """The slide types stored in the cells' metadata (``None`` where a cell has none)."""
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in notebook.cells]


def count_screens(notebook) -> Counter:
    """How many slides, sub-slides and fragments the stored metadata makes."""
    return Counter(stored_slide_types(notebook))


def presenting_minutes(types: list[str]) -> float:
    """Estimated minutes to present a deck cut into ``types`` (one slide type per cell)."""
    counts = Counter(types)
    screens = counts[SLIDE] + counts[SUBSLIDE]
    return screens * MINUTES_PER_SCREEN + counts[FRAGMENT] * MINUTES_PER_FRAGMENT


_WORD = re.compile(r"\w+")


def reading_minutes(notebook) -> float:
    """Estimated minutes to work through the whole notebook alone: ``reading`` cells included,
    speaker notes left out."""
    words = sum(
        len(_WORD.findall(cell["source"]))
        for cell in notebook.cells
        if cell["cell_type"] == "markdown" and tag_type(cell) != NOTES
    )
    code_cells = sum(
        1 for cell in notebook.cells if cell["cell_type"] == "code" and cell["source"].strip()
    )
    return words / READING_WORDS_PER_MINUTE + code_cells * MINUTES_PER_CODE_CELL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all of them")
    parser.add_argument("--check", action="store_true", help="only report, change nothing")
    args = parser.parse_args(argv)
    stale = []
    for path in [p.resolve() for p in args.notebooks] or all_notebooks():
        notebook = nbformat.read(path, as_version=4)
        if apply_slide_types(notebook):
            stale.append(path)
            if not args.check:
                nbformat.write(notebook, path)
    for path in stale:
        verb = "out of date" if args.check else "updated"
        print(f"{path.relative_to(ROOT)}: slide metadata {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
