"""Notebook 11 writes out code of ``helpers.distributed``: what it shows is what the ranks run.

The ranks of ``run_on_ranks`` import the functions they run, so the vocabulary-parallel
loss lives in ``helpers/distributed.py``; section 4 of the lesson shows its functions in
code cells for the learner to read. This test keeps each shown function identical to the
module's: the same syntax tree, comments, docstrings and type annotations aside (a slide
may leave a docstring or an annotation out, never a line of code).
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import nbformat
import pytest

import helpers.distributed as distributed
from helpers.notebook_import import NOTEBOOK_DIR

LESSON = NOTEBOOK_DIR / "11_cross_entropy_across_processes.ipynb"
# The functions of helpers.distributed that the lesson writes out, in its order.
SHOWN = ("global_statistics", "shard_gradient")


def _without_docstrings_and_annotations(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
    return tree


def normalised(source: str) -> str:
    """The syntax tree of ``source`` without docstrings and annotations, as text (comments
    never count)."""
    return ast.dump(_without_docstrings_and_annotations(ast.parse(textwrap.dedent(source))))


def shown_definitions(notebook) -> dict[str, str]:
    """The source of every top-level function or class a code cell of ``notebook`` defines."""
    found = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found[node.name] = ast.get_source_segment(cell.source, node)
    return found


@pytest.fixture(scope="module")
def shown() -> dict[str, str]:
    return shown_definitions(nbformat.read(LESSON, as_version=4))


def test_the_lesson_shows_the_modules_functions_in_order(shown):
    names = [name for name in shown if hasattr(distributed, name)]
    assert names == list(SHOWN)


@pytest.mark.parametrize("name", SHOWN)
def test_a_shown_function_is_the_modules_own(shown, name):
    module_source = inspect.getsource(getattr(distributed, name))
    assert normalised(shown[name]) == normalised(module_source), (
        f"notebook 11 shows a {name} that differs from helpers/distributed.py: copy the "
        "module's function into the cell again (comments and docstrings may differ)")


def test_a_changed_line_is_found_and_a_comment_docstring_or_annotation_is_not():
    original = 'def f(x: int) -> int:\n    """Doc."""\n    return x + 1  # one more\n'
    assert normalised(original) == normalised("def f(x):\n    return x + 1\n")
    assert normalised(original) != normalised("def f(x):\n    return x + 2\n")
    assert normalised(original) != normalised("def f(x, y=0):\n    return x + 1\n")
