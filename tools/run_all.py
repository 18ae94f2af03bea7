"""Run every notebook the way JupyterLab's "Restart & Run All" does; every cell must run.

nbval honours its own comments (``# NBVAL_RAISES_EXCEPTION``, ``# NBVAL_SKIP``); JupyterLab
and nbclient do not: Run All stops at the first cell that raises. This script executes each
notebook and solution with plain nbclient (``allow_errors=False``, no marker honoured) in a
fresh kernel, in the notebook's folder, and never writes the notebook back:

    python tools/run_all.py                      # every lesson and solution
    python tools/run_all.py notebooks/03_pytorch_cross_entropy_loss.ipynb

It prints one line per notebook (code cells run, seconds) and exits 1 naming the first cell
that stopped a notebook. With ``--no-stderr`` a cell that writes to stderr (a library's
warning, shown to the learner in red) also fails its notebook: no stored output has any, and
``make test-versions`` uses it to catch warnings that other versions print.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from course import ROOT, all_notebooks
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def stderr_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell N: first line"`` for each code cell (numbered from 1) that wrote to stderr."""
    found = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        text = "".join(output.get("text", "") for output in cell.get("outputs", [])
                       if output.output_type == "stream" and output.name == "stderr")
        if text.strip():
            found.append(f"cell {number}: {text.strip().splitlines()[0]}")
    return found


def run_all(path: Path, timeout: int = 600, stderr: list[str] | None = None) -> tuple[int, float]:
    """Execute ``path`` like Run All; return (code cells run, seconds).

    Raises :class:`nbclient.exceptions.CellExecutionError` at the first cell that raises.
    If ``stderr`` is a list, what the cells wrote to stderr is appended to it
    (see :func:`stderr_outputs`).
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    ran = sum(1 for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip())
    if stderr is not None:
        stderr.extend(stderr_outputs(notebook))
    return ran, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all of them")
    parser.add_argument("--no-stderr", action="store_true",
                        help="a cell that writes to stderr (a warning) fails its notebook")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or all_notebooks()
    failed, noisy = [], []
    total = 0.0
    for path in paths:
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        stderr: list[str] = []
        try:
            ran, seconds = run_all(path, stderr=stderr)
        except CellExecutionError as error:
            failed.append(name)
            print(f"STOPPED  {name}: {error.ename}: {error.evalue}", flush=True)
            continue
        if args.no_stderr and stderr:
            noisy.append(name)
            print(f"STDERR   {name}: {'; '.join(stderr)}", flush=True)
            continue
        total += seconds
        print(f"ran all  {name}: {ran} code cells in {seconds:.1f} s", flush=True)
    if failed:
        print(f"Run All stopped in {len(failed)} notebook(s): {', '.join(failed)}")
    if noisy:
        print(f"Cells wrote to stderr in {len(noisy)} notebook(s): {', '.join(noisy)}")
    if failed or noisy:
        return 1
    print(f"Run All completed in all {len(paths)} notebooks ({total:.0f} s of execution)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
