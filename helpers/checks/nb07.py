"""Checkers for the exercises of notebook 07 (``07_softmax_at_scale.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Inputs are
PyTorch tensors; each case hands the learner's function fresh copies, so a function that
modifies its input cannot spoil the next case.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, compare_arrays, run_cases

__all__ = [
    "check_merge_normalizers",
    "check_chunked_logsumexp",
    "check_chunked_cross_entropy_grad",
    "check_online_weighted_sum",
]


def _fresh_copies(candidate: Callable) -> Callable:
    """Call ``candidate`` with clones of its tensor arguments."""
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")

    def call(*args):
        return candidate(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args))

    return call


def _close(rtol: float, atol: float) -> Callable:
    def compare(got, case: Case) -> str:
        return compare_arrays(got, case.expected, rtol=rtol, atol=atol)

    return compare


def _normalizer(chunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row maximum and sum of exp(chunk - maximum), from PyTorch."""
    largest = chunk.amax(dim=1)
    return largest, torch.exp(chunk - largest[:, None]).sum(dim=1)


def check_merge_normalizers(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(max_a, sum_a, max_b, sum_b)`` returns ``(max, sum)`` of both.

    ``max_x`` is a chunk's per-row maximum and ``sum_x`` its per-row sum of
    ``exp(z - max_x)``; the answer is the same pair for the two chunks together.
    """
    generator = torch.Generator().manual_seed(7)
    chunk_pairs = [
        ("ordinary rows", torch.randn(3, 4, generator=generator, dtype=torch.float64),
         torch.randn(3, 5, generator=generator, dtype=torch.float64)),
        ("the second chunk holds the larger maximum",
         torch.tensor([[0.0, 1.0]], dtype=torch.float64),
         torch.tensor([[5.0, 2.0, 3.0]], dtype=torch.float64)),
        ("the first chunk holds the larger maximum",
         torch.tensor([[9.0, -1.0]], dtype=torch.float64),
         torch.tensor([[1.0, 2.0]], dtype=torch.float64)),
        ("maxima 1000 apart (a naive sum overflows)",
         torch.tensor([[1000.0, 999.0], [-1000.0, 0.0]], dtype=torch.float64),
         torch.tensor([[0.0, 1.0], [1000.0, 998.0]], dtype=torch.float64)),
        ("a fully masked first chunk (max -inf, sum 0)",
         torch.tensor([[-math.inf, -math.inf]], dtype=torch.float64),
         torch.tensor([[2.0, 1.0, 0.5]], dtype=torch.float64)),
    ]
    cases = []
    for description, chunk_a, chunk_b in chunk_pairs:
        max_a, sum_a = _normalizer(chunk_a)
        if torch.isneginf(max_a).any():  # a masked chunk's normaliser is (-inf, 0) by definition
            sum_a = torch.where(torch.isneginf(max_a), 0.0, sum_a)
        max_b, sum_b = _normalizer(chunk_b)
        both = torch.cat([chunk_a, chunk_b], dim=1)
        expected = torch.stack(_normalizer(both)).numpy()
        cases.append(Case(description, (max_a, sum_a, max_b, sum_b), expected))

    def pair_matches(got, case: Case) -> str:
        if not isinstance(got, tuple | list) or len(got) != 2:
            return "return a pair (max, sum)"
        merged_max, merged_sum = got
        for label, value, expected in (
            ("max", merged_max, case.expected[0]),
            ("sum", merged_sum, case.expected[1]),
        ):
            reason = compare_arrays(value, expected, rtol=1e-10, atol=1e-12)
            if reason:
                return f"{label}: {reason}"
        return ""

    return run_cases(
        "Exercise 1 (merge two normalisers)",
        _fresh_copies(candidate),
        cases,
        hint="m = maximum(max_a, max_b); rescale each sum to the new max: sum_a * exp(max_a - m).",
        compare=pair_matches,
    )


def check_chunked_logsumexp(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits, chunk_size)`` returns the ``(N,)`` row logsumexp."""
    generator = torch.Generator().manual_seed(8)
    inputs = [
        ("(4, 10) float64, chunk 3 (does not divide 10)",
         torch.randn(4, 10, generator=generator, dtype=torch.float64), 3),
        ("(2, 12) float64, chunk 4",
         torch.randn(2, 12, generator=generator, dtype=torch.float64), 4),
        ("(3, 7) float64, chunk 1", torch.randn(3, 7, generator=generator, dtype=torch.float64), 1),
        ("(3, 5) float64, chunk 64 (larger than C)",
         torch.randn(3, 5, generator=generator, dtype=torch.float64), 64),
        ("(2, 6) float32 logits around +-1e4, chunk 4",
         torch.tensor([[1e4, -1e4, 9999.0, 0.0, 1.0, 9998.0],
                       [-1e4, -9999.0, -1e4, -9998.0, -1e4, -1e4]]), 4),
        ("(2, 5) float64 with masked (-inf) logits, chunk 2",
         torch.tensor([[-math.inf, -math.inf, 1.0, 2.0, -math.inf],
                       [0.5, -math.inf, 0.5, -math.inf, 0.5]], dtype=torch.float64), 2),
    ]
    cases = [
        Case(description, (logits, chunk_size), torch.logsumexp(logits, dim=1).double().numpy())
        for description, logits, chunk_size in inputs
    ]
    return run_cases(
        "Exercise 2 (chunked logsumexp)",
        _fresh_copies(candidate),
        cases,
        hint="loop start = 0, chunk_size, ...: part = torch.logsumexp(logits[:, start:start + "
        "chunk_size], dim=1), then combine parts with torch.logaddexp.",
        compare=_close(rtol=1e-6, atol=1e-9),
    )


def check_chunked_cross_entropy_grad(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets, chunk_size)`` = d mean CE / d logits."""
    generator = torch.Generator().manual_seed(9)
    shapes = [(4, 10, 3), (3, 16, 4), (5, 7, 1), (2, 9, 32)]
    inputs = []
    for rows, classes, chunk_size in shapes:
        logits = torch.randn(rows, classes, generator=generator, dtype=torch.float64)
        targets = torch.randint(0, classes, (rows,), generator=generator)
        inputs.append((f"logits {tuple(logits.shape)}, chunk {chunk_size}", logits, targets,
                       chunk_size))
    extreme = torch.tensor([[500.0, -500.0, 0.0, 499.0], [0.0, 0.0, 0.0, 0.0]],
                           dtype=torch.float64)
    inputs.append(("logits of +-500 and a uniform row, chunk 3", extreme, torch.tensor([1, 2]),
                   3))
    cases = []
    for description, logits, targets, chunk_size in inputs:
        leaf = logits.clone().requires_grad_(True)
        F.cross_entropy(leaf, targets).backward()
        cases.append(Case(
            f"{description}, targets {targets.tolist()}",
            (logits, targets, chunk_size),
            leaf.grad.numpy(),
        ))
    return run_cases(
        "Exercise 3 (chunked cross-entropy gradient)",
        _fresh_copies(candidate),
        cases,
        hint="first the row logsumexp (exercise 2); then each chunk of the gradient is "
        "exp(z - lse) / N; finally subtract 1 / N at each row's target.",
        compare=_close(rtol=1e-7, atol=1e-10),
    )


def check_online_weighted_sum(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(scores, values, chunk_size)`` = softmax(scores) @ values."""
    generator = torch.Generator().manual_seed(10)
    inputs = []
    for rows, classes, dim, chunk_size in [(3, 10, 4, 3), (2, 8, 2, 8), (4, 6, 3, 1),
                                           (2, 5, 2, 16)]:
        scores = torch.randn(rows, classes, generator=generator, dtype=torch.float64)
        values = torch.randn(classes, dim, generator=generator, dtype=torch.float64)
        inputs.append((f"scores {tuple(scores.shape)}, values {tuple(values.shape)}, "
                       f"chunk {chunk_size}", scores, values, chunk_size))
    rising = torch.tensor([[0.0, 100.0, 200.0, 900.0, 1000.0, 1000.5]], dtype=torch.float64)
    inputs.append(("scores rising to 1000 (the maximum grows chunk after chunk), chunk 2",
                   rising, torch.arange(12, dtype=torch.float64).reshape(6, 2), 2))
    cases = [
        Case(description, (scores, values, chunk_size),
             (torch.softmax(scores, dim=1) @ values).numpy())
        for description, scores, values, chunk_size in inputs
    ]
    return run_cases(
        "Exercise 4 (online softmax-weighted sum)",
        _fresh_copies(candidate),
        cases,
        hint="per chunk: new_max; factor = exp(old_max - new_max); weights = exp(chunk - new_max);"
        " total = total * factor + weights.sum(1); acc = acc * factor + weights @ values[chunk].",
        compare=_close(rtol=1e-9, atol=1e-12),
    )

