"""tools/run_all.py: notebooks run the way JupyterLab's "Restart & Run All" runs them."""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import run_all  # noqa: E402


def write_notebook(path, *sources):
    cells = [new_markdown_cell("# Title")] + [new_code_cell(source) for source in sources]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def test_a_clean_notebook_runs_and_an_nbval_marker_does_not_excuse_an_error(tmp_path, capsys):
    # One kernel per notebook is slow to start, so one test covers both outcomes.
    good, marked = tmp_path / "good.ipynb", tmp_path / "marked.ipynb"
    write_notebook(good, "x = 1", "", "print(x + 1)")
    # nbval would pass this cell; Run All stops there, and so must this check.
    write_notebook(marked, "# NBVAL_RAISES_EXCEPTION\nraise ValueError('stops Run All')", "y = 2")
    before = good.read_bytes(), marked.read_bytes()
    assert run_all.main([str(good), str(marked)]) == 1
    out = capsys.readouterr().out
    assert f"ran all  {good}: 2 code cells in" in out  # the empty cell is not counted
    assert f"STOPPED  {marked}: ValueError: stops Run All" in out
    assert "Run All stopped in 1 notebook(s)" in out
    assert (good.read_bytes(), marked.read_bytes()) == before  # nothing written back


def test_a_cell_that_writes_to_stderr_fails_only_with_no_stderr(tmp_path, monkeypatch, capsys):
    notebook = new_notebook(cells=[new_code_cell("x"), new_code_cell("y")])
    notebook.cells[1].outputs = [nbformat.v4.new_output(
        "stream", name="stderr", text="UserWarning: something changed\nsecond line")]
    assert run_all.stderr_outputs(notebook) == ["cell 2: UserWarning: something changed"]

    def noisy(path, timeout=600, stderr=None):  # no kernel: what run_all reports is tested
        stderr.extend(run_all.stderr_outputs(notebook))
        return 2, 0.1

    monkeypatch.setattr(run_all, "run_all", noisy)
    path = tmp_path / "noisy.ipynb"
    assert run_all.main([str(path)]) == 0  # plain Run All: a warning does not stop it
    assert run_all.main([str(path), "--no-stderr"]) == 1
    out = capsys.readouterr().out
    assert f"STDERR   {path}: cell 2: UserWarning: something changed" in out
    assert "Cells wrote to stderr in 1 notebook(s)" in out
