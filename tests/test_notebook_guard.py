"""Every notebook opens with the same guard: without ``helpers``, it says what to run.

A notebook opened outside ``make lab`` (VS Code, another Jupyter) may run in a kernel whose
environment lacks the course's package. Its first code cell then stops with one message
saying what to install, instead of a bare ``ModuleNotFoundError`` further down. The guard is
three lines (and the blank line isort asks for), the same in every lesson and solution.
"""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from course import all_notebooks  # noqa: E402

NOTEBOOKS = all_notebooks()
GUARD_LINES = 4  # the import, a blank line (isort's), the test and the raise


def first_code_cell(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return next(cell.source for cell in cells if cell.cell_type == "code")


def guard_of(path: Path) -> str:
    return "\n".join(first_code_cell(path).splitlines()[:GUARD_LINES])


GUARD = guard_of(NOTEBOOKS[0])


def test_the_guard_checks_for_helpers_and_says_what_to_run():
    lines = GUARD.splitlines()
    assert lines[0].startswith("import importlib.util") and lines[1] == ""
    assert lines[2] == 'if importlib.util.find_spec("helpers") is None:'
    assert lines[3].startswith("    raise ModuleNotFoundError(")
    for advice in ("pip install -e .", "make lab", "this kernel's environment",
                   "restart the kernel"):
        assert advice in lines[3]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name if p.parent.name == "notebooks"
                                                 else f"solutions/{p.name}" for p in NOTEBOOKS])
def test_every_notebook_opens_with_the_same_guard(path):
    source = first_code_cell(path)
    assert guard_of(path) == GUARD, "the first code cell must start with the guard of 01"
    assert "find_spec" not in "\n".join(source.splitlines()[GUARD_LINES:]), "one guard only"


def test_without_helpers_the_guard_stops_with_its_message(tmp_path):
    # -I: no PYTHONPATH, no current folder; -S: no site-packages (where `pip install -e .`
    # puts its import hook). As in a kernel whose environment lacks the course.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", GUARD], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: No module named 'helpers', the course's package")
    assert "run `pip install -e .`" in last


def test_with_helpers_the_guard_lets_the_notebook_run():
    exec(compile(GUARD, "guard", "exec"), {})  # raises if helpers were not found
