"""Checkers for the exercises of notebook 02 (``02_cross_entropy.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, run_cases

__all__ = [
    "check_perplexity",
    "check_kl_divergence",
    "check_cross_entropy_gradient",
    "check_logsumexp",
]


def _tensor(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float64)


def check_perplexity(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(logits, targets)`` returns ``exp(mean cross-entropy)``."""
    rng = np.random.default_rng(2)
    inputs = [
        (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
        (np.zeros((4, 10)), np.array([0, 3, 7, 9])),
        (rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)),
        (np.array([[1000.0, 0.0, -1000.0], [0.0, 20.0, 0.0]]), np.array([0, 2])),
        (np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([0, 1])),
    ]
    cases = [
        Case(
            f"logits=\n{logits}\ntargets={targets}",
            (logits, targets),
            torch.exp(F.cross_entropy(_tensor(logits), torch.as_tensor(targets))).item(),
        )
        for logits, targets in inputs
    ]
    return run_cases(
        "Exercise 1 (perplexity)",
        candidate,
        cases,
        hint="exp of the MEAN over the batch of -log_softmax(logits)[i, targets[i]]; "
        "use the stable log_softmax.",
    )


def check_kl_divergence(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(p, q)`` returns ``sum(p * log(p / q))`` with ``0 log 0 = 0``."""
    pairs = [
        ([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]),
        ([0.4, 0.4, 0.2], [0.5, 0.3, 0.2]),
        ([0.7, 0.2, 0.1], [0.7, 0.2, 0.1]),
        ([1.0, 0.0, 0.0], [0.7, 0.2, 0.1]),
        ([0.0, 0.5, 0.5], [1e-12, 0.5, 0.5 - 1e-12]),
        ([0.25, 0.25, 0.25, 0.25], [0.97, 0.01, 0.01, 0.01]),
    ]
    cases = []
    for p, q in pairs:
        p_array, q_array = np.array(p), np.array(q)
        expected = F.kl_div(_tensor(q_array).log(), _tensor(p_array), reduction="sum").item()
        cases.append(Case(f"p={p}, q={q}", (p_array, q_array), expected))
    return run_cases(
        "Exercise 2 (KL divergence)",
        candidate,
        cases,
        hint="sum p * (log p - log q) over the entries where p > 0 only; KL(p||q) is not "
        "symmetric, keep p first.",
    )


def check_cross_entropy_gradient(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, target_probs)`` returns d(mean loss)/d(logits)."""
    rng = np.random.default_rng(3)
    smoothed = np.full((2, 4), 0.025)
    smoothed[[0, 1], [1, 3]] = 0.925
    inputs = [
        (np.array([[2.0, 1.0, 0.1]]), np.array([[1.0, 0.0, 0.0]])),
        (rng.normal(size=(3, 4)), np.eye(4)[[0, 2, 3]]),
        (rng.normal(size=(2, 4)), smoothed),
        (rng.normal(scale=3.0, size=(5, 3)), rng.dirichlet(np.ones(3), size=5)),
        (np.array([[1e4, -1e4, 0.0], [0.0, 800.0, -800.0]]), np.eye(3)[[1, 0]]),
    ]
    cases = []
    for logits, target_probs in inputs:
        logits_t = _tensor(logits).requires_grad_(True)
        F.cross_entropy(logits_t, _tensor(target_probs)).backward()
        cases.append(
            Case(
                f"logits=\n{logits}\ntarget_probs=\n{np.round(target_probs, 3)}",
                (logits, target_probs),
                logits_t.grad.numpy(),
            )
        )
    return run_cases(
        "Exercise 3 (gradient of the mean cross-entropy)",
        candidate,
        cases,
        hint="(softmax(logits) - target_probs) / N, with a stable softmax over axis=1.",
    )


def check_logsumexp(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(logits, axis)`` returns ``log(sum(exp(logits)))`` along axis."""
    rng = np.random.default_rng(4)
    inputs = [
        (np.array([1.0, 2.0, 3.0]), -1),
        (np.array([1000.0, 1001.0, 1002.0]), -1),
        (np.array([-1e4, -1e4 + 1.0]), -1),
        (rng.normal(scale=50.0, size=(3, 4)), 1),
        (rng.normal(scale=50.0, size=(3, 4)), 0),
        (np.array([[2.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]]), 1),
    ]
    cases = [
        Case(
            f"logits=\n{logits}\naxis={axis}",
            (logits,),
            torch.logsumexp(_tensor(logits), dim=axis).numpy(),
            {"axis": axis},
        )
        for logits, axis in inputs
    ]
    return run_cases(
        "Exercise 4 (logsumexp)",
        candidate,
        cases,
        hint="m + log(sum(exp(x - m))) with m the max along axis (keepdims=True); where m is "
        "-inf, use 0 instead of m in the subtraction.",
    )
