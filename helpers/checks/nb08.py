"""Checkers for the exercises of notebook 08 (``08_cross_entropy_without_logits.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Each case hands
the learner's function fresh copies of its tensors. Rules a program can see are enforced:
while the learner's function runs, a ``TorchFunctionMode`` records every new tensor it
creates (views of existing tensors cost no memory and are not counted) and every use of
autograd. A function that builds a tensor as large as the forbidden matrix, or calls
autograd where the task says not to, fails that case with a message that says so.
When the answer is wrong, it is compared with the plausible mistakes listed next to each
case; a match names the mistake.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, TorchWatch, compare_arrays, run_cases

__all__ = [
    "check_blockwise_logsumexp",
    "check_token_chunked_mean_loss",
    "check_capped_z_loss_grad",
]

@dataclass(frozen=True)
class _Rules:
    """What the function may not do on one case."""

    max_elements: int | None = None     # no new tensor with more elements than this
    forbidden: str = ""                 # what such a tensor is, for the message
    no_autograd: bool = False


@dataclass
class _Exercise:
    """Runs the learner's function on copies, under the recorder, and judges the result."""

    candidate: Callable
    rtol: float
    atol: float
    last: TorchWatch | None = None
    rules: dict[str, _Rules] = field(default_factory=dict)
    mistakes: dict[str, list] = field(default_factory=dict)
    non_finite: str = ""                # what an inf or nan answer usually means

    def call(self, *args):
        recorder = TorchWatch()
        self.last = None
        copies = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        with recorder:
            result = self.candidate(*copies)
        self.last = recorder
        return result

    def compare(self, got, case: Case) -> str:
        rules = self.rules.get(case.description, _Rules())
        if self.last is not None:
            if rules.no_autograd and self.last.autograd:
                return (f"your function used autograd ({self.last.autograd}); the task asks "
                        "for the gradient written out by hand")
            size, shape = self.last.largest
            if rules.max_elements is not None and size > rules.max_elements:
                return (f"your function built a tensor of shape {shape} ({size} numbers): "
                        f"{rules.forbidden}")
        reason = compare_arrays(got, case.expected, rtol=self.rtol, atol=self.atol)
        if not reason or got is None:
            return reason
        for message, wrong in self.mistakes.get(case.description, []):
            if wrong is not None and not compare_arrays(got, wrong, rtol=self.rtol,
                                                        atol=self.atol):
                return f"values differ: {message}"
        if self.non_finite and isinstance(got, torch.Tensor) and not got.isfinite().all():
            return f"values differ: {self.non_finite}"
        return reason


def _run(title: str, candidate: Callable, exercise: _Exercise, cases: list[Case],
         hint: str) -> Report:
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")
    return run_cases(title, exercise.call, cases, hint=hint, compare=exercise.compare)


def _linear_inputs(generator, rows, dim, classes, dtype=torch.float64, scale=1.0):
    hidden = scale * torch.randn(rows, dim, generator=generator, dtype=dtype)
    weight = torch.randn(classes, dim, generator=generator, dtype=dtype)
    bias = torch.randn(classes, generator=generator, dtype=dtype)
    return hidden, weight, bias


# ---- exercise 1 ---------------------------------------------------------------------------

def _without_rescaling(logits: torch.Tensor, block_size: int, *,
                       shift_by_running_max: bool) -> torch.Tensor:
    """The running sum never multiplied by exp(old_max - new_max): each block's exps are
    taken relative to the block's own max, or to the running max as it is at that block."""
    total, running_max = 0.0, None
    for start in range(0, logits.shape[1], block_size):
        block = logits[:, start:start + block_size]
        block_max = block.amax(dim=1)
        running_max = block_max if running_max is None else torch.maximum(running_max,
                                                                          block_max)
        shift = running_max if shift_by_running_max else block_max
        total = total + torch.exp(block - shift[:, None]).sum(dim=1)
    return running_max + torch.log(total)


def _sum_of_block_logsumexps(logits: torch.Tensor, block_size: int) -> torch.Tensor:
    return sum(torch.logsumexp(logits[:, s:s + block_size], dim=1)
               for s in range(0, logits.shape[1], block_size))


def _without_last_partial_block(logits: torch.Tensor, block_size: int) -> torch.Tensor | None:
    stop = logits.shape[1] - logits.shape[1] % block_size
    return torch.logsumexp(logits[:, :stop], dim=1) if 0 < stop < logits.shape[1] else None


@functools.cache
def _cases_blockwise_logsumexp() -> tuple[list[Case], dict, dict]:
    """The cases of :func:`check_blockwise_logsumexp`, built once (the learner gets copies)."""
    generator = torch.Generator().manual_seed(81)
    inputs = []
    for rows, dim, classes, block_size in [(6, 3, 23, 4), (5, 2, 40, 7), (4, 3, 9, 1),
                                           (3, 2, 12, 64)]:
        inputs.append((f"hidden ({rows}, {dim}), weight ({classes}, {dim}), "
                       f"block {block_size}",
                       *_linear_inputs(generator, rows, dim, classes), block_size))
    rising_hidden, rising_weight, _ = _linear_inputs(generator, 4, 2, 30)
    rising_bias = 40.0 * torch.arange(30, dtype=torch.float64)   # the max grows every block
    inputs.append(("a bias rising by 40 per class: each block holds a new maximum, block 4",
                   rising_hidden, rising_weight, rising_bias, 4))
    large = _linear_inputs(generator, 4, 3, 25, scale=300.0)
    inputs.append(("logits in the thousands (exp overflows without a shift), block 6",
                   *large, 6))
    single = _linear_inputs(generator, 1, 2, 1)
    inputs.append(("one token and a vocabulary of one (V = 1), block 3", *single, 3))
    cases, rules, mistakes_of = [], {}, {}
    for description, hidden, weight, bias, block_size in inputs:
        logits = F.linear(hidden, weight, bias)
        expected = torch.logsumexp(logits, dim=1)
        not_rescaled = ("the running sum is not rescaled when the maximum grows "
                        "(multiply it by exp(old_max - new_max))")
        mistakes = [
            (not_rescaled, _without_rescaling(logits, block_size, shift_by_running_max=False)),
            (not_rescaled, _without_rescaling(logits, block_size, shift_by_running_max=True)),
            ("adding the blocks' logsumexps adds logarithms; merge them with the "
             "running max and sum (or torch.logaddexp)",
             _sum_of_block_logsumexps(logits, block_size)),
            ("the bias is missing", torch.logsumexp(hidden @ weight.T, dim=1)),
            ("the last block, narrower than block_size, was left out",
             _without_last_partial_block(logits, block_size)),
        ]
        cases.append(Case(description, (hidden, weight, bias, block_size), expected))
        mistakes_of[description] = mistakes
        if block_size < weight.shape[0]:
            rows, classes = hidden.shape[0], weight.shape[0]
            rules[description] = _Rules(
                max_elements=rows * classes - 1,
                forbidden=f"that is the whole {rows} x {classes} logit matrix; compute the "
                f"logits {block_size} classes at a time (weight[start:stop])",
            )
    return cases, rules, mistakes_of


def check_blockwise_logsumexp(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(hidden, weight, bias, block_size)`` = logsumexp of the logits.

    The logits are ``hidden @ weight.T + bias``, ``(N, V)``; the answer is ``(N,)``. The
    function may not build a tensor as large as the ``N x V`` logits when ``block_size < V``.
    """
    cases, rules, mistakes_of = _cases_blockwise_logsumexp()
    exercise = _Exercise(candidate, rtol=1e-10, atol=1e-12, rules=rules,
                         mistakes=mistakes_of,
                         non_finite="your answer holds inf or nan where the answer is "
                         "finite: exp overflowed; subtract the running maximum before exp")
    return _run("Exercise 1 (logsumexp of the logits, a block of classes at a time)",
                candidate, exercise, cases,
                hint="for each block: logits = hidden @ weight[start:stop].T + bias[start:stop];"
                " new_max = max(running_max, logits.amax(1)); running_sum = running_sum * "
                "exp(running_max - new_max) + exp(logits - new_max).sum(1).")


# ---- exercise 2 ---------------------------------------------------------------------------

def _chunk_losses(logits, targets, token_block, ignore_index):
    for start in range(0, logits.shape[0], token_block):
        chunk_targets = targets[start:start + token_block]
        yield (F.cross_entropy(logits[start:start + token_block], chunk_targets,
                               ignore_index=ignore_index, reduction="sum"),
               (chunk_targets != ignore_index).sum())


@functools.cache
def _cases_token_chunked_mean_loss() -> tuple[list[Case], dict, dict]:
    """The cases of :func:`check_token_chunked_mean_loss`, built once (the learner gets copies)."""
    generator = torch.Generator().manual_seed(82)
    ignore = -100
    specs = [
        ("a chunk whose targets are all ignored, chunks of 2", 8, 2, [2, 3, 6], 2.0),
        ("no ignored target, 10 tokens in chunks of 4, logits in the thousands (targets "
         "far below the winner: softmax underflows to 0 there)", 10, 4, [], 800.0),
        ("ignored targets spread unevenly over the chunks, chunks of 3", 9, 3, [0, 1, 4], 2.0),
        ("ignore_index = 0 (a real class index), chunks of 4", 7, 4, None, 2.0),
        ("one chunk larger than the batch (chunks of 16), one ignored target", 5, 16, [1],
         2.0),
    ]
    cases, rules, mistakes_of = [], {}, {}
    for description, rows, token_block, ignored, scale in specs:
        hidden, weight, bias = _linear_inputs(generator, rows, 2, 12, scale=scale)
        targets = torch.randint(1, 12, (rows,), generator=generator)
        ignore_index = ignore
        if ignored is None:
            ignore_index = 0
            targets[[1, 2]] = 0
        else:
            targets[ignored] = ignore
        logits = F.linear(hidden, weight, bias)
        expected = F.cross_entropy(logits, targets, ignore_index=ignore_index)
        kept = (targets != ignore_index).sum()
        parts = list(_chunk_losses(logits, targets, token_block, ignore_index))
        chunk_means = [loss / count for loss, count in parts]
        finite_means = [m for m in chunk_means if torch.isfinite(m)]
        total = sum(loss for loss, _ in parts)
        mistakes = [
            ("this is the mean of the per-chunk means; a chunk with fewer kept targets (some "
             "ignored, or the last, shorter chunk) then counts too much. Sum the chunks' "
             "losses and divide once by the number of kept targets",
             sum(finite_means) / len(finite_means)),
            ("a chunk whose targets are all ignored gives 0 / 0 = nan when you take its mean; "
             "sum per chunk and divide once at the end", torch.tensor(math.nan)
             if len(finite_means) < len(chunk_means) else None),
            ("this divides by all the tokens, ignored ones included; divide by the number of "
             "kept targets", total / rows if kept < rows else None),
            ("this is the sum, not the mean", total if kept > 1 else None),
            ("targets equal to ignore_index were counted as classes (pass ignore_index on)",
             F.cross_entropy(logits, targets) if ignore_index == 0 else None),
        ]
        cases.append(Case(description, (hidden, weight, bias, targets, token_block,
                                        ignore_index), expected))
        mistakes_of[description] = mistakes
        if token_block < rows:
            rules[description] = _Rules(
                max_elements=token_block * weight.shape[0],
                forbidden=f"more than one chunk's {token_block} x {weight.shape[0]} logits; "
                f"compute the logits of hidden[start:start + {token_block}] only",
            )
    return cases, rules, mistakes_of


def check_token_chunked_mean_loss(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(hidden, weight, bias, targets, token_block, ignore_index)``.

    The mean cross-entropy over the kept targets (those not equal to ``ignore_index``), with
    logits computed for ``token_block`` tokens at a time: no tensor may be larger than one
    chunk's ``token_block x V`` logits.
    """
    cases, rules, mistakes_of = _cases_token_chunked_mean_loss()
    exercise = _Exercise(candidate, rtol=1e-10, atol=1e-12, rules=rules,
                         mistakes=mistakes_of,
                         non_finite="your answer is inf or nan where the loss is finite: "
                         "log(softmax) is log(0) = -inf for a target far below the winner (or "
                         "an exp overflowed); use F.cross_entropy or log_softmax")
    return _run("Exercise 2 (mean loss over kept targets, a chunk of tokens at a time)",
                candidate, exercise, cases,
                hint="per chunk: F.cross_entropy(chunk_logits, chunk_targets, "
                "ignore_index=ignore_index, reduction='sum') and the count of kept targets; "
                "at the end: total loss / total count.")


# ---- exercise 3 ---------------------------------------------------------------------------

def _capped_z_loss(raw, targets, softcap, z_weight, *, cap_in_z=True, sign=1.0,
                   z_factor=2.0):
    """Mean over rows of CE(cap(raw)) + sign * z_weight * lse^2 (cap(raw) or raw in lse)."""
    logits = raw if softcap is None else softcap * torch.tanh(raw / softcap)
    lse = torch.logsumexp(logits if cap_in_z else raw, dim=1)
    return (F.cross_entropy(logits, targets)
            + sign * z_weight * (z_factor / 2.0) * (lse**2).mean())


def _grad_of(loss_fn, raw):
    leaf = raw.detach().clone().requires_grad_(True)
    loss_fn(leaf).backward()
    return leaf.grad


@functools.cache
def _cases_capped_z_loss_grad() -> tuple[list[Case], dict, dict]:
    """The cases of :func:`check_capped_z_loss_grad`, built once (the learner gets copies)."""
    generator = torch.Generator().manual_seed(83)
    specs = [
        ("z-loss only (softcap None), z_weight 0.1, logits past 709 (exp overflows)",
         4, 7, 600.0, None, 0.1),
        ("soft-capping only (softcap 5, z_weight 0)", 4, 7, 4.0, 5.0, 0.0),
        ("both: softcap 5, z_weight 0.1", 5, 6, 4.0, 5.0, 0.1),
        ("both, logits far beyond the cap: softcap 2, z_weight 1e-4", 3, 8, 30.0, 2.0, 1e-4),
        ("a batch of one token, softcap 30, z_weight 0.01", 1, 5, 20.0, 30.0, 0.01),
    ]
    cases, rules, mistakes_of = [], {}, {}
    for description, rows, classes, scale, softcap, z_weight in specs:
        raw = scale * torch.randn(rows, classes, generator=generator, dtype=torch.float64)
        targets = torch.randint(0, classes, (rows,), generator=generator)

        def grad(raw=raw, targets=targets, softcap=softcap, z_weight=z_weight, **options):
            return _grad_of(
                lambda r: _capped_z_loss(r, targets, softcap, z_weight, **options), raw
            )

        expected = grad()
        mistakes = [
            ("the z-loss term has the wrong sign: it adds + z_weight * lse^2, so its gradient "
             "is + 2 z_weight lse p", grad(sign=-1.0) if z_weight else None),
            ("the z-loss's gradient misses the factor 2 of d(lse^2) = 2 lse d(lse)",
             grad(z_factor=1.0) if z_weight else None),
            ("the z-loss uses the lse of the raw logits; it acts on the capped ones, "
             "the logits the softmax sees",
             grad(cap_in_z=False) if (z_weight and softcap) else None),
            ("the z-loss uses the lse of the raw logits; it acts on the capped ones, "
             "the logits the softmax sees",
             _z_loss_of_raw_through_the_cap(raw, targets, softcap, z_weight)),
            ("the chain rule through the cap is missing: multiply by "
             "1 - tanh(raw / softcap)^2", _missing_cap_derivative(raw, targets, softcap,
                                                                  z_weight)),
            ("this is the gradient of the sum over tokens; the loss is the mean (divide by N)",
             expected * rows if rows > 1 else None),
        ]
        cases.append(Case(description, (raw, targets, softcap, z_weight), expected))
        mistakes_of[description] = mistakes
        rules[description] = _Rules(no_autograd=True)
    return cases, rules, mistakes_of


def check_capped_z_loss_grad(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(raw_logits, targets, softcap, z_weight)`` = d loss / d raw.

    ``loss = mean_n [CE(z_n, y_n) + z_weight * lse(z_n)^2]`` with ``z = softcap *
    tanh(raw / softcap)`` (``softcap=None``: ``z = raw``). Written out, without autograd.
    """
    cases, rules, mistakes_of = _cases_capped_z_loss_grad()
    exercise = _Exercise(candidate, rtol=1e-9, atol=1e-12, rules=rules,
                         mistakes=mistakes_of,
                         non_finite="your answer holds inf or nan where the gradient is "
                         "finite: exp overflowed; take lse = torch.logsumexp(z) and "
                         "p = exp(z - lse)")
    return _run("Exercise 3 (gradient of the capped cross-entropy with z-loss)",
                candidate, exercise, cases,
                hint="z = cap(raw); p = softmax(z); lse = logsumexp(z); dL/dz = ((1 + 2 z_weight"
                " lse) p - onehot) / N; dL/draw = dL/dz * (1 - (z / softcap)^2).")


def _z_loss_of_raw_through_the_cap(raw, targets, softcap, z_weight):
    """The hand-written mistake: the raw logits' softmax and lse in the z-loss term."""
    if softcap is None or not z_weight:
        return None
    logits = softcap * torch.tanh(raw / softcap)
    raw_lse = torch.logsumexp(raw, dim=1, keepdim=True)
    grad = torch.softmax(logits, dim=1) + 2 * z_weight * raw_lse * torch.softmax(raw, dim=1)
    grad[torch.arange(len(targets)), targets] -= 1.0
    return grad / raw.shape[0] * (1 - (logits / softcap) ** 2)


def _missing_cap_derivative(raw, targets, softcap, z_weight):
    if softcap is None:
        return None
    logits = softcap * torch.tanh(raw / softcap)
    leaf = logits.clone().requires_grad_(True)
    _capped_z_loss(leaf, targets, None, z_weight).backward()
    return leaf.grad


