"""Checkers for the exercises of notebook 11 (``11_cross_entropy_across_processes.ipynb``).

The exercises run without processes: each rank is simulated by its own piece of a tensor
(a shard of the vocabulary, or a rank's part of the batch), so a check takes milliseconds.
Every expected answer is computed by PyTorch at check time (``torch.logsumexp``, autograd
through ``F.cross_entropy`` on the whole logits), never typed in; each call hands the
learner's function fresh copies of its tensors. A wrong answer is compared with the
plausible mistakes listed next to each case, and a match names the mistake.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, RuleBroken, compare_arrays, run_cases

__all__ = ["check_merge_shard_statistics", "check_mean_shard_gradient", "check_data_parallel_loss"]


def _require_function(candidate: object) -> None:
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")


def _shards(logits: torch.Tensor, sizes: Sequence[int]) -> list[tuple[int, torch.Tensor]]:
    """``(vocab_start, local_logits)`` of each rank, for column shards of ``sizes``."""
    starts = [sum(sizes[:rank]) for rank in range(len(sizes))]
    return [(start, logits[:, start:start + size]) for start, size in zip(starts, sizes,
                                                                           strict=True)]


def _logits(rows: int, vocab: int, *, seed: int, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return scale * torch.randn(rows, vocab, generator=generator, dtype=torch.float64)


# ---- exercise 1: the global log-sum-exp from each rank's (max, sum of exponentials) -------

def _statistics(logits: torch.Tensor, sizes: Sequence[int]) -> tuple[list, list]:
    """Each rank's row maximum and sum of exp(z - max) over its own columns."""
    maxes, sums = [], []
    for _, local in _shards(logits, sizes):
        if local.shape[1] == 0:  # an empty shard: no class, so max -inf and sum 0
            maxes.append(torch.full((logits.shape[0],), -torch.inf, dtype=logits.dtype))
            sums.append(torch.zeros(logits.shape[0], dtype=logits.dtype))
            continue
        top = local.amax(dim=1)
        maxes.append(top)
        sums.append(torch.exp(local - top[:, None]).sum(dim=1))
    return maxes, sums


def _merged(maxes: list, sums: list, *, shift: str = "max", combine: str = "sum",
            rescale: bool = True) -> torch.Tensor:
    """The merge with one chosen mistake: shift by another number than the global max,
    combine the rescaled sums otherwise than by a sum, or forget to rescale them."""
    stacked_max, stacked_sum = torch.stack(maxes), torch.stack(sums)
    top = stacked_max.amax(dim=0) if shift == "max" else stacked_max.sum(dim=0)
    terms = stacked_sum * torch.exp(stacked_max - top) if rescale else stacked_sum
    total = {"sum": terms.sum(dim=0), "max": terms.amax(dim=0),
             "mean": terms.mean(dim=0)}[combine]
    return top + torch.log(total)


@functools.cache
def _cases_merge_shard_statistics() -> list[Case]:
    settings = [  # (description, rows, shard sizes, logit scale)
        ("2 ranks, 4 + 4 classes", 3, (4, 4), 1.0),
        ("3 ranks, uneven shards 2 + 5 + 3", 4, (2, 5, 3), 1.0),
        ("4 ranks, logits in the thousands", 3, (3, 3, 2, 4), 3000.0),
        ("3 ranks, the middle one holds no class (max -inf, sum 0)", 2, (3, 0, 4), 1.0),
        ("1 rank, all 6 classes", 2, (6,), 1.0),
    ]
    cases = []
    for seed, (description, rows, sizes, scale) in enumerate(settings):
        logits = _logits(rows, sum(sizes), seed=200 + seed, scale=scale)
        maxes, sums = _statistics(logits, sizes)
        stacked_max, stacked_sum = torch.stack(maxes), torch.stack(sums)
        mistakes = (
            (_merged(maxes, sums, rescale=False), "each rank's sum was computed with its own "
             "max: multiply it by exp(m_r - M) before adding (07's merge rule)"),
            (_merged(maxes, sums, shift="sum"), "the maxima were combined by a SUM (an "
             "all-reduce with the wrong op): take their MAX, M = max_r m_r"),
            (_merged(maxes, sums, combine="max"), "the rescaled sums were combined by a "
             "MAX; the exponentials of all classes add up: SUM them"),
            (_merged(maxes, sums, combine="mean"), "the rescaled sums were averaged over the "
             "ranks; the exponentials of all classes add up: SUM them"),
            (torch.logsumexp(stacked_max, dim=0), "that is the log-sum-exp of the maxima "
             "alone; each rank's sum s_r counts its other classes too"),
            (stacked_max.amax(dim=0), "that is the global max M alone; add log of the "
             "rescaled sum"),
            (stacked_max.amax(dim=0) + torch.log(stacked_sum).sum(dim=0), "the logs of the "
             "sums were added (a product of the sums); add the rescaled sums, then log"),
        )
        expected = torch.logsumexp(logits, dim=1)
        mistakes = tuple((w, m) for w, m in mistakes if not torch.allclose(w, expected))
        cases.append(Case(f"{description}, {rows} tokens", (maxes, sums), expected,
                          mistakes=mistakes))
    return cases


def check_merge_shard_statistics(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(maxes, sums)`` = the global log-sum-exp of each token.

    ``maxes[r]`` and ``sums[r]`` are rank ``r``'s ``(N,)`` row maximum ``m_r`` and sum
    ``s_r = sum exp(z - m_r)`` over its own classes; an empty shard has ``m_r = -inf`` and
    ``s_r = 0``. The answer, ``(N,)``, is compared with ``torch.logsumexp`` of the whole
    logits.
    """
    _require_function(candidate)

    def call(maxes, sums):
        return candidate([m.clone() for m in maxes], [s.clone() for s in sums])

    def compare(got, case: Case) -> str:
        if not isinstance(got, torch.Tensor):
            return f"return a torch tensor of shape (N,), got {type(got).__name__}"
        reason = compare_arrays(got, case.expected, rtol=1e-10, atol=1e-10)
        if reason != "values differ":
            return reason
        for wrong, message in case.mistakes:
            if not compare_arrays(got, wrong, rtol=1e-10, atol=1e-10):
                return f"values differ: {message}"
        if not torch.isfinite(got).all():
            return ("values differ: your answer holds inf or nan: exp(m_r) overflows for "
                    "logits in the thousands, so shift by the global max M before any exp "
                    "(and an empty shard's s_r * exp(-inf - M) is 0, not nan)")
        return reason

    return run_cases("Exercise 1 (the global log-sum-exp from each rank's max and sum)", call,
                     _cases_merge_shard_statistics(), compare=compare,
                     hint="M = torch.stack(maxes).amax(0); lse = M + log(sum over r of "
                     "sums[r] * exp(maxes[r] - M)): an all-reduce MAX, then a SUM.")


# ---- exercise 2: one shard's gradient, given the global log-sum-exp ----------------------

def _full_gradient(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int):
    leaf = logits.detach().clone().requires_grad_(True)
    F.cross_entropy(leaf, targets, ignore_index=ignore_index).backward()
    return leaf.grad


def _shard_gradient_with(local, targets, start, lse, ignore_index, *, normaliser="global",
                         one_hot="own", zero_ignored=True, divide="kept", sign=1.0):
    """One shard's gradient written out, with one chosen mistake."""
    rows, width = local.shape
    if normaliser == "global":
        probs = torch.exp(local - lse[:, None])
    else:  # the shard's own softmax
        probs = torch.softmax(local, dim=1) if width else local.clone()
    grad = probs.clone()
    kept = targets != ignore_index
    column = targets - start
    if one_hot == "own":
        mine = kept & (column >= 0) & (column < width)
    elif one_hot == "unshifted":
        column, mine = targets, kept & (targets >= 0) & (targets < width)
    else:  # every rank places a one-hot: the clamped column
        column, mine = column.clamp(0, max(width - 1, 0)), kept & torch.tensor(width > 0)
    rows_with = torch.arange(rows)[mine]
    grad[rows_with, column[mine]] -= 1.0
    grad = sign * grad
    if zero_ignored:
        grad[~kept] = 0.0
    count = {"kept": max(int(kept.sum()), 1), "all": rows, "none": 1}[divide]
    return grad / count


def _gather(function, logits, targets, sizes, ignore_index):
    """Every rank's shard gradient, side by side as one ``(N, V)`` tensor."""
    lse = torch.logsumexp(logits, dim=1)
    parts = [function(local, targets, start, lse, ignore_index)
             for start, local in _shards(logits, sizes)]
    return parts


@functools.cache
def _cases_shard_gradient() -> list[Case]:
    settings = [  # (description, rows, shard sizes, targets, ignore_index, logit scale)
        ("2 ranks, 4 + 4 classes", 4, (4, 4), [1, 6, 4, 3], -100, 1.0),
        ("3 ranks, uneven shards 2 + 5 + 3", 5, (2, 5, 3), [0, 9, 3, 6, 2], -100, 1.0),
        ("2 of 5 tokens ignored (-100)", 5, (3, 4), [2, -100, 5, -100, 0], -100, 1.0),
        ("rank 1 holds no target", 3, (4, 3), [0, 3, 1], -100, 1.0),
        ("ignore_index = 2, a class index", 4, (3, 3), [2, 4, 2, 0], 2, 1.0),
        ("logits in the thousands", 3, (3, 3), [5, 0, 2], -100, 2000.0),
        ("every token ignored (PyTorch: gradient 0)", 2, (3, 3), [-100, -100], -100, 1.0),
    ]
    variants = [
        ({"normaliser": "local"}, "each shard was normalised by its own log-sum-exp; the "
         "softmax of every shard needs the GLOBAL lse (all ranks' classes)"),
        ({"one_hot": "clamped"}, "every rank subtracted a one-hot; only the rank whose "
         "classes hold the target does (vocab_start <= target < vocab_start + V_r)"),
        ({"one_hot": "unshifted"}, "the one-hot went to column `target`; in this shard the "
         "target's column is target - vocab_start"),
        ({"zero_ignored": False}, "rows whose target is ignore_index must get gradient 0"),
        ({"divide": "none"}, "the mean's 1/(number of kept tokens) is missing"),
        ({"divide": "all"}, "divided by all N tokens; the mean is over the kept tokens "
         "(targets != ignore_index)"),
        ({"sign": -1.0}, "wrong sign: the gradient is softmax - one-hot"),
    ]
    cases = []
    for seed, (description, rows, sizes, targets, ignore, scale) in enumerate(settings):
        logits = _logits(rows, sum(sizes), seed=300 + seed, scale=scale)
        targets = torch.tensor(targets)
        expected = _full_gradient(logits, targets, ignore)
        mistakes = []
        for options, message in variants:
            wrong = torch.cat(_gather(functools.partial(_shard_gradient_with, **options),
                                      logits, targets, sizes, ignore), dim=1)
            if not torch.allclose(wrong, expected):
                mistakes.append((wrong, message))
        cases.append(Case(description, (logits, targets, tuple(sizes), ignore), expected,
                          mistakes=tuple(mistakes)))
    return cases


def check_mean_shard_gradient(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(local_logits, targets, vocab_start, lse, ignore_index)`` =
    the gradient of the mean cross-entropy with respect to one rank's logits.

    ``local_logits`` is ``(N, V_r)``, the classes ``vocab_start .. vocab_start + V_r - 1``;
    ``targets`` ``(N,)`` hold global class indices; ``lse`` ``(N,)`` is the global
    log-sum-exp. The check calls it once per rank and compares each shard with the matching
    columns of autograd's gradient of ``F.cross_entropy`` on the whole logits.
    """
    _require_function(candidate)

    def call(logits, targets, sizes, ignore_index):
        lse = torch.logsumexp(logits, dim=1)
        return [candidate(local.clone(), targets.clone(), start, lse.clone(), ignore_index)
                for start, local in _shards(logits, sizes)]

    def compare(got, case: Case) -> str:
        sizes = case.args[2]
        for rank, (part, want) in enumerate(zip(got, case.expected.split(list(sizes), dim=1),
                                                strict=True)):
            if not isinstance(part, torch.Tensor):
                return f"rank {rank}: return a torch tensor, got {type(part).__name__}"
            reason = compare_arrays(part, want, rtol=1e-9, atol=1e-12)
            if reason and reason != "values differ":
                return f"rank {rank}'s shard: {reason}"
        whole = torch.cat(got, dim=1)
        if not compare_arrays(whole, case.expected, rtol=1e-9, atol=1e-12):
            return ""
        for wrong, message in case.mistakes:
            if not compare_arrays(whole, wrong, rtol=1e-9, atol=1e-12):
                return f"values differ: {message}"
        if not torch.isfinite(whole).all():
            return ("values differ: your answer holds nan or inf: with every token ignored "
                    "the count of kept tokens is 0 (PyTorch's gradient is then 0: divide by "
                    "max(count, 1)); and exp(z) alone overflows for logits in the thousands "
                    "(use exp(z - lse))")
        wrong_ranks = [rank for rank, (part, want) in enumerate(zip(
            got, case.expected.split(list(sizes), dim=1), strict=True))
            if compare_arrays(part, want, rtol=1e-9, atol=1e-12)]
        return f"values differ in the shard of rank(s) {wrong_ranks}"

    def shown(got, case: Case):
        if all(isinstance(p, torch.Tensor) for p in got):
            try:
                return "got", torch.cat(got, dim=1)
            except RuntimeError:
                pass
        return "got", got

    return run_cases("Exercise 2 (one shard's gradient, no communication)", call,
                     _cases_shard_gradient(), compare=compare, shown=shown,
                     hint="grad = exp(local_logits - lse[:, None]); subtract 1 at column "
                     "target - vocab_start on the rows whose target falls in this shard; zero "
                     "the ignored rows; divide by max(number of kept tokens, 1).")


# ---- exercise 3: the loss each data-parallel rank backpropagates ------------------------

def _global_mean_loss(logits, targets, total_kept, world_size, ignore_index=-100):
    losses = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum")
    return losses * world_size / max(total_kept, 1)


def _wrong_loss(kind: str):
    def loss(logits, targets, total_kept, world_size, ignore_index=-100):
        summed = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum")
        tokens = len(targets)
        return {
            "mean_of_means": lambda: F.cross_entropy(logits, targets, ignore_index=ignore_index),
            "own_mean_times_world_size": lambda: world_size * F.cross_entropy(
                logits, targets, ignore_index=ignore_index),
            "no_world_size": lambda: summed / total_kept,
            "divided_by_world_size": lambda: summed / (total_kept * world_size),
            "with_padding": lambda: summed * world_size / (tokens * world_size),
            "sum": lambda: summed,
        }[kind]()
    return loss


def _ddp(loss_fn, parts, total_kept, world_size, ignore_index):
    """Each rank's loss and gradient as DDP combines them: both averaged over the ranks."""
    losses, grads = [], []
    for logits, targets in parts:
        leaf = logits.detach().clone().requires_grad_(True)
        loss = loss_fn(leaf, targets.clone(), total_kept, world_size, ignore_index)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or loss.grad_fn is None:
            raise _NotALoss(type(loss).__name__ if not isinstance(loss, torch.Tensor)
                            else f"a tensor of shape {tuple(loss.shape)}"
                            + ("" if loss.grad_fn is not None else " without a graph"))
        loss.backward()
        losses.append(loss.detach())
        grads.append(leaf.grad if leaf.grad is not None else torch.zeros_like(leaf))
    # DDP: gradients all-reduced with SUM, then divided by the world size; so the losses.
    return torch.stack(losses).mean(), torch.cat(grads) / world_size


class _NotALoss(Exception):
    pass


@functools.cache
def _cases_data_parallel_loss() -> list[Case]:
    settings = [  # (description, tokens per rank, targets per rank, ignore_index)
        ("2 ranks, padding 1 and 4 of 6 tokens", 6,
         [[3, 1, 0, 4, 2, -100], [2, 2, -100, -100, -100, -100]], -100),
        ("3 ranks, no padding", 4, [[0, 1, 2, 3], [4, 0, 1, 2], [3, 3, 4, 0]], -100),
        ("4 ranks, uneven padding", 3,
         [[1, -100, -100], [0, 2, 4], [3, -100, 1], [-100, 2, -100]], -100),
        ("2 ranks, rank 1 holds only padding", 4, [[1, 0, 3, 2], [-100] * 4], -100),
        ("2 ranks, ignore_index = 0", 5, [[0, 1, 2, 0, 3], [4, 0, 0, 0, 1]], 0),
    ]
    cases = []
    for seed, (description, tokens, per_rank, ignore) in enumerate(settings):
        world_size = len(per_rank)
        logits = _logits(world_size * tokens, 5, seed=400 + seed)
        targets = torch.tensor(sum(per_rank, []))
        parts = list(zip(logits.split(tokens), targets.split(tokens), strict=True))
        total_kept = int((targets != ignore).sum())
        leaf = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(leaf, targets, ignore_index=ignore)
        loss.backward()
        mistakes = []
        for kind, message in [
                ("mean_of_means", "that is each rank's own mean (the mean of per-rank "
                 "means): a token on a rank with more padding weighs more; divide each "
                 "rank's sum by the GLOBAL count of kept tokens"),
                ("own_mean_times_world_size", "each rank's own mean times world_size: the "
                 "factor undoes DDP's average, but each rank still divides by its own count "
                 "of kept tokens; divide the sum by the GLOBAL count, total_kept"),
                ("no_world_size", "DDP averages the ranks' gradients (divides by the world "
                 "size): multiply by world_size to undo it"),
                ("divided_by_world_size", "divided by world_size; DDP already divides: "
                 "multiply by it instead"),
                ("with_padding", "the count includes the padding; count only the kept "
                 "tokens (targets != ignore_index), over all ranks: total_kept"),
                ("sum", "the sum of the losses, not divided by the number of kept tokens")]:
            try:
                wrong = _ddp(_wrong_loss(kind), parts, total_kept, world_size, ignore)
            except _NotALoss:
                continue
            if not torch.allclose(wrong[1], leaf.grad, equal_nan=True):
                mistakes.append((wrong[1], message))
        cases.append(Case(f"{description}, {total_kept} kept tokens",
                          (parts, total_kept, world_size, ignore), leaf.grad,
                          mistakes=tuple(mistakes)))
    return cases


def check_data_parallel_loss(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets, total_kept, world_size, ignore_index)`` =
    the loss one data-parallel rank backpropagates.

    Each rank holds ``(n, C)`` logits and ``(n,)`` targets (padding marked by
    ``ignore_index``); ``total_kept`` is the count of kept tokens over all ranks (what an
    all-reduce SUM of the ranks' counts gives). The check simulates DDP: it backpropagates
    every rank's loss, averages the gradients and the losses over the ranks, and compares
    them with ``F.cross_entropy`` (mean over kept tokens) of the whole batch in one process.
    """
    _require_function(candidate)

    def call(parts, total_kept, world_size, ignore_index):
        try:
            return _ddp(candidate, parts, total_kept, world_size, ignore_index)
        except _NotALoss as error:
            raise RuleBroken("return a one-element loss tensor that autograd can "
                             f"differentiate, got {error}") from None

    def compare(got, case: Case) -> str:
        loss, grad = got
        reason = compare_arrays(grad, case.expected, rtol=1e-9, atol=1e-12)
        if not reason:
            parts, _, _, ignore_index = case.args
            logits, targets = (torch.cat(x) for x in zip(*parts, strict=True))
            whole = F.cross_entropy(logits, targets, ignore_index=ignore_index)
            reason = compare_arrays(loss, whole, rtol=1e-9, atol=1e-12)
            return (f"the gradients are right, but the ranks' losses averaged are not the "
                    f"mean over kept tokens: {reason}") if reason else ""
        for wrong, message in case.mistakes:
            if not compare_arrays(grad, wrong, rtol=1e-9, atol=1e-12):
                return f"values differ: {message}"
        if not torch.isfinite(grad).all():
            return ("values differ: the gradient holds nan: a rank with only padding has 0 "
                    "kept tokens, and its own mean is 0 / 0; divide by the global count")
        return f"gradient: {reason}"

    def shown(got, case: Case):
        return "gradient", got[1]

    return run_cases("Exercise 3 (the loss of one data-parallel rank)", call,
                     _cases_data_parallel_loss(), compare=compare, shown=shown,
                     hint="F.cross_entropy(logits, targets, ignore_index=ignore_index, "
                     "reduction='sum') * world_size / total_kept.")
