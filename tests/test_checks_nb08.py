"""Checkers of notebook 08: the plausible wrong answers of its catalogue (run, with every other
exercise's, by test_wrong_answers.py), and how its verdicts read."""

import pytest
import torch
import torch.nn.functional as F

from helpers.checks import nb08
from helpers.notebook_import import load_notebook_definitions

SOLUTIONS = load_notebook_definitions("solutions/08_cross_entropy_without_logits")


# ---- exercise 1: logsumexp of hidden @ weight.T + bias, a block of classes at a time -------

def _blocks(weight, block_size):
    return range(0, weight.shape[0], block_size)


def lse_materialising_the_logits(hidden, weight, bias, block_size):
    return torch.logsumexp(F.linear(hidden, weight, bias), dim=1)


def lse_without_rescaling(hidden, weight, bias, block_size):
    running_max, total = None, 0.0
    for start in _blocks(weight, block_size):
        logits = hidden @ weight[start:start + block_size].T + bias[start:start + block_size]
        block_max = logits.amax(dim=1)
        running_max = block_max if running_max is None else torch.maximum(running_max, block_max)
        total = total + torch.exp(logits - block_max[:, None]).sum(dim=1)
    return running_max + torch.log(total)


def lse_without_rescaling_shifted_by_the_running_max(hidden, weight, bias, block_size):
    running_max, total = None, 0.0
    for start in _blocks(weight, block_size):
        logits = hidden @ weight[start:start + block_size].T + bias[start:start + block_size]
        block_max = logits.amax(dim=1)
        running_max = block_max if running_max is None else torch.maximum(running_max, block_max)
        total = total + torch.exp(logits - running_max[:, None]).sum(dim=1)
    return running_max + torch.log(total)


def lse_adding_block_results(hidden, weight, bias, block_size):
    total = 0.0
    for start in _blocks(weight, block_size):
        logits = hidden @ weight[start:start + block_size].T + bias[start:start + block_size]
        total = total + torch.logsumexp(logits, dim=1)
    return total


def lse_without_bias(hidden, weight, bias, block_size):
    return SOLUTIONS.blockwise_logsumexp(hidden, weight, torch.zeros_like(bias), block_size)


def lse_without_max_shift(hidden, weight, bias, block_size):
    total = 0.0
    for start in _blocks(weight, block_size):
        logits = hidden @ weight[start:start + block_size].T + bias[start:start + block_size]
        total = total + torch.exp(logits).sum(dim=1)
    return torch.log(total)


def lse_dropping_the_last_partial_block(hidden, weight, bias, block_size):
    stop = weight.shape[0] - weight.shape[0] % block_size or weight.shape[0]
    return SOLUTIONS.blockwise_logsumexp(hidden, weight[:stop], bias[:stop], block_size)


# ---- exercise 2: mean loss over kept targets, a chunk of tokens at a time ------------------

def _chunks(hidden, weight, bias, targets, token_block):
    for start in range(0, hidden.shape[0], token_block):
        stop = start + token_block
        yield F.linear(hidden[start:stop], weight, bias), targets[start:stop]


def mean_of_chunk_means(hidden, weight, bias, targets, token_block, ignore_index=-100):
    means = [F.cross_entropy(z, t, ignore_index=ignore_index)
             for z, t in _chunks(hidden, weight, bias, targets, token_block)]
    means = [m for m in means if not torch.isnan(m)]   # "skips" the empty chunks
    return sum(means) / len(means)


def mean_of_chunk_means_with_nan(hidden, weight, bias, targets, token_block, ignore_index=-100):
    means = [F.cross_entropy(z, t, ignore_index=ignore_index)
             for z, t in _chunks(hidden, weight, bias, targets, token_block)]
    return sum(means) / len(means)


def dividing_by_all_tokens(hidden, weight, bias, targets, token_block, ignore_index=-100):
    total = sum(F.cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in _chunks(hidden, weight, bias, targets, token_block))
    return total / hidden.shape[0]


def returning_the_sum(hidden, weight, bias, targets, token_block, ignore_index=-100):
    return sum(F.cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
               for z, t in _chunks(hidden, weight, bias, targets, token_block))


def ignoring_ignore_index(hidden, weight, bias, targets, token_block, ignore_index=-100):
    total, count = 0.0, 0
    for z, t in _chunks(hidden, weight, bias, targets, token_block):
        total = total + F.cross_entropy(z, t, reduction="sum")   # default ignore_index -100
        count += int((t != -100).sum())
    return total / count


def log_of_softmax_per_chunk(hidden, weight, bias, targets, token_block, ignore_index=-100):
    total, count = 0.0, 0
    for z, t in _chunks(hidden, weight, bias, targets, token_block):
        kept = t != ignore_index
        log_probs = torch.log(torch.softmax(z, dim=1))
        total = total - log_probs[kept.nonzero()[:, 0], t[kept]].sum()
        count += int(kept.sum())
    return total / count


def all_tokens_at_once(hidden, weight, bias, targets, token_block, ignore_index=-100):
    return F.cross_entropy(F.linear(hidden, weight, bias), targets, ignore_index=ignore_index)


# ---- exercise 3: gradient of the capped cross-entropy with z-loss --------------------------

def _capped(raw, softcap):
    return raw if softcap is None else softcap * torch.tanh(raw / softcap)


def _grad(raw, targets, softcap, z_weight, *, z_sign=1.0, z_factor=2.0, cap_chain=True,
          z_on_raw=False, divide=True):
    logits = _capped(raw, softcap)
    lse = torch.logsumexp(logits, dim=1, keepdim=True)
    probs = torch.exp(logits - lse)
    z_lse = torch.logsumexp(raw, dim=1, keepdim=True) if z_on_raw else lse
    z_probs = torch.softmax(raw, dim=1) if z_on_raw else probs
    grad = probs + z_sign * z_factor * z_weight * z_lse * z_probs
    grad[torch.arange(len(targets)), targets] -= 1.0
    if divide:
        grad = grad / raw.shape[0]
    if softcap is not None and cap_chain:
        grad = grad * (1 - (logits / softcap) ** 2)
    return grad


def z_loss_with_the_wrong_sign(raw, targets, softcap, z_weight):
    return _grad(raw, targets, softcap, z_weight, z_sign=-1.0)


def z_loss_without_the_factor_two(raw, targets, softcap, z_weight):
    return _grad(raw, targets, softcap, z_weight, z_factor=1.0)


def z_loss_on_the_raw_logits(raw, targets, softcap, z_weight):
    return _grad(raw, targets, softcap, z_weight, z_on_raw=True)


def forgetting_the_cap_derivative(raw, targets, softcap, z_weight):
    return _grad(raw, targets, softcap, z_weight, cap_chain=False)


def gradient_of_the_sum(raw, targets, softcap, z_weight):
    return _grad(raw, targets, softcap, z_weight, divide=False)


def softmax_without_the_max(raw, targets, softcap, z_weight):
    logits = _capped(raw, softcap)
    exps = torch.exp(logits)
    lse = torch.log(exps.sum(dim=1, keepdim=True))
    grad = (1 + 2 * z_weight * lse) * exps / exps.sum(dim=1, keepdim=True)
    grad[torch.arange(len(targets)), targets] -= 1.0
    grad = grad / raw.shape[0]
    return grad if softcap is None else grad * (1 - (logits / softcap) ** 2)


def with_backward(raw, targets, softcap, z_weight):
    leaf = raw.clone().requires_grad_(True)
    logits = _capped(leaf, softcap)
    loss = F.cross_entropy(logits, targets) + z_weight * (torch.logsumexp(logits, 1) ** 2).mean()
    loss.backward()
    return leaf.grad


def with_autograd_grad(raw, targets, softcap, z_weight):
    leaf = raw.detach().clone()
    leaf.requires_grad = True
    logits = _capped(leaf, softcap)
    loss = F.cross_entropy(logits, targets) + z_weight * (torch.logsumexp(logits, 1) ** 2).mean()
    return torch.autograd.grad(loss, leaf)[0]


CATALOGUE = [
    # (check, wrong answer, words the message must contain): see test_wrong_answers.py
    ("check_blockwise_logsumexp", lse_materialising_the_logits, "whole 6 x 23 logit matrix"),
    ("check_blockwise_logsumexp", lse_without_rescaling, "not rescaled"),
    ("check_blockwise_logsumexp", lse_without_rescaling_shifted_by_the_running_max,
     "not rescaled"),
    ("check_blockwise_logsumexp", lse_adding_block_results, "adds logarithms"),
    ("check_blockwise_logsumexp", lse_without_bias, "bias is missing"),
    ("check_blockwise_logsumexp", lse_without_max_shift, "exp overflowed"),
    ("check_blockwise_logsumexp", lse_dropping_the_last_partial_block, "last block"),
    ("check_token_chunked_mean_loss", mean_of_chunk_means, "mean of the per-chunk means"),
    ("check_token_chunked_mean_loss", mean_of_chunk_means_with_nan, "0 / 0 = nan"),
    ("check_token_chunked_mean_loss", dividing_by_all_tokens, "ignored ones included"),
    ("check_token_chunked_mean_loss", returning_the_sum, "the sum, not the mean"),
    ("check_token_chunked_mean_loss", ignoring_ignore_index, "counted as classes"),
    ("check_token_chunked_mean_loss", all_tokens_at_once, "more than one chunk's"),
    ("check_token_chunked_mean_loss", log_of_softmax_per_chunk, "log(softmax) is log(0)"),
    ("check_capped_z_loss_grad", z_loss_with_the_wrong_sign, "wrong sign"),
    ("check_capped_z_loss_grad", z_loss_without_the_factor_two, "factor 2"),
    ("check_capped_z_loss_grad", z_loss_on_the_raw_logits, "lse of the raw logits"),
    ("check_capped_z_loss_grad", forgetting_the_cap_derivative, "chain rule through the cap"),
    ("check_capped_z_loss_grad", gradient_of_the_sum, "gradient of the sum"),
    ("check_capped_z_loss_grad", with_backward, "used autograd (Tensor.backward)"),
    ("check_capped_z_loss_grad", with_autograd_grad, "used autograd (torch.autograd.grad)"),
    ("check_capped_z_loss_grad", softmax_without_the_max, "exp overflowed"),
]


@pytest.mark.parametrize("name", ["blockwise_logsumexp", "token_chunked_mean_loss",
                                  "capped_z_loss_grad"])
def test_the_worked_solution_passes_in_plain_text(name):
    report = getattr(nb08, f"check_{name}")(getattr(SOLUTIONS, name))
    assert report.ok, str(report)
    assert str(report).startswith("PASSED: ") and str(report).isascii()


def test_an_untouched_skeleton_is_not_done_in_plain_text():
    def skeleton(*args):
        raise NotImplementedError

    report = nb08.check_capped_z_loss_grad(skeleton)
    assert report.status == "not done"
    assert str(report).startswith("NOT DONE: ") and repr(report) == str(report)


def test_a_function_that_raises_is_a_failed_case_not_a_crash():
    def broken(*args):
        raise IndexError("index 7 is out of bounds")

    report = nb08.check_token_chunked_mean_loss(broken)
    assert report.status == "failed" and "raised IndexError" in str(report)
