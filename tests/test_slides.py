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
