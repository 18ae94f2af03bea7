"""Notebook 07's lecture figures: the online normaliser block by block, what each loss holds
at its peak, and live memory through a forward and backward pass."""

import math

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from helpers.plots.scale import (
    online_normalizer_steps,
    plot_held_memory,
    plot_memory_timeline,
    plot_online_normalizer,
)

matplotlib.use("Agg")

LOGITS = [2.0, 1.0, 4.0, 0.5, 3.0, 5.0, -1.0, 2.5]


def bars(ax, filled=True):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_fill() == filled
            and p.get_width() < 1.0]  # bars, not the shaded span


def test_online_normalizer_steps_are_the_running_max_and_rescaled_sum():
    maxima, sums = online_normalizer_steps(LOGITS, block_size=2)
    z = np.array(LOGITS)
    for k in range(4):
        seen = z[:2 * (k + 1)]
        assert maxima[k] == seen.max()
        assert math.isclose(sums[k], np.exp(seen - seen.max()).sum())
    last_max, last_sum = online_normalizer_steps(LOGITS, block_size=3)
    assert last_max.size == 3 and last_max[-1] == 5.0  # a narrower last block
    assert math.isclose(last_sum[-1], sums[-1])


@pytest.mark.parametrize(("logits", "block_size", "error"), [
    ([], 1, ValueError), ([[1.0, 2.0]], 1, ValueError), ([1.0, math.inf], 1, ValueError),
    ([1.0, 2.0], 0, ValueError), ([1.0, 2.0], 1.5, TypeError), ([1.0, 2.0], True, TypeError),
])
def test_online_normalizer_steps_rejects_bad_input(logits, block_size, error):
    with pytest.raises(error):
        online_normalizer_steps(logits, block_size)


def test_stepper_draws_the_terms_of_d_against_the_running_max():
    ax = plot_online_normalizer(LOGITS, block_size=2, blocks_read=3)
    terms = bars(ax)
    assert len(terms) == 6  # three blocks of two read
    heights = np.array([b.get_height() for b in terms])
    np.testing.assert_allclose(heights, np.exp(np.array(LOGITS[:6]) - 5.0))
    assert math.isclose(heights.sum(), online_normalizer_steps(LOGITS, 2)[1][2])
    # Block 3 raised the maximum from 4 to 5: the four earlier terms, before the rescale.
    before = bars(ax, filled=False)
    np.testing.assert_allclose([b.get_height() for b in before],
                               np.exp(np.array(LOGITS[:4]) - 4.0))
    assert "m = 5.00" in ax.get_title() and "d = 1.582" in ax.get_title()
    assert "not read yet" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "1", "4", "0.5", "3", "5",
                                                            "-1", "2.5"]
    assert ax.xaxis.get_ticklabels()[0].get_fontsize() >= 11


def test_stepper_without_a_new_maximum_has_no_outlines_and_takes_a_slider_float():
    ax = plot_online_normalizer(LOGITS, block_size=2, blocks_read=4.0)  # block 4: max stays 5
    assert len(bars(ax)) == 8 and not bars(ax, filled=False)
    assert "not read yet" not in [t.get_text() for t in ax.get_legend().get_texts()]
    assert "block 4 of 4" in ax.get_title()


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"blocks_read": 0}, ValueError, "whole number"),
    ({"blocks_read": 5}, ValueError, "whole number"),
    ({"blocks_read": 1.5}, ValueError, "whole number"),
    ({"blocks_read": "2"}, TypeError, "number"),
    ({"block_size": 0}, ValueError, "at least 1"),
    ({"ax": "axes"}, TypeError, "Axes"),
])
def test_stepper_rejects_bad_input(kwargs, error, message):
    arguments = {"block_size": 2, "blocks_read": 1, **kwargs}
    with pytest.raises(error, match=message):
        plot_online_normalizer(LOGITS, **arguments)
    with pytest.raises(ValueError, match="at most 40"):
        plot_online_normalizer(np.zeros(41))


HELD = {
    "naive": {"saved": 1, "temporary": 1, "gradient": 1},
    "chunked": {"saved": 0.001, "gradient": 1},
}


def test_held_memory_stacks_one_bar_per_method_with_its_total():
    ax = plot_held_memory(HELD, title="t")
    segments = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(segments) == 5
    naive = [s for s in segments if math.isclose(s.get_y() + s.get_height() / 2, 1.0)]
    assert [s.get_x() for s in naive] == [0.0, 1.0, 2.0]  # stacked left to right, on top
    texts = [t.get_text() for t in ax.texts]
    assert "3" in texts and "1" in texts  # the totals
    assert "gradient" in texts and "saved" in texts  # wide segments are named inside
    assert [t.get_text() for t in ax.get_yticklabels()] == ["chunked", "naive"]
    # One legend entry per buffer, and "gradient" has one colour in both bars.
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "saved", "temporary", "gradient"]
    gradients = [s for s in segments if math.isclose(s.get_width(), 1.0)
                 and s.get_x() in (2.0, 0.001)]
    assert len({tuple(s.get_facecolor()) for s in gradients}) == 1
    assert ax.get_title() == "t" and "N × C" in ax.get_xlabel()


@pytest.mark.parametrize(("held", "error"), [
    ([], TypeError), ({}, ValueError), ({"a": []}, TypeError), ({"a": {}}, ValueError),
    ({"": {"x": 1}}, ValueError), ({"a": {"": 1}}, ValueError), ({"a": {"x": -1}}, ValueError),
    ({"a": {"x": math.nan}}, ValueError), ({"a": {"x": "1"}}, TypeError),
])
def test_held_memory_rejects_bad_input(held, error):
    with pytest.raises(error):
        plot_held_memory(held)


def test_memory_timeline_replays_the_events_and_marks_the_peak():
    changes = {"a": [4, 2, -2, 1], "b": [1, 1, 1, -3]}
    ax = plot_memory_timeline(changes, backward_from={"a": 2}, unit_bytes=2, unit="units")
    lines = [line for line in ax.get_lines() if line.get_label() in changes]
    np.testing.assert_allclose(lines[0].get_ydata(), [0, 2, 3, 2, 2.5])
    np.testing.assert_allclose(lines[1].get_ydata(), [0, 0.5, 1, 1.5, 0])
    assert [t.get_text() for t in ax.texts] == ["peak 3", "peak 1.5"]
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert [(m.get_xdata()[0], m.get_ydata()[0]) for m in markers] == [(2, 3.0), (3, 1.5)]
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and dotted[0].get_xdata()[0] == 2
    assert "units" in ax.get_ylabel()


def test_memory_timeline_merges_small_events_into_the_next_step():
    ax = plot_memory_timeline({"a": [8, 1, 1, -8, 8]}, backward_from={"a": 3}, min_bytes=4)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [0, 8, 2, 10])  # the 1s join the -8
    dotted = [x for x in ax.get_lines() if x.get_linestyle() == ":"]
    assert dotted[0].get_xdata()[0] == 1  # one drawn event before the backward pass


@pytest.mark.parametrize(("changes", "kwargs", "error"), [
    ([1, 2], {}, TypeError), ({}, {}, ValueError), ({"": [1]}, {}, ValueError),
    ({"a": []}, {}, ValueError), ({"a": [1, math.inf]}, {}, ValueError),
    ({"a": [1]}, {"unit_bytes": 0}, ValueError), ({"a": [1]}, {"min_bytes": -1}, ValueError),
    ({"a": [1]}, {"backward_from": {"b": 0}}, ValueError),
    ({"a": [1]}, {"backward_from": {"a": 2}}, ValueError),
    ({"a": [1]}, {"backward_from": {"a": 0.5}}, TypeError),
    ({"a": [1]}, {"backward_from": [0]}, TypeError),
])
def test_memory_timeline_rejects_bad_input(changes, kwargs, error):
    with pytest.raises(error):
        plot_memory_timeline(changes, **kwargs)


def test_held_memory_says_what_its_totals_are():
    ax = plot_held_memory(HELD, total_format="{:.3g} predicted")
    texts = [t.get_text() for t in ax.texts]
    assert "3 predicted" in texts and "1 predicted" in texts
    ax.figure.canvas.draw()
    right = ax.get_window_extent().x1
    assert all(t.get_window_extent().x1 <= right for t in ax.texts)  # inside the axes
    with pytest.raises(TypeError, match="total_format"):
        plot_held_memory(HELD, total_format=3)


def _step_points(line, samples=40):
    """Points along a step line drawn with where="post", in display coordinates."""
    xs, ys = line.get_xdata(), line.get_ydata()
    points = []
    for x0, y0, x1, y1 in zip(xs[:-1], ys[:-1], xs[1:], ys[1:], strict=True):
        points += [(x, y0) for x in np.linspace(x0, x1, samples)]  # along, at the old value
        points += [(x1, y) for y in np.linspace(y0, y1, samples)]  # then up or down
    return line.axes.transData.transform(points)


def test_memory_timeline_legend_covers_no_curve_and_no_peak_label():
    # The shape of notebook 07's figure: three series, peaks of 3, 3 and 1 matrices.
    changes = {"naive": [1, 1, 1, -1, -1, 2, -1, 1, -1, -1], "fused": [1, 1, 1, -1, -1],
               "chunked": [0.1, -0.1, 1]}
    ax = plot_memory_timeline(changes, backward_from={"naive": 3, "fused": 1})
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    curves = [line for line in ax.get_lines() if line.get_label() in changes]
    assert len(curves) == 3
    for line in curves:
        inside = [legend.contains(x, y) for x, y in _step_points(line)]
        assert not any(inside), line.get_label()
    for label in ax.texts:  # the peak labels
        assert not legend.overlaps(label.get_window_extent()), label.get_text()
    assert ax.get_legend().get_window_extent().y1 <= ax.get_window_extent().y1 + 1


def test_allocation_changes_records_allocations_and_frees_in_order():
    import torch

    from helpers.plots.scale import allocation_changes

    def allocate_and_free():
        kept = torch.empty(1_000_000)  # 4 MB, float32
        temporary = torch.empty(500_000)  # 2 MB ...
        del temporary  # ... freed
        return kept  # freed once the call's result is dropped

    assert allocation_changes(allocate_and_free) == [4_000_000, 2_000_000, -2_000_000, -4_000_000]
    with pytest.raises(TypeError, match="fn must be a function"):
        allocation_changes([1, 2])


def test_roofline_legend_sits_beside_the_axes_and_covers_no_point():
    from helpers.plots.scale import plot_roofline

    # Rates as measured on one CPU thread: the exp and softmax points sit just below the
    # ceilings, where a legend inside the axes (lower right) covered them.
    ax = plot_roofline(17.3e9, {"exp in cache": 1.15e9, "softmax in cache": 1.6e9},
                       {"copy": 2.16e9, "exp": 1.05e9, "softmax": 1.3e9})
    figure = ax.figure
    figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    points = [line for line in ax.get_lines() if line.get_label() in ("copy", "exp", "softmax")]
    assert len(points) == 3
    for point in points:
        x, y = ax.transData.transform((point.get_xdata()[0], point.get_ydata()[0]))
        assert not legend.contains(x, y), point.get_label()
    assert not legend.overlaps(ax.get_window_extent())  # no line under it either
    assert 0 <= legend.x0 and legend.x1 <= figure.bbox.x1  # not cut off by the figure


def test_memory_timeline_keeps_coinciding_curves_and_peak_labels_visible():
    # Notebook 07's naive and fused losses make the same first allocations: the same steps.
    changes = {"naive": [1, 1, 1, -1, -1, 2, -1, 1, -1, -1], "fused": [1, 1, 1, -1, -1],
               "chunked": [0.1, -0.1, 1]}
    ax = plot_memory_timeline(changes, backward_from={"naive": 3, "fused": 3, "chunked": 2})
    widths = [line.get_linewidth() for line in ax.get_lines() if line.get_label() in changes]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3  # bands around
    dotted = max(line.get_zorder() for line in ax.get_lines() if line.get_linestyle() == ":")
    for label in ax.texts:  # the fused peak sits on its dotted line: the label hides it
        assert label.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0)
        assert label.get_zorder() > dotted, label.get_text()
        assert label.get_ha() == "right"  # it ends at its marker, left of the next steps
