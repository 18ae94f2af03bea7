"""plot_reliability_diagram: bar content and bad input."""

import numpy as np
import pytest

from helpers.plots import plot_reliability_diagram

EDGES = [0.0, 0.5, 0.75, 1.0]


def test_bars_show_accuracy_and_gap():
    ax = plot_reliability_diagram(EDGES, [0.4, 0.0, 0.9], [0.45, 0.0, 0.8], [10, 0, 5], title="t")
    accuracy_bars, gap_bars = ax.containers
    np.testing.assert_allclose([b.get_height() for b in accuracy_bars], [0.4, 0.0, 0.9])
    np.testing.assert_allclose([b.get_x() for b in accuracy_bars], [0.0, 0.5, 0.75])
    np.testing.assert_allclose([b.get_width() for b in accuracy_bars], [0.5, 0.25, 0.25])
    np.testing.assert_allclose([b.get_height() for b in gap_bars], [0.05, 0.0, 0.1])
    np.testing.assert_allclose([b.get_y() for b in gap_bars], [0.4, 0.0, 0.8])
    diagonal = ax.get_lines()[0]
    np.testing.assert_allclose(diagonal.get_xdata(), [0, 1])
    np.testing.assert_allclose(diagonal.get_ydata(), [0, 1])
    assert ax.get_title() == "t"
    assert ax.get_xlabel().startswith("confidence")


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
