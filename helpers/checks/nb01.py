"""Checkers for the exercises of notebook 01 (``01_softmax.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from helpers.checks.core import Case, Report, compare_arrays, run_cases

__all__ = [
    "check_softmax_with_temperature",
    "check_batch_softmax",
    "check_logits_from_probs",
    "check_masked_softmax",
]


def _torch_softmax(logits: np.ndarray, dim: int = -1) -> np.ndarray:
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float64), dim=dim).numpy()


def check_softmax_with_temperature(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(logits, temperature)`` returns ``softmax(logits / T)``."""
    logits_cases = [
        ([2.0, 1.0, 0.1], 1.0),
        ([2.0, 1.0, 0.1], 0.5),
        ([2.0, 1.0, 0.1], 10.0),
        ([2.0, 1.0, 0.1], 0.01),
        ([1000.0, 1001.0, 1002.0], 1.0),
    ]
    cases = [
        Case(
            f"logits={logits}, temperature={t}",
            (np.array(logits), t),
            _torch_softmax(np.array(logits) / t),
        )
        for logits, t in logits_cases
    ]
    return run_cases(
        "Exercise 1 (softmax with temperature)",
        candidate,
        cases,
        hint="divide the logits by T first, then use the stable softmax (subtract the max).",
    )


def check_batch_softmax(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits)`` applies softmax to each row of an (N, C) array."""
    rng = np.random.default_rng(1)
    batches = [
        np.array([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]]),
        rng.normal(size=(4, 5)),
        np.array([[3.0, -1.0, 0.0, 2.0]]),
        np.array([[1.0], [2.0], [3.0]]),
        np.array([[500.0, 0.0], [-500.0, 0.0]]),
    ]
    cases = [
        Case(f"logits of shape {b.shape}:\n{b}", (b,), _torch_softmax(b, dim=1)) for b in batches
    ]
    return run_cases(
        "Exercise 2 (softmax over each row)",
        candidate,
        cases,
        hint="each row is one sample: take max and sum along axis=1 with keepdims=True.",
    )


def check_logits_from_probs(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(probs)`` returns logits whose softmax gives back ``probs``.

    Any constant shift of the answer is accepted, since softmax ignores it.
    """
    prob_cases = [
        [0.65900114, 0.24243297, 0.09856589],
        [0.25, 0.25, 0.25, 0.25],
        [0.7, 0.2, 0.1],
        [0.999, 0.0005, 0.0005],
    ]
    cases = [Case(f"probs={p}", (np.array(p),), np.array(p)) for p in prob_cases]

    def softmax_of_answer_matches(got, case: Case) -> str:
        logits = np.asarray(got, dtype=np.float64) if got is not None else None
        if logits is None or logits.shape != case.expected.shape:
            return compare_arrays(got, case.expected)
        if not np.isfinite(logits).all():
            return "the logits must all be finite numbers"
        reason = compare_arrays(_torch_softmax(logits), case.expected)
        return reason and "softmax(your logits) does not give back probs"

    return run_cases(
        "Exercise 3 (logits from probabilities)",
        candidate,
        cases,
        hint="softmax(z) = e^z / sum: which z makes e^z proportional to p? (think log)",
        compare=softmax_of_answer_matches,
    )


def check_masked_softmax(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(logits, mask)`` with masked classes at probability 0.

    ``mask`` is a boolean array of the logits' shape, ``True`` where a class is allowed.
    Softmax runs along the last axis; a row with every class masked returns all zeros.
    """
    rng = np.random.default_rng(4)
    inputs = [
        (np.array([[2.0, 1.0, 0.1]]), np.array([[True, False, True]])),
        (rng.normal(size=(3, 4)), np.array([[1, 1, 1, 1], [0, 1, 0, 1], [1, 0, 0, 0]], bool)),
        (np.array([[1000.0, 1001.0, 1002.0]]), np.array([[True, True, False]])),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[True, True], [False, False]])),
    ]
    cases = []
    for logits, mask in inputs:
        masked = torch.as_tensor(logits).masked_fill(~torch.as_tensor(mask), float("-inf"))
        expected = torch.softmax(masked, dim=-1).nan_to_num(0.0).numpy()
        cases.append(Case(f"logits=\n{logits}\nmask=\n{mask}", (logits, mask), expected))
    return run_cases(
        "Exercise 4 (masked softmax)",
        candidate,
        cases,
        hint="set masked logits to -inf before the softmax; a fully masked row needs care.",
    )
