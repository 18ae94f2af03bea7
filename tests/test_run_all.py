"""tools/run_all.py: notebooks run the way JupyterLab's "Restart & Run All" runs them."""

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import run_all  # noqa: E402


def write_notebook(path, *sources):
    cells = [new_markdown_cell("# Title")] + [new_code_cell(source) for source in sources]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def test_counts_the_code_cells_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "fine.ipynb"
    write_notebook(path, "x = 1", "", "print(x + 1)")
    before = path.read_bytes()
    ran, seconds = run_all.run_all(path)
    assert ran == 2 and seconds > 0
    assert path.read_bytes() == before


def test_an_nbval_raise_marker_does_not_stop_the_error(tmp_path):
    # nbval would pass this cell; Run All stops there, and so must this check.
    path = tmp_path / "marked.ipynb"
    write_notebook(path, "# NBVAL_RAISES_EXCEPTION\nraise ValueError('stops Run All')", "y = 2")
    with pytest.raises(CellExecutionError, match="stops Run All"):
        run_all.run_all(path)


def test_main_names_the_notebook_that_stopped(tmp_path, capsys):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    write_notebook(good, "1 + 1")
    write_notebook(bad, "1 / 0")
    assert run_all.main([str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "ran all" in out and "STOPPED" in out and "bad.ipynb" in out
    assert "ZeroDivisionError" in out
