"""Notebooks 05, 06 and 09 read their test splits once, at the end: checked in the source.

At run time each notebook asserts ``test_reads == 0`` before its final evaluation and
``== 1`` after it (nbval runs those cells); here the source is checked so that no cell
before that evaluation can even reach a test split, and no cell after it reads one again.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TEST_READ = re.compile(r"test_split\(|\.x_test\b|\.y_test\b")
TEST_ACCESS = re.compile(r"test_split\(|\.x_test\b|\.y_test\b|\bx_test\b|\by_test\b")


@dataclass(frozen=True)
class FinalEvaluation:
    notebook: str
    cell_id: str
    splits_read: int  # how many test splits the final cell reads, each once
    last_line: str  # the assertion that closes the final cell
    seeds: str  # where the seeds are fixed...
    first_training: str  # ...before the first training starts


FINAL = [
    FinalEvaluation(
        "05_training_on_mnist", "05-training-on-mnist-test-2", 3,
        "assert splits.test_reads == pair.test_reads == digits.test_reads == 1",
        "SEEDS = (0, 1, 2, 3, 4)", "fit(",
    ),
    FinalEvaluation(
        "06_calibration", "06-calibration-014", 1,
        "assert digits.test_reads == 1", "SEEDS = (0, 1, 2, 3, 4)",
        "networks = {seed: train(seed)",
    ),
    FinalEvaluation(
        "09_soft_targets", "09-soft-targets-test-2", 1,
        "assert digits.test_reads == 1", "SEEDS = (0, 1, 2)", "train_teacher(0.0)",
    ),
]


def code_cells(final):
    cells = nbformat.read(NOTEBOOKS / f"{final.notebook}.ipynb", as_version=4).cells
    return [c for c in cells if c.cell_type == "code"]


@pytest.mark.parametrize("final", FINAL, ids=[f.notebook for f in FINAL])
def test_no_cell_before_the_final_evaluation_touches_a_test_split(final):
    cells = code_cells(final)
    ids = [c.id for c in cells]
    assert final.cell_id in ids, "the final evaluation cell is missing"
    for cell in cells[: ids.index(final.cell_id)]:
        assert not TEST_ACCESS.search(cell.source), f"{cell.id} reads a test split"


@pytest.mark.parametrize("final", FINAL, ids=[f.notebook for f in FINAL])
def test_the_final_evaluation_reads_each_split_once_and_checks_the_counters(final):
    cells = code_cells(final)
    ids = [c.id for c in cells]
    source = cells[ids.index(final.cell_id)].source
    assert source.count("test_split()") == final.splits_read
    assert source.index("test_reads == 0") < source.index("test_split()")
    assert source.rstrip().endswith(final.last_line)
    for cell in cells[ids.index(final.cell_id) + 1:]:
        assert not TEST_READ.search(cell.source), f"{cell.id} reads a test split again"


@pytest.mark.parametrize("final", FINAL, ids=[f.notebook for f in FINAL])
def test_the_seeds_are_fixed_in_advance(final):
    sources = [c.source for c in code_cells(final)]
    fixed = next(i for i, s in enumerate(sources) if final.seeds in s)
    training = next(i for i, s in enumerate(sources) if final.first_training in s)
    assert fixed <= training, "the seeds are chosen after training began"


def test_the_pattern_catches_every_way_of_reading_the_test_split():
    for line in ["x, y = splits.test_split()", "splits.x_test[:3]", "y_test.cpu()"]:
        assert TEST_ACCESS.search(line), line
    for line in ["x_val, y_val = splits.x_val, splits.y_val", "splits.test_size"]:
        assert not TEST_ACCESS.search(line), line
