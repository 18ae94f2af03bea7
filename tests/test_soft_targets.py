"""Notebook 09 reads its test split once, at the end: checked in the source.

At run time the notebook asserts ``test_reads == 0`` before its final evaluation and
``== 1`` after it (nbval runs those cells); here the source is checked so that no cell
before that evaluation can even reach the test split, and no cell after it reads it again.
"""

import re
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_soft_targets.ipynb"
FINAL_EVALUATION = "09-soft-targets-test-2"
TEST_READ = re.compile(r"test_split\(|\.x_test\b|\.y_test\b")
TEST_ACCESS = re.compile(r"test_split\(|\.x_test\b|\.y_test\b|\bx_test\b|\by_test\b")


def code_cells():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    return [c for c in cells if c.cell_type == "code"]


def test_no_cell_before_the_final_evaluation_touches_the_test_split():
    cells = code_cells()
    ids = [c.id for c in cells]
    assert FINAL_EVALUATION in ids, "the final evaluation cell is missing"
    for cell in cells[: ids.index(FINAL_EVALUATION)]:
        assert not TEST_ACCESS.search(cell.source), f"{cell.id} reads the test split"


def test_the_final_evaluation_reads_once_and_checks_the_counter():
    cells = code_cells()
    ids = [c.id for c in cells]
    final = cells[ids.index(FINAL_EVALUATION)].source
    assert final.count("test_split()") == 1
    assert final.index("test_reads == 0") < final.index("test_split()")
    assert final.rstrip().endswith("assert digits.test_reads == 1")
    for cell in cells[ids.index(FINAL_EVALUATION) + 1:]:
        assert not TEST_READ.search(cell.source), f"{cell.id} reads the test split again"


def test_the_seeds_are_fixed_before_any_training():
    sources = [c.source for c in code_cells()]
    first_training = next(i for i, s in enumerate(sources) if "train_teacher(0.0)" in s)
    assert any("SEEDS = (0, 1, 2)" in s for s in sources[: first_training + 1])
