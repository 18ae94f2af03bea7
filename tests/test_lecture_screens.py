"""A lesson a lecturer can present: pictures, talking points, screens short enough to talk over.

For every ``##`` section of every lesson, on its 45-minute path (the cells not tagged
``reading``):

* a **picture** carries the section's idea: a figure (a code cell whose stored output is an
  image), a diagram from ``images/`` (a Markdown image) or a live control (a widget);
  ``NO_PICTURE`` lists the sections that have none, each with its reason;
* the section's first screen has **talking points** for the lecturer: a cell tagged ``notes``
  (shown only in the speaker view, key S) that starts with ``**Talking points**`` and holds
  3 to 6 bullets, one of them a question for the class (``Ask: ...?``) and one the confusion
  students usually have (``Watch for: ...``);
* no screen holds more than ``MAX_WORDS`` words of prose (formulas and code left out): the
  rest goes to ``notes`` or ``reading`` cells;
* no code cell on the path is longer than ``MAX_CODE_LINES`` lines, unless it is tagged
  ``walk-through`` (the lecture goes through it line by line);
* the deck fits its lecture: at most ``MAX_PRESENTING_MINUTES`` by the slide rule's estimate
  (``slide_metadata.presenting_minutes``).

``tools/slide_metadata.py`` cuts the screens; this file reads the same cut.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import slide_metadata  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_WORDS = 120
MAX_CODE_LINES = 15
MAX_PRESENTING_MINUTES = 45
WALK_THROUGH_TAG = "walk-through"
PICTURE_OUTPUTS = ("image/png", "image/svg+xml", "application/vnd.jupyter.widget-view+json")
# Sections without a picture, with the reason (title as in the heading, after "## ").
NO_PICTURE = {
    "Exercises": "the learner's own code; each check's report is what the screen shows",
}


@dataclass
class Section:
    title: str
    heading: object = None  # the ``##`` cell itself
    cells: list = field(default_factory=list)  # (cell, slide type) after the heading


def sections_of(notebook) -> list[Section]:
    """Each ``##`` section with its cells and their slide types (the title cell excluded)."""
    found: list[Section] = []
    types = slide_metadata.expected_slide_types(notebook)
    for cell, kind in zip(notebook.cells, types, strict=True):
        levels = (slide_metadata.heading_levels(cell.source)
                  if cell.cell_type == "markdown" else [])
        if kind == slide_metadata.SLIDE and levels and min(levels) == 2:
            found.append(Section(cell.source.splitlines()[0].lstrip("# ").strip(), cell))
        elif found:
            found[-1].cells.append((cell, kind))
    return found


def has_picture(section: Section) -> bool:
    presented = [(section.heading, slide_metadata.SLIDE)] if section.heading else []
    for cell, kind in presented + section.cells:
        if kind in slide_metadata.NOT_PRESENTED:
            continue
        if cell.cell_type == "markdown" and re.search(r"!\[[^\]]*\]\([^)]+\)", cell.source):
            return True
        if cell.cell_type == "code" and any(
                mime in output.get("data", {}) for output in cell.get("outputs", [])
                for mime in PICTURE_OUTPUTS):
            return True
    return False


def first_screen_notes(section: Section) -> list[str]:
    """The sources of the ``notes`` cells on the section's first screen."""
    notes = []
    for cell, kind in section.cells:
        if kind in (slide_metadata.SLIDE, slide_metadata.SUBSLIDE):
            break
        if kind == slide_metadata.NOTES:
            notes.append(cell.source)
    return notes


def talking_points_fault(source: str) -> str:
    """What is missing from one notes cell's talking points ('' when nothing is)."""
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()]
    if not lines or lines[0] != "**Talking points**":
        return "notes must start with a line **Talking points**"
    bullets = [line for line in lines[1:] if line.startswith("- ")]
    if not 3 <= len(bullets) <= 6:
        return f"3 to 6 bullets, got {len(bullets)}"
    if not any(b.startswith("- Ask:") and b.endswith("?") for b in bullets):
        return "one bullet must be a question for the class: '- Ask: ...?'"
    if not any(b.startswith("- Watch for:") for b in bullets):
        return "one bullet must name the usual confusion: '- Watch for: ...'"
    return ""


_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def prose_words(markdown: str) -> int:
    """Words of prose: formulas, code and links' targets left out, headings counted."""
    text = _CODE.sub(" ", _MATH.sub(" ", markdown))
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return len(_WORD.findall(text))


def screens(notebook) -> list[list]:
    """The presented cells of each screen (slide or sub-slide with what follows it)."""
    found: list[list] = []
    for cell, kind in zip(notebook.cells, slide_metadata.expected_slide_types(notebook),
                          strict=True):
        if kind in (slide_metadata.SLIDE, slide_metadata.SUBSLIDE) or not found:
            found.append([])
        if kind not in slide_metadata.NOT_PRESENTED:
            found[-1].append(cell)
    return found


def screen_faults(notebook) -> list[str]:
    faults = []
    for number, cells in enumerate(screens(notebook), start=1):
        words = sum(prose_words(c.source) for c in cells if c.cell_type == "markdown")
        if words > MAX_WORDS:
            first = cells[0].source.strip().splitlines()[0][:50] if cells else ""
            faults.append(f"screen {number} ({first!r}): {words} words of prose > {MAX_WORDS}")
        for cell in cells:
            lines = len(cell.source.strip().splitlines())
            tags = cell.metadata.get("tags", [])
            if cell.cell_type == "code" and lines > MAX_CODE_LINES and WALK_THROUGH_TAG not in tags:
                first = cell.source.strip().splitlines()[0][:50]
                faults.append(f"screen {number}: code cell of {lines} lines > {MAX_CODE_LINES} "
                              f"({first!r})")
    return faults


def lesson_faults(path: Path) -> dict[str, list[str]]:
    notebook = nbformat.read(path, as_version=4)
    found = sections_of(notebook)
    return {
        "pictures": [s.title for s in found if s.title not in NO_PICTURE and not has_picture(s)],
        "talking points": [
            f"{s.title}: " + (talking_points_fault(notes[0]) if notes else "no notes cell")
            for s in found
            if not (notes := first_screen_notes(s)) or talking_points_fault(notes[0])],
        "screens": screen_faults(notebook),
        "minutes": [f"presenting takes about {minutes:.1f} min > {MAX_PRESENTING_MINUTES}"
                    for minutes in [slide_metadata.presenting_minutes(
                        slide_metadata.expected_slide_types(notebook))]
                    if minutes > MAX_PRESENTING_MINUTES],
    }


@pytest.mark.parametrize("path", LESSONS, ids=[p.name[:2] for p in LESSONS])
@pytest.mark.parametrize("rule", ["pictures", "talking points", "screens", "minutes"])
def test_every_section_can_be_presented(path: Path, rule: str):
    faults = lesson_faults(path)[rule]
    assert not faults, f"{path.name}, {rule}:\n" + "\n".join(faults)


def test_every_lesson_has_a_live_control():
    for path in LESSONS:
        outputs = [o for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
                   for o in c.get("outputs", [])]
        assert any(PICTURE_OUTPUTS[-1] in o.get("data", {}) for o in outputs), path.name


# ---- the rules find what they should ---------------------------------------------------------

def lesson_of(*cells) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = list(cells)
    return notebook


def notes_cell(text: str):
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": ["notes"]})


GOOD_NOTES = ("**Talking points**\n- Softmax turns scores into probabilities.\n"
              "- Ask: what happens to the probabilities if every logit grows by 5?\n"
              "- Watch for: reading a logit as a probability.")


def test_talking_points_need_a_question_and_a_confusion():
    assert talking_points_fault(GOOD_NOTES) == ""
    assert "question" in talking_points_fault(GOOD_NOTES.replace("Ask:", "Say:"))
    assert "confusion" in talking_points_fault(GOOD_NOTES.replace("Watch for:", "Say:"))
    assert "3 to 6" in talking_points_fault("**Talking points**\n- one\n- Ask: two?")
    assert "start" in talking_points_fault("Some caveat for the lecturer.")


def test_a_section_without_picture_or_notes_is_found():
    figure_output = nbformat.v4.new_output("display_data", data={"image/png": "", "text/plain": ""})
    figure = nbformat.v4.new_code_cell("plt.show()", outputs=[figure_output])
    notebook = lesson_of(
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_markdown_cell("## 1. With"), notes_cell(GOOD_NOTES), figure,
        nbformat.v4.new_markdown_cell("## 2. Without"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## 3. Only in reading", metadata={}),
        nbformat.v4.new_code_cell("plt.show()", outputs=[figure_output],
                                  metadata={"tags": ["reading"]}),
    )
    found = sections_of(notebook)
    assert [s.title for s in found] == ["1. With", "2. Without", "3. Only in reading"]
    assert [has_picture(s) for s in found] == [True, False, False]
    diagram = nbformat.v4.new_markdown_cell("## 4. A diagram\n\n![a diagram](../images/x.png)")
    assert has_picture(sections_of(lesson_of(nbformat.v4.new_markdown_cell("# T"), diagram))[0])
    assert [bool(first_screen_notes(s)) for s in found] == [True, False, False]


def test_long_screens_and_long_code_are_found():
    long_prose = " ".join(["word"] * (MAX_WORDS + 1))
    long_code = "\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES + 1))
    walked = nbformat.v4.new_code_cell(long_code, metadata={"tags": [WALK_THROUGH_TAG]})
    notebook = lesson_of(nbformat.v4.new_markdown_cell("# Title"),
                         nbformat.v4.new_markdown_cell(long_prose),
                         nbformat.v4.new_code_cell(long_code), walked)
    faults = screen_faults(notebook)
    assert len(faults) == 2, faults
    assert f"{MAX_WORDS + 1} words" in faults[0] and f"{MAX_CODE_LINES + 1} lines" in faults[1]
    assert prose_words("The $\\sum_c t_c$ and `F.cross_entropy(x)` [link](https://a.b/c).") == 3
