"""The machinery shared by every exercise checker (see ``helpers.checks``).

Besides running cases (:func:`run_cases`), this module holds small tools that hold a
learner's function to the rules an exercise states, where a program can tell:

- :func:`python_loops` finds ``for``/``while`` loops and comprehensions in a function's
  bytecode (works for functions defined in notebooks, where no source file exists);
- :func:`forbidden_names` finds names a function must not use (e.g. a helper it must not
  call);
- :class:`TorchWatch` is a ``TorchFunctionMode`` that records every PyTorch call made while
  it is active, whether autograd was used, and, for watched tensors, the widest slice read
  along an axis and how often each column was read;
- :func:`guarded` runs a learner's function under such a watch and raises :class:`RuleBroken`
  when a rule was broken. :func:`run_cases` reports that as the case's problem.
"""

from __future__ import annotations

import dis
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

__all__ = [
    "Case",
    "Report",
    "RuleBroken",
    "TorchWatch",
    "compare_arrays",
    "explain",
    "forbidden_names",
    "guarded",
    "python_loops",
    "run_cases",
]

PASSED, FAILED, NOT_DONE = "passed", "failed", "not done"


@dataclass(frozen=True)
class Case:
    """One input to try: ``args`` go to the learner's function, ``expected`` is the answer.

    ``mistakes`` lists ``(value, message)`` pairs: the answers that known mistakes give on
    this input. A wrong answer equal to one of them is explained by its message.
    """

    description: str
    args: tuple
    expected: Any
    kwargs: dict = field(default_factory=dict)
    mistakes: tuple = ()


@dataclass(frozen=True)
class Report:
    """The verdict of one check. Its text is what the notebook shows (plain text, no emoji)."""

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
            head = f"PASSED: {self.exercise}: all {self.total} cases passed."
        elif self.status == NOT_DONE:
            head = f"NOT DONE: {self.exercise}: not done yet."
        else:
            head = f"FAILED: {self.exercise}: {self.passed} of {self.total} cases passed."
        return head + (f"\n{self.detail}" if self.detail else "")

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle) -> None:  # how IPython shows it
        printer.text(str(self))


class RuleBroken(Exception):
    """The learner's function broke a rule of the exercise; the message says which."""


# ---- comparing answers ----------------------------------------------------------------

def _to_numpy(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def _format(value: Any) -> str:
    value = _to_numpy(value)
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, separator=", ", threshold=20)
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return repr(value)


def compare_arrays(got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9) -> str:
    """Return ``""`` if ``got`` matches ``expected`` (shape and values), else why not."""
    if got is None:
        return "your function returned None (did you forget `return`?)"
    got = _to_numpy(got)
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"expected numbers, got {type(got).__name__}"
    expected_array = np.asarray(_to_numpy(expected), dtype=np.float64)
    if got_array.shape != expected_array.shape:
        return f"expected shape {expected_array.shape}, got shape {got_array.shape}"
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True):
        return "values differ"
    return ""


def explain(got: Any, case: Case, reason: str, *, rtol: float = 1e-6, atol: float = 1e-9) -> str:
    """Sharpen a ``"values differ"`` reason: the known mistakes that give ``got`` (all of
    them, joined by "; or ", when several give the same number), or nan/inf where none
    belongs."""
    if reason != "values differ":
        return reason
    matched = []
    for value, message in case.mistakes:
        if message not in matched and not compare_arrays(got, value, rtol=rtol, atol=atol):
            matched.append(message)
    if matched:  # several mistakes may give the same number: name them all
        return "; or ".join(matched)
    try:
        got_array = np.asarray(_to_numpy(got), dtype=np.float64)
        expected_array = np.asarray(_to_numpy(case.expected), dtype=np.float64)
    except (TypeError, ValueError):
        return reason
    bad = ~np.isfinite(got_array) & np.isfinite(expected_array)
    if bad.any():
        return ("values differ: your answer has nan or inf where the right answer is finite "
                "(an exp overflowed, or a probability underflowed to 0 before a log)")
    return reason


def _default_compare(got: Any, case: Case) -> str:
    return explain(got, case, compare_arrays(got, case.expected))


# ---- running the cases ----------------------------------------------------------------

def run_cases(
    exercise: str,
    candidate: Callable,
    cases: Sequence[Case],
    *,
    hint: str,
    compare: Callable[[Any, Case], str] | None = None,
    shown: Callable[[Any, Case], tuple[str, Any]] | None = None,
    static_rules: Sequence[Callable[[Callable], str]] = (),
    rule_target: Callable | None = None,
) -> Report:
    """Run ``candidate`` on every case and build the verdict.

    ``compare(got, case)`` returns ``""`` when ``got`` is right, else a short reason; by
    default :func:`compare_arrays` against ``case.expected``, sharpened by :func:`explain`.
    ``shown(got, case)`` returns ``(label, value)`` to show in place of the raw answer when
    the raw answer is not comparable with the expected one. ``static_rules`` are run on
    ``rule_target`` (by default ``candidate``) once all cases ran; each returns ``""`` or
    the rule broken. A ``NotImplementedError`` from the candidate means the skeleton is
    untouched ("not done yet"); a :class:`RuleBroken` is the case's problem; any other
    exception counts as a failed case and is reported in one line, never as a traceback.
    NumPy's floating-point warnings are off while the candidate runs: the extreme cases make
    even a right answer overflow harmlessly (the sigmoid 1 / (1 + exp(1000)) is 0), and a
    wrong answer's overflow is named by the verdict.
    """
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")
    if not cases:
        raise ValueError("a check needs at least one case")
    compare = compare or _default_compare
    passed, first_failure = 0, ""
    for case in cases:
        try:
            with np.errstate(all="ignore"):  # the verdict says what an overflow did
                got = candidate(*case.args, **case.kwargs)
        except NotImplementedError:
            return Report(
                exercise, NOT_DONE, 0, len(cases),
                "   Replace the `raise NotImplementedError` line with your code, then run again.",
            )
        except RuleBroken as error:
            reason, got = str(error), None
        except Exception as error:  # a learner's bug is a verdict, not a crash
            reason, got = f"raised {type(error).__name__}: {error}", None
        else:
            reason = compare(got, case)
        if not reason:
            passed += 1
        elif not first_failure:
            label, value = shown(got, case) if shown and got is not None else ("got", got)
            first_failure = (
                f"   First failing case: {case.description}\n"
                f"   expected: {_format(case.expected)}\n"
                + (f"   {label + ':':<9} {_format(value)}\n" if got is not None else "")
                + f"   Problem:  {reason}\n"
                f"   Hint: {hint}"
            )
    if not first_failure:
        for rule in static_rules:
            broken = rule(rule_target or candidate)
            if broken:
                return Report(
                    exercise, FAILED, passed, len(cases),
                    f"   Every case gives the right values, but:\n   Problem:  {broken}\n"
                    f"   Hint: {hint}",
                )
    status = PASSED if passed == len(cases) else FAILED
    return Report(exercise, status, passed, len(cases), first_failure)


# ---- rules that a program can check ---------------------------------------------------

def _code_objects(function: Callable) -> list[types.CodeType]:
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    found, stack = [], [code]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return found


_HIDDEN_LOOPS = {"map": "map()", "vectorize": "np.vectorize", "apply_along_axis":
                 "np.apply_along_axis", "frompyfunc": "np.frompyfunc"}


def python_loops(function: Callable) -> str:
    """Return ``""`` if ``function`` has no Python loop, else a description of one.

    Reads the bytecode (not the source), so it works for functions defined in a notebook.
    ``for``/``while`` loops, comprehensions and the loops hidden in ``map``,
    ``np.vectorize`` and ``np.apply_along_axis`` all count.
    """
    for code in _code_objects(function):
        for instruction in dis.get_instructions(code):
            if instruction.opname == "FOR_ITER":
                return "a `for` loop or a comprehension"
            if "JUMP_BACKWARD" in instruction.opname or instruction.opname == "JUMP_ABSOLUTE":
                return "a `while` loop"
        for name in code.co_names:
            if name in _HIDDEN_LOOPS:
                return f"{_HIDDEN_LOOPS[name]} (a Python loop in disguise)"
    return ""


def forbidden_names(function: Callable, names: Sequence[str]) -> str:
    """Return the first of ``names`` that ``function`` uses (as a global or attribute)."""
    for code in _code_objects(function):
        for name in names:
            if name in code.co_names:
                return name
    return ""


def _name_of(func: Any) -> str:
    owner = getattr(func, "__self__", None)
    if type(owner).__name__ == "getset_descriptor":
        return f"Tensor.{owner.__name__}"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    name = name.replace("_VariableFunctionsClass.", "torch.").replace("TensorBase.", "Tensor.")
    if "." not in name:
        module = getattr(func, "__module__", None) or "torch"
        name = f"{module}.{name}"
    return name


# Calls that look at a tensor's metadata or allocate a tensor of its shape without reading
# its values: they do not count as reading a watched tensor.
_METADATA = {
    "Tensor.shape", "Tensor.size", "Tensor.dim", "Tensor.ndim", "Tensor.ndimension",
    "Tensor.dtype", "Tensor.device", "Tensor.__len__", "Tensor.numel", "Tensor.layout",
    "Tensor.is_floating_point", "Tensor.requires_grad", "Tensor.stride", "Tensor.is_cuda",
    "Tensor.new_zeros", "Tensor.new_ones", "Tensor.new_full", "Tensor.new_empty",
    "Tensor.element_size", "Tensor.is_contiguous", "Tensor.__setitem__",
    "torch.empty_like", "torch.zeros_like", "torch.ones_like", "torch.full_like",
    "Tensor.grad_fn", "Tensor.is_leaf",
}
_SPLITS = {"Tensor.split", "torch.split", "Tensor.chunk", "torch.chunk", "Tensor.tensor_split",
           "torch.tensor_split", "Tensor.unbind", "torch.unbind", "Tensor.narrow",
           "torch.narrow", "Tensor.split_with_sizes", "Tensor.unsafe_split"}
_GRADIENT_CALLS = {"Tensor.backward", "torch.autograd.grad", "torch.autograd.backward"}


@dataclass
class _Watched:
    tensor: torch.Tensor
    axis: int
    reads: np.ndarray  # how many times each index along ``axis`` was read
    widest: int = 0
    whole: str = ""  # the first call that read the whole tensor at once


class TorchWatch(TorchFunctionMode):
    """Record the PyTorch calls made while active.

    ``calls`` lists their names; ``autograd`` names the use of autograd to blame: the call
    that computed a gradient (``backward``, ``torch.autograd.grad``), else the first that
    switched gradients on (``requires_grad_``, setting ``requires_grad``), else
    ``grad_maker``, the first call whose result requires grad (written
    ``torch.tensor(..., requires_grad=True)`` for a factory given that keyword). Tensors
    given to :meth:`watch` are followed: ``widest(t)`` is the widest slice of ``t`` read
    along the watched axis, ``whole(t)`` the first call that read all of ``t`` at once
    (anything but slicing and metadata), ``max_reads(t)`` how many times the most-read
    index along the axis was read. ``largest`` is ``(numel, shape)`` of the
    largest new tensor (not a view) that a call made: a materialised matrix shows there.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.autograd_call = ""
        self.grad_maker = ""
        self.largest: tuple[int, tuple[int, ...]] = (0, ())
        self._watched: list[_Watched] = []

    @property
    def autograd(self) -> str:
        return self.autograd_call or self.grad_maker

    def watch(self, tensor: torch.Tensor, axis: int) -> None:
        axis = axis % tensor.ndim
        self._watched.append(_Watched(tensor, axis, np.zeros(tensor.shape[axis], dtype=int)))

    def _entry(self, tensor: torch.Tensor) -> _Watched:
        return next(w for w in self._watched if w.tensor is tensor)

    def widest(self, tensor: torch.Tensor) -> int:
        return self._entry(tensor).widest

    def whole(self, tensor: torch.Tensor) -> str:
        return self._entry(tensor).whole

    def max_reads(self, tensor: torch.Tensor) -> int:
        return int(self._entry(tensor).reads.max(initial=0))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = _name_of(func)
        self.calls.append(name)
        if name in _GRADIENT_CALLS and self.autograd_call not in _GRADIENT_CALLS:
            self.autograd_call = name  # what computes a gradient is what to blame
        elif not self.autograd_call:
            if name == "Tensor.requires_grad_":
                self.autograd_call = name
            elif (name == "Tensor.requires_grad" and getattr(func, "__name__", "") == "__set__"
                  and len(args) > 1 and args[1]):
                self.autograd_call = "Tensor.requires_grad = True"
        result = func(*args, **kwargs)
        outputs, _ = tree_flatten(result)
        for output in outputs:
            if isinstance(output, torch.Tensor) and output._base is None:
                if output.numel() > self.largest[0]:
                    self.largest = (output.numel(), tuple(output.shape))
        if not self.grad_maker and name not in _METADATA:
            if any(isinstance(o, torch.Tensor) and o.requires_grad for o in outputs):
                self.grad_maker = (f"{name}(..., requires_grad=True)"
                                   if kwargs.get("requires_grad") else name)
        if self._watched:
            flat_args, _ = tree_flatten((args, kwargs))
            for entry in self._watched:
                if any(a is entry.tensor for a in flat_args):
                    self._record(entry, name, args, result)
        return result

    def _record(self, entry: _Watched, name: str, args: tuple, result: Any) -> None:
        size = entry.tensor.shape[entry.axis]
        if name in _METADATA:
            return
        if name == "Tensor.__getitem__":
            key = args[1] if isinstance(args[1], tuple) else (args[1],)
            part = key[entry.axis] if len(key) > entry.axis else slice(None)
            if isinstance(part, slice):
                indices = range(*part.indices(size))
            elif isinstance(part, int):
                indices = [part % size]
            else:  # indexing with a tensor or a list: one entry per selected index
                if len(key) > 1:  # paired with the other axes: one element per row
                    entry.widest = max(entry.widest, 1)
                    return
                try:
                    indices = [int(i) % size for i in np.asarray(_to_numpy(part)).ravel()]
                except (TypeError, ValueError):
                    indices = range(size)
            entry.reads[list(indices)] += 1
            entry.widest = max(entry.widest, len(indices))
        elif name in _SPLITS:
            pieces = result if isinstance(result, tuple | list) else (result,)
            entry.reads += 1
            across = entry.tensor.numel() // max(size, 1)  # the elements of one column
            for piece in pieces:
                if piece.ndim == entry.tensor.ndim:
                    width = piece.shape[entry.axis]
                else:  # unbind: one column (width 1) or one row (every column)
                    width = 1 if piece.numel() == across else size
                entry.widest = max(entry.widest, width)
        else:
            entry.reads += 1
            entry.widest = max(entry.widest, size)
            entry.whole = entry.whole or name


def guarded(
    candidate: Callable,
    *,
    numpy_only: bool = False,
    no_autograd: bool = False,
    no_grad: bool = False,
    forbidden: Sequence[str] = (),
    chunked: tuple[int, int, int] | None = None,
    one_pass: bool = False,
) -> Callable:
    """Wrap ``candidate`` so that each call is watched and a broken rule raises RuleBroken.

    - ``numpy_only``: no PyTorch call at all, and no tensor returned;
    - ``no_autograd``: no ``backward``, ``torch.autograd.grad``, ``requires_grad_``;
    - ``no_grad``: no tensor that records gradients is made (``torch.no_grad()`` is on),
      so ``.detach()`` at the end is not enough;
    - ``forbidden``: names of PyTorch calls that must not be made (``"binary_cross_entropy"``
      matches ``torch.nn.functional.binary_cross_entropy``);
    - ``chunked=(arg, axis, chunk_arg)``: positional argument ``arg`` may only be read in
      slices of at most ``args[chunk_arg]`` along ``axis`` (never whole);
    - ``one_pass``: with ``chunked``, each index along the axis is read at most once.
    """
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")

    def call(*args, **kwargs):
        watch = TorchWatch()
        if chunked:
            watched, axis, chunk_arg = chunked
            watch.watch(args[watched], axis)
        with watch:
            result = candidate(*args, **kwargs)
        if numpy_only:
            used = sorted(set(watch.calls))
            if used:
                raise RuleBroken(
                    "the exercise asks for NumPy only, but your function called PyTorch ("
                    + ", ".join(used[:3]) + ")"
                )
            if isinstance(result, torch.Tensor):
                raise RuleBroken("the exercise asks for NumPy only: return a NumPy array or a "
                                 "float, not a torch.Tensor")
        if no_autograd and watch.autograd:
            raise RuleBroken(f"the exercise says no autograd, but your function used it "
                             f"({watch.autograd}): write the gradient formula yourself")
        if no_grad and watch.autograd:
            maker = watch.grad_maker or watch.autograd_call
            raise RuleBroken(f"your function recorded gradients ({maker} made a "
                             f"tensor that requires grad): compute inside `with "
                             f"torch.no_grad():`")
        for name in forbidden:
            hit = next((c for c in watch.calls if c.rsplit(".", 1)[-1] == name), "")
            if hit:
                raise RuleBroken(f"the exercise asks you not to call {hit}: write the formula")
        if chunked:
            tensor, chunk_size = args[watched], args[chunk_arg]
            size = tensor.shape[axis]
            if watch.whole(tensor) and size > chunk_size:
                raise RuleBroken(
                    f"your function read all {size} columns at once ({watch.whole(tensor)}), "
                    f"not chunk_size={chunk_size} at a time"
                )
            if watch.widest(tensor) > chunk_size:
                raise RuleBroken(
                    f"your function read a slice of {watch.widest(tensor)} columns, wider than "
                    f"chunk_size={chunk_size}"
                )
            if one_pass and watch.max_reads(tensor) > 1:
                raise RuleBroken(
                    "your function read some columns more than once: the exercise asks for "
                    "one pass over the chunks (rescale the running sums instead)"
                )
        return result

    return call
