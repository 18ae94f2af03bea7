"""Notebook 11's exercises: plausible wrong answers, each rejected with a message that names
the mistake, and how its verdicts read.

``CATALOGUE`` lists ``(check, wrong answer, words the message must contain)``, in the form
of ``test_checks_nb08.CATALOGUE``, so that ``test_wrong_answers.py`` can run it with every
other exercise's.
"""

import pytest
import torch
import torch.nn.functional as F

from helpers.checks import nb11
from helpers.notebook_import import load_notebook_definitions

SOLUTIONS = load_notebook_definitions("solutions/11_cross_entropy_across_processes")


# ---- exercise 1: the global log-sum-exp from each rank's (max, sum) -----------------------

def _stacked(maxes, sums):
    return torch.stack(maxes), torch.stack(sums)


def merge_without_rescaling(maxes, sums):
    maxes, sums = _stacked(maxes, sums)
    return maxes.amax(dim=0) + torch.log(sums.sum(dim=0))


def merge_with_the_sum_of_the_maxima(maxes, sums):
    maxes, sums = _stacked(maxes, sums)
    shift = maxes.sum(dim=0)  # an all-reduce SUM where MAX was meant
    return shift + torch.log((sums * torch.exp(maxes - shift)).sum(dim=0))


def merge_by_the_max_of_the_sums(maxes, sums):
    maxes, sums = _stacked(maxes, sums)
    top = maxes.amax(dim=0)
    return top + torch.log((sums * torch.exp(maxes - top)).amax(dim=0))


def merge_by_the_mean_of_the_sums(maxes, sums):
    maxes, sums = _stacked(maxes, sums)
    top = maxes.amax(dim=0)
    return top + torch.log((sums * torch.exp(maxes - top)).mean(dim=0))


def merge_the_maxima_only(maxes, sums):
    return torch.logsumexp(torch.stack(maxes), dim=0)


def merge_without_the_shift(maxes, sums):
    maxes, sums = _stacked(maxes, sums)
    return torch.log((sums * torch.exp(maxes)).sum(dim=0))  # exp(3000) = inf


def merge_by_adding_logs(maxes, sums):
    maxes, sums = _stacked(maxes, sums)
    return maxes.amax(dim=0) + torch.log(sums).sum(dim=0)


def merge_shifting_by_the_local_max(maxes, sums):
    # exp(m_r - m_r) = 1 for every rank: no rescale at all, written another way.
    maxes, sums = _stacked(maxes, sums)
    return maxes.amax(dim=0) + torch.log((sums * torch.exp(maxes - maxes)).sum(dim=0))


def merge_as_a_list(maxes, sums):
    return SOLUTIONS.merge_shard_statistics(maxes, sums).tolist()


def merge_rescaling_in_place(maxes, sums):
    # The right value, but the caller's sums are rescaled on the way.
    top = torch.stack(maxes).amax(dim=0)
    for local_max, local_sum in zip(maxes, sums, strict=True):
        local_sum.mul_(torch.exp(local_max - top))
    return top + torch.log(torch.stack(sums).sum(dim=0))


def merge_in_float32(maxes, sums):
    return SOLUTIONS.merge_shard_statistics([m.float() for m in maxes],
                                            [s.float() for s in sums])


# ---- exercise 2: one shard's gradient ------------------------------------------------------

def _kept(targets, ignore_index):
    return targets != ignore_index


def _one_hot_rows(local_logits, targets, vocab_start, ignore_index):
    column = targets - vocab_start
    return _kept(targets, ignore_index) & (column >= 0) & (column < local_logits.shape[1])


def gradient_with_the_local_lse(local_logits, targets, vocab_start, lse, ignore_index=-100):
    return SOLUTIONS.mean_shard_gradient(local_logits, targets, vocab_start,
                                    torch.logsumexp(local_logits, dim=1), ignore_index)


def gradient_one_hot_on_every_rank(local_logits, targets, vocab_start, lse,
                                   ignore_index=-100):
    grad = torch.exp(local_logits - lse[:, None])
    kept = _kept(targets, ignore_index)
    column = (targets - vocab_start).clamp(0, local_logits.shape[1] - 1)
    grad[kept, column[kept]] -= 1.0
    grad[~kept] = 0.0
    return grad / kept.sum().clamp(min=1)


def gradient_target_not_shifted(local_logits, targets, vocab_start, lse, ignore_index=-100):
    grad = torch.exp(local_logits - lse[:, None])
    kept = _kept(targets, ignore_index)
    mine = kept & (targets >= 0) & (targets < local_logits.shape[1])
    grad[mine, targets[mine]] -= 1.0
    grad[~kept] = 0.0
    return grad / kept.sum().clamp(min=1)


def gradient_ignored_rows_kept(local_logits, targets, vocab_start, lse, ignore_index=-100):
    grad = torch.exp(local_logits - lse[:, None])
    mine = _one_hot_rows(local_logits, targets, vocab_start, ignore_index)
    grad[mine, (targets - vocab_start)[mine]] -= 1.0
    return grad / _kept(targets, ignore_index).sum().clamp(min=1)


def gradient_without_the_mean(local_logits, targets, vocab_start, lse, ignore_index=-100):
    kept = _kept(targets, ignore_index).sum().clamp(min=1)
    return SOLUTIONS.mean_shard_gradient(local_logits, targets, vocab_start, lse,
                                    ignore_index) * kept


def gradient_divided_by_every_token(local_logits, targets, vocab_start, lse,
                                    ignore_index=-100):
    kept = _kept(targets, ignore_index).sum().clamp(min=1)
    return SOLUTIONS.mean_shard_gradient(local_logits, targets, vocab_start, lse,
                                    ignore_index) * kept / len(targets)


def gradient_with_the_wrong_sign(local_logits, targets, vocab_start, lse, ignore_index=-100):
    return -SOLUTIONS.mean_shard_gradient(local_logits, targets, vocab_start, lse, ignore_index)


def gradient_dividing_by_zero(local_logits, targets, vocab_start, lse, ignore_index=-100):
    kept = _kept(targets, ignore_index)
    grad = torch.exp(local_logits - lse[:, None])
    mine = _one_hot_rows(local_logits, targets, vocab_start, ignore_index)
    grad[mine, (targets - vocab_start)[mine]] -= 1.0
    grad[~kept] = 0.0
    return grad / kept.sum()  # 0 / 0 when every token is ignored


def gradient_with_f_one_hot(local_logits, targets, vocab_start, lse, ignore_index=-100):
    # F.one_hot of a target outside this shard (or of -100) is an error.
    one_hot = F.one_hot(targets - vocab_start, local_logits.shape[1])
    return (torch.exp(local_logits - lse[:, None]) - one_hot) / len(targets)


def gradient_in_place(local_logits, targets, vocab_start, lse, ignore_index=-100):
    # The right values, written over the caller's logits.
    grad = local_logits.sub_(lse[:, None]).exp_()
    kept = _kept(targets, ignore_index)
    mine = _one_hot_rows(local_logits, targets, vocab_start, ignore_index)
    grad[mine, (targets - vocab_start)[mine]] -= 1.0
    grad[~kept] = 0.0
    return grad / kept.sum().clamp(min=1)


def _gradient_one_hot_at(local_logits, targets, column, lse, ignore_index):
    grad = torch.exp(local_logits - lse[:, None])
    kept = _kept(targets, ignore_index)
    mine = kept & (column >= 0) & (column < local_logits.shape[1])
    grad[mine, column[mine]] -= 1.0
    grad[~kept] = 0.0
    return grad / kept.sum().clamp(min=1)


def gradient_one_hot_a_column_right(local_logits, targets, vocab_start, lse,
                                    ignore_index=-100):
    column = targets - vocab_start + 1  # as if classes were counted from 1
    return _gradient_one_hot_at(local_logits, targets, column, lse, ignore_index)


def gradient_one_hot_a_column_left(local_logits, targets, vocab_start, lse,
                                   ignore_index=-100):
    column = targets - vocab_start - 1
    return _gradient_one_hot_at(local_logits, targets, column, lse, ignore_index)


def gradient_with_an_inclusive_end(local_logits, targets, vocab_start, lse,
                                   ignore_index=-100):
    # vocab_start <= target <= vocab_start + V_r: one class too many.
    grad = torch.exp(local_logits - lse[:, None])
    kept = _kept(targets, ignore_index)
    end = vocab_start + local_logits.shape[1]
    mine = kept & (targets >= vocab_start) & (targets <= end)
    grad[mine, (targets - vocab_start)[mine]] -= 1.0
    grad[~kept] = 0.0
    return grad / kept.sum().clamp(min=1)


def gradient_ignoring_minus_100(local_logits, targets, vocab_start, lse, ignore_index=-100):
    # The solution, with -100 written where ignore_index belongs.
    return SOLUTIONS.mean_shard_gradient(local_logits, targets, vocab_start, lse, -100)


def gradient_in_float32(local_logits, targets, vocab_start, lse, ignore_index=-100):
    return SOLUTIONS.mean_shard_gradient(local_logits.float(), targets, vocab_start,
                                         lse.float(), ignore_index)


# ---- exercise 3: the loss one data-parallel rank backpropagates --------------------------

def _summed(logits, targets, ignore_index):
    return F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum")


def loss_mean_of_means(logits, targets, total_kept, world_size, ignore_index=-100):
    return F.cross_entropy(logits, targets, ignore_index=ignore_index)


def loss_without_the_world_size(logits, targets, total_kept, world_size, ignore_index=-100):
    return _summed(logits, targets, ignore_index) / total_kept


def loss_divided_by_the_world_size(logits, targets, total_kept, world_size,
                                   ignore_index=-100):
    return _summed(logits, targets, ignore_index) / (total_kept * world_size)


def loss_counting_the_padding(logits, targets, total_kept, world_size, ignore_index=-100):
    return _summed(logits, targets, ignore_index) * world_size / (len(targets) * world_size)


def loss_summed(logits, targets, total_kept, world_size, ignore_index=-100):
    return _summed(logits, targets, ignore_index)


def loss_as_a_float(logits, targets, total_kept, world_size, ignore_index=-100):
    return float(_summed(logits, targets, ignore_index) * world_size / total_kept)


def loss_mean_of_means_times_world_size(logits, targets, total_kept, world_size,
                                        ignore_index=-100):
    # Undoes DDP's average, but each rank still divides by its own count.
    return F.cross_entropy(logits, targets, ignore_index=ignore_index) * world_size


def loss_own_mean_times_own_count(logits, targets, total_kept, world_size,
                                  ignore_index=-100):
    # The sum written as mean * count: 0 / 0 * 0 = nan on a rank with only padding.
    kept = (targets != ignore_index).sum()
    return (F.cross_entropy(logits, targets, ignore_index=ignore_index) * kept * world_size
            / total_kept)


def loss_ignoring_minus_100(logits, targets, total_kept, world_size, ignore_index=-100):
    # F.cross_entropy's default ignore_index, -100, where the argument belongs.
    return F.cross_entropy(logits, targets, reduction="sum") * world_size / total_kept


def loss_with_the_wrong_sign(logits, targets, total_kept, world_size, ignore_index=-100):
    return -_summed(logits, targets, ignore_index) * world_size / total_kept


def loss_overwriting_the_padding(logits, targets, total_kept, world_size,
                                 ignore_index=-100):
    # The right loss, but the padding of the caller's targets becomes class 0.
    kept = targets != ignore_index
    targets[~kept] = 0
    losses = F.cross_entropy(logits, targets, reduction="none") * kept
    return losses.sum() * world_size / max(total_kept, 1)


def loss_in_float32(logits, targets, total_kept, world_size, ignore_index=-100):
    return _summed(logits.float(), targets, ignore_index) * world_size / total_kept


CATALOGUE = [
    # (check, wrong answer, words the message must contain): see test_wrong_answers.py
    ("check_merge_shard_statistics", merge_without_rescaling, "multiply it by exp(m_r - M)"),
    ("check_merge_shard_statistics", merge_shifting_by_the_local_max,
     "multiply it by exp(m_r - M)"),
    ("check_merge_shard_statistics", merge_with_the_sum_of_the_maxima,
     "maxima were combined by a SUM"),
    ("check_merge_shard_statistics", merge_by_the_max_of_the_sums,
     "rescaled sums were combined by a MAX"),
    ("check_merge_shard_statistics", merge_by_the_mean_of_the_sums, "averaged over the ranks"),
    ("check_merge_shard_statistics", merge_the_maxima_only, "log-sum-exp of the maxima"),
    ("check_merge_shard_statistics", merge_without_the_shift, "exp(m_r) overflows"),
    ("check_merge_shard_statistics", merge_by_adding_logs, "logs of the sums were added"),
    ("check_merge_shard_statistics", merge_as_a_list, "return a torch tensor"),
    ("check_merge_shard_statistics", merge_rescaling_in_place,
     "your function changed sums in place"),
    ("check_merge_shard_statistics", merge_in_float32,
     "your answer is float32; the inputs are float64: compute in their dtype"),
    ("check_mean_shard_gradient", gradient_with_the_local_lse, "GLOBAL lse"),
    ("check_mean_shard_gradient", gradient_one_hot_on_every_rank,
     "every rank subtracted a one-hot"),
    ("check_mean_shard_gradient", gradient_target_not_shifted, "target - vocab_start"),
    ("check_mean_shard_gradient", gradient_ignored_rows_kept, "must get gradient 0"),
    ("check_mean_shard_gradient", gradient_without_the_mean,
     "1/(number of kept tokens) is missing"),
    ("check_mean_shard_gradient", gradient_divided_by_every_token, "the mean is over the kept"),
    ("check_mean_shard_gradient", gradient_with_the_wrong_sign, "wrong sign"),
    ("check_mean_shard_gradient", gradient_dividing_by_zero, "max(count, 1)"),
    ("check_mean_shard_gradient", gradient_with_f_one_hot, "raised RuntimeError"),
    ("check_mean_shard_gradient", gradient_in_place,
     "your function changed local_logits in place"),
    ("check_mean_shard_gradient", gradient_one_hot_a_column_right, "one column off"),
    ("check_mean_shard_gradient", gradient_one_hot_a_column_left, "one column off"),
    ("check_mean_shard_gradient", gradient_with_an_inclusive_end, "(strictly less)"),
    ("check_mean_shard_gradient", gradient_ignoring_minus_100,
     "found by comparing with -100; here ignore_index = 2"),
    ("check_mean_shard_gradient", gradient_in_float32,
     "your answer is float32; the inputs are float64: compute in their dtype"),
    ("check_data_parallel_loss", loss_mean_of_means, "mean of per-rank means"),
    ("check_data_parallel_loss", loss_mean_of_means_times_world_size,
     "still divides by its own count"),
    ("check_data_parallel_loss", loss_without_the_world_size, "multiply by world_size"),
    ("check_data_parallel_loss", loss_divided_by_the_world_size, "DDP already divides"),
    ("check_data_parallel_loss", loss_counting_the_padding, "the count includes the padding"),
    ("check_data_parallel_loss", loss_summed, "not divided by the number of kept tokens"),
    ("check_data_parallel_loss", loss_as_a_float, "autograd can differentiate"),
    ("check_data_parallel_loss", loss_own_mean_times_own_count,
     "rank 1's loss is nan: that rank holds only padding, so it has 0 kept tokens"),
    ("check_data_parallel_loss", loss_ignoring_minus_100,
     "comparing with -100 (F.cross_entropy's default ignore_index); here ignore_index = 0"),
    ("check_data_parallel_loss", loss_with_the_wrong_sign, "wrong sign"),
    ("check_data_parallel_loss", loss_overwriting_the_padding,
     "your function changed targets in place"),
    ("check_data_parallel_loss", loss_in_float32,
     "your loss is float32; the inputs are float64: compute in their dtype"),
]


def test_every_exercise_has_at_least_five_wrong_answers():
    counts = {name: sum(1 for c, _, _ in CATALOGUE if c == name) for name in nb11.__all__}
    assert all(count >= 5 for count in counts.values()), counts


@pytest.mark.parametrize("name", ["merge_shard_statistics", "mean_shard_gradient",
                                  "data_parallel_loss"])
def test_the_worked_solution_passes_in_plain_text(name):
    report = getattr(nb11, f"check_{name}")(getattr(SOLUTIONS, name))
    assert report.ok, str(report)
    assert str(report).startswith("PASSED: ") and str(report).isascii()


def test_the_solutions_give_pytorchs_loss_and_gradient_on_a_batch_split_three_ways():
    # The three answers together: the vocabulary-parallel loss and gradient of one batch,
    # every rank simulated, against F.cross_entropy on the whole logits.
    generator = torch.Generator().manual_seed(7)
    logits = 50 * torch.randn(6, 11, generator=generator, dtype=torch.float64)
    targets = torch.tensor([10, 0, -100, 4, 7, 3])
    starts, sizes = [0, 3, 8], [3, 5, 3]
    shards = [logits[:, s:s + n] for s, n in zip(starts, sizes, strict=True)]
    maxes = [shard.amax(dim=1) for shard in shards]
    sums = [torch.exp(shard - m[:, None]).sum(dim=1)
            for shard, m in zip(shards, maxes, strict=True)]
    lse = SOLUTIONS.merge_shard_statistics(maxes, sums)
    kept = targets != -100
    picked = logits[kept, targets[kept]]
    loss = (lse[kept] - picked).mean()
    grad = torch.cat([SOLUTIONS.mean_shard_gradient(shard, targets, start, lse)
                      for shard, start in zip(shards, starts, strict=True)], dim=1)
    leaf = logits.clone().requires_grad_(True)
    expected = F.cross_entropy(leaf, targets)
    expected.backward()
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(grad, leaf.grad, rtol=1e-12, atol=1e-15)
