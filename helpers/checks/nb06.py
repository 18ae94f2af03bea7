"""Checkers for the exercises of notebook 06 (``06_calibration.ipynb``).

Expected answers are computed with PyTorch at check time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, run_cases

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
        ("huge logits", np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]]), np.array([0, 1])),
        ("one sample", np.array([[0.0, 0.0]]), np.array([1])),
    ]


def check_mean_confidence_and_accuracy(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(probs, targets)`` returns (mean max probability, accuracy)."""
    cases = []
    for name, logits, targets in _logit_cases():
        probs = torch.softmax(torch.from_numpy(logits), dim=1)
        confidence, predicted = probs.max(dim=1)
        expected = np.array(
            [confidence.mean().item(), (predicted == torch.from_numpy(targets)).double().mean()]
        )
        cases.append(Case(name, (probs.numpy(), targets), expected))
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
            expected = F.cross_entropy(
                torch.from_numpy(logits) / temperature, torch.from_numpy(targets)
            ).item()
            cases.append(Case(f"{name}, T={temperature}", (logits, targets, temperature), expected))
    return run_cases(
        "Exercise 2 (temperature-scaled NLL)",
        candidate,
        cases,
        hint="divide by T, then log_softmax = z - max - log(sum(exp(z - max))); average -log p.",
    )


def check_best_temperature_on_grid(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets, temperatures)`` returns the NLL-minimising T."""
    rng = np.random.default_rng(60)
    grid = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    cases = []
    for name, scale in [("over-confident logits", 12.0), ("timid logits", 0.3), ("mixed", 2.0)]:
        targets = rng.integers(0, 5, 40)
        logits = rng.normal(size=(40, 5))
        logits[np.arange(40), targets] += 1.5  # right most of the time
        logits *= scale
        nll = [
            F.cross_entropy(torch.from_numpy(logits) / t, torch.from_numpy(targets)).item()
            for t in grid
        ]
        cases.append(Case(name, (logits, targets, grid), float(grid[int(np.argmin(nll))])))
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
        one_hot = F.one_hot(torch.from_numpy(targets), probs.shape[1]).double()
        expected = ((probs - one_hot) ** 2).sum(dim=1).mean().item()
        cases.append(Case(name, (probs.numpy(), targets), expected))
    return run_cases(
        "Exercise 4 (Brier score)",
        candidate,
        cases,
        hint="build the one-hot targets (np.eye(C)[targets]), sum squares per row, then average.",
    )
