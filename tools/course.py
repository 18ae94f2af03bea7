"""Where the course's files are: the one module every script in ``tools/`` imports.

It imports no other script, so the scripts depend on it and never on each other in a
circle (``execute_notebooks`` uses ``slide_metadata``; neither needs the other's paths).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def lessons_and_solutions() -> tuple[list[Path], list[Path]]:
    """The lessons and their solutions, each in syllabus order."""
    lessons = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
    return lessons, solutions


def all_notebooks() -> list[Path]:
    """Every notebook of the course in syllabus order (solutions after the lessons)."""
    lessons, solutions = lessons_and_solutions()
    return lessons + solutions
