"""helpers.plots.distributed: notebook 11's figures show what they claim, refuse bad input."""

import math
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from slide_figures import readable, small_enough

from helpers.distributed import bytes_per_token
from helpers.plots._base import SLIDE_FONT
from helpers.plots.distributed import (
    plot_all_reduce,
    plot_bytes_per_token,
    plot_gradient_shards,
    plot_shard_merge,
    plot_token_weights,
    plot_vocabulary_shards,
    token_weights,
)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_vocabulary_shards_are_drawn_to_scale_one_per_rank():
    ax = plot_vocabulary_shards([6, 2, 4], tokens=3)
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == [6, 2, 4]
    assert [patch.get_x() for patch in ax.patches] == [0, 6, 8]
    assert "3 column shards" in ax.get_title()
    assert readable(ax) and small_enough(ax.figure)
    plt.close(ax.figure)


def test_many_vocabulary_shards_number_only_the_two_ends():
    ax = plot_vocabulary_shards([32_000] * 8, tokens=8_192)
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels[0] == "0" and labels[-1] == "256,000" and not any(labels[1:-1])
    assert "rank 7\n32,000\nclasses" in _texts(ax)
    plt.close(ax.figure)


@pytest.mark.parametrize(("op", "result"), [("sum", "10"), ("max", "4"), ("min", "1")])
def test_all_reduce_gives_every_rank_the_same_combination(op, result):
    ax = plot_all_reduce([3, 1, 4, 2], op)
    after = [t.get_text() for t in ax.texts
             if t.get_text().startswith("rank") and t.get_position()[0] > 0.5]
    assert after == [f"rank {rank}: {result}" for rank in range(4)]
    assert f"all_reduce\n{op.upper()}" in _texts(ax)
    assert min(t.get_fontsize() for t in ax.texts) >= SLIDE_FONT and small_enough(ax.figure)
    plt.close(ax.figure)


def test_shard_merge_draws_pytorchs_log_sum_exp():
    logits = torch.tensor([3.0, -1.0, 0.5, 2.0, 7.0, -4.0, 1.0], dtype=torch.float64)
    ax = plot_shard_merge(logits, [2, 3, 2])
    lse = torch.logsumexp(logits, dim=0).item()
    line = next(line for line in ax.lines if line.get_label().startswith("global lse"))
    assert math.isclose(line.get_ydata()[0], lse, rel_tol=1e-12)
    assert f"{lse:.2f}" in line.get_label()
    assert "m=7.0\ns=1.01" in _texts(ax)  # rank 1: exp(-6.5) + exp(-5) + 1
    assert len(ax.patches) == logits.numel()
    assert readable(ax) and small_enough(ax.figure)
    plt.close(ax.figure)


def test_gradient_shards_show_autograds_gradient_of_the_mean_loss():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 7, generator=generator, dtype=torch.float64)
    targets = torch.tensor([0, 6, 3, 3])
    ax = plot_gradient_shards(logits, targets, [3, 4])
    leaf = logits.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(leaf, targets).backward()
    np.testing.assert_allclose(ax.images[0].get_array(), leaf.grad.numpy(), rtol=1e-12)
    assert [t for t in _texts(ax) if t.startswith("rank")] == ["rank 0", "rank 1"]
    assert readable(ax) and small_enough(ax.figure)
    plt.close(ax.figure)


def test_bytes_per_token_draws_the_modules_exact_count():
    ax = plot_bytes_per_token(4, 50_257)
    count = bytes_per_token(50_257, 4, torch.float32)
    assert [p.get_width() for p in ax.patches] == [float(count.statistics),
                                                  float(count.gather_logits)]
    assert f"{float(count.ratio):,.0f} x" in ax.get_title()
    assert ax.get_xscale() == "log" and readable(ax) and small_enough(ax.figure)
    plt.close(ax.figure)


def test_token_weights_of_the_global_mean_sum_to_one_and_the_mean_of_means_favour_padding():
    weights = token_weights([1, 5], 8)
    assert weights["global mean"].sum() == pytest.approx(1.0)
    assert weights["mean of means"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(weights["mean of means"][-3:], 1 / 6)  # 2 ranks x 3 kept
    np.testing.assert_allclose(weights["global mean"], 1 / 10)
    equal = token_weights([2, 2], 8)
    np.testing.assert_allclose(equal["global mean"], equal["mean of means"])


def test_token_weights_title_gives_the_worst_ratio():
    ax = plot_token_weights(1.2, 4.8, tokens_per_rank=8)  # slider values, rounded
    assert "1.67 x" in ax.get_title()  # (1 / (2 * 3)) / (1 / 10)
    assert readable(ax) and small_enough(ax.figure)
    plt.close(ax.figure)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: plot_vocabulary_shards("4"), TypeError, "sequence of ints"),
    (lambda: plot_vocabulary_shards([2, -1]), ValueError, r"shard_sizes\[1\]"),
    (lambda: plot_vocabulary_shards([0, 0]), ValueError, "at least one"),
    (lambda: plot_vocabulary_shards([2, 2.5]), TypeError, "must be an int"),
    (lambda: plot_all_reduce([1, 2], "mean"), ValueError, "op must be one of"),
    (lambda: plot_all_reduce([1, 2], 3), TypeError, "op must be a string"),
    (lambda: plot_all_reduce(list(range(9))), ValueError, "at most 8"),
    (lambda: plot_shard_merge([1.0, 2.0, 3.0], [1, 1]), ValueError, "add up to 2"),
    (lambda: plot_shard_merge([1.0, 2.0], [2, 0]), ValueError, ">= 1"),
    (lambda: plot_gradient_shards(np.zeros((2, 3)), [0, 3], [3]), ValueError, "class indices"),
    (lambda: plot_gradient_shards(np.zeros((2, 3)), [0], [3]), ValueError, "one class per row"),
    (lambda: plot_bytes_per_token(1, 100), ValueError, "world_size"),
    (lambda: plot_bytes_per_token("4", 100), TypeError, "world_size must be a number"),
    (lambda: plot_token_weights(8, 0), ValueError, "at least one kept token"),
    (lambda: token_weights(3, 8), TypeError, "padding must be a sequence"),
])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
    plt.close("all")


def test_bytes_per_token_with_the_hidden_gradient_of_the_fused_loss_on_shards():
    ax = plot_bytes_per_token(4, 50_257, hidden_size=4_096)
    count = bytes_per_token(50_257, 4, torch.float32, hidden_size=4_096)
    assert count.hidden_gradient == 2 * Fraction(3, 4) * 4_096 * 4  # 24,576 B
    assert [p.get_width() for p in ax.patches] == [
        float(count.statistics), float(count.hidden_gradient), float(count.gather_logits)]
    colors = [p.get_facecolor() for p in ax.patches]
    plain = plot_bytes_per_token(4, 50_257)
    assert [colors[0], colors[2]] == [p.get_facecolor() for p in plain.patches]
    assert readable(ax) and small_enough(ax.figure)
    with pytest.raises(ValueError, match="hidden_size"):
        plot_bytes_per_token(4, 100, hidden_size=0)
    plt.close("all")
