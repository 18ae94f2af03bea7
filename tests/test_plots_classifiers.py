"""The figures of notebooks 03 and 04: what is drawn, readable sizes, and bad input."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.plots.classifiers import (
    FONT_SIZE,
    plot_argmax_tie,
    plot_curves,
    plot_label_smoothing,
    plot_pos_weight,
    plot_prediction_bars,
)

GOOD = [0.7, 0.2, 0.1]
BAD = [0.2, 0.7, 0.1]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_readable(ax):
    """Tick labels and legend at least FONT_SIZE points, the figure at most 7 x 3.2 inches."""
    width, height = ax.figure.get_size_inches()
    assert width <= 7.0 and height <= 3.2
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        assert label.get_fontsize() >= FONT_SIZE >= 11
    if ax.get_legend() is not None:
        for text in ax.get_legend().get_texts():
            assert text.get_fontsize() >= FONT_SIZE


def bar_heights(ax):
    return [patch.get_height() for patch in ax.patches]


# ---- prediction bars (notebook 03, section 2) ---------------------------------------------

def test_prediction_bars_show_each_prediction_and_its_loss():
    ax = plot_prediction_bars({"good": GOOD, "bad": BAD}, target=0, labels=["a", "b", "c"])
    np.testing.assert_allclose(bar_heights(ax), GOOD + BAD)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"good: loss {-math.log(0.7):.3f}", f"bad: loss {-math.log(0.2):.3f}"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\n(true)", "b", "c"]
    assert_readable(ax)


@pytest.mark.parametrize(
    ("predictions", "target", "error", "words"),
    [
        ([GOOD], 0, TypeError, "map names"),
        ({}, 0, ValueError, "one to"),
        ({"good": GOOD, "short": [0.5, 0.5]}, 0, ValueError, "same number of classes"),
        ({"good": [0.7, 0.7, 0.1]}, 0, ValueError, "sum to 1"),
        ({"good": GOOD}, 3, ValueError, "class index"),
        ({"good": GOOD}, 1.0, TypeError, "an int"),
    ],
)
def test_prediction_bars_refuse_bad_input(predictions, target, error, words):
    with pytest.raises(error, match=words):
        plot_prediction_bars(predictions, target)


# ---- the argmax tie (notebook 03, section 3) -----------------------------------------------

def test_argmax_tie_highlights_each_panels_own_argmax():
    fig = plot_argmax_tie([1e-9, 2e-9], [0.5, 0.5])
    logits_ax, probs_ax = fig.axes
    assert logits_ax.get_title() == "logits: argmax = 1"
    assert probs_ax.get_title() == "probabilities: argmax = 0"  # the first of the tied
    np.testing.assert_allclose(bar_heights(logits_ax), [1e-9, 2e-9])
    np.testing.assert_allclose(bar_heights(probs_ax), [0.5, 0.5])
    colours = [patch.get_facecolor() for patch in logits_ax.patches]
    assert colours[0] != colours[1]
    for ax in fig.axes:
        assert_readable(ax)


@pytest.mark.parametrize(
    ("logits", "probs", "words"),
    [([1.0, 2.0], [0.2, 0.3, 0.5], "entries"), ([1.0, 2.0], [0.6, 0.6], "sum to 1"),
     ([[1.0, 2.0]], [0.5, 0.5], "dimension"), ([1.0], [1.0], "at least 2")],
)
def test_argmax_tie_refuses_bad_input(logits, probs, words):
    with pytest.raises(ValueError, match=words):
        plot_argmax_tie(logits, probs)


# ---- curves (notebooks 03 and 04) ----------------------------------------------------------

def test_curves_draw_each_curve_and_the_reference_lines():
    x = np.linspace(0.0, 2.0, 5)
    ax = plot_curves(x, {"right": x, "twice": x}, xlabel="scale", ylabel="loss",
                     title="t", levels={"floor": 0.55}, marks={"z = 16.6": 1.5})
    right, twice, floor, mark = ax.lines
    np.testing.assert_allclose(right.get_ydata(), x)
    np.testing.assert_allclose(twice.get_ydata(), x)
    # identical curves stay both visible: different style, the later one thinner
    assert right.get_linestyle() != twice.get_linestyle()
    assert right.get_linewidth() > twice.get_linewidth()
    np.testing.assert_allclose(floor.get_ydata(), [0.55, 0.55])
    np.testing.assert_allclose(mark.get_xdata(), [1.5, 1.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "right", "twice", "floor", "z = 16.6"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("scale", "loss", "t")
    assert_readable(ax)


def test_curves_accept_tensors_and_given_axes():
    torch = pytest.importorskip("torch")
    fig, ax = plt.subplots()
    z = torch.linspace(-1.0, 1.0, 3)
    assert plot_curves(z, {"sigmoid": torch.sigmoid(z)}, xlabel="z", ylabel="p", ax=ax) is ax
    assert len(ax.lines) == 1


@pytest.mark.parametrize(
    ("x", "curves", "options", "error", "words"),
    [
        ([1.0, 0.0], {"a": [1.0, 2.0]}, {}, ValueError, "increasing"),
        ([0.0, 1.0], [[1.0, 2.0]], {}, TypeError, "must map labels"),
        ([0.0, 1.0], {}, {}, ValueError, "one to"),
        ([0.0, 1.0], {"a": [1.0, 2.0, 3.0]}, {}, ValueError, "values"),
        ([0.0, 1.0], {"a": [1.0, np.nan]}, {}, ValueError, "NaN"),
        ([0.0, 1.0], {"a": [1.0, 2.0]}, {"levels": [0.5]}, TypeError, "levels"),
        ([0.0, 1.0], {"a": [1.0, 2.0]}, {"marks": {"m": math.inf}}, ValueError, "finite"),
    ],
)
def test_curves_refuse_bad_input(x, curves, options, error, words):
    with pytest.raises(error, match=words):
        plot_curves(x, curves, xlabel="x", ylabel="y", **options)


# ---- label smoothing (notebook 03, section 5) ----------------------------------------------

def test_label_smoothing_moves_the_target_bars_and_the_loss():
    torch = pytest.importorskip("torch")
    logits = [2.0, 1.0, 0.1]
    for epsilon in [0.0, 0.3, 1.0]:
        ax = plot_label_smoothing(logits, 0, epsilon)
        target_bars = bar_heights(ax)[:3]
        np.testing.assert_allclose(target_bars, (1 - epsilon) * np.eye(3)[0] + epsilon / 3)
        np.testing.assert_allclose(sum(bar_heights(ax)[3:]), 1.0)
        expected = torch.nn.functional.cross_entropy(
            torch.tensor([logits], dtype=torch.float64), torch.tensor([0]),
            label_smoothing=epsilon).item()
        assert ax.get_title() == f"ε = {epsilon:.2f}: loss -Σ t ln p = {expected:.3f}"
        assert_readable(ax)
        plt.close(ax.figure)


@pytest.mark.parametrize(
    ("logits", "target", "epsilon", "error", "words"),
    [([2.0, 1.0], 2, 0.1, ValueError, "class index"), ([2.0, 1.0], 0, 1.5, ValueError, "[0, 1]"),
     ([2.0, 1.0], 0, True, ValueError, "number"), ([2.0, np.inf], 0, 0.1, ValueError, r"\+inf"),
     ([2.0, 1.0], "0", 0.1, TypeError, "an int")],
)
def test_label_smoothing_refuses_bad_input(logits, target, epsilon, error, words):
    with pytest.raises(error, match=words):
        plot_label_smoothing(logits, target, epsilon)


# ---- pos_weight (notebook 04, section 4) ---------------------------------------------------

def test_pos_weight_draws_the_inflated_output_and_the_effective_threshold():
    ax = plot_pos_weight(3.0)
    diagonal, weighted, half, threshold = ax.lines
    q = weighted.get_xdata()
    np.testing.assert_allclose(weighted.get_ydata(), 3 * q / (3 * q + 1 - q))
    np.testing.assert_allclose(diagonal.get_ydata(), q)
    np.testing.assert_allclose(half.get_ydata(), [0.5, 0.5])
    np.testing.assert_allclose(threshold.get_xdata(), [0.25, 0.25])
    # where the weighted output crosses 0.5 is the marked threshold
    crossing = q[np.argmax(weighted.get_ydata() >= 0.5)]
    assert crossing == pytest.approx(0.25, abs=0.005)
    assert "q = 1/(1+w) = 0.25" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert_readable(ax)


@pytest.mark.parametrize("weight", [0.0, -1.0, math.inf, "3", True])
def test_pos_weight_refuses_a_weight_that_is_not_positive(weight):
    with pytest.raises(ValueError, match="pos_weight"):
        plot_pos_weight(weight)
