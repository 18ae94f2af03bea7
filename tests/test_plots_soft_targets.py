"""The soft-target bars and the KL-direction fits of notebook 09: content and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.plots import plot_soft_targets
from helpers.plots.soft_targets import plot_kl_directions

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
