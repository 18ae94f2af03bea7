"""The course's shape: numbering, openings, syllabus, clean executions, images."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
ALL = LESSONS + SOLUTIONS
README = (ROOT / "README.md").read_text(encoding="utf-8")
NBVAL_MARKERS = {
    "NBVAL_IGNORE_OUTPUT", "NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP", "NBVAL_CHECK_OUTPUT"
}
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]*src=\"([^\"]+)\"")


def ids(paths):
    return [str(p.relative_to(NOTEBOOKS)) for p in paths]


def read(path):
    return nbformat.read(path, as_version=4)


def test_lessons_are_numbered_contiguously():
    assert LESSONS, "no notebooks found"
    numbers = []
    for path in LESSONS:
        match = re.fullmatch(r"(\d\d)_[a-z0-9_]+\.ipynb", path.name)
        assert match, f"{path.name} is not named NN_lower_case_words.ipynb"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(1, len(LESSONS) + 1))


def test_every_solution_notebook_belongs_to_a_lesson():
    lesson_names = {p.name for p in LESSONS}
    for path in SOLUTIONS:
        assert path.name in lesson_names, f"solutions/{path.name} has no lesson of that name"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_opens_with_title_and_goals_and_ends_with_summary_and_exercises(path):
    cells = read(path).cells
    first = cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "title first"
    assert "what you will learn" in first.source.lower()
    assert "prerequisites" in first.source.lower()
    headings = [c.source for c in cells if c.cell_type == "markdown"]
    assert any("## Summary" in h for h in headings)
    assert any("## Exercises" in h for h in headings)


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_is_in_the_readme_syllabus(path):
    assert f"notebooks/{path.name}" in README, f"add {path.name} to the README syllabus table"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_executed_top_to_bottom_without_unexpected_errors(path):
    code_cells = [c for c in read(path).cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), "run `make execute`"
    for index, cell in enumerate(code_cells, start=1):
        for line in cell.source.splitlines():
            # nbval only honours a marker alone on its comment line.
            if line.strip().startswith("#") and "NBVAL_" in line:
                assert line.strip().lstrip("#").strip() in NBVAL_MARKERS, f"cell {index}: {line}"
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {index} stored an error"
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            assert not re.search(r" at 0x[0-9a-f]{6,}", text), f"cell {index}: memory address"
            assert "/tmp/ipykernel_" not in text, f"cell {index}: warning with a temporary path"
            frames = "".join(output.get("traceback", []))
            for machine_path in (str(ROOT), "site-packages"):
                assert machine_path not in text + frames, f"cell {index} names {machine_path}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_cell_stops_run_all(path):
    """JupyterLab's Run All stops at a raising cell; nbval's markers do not change that.

    An intended error is shown with ``helpers.errors.expect_error``, so no cell may be marked
    to raise or to be skipped: then nbval runs exactly what Run All runs.
    """
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        for marker in ("NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP"):
            assert marker not in cell.source, f"cell {index}: {marker} (use expect_error)"
        tags = set(cell.metadata.get("tags", []))
        assert not tags & {"raises-exception", "nbval-skip", "skip-execution"}, (
            f"cell {index} has tags {sorted(tags)}"
        )


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_referenced_images_exist_in_images_folder(path):
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for groups in IMAGE_LINK.findall(cell.source):
            target = (path.parent / (groups[0] or groups[1])).resolve()
            assert target.parent == ROOT / "images", f"{target} is not in images/"
            assert target.is_file(), f"missing image {target.name}"


HELPER_MODULES = sorted(
    [p.stem for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__"]
    + [p.name for p in (ROOT / "helpers").iterdir() if (p / "__init__.py").is_file()]
)


@pytest.mark.parametrize("module", HELPER_MODULES)
def test_every_helper_module_is_listed_in_the_package_docstring_and_the_readme(module):
    import helpers

    assert f"``{module}``" in helpers.__doc__, f"list helpers.{module} in helpers/__init__.py"
    layout_row = next(line for line in README.splitlines() if line.startswith("| `helpers/` |"))
    assert f"`{module}`" in layout_row, f"list helpers.{module} in the README's layout table"
