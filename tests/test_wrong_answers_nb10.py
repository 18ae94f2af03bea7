"""Notebook 10's exercises: plausible wrong answers, each rejected with a message that names
the mistake, and how its verdicts read.

``CATALOGUE`` lists ``(check, wrong answer, words the message must contain)``, in the form
of ``test_checks_nb08.CATALOGUE``, so that ``test_wrong_answers.py`` can run it with every
other exercise's.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.checks import nb10
from helpers.notebook_import import load_notebook_definitions

SOLUTIONS = load_notebook_definitions("solutions/10_softmax_in_attention")


# ---- exercise 1: the bottom-right causal mask --------------------------------------------

def _ones(length, keys):
    return torch.ones(length, keys, dtype=torch.bool)


def mask_aligned_top_left(length, keys):
    return _ones(length, keys).tril()


def mask_without_the_diagonal(length, keys):
    return _ones(length, keys).tril(diagonal=keys - length - 1)


def mask_upper_triangle(length, keys):
    return _ones(length, keys).triu(diagonal=keys - length)


def mask_shifted_the_wrong_way(length, keys):
    return _ones(length, keys).tril(diagonal=length - keys)


def mask_inverted(length, keys):
    return ~_ones(length, keys).tril(diagonal=keys - length)


def mask_as_floats(length, keys):
    return _ones(length, keys).tril(diagonal=keys - length).float()


def mask_as_numpy(length, keys):
    return np.tril(np.ones((length, keys), dtype=bool), k=keys - length)


def mask_with_one_key_too_many(length, keys):
    return _ones(length, keys).tril(diagonal=keys - length + 1)


def mask_transposed(length, keys):
    return _ones(keys, length).triu(diagonal=length - keys)


# ---- exercise 2: merging two attentions ----------------------------------------------------

def merge_by_the_mean(out_a, lse_a, out_b, lse_b):
    return (out_a + out_b) / 2, torch.logaddexp(lse_a, lse_b)


def merge_without_dividing(out_a, lse_a, out_b, lse_b):
    return (lse_a.exp()[:, None] * out_a + lse_b.exp()[:, None] * out_b,
            torch.logaddexp(lse_a, lse_b))


def merge_lse_by_max(out_a, lse_a, out_b, lse_b):
    lse = torch.logaddexp(lse_a, lse_b)
    safe = torch.where(torch.isneginf(lse), 0.0, lse)
    output = (lse_a - safe).exp()[:, None] * out_a + (lse_b - safe).exp()[:, None] * out_b
    return output, torch.maximum(lse_a, lse_b)


def merge_lse_by_sum(out_a, lse_a, out_b, lse_b):
    output, _ = merge_lse_by_max(out_a, lse_a, out_b, lse_b)
    return output, lse_a + lse_b


def merge_without_care_for_empty_rows(out_a, lse_a, out_b, lse_b):
    lse = torch.logaddexp(lse_a, lse_b)
    return ((lse_a - lse).exp()[:, None] * out_a + (lse_b - lse).exp()[:, None] * out_b, lse)


def merge_with_raw_exponentials(out_a, lse_a, out_b, lse_b):
    weight_a, weight_b = lse_a.exp()[:, None], lse_b.exp()[:, None]
    return ((weight_a * out_a + weight_b * out_b) / (weight_a + weight_b),
            torch.log(lse_a.exp() + lse_b.exp()))


def merge_with_raw_exponentials_and_empty_rows_guarded(out_a, lse_a, out_b, lse_b):
    # No NaN for an empty row, but exp(lse) still overflows for large scores.
    weight_a, weight_b = lse_a.exp()[:, None], lse_b.exp()[:, None]
    total = weight_a + weight_b
    output = (weight_a * out_a + weight_b * out_b) / torch.where(total == 0, 1.0, total)
    return output, torch.log(total[:, 0])


def _shares(lse_a, lse_b):
    lse = torch.logaddexp(lse_a, lse_b)
    safe = torch.where(torch.isneginf(lse), 0.0, lse)
    return lse, (lse_a - safe).exp()[:, None], (lse_b - safe).exp()[:, None]


def merge_without_rescaling_a(out_a, lse_a, out_b, lse_b):
    lse, _, share_b = _shares(lse_a, lse_b)
    return out_a + share_b * out_b, lse


def merge_without_rescaling_b(out_a, lse_a, out_b, lse_b):
    lse, share_a, _ = _shares(lse_a, lse_b)
    return share_a * out_a + out_b, lse


def merge_with_swapped_shares(out_a, lse_a, out_b, lse_b):
    lse, share_a, share_b = _shares(lse_a, lse_b)
    return share_b * out_a + share_a * out_b, lse


def merge_shifted_by_the_larger_lse(out_a, lse_a, out_b, lse_b):
    larger = torch.maximum(lse_a, lse_b)
    larger = torch.where(torch.isneginf(larger), 0.0, larger)
    return ((lse_a - larger).exp()[:, None] * out_a + (lse_b - larger).exp()[:, None] * out_b,
            torch.logaddexp(lse_a, lse_b))


# ---- exercise 3: attention's gradients by hand -----------------------------------------------

def _forward(query, key, value, scale):
    probs = torch.softmax(query @ key.mT * scale, dim=-1)
    return probs, probs @ value


def backward_without_delta(query, key, value, grad_output, scale):
    probs, _ = _forward(query, key, value, scale)
    grad_scores = probs * (grad_output @ value.mT)
    return grad_scores @ key * scale, grad_scores.mT @ query * scale, probs.mT @ grad_output


def backward_with_the_row_sum_of_dp(query, key, value, grad_output, scale):
    probs, _ = _forward(query, key, value, scale)
    grad_probs = grad_output @ value.mT
    grad_scores = probs * (grad_probs - grad_probs.sum(-1, keepdim=True))
    return grad_scores @ key * scale, grad_scores.mT @ query * scale, probs.mT @ grad_output


def attention_backward(query, key, value, grad_output, scale):
    return SOLUTIONS.attention_backward(query, key, value, grad_output, scale)


def _scaled(query, key, value, grad_output, scale, query_scale, key_scale):
    probs, output = _forward(query, key, value, scale)
    delta = (grad_output * output).sum(-1, keepdim=True)
    grad_scores = probs * (grad_output @ value.mT - delta)
    return (grad_scores @ key * query_scale, grad_scores.mT @ query * key_scale,
            probs.mT @ grad_output)


def backward_without_the_scale(query, key, value, grad_output, scale):
    return _scaled(query, key, value, grad_output, scale, 1.0, 1.0)


def backward_scale_on_query_only(query, key, value, grad_output, scale):
    return _scaled(query, key, value, grad_output, scale, scale, 1.0)


def backward_with_autograd(query, key, value, grad_output, scale):
    leaves = [x.detach().requires_grad_(True) for x in (query, key, value)]
    F.scaled_dot_product_attention(*leaves, scale=scale).backward(grad_output)
    return tuple(leaf.grad for leaf in leaves)


def backward_key_not_transposed(query, key, value, grad_output, scale):
    probs, output = _forward(query, key, value, scale)
    delta = (grad_output * output).sum(-1, keepdim=True)
    grad_scores = probs * (grad_output @ value.mT - delta)
    return grad_scores @ key * scale, grad_scores @ query * scale, probs.mT @ grad_output


def backward_with_a_softmax_that_overflows(query, key, value, grad_output, scale):
    exps = torch.exp(query @ key.mT * scale)  # no maximum subtracted
    probs = exps / exps.sum(dim=-1, keepdim=True)
    grad_scores = probs * (grad_output @ value.mT
                           - (grad_output * (probs @ value)).sum(-1, keepdim=True))
    return grad_scores @ key * scale, grad_scores.mT @ query * scale, probs.mT @ grad_output


def backward_with_unscaled_weights(query, key, value, grad_output, scale):
    return _scaled(query, key, value, grad_output, 1.0, scale, scale)


def backward_without_any_scale(query, key, value, grad_output, scale):
    return _scaled(query, key, value, grad_output, 1.0, 1.0, 1.0)


def backward_scaled_twice(query, key, value, grad_output, scale):
    grad_query, grad_key, grad_value = _scaled(query, key, value, grad_output, scale,
                                               scale * scale, scale * scale)
    return grad_query, grad_key, grad_value


def backward_with_one_over_sqrt_e(query, key, value, grad_output, scale):
    return attention_backward(query, key, value, grad_output, query.shape[-1] ** -0.5)


def backward_with_one_delta_for_everything(query, key, value, grad_output, scale):
    probs, output = _forward(query, key, value, scale)
    grad_scores = probs * (grad_output @ value.mT - (grad_output * output).sum())
    return grad_scores @ key * scale, grad_scores.mT @ query * scale, probs.mT @ grad_output


def backward_delta_without_keepdim(query, key, value, grad_output, scale):
    probs, output = _forward(query, key, value, scale)
    grad_scores = probs * (grad_output @ value.mT - (grad_output * output).sum(-1))
    return grad_scores @ key * scale, grad_scores.mT @ query * scale, probs.mT @ grad_output


def backward_in_the_wrong_order(query, key, value, grad_output, scale):
    grad_query, grad_key, grad_value = _scaled(query, key, value, grad_output, scale,
                                               scale, scale)
    return grad_value, grad_key, grad_query


CATALOGUE = [
    # (check, wrong answer, words the message must contain): see test_wrong_answers.py
    ("check_causal_lower_right", mask_aligned_top_left, "top-left alignment"),
    ("check_causal_lower_right", mask_without_the_diagonal, "diagonal itself is excluded"),
    ("check_causal_lower_right", mask_upper_triangle, "upper triangle"),
    ("check_causal_lower_right", mask_shifted_the_wrong_way, "wrong sign"),
    ("check_causal_lower_right", mask_inverted, "inverted"),
    ("check_causal_lower_right", mask_as_floats, "must be boolean"),
    ("check_causal_lower_right", mask_as_numpy, "return a torch tensor"),
    ("check_causal_lower_right", mask_with_one_key_too_many, "one key too many"),
    ("check_causal_lower_right", mask_transposed, "one row per query"),
    ("check_merge_attention", merge_by_the_mean, "plain mean"),
    ("check_merge_attention", merge_without_dividing, "not divided by the total"),
    ("check_merge_attention", merge_lse_by_max, "max of the two"),
    ("check_merge_attention", merge_lse_by_sum, "adding the lses"),
    ("check_merge_attention", merge_without_care_for_empty_rows,
     "rows with every key masked give nan"),
    ("check_merge_attention", merge_with_raw_exponentials, "exp(lse) overflows"),
    ("check_merge_attention", merge_with_raw_exponentials_and_empty_rows_guarded,
     "exp(lse) overflows"),
    ("check_merge_attention", merge_without_rescaling_a, "out_a is not rescaled"),
    ("check_merge_attention", merge_without_rescaling_b, "out_b is not rescaled"),
    ("check_merge_attention", merge_with_swapped_shares, "shares are swapped"),
    ("check_merge_attention", merge_shifted_by_the_larger_lse, "do not add up to 1"),
    ("check_attention_backward", backward_without_delta, "D_i = do_i . o_i is missing"),
    ("check_attention_backward", backward_with_the_row_sum_of_dp, "not the plain row sum"),
    ("check_attention_backward", backward_without_the_scale,
     "missing from grad_query and grad_key"),
    ("check_attention_backward", backward_scale_on_query_only, "missing from grad_key"),
    ("check_attention_backward", backward_with_autograd, "used autograd (Tensor.backward)"),
    ("check_attention_backward", backward_key_not_transposed, "needs .mT"),
    ("check_attention_backward", backward_in_the_wrong_order, "in the wrong order"),
    ("check_attention_backward", backward_with_unscaled_weights, "unscaled scores"),
    ("check_attention_backward", backward_without_any_scale, "scale is missing everywhere"),
    ("check_attention_backward", backward_scaled_twice, "applied twice"),
    ("check_attention_backward", backward_with_one_over_sqrt_e, "scale argument is ignored"),
    ("check_attention_backward", backward_with_one_delta_for_everything,
     "one number per query"),
    ("check_attention_backward", backward_delta_without_keepdim, "keepdim=True"),
    ("check_attention_backward", backward_with_a_softmax_that_overflows,
     "subtract each row's maximum"),
]


def test_every_exercise_has_at_least_five_wrong_answers():
    names = {name for name in nb10.__all__}
    counts = {name: sum(1 for c, _, _ in CATALOGUE if c == name) for name in names}
    assert all(count >= 5 for count in counts.values()), counts


@pytest.mark.parametrize("name", ["causal_lower_right", "merge_attention", "attention_backward"])
def test_the_worked_solution_passes_in_plain_text(name):
    report = getattr(nb10, f"check_{name}")(getattr(SOLUTIONS, name))
    assert report.ok, str(report)
    assert str(report).startswith("PASSED: ") and str(report).isascii()


def test_the_mask_agrees_with_pytorchs_lower_right_causal_bias():
    from torch.nn.attention.bias import causal_lower_right

    for length, keys in [(3, 5), (4, 4), (1, 6)]:
        query, key = torch.randn(1, length, 4), torch.randn(1, keys, 4)
        value = torch.randn(1, keys, 4)
        expected = F.scaled_dot_product_attention(query, key, value,
                                                  attn_mask=causal_lower_right(length, keys))
        got = F.scaled_dot_product_attention(
            query, key, value, attn_mask=SOLUTIONS.causal_lower_right(length, keys))
        torch.testing.assert_close(got, expected)


def test_merging_is_exact_for_the_attention_of_the_lesson():
    generator = torch.Generator().manual_seed(0)
    query, key, value = [torch.randn(*shape, generator=generator, dtype=torch.float64)
                         for shape in [(5, 3), (8, 3), (8, 2)]]
    parts = []
    for start, stop in [(0, 3), (3, 8)]:
        scores = query @ key[start:stop].T / math.sqrt(3)
        lse = torch.logsumexp(scores, dim=-1)
        parts += [torch.softmax(scores, dim=-1) @ value[start:stop], lse]
    output, _ = SOLUTIONS.merge_attention(*parts)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(query, key, value))
