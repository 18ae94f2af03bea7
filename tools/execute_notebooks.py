"""Re-execute notebooks in place, top to bottom, each in a fresh kernel.

This is the only way the stored outputs (nbval's regression baseline) are produced:

    python tools/execute_notebooks.py                 # every notebook under notebooks/
    python tools/execute_notebooks.py notebooks/01_softmax.ipynb

A cell that is meant to fail must say so with ``# NBVAL_RAISES_EXCEPTION``; any other
error stops the run and leaves the notebook file untouched. Before running, every cell gets
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
RAISES_MARK = "# NBVAL_RAISES_EXCEPTION"
RAISES_TAG = "raises-exception"


def all_notebooks() -> list[Path]:
    """Every notebook of the course in syllabus order (solutions after the lessons)."""
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    return lessons + solutions


class UnexpectedCellError(RuntimeError):
    """A cell raised without being marked to, or a marked cell did not raise."""


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; return the seconds it took.

    Raises :class:`UnexpectedCellError` (and leaves the file untouched) if a cell raised
    without ``# NBVAL_RAISES_EXCEPTION``, or a cell with that mark did not raise.
    """
    notebook = nbformat.read(path, as_version=4)
    apply_slide_types(notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        # The comment is the one marker; a tag as well makes nbval warn about overlap.
        tags = [tag for tag in cell.metadata.get("tags", []) if tag != RAISES_TAG]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        allow_errors=True,  # checked below, cell by cell, against the marker
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        expected = RAISES_MARK in cell.source
        if errors and not expected:
            error = errors[0]
            raise UnexpectedCellError(
                f"{path.name}, cell {index}: {error.ename}: {error.evalue}"
            )
        if expected and not errors:
            raise UnexpectedCellError(f"{path.name}, cell {index} is marked to raise but did not")
        for error in errors:
            # Keep the message a learner needs; the frames name this machine's install paths.
            error.traceback = error.traceback[-1:]
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
