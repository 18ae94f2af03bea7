"""Checkers of notebook 07: realistic wrong answers fail kindly (see also test_exercises.py)."""

import pytest
import torch

from helpers.checks import nb07

# ---- realistic wrong answers ----------------------------------------------------------

def merge_without_rescaling(max_a, sum_a, max_b, sum_b):
    return torch.maximum(max_a, max_b), sum_a + sum_b


def merge_rescaling_only_the_second(max_a, sum_a, max_b, sum_b):
    merged = torch.maximum(max_a, max_b)
    return merged, sum_a + sum_b * torch.exp(max_b - merged)


def merge_in_the_wrong_direction(max_a, sum_a, max_b, sum_b):
    merged = torch.maximum(max_a, max_b)
    return merged, sum_a * torch.exp(merged - max_a) + sum_b * torch.exp(merged - max_b)


def merge_returning_only_the_sum(max_a, sum_a, max_b, sum_b):
    merged = torch.maximum(max_a, max_b)
    return sum_a * torch.exp(max_a - merged) + sum_b * torch.exp(max_b - merged)


def logsumexp_adding_chunk_results(logits, chunk_size):
    parts = [torch.logsumexp(logits[:, s:s + chunk_size], dim=1)
             for s in range(0, logits.shape[1], chunk_size)]
    return sum(parts)


def logsumexp_unstable(logits, chunk_size):
    total = 0
    for start in range(0, logits.shape[1], chunk_size):
        total = total + torch.exp(logits[:, start:start + chunk_size]).sum(dim=1)
    return torch.log(total)


def logsumexp_dropping_the_last_partial_chunk(logits, chunk_size):
    stop = logits.shape[1] - logits.shape[1] % chunk_size or logits.shape[1]
    return torch.logsumexp(logits[:, :stop], dim=1)


def grad_with_per_chunk_softmax(logits, targets, chunk_size):
    grad = torch.empty_like(logits)
    for start in range(0, logits.shape[1], chunk_size):
        grad[:, start:start + chunk_size] = torch.softmax(logits[:, start:start + chunk_size], 1)
    grad[torch.arange(len(targets)), targets] -= 1
    return grad / logits.shape[0]


def grad_without_mean(logits, targets, chunk_size):
    grad = torch.softmax(logits, dim=1)
    grad[torch.arange(len(targets)), targets] -= 1
    return grad


def grad_without_one_hot(logits, targets, chunk_size):
    return torch.softmax(logits, dim=1) / logits.shape[0]


def weighted_sum_without_rescaling(scores, values, chunk_size):
    total = torch.zeros(scores.shape[0], 1, dtype=scores.dtype)
    accumulator = torch.zeros(scores.shape[0], values.shape[1], dtype=scores.dtype)
    for start in range(0, scores.shape[1], chunk_size):
        weights = torch.exp(scores[:, start:start + chunk_size])
        total = total + weights.sum(dim=1, keepdim=True)
        accumulator = accumulator + weights @ values[start:start + chunk_size]
    return accumulator / total


def weighted_sum_normalising_each_chunk(scores, values, chunk_size):
    out = torch.zeros(scores.shape[0], values.shape[1], dtype=scores.dtype)
    for start in range(0, scores.shape[1], chunk_size):
        stop = start + chunk_size
        out += torch.softmax(scores[:, start:stop], dim=1) @ values[start:stop]
    return out


def weighted_sum_rescaling_only_the_total(scores, values, chunk_size):
    running_max = torch.full((scores.shape[0], 1), -torch.inf, dtype=scores.dtype)
    total = torch.zeros(scores.shape[0], 1, dtype=scores.dtype)
    accumulator = torch.zeros(scores.shape[0], values.shape[1], dtype=scores.dtype)
    for start in range(0, scores.shape[1], chunk_size):
        chunk = scores[:, start:start + chunk_size]
        new_max = torch.maximum(running_max, chunk.amax(dim=1, keepdim=True))
        weights = torch.exp(chunk - new_max)
        total = total * torch.exp(running_max - new_max) + weights.sum(dim=1, keepdim=True)
        accumulator = accumulator + weights @ values[start:start + chunk_size]
        running_max = new_max
    return accumulator / total


@pytest.mark.parametrize(
    ("check", "wrong_answer", "expected_in_text"),
    [
        (nb07.check_merge_normalizers, merge_without_rescaling, "sum: values differ"),
        (nb07.check_merge_normalizers, merge_rescaling_only_the_second, "sum: values differ"),
        (nb07.check_merge_normalizers, merge_in_the_wrong_direction, "Hint"),
        (nb07.check_merge_normalizers, merge_returning_only_the_sum, "return a pair"),
        (nb07.check_chunked_logsumexp, logsumexp_adding_chunk_results, "values differ"),
        (nb07.check_chunked_logsumexp, logsumexp_unstable, "around +-1e4"),
        (nb07.check_chunked_logsumexp, logsumexp_dropping_the_last_partial_chunk, "does not"),
        (nb07.check_chunked_cross_entropy_grad, grad_with_per_chunk_softmax, "values differ"),
        (nb07.check_chunked_cross_entropy_grad, grad_without_mean, "values differ"),
        (nb07.check_chunked_cross_entropy_grad, grad_without_one_hot, "values differ"),
        (nb07.check_online_weighted_sum, weighted_sum_without_rescaling, "rising to 1000"),
        (nb07.check_online_weighted_sum, weighted_sum_normalising_each_chunk, "values differ"),
        (nb07.check_online_weighted_sum, weighted_sum_rescaling_only_the_total, "values differ"),
    ],
)
def test_wrong_answers_fail(check, wrong_answer, expected_in_text):
    report = check(wrong_answer)
    assert report.status == "failed", str(report)
    assert expected_in_text in str(report)
    assert "Traceback" not in str(report)


def test_a_function_that_modifies_its_input_does_not_spoil_later_cases():
    def destructive(logits, chunk_size):
        result = torch.logsumexp(logits, dim=1)
        logits.zero_()
        return result

    assert nb07.check_chunked_logsumexp(destructive).ok
