"""Slide metadata: the rule that cuts a notebook into a lecture, and every notebook obeys it."""

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import slide_metadata  # noqa: E402
from execute_notebooks import all_notebooks  # noqa: E402

NOTEBOOKS = all_notebooks()
LESSONS = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]
# A 45-minute lecture: from about 45 s to 4 minutes per screen (a slide or a sub-slide).
MIN_SCREENS, MAX_SCREENS = 12, 60


def ids(paths):
    return [str(p.relative_to(ROOT / "notebooks")) for p in paths]


def notebook_of(*cells):
    notebook = new_notebook()
    notebook.cells = list(cells)
    return notebook


def test_heading_levels_ignore_code_fences():
    text = "# Title\nsome text\n```python\n# a comment, not a heading\n```\n### Sub"
    assert slide_metadata.heading_levels(text) == [1, 3]
    assert slide_metadata.heading_levels("#hashtag is not a heading") == []


def test_rule_on_a_small_lecture():
    notebook = notebook_of(
        new_markdown_cell("# 01 · Title\n\n**What you will learn**"),
        new_markdown_cell("## 1. Section"),
        new_code_cell("x = 1"),
        new_code_cell("y = 2\nprint(x + y)"),
        new_code_cell("\n".join(f"z{i} = {i}" for i in range(9))),
        new_code_cell("fig = plot(x)\nplt.show()"),
        new_markdown_cell("An explanation."),
        new_code_cell("x"),
        new_markdown_cell("### A detail"),
        new_code_cell(""),
        new_markdown_cell("Closing words.\n\n## Summary\n- done"),
    )
    assert slide_metadata.expected_slide_types(notebook) == [
        "slide",  # title
        "slide",  # ## heading
        "-",  # code under its explanation
        "fragment",  # short code after code
        "subslide",  # long code after code
        "subslide",  # a figure gets its own screen
        "subslide",  # explanation
        "-",
        "subslide",  # ### heading
        "skip",  # empty
        "slide",  # a ## heading anywhere in the cell
    ]


def tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


def test_reading_cells_are_skipped_and_notes_go_to_the_speaker_view():
    notebook = notebook_of(
        new_markdown_cell("# 01 · Title"),
        new_markdown_cell("## 1. Section"),
        tagged(new_markdown_cell("A derivation for later."), "reading"),
        tagged(new_code_cell("check(derivation)"), "reading"),
        new_code_cell("x = 1"),
        tagged(new_markdown_cell("Say: the sum is 1 by construction."), "notes"),
        new_code_cell("y = 2"),
        tagged(new_markdown_cell("## 2. Deep dive"), "reading", "other-tag"),
        new_code_cell("z = 3"),
    )
    assert slide_metadata.expected_slide_types(notebook) == [
        "slide",
        "slide",
        "skip",  # reading: on the page, not on the slides
        "skip",
        "-",  # cut as if it came right after the section heading
        "notes",  # speaker view
        "fragment",  # after presented code (notes are not on the screen)
        "skip",  # a tagged heading is skipped too
        "fragment",  # follows the last presented cell, the code of section 1
    ]


def test_a_reading_title_leaves_the_first_presented_cell_as_the_slide():
    notebook = notebook_of(tagged(new_markdown_cell("# T"), "reading"), new_code_cell("1"))
    assert slide_metadata.expected_slide_types(notebook) == ["skip", "slide"]


def test_bad_tags_are_refused():
    with pytest.raises(ValueError, match="both 'reading' and 'notes'"):
        slide_metadata.tag_type(tagged(new_markdown_cell("x"), "reading", "notes"))
    cell = new_markdown_cell("x")
    cell.metadata["tags"] = "reading"
    with pytest.raises(TypeError, match="list of strings"):
        slide_metadata.tag_type(cell)


def test_time_estimates_follow_the_documented_rates():
    types = ["slide", "-", "subslide", "fragment", "fragment", "skip", "notes"]
    expected = 2 * slide_metadata.MINUTES_PER_SCREEN + 2 * slide_metadata.MINUTES_PER_FRAGMENT
    assert slide_metadata.presenting_minutes(types) == pytest.approx(expected)
    words = " ".join(["word"] * slide_metadata.READING_WORDS_PER_MINUTE)
    notebook = notebook_of(
        new_markdown_cell(words),
        tagged(new_markdown_cell(words), "reading"),  # reading counts when working alone
        tagged(new_markdown_cell(words), "notes"),  # the lecturer's notes do not
        new_code_cell("x = 1"),
        new_code_cell(""),  # empty: nothing to do
    )
    assert slide_metadata.reading_minutes(notebook) == pytest.approx(
        2 + slide_metadata.MINUTES_PER_CODE_CELL
    )


def test_first_cell_is_a_slide_even_without_heading():
    notebook = notebook_of(new_code_cell(""), new_code_cell("import numpy"))
    assert slide_metadata.expected_slide_types(notebook) == ["skip", "slide"]


def test_apply_writes_metadata_and_is_idempotent():
    notebook = notebook_of(new_markdown_cell("# T"), new_code_cell("1"))
    assert slide_metadata.apply_slide_types(notebook) is True
    assert slide_metadata.stored_slide_types(notebook) == ["slide", "-"]
    assert slide_metadata.apply_slide_types(notebook) is False


def test_apply_corrects_a_wrong_type():
    notebook = notebook_of(new_markdown_cell("# T"), new_markdown_cell("## S"))
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "fragment"}
    assert slide_metadata.apply_slide_types(notebook) is True
    assert slide_metadata.stored_slide_types(notebook) == ["slide", "slide"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_cell_carries_the_rules_slide_type(path):
    notebook = nbformat.read(path, as_version=4)
    stored = slide_metadata.stored_slide_types(notebook)
    assert None not in stored, "cells without slide metadata: run `make execute`"
    assert stored == slide_metadata.expected_slide_types(notebook), (
        "slide metadata out of date: run `make execute` (or `make slide-metadata`)"
    )
    assert set(stored) <= set(slide_metadata.SLIDE_TYPES)


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_is_a_45_minute_lecture(path):
    counts = slide_metadata.count_screens(nbformat.read(path, as_version=4))
    screens = counts["slide"] + counts["subslide"]
    assert MIN_SCREENS <= screens <= MAX_SCREENS, f"{screens} screens: {dict(counts)}"
    assert counts["slide"] >= 5, "a lecture needs sections (## headings)"


def test_the_readme_syllabus_gives_each_decks_estimated_times():
    """The "present / alone" column of the README follows the estimates of the slide rule."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        if path.parent.name == "solutions":
            continue
        notebook = nbformat.read(path, as_version=4)
        present = slide_metadata.presenting_minutes(slide_metadata.expected_slide_types(notebook))
        alone = slide_metadata.reading_minutes(notebook)
        row = next(line for line in readme.splitlines()
                   if line.startswith(f"| {path.name[:2]} |"))
        assert f"| {present:.0f} / {alone:.0f} min |" in row, (
            f"README syllabus: {path.name} presents in about {present:.0f} min and takes about "
            f"{alone:.0f} min alone"
        )
