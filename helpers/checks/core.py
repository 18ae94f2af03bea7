"""The machinery shared by every exercise checker (see ``helpers.checks``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "Report", "run_cases", "compare_arrays"]

PASSED, FAILED, NOT_DONE = "passed", "failed", "not done"


@dataclass(frozen=True)
class Case:
    """One input to try: ``args`` go to the learner's function, ``expected`` is the answer."""

    description: str
    args: tuple
    expected: Any
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """The verdict of one check. Its text is what the notebook shows."""

    exercise: str
    status: str
    passed: int
    total: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == PASSED

    def __str__(self) -> str:
        if self.status == PASSED:
            head = f"✅ {self.exercise}: all {self.total} cases passed."
        elif self.status == NOT_DONE:
            head = f"⏳ {self.exercise}: not done yet."
        else:
            head = f"❌ {self.exercise}: {self.passed} of {self.total} cases passed."
        return head + (f"\n{self.detail}" if self.detail else "")

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle) -> None:  # how IPython shows it
        printer.text(str(self))


def _format(value: Any) -> str:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, separator=", ", threshold=20)
    return repr(value)


def compare_arrays(got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9) -> str:
    """Return ``""`` if ``got`` matches ``expected`` (shape and values), else why not."""
    if got is None:
        return "your function returned None (did you forget `return`?)"
    if hasattr(got, "detach"):
        got = got.detach().cpu().numpy()
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"expected numbers, got {type(got).__name__}"
    expected_array = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected_array.shape:
        return f"expected shape {expected_array.shape}, got shape {got_array.shape}"
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True):
        return "values differ"
    return ""


def run_cases(
    exercise: str,
    candidate: Callable,
    cases: Sequence[Case],
    *,
    hint: str,
    compare: Callable[[Any, Case], str] | None = None,
) -> Report:
    """Run ``candidate`` on every case and build the verdict.

    ``compare(got, case)`` returns ``""`` when ``got`` is right, else a short reason; by
    default :func:`compare_arrays` against ``case.expected``. A ``NotImplementedError``
    from the candidate means the skeleton is untouched ("not done yet"); any other
    exception counts as a failed case and is reported in one line, never as a traceback.
    """
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")
    if not cases:
        raise ValueError("a check needs at least one case")
    compare = compare or (lambda got, case: compare_arrays(got, case.expected))
    passed, first_failure = 0, ""
    for case in cases:
        try:
            got = candidate(*case.args, **case.kwargs)
        except NotImplementedError:
            return Report(
                exercise, NOT_DONE, 0, len(cases),
                "   Replace the `raise NotImplementedError` line with your code, then run again.",
            )
        except Exception as error:  # a learner's bug is a verdict, not a crash
            reason, got = f"raised {type(error).__name__}: {error}", None
        else:
            reason = compare(got, case)
        if not reason:
            passed += 1
        elif not first_failure:
            first_failure = (
                f"   First failing case: {case.description}\n"
                f"   expected: {_format(case.expected)}\n"
                + (f"   got:      {_format(got)}\n" if got is not None else "")
                + f"   Problem:  {reason}\n"
                f"   Hint: {hint}"
            )
    status = PASSED if passed == len(cases) else FAILED
    return Report(exercise, status, passed, len(cases), first_failure)
