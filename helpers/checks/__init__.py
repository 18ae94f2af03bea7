"""Automatic checkers for the exercises at the end of each notebook.

Each notebook has a module (``nb01`` for ``01_softmax.ipynb``, ...) with one ``check_*``
function per exercise. A check runs the learner's function on several cases, compares it
with PyTorch, and returns a :class:`~helpers.checks.core.Report` whose text is a short
verdict: what passed, the first failing case (expected vs got) and a hint. A wrong answer
never shows a traceback; an unfinished skeleton reports "not done yet".
"""

from helpers.checks.core import Case, Report, run_cases

__all__ = ["Case", "Report", "run_cases"]
