"""Checkers for the exercises of notebook 01 (``01_softmax.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Each case
also knows the answers that common mistakes give, so a wrong answer is named.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from helpers.checks.core import Case, Report, compare_arrays, explain, python_loops, run_cases

__all__ = [
    "check_softmax_with_temperature",
    "check_batch_softmax",
    "check_logits_from_probs",
    "check_masked_softmax",
]


def _torch_softmax(logits: np.ndarray, dim: int = -1) -> np.ndarray:
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float64), dim=dim).numpy()


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return torch.sigmoid(torch.as_tensor(logits, dtype=torch.float64)).numpy()


def _shifted_softmax(logits: np.ndarray, shift) -> np.ndarray:
    """exp(logits - shift) / row sums, as a mistaken 'stable' softmax computes it."""
    with np.errstate(all="ignore"):
        exps = np.exp(logits - shift)
        return exps / exps.sum(axis=-1, keepdims=True)


def _probabilities(axis: int) -> Callable:
    """Compare, then say so when the answer's slices along ``axis`` do not sum to 1."""

    def compare(got, case: Case) -> str:
        reason = explain(got, case, compare_arrays(got, case.expected))
        if reason == "values differ":
            sums = np.asarray(got, dtype=np.float64).sum(axis=axis)
            expected_sums = np.asarray(case.expected).sum(axis=axis)
            if np.isfinite(sums).all() and not np.allclose(sums, expected_sums):
                where = "each row" if axis in (1, -1) and np.ndim(got) == 2 else "the answer"
                return f"values differ: {where} must sum to 1 (divide by the sum of the exps)"
        return reason

    return compare


def check_softmax_with_temperature(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(logits, temperature)`` returns ``softmax(logits / T)``."""
    logits_cases = [
        ([2.0, 1.0, 0.1], 1.0, ""),
        ([2.0, 1.0, 0.1], 0.5, ""),
        ([2.0, 1.0, 0.1], 10.0, ""),
        ([2.0, 1.0, 0.1], 0.01, " (logits / T up to 200)"),
        ([1000.0, 1001.0, 1002.0], 1.0, " (exp(1000) overflows: subtract the max)"),
        ([-1000.0, 0.0, 1000.0], 1.0,
         " (logits 2000 apart: subtracting anything but the max overflows exp)"),
    ]
    cases = []
    for logits, t, note in logits_cases:
        z = np.array(logits)
        mistakes = (
            (_torch_softmax(z * t), "you multiplied by the temperature: divide the logits by T"),
            (_torch_softmax(z), "the temperature has no effect in your answer: use z / T"),
            (_sigmoid(z / t), "that is the sigmoid of each logit; softmax divides each exp by "
             "the sum over all classes"),
            (torch.log_softmax(torch.as_tensor(z / t), dim=-1).numpy(),
             "those are log-probabilities: return probabilities"),
        )
        cases.append(Case(f"logits={logits}, temperature={t}{note}", (z, t),
                          _torch_softmax(z / t), mistakes=mistakes))
    return run_cases(
        "Exercise 1 (softmax with temperature)",
        candidate,
        cases,
        hint="divide the logits by T first, then use the stable softmax (subtract the max).",
        compare=_probabilities(axis=-1),
    )


def check_batch_softmax(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits)`` applies softmax to each row of an (N, C) array.

    The exercise forbids a Python loop: the function's bytecode must have none.
    """
    rng = np.random.default_rng(1)
    batches = [
        ("", np.array([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]])),
        ("", rng.normal(size=(4, 5))),
        ("", np.array([[3.0, -1.0, 0.0, 2.0]])),
        ("", np.array([[1.0], [2.0], [3.0]])),
        (" (logits of 800: exp overflows above 709.78, subtract each row's max)",
         np.array([[800.0, 0.0], [-800.0, 0.0]])),
        (" (rows of very different scale: one max per row, not one for the whole array)",
         np.array([[1000.0, 1001.0], [0.0, 1.0]])),
    ]
    cases = []
    for note, b in batches:
        mistakes = (
            (_torch_softmax(b, dim=0), "you normalised each column (axis=0): each ROW is one "
             "sample, reduce along axis=1"),
            (_sigmoid(b), "that is the sigmoid of each logit; softmax divides each exp by the "
             "sum over its row"),
            (_shifted_softmax(b, b.max()), "you subtracted one max for the whole array: "
             "subtract each row's own max (one max per row)"),
        )
        mistakes += ((_shifted_softmax(b, b.max(axis=0)), "you subtracted the max of each "
                      "column (axis=0): subtract each row's max (one max per row)"),)
        cases.append(Case(f"logits of shape {b.shape}{note}:\n{b}", (b,),
                          _torch_softmax(b, dim=1), mistakes=mistakes))
    return run_cases(
        "Exercise 2 (softmax over each row)",
        candidate,
        cases,
        hint="each row is one sample: take max and sum along axis=1 with keepdims=True.",
        compare=_probabilities(axis=1),
        static_rules=[lambda f: python_loops(f) and
                      f"the exercise asks for no Python loop, but your function has "
                      f"{python_loops(f)}: use NumPy's axis= arguments"],
    )


def _centred(values: np.ndarray) -> np.ndarray:
    return values - values.mean()


def check_logits_from_probs(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(probs)`` returns logits whose softmax gives back ``probs``.

    Any constant shift of the answer is accepted, since softmax ignores it. When the answer
    is wrong, the check shows softmax(answer) next to ``probs``, which are comparable.
    """
    prob_cases = [
        [0.65900114, 0.24243297, 0.09856589],
        [0.25, 0.25, 0.25, 0.25],
        [0.7, 0.2, 0.1],
        [0.999, 0.0005, 0.0005, 1e-30],
    ]
    cases = [Case(f"probs={p}" + (" (a probability of 1e-30: no epsilon, no clip)"
                                  if min(p) < 1e-20 else ""), (np.array(p),), np.array(p))
             for p in prob_cases]

    def softmax_of_answer_matches(got, case: Case) -> str:
        try:
            logits = np.asarray(got, dtype=np.float64) if got is not None else None
        except (TypeError, ValueError):
            logits = None
        if logits is None or logits.shape != case.expected.shape:
            return compare_arrays(got, case.expected)
        if not np.isfinite(logits).all():
            return "the logits must all be finite numbers"
        probs = _torch_softmax(logits)
        tiny = case.expected < 1e-6  # held to a relative tolerance (float32 logits pass)
        tiny_right = not compare_arrays(probs[tiny], case.expected[tiny], rtol=1e-3, atol=0.0)
        if tiny_right and not compare_arrays(probs, case.expected):
            return ""
        if not tiny_right and not compare_arrays(probs[~tiny], case.expected[~tiny], rtol=1e-5):
            return ("softmax(your logits) gives back probs except the tiny ones: an epsilon "
                    "added to probs (or a clip) before the log changes a probability of "
                    f"{case.expected[tiny].min():.0e}; take np.log(probs) as it is")
        log_p = _centred(np.log(case.expected))
        for factor, message in ((np.log(2), "log base 2"), (np.log(10), "log base 10")):
            if np.allclose(_centred(logits * factor), log_p):
                return f"you took the {message}: softmax uses e, so take the natural log"
        if np.allclose(_centred(-logits), log_p):
            return "your logits have the wrong sign"
        return "softmax(your logits) does not give back probs"

    def softmax_of_answer(got, case: Case):
        try:
            logits = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return "got", got
        if logits.shape != case.expected.shape or not np.isfinite(logits).all():
            return "got", got
        return "softmax(your logits)", _torch_softmax(logits)

    return run_cases(
        "Exercise 3 (logits from probabilities)",
        candidate,
        cases,
        hint="softmax(z) = e^z / sum: which z makes e^z proportional to p? (think log)",
        compare=softmax_of_answer_matches,
        shown=softmax_of_answer,
    )


def check_masked_softmax(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(logits, mask)`` with masked classes at probability 0.

    ``mask`` is a boolean array of the logits' shape, ``True`` where a class is allowed.
    Softmax runs along the last axis; a row with every class masked returns all zeros.
    """
    rng = np.random.default_rng(4)
    inputs = [
        ("", np.array([[2.0, 1.0, 0.1]]), np.array([[True, False, True]])),
        ("", rng.normal(size=(3, 4)), np.array([[1, 1, 1, 1], [0, 1, 0, 1], [1, 0, 0, 0]], bool)),
        ("", np.array([[1000.0, 1001.0, 1002.0]]), np.array([[True, True, False]])),
        (" (a masked class 1000 above the allowed ones: mask BEFORE the softmax)",
         np.array([[0.0, 1.0, 1000.0]]), np.array([[True, True, False]])),
        (" (rows of very different scale: one max per row)",
         np.array([[1000.0, 1001.0], [0.0, 1.0]]), np.array([[True, True], [True, True]])),
        (" (the second row has every class masked: all zeros, not nan)",
         np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[True, True], [False, False]])),
    ]
    cases = []
    for note, logits, mask in inputs:
        z, allowed = torch.as_tensor(logits), torch.as_tensor(mask)
        expected = torch.softmax(z.masked_fill(~allowed, -torch.inf), dim=-1).nan_to_num(0.0)
        mistakes = (
            ((torch.softmax(z, dim=-1) * allowed).numpy(), "you zeroed the masked classes AFTER "
             "the softmax, so the allowed ones do not sum to 1: set masked logits to -inf first"),
            (torch.softmax(z.masked_fill(~allowed, -1e9), dim=-1).numpy(),
             "a row with every class masked must be all zeros, not uniform"),
            (torch.softmax(z.masked_fill(allowed, -torch.inf), dim=-1).nan_to_num(0.0).numpy(),
             "you masked the allowed classes: True means allowed"),
            (torch.softmax(z.masked_fill(~allowed, 0.0), dim=-1).numpy(),
             "a masked logit of 0 still gets probability: use -inf"),
            (np.nan_to_num(_shifted_softmax(np.where(mask, logits, -np.inf),
                                            logits[mask].max())),
             "you subtracted one max for the whole array: subtract each row's own max "
             "(one max per row)"),
        )
        cases.append(Case(f"logits=\n{logits}\nmask=\n{mask}{note}", (logits, mask),
                          expected.numpy(), mistakes=mistakes))
    return run_cases(
        "Exercise 4 (masked softmax)",
        candidate,
        cases,
        hint="set masked logits to -inf before the softmax; a fully masked row needs care.",
    )
