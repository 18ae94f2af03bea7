"""The section figures of notebook 01: what each draws, and its bad-input errors."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from slide_figures import readable, small_enough

from helpers.plots.softmax import (
    plot_overflow,
    plot_shift_and_scale,
    plot_soft_argmax,
    plot_softmax_dim,
)

LOGITS = [2.0, 1.0, 0.1]


def bar_heights(ax):
    return np.array([patch.get_height() for patch in ax.patches])


def test_shift_and_scale_bars_are_softmax_of_each_input():
    ax = plot_shift_and_scale(LOGITS, ["cat", "dog", "bird"], shift=100.0, scale=2.0)
    z = torch.tensor(LOGITS, dtype=torch.float64)
    expected = torch.cat([torch.softmax(z, 0), torch.softmax(z + 100, 0),
                          torch.softmax(2 * z, 0)]).numpy()
    np.testing.assert_allclose(bar_heights(ax), expected, rtol=1e-12)
    heights = bar_heights(ax).reshape(3, 3)
    np.testing.assert_allclose(heights[0], heights[1])  # the shift changes nothing
    assert heights[2, 0] > heights[0, 0]  # the scale sharpens
    np.testing.assert_allclose(heights.sum(axis=1), 1.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["softmax(z)", "softmax(z + 100)", "softmax(2 z)"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert readable(ax) and small_enough(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [({"logits": [1.0]}, ValueError, "at least 2"),
     ({"logits": LOGITS, "shift": "1"}, TypeError, "shift must be a number"),
     ({"logits": LOGITS, "scale": np.inf}, ValueError, "scale must be finite"),
     ({"logits": LOGITS, "labels": ["a"]}, ValueError, "1 entries")],
)
def test_shift_and_scale_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_shift_and_scale(**kwargs)


def test_softmax_dim_panels_normalise_rows_and_columns():
    batch = [[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]]
    fig, axes = plot_softmax_dim(batch)
    t = torch.tensor(batch, dtype=torch.float64)
    for ax, dim in zip(axes, [1, 0], strict=True):
        np.testing.assert_allclose(ax.get_images()[0].get_array(), torch.softmax(t, dim).numpy())
        assert f"dim={dim}" in ax.get_title()
        assert readable(ax)
    right_sums = [t.get_text() for t in axes[0].texts if t.get_text().startswith("Σ")]
    wrong_sums = [t.get_text() for t in axes[1].texts if t.get_text().startswith("Σ")]
    assert right_sums == ["Σ=1.00", "Σ=1.00"]
    assert wrong_sums == ["Σ=1.54", "Σ=1.46"]
    assert axes[1].get_xlabel() == "column sums: 1.00  1.00  1.00"
    assert small_enough(fig)


@pytest.mark.parametrize(
    ("batch", "message"),
    [([1.0, 2.0], "2 dimension"), ([[1.0, 2.0]], "2 to 8"), (np.zeros((2, 9)), "2 to 8"),
     ([[1.0, np.nan], [0.0, 0.0]], "NaN")],
)
def test_softmax_dim_rejects_bad_input(batch, message):
    with pytest.raises(ValueError, match=message):
        plot_softmax_dim(batch)


def test_overflow_naive_line_stops_where_float32_exp_overflows():
    scales = np.geomspace(1.0, 1000.0, 31)
    ax = plot_overflow(LOGITS, scales)
    stable, naive = ax.get_lines()[:2]
    largest = 2.0 * scales
    np.testing.assert_allclose(stable.get_xdata(), largest, rtol=1e-6)
    reference = torch.softmax(torch.tensor(scales[:, None] * LOGITS, dtype=torch.float32), 1)
    np.testing.assert_allclose(stable.get_ydata(), reference[:, 0].numpy(), rtol=1e-6)
    broken = np.isnan(naive.get_ydata())
    # float32 exp overflows above ln(max float32) = 88.72; stay clear of the boundary
    assert not broken[largest < 80].any() and broken[largest > 100].all()
    np.testing.assert_allclose(naive.get_ydata()[largest < 80], stable.get_ydata()[largest < 80],
                               rtol=1e-5)
    assert "NaN" in [t.get_text() for t in ax.get_legend().get_texts()][-1]
    assert any("88.72" in t.get_text() for t in ax.texts)
    assert ax.get_xscale() == "log" and readable(ax) and small_enough(ax.figure)


def test_overflow_without_overflow_shades_nothing():
    ax = plot_overflow(LOGITS, [1.0, 10.0])
    assert len(ax.patches) == 0
    assert not np.isnan(ax.get_lines()[1].get_ydata()).any()


@pytest.mark.parametrize(
    ("logits", "scales", "message"),
    [([-1.0, -2.0], [1.0, 2.0], "largest logit must be positive"),
     (LOGITS, [1.0], "at least 2"), (LOGITS, [1.0, 0.0], "scales must be > 0")],
)
def test_overflow_rejects_bad_input(logits, scales, message):
    with pytest.raises(ValueError, match=message):
        plot_overflow(logits, scales)


def test_soft_argmax_approaches_the_hard_argmax_as_t_falls():
    temps = [10.0, 0.03, 1.0]  # unsorted on purpose
    fig, (left, right) = plot_soft_argmax([0.1, 2.0, 1.0], temps)
    z = torch.tensor([0.1, 2.0, 1.0], dtype=torch.float64)
    probs = torch.stack([torch.softmax(z / t, 0) for t in (0.03, 1.0, 10.0)]).numpy()
    np.testing.assert_allclose(left.get_lines()[0].get_xdata(), [0.03, 1.0, 10.0])
    np.testing.assert_allclose(left.get_lines()[0].get_ydata(), probs[:, 1])
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), probs @ [0.0, 1.0, 2.0])
    assert right.get_lines()[0].get_ydata()[0] == pytest.approx(1.0, abs=1e-6)  # argmax
    np.testing.assert_allclose(right.get_lines()[1].get_ydata(), [1.0, 1.0])
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["argmax = 1"]
    assert all(ax.get_xscale() == "log" and readable(ax) for ax in (left, right))
    assert small_enough(fig)


@pytest.mark.parametrize(
    ("logits", "temps", "message"),
    [([1.0, 1.0], [1.0, 2.0], "unique"), ([1.0, 2.0], [1.0, -1.0], "must be > 0"),
     ([1.0], [1.0, 2.0], "at least 2")],
)
def test_soft_argmax_rejects_bad_input(logits, temps, message):
    with pytest.raises(ValueError, match=message):
        plot_soft_argmax(logits, temps)


def test_figures_draw_on_given_axes():
    _, ax = plt.subplots()
    assert plot_shift_and_scale(LOGITS, ax=ax) is ax
    _, ax = plt.subplots()
    assert plot_overflow(LOGITS, [1.0, 100.0], ax=ax) is ax
    with pytest.raises(TypeError, match="matplotlib Axes"):
        plot_overflow(LOGITS, [1.0, 2.0], ax="axes")
