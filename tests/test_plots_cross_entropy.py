"""Content of the cross-entropy figures (notebook 02), and their bad-input errors."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.plots import plot_logit_gradient, plot_neg_log_curve


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
