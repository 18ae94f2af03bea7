"""The soft-target bars and the KL-direction fits of notebook 09: content and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from helpers.plots import plot_soft_targets
from helpers.plots.soft_targets import (
    SLIDE_FONT,
    plot_gradient_scale,
    plot_kl_directions,
    plot_multi_label_rows,
    plot_paired_differences,
    plot_teacher_targets,
    plot_temperature_targets,
    plot_threshold_curves,
    plot_validation_grid,
)

SHARP = [0.9, 0.09, 0.01]
SOFT = [0.5, 0.3, 0.2]


def test_one_group_of_bars_per_temperature_at_the_given_heights():
    fig = plot_soft_targets({1: SHARP, 4.0: SOFT}, ["a", "b", "c"], title="one digit")
    (ax,) = fig.axes
    first, second = ax.containers
    np.testing.assert_allclose([b.get_height() for b in first], SHARP)
    np.testing.assert_allclose([b.get_height() for b in second], SOFT)
    # the two groups sit side by side around each class position
    assert first[0].get_x() < second[0].get_x() < 1 - 0.4
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 1", "T = 4"]
    assert ax.get_title() == "one digit"
    plt.close(fig)


def test_draws_on_given_axes_and_names_classes_by_default():
    fig, ax = plt.subplots()
    assert plot_soft_targets({2.0: np.array(SOFT)}, ax=ax) is fig
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    plt.close(fig)


@pytest.mark.parametrize(
    ("argument", "names", "error", "words"),
    [
        ([SHARP], None, TypeError, "must map temperatures"),
        ({}, None, ValueError, "empty"),
        ({"hot": SHARP}, None, TypeError, "numbers"),
        ({0.0: SHARP}, None, ValueError, "positive"),
        ({1.0: [0.5, 0.6]}, None, ValueError, "sum to 1"),
        ({1.0: [[0.5, 0.5]]}, None, ValueError, "1-D"),
        ({1.0: [1.0, 0.0]}, None, ValueError, "zero"),
        ({1.0: SHARP, 2.0: [0.5, 0.5]}, None, ValueError, "same number"),
        ({1.0: SHARP}, ["a", "b"], ValueError, "class_names"),
    ],
)
def test_bad_input_is_a_clear_error(argument, names, error, words):
    with pytest.raises(error, match=words):
        plot_soft_targets(argument, names)
    plt.close("all")


# ---- the two directions of the KL divergence ----------------------------------------------

GRID = np.linspace(-3.0, 3.0, 7)
TWO_MODES = np.array([0.05, 0.3, 0.1, 0.02, 0.13, 0.35, 0.05])
ONE_MODE = np.array([0.02, 0.1, 0.2, 0.36, 0.2, 0.1, 0.02])


def test_the_target_is_shaded_and_each_fit_is_a_labelled_line():
    fig = plot_kl_directions(GRID, TWO_MODES, {"forward": ONE_MODE, "reverse": TWO_MODES},
                             title="two directions")
    (ax,) = fig.axes
    assert len(ax.collections) == 1  # the shaded target
    forward, reverse = ax.lines
    np.testing.assert_allclose(forward.get_xdata(), GRID)
    np.testing.assert_allclose(forward.get_ydata(), ONE_MODE)
    np.testing.assert_allclose(reverse.get_ydata(), TWO_MODES)
    assert forward.get_color() != reverse.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "target p", "forward", "reverse"]
    assert ax.get_title() == "two directions"
    assert ax.get_ylim()[0] == 0
    plt.close(fig)


def test_kl_directions_draws_on_given_axes_from_tensors():
    torch = pytest.importorskip("torch")
    fig, ax = plt.subplots()
    assert plot_kl_directions(torch.tensor(GRID), torch.tensor(TWO_MODES),
                              {"q": torch.tensor(ONE_MODE)}, ax=ax) is fig
    assert len(ax.lines) == 1
    plt.close(fig)


@pytest.mark.parametrize(
    ("grid", "target", "fits", "error", "words"),
    [
        (GRID[::-1], TWO_MODES, {"q": ONE_MODE}, ValueError, "increasing"),
        (GRID.reshape(1, -1), TWO_MODES, {"q": ONE_MODE}, ValueError, "dimension"),
        (GRID, TWO_MODES, [ONE_MODE], TypeError, "must map labels"),
        (GRID, TWO_MODES, {}, ValueError, "one to three"),
        (GRID, TWO_MODES, {str(i): ONE_MODE for i in range(4)}, ValueError, "one to three"),
        (GRID, TWO_MODES, {1.0: ONE_MODE}, TypeError, "strings"),
        (GRID, TWO_MODES * 2, {"q": ONE_MODE}, ValueError, "sum to 1"),
        (GRID, TWO_MODES, {"q": ONE_MODE[:-1] / ONE_MODE[:-1].sum()}, ValueError, "shape"),
    ],
)
def test_kl_directions_bad_input_is_a_clear_error(grid, target, fits, error, words):
    with pytest.raises(error, match=words):
        plot_kl_directions(grid, target, fits)
    plt.close("all")


# ---- the lecture's figures (pictures for every section of notebook 09) -----------------------

def test_temperature_targets_keep_t1_as_reference_and_flatten_with_t():
    logits = np.array([4.0, 1.0, 0.0])
    fig = plot_temperature_targets(logits, 4.0, ["a", "b", "c"])
    (ax,) = fig.axes
    reference, soft = ax.containers
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose([b.get_height() for b in reference], expected)
    flat = np.exp(logits / 4) / np.exp(logits / 4).sum()
    np.testing.assert_allclose([b.get_height() for b in soft], flat)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 1", "T = 4"]
    assert ax.get_legend().get_texts()[0].get_fontsize() >= 11
    assert ax.xaxis.get_ticklabels()[0].get_fontsize() >= 11
    plt.close(fig)


def test_temperature_targets_reject_bad_temperature():
    with pytest.raises(ValueError, match="positive"):
        plot_temperature_targets([1.0, 0.0], 0.0)
    with pytest.raises(TypeError, match="number"):
        plot_temperature_targets([1.0, 0.0], "4")


def test_teacher_targets_one_group_per_teacher():
    fig = plot_teacher_targets({"plain": SHARP, "smoothed": SOFT}, ["a", "b", "c"])
    (ax,) = fig.axes
    plain, smoothed = ax.containers
    np.testing.assert_allclose([b.get_height() for b in smoothed], SOFT)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["plain", "smoothed"]
    plt.close(fig)
    with pytest.raises(TypeError, match="strings"):
        plot_teacher_targets({1: SHARP})
    with pytest.raises(ValueError, match="zero"):
        plot_teacher_targets({"a": [1.0, 0.0]})


def test_gradient_scale_draws_both_lines_on_log_axes():
    temps = np.array([1.0, 2.0, 4.0])
    norms = 0.1 / temps**2
    fig = plot_gradient_scale(temps, norms)
    (ax,) = fig.axes
    alone, scaled = ax.get_lines()
    np.testing.assert_allclose(alone.get_ydata(), norms)
    np.testing.assert_allclose(scaled.get_ydata(), [0.1, 0.1, 0.1])  # flat with T²
    assert ax.get_xscale() == ax.get_yscale() == "log"
    plt.close(fig)
    with pytest.raises(ValueError, match="increase"):
        plot_gradient_scale([2.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="positive"):
        plot_gradient_scale([1.0, 2.0], [1.0, 0.0])


def test_validation_grid_writes_means_and_frames_the_choice():
    scores = {(2.0, 0.5): [0.8, 0.82], (2.0, 0.9): [0.7, 0.7],
              (5.0, 0.5): [0.75, 0.75], (5.0, 0.9): [0.6, 0.62]}
    fig = plot_validation_grid(scores, [0.78, 0.8], (2.0, 0.5), title="val")
    (ax,) = fig.axes[:1]
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith("81.0 ± 1.4") and texts[3].startswith("61.0")
    (frame,) = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert frame.get_x() == pytest.approx(-0.48) and frame.get_y() == pytest.approx(-0.48)
    assert ax.get_title() == "val; hard labels: 79.0 %"
    plt.close(fig)
    with pytest.raises(ValueError, match="not a pair"):
        plot_validation_grid(scores, [0.8], (3.0, 0.5))
    with pytest.raises(ValueError, match="every"):
        plot_validation_grid({(2.0, 0.5): [0.8], (5.0, 0.9): [0.7]}, [0.8], (2.0, 0.5))
    with pytest.raises(TypeError, match="mapping"):
        plot_validation_grid([0.8], [0.8], (2.0, 0.5))


def test_multi_label_rows_softmax_panel_sums_to_one():
    soft = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    sig = np.array([[0.1, 0.05, 0.02], [0.9, 0.95, 0.97]])
    targets = np.array([[0, 0, 0], [1, 1, 1]])
    fig = plot_multi_label_rows(soft, sig, targets, ["1", "8"], ["even", "> 4", "loop"])
    left, right = fig.axes[:2]
    heights = np.array([[b.get_height() for b in c] for c in left.containers])  # (labels, rows)
    np.testing.assert_allclose(heights.sum(axis=0), 1)
    heights = np.array([[b.get_height() for b in c] for c in right.containers])
    np.testing.assert_allclose(heights.T, sig)
    marks = [line for line in left.get_lines() if len(line.get_xdata())]
    assert len(marks) == 3  # the 8 has all three labels, the 1 none
    plt.close(fig)
    with pytest.raises(ValueError, match="sum to 1"):
        plot_multi_label_rows(sig, sig, targets, ["1", "8"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="0 or 1"):
        plot_multi_label_rows(soft, sig, targets * 0.5, ["1", "8"], ["a", "b", "c"])
    with pytest.raises(TypeError, match="two matplotlib Axes"):
        plot_multi_label_rows(soft, sig, targets, ["1", "8"], ["a", "b", "c"], axes=[1, 2])


def test_threshold_curves_mark_the_chosen_threshold():
    grid = np.array([0.25, 0.5, 0.75])
    scores = np.array([[0.5, 0.9], [0.8, 0.7], [0.6, 0.4]])
    fig = plot_threshold_curves(grid, scores, [0.5, 0.25], ["a", "b"])
    (ax,) = fig.axes
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [(d.get_xdata()[0], d.get_ydata()[0]) for d in dots] == [(0.5, 0.8), (0.25, 0.9)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a: 0.50", "b: 0.25"]
    plt.close(fig)
    with pytest.raises(ValueError, match="one of the candidates"):
        plot_threshold_curves(grid, scores, [0.4, 0.25], ["a", "b"])
    with pytest.raises(ValueError, match="shape"):
        plot_threshold_curves(grid, scores[:2], [0.5, 0.25], ["a", "b"])


def test_paired_differences_one_interval_per_seed():
    fig = plot_paired_differences({"a - b": [(0.01, -0.01, 0.03), (0.0, -0.02, 0.02)],
                                   "c - a": [(-0.01, -0.03, 0.01)]})
    (ax,) = fig.axes
    bars = [line for line in ax.get_lines() if line.get_linewidth() == 3]
    assert [tuple(b.get_xdata()) for b in bars] == [(-1.0, 3.0), (-2.0, 2.0), (-3.0, 1.0)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a - b", "c - a"]
    assert all(t.get_fontsize() >= SLIDE_FONT for t in ax.get_legend().get_texts())
    plt.close(fig)
    with pytest.raises(ValueError, match="does not contain"):
        plot_paired_differences({"a": [(0.05, -0.01, 0.03)]})
    with pytest.raises(TypeError, match="mapping"):
        plot_paired_differences([(0.0, -0.1, 0.1)])
