"""Checkers for the exercises of notebook 03 (``03_pytorch_cross_entropy_loss.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, compare_arrays, run_cases

__all__ = [
    "check_nll_loss",
    "check_weighted_cross_entropy",
    "check_pixelwise_cross_entropy",
    "check_smoothed_targets",
]


def _tensor(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float64)


def _long(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.int64)


def check_nll_loss(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(log_probs, targets)`` equals ``F.nll_loss`` (mean)."""
    rng = np.random.default_rng(31)
    logits = [
        np.array([[2.0, 1.0, 0.1]]),
        np.array([[0.1, 1.0, 2.1], [2.0, 1.0, 0.1], [0.1, 3.0, 0.1]]),
        rng.normal(size=(5, 4)),
        np.array([[0.0, 800.0], [-50.0, 50.0]]),
    ]
    targets = [np.array([0]), np.array([2, 0, 1]), rng.integers(0, 4, size=5), np.array([0, 0])]
    cases = []
    for z, t in zip(logits, targets, strict=True):
        log_probs = torch.log_softmax(_tensor(z), dim=1).numpy()
        expected = F.nll_loss(_tensor(log_probs), _long(t)).item()
        cases.append(Case(f"log_probs=\n{np.round(log_probs, 4)}\ntargets={t}",
                          (log_probs, t), expected))
    return run_cases(
        "Exercise 1 (NLL loss)",
        candidate,
        cases,
        hint="pick log_probs[i, targets[i]] for every row i (np.arange(N) as row index), "
        "negate, and average.",
    )


def check_weighted_cross_entropy(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits, targets, weight)`` equals the weighted 'mean'."""
    rng = np.random.default_rng(32)
    inputs = [
        (np.array([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]]), np.array([0, 1]), np.ones(3)),
        (np.array([[0.1, 1.0, 2.1], [2.0, 1.0, 0.1], [0.1, 3.0, 0.1]]), np.array([2, 0, 1]),
         np.array([1.0, 1.0, 5.0])),
        (rng.normal(size=(6, 4)), np.array([0, 1, 1, 3, 3, 3]), np.array([0.5, 2.0, 1.0, 0.2])),
        (rng.normal(size=(4, 3)), np.array([0, 1, 2, 2]), np.array([0.0, 1.0, 3.0])),
        (np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 9999.0]]), np.array([1, 2]),
         np.array([2.0, 1.0, 0.5])),
    ]
    cases = [
        Case(
            f"logits=\n{z}\ntargets={t}, weight={w}",
            (z, t, w),
            F.cross_entropy(_tensor(z), _long(t), weight=_tensor(w)).item(),
        )
        for z, t, w in inputs
    ]
    return run_cases(
        "Exercise 2 (weighted cross-entropy)",
        candidate,
        cases,
        hint="loss_i = -weight[t_i] * log_softmax(z)[i, t_i]; 'mean' divides their sum by "
        "weight[targets].sum(), not by N.",
    )


def check_pixelwise_cross_entropy(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits (N, C, H, W), targets (N, H, W))`` -> (N, H, W)."""
    rng = np.random.default_rng(33)
    shapes = [(1, 3, 2, 2), (2, 4, 3, 5), (3, 2, 1, 4), (2, 5, 4, 4)]
    inputs = [(rng.normal(scale=3.0, size=s), rng.integers(0, s[1], size=(s[0],) + s[2:]))
              for s in shapes]
    extreme = np.full((1, 3, 2, 2), -1e4)
    extreme[0, 1] = 1e4
    inputs.append((extreme, np.array([[[0, 1], [2, 1]]])))
    cases = [
        Case(
            f"logits of shape {z.shape}, targets of shape {t.shape}",
            (z, t),
            F.cross_entropy(_tensor(z), _long(t), reduction="none").numpy(),
        )
        for z, t in inputs
    ]
    return run_cases(
        "Exercise 3 (per-pixel cross-entropy)",
        candidate,
        cases,
        hint="the classes are on axis 1: log_softmax over axis=1, then pick the target class "
        "with np.take_along_axis(log_probs, targets[:, None], axis=1).",
    )


def check_smoothed_targets(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(targets, num_classes, eps)`` returns PyTorch's smoothed targets.

    The verdict comes from PyTorch's own ``label_smoothing``: for ``C + 1`` random logit
    matrices, the per-sample losses with the candidate's targets must equal
    ``F.cross_entropy(logits, targets, label_smoothing=eps, reduction="none")``. The loss is
    linear in the target, so this pins every row down. The expected array is shown to the
    learner when the answer is wrong.
    """
    rng = np.random.default_rng(34)
    inputs = [(np.array([0, 2, 1]), 3, 0.1), (np.array([1]), 2, 0.0), (np.array([3, 0]), 4, 1.0),
              (rng.integers(0, 10, size=6), 10, 0.25)]
    cases = []
    for targets, num_classes, eps in inputs:
        one_hot = F.one_hot(_long(targets), num_classes).double()
        expected = ((1 - eps) * one_hot + eps / num_classes).numpy()
        cases.append(Case(f"targets={targets}, num_classes={num_classes}, label_smoothing={eps}",
                          (targets, num_classes, eps), expected))

    def same_losses_as_label_smoothing(got, case: Case) -> str:
        if got is None or np.shape(got) != case.expected.shape:
            return compare_arrays(got, case.expected)  # explains the wrong shape or None
        targets, num_classes, eps = case.args
        probs = _tensor(np.asarray(got, dtype=np.float64))
        for _ in range(num_classes + 1):
            logits = _tensor(rng.normal(scale=2.0, size=(len(targets), num_classes)))
            ours = F.cross_entropy(logits, probs, reduction="none")
            theirs = F.cross_entropy(
                logits, _long(targets), label_smoothing=eps, reduction="none"
            )
            if not torch.allclose(ours, theirs, rtol=1e-9, atol=1e-12):
                return "values differ: the loss with your targets is not label_smoothing's"
        return ""

    return run_cases(
        "Exercise 4 (smoothed targets)",
        candidate,
        cases,
        hint="(1 - eps) * one_hot + eps / C: every class, the true one included, gets eps / C.",
        compare=same_losses_as_label_smoothing,
    )
