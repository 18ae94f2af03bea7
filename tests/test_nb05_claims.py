"""Claims of notebook 05's prose that do not come out of training, checked without a kernel.

The cells that train check their own claims at run time (under nbval); these tests check
the facts those claims rest on and that the prose and its assertions say the same thing.
"""

from __future__ import annotations

import nbformat
import torch

from helpers.data import load_mnist
from helpers.notebook_import import NOTEBOOK_DIR

NOTEBOOK = NOTEBOOK_DIR / "05_training_on_mnist.ipynb"


def cell_with(text: str, cell_type: str) -> nbformat.NotebookNode:
    """The one cell of notebook 05 of ``cell_type`` whose source holds ``text``."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    found = [cell for cell in notebook.cells if cell.cell_type == cell_type
             and text in " ".join(cell.source.split())]
    assert len(found) == 1, f"{len(found)} {cell_type} cells hold {text!r}"
    return found[0]


def test_shifted_labels_carry_a_faint_signal_on_the_bundled_split():
    # Why labels shifted by one leave validation accuracy above chance (§3, reading).
    y = load_mnist((0, 1, 2), source="bundled", seed=0).y_train
    pairs = torch.bincount(3 * y + y.roll(1), minlength=9).reshape(3, 3)
    assert int(pairs.trace()) == 380 and len(y) == 1050  # 36 %, not 33 %
    assert pairs.argmax(dim=1).tolist() == [0, 1, 2]


def test_the_shifted_labels_prose_states_what_its_cell_asserts():
    prose = " ".join(cell_with("between 30 % and 60 %", "markdown").source.split())
    assert "36 %" in prose and "at chance on average" not in prose
    code = cell_with("shifted_accuracy)", "code").source
    assert code.startswith("# NBVAL_IGNORE_OUTPUT\n")
    assert "assert 0.30 <= min(shifted_accuracy) <= max(shifted_accuracy) <= 0.60" in code
    assert "for seed in SEEDS]" in code  # every seed, not only the walk-through one
    summary = " ".join(cell_with("30–60 %", "markdown").source.split())
    assert "near chance" not in summary


def test_models_on_the_same_test_digits_are_compared_paired():
    code = cell_with("paired_comparison(", "code").source
    assert code.startswith("# NBVAL_IGNORE_OUTPUT\n")
    assert "paired_comparison(" in code and "SEEDS[:2]" in code
    for claim in ("assert paired.p_value > 0.05 and low <= 0 <= high",
                  "assert (high - low) / 2 < 0.75 * separate"):
        assert claim in code
    prose = " ".join(cell_with("only the disagreements count", "markdown").source.split())
    assert "$p > 0.05$" in prose and "at most ¾ as wide" in prose
    # No seed-to-seed comparison against a single model's (unpaired) interval.
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any("assert sd < (high - low)" in cell.source for cell in notebook.cells)
