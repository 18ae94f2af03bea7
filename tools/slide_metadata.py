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

ROOT = Path(__file__).resolve().parent.parent
SLIDE, SUBSLIDE, FRAGMENT, SAME, SKIP = "slide", "subslide", "fragment", "-", "skip"
SLIDE_TYPES = (SLIDE, SUBSLIDE, FRAGMENT, SAME, SKIP, "notes")
FRAGMENT_MAX_LINES = 8
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


def slide_type(cell: dict, previous: dict | None) -> str:
    """The slide type of ``cell``; ``previous`` is the last non-empty cell before it."""
    source = cell["source"].strip()
    if not source:
        return SKIP
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
        if cell["source"].strip():
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


def main(argv: list[str] | None = None) -> int:
    from execute_notebooks import all_notebooks  # same folder; run as a script

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
