"""helpers.plots.language_models: notebook 08's figures show what they claim, refuse bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.plots import plot_cost_vs_vocabulary, plot_soft_capping


def test_soft_capping_draws_the_identity_and_one_capped_curve_per_cap():
    figure = plot_soft_capping([30.0, 10.0], limit=50.0, points=101)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 101]
    assert [line.get_label() for line in lines] == ["no cap: z", "c = 30", "c = 10"]
    raw = lines[0].get_xdata()
    np.testing.assert_allclose(lines[0].get_ydata(), raw)
    np.testing.assert_allclose(lines[2].get_ydata(), 10.0 * np.tanh(raw / 10.0))
    assert np.abs(lines[2].get_ydata()).max() < 10.0          # bounded by the cap
    bounds = sorted(line.get_ydata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2)
    assert bounds == [-30.0, -10.0, 10.0, 30.0]
    plt.close(figure)


def test_soft_capping_draws_on_given_axes_and_accepts_a_tensor():
    figure, ax = plt.subplots()
    assert plot_soft_capping(torch.tensor([5.0]), ax=ax) is figure
    assert ax.get_xlabel() == "raw logit z"
    plt.close(figure)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ([[0.0]], {}, ValueError, "caps must be > 0"),
        ([[[1.0]]], {}, ValueError, "caps must have 1 dimension"),
        ([[np.nan]], {}, ValueError, "caps contains NaN"),
        (["30"], {}, TypeError, "caps must be an array"),
        ([[1.0]], {"limit": 0.0}, ValueError, "limit must be a finite positive"),
        ([[1.0]], {"limit": "big"}, ValueError, "limit must be a positive number"),
        ([[1.0]], {"points": 1}, ValueError, "points must be at least 2"),
        ([[1.0]], {"points": 2.5}, TypeError, "points must be an int"),
        ([[1.0]], {"ax": "axes"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_soft_capping_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_soft_capping(*args, **kwargs)


def test_cost_vs_vocabulary_draws_time_and_memory_per_method():
    figure = plot_cost_vs_vocabulary(
        [1024, 4096], {"unfused": [1.0, 4.0], "fused": [2.0, 5.0]},
        {"unfused": [0.5, 2.0], "fused": [0.4, 0.4]}, num_tokens=64)
    time_ax, memory_ax = figure.axes
    assert time_ax.get_title() == "time, N = 64 tokens"
    assert memory_ax.get_ylabel() == "extra peak memory (MiB)"
    assert time_ax.get_xlabel() == memory_ax.get_xlabel() == "vocabulary size V (log scale)"
    lines = {line.get_label(): line.get_ydata().tolist() for line in memory_ax.get_lines()}
    assert lines == {"unfused": [0.5, 2.0], "fused": [0.4, 0.4]}
    assert time_ax.get_yscale() == "log"
    plt.close(figure)


@pytest.mark.parametrize(
    ("times", "memory", "kwargs", "error", "message"),
    [
        ({"a": [1, 2]}, {"b": [1, 2]}, {"num_tokens": 4}, ValueError, "same methods"),
        ([1, 2], {"a": [1, 2]}, {"num_tokens": 4}, TypeError, "times_ms must be a dict"),
        ({"a": [1, 2]}, {"a": [1, 2]}, {"num_tokens": 0}, ValueError, "num_tokens"),
        ({"a": [1, 2]}, {"a": [1, 2]}, {"num_tokens": 4.0}, TypeError, "num_tokens"),
        ({"a": [1, 0]}, {"a": [1, 2]}, {"num_tokens": 4}, ValueError, "must be > 0"),
    ],
)
def test_cost_vs_vocabulary_rejects_bad_input(times, memory, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_cost_vs_vocabulary([10, 20], times, memory, **kwargs)
