"""Re-execute notebooks in place, top to bottom, each in a fresh kernel.

This is the only way the stored outputs (nbval's regression baseline) are produced:

    python tools/execute_notebooks.py                 # every notebook under notebooks/
    python tools/execute_notebooks.py notebooks/01_softmax.ipynb

No cell may raise: a lesson shows an intended error with ``helpers.errors.expect_error``,
so that JupyterLab's "Restart & Run All" never stops. A cell that raises stops the run and
leaves the notebook file untouched. Before running, every cell gets
its slide type from the rule in ``tools/slide_metadata.py`` (used by ``make slides``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from slide_metadata import apply_slide_types

ROOT = Path(__file__).resolve().parent.parent


def all_notebooks() -> list[Path]:
    """Every notebook of the course in syllabus order (solutions after the lessons)."""
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    return lessons + solutions


class UnexpectedCellError(RuntimeError):
    """A cell raised an error (no cell of the course may raise)."""


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; return the seconds it took.

    Raises :class:`UnexpectedCellError` (and leaves the file untouched) if a cell raised.
    """
    notebook = nbformat.read(path, as_version=4)
    apply_slide_types(notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        allow_errors=True,  # checked below, to name the cell
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            error = errors[0]
            raise UnexpectedCellError(
                f"{path.name}, cell {index}: {error.ename}: {error.evalue} "
                "(show an intended error with helpers.errors.expect_error)"
            )
    nbformat.write(notebook, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all of them")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or all_notebooks()
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"{path} is not a notebook file")
        print(f"executing {path.relative_to(ROOT)} ...", end=" ", flush=True)
        print(f"{execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
