"""The soft-target bars of notebook 09: content and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.plots import plot_soft_targets

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
