"""Content of the cross-entropy figures (notebook 02), and their bad-input errors."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from slide_figures import readable, small_enough

from helpers.plots import plot_logit_gradient, plot_neg_log_curve
from helpers.plots.losses import (
    plot_cross_entropy_bars,
    plot_first_losses,
    plot_log_softmax_stability,
    plot_loss_and_gradient,
    plot_one_hot_pick,
    plot_sum_vs_mean,
    plot_surprisal_and_entropy,
)


def test_neg_log_curve_draws_minus_log_p_and_marks_points():
    ax = plot_neg_log_curve([0.7, 0.1], labels=["good", "bad"], min_prob=0.01)
    curve, *markers = ax.get_lines()
    probs = curve.get_xdata()
    assert probs.min() == pytest.approx(0.01) and probs.max() == 1.0
    np.testing.assert_allclose(curve.get_ydata(), -np.log(probs))
    assert len(markers) == 2
    np.testing.assert_allclose([m.get_xdata()[0] for m in markers], [0.7, 0.1])
    np.testing.assert_allclose([m.get_ydata()[0] for m in markers], -np.log([0.7, 0.1]))
    assert [t.get_text() for t in ax.texts] == [
        "good, p=0.7: loss 0.357",
        "bad, p=0.1: loss 2.303",
    ]
    assert "true class" in ax.get_xlabel()
    assert ax.get_ylim()[1] >= -np.log(0.01)


def test_neg_log_curve_without_marks_and_on_given_axes():
    _, ax = plt.subplots()
    assert plot_neg_log_curve(ax=ax) is ax
    assert len(ax.get_lines()) == 1 and len(ax.texts) == 0
    ax = plot_neg_log_curve(torch.tensor([0.5]))
    assert [t.get_text() for t in ax.texts] == ["p=0.5: loss 0.693"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"marked_probs": [0.0]}, ValueError, r"lie in \(0, 1\]"),
        ({"marked_probs": [1.5]}, ValueError, r"lie in \(0, 1\]"),
        ({"marked_probs": [-0.1, 0.5]}, ValueError, "from -0.1 to 0.5"),
        ({"marked_probs": [[0.5]]}, ValueError, "1 dimension"),
        ({"marked_probs": [np.nan]}, ValueError, "NaN"),
        ({"marked_probs": "0.5"}, TypeError, "array of numbers"),
        ({"marked_probs": [0.5], "labels": ["a", "b"]}, ValueError, "2 entries but there are 1"),
        ({"min_prob": 0.0}, ValueError, "min_prob"),
        ({"min_prob": 1.0}, ValueError, "min_prob"),
        ({"ax": "axes"}, TypeError, "matplotlib Axes"),
    ],
)
def test_neg_log_curve_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_neg_log_curve(**kwargs)


def test_logit_gradient_bars_equal_autograd():
    logits = [2.0, 1.0, 0.1]
    ax = plot_logit_gradient(logits, 0, labels=["cat", "dog", "bird"])
    heights = np.array([patch.get_height() for patch in ax.patches])
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    F.cross_entropy(z, torch.tensor(0)).backward()
    np.testing.assert_allclose(heights, z.grad.numpy(), rtol=1e-12)
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert [t.get_text() for t in ax.texts] == ["-0.341", "+0.242", "+0.099"]
    colors = [patch.get_facecolor() for patch in ax.patches]
    assert colors[0] != colors[1] == colors[2]  # the true class is highlighted
    assert heights.sum() == pytest.approx(0.0, abs=1e-15)


def test_logit_gradient_is_stable_for_extreme_logits():
    ax = plot_logit_gradient(np.array([0.0, 1e4]), np.int64(0))
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [-1.0, 1.0])


@pytest.mark.parametrize(
    ("logits", "target", "error", "message"),
    [
        ([1.0, 2.0], 2, ValueError, "target=2 is not a class index in 0..1"),
        ([1.0, 2.0], -1, ValueError, "target=-1"),
        ([1.0, 2.0], 1.0, TypeError, "integer class index, got float"),
        ([1.0, 2.0], True, TypeError, "got bool"),
        ([[1.0, 2.0]], 0, ValueError, "1 dimension"),
        ([1.0, np.inf], 0, ValueError, r"\+inf"),
        ([1.0, -np.inf], 0, ValueError, "-inf"),
    ],
)
def test_logit_gradient_rejects_bad_input(logits, target, error, message):
    with pytest.raises(error, match=message):
        plot_logit_gradient(logits, target)


def test_logit_gradient_checks_labels():
    with pytest.raises(ValueError, match="1 entries but there are 2"):
        plot_logit_gradient([1.0, 2.0], 0, labels=["a"])


# ---- the section figures of notebook 02 ------------------------------------------------------

def test_surprisal_and_entropy_curves():
    fig, (left, right) = plot_surprisal_and_entropy(min_prob=0.01)
    curve = left.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), -np.log(curve.get_xdata()))
    entropy_curve, ln2 = right.get_lines()
    p = entropy_curve.get_xdata()
    inner = (p > 0) & (p < 1)
    reference = torch.distributions.Categorical(
        probs=torch.tensor(np.stack([p[inner], 1 - p[inner]], axis=1))).entropy().numpy()
    np.testing.assert_allclose(entropy_curve.get_ydata()[inner], reference, rtol=1e-12)
    assert entropy_curve.get_ydata()[0] == entropy_curve.get_ydata()[-1] == 0.0
    assert entropy_curve.get_ydata().max() == pytest.approx(np.log(2))
    np.testing.assert_allclose(ln2.get_ydata(), np.log(2))
    assert readable(left) and readable(right) and small_enough(fig)
    with pytest.raises(ValueError, match="min_prob"):
        plot_surprisal_and_entropy(min_prob=0.5)


def test_cross_entropy_bars_and_their_numbers():
    p, q = [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]
    ax = plot_cross_entropy_bars(p, q, ["a", "b", "c"])
    np.testing.assert_allclose([b.get_height() for b in ax.patches], p + q)
    kl = F.kl_div(torch.tensor(q).double().log(), torch.tensor(p).double(),
                  reduction="sum").item()
    text = ax.texts[-1].get_text()
    assert text == f"H(p) = 1.0297\nH(p, q) = 1.0549\nKL(p || q) = {kl:.4f}"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["truth p", "belief q"]
    assert readable(ax) and small_enough(ax.figure)


@pytest.mark.parametrize(
    ("truth", "belief", "message"),
    [([0.5, 0.5], [0.5, 0.6], "sum to 1"), ([0.5, 0.5], [1 / 3] * 3, "same length"),
     ([0.5, 0.5], [1.0, 0.0], "infinite"), ([1.0], [1.0], "at least 2")],
)
def test_cross_entropy_bars_reject_bad_input(truth, belief, message):
    with pytest.raises(ValueError, match=message):
        plot_cross_entropy_bars(truth, belief)


def test_one_hot_pick_keeps_only_the_true_class_term():
    ax = plot_one_hot_pick([0, 1, 0], [0.7, 0.2, 0.1], ["a", "b", "c"])
    heights = np.array([b.get_height() for b in ax.patches])
    np.testing.assert_allclose(heights[:3], -np.log([0.7, 0.2, 0.1]))
    np.testing.assert_allclose(heights[3:], [0.0, -np.log(0.2), 0.0])
    reference = F.nll_loss(torch.tensor([[0.7, 0.2, 0.1]]).double().log(),
                           torch.tensor([1])).item()
    assert ax.get_title() == f"the one-hot row keeps one term: loss = {reference:.3f}"
    assert readable(ax) and small_enough(ax.figure)


@pytest.mark.parametrize(
    ("actual", "predicted", "message"),
    [([1, 1, 0], [0.5, 0.3, 0.2], "one-hot"), ([0.5, 0.5], [0.5, 0.5], "one-hot"),
     ([1, 0], [0.5, 0.3, 0.2], "same length"), ([1, 0], [0.0, 1.0], "infinite"),
     ([1, 0], [0.5, 0.6], "sum to 1")],
)
def test_one_hot_pick_rejects_bad_input(actual, predicted, message):
    with pytest.raises(ValueError, match=message):
        plot_one_hot_pick(actual, predicted)


def test_sum_grows_with_the_batch_and_the_mean_does_not():
    losses = np.array([0.5, 1.5, 1.0, 1.0])
    ax = plot_sum_vs_mean(losses, [4, 1, 2])
    total, mean = ax.get_lines()
    np.testing.assert_allclose(total.get_xdata(), [1, 2, 4])
    np.testing.assert_allclose(total.get_ydata(), [0.5, 2.0, 4.0])
    np.testing.assert_allclose(mean.get_ydata(), [0.5, 1.0, 1.0])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert readable(ax) and small_enough(ax.figure)


@pytest.mark.parametrize(
    ("losses", "sizes", "message"),
    [([1.0, 0.0], [1, 2], "> 0"), ([1.0, 2.0], [1, 3], "integers in 1..2"),
     ([1.0, 2.0], [1, 1.5], "integers"), ([1.0, 2.0], [1], "at least 2")],
)
def test_sum_vs_mean_rejects_bad_input(losses, sizes, message):
    with pytest.raises(ValueError, match=message):
        plot_sum_vs_mean(losses, sizes)


def test_log_softmax_stability_naive_loss_turns_inf_in_float32():
    margins = np.array([1.0, 10.0, 50.0, 200.0, 1e4])
    ax = plot_log_softmax_stability(margins)
    stable, naive = ax.get_lines()
    logits = torch.tensor(np.stack([np.zeros(5), margins], axis=1), dtype=torch.float32)
    reference = F.cross_entropy(logits, torch.zeros(5, dtype=torch.long), reduction="none")
    np.testing.assert_allclose(stable.get_ydata(), reference.numpy(), rtol=1e-6)
    # e^-200 and e^-10000 are 0 in float32: the naive line holds only the first three
    np.testing.assert_allclose(naive.get_xdata(), [1.0, 10.0, 50.0])
    assert len(ax.patches) == 1  # the shaded inf region
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert readable(ax) and small_enough(ax.figure)
    with pytest.raises(ValueError, match="margins must be > 0"):
        plot_log_softmax_stability([0.0, 1.0])


def test_first_losses_points_and_ln_c():
    ax = plot_first_losses([2, 10, 100], [[0.7, 2.3, 4.6], [0.69, 2.2, 4.7]])
    line, *points = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), np.log(line.get_xdata()))
    np.testing.assert_allclose(points[1].get_ydata(), [0.69, 2.2, 4.7])
    assert points[-1].get_label() == "first loss of a new network"
    assert ax.get_xscale() == "log" and readable(ax) and small_enough(ax.figure)


@pytest.mark.parametrize(
    ("classes", "losses", "message"),
    [([1, 10], [0.5, 2.3], "integers >= 2"), ([2, 10], [0.7, 2.3, 4.6], "one column"),
     ([2, 10], [0.7, -1.0], "> 0"), ([2, 2.5], [0.7, 0.9], "integers")],
)
def test_first_losses_reject_bad_input(classes, losses, message):
    with pytest.raises(ValueError, match=message):
        plot_first_losses(classes, losses)


def test_loss_and_gradient_marks_the_chosen_probability():
    ax = plot_loss_and_gradient(0.1)
    loss_curve, gradient_curve, marks = ax.get_lines()[:3]
    np.testing.assert_allclose(loss_curve.get_ydata(), -np.log(loss_curve.get_xdata()))
    np.testing.assert_allclose(gradient_curve.get_ydata(), gradient_curve.get_xdata() - 1)
    z = torch.tensor([0.0, np.log(9.0)], dtype=torch.float64, requires_grad=True)  # p = 0.1
    loss = F.cross_entropy(z, torch.tensor(0))
    loss.backward()
    np.testing.assert_allclose(marks.get_ydata(), [loss.item(), z.grad[0].item()])
    assert ax.get_title() == "p = 0.10: loss 2.30, gradient -0.90"
    assert readable(ax) and small_enough(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [({"true_prob": "0.5"}, TypeError, "number"), ({"true_prob": 0.0}, ValueError, "lie in"),
     ({"true_prob": 1.5}, ValueError, "lie in"),
     ({"true_prob": 0.5, "min_prob": 0.0}, ValueError, "min_prob")],
)
def test_loss_and_gradient_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_loss_and_gradient(**kwargs)


def test_loss_and_gradient_drives_a_live_control():
    from helpers.widgets import PlotExplorer

    explorer = PlotExplorer(plot_loss_and_gradient, {"true_prob": (0.01, 1.0, 0.01, 0.5)},
                            title="Loss and gradient")
    assert explorer.axes.get_title() == "p = 0.50: loss 0.69, gradient -0.50"
    explorer.sliders["true_prob"].value = 0.05
    assert explorer.axes.get_title() == "p = 0.05: loss 3.00, gradient -0.95"
