"""Load the functions and classes a notebook defines, without running its other cells.

Tests use this so they check the notebook's own code (one source of truth, no copies).
Only top-level ``import`` statements, ``def``/``class`` definitions and assignments of
UPPER_CASE constants are executed; everything else in the notebook (prints, plots,
training runs) is skipped, and IPython magics (``%``, ``!``) are ignored.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

import nbformat

__all__ = ["load_notebook_definitions", "NOTEBOOK_DIR"]

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"

_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def _is_constant_assignment(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Assign | ast.AnnAssign):
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return all(isinstance(t, ast.Name) and t.id.isupper() for t in targets)


def _resolve(notebook: str | Path) -> Path:
    path = Path(notebook)
    if not path.suffix:
        path = path.with_suffix(".ipynb")
    if not path.is_absolute() and not path.exists():
        path = NOTEBOOK_DIR / path
    if not path.is_file():
        raise ValueError(f"no notebook at {path}")
    return path


def load_notebook_definitions(notebook: str | Path) -> types.ModuleType:
    """Return a module holding the imports, functions, classes and constants of ``notebook``.

    ``notebook`` is a path, or a name such as ``"01_softmax"`` looked up in ``notebooks/``.
    Definitions run in cell order, so a later redefinition wins, as it would in Jupyter.
    """
    path = _resolve(notebook)
    nb = nbformat.read(path, as_version=4)
    module = types.ModuleType(path.stem, f"Definitions from {path.name}")
    module.__file__ = str(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = [
            "" if line.lstrip().startswith(("%", "!")) else line
            for line in cell.source.splitlines()
        ]
        tree = ast.parse("\n".join(lines), filename=f"{path.name}[cell {index}]")
        kept = [n for n in tree.body if isinstance(n, _KEPT) or _is_constant_assignment(n)]
        if kept:
            code = compile(ast.Module(body=kept, type_ignores=[]), f"{path.name}[{index}]", "exec")
            exec(code, module.__dict__)  # noqa: S102 - the course's own notebooks
    return module
