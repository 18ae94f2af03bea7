"""helpers.plots.attention: notebook 10's figures show what they claim, refuse bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from slide_figures import readable

from helpers.plots.attention import (
    plot_attention_grids,
    plot_attention_summary,
    plot_cost_vs_length,
    plot_rounding_errors,
    plot_scaled_softmax,
    plot_tiles,
)


def test_scaled_softmax_draws_two_sets_of_sorted_weights_that_sum_to_one():
    ax = plot_scaled_softmax(512, 1.0, keys=8)
    heights = np.array([bar.get_height() for bar in ax.patches]).reshape(2, 8)
    np.testing.assert_allclose(heights.sum(axis=1), 1.0)
    assert (np.diff(heights, axis=1) <= 0).all()
    assert heights[0, 0] > heights[1, 0]  # without the scale the top key takes more
    assert "E = 512" in ax.get_title()
    assert readable(ax)
    plt.close(ax.figure)


def test_scaled_softmax_rounds_the_head_size_for_a_slider():
    ax = plot_scaled_softmax(63.6, 2.0)
    assert "E = 64" in ax.get_title() and "temperature 2" in ax.get_title()
    plt.close(ax.figure)


def test_attention_grids_draws_one_panel_per_grid_with_a_colour_bar_for_weights():
    causal = torch.ones(4, 6, dtype=torch.bool).tril()
    figure = plot_attention_grids({"causal": causal, "weights": np.full((4, 6), 1 / 6)})
    assert isinstance(figure, Figure) and len(figure.axes) == 3  # two panels, a colour bar
    assert [ax.get_title() for ax in figure.axes[:2]] == ["causal", "weights"]
    assert figure.axes[2].get_ylabel() == "attention weight"
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), causal.numpy())
    plt.close(figure)


def test_mask_grids_have_a_key_and_index_ticks():
    causal = torch.ones(5, 7, dtype=torch.bool).tril()
    figure = plot_attention_grids({"causal": causal, "numpy": causal.numpy()})
    assert len(figure.axes) == 2  # no colour bar: a key instead
    key = [text.get_text() for text in figure.legends[0].get_texts()]
    assert key == ["True: may attend", "False: masked"]
    for ax in figure.axes:
        assert list(ax.get_xticks()) == list(range(7)) and list(ax.get_yticks()) == list(range(5))
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("key j", "query i")
        assert readable(ax)
    plt.close(figure)


@pytest.mark.parametrize(("is_causal", "share"), [(False, "100%"), (True, "62%")])
def test_tiles_say_how_much_of_the_scores_is_computed(is_causal, share):
    ax = plot_tiles(16, 16, 4, is_causal=is_causal)
    # causal: blocks start at rows 0, 4, 8, 12: (16 + 12 + 8 + 4) x 4 of 256 scores
    assert share in ax.get_title()
    plt.close(ax.figure)


def test_tiles_legend_names_what_the_panel_shows_and_ticks_mark_the_blocks():
    ax = plot_tiles(16, 16, 4, is_causal=True)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["computed", "computed, then masked", "skipped: never computed"]
    assert list(ax.get_xticks()) == [0, 4, 8, 12, 16]
    assert all(float(tick).is_integer() for tick in ax.get_yticks())
    assert readable(ax)
    # the skipped area: rows 0..4 of blocks 2-4, 0..8 of 3-4, 0..12 of 4 = 4 x (4 + 8 + 12)
    skipped = [p for p in ax.patches if p.get_hatch() == "///" and hasattr(p, "get_width")]
    assert sum(p.get_width() * p.get_height() for p in skipped) == 4 * (4 + 8 + 12)
    plt.close(ax.figure)
    plain = plot_tiles(16, 16, 4, is_causal=False)
    assert [t.get_text() for t in plain.get_legend().get_texts()] == ["computed"]
    assert plot_tiles(8, 8, 4, legend=False).get_legend() is None
    plt.close("all")


def test_cost_vs_length_draws_two_panels():
    figure = plot_cost_vs_length([128, 256], {"a": [1.0, 2.0]}, {"a": [0.5, 2.0]})
    assert len(figure.axes) == 2
    assert all("sequence length" in ax.get_xlabel() for ax in figure.axes)
    plt.close(figure)


HALF = {"bfloat16 throughout": {"output": 1.3e-2, "grad query": 2e-2},
        "float16, float32 inside": {"output": 3.1e-4, "grad query": 4.5e-4}}
BOUNDS = {"bfloat16 throughout": 2**-8, "float16, float32 inside": 2**-11}


def test_rounding_errors_zoom_on_their_decades_and_draw_each_bound():
    ax = plot_rounding_errors(HALF, BOUNDS)
    assert ax.get_xlim() == pytest.approx((1e-4, 1e-1))  # not 1e-17: formats stay apart
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":" and
              len(line.get_xdata())]
    assert sorted(line.get_xdata()[0] for line in dotted) == sorted(BOUNDS.values())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "output rounded\nto 16 bits" in labels and "grad query" in labels
    assert readable(ax)
    plt.close(ax.figure)


def test_summary_draws_one_panel_per_claim_with_its_bounds():
    figure = plot_attention_summary({
        "error / tolerance": ({"float64": 5e-5, "float32": 0.4}, {"tolerance": 1}),
        "memory growth": ({"reference": 18.0, "tiled": 4.0}, {"as L": 4, "as L x S": 16}),
    })
    first, second = figure.axes
    assert [first.get_title(), second.get_title()] == ["error / tolerance", "memory growth"]
    assert [p.get_width() for p in second.patches] == [18.0, 4.0]
    assert [line.get_xdata()[0] for line in second.get_lines()] == [4, 16]
    assert [t.get_text() for t in second.get_legend().get_texts()] == ["as L", "as L x S"]
    assert first.get_xlim()[0] <= 5e-5 and first.get_xlim()[1] >= 1
    assert all(readable(ax) for ax in figure.axes)
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
    (lambda: plot_tiles(4, 4, 2, legend="yes"), TypeError, "legend"),
    (lambda: plot_cost_vs_length([1, 2], {"a": [1, 2]}, {"b": [1, 2]}), ValueError, "same"),
    (lambda: plot_cost_vs_length([1, 2], [1, 2], {"b": [1, 2]}), TypeError, "times_ms"),
    (lambda: plot_rounding_errors(HALF, {"bfloat16 throughout": 2**-8}), ValueError,
     "needs a bound"),
    (lambda: plot_rounding_errors([], BOUNDS), TypeError, "errors must be a dict"),
    (lambda: plot_rounding_errors({"x": {"output": 0.0}}, {"x": 1.0}), ValueError, "> 0"),
    (lambda: plot_attention_summary([]), TypeError, "panels must be a dict"),
    (lambda: plot_attention_summary({}), ValueError, "at least one panel"),
    (lambda: plot_attention_summary({"a": {"x": 1.0}}), TypeError, "pair"),
    (lambda: plot_attention_summary({"a": ({}, {})}), ValueError, "at least one entry"),
    (lambda: plot_attention_summary({"a": ({"x": -1.0}, {})}), ValueError, "> 0"),
    (lambda: plot_attention_summary({"a": ({"x": "1"}, {})}), TypeError, "number"),
])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
    plt.close("all")
