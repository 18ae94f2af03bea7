"""Checkers for the exercises of notebook 11 (``11_cross_entropy_across_processes.ipynb``).

The exercises run without processes: each rank is simulated by its own piece of a tensor
(a shard of the vocabulary, or a rank's part of the batch), so a check takes milliseconds.
Every expected answer is computed by PyTorch at check time (``torch.logsumexp``, autograd
through ``F.cross_entropy`` on the whole logits), never typed in; each call hands the
learner's function fresh copies of its tensors, and an answer that changes them in place is
refused. A wrong answer is compared with the plausible mistakes listed next to each case,
and a match names the mistake; an answer no mistake explains is told where its largest
difference lies and how large it is, and whether its dtype is below the inputs' float64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

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


# ---- verdicts shared by the three checks ----------------------------------------------

_EXACT = {"rtol": 1e-9, "atol": 1e-12}  # float64 answers computed another way agree to this
_SINGLE = {"rtol": 1e-4, "atol": 1e-6}  # what float32 rounding alone can explain


def _dtype_problem(dtype: torch.dtype, what: str = "answer") -> str:
    """``""`` for float64 (the inputs' dtype), else the sentence that says so."""
    if dtype == torch.float64:
        return ""
    name = str(dtype).removeprefix("torch.")
    return f"your {what} is {name}; the inputs are float64: compute in their dtype"


def _named_mistake(got: torch.Tensor, mistakes: Sequence, tolerance: dict) -> str:
    """The message of the first catalogued mistake that gives ``got``, else ``""``."""
    for wrong, message in mistakes:
        if not compare_arrays(got, wrong, **tolerance):
            return message
    return ""


def _largest_difference(got: torch.Tensor, expected: torch.Tensor,
                        where: Callable[[tuple[int, ...]], str]) -> str:
    """Where the answer is farthest from the right one, how far, and both values (all
    digits: a float32 answer and the float64 one print alike at 6 digits)."""
    difference = (got.detach().to(torch.float64) - expected).abs()
    difference = torch.nan_to_num(difference, nan=torch.inf)
    position = tuple(int(i) for i in torch.unravel_index(difference.argmax(), difference.shape))
    return (f"the largest difference, {float(difference[position]):.3g}, is at "
            f"{where(position)}: expected {float(expected[position])!r}, "
            f"got {float(got[position])!r}")


def _unexplained(got: torch.Tensor, expected: torch.Tensor, mistakes: Sequence, *,
                 where: Callable[[tuple[int, ...]], str], what: str = "answer",
                 dtype: torch.dtype | None = None, differ: str = "values differ") -> str:
    """The verdict for values that differ from the right ones and match no catalogued
    mistake: a lower precision than the inputs' said first (with the mistake it also makes,
    if catalogued), and where the largest difference is and how large."""
    located = _largest_difference(got, expected, where)
    precision = _dtype_problem(dtype or got.dtype, what)
    if not precision:
        return f"{differ}: {located}"
    if not compare_arrays(got, expected, **_SINGLE):
        return f"{differ} only by rounding: {precision} ({located})"
    mistake = _named_mistake(got, mistakes, _SINGLE)
    return f"{differ}: {mistake or located}; and {precision}"


def _changed(name: str, given: Sequence[torch.Tensor], now: Sequence[torch.Tensor]) -> str:
    """``""`` if the tensors handed over (``now``, after the call) still equal what they
    were (``given``), else which one the learner's function changed in place."""
    if len(given) != len(now):
        return f"your function changed the list {name} (its length): compute on a copy"
    for index, (before, after) in enumerate(zip(given, now, strict=True)):
        if not (isinstance(after, torch.Tensor) and after.dtype == before.dtype
                and torch.equal(before, after.detach())):
            where = f" ({name}[{index}])" if len(given) > 1 else ""
            return (f"your function changed {name} in place{where}: the caller still needs "
                    f"its values; compute on a copy (an out-of-place operation, or .clone())")
    return ""


def _refuse_changes(handed: dict[str, tuple[Sequence, Sequence]]) -> None:
    """Raise :class:`RuleBroken` if any tensor handed to the learner was changed."""
    for name, (given, now) in handed.items():
        problem = _changed(name, given, now)
        if problem:
            raise RuleBroken(problem)


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
    logits; the lists handed over must come back unchanged.
    """
    _require_function(candidate)

    def call(maxes, sums):
        handed = {"maxes": (maxes, [m.clone() for m in maxes]),
                  "sums": (sums, [s.clone() for s in sums])}
        got = candidate(handed["maxes"][1], handed["sums"][1])
        _refuse_changes(handed)
        return got

    return run_cases("Exercise 1 (the global log-sum-exp from each rank's max and sum)", call,
                     _cases_merge_shard_statistics(), compare=_compare_merge,
                     hint="each rank's sum s_r was measured against its own max m_r, so the "
                     "sums cannot be added as they are: first bring every one to one common "
                     "reference. Which reference keeps every exp from overflowing, and which "
                     "all-reduce op gives it to every rank? Once rescaled, how do the "
                     "exponentials of different classes combine?")


def _compare_merge(got, case: Case) -> str:
    """Exercise 1's verdict on one case: a catalogued mistake, an overflow, or where."""
    if not isinstance(got, torch.Tensor):
        return f"return a torch tensor of shape (N,), got {type(got).__name__}"
    tolerance = {"rtol": 1e-10, "atol": 1e-10}
    reason = compare_arrays(got, case.expected, **tolerance)
    if reason != "values differ":
        return reason
    mistake = _named_mistake(got, case.mistakes, tolerance)
    if mistake:
        return f"values differ: {mistake}"
    if not torch.isfinite(got).all():
        return ("values differ: your answer holds inf or nan: exp(m_r) overflows for "
                "logits in the thousands, so shift by the global max M before any exp "
                "(and an empty shard's s_r * exp(-inf - M) is 0, not nan)")
    return _unexplained(got, case.expected, case.mistakes,
                        where=lambda position: f"token {position[0]}")


# ---- exercise 2: one shard's gradient, given the global log-sum-exp ----------------------

def _full_gradient(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int):
    leaf = logits.detach().clone().requires_grad_(True)
    F.cross_entropy(leaf, targets, ignore_index=ignore_index).backward()
    return leaf.grad


def _shard_gradient_with(local, targets, start, lse, ignore_index, *, normaliser="global",
                         one_hot="own", offset=0, ignored=None, zero_ignored=True,
                         divide="kept", sign=1.0):
    """One shard's gradient written out, with one chosen mistake: ``offset`` moves the
    one-hot by a column (``one_hot="own"`` chooses the rows by the moved column,
    ``"own rows"`` by the right one, the moved column wrapping round as Python's negative
    indices do), ``ignored`` is the value that marks padding when not ``ignore_index``."""
    rows, width = local.shape
    if normaliser == "global":
        probs = torch.exp(local - lse[:, None])
    else:  # the shard's own softmax
        probs = torch.softmax(local, dim=1) if width else local.clone()
    grad = probs.clone()
    kept = targets != (ignore_index if ignored is None else ignored)
    column = targets - start
    if one_hot == "own":
        column = column + offset
        mine = kept & (column >= 0) & (column < width)
    elif one_hot == "own rows":  # the rows are right, the column is moved
        mine = kept & (column >= 0) & (column < width) & (column + offset < width)
        column = (column + offset) % max(width, 1)
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


_OFF_BY_ONE = ("the one-hot is one column off: in this shard the target's column is exactly "
               "target - vocab_start (no + 1 or - 1), and the target belongs here when "
               "vocab_start <= target < vocab_start + V_r (strictly less)")


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
    ] + [({"one_hot": rows, "offset": offset}, _OFF_BY_ONE)
         for rows in ("own", "own rows") for offset in (1, -1)]
    cases = []
    for seed, (description, rows, sizes, targets, ignore, scale) in enumerate(settings):
        logits = _logits(rows, sum(sizes), seed=300 + seed, scale=scale)
        targets = torch.tensor(targets)
        expected = _full_gradient(logits, targets, ignore)
        hard_coded = ({"ignored": -100}, f"the ignored rows were found by comparing with "
                      f"-100; here ignore_index = {ignore}: compare with the ignore_index "
                      f"argument")
        mistakes = []
        for options, message in [*variants, hard_coded]:
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
    columns of autograd's gradient of ``F.cross_entropy`` on the whole logits; the tensors
    handed over must come back unchanged.
    """
    _require_function(candidate)

    def call(logits, targets, sizes, ignore_index):
        lse = torch.logsumexp(logits, dim=1)
        return [_one_rank(candidate, local, targets, start, lse, ignore_index)
                for start, local in _shards(logits, sizes)]

    def shown(got, case: Case):
        if all(isinstance(p, torch.Tensor) for p in got):
            try:
                return "got", torch.cat(got, dim=1)
            except RuntimeError:
                pass
        return "got", got

    return run_cases("Exercise 2 (one shard's gradient, no communication)", call,
                     _cases_shard_gradient(), compare=_compare_shard_gradient, shown=shown,
                     hint="ask which part of the gradient of the mean needs the other ranks "
                     "(it is already in lse) and which part only one rank holds (the "
                     "target's class lives in one shard: at which of its columns?); which "
                     "rows get no gradient at all; and what the mean divides by, even when "
                     "that count is 0.")


def _one_rank(candidate, local, targets, start, lse, ignore_index):
    """Call ``candidate`` as one rank would; refuse changed inputs, and name a one-hot
    placed outside the shard (an IndexError) instead of only quoting the error."""
    handed = {"local_logits": ([local], [local.clone()]),
              "targets": ([targets], [targets.clone()]), "lse": ([lse], [lse.clone()])}
    try:
        got = candidate(handed["local_logits"][1][0], handed["targets"][1][0], start,
                        handed["lse"][1][0], ignore_index)
    except IndexError as error:
        raise RuleBroken(
            f"raised IndexError ({error}): a one-hot went to a column outside this shard "
            f"(rank with vocab_start = {start} has V_r = {local.shape[1]} columns, 0 .. "
            f"{local.shape[1] - 1}): the target's column is target - vocab_start, and the "
            f"target belongs here only when vocab_start <= target < vocab_start + V_r "
            f"(strictly less)") from None
    _refuse_changes(handed)
    return got


def _compare_shard_gradient(got, case: Case) -> str:
    """Exercise 2's verdict on one case: shapes rank by rank, then the whole gradient."""
    sizes = case.args[2]
    wanted = case.expected.split(list(sizes), dim=1)
    for rank, (part, want) in enumerate(zip(got, wanted, strict=True)):
        if not isinstance(part, torch.Tensor):
            return f"rank {rank}: return a torch tensor, got {type(part).__name__}"
        reason = compare_arrays(part, want, **_EXACT)
        if reason and reason != "values differ":
            return f"rank {rank}'s shard: {reason}"
    whole = torch.cat([part.to(torch.float64) for part in got], dim=1)
    if not compare_arrays(whole, case.expected, **_EXACT):
        dtype = _lowest_dtype(got)
        return _dtype_problem(dtype) and f"values agree, but {_dtype_problem(dtype)}"
    mistake = _named_mistake(whole, case.mistakes, _EXACT)
    if mistake:
        return f"values differ: {mistake}"
    if not torch.isfinite(whole).all():
        return ("values differ: your answer holds nan or inf: with every token ignored "
                "the count of kept tokens is 0 (PyTorch's gradient is then 0: divide by "
                "max(count, 1)); and exp(z) alone overflows for logits in the thousands "
                "(use exp(z - lse))")
    wrong_ranks = [rank for rank, (part, want) in enumerate(zip(got, wanted, strict=True))
                   if compare_arrays(part, want, **_EXACT)]
    starts = [sum(sizes[:rank]) for rank in range(len(sizes))]

    def where(position):
        row, column = position
        rank = max(r for r, begin in enumerate(starts) if begin <= column and sizes[r])
        return f"token {row}, class {column} (rank {rank}'s column {column - starts[rank]})"

    return _unexplained(whole, case.expected, case.mistakes, where=where,
                        dtype=_lowest_dtype(got), differ=f"values differ in the shard of "
                        f"rank(s) {', '.join(map(str, wrong_ranks))}")


def _lowest_dtype(parts: Sequence[torch.Tensor]) -> torch.dtype:
    """The first dtype among ``parts`` that is not float64, else float64."""
    return next((p.dtype for p in parts if p.dtype != torch.float64), torch.float64)


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
            "hard_coded_ignore": lambda: F.cross_entropy(logits, targets, reduction="sum")
            * world_size / max(total_kept, 1),
            "minus": lambda: -summed * world_size / max(total_kept, 1),
        }[kind]()
    return loss


class _Averaged(NamedTuple):
    """What DDP makes of the ranks' losses: their mean, the averaged gradient, and each
    rank's own loss (a nan on one rank shows there)."""

    loss: torch.Tensor
    grad: torch.Tensor
    losses: tuple


def _ddp(loss_fn, parts, total_kept, world_size, ignore_index) -> _Averaged:
    """Each rank's loss and gradient as DDP combines them: both averaged over the ranks.
    The tensors handed to ``loss_fn`` must come back unchanged."""
    losses, grads = [], []
    for logits, targets in parts:
        leaf = logits.detach().clone().requires_grad_(True)
        handed = {"logits": ([logits], [leaf]), "targets": ([targets], [targets.clone()])}
        loss = loss_fn(leaf, handed["targets"][1][0], total_kept, world_size, ignore_index)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or loss.grad_fn is None:
            raise _NotALoss(type(loss).__name__ if not isinstance(loss, torch.Tensor)
                            else f"a tensor of shape {tuple(loss.shape)}"
                            + ("" if loss.grad_fn is not None else " without a graph"))
        loss.backward()
        _refuse_changes(handed)
        losses.append(loss.detach().reshape(()))
        grads.append(leaf.grad if leaf.grad is not None else torch.zeros_like(leaf))
    # DDP: gradients all-reduced with SUM, then divided by the world size; so the losses.
    return _Averaged(torch.stack([x.to(torch.float64) for x in losses]).mean(),
                     torch.cat(grads) / world_size, tuple(losses))


class _NotALoss(Exception):
    pass


_DATA_PARALLEL_MISTAKES = [
    ("mean_of_means", "that is each rank's own mean (the mean of per-rank means): a token on "
     "a rank with more padding weighs more; divide each rank's sum by the GLOBAL count of "
     "kept tokens"),
    ("own_mean_times_world_size", "each rank's own mean times world_size: the factor undoes "
     "DDP's average, but each rank still divides by its own count of kept tokens; divide "
     "the sum by the GLOBAL count, total_kept"),
    ("no_world_size", "DDP averages the ranks' gradients (divides by the world size): "
     "multiply by world_size to undo it"),
    ("divided_by_world_size", "divided by world_size; DDP already divides: multiply by it "
     "instead"),
    ("with_padding", "the count includes the padding; count only the kept tokens (targets "
     "!= ignore_index), over all ranks: total_kept"),
    ("sum", "the sum of the losses, not divided by the number of kept tokens"),
    ("minus", "wrong sign: the loss to minimise is the cross-entropy itself (minus the log "
     "of the target's probability), not its negative; gradient descent on minus the loss "
     "climbs it"),
]


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
        hard_coded = ("hard_coded_ignore", f"the padding was found by comparing with -100 "
                      f"(F.cross_entropy's default ignore_index); here ignore_index = "
                      f"{ignore}: pass ignore_index=ignore_index")
        mistakes = []
        for kind, message in [*_DATA_PARALLEL_MISTAKES, hard_coded]:
            try:
                wrong = _ddp(_wrong_loss(kind), parts, total_kept, world_size, ignore)
            except _NotALoss:
                continue
            if not torch.allclose(wrong.grad, leaf.grad, equal_nan=True):
                mistakes.append((wrong.grad, message))
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
    them with ``F.cross_entropy`` (mean over kept tokens) of the whole batch in one process;
    the tensors handed over must come back unchanged.
    """
    _require_function(candidate)

    def call(parts, total_kept, world_size, ignore_index):
        try:
            return _ddp(candidate, parts, total_kept, world_size, ignore_index)
        except _NotALoss as error:
            raise RuleBroken("return a one-element loss tensor that autograd can "
                             f"differentiate, got {error}") from None

    def shown(got, case: Case):
        return "got (gradient)", got.grad

    return run_cases("Exercise 3 (the loss of one data-parallel rank)", call,
                     _cases_data_parallel_loss(), compare=_compare_data_parallel,
                     shown=shown,
                     hint="ask what one process's mean divides by (this rank's kept tokens, "
                     "or all ranks'?), and what DDP then does to every rank's gradient "
                     "before the step: the loss must make up for both, so that the averaged "
                     "gradient is the gradient of the whole batch's mean over kept tokens.")


def _compare_data_parallel(got: _Averaged, case: Case) -> str:
    """Exercise 3's verdict on one case: the averaged gradient first, then the losses."""
    if compare_arrays(got.grad, case.expected, **_EXACT):
        return _wrong_gradient(got, case)
    bad = _non_finite_loss(got, case)
    if bad:
        return bad
    parts, _, _, ignore_index = case.args
    logits, targets = (torch.cat(x) for x in zip(*parts, strict=True))
    whole = F.cross_entropy(logits, targets, ignore_index=ignore_index)
    precision = _dtype_problem(_lowest_dtype(got.losses), "loss")
    if not compare_arrays(got.loss, whole, **_EXACT):
        return precision and f"the gradients agree, but {precision}"
    return ("the gradients are right, but the ranks' losses averaged are not the mean over "
            f"kept tokens: expected {float(whole)!r}, got {float(got.loss)!r}"
            + (f"; and {precision}" if precision else ""))


def _wrong_gradient(got: _Averaged, case: Case) -> str:
    """The verdict when DDP's averaged gradient is not the whole batch's."""
    mistake = _named_mistake(got.grad, case.mistakes, _EXACT)
    if mistake:
        return f"values differ: {mistake}"
    bad = _non_finite_loss(got, case)
    if bad:
        return bad
    if not torch.isfinite(got.grad).all():
        return ("values differ: the gradient holds nan: a rank with only padding has 0 "
                "kept tokens, and its own mean is 0 / 0; divide by the global count")
    tokens = len(case.args[0][0][1])

    def where(position):
        row, column = position
        return f"token {row} (rank {row // tokens}'s token {row % tokens}), class {column}"

    return _unexplained(got.grad, case.expected, case.mistakes, where=where, what="loss",
                        dtype=_lowest_dtype(got.losses),
                        differ="the averaged gradients differ")


def _non_finite_loss(got: _Averaged, case: Case) -> str:
    """``""`` if every rank's loss is finite, else which rank's is nan or inf, and why."""
    parts, _, _, ignore_index = case.args
    for rank, (loss, (_, targets)) in enumerate(zip(got.losses, parts, strict=True)):
        if torch.isfinite(loss):
            continue
        kind = "nan" if torch.isnan(loss) else "inf"
        kept = int((targets != ignore_index).sum())
        if kept == 0:
            return (f"rank {rank}'s loss is {kind}: that rank holds only padding, so it has "
                    f"0 kept tokens and its own mean is 0 / 0 (nan, and nan times 0 is still "
                    f"nan); divide the rank's SUM of losses by the global count total_kept, "
                    f"not by its own count")
        return (f"rank {rank}'s loss is {kind} (it has {kept} kept tokens): a division by 0, "
                f"or a log of 0 somewhere")
    return ""
