"""Checkers for the exercises of notebook 07 (``07_softmax_at_scale.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Inputs are
PyTorch tensors; each case hands the learner's function fresh copies, so a function that
modifies its input cannot spoil the next case. Each case also knows the answers that
common mistakes give, so a wrong answer is named. The calls are watched
(:class:`~helpers.checks.core.TorchWatch`): exercises 2 to 4 must read the logits at most
``chunk_size`` columns at a time, exercise 3 must not use autograd, and exercise 4 must
read each column once (one pass).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, compare_arrays, explain, guarded, run_cases

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
        reason = compare_arrays(got, case.expected, rtol=rtol, atol=atol)
        return explain(got, case, reason, rtol=rtol, atol=atol)

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
        merged_max, merged_sum = _normalizer(both)
        with torch.no_grad():
            mistakes = (
                (torch.stack([merged_max, sum_a + sum_b]), "sum: the two sums are relative to "
                 "different maxima: rescale each by exp(its max - the merged max)"),
                (torch.stack([merged_max, sum_a + sum_b * torch.exp(max_b - merged_max)]),
                 "sum: rescale BOTH sums to the merged max, not only the second"),
                (torch.stack([merged_max, sum_a * torch.exp(merged_max - max_a)
                              + sum_b * torch.exp(merged_max - max_b)]),
                 "sum: the factors are exp(old max - merged max), at most 1: you flipped them"),
                (torch.stack([max_a + max_b, merged_sum]), "max: the merged maximum is "
                 "torch.maximum(max_a, max_b)"),
                (torch.stack([merged_max, sum_a + sum_b * torch.exp(max_b - max_a)]),
                 "sum: you assumed chunk a holds the larger maximum: compare them"),
                (torch.stack([merged_max, torch.log(merged_sum)]), "sum: return the sum of "
                 "exps itself, not its log"),
            )
        cases.append(Case(description, (max_a, sum_a, max_b, sum_b),
                          torch.stack([merged_max, merged_sum]).numpy(), mistakes=mistakes))

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
                if reason == "values differ":
                    try:
                        both = torch.stack([torch.as_tensor(v, dtype=torch.float64)
                                            for v in (merged_max, merged_sum)])
                    except (TypeError, RuntimeError, ValueError):
                        return f"{label}: {reason}"
                    explained = explain(both, case, reason, rtol=1e-10, atol=1e-12)
                    if explained != reason:
                        return explained
                return f"{label}: {reason}"
        return ""

    return run_cases(
        "Exercise 1 (merge two normalisers)",
        _fresh_copies(candidate),
        cases,
        hint="m = maximum(max_a, max_b); rescale each sum to the new max: sum_a * exp(max_a - m).",
        compare=pair_matches,
    )


def _chunks(width: int, chunk_size: int) -> list[slice]:
    return [slice(start, start + chunk_size) for start in range(0, width, chunk_size)]


def check_chunked_logsumexp(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(logits, chunk_size)`` returns the ``(N,)`` row logsumexp.

    Watched: the logits may be read only in slices of at most ``chunk_size`` columns.
    """
    generator = torch.Generator().manual_seed(8)
    inputs = [
        ("(4, 10) float64, chunk 3 (does not divide 10: the last chunk is narrower)",
         torch.randn(4, 10, generator=generator, dtype=torch.float64), 3),
        ("(2, 12) float64, chunk 4",
         torch.randn(2, 12, generator=generator, dtype=torch.float64), 4),
        ("(3, 7) float64, chunk 1", torch.randn(3, 7, generator=generator, dtype=torch.float64), 1),
        ("(3, 5) float64, chunk 64 (larger than C)",
         torch.randn(3, 5, generator=generator, dtype=torch.float64), 64),
        ("(2, 6) float32 logits around +-1e4, chunk 4 (exp overflows: keep the max out)",
         torch.tensor([[1e4, -1e4, 9999.0, 0.0, 1.0, 9998.0],
                       [-1e4, -9999.0, -1e4, -9998.0, -1e4, -1e4]]), 4),
        ("(2, 5) float64 with masked (-inf) logits, chunk 2 (a chunk that is all -inf has "
         "max -inf: -inf - (-inf) is nan)",
         torch.tensor([[-math.inf, -math.inf, 1.0, 2.0, -math.inf],
                       [0.5, -math.inf, 0.5, -math.inf, 0.5]], dtype=torch.float64), 2),
    ]
    cases = []
    for description, logits, chunk_size in inputs:
        z = logits.double()
        parts = torch.stack([torch.logsumexp(z[:, c], dim=1)
                             for c in _chunks(z.shape[1], chunk_size)])
        full = [c for c in _chunks(z.shape[1], chunk_size) if c.stop <= z.shape[1]]
        mistakes = [
            (parts.sum(dim=0), "you added the chunks' logsumexps: merge them with "
             "torch.logaddexp (the log of a SUM of exps)"),
            (parts.amax(dim=0), "the largest chunk logsumexp is not the merge: combine them "
             "with torch.logaddexp"),
            (parts.mean(dim=0), "you averaged the chunks' logsumexps: combine them with "
             "torch.logaddexp"),
        ]
        if full and len(full) < len(parts):
            mistakes.append((torch.logsumexp(z[:, :full[-1].stop], dim=1), "you dropped the "
                             "last, narrower chunk"))
        cases.append(Case(description, (logits, chunk_size),
                          torch.logsumexp(logits, dim=1).double().numpy(),
                          mistakes=tuple(mistakes)))
    return run_cases(
        "Exercise 2 (chunked logsumexp)",
        _fresh_copies(guarded(candidate, chunked=(0, 1, 1))),
        cases,
        hint="loop start = 0, chunk_size, ...: part = torch.logsumexp(logits[:, start:start + "
        "chunk_size], dim=1), then combine parts with torch.logaddexp.",
        compare=_close(rtol=1e-6, atol=1e-9),
    )


def check_chunked_cross_entropy_grad(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets, chunk_size)`` = d mean CE / d logits.

    Watched: no autograd, and the logits read only in slices of at most ``chunk_size``
    columns (so no full softmax).
    """
    generator = torch.Generator().manual_seed(9)
    shapes = [(4, 10, 3), (3, 16, 4), (5, 7, 1), (2, 9, 32)]
    inputs = []
    for rows, classes, chunk_size in shapes:
        logits = torch.randn(rows, classes, generator=generator, dtype=torch.float64)
        targets = torch.randint(0, classes, (rows,), generator=generator)
        inputs.append((f"logits {tuple(logits.shape)}, chunk {chunk_size}", logits, targets,
                       chunk_size))
    extreme = torch.tensor([[1000.0, -1000.0, 0.0, 999.0], [0.0, 0.0, 0.0, 0.0]],
                           dtype=torch.float64)
    inputs.append(("logits of +-1000 (exp overflows: keep the max out of the logsumexp) and a "
                   "uniform row, chunk 3", extreme, torch.tensor([1, 2]), 3))
    cases = []
    for description, logits, targets, chunk_size in inputs:
        leaf = logits.clone().requires_grad_(True)
        F.cross_entropy(leaf, targets).backward()
        n, c = logits.shape
        probs = torch.softmax(logits, dim=1)
        one_hot = F.one_hot(targets, c).double()
        per_chunk = torch.cat([torch.softmax(logits[:, s], dim=1)
                               for s in _chunks(c, chunk_size)], dim=1)
        mistakes = [
            ((per_chunk - one_hot) / n, "each chunk was normalised on its own: use the WHOLE "
             "row's logsumexp (exercise 2) in every chunk"),
            (probs - one_hot, "you forgot the 1/N of the mean: divide by N"),
            (probs / n, "subtract 1/N at each row's target"),
            (probs / n - one_hot, "subtract 1/N at the target, not 1"),
            ((one_hot - probs) / n, "wrong sign: (softmax - one_hot) / N"),
        ]
        for shift in (1, -1):
            neighbour = F.one_hot((targets + shift) % c, c).double()
            mistakes.append(((probs - neighbour) / n, "you subtracted at a neighbouring "
                             "class: the target of row i is targets[i]"))
        naive_lse = torch.log(torch.exp(logits).sum(dim=1, keepdim=True))
        if torch.isinf(naive_lse).any():
            mistakes.append(((torch.exp(logits - naive_lse) - one_hot) / n, "your logsumexp "
                             "overflowed (exp(1000) is inf), so every exp(z - lse) came out 0: "
                             "keep the max out of it (exercise 2)"))
        cases.append(Case(
            f"{description}, targets {targets.tolist()}",
            (logits, targets, chunk_size),
            leaf.grad.numpy(),
            mistakes=tuple(mistakes),
        ))
    return run_cases(
        "Exercise 3 (chunked cross-entropy gradient)",
        _fresh_copies(guarded(candidate, no_autograd=True, chunked=(0, 1, 2))),
        cases,
        hint="first the row logsumexp (exercise 2); then each chunk of the gradient is "
        "exp(z - lse) / N; finally subtract 1 / N at each row's target.",
        compare=_close(rtol=1e-7, atol=1e-10),
    )


def _online(scores: torch.Tensor, values: torch.Tensor, chunk_size: int, *,
            rescale_total: bool = True, rescale_values: bool = True) -> torch.Tensor:
    """The online weighted sum, with the rescalings that a learner may forget switchable."""
    rows = scores.shape[0]
    running_max = torch.full((rows, 1), -math.inf, dtype=scores.dtype)
    total = torch.zeros(rows, 1, dtype=scores.dtype)
    accumulator = torch.zeros(rows, values.shape[1], dtype=scores.dtype)
    for part in _chunks(scores.shape[1], chunk_size):
        chunk = scores[:, part]
        new_max = torch.maximum(running_max, chunk.amax(dim=1, keepdim=True))
        factor = torch.exp(running_max - new_max)
        weights = torch.exp(chunk - new_max)
        total = (total * factor if rescale_total else total) + weights.sum(1, keepdim=True)
        accumulator = (accumulator * factor if rescale_values else accumulator) \
            + weights @ values[part]
        running_max = new_max
    return accumulator / total


def check_online_weighted_sum(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(scores, values, chunk_size)`` = softmax(scores) @ values.

    Watched: the scores may be read only in slices of at most ``chunk_size`` columns, each
    column once (one pass).
    """
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
    cases = []
    for description, scores, values, chunk_size in inputs:
        per_chunk = sum(torch.softmax(scores[:, part], dim=1) @ values[part]
                        for part in _chunks(scores.shape[1], chunk_size))
        mistakes = (
            (_online(scores, values, chunk_size, rescale_values=False), "you rescaled the "
             "running sum but not the weighted sum of values: both use the same factor"),
            (_online(scores, values, chunk_size, rescale_total=False), "you rescaled the "
             "weighted sum of values but not the running sum: both use the same factor"),
            (per_chunk, "each chunk was normalised on its own: keep running sums and divide "
             "once at the end"),
        )
        cases.append(Case(description, (scores, values, chunk_size),
                          (torch.softmax(scores, dim=1) @ values).numpy(), mistakes=mistakes))
    return run_cases(
        "Exercise 4 (online softmax-weighted sum)",
        _fresh_copies(guarded(candidate, chunked=(0, 1, 2), one_pass=True)),
        cases,
        hint="per chunk: new_max; factor = exp(old_max - new_max); weights = exp(chunk - new_max);"
        " total = total * factor + weights.sum(1); acc = acc * factor + weights @ values[chunk].",
        compare=_close(rtol=1e-9, atol=1e-12),
    )
