"""Notebook 05 reads its test splits once, at the end: checked in the source and at run time.

At run time the notebook itself asserts ``test_reads == 0`` before its final evaluation and
``== 1`` after it (nbval runs those cells); here the source is checked so that no cell
before that evaluation can even reach a test split.
"""

import re
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_training_on_mnist.ipynb"
FINAL_EVALUATION = "05-training-on-mnist-test-2"
TEST_ACCESS = re.compile(r"test_split\(|\.x_test\b|\.y_test\b|\bx_test\b|\by_test\b")


def code_cells():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    return [c for c in cells if c.cell_type == "code"]


def test_no_cell_before_the_final_evaluation_touches_a_test_split():
    cells = code_cells()
    ids = [c.id for c in cells]
    assert FINAL_EVALUATION in ids, "the final evaluation cell is missing"
    for cell in cells[: ids.index(FINAL_EVALUATION)]:
        assert not TEST_ACCESS.search(cell.source), f"{cell.id} reads a test split"


def test_the_final_evaluation_reads_each_split_once_and_checks_the_counters():
    final = next(c for c in code_cells() if c.id == FINAL_EVALUATION)
    source = final.source
    assert source.count("test_split()") == 3  # digits 0-2, 1 vs 7, all ten
    reads_before = source.index("test_reads == 0")
    assert reads_before < source.index("test_split()")
    assert source.rstrip().endswith(
        "assert splits.test_reads == pair.test_reads == digits.test_reads == 1"
    )


def test_the_pattern_catches_every_way_of_reading_the_test_split():
    for line in ["x, y = splits.test_split()", "splits.x_test[:3]", "y_test.cpu()"]:
        assert TEST_ACCESS.search(line), line
    for line in ["x_val, y_val = splits.x_val, splits.y_val", "splits.test_size"]:
        assert not TEST_ACCESS.search(line), line
