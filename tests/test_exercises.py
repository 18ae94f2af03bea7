"""Every exercise of every notebook, found by convention, in one place.

``helpers/checks/nbNN.py`` holds one ``check_<name>`` per exercise of notebook ``NN``; the
lesson defines the skeleton ``<name>`` and calls the check, and ``solutions/NN_*.ipynb``
defines the worked answer. For each exercise: the solution passes, the skeleton is "not
done", and both notebooks call the check. Wrong answers are tested in
``test_wrong_answers.py``, a catalogue of plausible mistakes for every exercise.
"""

import importlib
import inspect
from pathlib import Path

import nbformat
import pytest

from helpers.notebook_import import NOTEBOOK_DIR, load_notebook_definitions

CHECKS_DIR = Path(__file__).resolve().parent.parent / "helpers" / "checks"


def all_exercises() -> list[tuple[str, str]]:
    """(notebook stem, exercise name) for every ``check_*`` of every ``nbNN`` module."""
    found = []
    for module_path in sorted(CHECKS_DIR.glob("nb[0-9][0-9].py")):
        number = module_path.stem[2:]
        (lesson,) = NOTEBOOK_DIR.glob(f"{number}_*.ipynb")
        module = importlib.import_module(f"helpers.checks.{module_path.stem}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("check_") and function.__module__ == module.__name__:
                found.append((lesson.stem, name.removeprefix("check_")))
    return found


EXERCISES = all_exercises()


def check_for(stem: str, name: str):
    module = importlib.import_module(f"helpers.checks.nb{stem[:2]}")
    return getattr(module, f"check_{name}")


def test_every_lesson_has_three_to_five_exercises():
    lessons = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    counts = {stem: sum(1 for s, _ in EXERCISES if s == stem) for stem in lessons}
    assert all(3 <= count <= 5 for count in counts.values()), counts


@pytest.mark.parametrize(("stem", "name"), EXERCISES, ids=[f"{s[:2]}-{n}" for s, n in EXERCISES])
def test_solution_passes_and_skeleton_is_not_done(stem, name):
    check = check_for(stem, name)
    report = check(getattr(load_notebook_definitions(f"solutions/{stem}"), name))
    assert report.ok, str(report)
    assert report.total >= 3, "a check needs several cases"
    assert check(getattr(load_notebook_definitions(stem), name)).status == "not done"


@pytest.mark.parametrize(("stem", "name"), EXERCISES, ids=[f"{s[:2]}-{n}" for s, n in EXERCISES])
def test_lesson_and_solutions_call_the_check(stem, name):
    for path in (NOTEBOOK_DIR / f"{stem}.ipynb", NOTEBOOK_DIR / "solutions" / f"{stem}.ipynb"):
        sources = [c.source for c in nbformat.read(path, as_version=4).cells]
        assert any(f"check_{name}({name})" in source for source in sources), path.name


@pytest.mark.parametrize(("stem", "name"), EXERCISES, ids=[f"{s[:2]}-{n}" for s, n in EXERCISES])
def test_passing_something_else_than_a_function_is_a_clear_error(stem, name):
    with pytest.raises(TypeError, match="pass your function itself"):
        check_for(stem, name)(name)
