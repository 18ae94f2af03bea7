"""The 45-minute path runs on its own: a lecture never needs a cell it skips.

Cells tagged ``reading`` are not on the slides (``tools/slide_metadata.py``). A lecturer who
runs only the path, or a learner in a hurry, must not meet a ``NameError``, so a code cell on
the path never uses a name whose first definition is in a ``reading`` cell, except imports
and settings (``UPPER_CASE`` constants), which a reading cell may hold for both. And every
notebook introduces a name before a cell uses it.
"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import nbformat
import pytest

from helpers.notebook_import import NOTEBOOK_DIR

LESSONS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
# Names IPython gives every kernel.
KERNEL_NAMES = set(dir(builtins)) | {"display", "get_ipython", "In", "Out", "_"}


def parse_cell(source: str) -> ast.Module:
    """A code cell's Python, IPython's ``%magic`` and ``!shell`` lines left out."""
    lines = ["" if re.match(r"\s*[%!]", line) else line for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def bound_and_imported(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Every name a cell binds (anywhere in it), and those it binds by an import."""
    bound, imported = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                bound.add(name)
                imported.add(name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return bound, imported


def used(tree: ast.Module) -> set[str]:
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def path_faults(notebook: nbformat.NotebookNode) -> list[str]:
    """What breaks the rule above, one line per (cell, name)."""
    first_defined: dict[str, tuple[int, bool]] = {}  # name -> (cell index, in a reading cell)
    faults = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        reading = "reading" in cell.metadata.get("tags", [])
        tree = parse_cell(cell.source)
        bound, imported = bound_and_imported(tree)
        for name in sorted(used(tree) - bound - KERNEL_NAMES):
            if name not in first_defined:
                faults.append(f"cell {index} uses {name!r} before any cell defines it")
            elif not reading and first_defined[name][1]:
                faults.append(f"cell {index} (on the path) uses {name!r}, first defined in "
                              f"reading cell {first_defined[name][0]}")
        for name in bound:
            exempt = name in imported or name.isupper()
            first_defined.setdefault(name, (index, reading and not exempt))
    return faults


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem[:2] for p in LESSONS])
def test_the_lecture_path_never_uses_a_name_defined_off_it(path: Path):
    faults = path_faults(nbformat.read(path, as_version=4))
    assert not faults, "\n".join(faults)


def notebook_of(*cells: tuple[str, bool]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    for source, reading in cells:
        cell = nbformat.v4.new_code_cell(source)
        if reading:
            cell.metadata["tags"] = ["reading"]
        notebook.cells.append(cell)
    return notebook


def test_a_path_cell_using_a_reading_cells_function_is_a_fault():
    notebook = notebook_of(("def fit():\n    return 1", True), ("model = fit()", False))
    assert path_faults(notebook) == [
        "cell 1 (on the path) uses 'fit', first defined in reading cell 0"]


def test_imports_settings_and_later_reading_cells_are_allowed():
    notebook = notebook_of(
        ("import torch\nSEEDS = (0, 1)\nextra = 2", True),
        ("x = torch.zeros(len(SEEDS))\ndef f(a):\n    return [b for b in a]", False),
        ("print(extra, x, f([1]))", True),  # a reading cell may use anything defined before
    )
    assert path_faults(notebook) == []


def test_a_name_used_before_it_is_defined_is_a_fault():
    notebook = notebook_of(("history = fit()", False), ("def fit():\n    return 1", False))
    assert path_faults(notebook) == ["cell 0 uses 'fit' before any cell defines it"]


def test_a_name_redefined_on_the_path_still_counts_from_its_first_definition():
    # The path cell would run, but only with the reading cell's value: still a fault.
    notebook = notebook_of(("data = 1", True), ("print(data)", False), ("data = 2", False))
    assert path_faults(notebook) == [
        "cell 1 (on the path) uses 'data', first defined in reading cell 0"]
