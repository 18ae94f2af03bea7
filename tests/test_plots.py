"""The figures' content (bars, heights, labels, lines), not just that they ran."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.numerics import softmax
from helpers.plots import plot_logits_and_probs, plot_probability_bars, plot_temperature_sweep


def bar_heights(ax):
    return np.array([patch.get_height() for patch in ax.patches])


def tick_labels(ax):
    return [tick.get_text() for tick in ax.get_xticklabels()]


def test_probability_bars_content():
    ax = plot_probability_bars([0.7, 0.2, 0.1], ["a", "b", "c"], highlight=1, title="t")
    np.testing.assert_allclose(bar_heights(ax), [0.7, 0.2, 0.1])
    assert tick_labels(ax) == ["a", "b", "c"]
    assert ax.get_title() == "t"
    assert ax.get_ylabel() == "probability"
    colors = [patch.get_facecolor() for patch in ax.patches]
    assert colors[1] != colors[0] == colors[2]  # only the highlighted bar differs
    annotations = [text.get_text() for text in ax.texts]
    assert annotations == ["0.700", "0.200", "0.100"]


def test_probability_bars_draw_on_given_axes():
    _, ax = plt.subplots()
    assert plot_probability_bars(torch.tensor([0.5, 0.5]), ax=ax) is ax
    assert tick_labels(ax) == ["0", "1"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"probs": [0.5, 0.6]}, ValueError, "sum to 1"),
        ({"probs": [[0.5, 0.5]]}, ValueError, "1 dimension"),
        ({"probs": [np.nan, 1.0]}, ValueError, "NaN"),
        ({"probs": [0.5, 0.5], "highlight": 2}, ValueError, "highlight=2"),
        ({"probs": [0.5, 0.5], "labels": ["a"]}, ValueError, "1 entries but there are 2"),
        ({"probs": [0.5, 0.5], "ax": "not axes"}, TypeError, "matplotlib Axes"),
    ],
)
def test_probability_bars_reject_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_probability_bars(**kwargs)


def test_logits_and_probs_panels():
    logits = [2.0, 1.0, 0.1]
    fig, axes = plot_logits_and_probs(logits, labels=["cat", "dog", "bird"])
    assert len(fig.axes) == 2
    np.testing.assert_allclose(bar_heights(axes[0]), logits)
    np.testing.assert_allclose(bar_heights(axes[1]), softmax(logits))
    assert tick_labels(axes[1]) == ["cat", "dog", "bird"]
    assert "logits" in axes[0].get_title()


def test_logits_and_probs_reject_bad_input():
    with pytest.raises(ValueError, match="contains NaN"):
        plot_logits_and_probs([1.0, np.nan])
    with pytest.raises(ValueError, match="1 dimension"):
        plot_logits_and_probs([[1.0, 2.0]])


def test_temperature_sweep_lines():
    logits = np.array([2.0, 1.0, 0.1])
    temps = [10.0, 0.1, 1.0]  # unsorted on purpose
    ax = plot_temperature_sweep(logits, temps, labels=["a", "b", "c"])
    class_lines = ax.get_lines()[:3]
    assert [line.get_label() for line in class_lines] == ["class a", "class b", "class c"]
    np.testing.assert_allclose(class_lines[0].get_xdata(), [0.1, 1.0, 10.0])
    expected = softmax(logits[None, :] / np.array([[0.1], [1.0], [10.0]]), axis=1)
    for index, line in enumerate(class_lines):
        np.testing.assert_allclose(line.get_ydata(), expected[:, index])
    np.testing.assert_allclose(ax.get_lines()[3].get_ydata(), [1 / 3, 1 / 3])  # uniform line
    assert ax.get_xscale() == "log"


@pytest.mark.parametrize(
    ("temperatures", "message"),
    [([1.0, 0.0], "must be > 0"), ([1.0, -2.0], "must be > 0"), ([1.0], "at least 2"),
     ([1.0, np.inf], r"\+inf")],
)
def test_temperature_sweep_rejects_bad_temperatures(temperatures, message):
    with pytest.raises(ValueError, match=message):
        plot_temperature_sweep([1.0, 2.0], temperatures)
