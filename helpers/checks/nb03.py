"""Checkers for the exercises of notebook 03 (``03_pytorch_cross_entropy_loss.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Each case
also knows the answers that common mistakes give, so a wrong answer is named. The
exercises ask for NumPy only: every call is watched, and a PyTorch call or a use of
``cross_entropy_from_scratch`` fails the check.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import (
    Case,
    Report,
    compare_arrays,
    explain,
    forbidden_names,
    guarded,
    run_cases,
)

__all__ = [
    "check_nll_loss",
    "check_weighted_cross_entropy",
    "check_pixelwise_cross_entropy",
    "check_smoothed_targets",
]

_NO_SCRATCH = [lambda f: forbidden_names(f, ["cross_entropy_from_scratch"]) and
               "the exercise asks you not to call cross_entropy_from_scratch: write it out"]


def _tensor(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float64)


def _long(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.int64)


def _neighbours(loss_of: Callable, targets: np.ndarray, num_classes: int) -> list:
    """The answers that pick a neighbouring class (an off-by-one target)."""
    return [(loss_of((targets + shift) % num_classes), "you picked a neighbouring class: "
             "the loss of sample i uses class targets[i]") for shift in (1, -1)]


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
        log_probs = torch.log_softmax(_tensor(z), dim=1)
        expected = F.nll_loss(log_probs, _long(t)).item()
        picked = log_probs[torch.arange(len(t)), _long(t)]
        mistakes = [
            (-picked.sum().item(), "you summed: the mean divides by N"),
            (picked.mean().item(), "wrong sign: the loss is MINUS the log-probability"),
            (-log_probs[:, _long(t)].mean().item(), "log_probs[:, targets] takes an N x N "
             "block: pick one entry per row with log_probs[np.arange(N), targets]"),
            (-log_probs.mean().item(), "you averaged every entry: pick each row's target"),
            (-picked.exp().mean().item(), "you exponentiated: the inputs are already "
             "log-probabilities"),
            (-log_probs.amax(dim=1).mean().item(), "you picked each row's largest entry: pick "
             "the target's"),
        ]
        mistakes += _neighbours(lambda s, lp=log_probs: F.nll_loss(lp, _long(s)).item(),
                                t, z.shape[1])
        cases.append(Case(f"log_probs=\n{np.round(log_probs.numpy(), 4)}\ntargets={t}",
                          (log_probs.numpy(), t), expected, mistakes=tuple(mistakes)))
    return run_cases(
        "Exercise 1 (NLL loss)",
        guarded(candidate, numpy_only=True),
        cases,
        hint="pick log_probs[i, targets[i]] for every row i (np.arange(N) as row index), "
        "negate, and average.",
        static_rules=_NO_SCRATCH,
        rule_target=candidate,
    )


def check_weighted_cross_entropy(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits, targets, weight)`` equals the weighted 'mean'."""
    rng = np.random.default_rng(32)
    inputs = [
        ("", np.array([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]]), np.array([0, 1]), np.ones(3)),
        ("", np.array([[0.1, 1.0, 2.1], [2.0, 1.0, 0.1], [0.1, 3.0, 0.1]]), np.array([2, 0, 1]),
         np.array([1.0, 1.0, 5.0])),
        ("", rng.normal(size=(6, 4)), np.array([0, 1, 1, 3, 3, 3]),
         np.array([0.5, 2.0, 1.0, 0.2])),
        (" (a class of weight 0)", rng.normal(size=(4, 3)), np.array([0, 1, 2, 2]),
         np.array([0.0, 1.0, 3.0])),
        (" (logits of 1e4, a target 2e4 below the winner: softmax underflows to 0 and "
         "log(softmax) is -inf or clipped; use a stable log_softmax)",
         np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 9999.0]]), np.array([1, 2]),
         np.array([2.0, 1.0, 0.5])),
    ]
    cases = []
    for note, z, t, w in inputs:
        losses = F.cross_entropy(_tensor(z), _long(t), reduction="none")
        weighted = _tensor(w)[_long(t)] * losses
        mistakes = [
            (weighted.mean().item(), "you divided by N: 'mean' with weights divides by "
             "weight[targets].sum()"),
            (weighted.sum().item() / w.sum(), "you divided by the sum of ALL class weights: "
             "divide by weight[targets].sum()"),
            (losses.mean().item(), "your answer ignores the class weights"),
            (weighted.sum().item(), "you summed: divide by weight[targets].sum()"),
        ]
        mistakes += _neighbours(
            lambda s, z=z, w=w: F.cross_entropy(_tensor(z), _long(s), weight=_tensor(w)).item(),
            t, z.shape[1])
        cases.append(Case(f"logits=\n{z}\ntargets={t}, weight={w}{note}", (z, t, w),
                          F.cross_entropy(_tensor(z), _long(t), weight=_tensor(w)).item(),
                          mistakes=tuple(mistakes)))
    return run_cases(
        "Exercise 2 (weighted cross-entropy)",
        guarded(candidate, numpy_only=True),
        cases,
        hint="loss_i = -weight[t_i] * log_softmax(z)[i, t_i]; 'mean' divides their sum by "
        "weight[targets].sum(), not by N.",
        static_rules=_NO_SCRATCH,
        rule_target=candidate,
    )


def check_pixelwise_cross_entropy(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits (N, C, H, W), targets (N, H, W))`` -> (N, H, W)."""
    rng = np.random.default_rng(33)
    shapes = [(1, 3, 2, 2), (2, 4, 3, 5), (3, 2, 1, 4), (2, 5, 4, 4)]
    inputs = [("", rng.normal(scale=3.0, size=s), rng.integers(0, s[1], size=(s[0],) + s[2:]))
              for s in shapes]
    extreme = np.full((1, 3, 2, 2), -1e4)
    extreme[0, 1] = 1e4
    inputs.append((" (logits of 1e4, most targets NOT the winning class: use a stable "
                   "log_softmax, not log(softmax))", extreme, np.array([[[0, 1], [2, 1]]])))
    cases = []
    for note, z, t in inputs:
        c = z.shape[1]
        last = torch.log_softmax(_tensor(z), dim=-1)
        flat = torch.log_softmax(_tensor(z).reshape(-1, c), dim=1)
        mistakes = [
            (-last.gather(1, _long(t)[:, None])[:, 0].numpy(),
             "your log_softmax normalised the last axis: the classes are on axis 1"),
            (-flat[torch.arange(t.size), _long(t).ravel()].reshape(t.shape).numpy(),
             "reshape(-1, C) mixes classes and pixels (the classes are on axis 1): move them "
             "last first (np.moveaxis) or work along axis=1"),
        ]
        cases.append(Case(f"logits of shape {z.shape}, targets of shape {t.shape}{note}",
                          (z, t), F.cross_entropy(_tensor(z), _long(t), reduction="none").numpy(),
                          mistakes=tuple(mistakes)))

    def compare(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        if reason.startswith("expected shape"):
            n, c, h, w = case.args[0].shape
            if np.ndim(got) == 0:
                return f"{reason}: return one loss per pixel (like reduction='none')"
            if np.shape(got) == (n, 1, h, w):
                return f"{reason}: drop the class axis of the picked values ([:, 0])"
        if reason == "values differ" and not compare_arrays(-np.asarray(got), case.expected):
            return "wrong sign: the loss is MINUS the log-probability"
        return explain(got, case, reason)

    return run_cases(
        "Exercise 3 (per-pixel cross-entropy)",
        guarded(candidate, numpy_only=True),
        cases,
        hint="the classes are on axis 1: log_softmax over axis=1, then pick the target class "
        "with np.take_along_axis(log_probs, targets[:, None], axis=1).",
        compare=compare,
        static_rules=_NO_SCRATCH,
        rule_target=candidate,
    )


def check_smoothed_targets(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(targets, num_classes, eps)`` returns PyTorch's smoothed targets.

    The verdict comes from PyTorch's own ``label_smoothing``: for ``C + 1`` random logit
    matrices, the per-sample losses with the candidate's targets must equal
    ``F.cross_entropy(logits, targets, label_smoothing=eps, reduction="none")``. The loss is
    linear in the target, so this pins every row down. The comparison is made at the
    precision of the answer's dtype (float32 answers are held to float32 precision).
    """
    rng = np.random.default_rng(34)
    inputs = [(np.array([0, 2, 1]), 3, 0.1), (np.array([1]), 2, 0.0), (np.array([3, 0]), 4, 1.0),
              (rng.integers(0, 10, size=6), 10, 0.25)]
    cases = []
    for targets, num_classes, eps in inputs:
        one_hot = np.eye(num_classes)[targets]
        expected = (1 - eps) * one_hot + eps / num_classes
        others = (1 - eps) * one_hot + eps / (num_classes - 1) * (1 - one_hot)
        mistakes = (
            (others, "you spread eps over the C - 1 OTHER classes: PyTorch gives eps / C to "
             "every class, the true one included"),
            (one_hot + eps / num_classes, "the true class gets 1 - eps + eps / C (you kept 1)"),
            ((1 - eps) * one_hot + eps / num_classes * (1 - one_hot), "the true class gets "
             "1 - eps + eps / C: every class, the true one included, gets eps / C"),
            (one_hot, "the label smoothing has no effect in your answer"),
            ((1 - eps) * one_hot, "every class, the true one included, also gets eps / C"),
            ((1 - eps) * np.roll(one_hot, 1, axis=1) + eps / num_classes,
             "you put the mass on a neighbouring class: the true class is targets[i]"),
            ((1 - eps) * np.roll(one_hot, -1, axis=1) + eps / num_classes,
             "you put the mass on a neighbouring class: the true class is targets[i]"),
        )
        cases.append(Case(f"targets={targets}, num_classes={num_classes}, label_smoothing={eps}",
                          (targets, num_classes, eps), expected, mistakes=mistakes))

    def same_losses_as_label_smoothing(got, case: Case) -> str:
        if got is None or np.shape(got) != case.expected.shape:
            return compare_arrays(got, case.expected)  # explains the wrong shape or None
        targets, num_classes, eps = case.args
        dtype = np.dtype(getattr(got, "dtype", np.float64))
        rtol = 1e-9 if dtype == np.float64 else 10 * float(np.finfo(np.float32).eps)
        probs = _tensor(np.asarray(got, dtype=np.float64))
        for _ in range(num_classes + 1):
            logits = _tensor(rng.normal(scale=2.0, size=(len(targets), num_classes)))
            ours = F.cross_entropy(logits, probs, reduction="none")
            theirs = F.cross_entropy(
                logits, _long(targets), label_smoothing=eps, reduction="none"
            )
            if not torch.allclose(ours, theirs, rtol=rtol, atol=1e-12):
                reason = explain(got, case, "values differ", rtol=rtol)
                if reason != "values differ":
                    return reason
                if dtype != np.float64 and not compare_arrays(got, case.expected, rtol=1e-3):
                    return f"your {dtype} targets are too coarse: compute them in float64"
                return "values differ: the loss with your targets is not label_smoothing's"
        return ""

    return run_cases(
        "Exercise 4 (smoothed targets)",
        guarded(candidate, numpy_only=True),
        cases,
        hint="(1 - eps) * one_hot + eps / C: every class, the true one included, gets eps / C.",
        compare=same_losses_as_label_smoothing,
        static_rules=_NO_SCRATCH,
        rule_target=candidate,
    )
