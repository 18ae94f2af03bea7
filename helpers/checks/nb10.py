"""Checkers for the exercises of notebook 10 (``10_softmax_in_attention.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in; each case hands
the learner's function fresh copies of its tensors. When the answer is wrong, it is compared
with the plausible mistakes listed next to each case, and a match names the mistake.
Exercise 3 may not use autograd: a ``TorchWatch`` records any use of it while the learner's
function runs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from helpers.checks.core import (
    Case,
    Report,
    RuleBroken,
    TorchWatch,
    compare_arrays,
    explain,
    run_cases,
)

__all__ = ["check_causal_lower_right", "check_merge_attention", "check_attention_backward"]


def _require_function(candidate: object) -> None:
    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")


def _copies(args: tuple) -> list:
    return [a.clone() if isinstance(a, torch.Tensor) else a for a in args]


def _compare_parts(got, expected: tuple, names: tuple, rtol: float, atol: float) -> str:
    """``""`` when every part of ``got`` matches, else which part differs and how."""
    if not isinstance(got, tuple | list) or len(got) != len(expected):
        return f"return a tuple ({', '.join(names)}), got {type(got).__name__}"
    for name, part, want in zip(names, got, expected, strict=True):
        reason = compare_arrays(part, want, rtol=rtol, atol=atol)
        if reason:
            return f"{name}: {reason}"
    return ""


def _wrong_order(got, expected: tuple, names: tuple) -> str:
    """A message when the parts of ``got`` are the right ones in another order, else ``""``."""
    if not all(isinstance(p, torch.Tensor) for p in got):
        return ""
    shapes = [tuple(p.shape) for p in got]
    wanted = [tuple(p.shape) for p in expected]
    if shapes != wanted and sorted(shapes) == sorted(wanted):
        return f"the parts are in the wrong order: return ({', '.join(names)})"
    return ""


def _parts_compare(names: tuple, rtol: float, atol: float,
                   non_finite: Callable[[tuple, Case], str]):
    """A ``compare(got, case)`` for answers made of several tensors, naming known mistakes.

    ``non_finite(got, case)`` says why an answer holds nan or inf where the right one does
    not."""
    def compare(got, case: Case) -> str:
        reason = _compare_parts(got, case.expected, names, rtol, atol)
        if not reason or not isinstance(got, tuple | list) or len(got) != len(names):
            return reason
        order = _wrong_order(got, case.expected, names)
        if order:
            return order
        for wrong, message in case.mistakes:
            if wrong is not None and not _compare_parts(got, wrong, names, rtol, atol):
                return f"values differ: {message}"
        if any(isinstance(p, torch.Tensor) and p.shape == want.shape
               and (~p.isfinite() & want.isfinite()).any()
               for p, want in zip(got, case.expected, strict=True)):
            return f"values differ: {non_finite(got, case)}"
        return reason
    return compare


# ---- exercise 1 ---------------------------------------------------------------------------

@functools.cache
def _cases_causal_lower_right() -> list[Case]:
    cases = []
    for length, keys in [(3, 5), (4, 4), (1, 6), (5, 2), (2, 1)]:
        ones = torch.ones(length, keys, dtype=torch.bool)
        expected = ones.tril(diagonal=keys - length)
        mistakes = (
            (ones.tril(), "that is the top-left alignment of is_causal=True; shift the "
             "diagonal by keys - length"),
            (ones.tril(diagonal=keys - length - 1), "the diagonal itself is excluded: a "
             "query may attend to its own position (j <= i + S - L, not <)"),
            (ones.triu(diagonal=keys - length), "upper triangle: True must be the keys a "
             "query may attend to, those at or before its position"),
            (ones.tril(diagonal=length - keys), "the shift has the wrong sign: "
             "keys - length, not length - keys"),
            (~ones.tril(diagonal=keys - length), "inverted: in PyTorch's boolean masks "
             "True means 'may attend'"),
            (ones.tril(diagonal=keys - length + 1), "one key too many per query: query i "
             "may attend to keys j <= i + S - L, not j <= i + S - L + 1"),
        )
        mistakes = tuple((w, m) for w, m in mistakes if not torch.equal(w, expected))
        cases.append(Case(f"length {length}, keys {keys}", (length, keys), expected,
                          mistakes=mistakes))
    return cases


def check_causal_lower_right(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(length, keys)`` = the bottom-right causal mask, ``(L, S)`` bool.

    Query ``i`` may attend to key ``j`` exactly when ``j <= i + keys - length``.
    """
    _require_function(candidate)

    def compare(got, case: Case) -> str:
        if not isinstance(got, torch.Tensor):
            return f"return a torch tensor, got {type(got).__name__}"
        if got.dtype != torch.bool:
            return (f"the mask must be boolean (True = may attend), got {got.dtype}: a float "
                    "mask would be added to the scores")
        length, keys = case.args
        if length != keys and tuple(got.shape) == (keys, length):
            return (f"the mask is (keys, length) = {tuple(got.shape)}: it must be (length, "
                    "keys), one row per query")
        return explain(got, case, compare_arrays(got, case.expected))

    return run_cases("Exercise 1 (a causal mask aligned bottom-right)", candidate,
                     _cases_causal_lower_right(), compare=compare,
                     hint="torch.ones(length, keys, dtype=torch.bool).tril(diagonal=...): "
                     "which diagonal passes through the bottom-right corner?")


# ---- exercise 2 ---------------------------------------------------------------------------

def _part(query, key, value, allowed):
    """Attention of ``query`` over some keys: (output normalised over them, lse)."""
    scores = (query @ key.mT / math.sqrt(query.shape[-1])).masked_fill(~allowed, -math.inf)
    lse = torch.logsumexp(scores, dim=-1)
    dead = torch.isneginf(lse)
    weights = torch.exp(scores - torch.where(dead, 0.0, lse)[..., None])
    return weights @ value, lse


@functools.cache
def _cases_merge_attention() -> list[Case]:
    generator = torch.Generator().manual_seed(101)
    cases = []
    settings = [("6 keys split 3 + 3", 4, 6, 3, None, 1.0),
                ("7 keys split 2 + 5, scores in the thousands", 3, 7, 2, None, 3000.0),
                ("part b all masked for query 1, both parts for query 2", 4, 6, 4, "dead", 1.0),
                ("one key in part a", 2, 5, 1, None, 1.0)]
    for description, length, keys, split, dead, scale in settings:
        options = {"generator": generator, "dtype": torch.float64}
        query = scale * torch.randn(length, 4, **options)
        key, value = torch.randn(keys, 4, **options), torch.randn(keys, 3, **options)
        allowed = torch.ones(length, keys, dtype=torch.bool)
        if dead:
            allowed[1, split:] = False
            allowed[2] = False
        out_a, lse_a = _part(query, key[:split], value[:split], allowed[:, :split])
        out_b, lse_b = _part(query, key[split:], value[split:], allowed[:, split:])
        # PyTorch, with the row whose every key is masked set to 0 (PyTorch 2.4 gave NaN).
        alive = allowed.any(dim=-1, keepdim=True)
        expected_out = F.scaled_dot_product_attention(
            query, key, value, attn_mask=allowed | ~alive) * alive
        expected = (expected_out, torch.logaddexp(lse_a, lse_b))
        lse = expected[1]
        shift = torch.where(torch.isneginf(lse), 0.0, lse)
        share_a, share_b = (torch.exp(x - shift)[:, None] for x in (lse_a, lse_b))
        larger = torch.maximum(lse_a, lse_b)
        larger = torch.where(torch.isneginf(larger), 0.0, larger)
        mistakes = (
            ((out_a + out_b) / 2, lse),
            ((torch.exp(lse_a)[:, None] * out_a + torch.exp(lse_b)[:, None] * out_b), lse),
            (expected_out, torch.maximum(lse_a, lse_b)),
            (expected_out, lse_a + lse_b),
            (out_a + share_b * out_b, lse),
            (share_a * out_a + out_b, lse),
            (share_b * out_a + share_a * out_b, lse),
            (torch.exp(lse_a - larger)[:, None] * out_a
             + torch.exp(lse_b - larger)[:, None] * out_b, lse),
        )
        messages = (
            "the plain mean of the two outputs; weigh each by its share of the total sum, "
            "exp(lse_part - lse)",
            "the outputs weighed by exp(lse_part) but not divided by the total exp(lse)",
            "the merged lse is the max of the two; it is log(exp(lse_a) + exp(lse_b)) "
            "(torch.logaddexp)",
            "adding the lses multiplies the sums; it is log(exp(lse_a) + exp(lse_b))",
            "out_a is not rescaled: like 07's running sum when the maximum grows, the part "
            "already there must be rescaled too, by its share exp(lse_a - lse)",
            "out_b is not rescaled: each part's output weighs its share exp(lse_part - lse)",
            "the shares are swapped: out_a weighs exp(lse_a - lse), out_b exp(lse_b - lse)",
            "the weights exp(lse_part - max) do not add up to 1: subtract the merged lse, "
            "not the larger of the two",
        )
        cases.append(Case(description, (out_a, lse_a, out_b, lse_b), expected,
                          mistakes=tuple((w, m) for w, m in zip(
                              [tuple(x) for x in mistakes], messages, strict=True))))
    return cases


def check_merge_attention(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(out_a, lse_a, out_b, lse_b)`` = ``(output, lse)`` over all keys.

    ``out_*`` are ``(L, Ev)`` outputs normalised over each part's keys, ``lse_*`` ``(L,)``;
    a part with every key masked has lse ``-inf`` and output 0. The answer must not hold NaN.
    """
    _require_function(candidate)
    compare = _parts_compare(("output", "lse"), rtol=1e-10, atol=1e-12,
                             non_finite=_why_merge_is_not_finite)
    return run_cases("Exercise 2 (merging two attentions over parts of the keys)",
                     lambda *args: candidate(*_copies(args)), _cases_merge_attention(),
                     compare=compare,
                     hint="each part's sum of exponentials is exp(lse_part): what is the "
                     "log of their total (without leaving log space), and what share of it "
                     "comes from each part? Where both parts are empty, what is there to "
                     "shift by?")


def _why_merge_is_not_finite(got: tuple, case: Case) -> str:
    """Which rows of a merge hold nan or inf, and the mistake that puts them there."""
    _, lse_a, _, lse_b = case.args
    bad = torch.zeros(lse_a.shape, dtype=torch.bool)
    for part in got:
        if isinstance(part, torch.Tensor) and part.shape[:1] == bad.shape:
            flat = part.reshape(bad.shape[0], -1)
            bad |= ~flat.isfinite().all(dim=-1) & ~case.expected[0].isnan().any(dim=-1)
    dead = torch.isneginf(lse_a) & torch.isneginf(lse_b)
    if bad.any() and bad[dead].all() and not bad[~dead].any():
        return ("rows with every key masked give nan: their lse is -inf, and "
                "-inf - (-inf) is nan; replace the merged lse by 0 there before subtracting it")
    return ("nan or inf on rows whose keys are not all masked: exp(lse) overflows for "
            "scores in the thousands; each part's weight exp(lse_part - lse) is at most 1")


# ---- exercise 3 ---------------------------------------------------------------------------

def _autograd_gradients(query, key, value, grad_output, scale):
    leaves = [x.detach().clone().requires_grad_(True) for x in (query, key, value)]
    output = F.scaled_dot_product_attention(*leaves, scale=scale)
    output.backward(grad_output)
    return tuple(leaf.grad for leaf in leaves)


def _by_hand(query, key, value, grad_output, scale, *, delta="right", scaled="both",
             forward_scale=None):
    """Attention's gradients written out, with one chosen mistake."""
    forward_scale = scale if forward_scale is None else forward_scale
    probs = torch.softmax(query @ key.mT * forward_scale, dim=-1)
    output = probs @ value
    grad_probs = grad_output @ value.mT
    if delta == "right":
        grad_scores = probs * (grad_probs - (grad_output * output).sum(-1, keepdim=True))
    elif delta == "none":
        grad_scores = probs * grad_probs
    elif delta == "total":  # one number for the whole tensor, not one per query
        grad_scores = probs * (grad_probs - (grad_output * output).sum())
    else:  # the row sum of dP, without the weights
        grad_scores = probs * (grad_probs - grad_probs.sum(-1, keepdim=True))
    if scaled == "twice":
        grad_scores = grad_scores * scale
    query_scale = scale if scaled in ("both", "query", "twice") else 1.0
    key_scale = scale if scaled in ("both", "key", "twice") else 1.0
    grad_query = grad_scores @ key * query_scale
    grad_key = (grad_scores.mT @ query) * key_scale
    grad_value = probs.mT @ grad_output
    return grad_query, grad_key, grad_value


@functools.cache
def _cases_attention_backward() -> list[Case]:
    generator = torch.Generator().manual_seed(103)
    cases = []
    for description, batch, length, keys, dim, value_dim, scale, size in [
            ("L = 4, S = 6, E = 3, Ev = 2, scale 1/sqrt(3)", (), 4, 6, 3, 2, 3 ** -0.5, 1.0),
            ("2 heads, L = 5, S = 3, scale 0.9", (2,), 5, 3, 4, 4, 0.9, 1.0),
            ("L = 1, S = 7, scale 2", (), 1, 7, 2, 3, 2.0, 1.0),
            ("batch 2, heads 2, L = S = 4, scale 0.25", (2, 2), 4, 4, 5, 3, 0.25, 1.0),
            ("L = 3, S = 5, scores in the thousands", (), 3, 5, 4, 2, 0.5, 2000.0)]:
        options = {"generator": generator, "dtype": torch.float64}
        query = size * torch.randn(*batch, length, dim, **options)
        key = torch.randn(*batch, keys, dim, **options)
        value = torch.randn(*batch, keys, value_dim, **options)
        grad_output = torch.randn(*batch, length, value_dim, **options)
        args = (query, key, value, grad_output, scale)
        mistakes = (
            (_by_hand(*args, delta="none"), "the term D_i = do_i . o_i is missing: "
             "ds = p * (dp - D), not p * dp"),
            (_by_hand(*args, delta="rowsum"), "D_i is the sum of p_ij dp_ij (= do_i . o_i), "
             "not the plain row sum of dp"),
            (_by_hand(*args, scaled="none"), "the scale is missing from grad_query and "
             "grad_key (the scores are q . k * scale)"),
            (_by_hand(*args, scaled="query"), "the scale is missing from grad_key"),
            (_by_hand(*args, scaled="key"), "the scale is missing from grad_query"),
            (_by_hand(*args, scaled="twice"), "the scale is applied twice: ds = p * (dp - D) "
             "carries none, dq and dk one each"),
            (_by_hand(*args, forward_scale=1.0), "the weights p come from unscaled scores: "
             "p = softmax(q k^T * scale), the scale in the forward pass too"),
            (_by_hand(*args, scaled="none", forward_scale=1.0), "the scale is missing "
             "everywhere: p = softmax(q k^T * scale), and dq, dk carry it too"),
            (_by_hand(*args, delta="total"), "D is one number per query: sum do * o over "
             "the features only (dim=-1, keepdim=True), not over the whole tensor"),
        )
        if abs(scale - dim ** -0.5) > 1e-12:
            mistakes += ((_by_hand(*args[:4], dim ** -0.5),
                          "the scale argument is ignored: use it, not 1 / sqrt(E)"),)
        cases.append(Case(description, args, _autograd_gradients(*args), mistakes=mistakes))
    return cases


def check_attention_backward(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(query, key, value, grad_output, scale)`` = the three gradients.

    Unmasked attention ``softmax(q k^T * scale) v``; the answer is ``(grad_query, grad_key,
    grad_value)``, compared with autograd through ``F.scaled_dot_product_attention``. The
    function may not use autograd.
    """
    _require_function(candidate)
    names = ("grad_query", "grad_key", "grad_value")
    parts = _parts_compare(names, rtol=1e-9, atol=1e-12,
                           non_finite=lambda got, case: (
                               "nan or inf: exp of scores in the thousands overflows; subtract "
                               "each row's maximum before the exponential (or use "
                               "torch.softmax)"))
    last: list[TorchWatch] = []

    def call(*args):
        recorder = TorchWatch()
        last[:] = [recorder]
        try:
            with recorder:
                return candidate(*_copies(args))
        except RuntimeError as error:
            if "cannot be multiplied" in str(error) or "must match the size" in str(error):
                raise RuleBroken(
                    f"shapes do not fit ({error}): check which factor needs .mT; dv = p^T do "
                    "is (S, L) @ (L, Ev), dk = ds^T q is (S, L) @ (L, E), and D keeps its "
                    "last axis (keepdim=True)") from error
            raise

    def compare(got, case: Case) -> str:
        if last and last[0].autograd:
            return (f"your function used autograd ({last[0].autograd}); the task asks for "
                    "the gradients written out by hand")
        return parts(got, case)

    return run_cases("Exercise 3 (attention's gradients by hand)", call,
                     _cases_attention_backward(), compare=compare,
                     hint="recompute p and o first; then dv and dp are one matrix product "
                     "each, D_i is section 4's do_i . o_i (one number per query), ds follows "
                     "from p, dp and D, and dq, dk are one product each: which of them carry "
                     "the scale?")
