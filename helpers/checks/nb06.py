"""Checkers for the exercises of notebook 06 (``06_calibration.ipynb``).

Expected answers are computed with PyTorch at check time. Each case also knows the
answers that common mistakes give, so a wrong answer is named. Exercise 2 asks for NumPy:
its calls are watched and a PyTorch call fails the check.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, guarded, run_cases

__all__ = [
    "check_mean_confidence_and_accuracy",
    "check_temperature_scaled_nll",
    "check_best_temperature_on_grid",
    "check_brier_score",
]


def _logit_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(6)
    return [
        ("2 samples, 3 classes", np.array([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]]), np.array([0, 2])),
        ("8 samples, 10 classes", rng.normal(scale=3.0, size=(8, 10)), rng.integers(0, 10, 8)),
        ("huge logits (exp overflows: subtract the max)",
         np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]]), np.array([0, 1])),
        ("one sample", np.array([[0.0, 0.0]]), np.array([1])),
        ("a target 750 below the winning class (softmax underflows to 0 there: use a stable "
         "log_softmax, not log(softmax))", np.array([[750.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
         np.array([1, 0])),
    ]


def _nll(logits: np.ndarray, targets: np.ndarray, temperature: float, **kwargs) -> float:
    return F.cross_entropy(torch.from_numpy(logits) / temperature, torch.from_numpy(targets),
                           **kwargs).item()


def check_mean_confidence_and_accuracy(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(probs, targets)`` returns (mean max probability, accuracy)."""
    cases = []
    for name, logits, targets in _logit_cases():
        probs = torch.softmax(torch.from_numpy(logits), dim=1)
        confidence, predicted = probs.max(dim=1)
        right = (predicted == torch.from_numpy(targets)).double()
        mean_confidence, accuracy = confidence.mean().item(), right.mean().item()
        true_class = probs[torch.arange(len(targets)), torch.from_numpy(targets)].mean().item()
        mistakes = (
            ([accuracy, mean_confidence], "you returned (accuracy, confidence): return "
             "(confidence, accuracy)"),
            ([true_class, accuracy], "the confidence is the LARGEST probability of each row, "
             "whatever the target"),
            ([probs.mean().item(), accuracy], "the confidence is each row's max probability, "
             "not the mean of all probabilities"),
            ([mean_confidence, right.sum().item()], "the accuracy is a fraction: divide the "
             "number of right rows by N"),
            ([mean_confidence, 100 * accuracy], "the accuracy is a fraction, not a percentage"),
        )
        cases.append(Case(name, (probs.numpy(), targets),
                          np.array([mean_confidence, accuracy]), mistakes=mistakes))
    return run_cases(
        "Exercise 1 (mean confidence and accuracy)",
        candidate,
        cases,
        hint="confidence = probs.max(axis=1); a prediction is right when argmax == target.",
    )


def check_temperature_scaled_nll(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits, targets, T)`` equals ``F.cross_entropy(logits / T, y)``."""
    cases = []
    for name, logits, targets in _logit_cases():
        for temperature in (1.0, 2.5, 0.1):
            n, c = logits.shape
            log_probs = torch.log_softmax(torch.from_numpy(logits), dim=1)
            picked = log_probs[torch.arange(n), torch.from_numpy(targets)]
            mistakes = [
                (_nll(logits, targets, 1 / temperature), "you multiplied by T: divide the "
                 "logits by the temperature"),
                (_nll(logits, targets, 1.0), "the temperature has no effect in your answer"),
                (-(picked / temperature).mean().item(), "divide the LOGITS by T, before the "
                 "log_softmax"),
                (_nll(logits, targets, temperature, reduction="sum"), "you summed: the NLL is "
                 "the MEAN over the samples"),
                (_nll(logits, targets, temperature) / np.log(2), "log base 2: use the natural "
                 "log"),
            ]
            if c > 1:
                mistakes.append((_nll(logits, (targets + 1) % c, temperature), "you picked a "
                                 "neighbouring class: use log p[i, targets[i]]"))
            cases.append(Case(f"{name}, T={temperature}", (logits, targets, temperature),
                              _nll(logits, targets, temperature), mistakes=tuple(mistakes)))
    return run_cases(
        "Exercise 2 (temperature-scaled NLL)",
        guarded(candidate, numpy_only=True),
        cases,
        hint="divide by T, then log_softmax = z - max - log(sum(exp(z - max))); average -log p.",
    )


def check_best_temperature_on_grid(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets, temperatures)`` returns the NLL-minimising T."""
    rng = np.random.default_rng(60)
    grid = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    cases = []
    for name, scale in [("over-confident logits", 12.0), ("timid logits", 0.3),
                        ("mixed, and one row of logits up to 1000 (exp(1000 / T) overflows)",
                         2.0)]:
        targets = rng.integers(0, 5, 40)
        logits = rng.normal(size=(40, 5))
        logits[np.arange(40), targets] += 1.5  # right most of the time
        logits *= scale
        if name.startswith("mixed"):  # a sure row: its loss is ~0 at every T, if stable
            logits = np.vstack([logits, [1000.0, 0.0, -3.0, 2.0, 1.0]])
            targets = np.append(targets, 0)
        nll = np.array([_nll(logits, targets, t) for t in grid])
        inverse = np.array([_nll(logits, targets, 1 / t) for t in grid])
        best = int(np.argmin(nll))
        with np.errstate(all="ignore"):  # exp without the max: nan where it overflows
            exps = np.exp(logits[None] / grid[:, None, None])
            naive = -np.log(exps[:, np.arange(len(targets)), targets]
                            / exps.sum(axis=2)).mean(axis=1)
        mistakes = [
            (float(grid[int(np.argmax(nll))]), "that T has the HIGHEST NLL: take the argmin"),
            (best, "you returned the index of the best temperature: return the temperature"),
            (float(nll[best]), "you returned the lowest NLL: return its temperature"),
            (float(grid[int(np.argmin(inverse))]), "you multiplied by T: divide the logits by "
             "the temperature"),
        ]
        if best != 0:
            mistakes.append((float(grid[0]), "the accuracy does not change with T: choose by "
                             "the NLL"))
        if np.isnan(naive).any():  # the earlier cases name the mistakes that give this T too
            overflowed = float(grid[int(np.argmin(naive))])
            mistakes = [(overflowed, "your NLL is nan at small T (exp(logits / T) overflowed) "
                         "and np.argmin picks a nan: use the stable NLL of exercise 2")] + [
                m for m in mistakes if m[0] != overflowed]
        cases.append(Case(name, (logits, targets, grid), float(grid[best]),
                          mistakes=tuple(mistakes)))
    return run_cases(
        "Exercise 3 (best temperature on a grid)",
        candidate,
        cases,
        hint="compute the NLL for every temperature (exercise 2) and return the argmin's T.",
    )


def check_brier_score(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(probs, targets)`` is the mean of sum_c (p - one_hot)^2."""
    cases = []
    for name, logits, targets in _logit_cases():
        probs = torch.softmax(torch.from_numpy(logits), dim=1)
        n, c = probs.shape
        one_hot = F.one_hot(torch.from_numpy(targets), c).double()
        squares = (probs - one_hot) ** 2
        mistakes = [
            (squares.mean().item(), "you averaged over the classes too: SUM over the classes, "
             "then average over the samples"),
            (squares.sum().item(), "you summed over the samples: average them (divide by N)"),
            ((squares * one_hot).sum(dim=1).mean().item(), "sum over EVERY class, not only the "
             "true one"),
            ((probs - one_hot).abs().sum(dim=1).mean().item(), "square the differences"),
        ]
        if c > 1:
            shifted = F.one_hot(torch.from_numpy((targets + 1) % c), c).double()
            mistakes.append((((probs - shifted) ** 2).sum(dim=1).mean().item(), "your one-hot "
                             "rows put the 1 on a neighbouring class: use np.eye(C)[targets]"))
        cases.append(Case(name, (probs.numpy(), targets), squares.sum(dim=1).mean().item(),
                          mistakes=tuple(mistakes)))
    return run_cases(
        "Exercise 4 (Brier score)",
        candidate,
        cases,
        hint="build the one-hot targets (np.eye(C)[targets]), sum squares per row, then average.",
    )
