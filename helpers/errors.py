"""Showing an error on purpose, the way a learner should read it (first used in notebook 03).

A lesson often shows what PyTorch says when a call is wrong. A cell that really raises
stops JupyterLab's "Restart & Run All" and buries the message under library frames, so
the notebooks run the wrong call inside :func:`expect_error` instead::

    with expect_error(RuntimeError):
        F.cross_entropy(logits, F.one_hot(indices, num_classes=3))

prints one line, ``RuntimeError: Expected floating point type ...``, and the notebook goes
on. If the call does *not* raise, or raises another type, the cell fails: a lesson that
promises an error must show one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["expect_error", "ExpectedErrorMissing"]


class ExpectedErrorMissing(AssertionError):
    """The code inside :func:`expect_error` finished without raising the promised error."""


def _check_error_types(types: tuple[object, ...]) -> tuple[type[BaseException], ...]:
    if not types:
        raise TypeError("expect_error needs at least one exception type, e.g. ValueError")
    for kind in types:
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            raise TypeError(f"expect_error takes exception classes, got {kind!r}")
    return types  # type: ignore[return-value]


@contextmanager
def expect_error(*types: type[Exception]) -> Iterator[None]:
    """Run the ``with`` block, which must raise one of ``types``; print ``Type: message``.

    Only the error's type and the first line of its message are printed, never the
    traceback: the frames name the machine's install paths and hide what matters.

    Raises
    ------
    TypeError
        If no exception type is given, or something other than an exception class.
    ExpectedErrorMissing
        If the block finishes without raising.
    Exception
        Any error of a type not in ``types`` propagates unchanged.
    """
    expected = _check_error_types(types)
    try:
        yield
    except expected as error:
        message = str(error).strip().splitlines()
        first_line = message[0] if message else ""
        name = type(error).__name__
        print(f"{name}: {first_line}" if first_line else name)
        return
    names = ", ".join(kind.__name__ for kind in expected)
    raise ExpectedErrorMissing(f"expected {names}, but the code ran without an error")
