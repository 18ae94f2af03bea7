"""Reliability diagrams, confidence histograms and their panels: content and bad input."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.container import BarContainer

from helpers.plots import (
    plot_confidence_histogram,
    plot_reliability_diagram,
    plot_reliability_panels,
)

EDGES = [0.0, 0.5, 0.75, 1.0]


def test_bars_show_accuracy_and_both_kinds_of_gap():
    # bin 1 over-confident (0.4 vs 0.45), bin 2 empty, bin 3 under-confident (0.9 vs 0.8)
    ax = plot_reliability_diagram(EDGES, [0.4, 0.0, 0.9], [0.45, 0.0, 0.8], [10, 0, 5], title="t")
    accuracy_bars, over_bars, under_bars = ax.containers
    np.testing.assert_allclose([b.get_height() for b in accuracy_bars], [0.4, 0.0, 0.9])
    np.testing.assert_allclose([b.get_x() for b in accuracy_bars], [0.0, 0.5, 0.75])
    np.testing.assert_allclose([b.get_width() for b in accuracy_bars], [0.5, 0.25, 0.25])
    np.testing.assert_allclose([b.get_height() for b in over_bars], [0.05, 0.0, 0.0])
    np.testing.assert_allclose([b.get_y() for b in over_bars], [0.4, 0.0, 0.9])
    np.testing.assert_allclose([b.get_height() for b in under_bars], [0.0, 0.0, 0.1])
    np.testing.assert_allclose([b.get_y() for b in under_bars], [0.4, 0.0, 0.8])
    diagonal = ax.get_lines()[0]
    np.testing.assert_allclose(diagonal.get_xdata(), [0, 1])
    np.testing.assert_allclose(diagonal.get_ydata(), [0, 1])
    assert ax.get_title() == "t"
    assert ax.get_xlabel().startswith("confidence")


def test_legend_names_both_gaps_and_the_colours_match():
    ax = plot_reliability_diagram(EDGES, [0.4, 0.0, 0.9], [0.45, 0.0, 0.8], [10, 0, 5])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any("over-confident" in label for label in labels)
    assert any("under-confident" in label for label in labels)
    _, over_bars, under_bars = ax.containers
    red, orange = to_rgb("tab:red"), to_rgb("tab:orange")
    assert over_bars[0].get_facecolor()[:3] == pytest.approx(red)
    assert under_bars[2].get_facecolor()[:3] == pytest.approx(orange)


def test_bins_with_few_samples_are_faded():
    ax = plot_reliability_diagram(EDGES, [0.4, 0.6, 0.9], [0.45, 0.6, 0.8], [1, 100, 25])
    alphas = [bar.get_facecolor()[3] for bar in ax.containers[0]]
    assert alphas[1] == pytest.approx(1.0)
    assert alphas[0] < alphas[2] < alphas[1]


def test_empty_bins_may_hold_nan_statistics():
    ax = plot_reliability_diagram([0.0, 0.5, 1.0], [np.nan, 1.0], [np.nan, 0.9], [0, 3])
    assert [b.get_height() for b in ax.containers[0]] == [0.0, 1.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.0, 0.6, 0.5, 1.0], [0.5] * 3, [0.5] * 3, [1] * 3), "increase strictly"),
        (([0.0, 0.5, 1.5], [0.5] * 2, [0.5] * 2, [1] * 2), "increase strictly"),
        ((EDGES, [0.5] * 2, [0.5] * 3, [1] * 3), r"bin_accuracy has shape \(2,\)"),
        ((EDGES, [0.5] * 3, [0.5] * 3, [1, -1, 1]), "bin_counts must be >= 0"),
        ((EDGES, [0.5, 1.2, 0.5], [0.5] * 3, [1] * 3), r"bin_accuracy must lie in \[0, 1\]"),
        ((EDGES, [0.5] * 3, [0.5, np.nan, 0.5], [1] * 3), "NaN"),
    ],
)
def test_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        plot_reliability_diagram(*args)


def test_confidence_histogram_counts_on_a_log_scale():
    ax = plot_confidence_histogram(EDGES, [3, 0, 500])
    np.testing.assert_allclose([b.get_height() for b in ax.containers[0]], [3, 0, 500])
    np.testing.assert_allclose([b.get_x() for b in ax.containers[0]], [0.0, 0.5, 0.75])
    assert ax.get_yscale() == "log"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.0, 0.5, 0.4], [1, 1]), "increase strictly"),
        ((EDGES, [1, 1]), "bin_counts has 2 entries"),
        ((EDGES, [1, -1, 1]), "bin_counts must be >= 0"),
    ],
)
def test_confidence_histogram_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        plot_confidence_histogram(*args)


def test_panels_put_each_histogram_under_its_diagram():
    bins = (EDGES, [0.4, 0.0, 0.9], [0.45, 0.0, 0.8], [10, 0, 5])
    fig = plot_reliability_panels({"before": bins, "after": bins})
    top_left, top_right, bottom_left, bottom_right = fig.axes
    assert [top_left.get_title(), top_right.get_title()] == ["before", "after"]
    assert bottom_left.get_yscale() == "log" and bottom_right.get_yscale() == "log"
    assert len(top_left.containers) == 3
    width, height = fig.get_size_inches()
    assert width <= 10 and height <= 5  # readable on a 1280 x 720 screen


@pytest.mark.parametrize(
    ("panels", "error", "message"),
    [
        ([("a", (EDGES, [0.5] * 3, [0.5] * 3, [1] * 3))], TypeError, "must be a dict"),
        ({}, ValueError, "at least one"),
        ({"a": (EDGES, [0.5] * 3)}, TypeError, r"panels\['a'\] must be"),
        ({"a": (EDGES, [0.5] * 2, [0.5] * 3, [1] * 3)}, ValueError, "bin_accuracy has shape"),
    ],
)
def test_panels_reject_bad_input(panels, error, message):
    with pytest.raises(error, match=message):
        plot_reliability_panels(panels)


def test_classwise_ece_bars_show_the_mean_over_seeds_in_percent():
    from helpers.plots.calibration import plot_classwise_ece

    seeds = np.array([[0.01, 0.02, 0.03], [0.03, 0.02, 0.05]])  # 2 seeds, 3 classes
    one = np.array([0.02, 0.0, 0.01])
    ax = plot_classwise_ece({"T = 1": seeds, "fitted T": one}, class_names=["a", "b", "c"])
    first, second = [c for c in ax.containers if isinstance(c, BarContainer)]
    np.testing.assert_allclose([b.get_height() for b in first], [2.0, 2.0, 4.0])
    np.testing.assert_allclose([b.get_height() for b in second], [2.0, 0.0, 1.0])
    # the two groups sit side by side around each class
    np.testing.assert_allclose([b.get_x() + b.get_width() / 2 for b in first],
                               [-0.2, 0.8, 1.8])
    assert first.errorbar is not None and second.errorbar is None  # one seed: no spread
    dotted = [line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"]
    np.testing.assert_allclose(dotted, [8 / 3, 1.0])  # class-wise ECE, the mean of the bars
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 1", "fitted T"]


@pytest.mark.parametrize(
    ("errors", "kwargs", "error", "match"),
    [
        ([0.1, 0.2], {}, TypeError, "must be a dict"),
        ({}, {}, ValueError, "at least one"),
        ({"a": [0.1, 1.5]}, {}, ValueError, r"\[0, 1\]"),
        ({"a": [0.1, 0.2], "b": [0.1, 0.2, 0.3]}, {}, ValueError, "same number of classes"),
        ({"a": np.zeros((2, 2, 2))}, {}, ValueError, "dimension"),
        ({"a": [0.1, 0.2]}, {"class_names": ["x"]}, ValueError, "class_names"),
        ({"a": [0.1, 0.2]}, {"ax": "not axes"}, TypeError, "Axes"),
    ],
)
def test_classwise_ece_rejects_bad_input(errors, kwargs, error, match):
    from helpers.plots.calibration import plot_classwise_ece

    with pytest.raises(error, match=match):
        plot_classwise_ece(errors, **kwargs)
