"""helpers.plots.attention: notebook 10's figures show what they claim, refuse bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.plots.attention import (
    plot_attention_grids,
    plot_cost_vs_length,
    plot_scaled_softmax,
    plot_tiles,
)


def test_scaled_softmax_draws_two_sets_of_sorted_weights_that_sum_to_one():
    ax = plot_scaled_softmax(512, 1.0, keys=8)
    heights = np.array([bar.get_height() for bar in ax.patches]).reshape(2, 8)
    np.testing.assert_allclose(heights.sum(axis=1), 1.0)
    assert (np.diff(heights, axis=1) <= 0).all()
    assert heights[0, 0] > heights[1, 0]  # without the scale the top key takes more
    assert "d = 512" in ax.get_title()
    plt.close(ax.figure)


def test_scaled_softmax_rounds_the_head_size_for_a_slider():
    ax = plot_scaled_softmax(63.6, 2.0)
    assert "d = 64" in ax.get_title() and "temperature 2" in ax.get_title()
    plt.close(ax.figure)


def test_attention_grids_draws_one_panel_per_grid():
    causal = torch.ones(4, 6, dtype=torch.bool).tril()
    figure = plot_attention_grids({"causal": causal, "weights": np.full((4, 6), 1 / 6)})
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    assert [ax.get_title() for ax in figure.axes] == ["causal", "weights"]
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), causal.numpy())
    plt.close(figure)


@pytest.mark.parametrize(("is_causal", "share"), [(False, "100%"), (True, "62%")])
def test_tiles_say_how_much_of_the_scores_is_computed(is_causal, share):
    ax = plot_tiles(16, 16, 4, is_causal=is_causal)
    # causal: blocks start at rows 0, 4, 8, 12: (16 + 12 + 8 + 4) x 4 of 256 scores
    assert share in ax.get_title()
    plt.close(ax.figure)


def test_cost_vs_length_draws_two_panels():
    figure = plot_cost_vs_length([128, 256], {"a": [1.0, 2.0]}, {"a": [0.5, 2.0]})
    assert len(figure.axes) == 2
    assert all("sequence length" in ax.get_xlabel() for ax in figure.axes)
    plt.close(figure)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: plot_scaled_softmax(0.2), ValueError, "head_size"),
    (lambda: plot_scaled_softmax(64, 0.0), ValueError, "temperature"),
    (lambda: plot_scaled_softmax("64"), TypeError, "head_size must be a number"),
    (lambda: plot_attention_grids([]), TypeError, "dict"),
    (lambda: plot_attention_grids({}), ValueError, "at least one"),
    (lambda: plot_attention_grids({"x": np.full((2, 2), 2.0)}), ValueError, r"\[0, 1\]"),
    (lambda: plot_tiles(4, 4, 0.2), ValueError, "at least 1"),
    (lambda: plot_tiles(4, 4, 2, is_causal=1), TypeError, "is_causal"),
    (lambda: plot_cost_vs_length([1, 2], {"a": [1, 2]}, {"b": [1, 2]}), ValueError, "same"),
    (lambda: plot_cost_vs_length([1, 2], [1, 2], {"b": [1, 2]}), TypeError, "times_ms"),
])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
    plt.close("all")
