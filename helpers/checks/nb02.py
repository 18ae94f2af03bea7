"""Checkers for the exercises of notebook 02 (``02_cross_entropy.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Each case
also knows the answers that common mistakes give, so a wrong answer is named.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, compare_arrays, explain, guarded, run_cases

__all__ = [
    "check_perplexity",
    "check_kl_divergence",
    "check_cross_entropy_gradient",
    "check_logsumexp",
]


def _tensor(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float64)


def _losses(logits: np.ndarray, targets: np.ndarray) -> torch.Tensor:
    return F.cross_entropy(_tensor(logits), torch.as_tensor(targets), reduction="none")


def check_perplexity(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(logits, targets)`` returns ``exp(mean cross-entropy)``."""
    rng = np.random.default_rng(2)
    inputs = [
        ("", np.array([[2.0, 1.0, 0.1]]), np.array([0])),
        ("", np.zeros((4, 10)), np.array([0, 3, 7, 9])),
        ("", rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)),
        (" (logits of 1000: exp overflows, use the stable log_softmax)",
         np.array([[1000.0, 0.0, -1000.0], [0.0, 20.0, 0.0]]), np.array([0, 2])),
        ("", np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([0, 1])),
        (" (a target 750 below the winning class: softmax underflows to 0 there, so "
         "log(softmax) is -inf or clipped; take log_softmax directly)",
         np.array([[750.0, 0.0, 1.0], [0.0, 0.0, 0.0]]), np.array([1, 0])),
    ]
    cases = []
    for note, logits, targets in inputs:
        losses = _losses(logits, targets)
        n, c = logits.shape
        by_axis_0 = -torch.log_softmax(_tensor(logits), dim=0)[torch.arange(n), targets]
        mistakes = [
            (losses.mean().item(), "that is the mean cross-entropy: perplexity is its exp"),
            (torch.exp(losses.sum()).item(), "you summed the losses: perplexity is exp of the "
             "MEAN loss (divide by N)"),
            (torch.exp(losses).mean().item(), "you averaged per-sample perplexities: take exp "
             "of the mean loss, not the mean of the exps"),
            (torch.exp(losses.mean() / np.log(2)).item(), "you mixed log base 2 with exp: use "
             "the natural log throughout"),
            ((2 ** losses.mean()).item(), "2 ** (mean loss) needs the loss in bits (log base "
             "2); with the natural log, perplexity is exp(mean loss)"),
            (torch.exp(by_axis_0.mean()).item(), "your log_softmax normalised each column "
             "(axis=0): normalise each row (axis=1)"),
            (torch.exp(-torch.log_softmax(_tensor(logits), 1)[:, targets].mean()).item(),
             "log_probs[:, targets] takes an N x N block: pick one entry per row with "
             "log_probs[np.arange(N), targets]"),
        ]
        if c > 1:
            for shift in (1, -1):
                shifted = _losses(logits, (targets + shift) % c)
                mistakes.append((torch.exp(shifted.mean()).item(), "you picked a neighbouring "
                                 "class: the loss of row i is -log p[i, targets[i]]"))
        cases.append(Case(f"logits=\n{logits}\ntargets={targets}{note}", (logits, targets),
                          torch.exp(losses.mean()).item(), mistakes=tuple(mistakes)))
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
        ([0.5, 0.3, 0.2], [0.4, 0.4, 0.2], ""),
        ([0.4, 0.4, 0.2], [0.5, 0.3, 0.2], ""),
        ([0.7, 0.2, 0.1], [0.7, 0.2, 0.1], ""),
        ([1.0, 0.0, 0.0], [0.7, 0.2, 0.1], " (p has zeros: 0 log 0 counts as 0)"),
        ([0.0, 0.5, 0.5], [1e-12, 0.5, 0.5 - 1e-12], " (p has a zero)"),
        ([0.25, 0.25, 0.25, 0.25], [0.97, 0.03, 1e-300, 1e-300],
         " (q is 1e-300 where p is not: KL is large, with no epsilon)"),
    ]
    cases = []
    for p, q, note in pairs:
        p_t, q_t = _tensor(p), _tensor(q)
        kl = F.kl_div(q_t.log(), p_t, reduction="sum").item()
        cross = -(p_t * q_t.log()).sum().item()
        mistakes = (
            (F.kl_div(p_t.log(), q_t, reduction="sum").item(), "you computed KL(q || p): "
             "KL is not symmetric, p comes first: sum p * log(p / q)"),
            (-kl, "wrong sign: sum p * log(p / q), not log(q / p)"),
            (kl / np.log(2), "log base 2: use the natural log"),
            (cross, "that is the cross-entropy H(p, q); KL subtracts the entropy: "
             "sum p * (log p - log q)"),
            (kl / len(p), "you averaged over the classes: KL is a sum"),
        )
        cases.append(Case(f"p={p}, q={q}{note}", (np.array(p), np.array(q)), kl,
                          mistakes=mistakes))

    def compare(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        p, q = case.args
        try:
            value = float(np.asarray(got, dtype=np.float64))
        except (TypeError, ValueError):
            value = None
        if reason == "values differ" and value is not None:
            if np.isnan(value) and (p == 0).any():
                return ("your answer is nan: where p is 0, p * log(p / q) is 0 * (-inf) = nan "
                        "in floating point; use the convention 0 * ln 0 = 0 (sum only where "
                        "p > 0)")
            explained = explain(got, case, reason)
            if explained == reason and ((p > 0) & (q < 1e-100)).any() and value < case.expected:
                return ("KL is large here: q is 1e-300 where p is not; an epsilon added to q "
                        "(or a clip) changes log q: take it as it is")
            return explained
        return explain(got, case, reason)

    return run_cases(
        "Exercise 2 (KL divergence)",
        candidate,
        cases,
        hint="sum p * (log p - log q) over the entries where p > 0 only; KL(p||q) is not "
        "symmetric, keep p first.",
        compare=compare,
    )


def check_cross_entropy_gradient(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, target_probs)`` returns d(mean loss)/d(logits).

    No autograd: the call is watched, and ``backward``, ``torch.autograd.grad`` or any
    tensor that requires grad fails the case.
    """
    rng = np.random.default_rng(3)
    smoothed = np.full((2, 4), 0.025)
    smoothed[[0, 1], [1, 3]] = 0.925
    inputs = [
        ("", np.array([[2.0, 1.0, 0.1]]), np.array([[1.0, 0.0, 0.0]])),
        ("", rng.normal(size=(3, 4)), np.eye(4)[[0, 2, 3]]),
        (" (smoothed targets, not one-hot)", rng.normal(size=(2, 4)), smoothed),
        (" (targets drawn at random, not one-hot)", rng.normal(scale=3.0, size=(5, 3)),
         rng.dirichlet(np.ones(3), size=5)),
        (" (logits of 1e4: use a stable softmax)",
         np.array([[1e4, -1e4, 0.0], [0.0, 800.0, -800.0]]), np.eye(3)[[1, 0]]),
    ]
    cases = []
    for note, logits, target_probs in inputs:
        logits_t = _tensor(logits).requires_grad_(True)
        F.cross_entropy(logits_t, _tensor(target_probs)).backward()
        n, c = logits.shape
        probs = torch.softmax(_tensor(logits), dim=1)
        one_hot = np.eye(c)[target_probs.argmax(axis=1)]
        mistakes = (
            (logits_t.grad.numpy() * n, "you forgot the 1/N of the mean: divide by N"),
            (-logits_t.grad.numpy(), "wrong sign: softmax(logits) - target_probs"),
            ((probs.numpy() - target_probs) / c, "you divided by C (classes): divide by N "
             "(rows)"),
            ((torch.softmax(_tensor(logits), dim=0).numpy() - target_probs) / n,
             "your softmax normalised each column (axis=0): normalise each row (axis=1)"),
            ((torch.sigmoid(_tensor(logits)).numpy() - target_probs) / n,
             "that uses the sigmoid of each logit: the gradient needs the softmax"),
            ((probs.numpy() - one_hot) / n, "the targets are probabilities, not necessarily "
             "one-hot: use target_probs as they are"),
        )
        cases.append(Case(f"logits=\n{logits}\ntarget_probs=\n{np.round(target_probs, 3)}"
                          f"{note}", (logits, target_probs), logits_t.grad.numpy(),
                          mistakes=mistakes))
    return run_cases(
        "Exercise 3 (gradient of the mean cross-entropy)",
        guarded(candidate, no_autograd=True),
        cases,
        hint="(softmax(logits) - target_probs) / N, with a stable softmax over axis=1.",
    )


def check_logsumexp(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(logits, axis)`` returns ``log(sum(exp(logits)))`` along axis."""
    rng = np.random.default_rng(4)
    inputs = [
        ("", np.array([1.0, 2.0, 3.0]), -1),
        (" (exp(1000) overflows: subtract the max)", np.array([1000.0, 1001.0, 1002.0]), -1),
        ("", np.array([-1e4, -1e4 + 1.0]), -1),
        ("", rng.normal(scale=50.0, size=(3, 4)), 1),
        (" (axis=0: reduce along the axis you are given)",
         rng.normal(scale=50.0, size=(3, 4)), 0),
        (" (rows of very different scale: one max per row, not one for the whole array)",
         np.array([[1000.0, 1001.0, 999.0], [0.0, 1.0, 2.0]]), 1),
        (" (a row that is all -inf must give -inf, not nan)",
         np.array([[2.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]]), 1),
    ]
    cases = []
    for note, logits, axis in inputs:
        z = _tensor(logits)
        expected = torch.logsumexp(z, dim=axis)
        largest = z.amax(dim=axis)
        mistakes = [
            ((expected - largest).numpy(), "you forgot to add the max back: m + log(sum(exp(x "
             "- m)))"),
            ((expected / np.log(2)).numpy(), "log base 2: use the natural log"),
        ]
        if logits.ndim == 2:
            with np.errstate(all="ignore"):
                top = logits.max()
                global_shift = top + np.log(np.exp(logits - top).sum(axis=axis))
            mistakes.append((global_shift, "you subtracted one max for the whole array: take "
                             "the max along axis (one max per row)"))
        cases.append(Case(f"logits=\n{logits}\naxis={axis}{note}", (logits,), expected.numpy(),
                          {"axis": axis}, tuple(mistakes)))

    def compare(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        logits, axis = case.args[0], case.kwargs["axis"]
        if reason.startswith("expected shape") and logits.ndim == 2:
            other = logits.shape[axis]  # the length of the result along the other axis
            if np.shape(got) == (other,):
                return f"{reason}: you reduced along the other axis; use axis={axis}"
            if np.shape(got) in ((), (1,)) or np.ndim(got) == 2:
                return f"{reason}: reduce along axis={axis} only and drop that axis"
        return explain(got, case, reason)

    return run_cases(
        "Exercise 4 (logsumexp)",
        candidate,
        cases,
        hint="m + log(sum(exp(x - m))) with m the max along axis (keepdims=True); where m is "
        "-inf, use 0 instead of m in the subtraction.",
        compare=compare,
    )
