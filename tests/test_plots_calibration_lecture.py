"""The lecture figures of notebook 06: what they draw, and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import BarContainer

from helpers.plots.calibration import (
    plot_confidence_against_accuracy,
    plot_ece_noise,
    plot_nll_against_temperature,
    plot_reliability_at_temperature,
    plot_smoothing_sweep,
)
from helpers.widgets import PlotExplorer


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_confidence_panels_mark_mean_confidence_and_accuracy():
    conf = {"a": [0.9, 0.7, 1.0, 0.6], "b": [[0.5, 0.5], [1.0, 1.0]]}  # b: two seeds
    hits = {"a": [1, 0, 1, 1], "b": [[1, 0], [1, 1]]}
    fig = plot_confidence_against_accuracy(conf, hits, num_bins=10)
    left, right = fig.axes
    assert [line.get_xdata()[0] for line in left.get_lines()[:2]] == pytest.approx([0.8, 0.75])
    assert [line.get_xdata()[0] for line in right.get_lines()[:2]] == pytest.approx([0.75, 0.75])
    assert left.get_title() == "a: gap +5.0 points"
    heights = [patch.get_height() for patch in left.patches]
    assert sum(heights) == pytest.approx(1.0)  # shares of the samples
    assert heights[-1] == pytest.approx(0.5)  # 0.9 and 1.0 in the last bin
    assert all(t.get_fontsize() >= 11 for t in left.get_legend().get_texts())


@pytest.mark.parametrize(
    ("conf", "hits", "error", "message"),
    [
        ([0.5], {"a": [1]}, TypeError, "dicts"),
        ({}, {}, ValueError, "at least one"),
        ({"a": [0.5]}, {"b": [1]}, ValueError, "same models"),
        ({"a": [0.5, 0.6]}, {"a": [1]}, ValueError, "shape"),
        ({"a": [1.5]}, {"a": [1]}, ValueError, r"\[0, 1\]"),
    ],
)
def test_confidence_panels_reject_bad_input(conf, hits, error, message):
    with pytest.raises(error, match=message):
        plot_confidence_against_accuracy(conf, hits)


def test_ece_noise_draws_both_histograms_and_the_measured_line():
    ax = plot_ece_noise(0.02, [0.01, 0.03, 0.04], [0.01, 0.015])
    (line,) = ax.get_lines()
    assert line.get_xdata()[0] == pytest.approx(2.0)  # percent
    assert len(ax.containers) == 2
    counts = [sum(bar.get_height() for bar in c) for c in ax.containers]
    assert counts == [3, 2]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("resamples: 90 % in [")
    assert labels[2] == "measured ECE 2.0 %"


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("0.1", [0.1], [0.1]), TypeError, "number"),
        ((1.5, [0.1], [0.1]), ValueError, "ece"),
        ((0.1, [-0.1], [0.1]), ValueError, "resampled"),
        ((0.1, [0.1], []), ValueError, "floor"),
    ],
)
def test_ece_noise_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        plot_ece_noise(*args)


def test_nll_curve_marks_the_chosen_temperature_on_the_curve():
    grid = np.array([0.5, 1.0, 2.0, 3.0])
    ax = plot_nll_against_temperature(grid, [0.4, 0.3, 0.2, 0.25], 1.5)
    curve, one, chosen = ax.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), [0.4, 0.3, 0.2, 0.25])
    assert one.get_xdata()[0] == 1.0
    assert (chosen.get_xdata()[0], chosen.get_ydata()[0]) == pytest.approx((1.5, 0.25))
    assert "fitted T = 1.50" in [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.mark.parametrize(
    ("grid", "nll", "chosen", "message"),
    [
        ([1.0, 0.5], [0.1, 0.2], 0.7, "increasing"),
        ([0.0, 1.0], [0.1, 0.2], 0.7, "positive"),
        ([0.5, 1.0], [0.1], 0.7, "entries"),
        ([0.5, 1.0], [0.1, 0.2], 2.0, "outside"),
    ],
)
def test_nll_curve_rejects_bad_input(grid, nll, chosen, message):
    with pytest.raises(ValueError, match=message):
        plot_nll_against_temperature(grid, nll, chosen)


def test_reliability_at_temperature_bins_the_scaled_softmax():
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    targets = np.array([0, 0, 0])
    ax = plot_reliability_at_temperature(logits, targets, 2.0, num_bins=2)
    accuracy_bars = ax.containers[0]
    assert isinstance(accuracy_bars, BarContainer)
    # T = 2: confidences 0.731 (right), 0.731 (wrong), 0.818 (right): all in bin 2
    assert [bar.get_height() for bar in accuracy_bars] == pytest.approx([0.0, 2 / 3])
    confidence = (2 / (1 + np.exp(-1.0)) + 1 / (1 + np.exp(-1.5))) / 3
    nll = -np.mean(np.log([1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0)),
                           1 / (1 + np.exp(-1.5))]))
    assert ax.get_title() == (f"T = 2.00: ECE {100 * abs(confidence - 2 / 3):.1f} %, "
                              f"NLL {nll:.3f}")


def test_reliability_at_temperature_is_a_live_control():
    rng = np.random.default_rng(0)
    logits, targets = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    explorer = PlotExplorer(plot_reliability_at_temperature,
                            {"temperature": (0.5, 3.0, 0.05, 1.0)}, title="T",
                            fixed={"logits": logits, "targets": targets})
    first = explorer.image.value
    explorer.sliders["temperature"].value = 2.0
    assert explorer.image.value != first
    assert explorer.axes.get_title().startswith("T = 2.00")


@pytest.mark.parametrize(
    ("targets", "temperature", "message"),
    [
        ([0, 1], 1.0, "integer class indices"),
        ([0, 1, 0.5], 1.0, "integer class indices"),
        ([0, 1, 2], 1.0, r"\[0, 2\)"),
        ([0, 1, 1], 0.0, "temperature"),
    ],
)
def test_reliability_at_temperature_rejects_bad_input(targets, temperature, message):
    logits = np.zeros((3, 2))
    with pytest.raises(ValueError, match=message):
        plot_reliability_at_temperature(logits, np.array(targets), temperature)


def test_smoothing_sweep_draws_means_and_the_cap():
    eps = (0.0, 0.1)
    fig = plot_smoothing_sweep(eps, [[0.96, 0.98], [0.8, 0.84]], [[0.94, 0.94], [0.95, 0.97]],
                               [[0.2, 0.2], [0.3, 0.3]], [[0.19, 0.19], [0.15, 0.17]])
    left, right = fig.axes
    lines = left.get_lines()
    np.testing.assert_allclose(lines[-1].get_ydata(), [1.0, 0.91])  # the cap, C = 10
    means = [c.lines[0].get_ydata() for c in left.containers]
    np.testing.assert_allclose(means[0], [0.97, 0.82])
    np.testing.assert_allclose(means[1], [0.94, 0.96])
    np.testing.assert_allclose(right.containers[1].lines[0].get_ydata(), [0.19, 0.16])
    assert [t.get_text() for t in left.get_xticklabels()] == ["0", "0.1"]


@pytest.mark.parametrize(
    ("eps", "rows", "message"),
    [
        ((), 0, "at least 1"),
        ((0.0, 1.0), 2, r"\[0, 1\)"),
        ((0.0, 0.1), 3, "rows"),
    ],
)
def test_smoothing_sweep_rejects_bad_input(eps, rows, message):
    values = np.full((rows, 2), 0.5) if rows else []
    with pytest.raises(ValueError, match=message):
        plot_smoothing_sweep(eps, values, values, values, values)
