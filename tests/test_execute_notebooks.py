"""tools/execute_notebooks.py: the only producer of stored outputs."""

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the scripts import their sibling modules

import execute_notebooks  # noqa: E402


def write_notebook(path, *sources):
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def test_executes_in_a_fresh_kernel_in_the_notebook_folder(tmp_path):
    path = tmp_path / "demo.ipynb"
    write_notebook(
        path,
        "import os\nprint(os.path.basename(os.getcwd()))",
        "from helpers.errors import expect_error\n"
        "with expect_error(ValueError):\n    raise ValueError('expected')",
        "'x' in dir()",
    )
    execute_notebooks.execute(path)
    cells = nbformat.read(path, as_version=4).cells
    assert [c.execution_count for c in cells] == [1, 2, 3]
    assert cells[0].outputs[0].text == f"{tmp_path.name}\n"
    assert cells[1].outputs[0].text == "ValueError: expected\n"  # one line, no frames
    assert cells[2].outputs[0].data["text/plain"] == "False"  # nothing left from another run
    assert "execution" not in cells[0].metadata  # no timestamps: no churn in diffs


def test_an_unexpected_error_fails_and_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "broken.ipynb"
    write_notebook(path, "1 / 0")
    before = path.read_bytes()
    with pytest.raises(execute_notebooks.UnexpectedCellError, match="ZeroDivisionError"):
        execute_notebooks.execute(path)
    assert path.read_bytes() == before


def test_a_cell_marked_for_nbval_may_not_raise_either(tmp_path):
    # nbval would accept it, but JupyterLab's Run All would stop there.
    path = tmp_path / "marked.ipynb"
    write_notebook(path, "# NBVAL_RAISES_EXCEPTION\nraise ValueError('expected')")
    with pytest.raises(execute_notebooks.UnexpectedCellError, match="expect_error"):
        execute_notebooks.execute(path)


def test_all_notebooks_lists_lessons_then_solutions():
    paths = execute_notebooks.all_notebooks()
    names = [p.relative_to(ROOT / "notebooks").as_posix() for p in paths]
    lessons = [n for n in names if "/" not in n]
    assert names[: len(lessons)] == sorted(lessons)
    assert all(n.startswith("solutions/") for n in names[len(lessons):])
    assert "01_softmax.ipynb" in names and "solutions/01_softmax.ipynb" in names
