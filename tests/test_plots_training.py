"""The figures of notebook 05: training curves, confusion matrix, misclassified digits."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.plots import (
    confusion_counts,
    plot_confusion_matrix,
    plot_misclassified,
    plot_training_curves,
)
from helpers.plots.training import (
    SLIDE_FONT,
    plot_digit_row,
    plot_initial_losses,
    plot_test_accuracies,
)

TRAIN_LOSS, VAL_LOSS = [1.1, 0.5, 0.2], [1.0, 0.6, 0.4]
TRAIN_ACC, VAL_ACC = [0.3, 0.8, 0.95], [0.35, 0.75, 0.9]


def test_training_curves_content():
    fig, axes = plot_training_curves(TRAIN_LOSS, VAL_LOSS, TRAIN_ACC, VAL_ACC)
    assert len(fig.axes) == 2
    loss_lines, accuracy_lines = axes[0].get_lines(), axes[1].get_lines()
    assert [line.get_label() for line in loss_lines] == ["train", "validation"]
    np.testing.assert_allclose(loss_lines[0].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(loss_lines[0].get_ydata(), TRAIN_LOSS)
    np.testing.assert_allclose(loss_lines[1].get_ydata(), VAL_LOSS)
    np.testing.assert_allclose(accuracy_lines[0].get_ydata(), [30.0, 80.0, 95.0])  # percent
    np.testing.assert_allclose(accuracy_lines[1].get_ydata(), [35.0, 75.0, 90.0])
    assert axes[1].get_ylabel() == "accuracy (%)" and axes[0].get_xlabel() == "epoch"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((TRAIN_LOSS, VAL_LOSS[:2], TRAIN_ACC, VAL_ACC), "same length"),
        (([1.0], [1.0], [0.5], [0.5]), "at least 2"),
        (([1.0, -0.1], [1.0, 0.5], [0.5, 0.6], [0.5, 0.6]), "train_loss must be >= 0"),
        (([1.0, 0.1], [1.0, 0.5], [0.5, 0.6], [50.0, 60.0]), r"val_accuracy must be a fraction"),
        (([1.0, np.nan], [1.0, 0.5], [0.5, 0.6], [0.5, 0.6]), "train_loss contains NaN"),
        (([[1.0, 0.5]], [1.0, 0.5], [0.5, 0.6], [0.5, 0.6]), "1 dimension"),
    ],
)
def test_training_curves_reject_bad_input(arguments, message):
    with pytest.raises(ValueError, match=message):
        plot_training_curves(*arguments)


def test_confusion_counts():
    counts = confusion_counts([0, 1, 2, 2, 1], torch.tensor([0, 2, 2, 1, 1]), num_classes=3)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [0, 1, 1]])
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(confusion_counts([1], [1], 4)[1], [0, 1, 0, 0])


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (([0, 1], [0], 2), ValueError, "targets has 2 entries but predictions has 1"),
        (([0, 3], [0, 1], 3), ValueError, "targets holds class 3 but there are only 3 classes"),
        (([0, 1.5], [0, 1], 3), ValueError, "class indices"),
        (([0, -1], [0, 1], 3), ValueError, "class indices"),
        (([0, 1], [0, 1], 1), ValueError, "num_classes must be an integer >= 2"),
        ((["a", "b"], [0, 1], 2), TypeError, "must hold numbers"),
    ],
)
def test_confusion_counts_reject_bad_input(arguments, error, message):
    with pytest.raises(error, match=message):
        confusion_counts(*arguments)


def test_confusion_matrix_plot_content():
    targets, predictions = [0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 2, 2]
    ax = plot_confusion_matrix(targets, predictions, ["zero", "one", "two"])
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    cell_texts = [t.get_text() for t in ax.texts]
    assert cell_texts == ["1", "1", "0", "0", "2", "1", "0", "0", "1"]  # row by row
    assert [t.get_text() for t in ax.get_xticklabels()] == ["zero", "one", "two"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["zero", "one", "two"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "confusion matrix (4 of 6 correct)"


def test_confusion_matrix_size_without_labels_and_on_given_axes():
    _, ax = plt.subplots()
    assert plot_confusion_matrix([0, 1], [1, 1], ax=ax, num_classes=4) is ax
    assert ax.images[0].get_array().shape == (4, 4)
    ax = plot_confusion_matrix([0, 3], [3, 3])  # inferred: 4 classes
    assert ax.images[0].get_array().shape == (4, 4)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"targets": [0, 1], "predictions": [0, 2], "labels": ["a", "b"]}, ValueError,
         "predictions holds class 2 but there are only 2 classes"),
        ({"targets": [0, 1], "predictions": [0, 1], "labels": "ab"}, TypeError, "single string"),
        ({"targets": [0, 1], "predictions": [0, 1], "ax": 3}, TypeError, "matplotlib Axes"),
        ({"targets": [0, 1, 1], "predictions": [0, 1]}, ValueError, "3 entries"),
    ],
)
def test_confusion_matrix_plot_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_confusion_matrix(**kwargs)


def digits_and_probs():
    images = np.zeros((4, 784))
    images[:, :28] = 1.0  # a white top row in every image
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    targets = np.array([0, 2, 1, 2])  # rows 1 and 2 are wrong
    return images, probs, targets


def test_misclassified_shows_only_the_wrong_rows():
    images, probs, targets = digits_and_probs()
    fig, axes = plot_misclassified(images, probs, targets, ["a", "b", "c"])
    assert axes.shape == (2, 2)
    assert axes[0, 0].get_title() == "true c, predicted b"
    assert axes[0, 1].get_title() == "true b, predicted a"
    np.testing.assert_allclose(axes[0, 0].images[0].get_array(), images[1].reshape(28, 28))
    heights = [patch.get_height() for patch in axes[1, 0].patches]
    np.testing.assert_allclose(heights, probs[1])
    colors = [patch.get_facecolor() for patch in axes[1, 0].patches]
    assert colors[2] != colors[0] == colors[1]  # the true class is highlighted
    assert [t.get_text() for t in axes[1, 1].texts] == ["0.600", "0.300", "0.100"]


def test_misclassified_accepts_square_images_and_limits_the_count():
    images, probs, targets = digits_and_probs()
    fig, axes = plot_misclassified(images.reshape(4, 28, 28), probs, targets, max_images=1)
    assert axes.shape == (2, 1)
    assert axes[0, 0].get_title() == "true 2, predicted 1"


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"images": np.zeros((4, 780))}, ValueError, "780 pixels are not square"),
        ({"images": np.zeros((3, 784))}, ValueError, "same length, got 3, 4 and 4"),
        ({"probs": np.full((4, 3), 0.5)}, ValueError, "sum to 1"),
        ({"probs": np.ones(3) / 3}, ValueError, "2 dimension"),
        ({"targets": np.array([0, 3, 1, 2])}, ValueError, "only 3 classes"),
        ({"targets": np.array([0, 1, 0, 2])}, ValueError, "no misclassified example"),
        ({"max_images": 0}, ValueError, "max_images must be a positive integer"),
        ({"labels": ["a", "b"]}, ValueError, "2 entries but there are 3 classes"),
    ],
)
def test_misclassified_rejects_bad_input(change, error, message):
    images, probs, targets = digits_and_probs()
    arguments = {"images": images, "probs": probs, "targets": targets}
    arguments.update(change)
    with pytest.raises(error, match=message):
        plot_misclassified(**arguments)


# ---- plot_decision_threshold ------------------------------------------------------------

from helpers.plots import plot_decision_threshold  # noqa: E402


def test_decision_threshold_histograms_line_and_title():
    probs = np.array([0.01, 0.02, 0.6, 0.4, 0.97, 0.99, 0.98])
    targets = np.array([0, 0, 0, 1, 1, 1, 1])
    ax = plot_decision_threshold(probs, targets, 0.5, ["1", "7"])
    heights_by_class = [
        np.array([p.get_height() for p in container]) for container in ax.containers
    ]
    assert [int(h.sum()) for h in heights_by_class] == [3, 4]
    assert heights_by_class[0][0] == 2  # 0.01 and 0.02 share the first bin
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), [0.5, 0.5])
    assert ax.get_title() == (
        "threshold 0.50: accuracy 71.4 %\ntrue 1 called 7: 1, true 7 called 1: 1"
    )
    assert ax.get_xlabel() == "predicted P(7)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["true 1 (3)", "true 7 (4)", "threshold 0.50"]


@pytest.mark.parametrize("threshold", [0.0, 1.0])
def test_decision_threshold_line_stays_visible_at_the_ends(threshold):
    ax = plot_decision_threshold([0.1, 0.9], [0, 1], threshold, ["1", "7"])
    low, high = ax.get_xlim()
    assert low < 0.0 and high > 1.0  # the line is not drawn on the frame
    assert ax.get_lines()[0].get_xdata()[0] == threshold
    assert ax.get_title().startswith(f"threshold {threshold:.2f}: accuracy 50.0 %")


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (([0.2, np.nan], [0, 1]), ValueError, "NaN"),
        (([[0.2, 0.3]], [0, 1]), ValueError, "1 dimension"),
        (([0.2, 0.3], [0, 0.5]), ValueError, "class indices"),
        (([0.2, 0.3], [0, 1], "0.5"), TypeError, "threshold must be a number"),
        (([0.2, 0.3], [0, 1], -0.1), ValueError, "threshold must lie"),
    ],
)
def test_decision_threshold_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        plot_decision_threshold(*args)


# ---- the figures that give notebook 05's sections a picture ---------------------------------


def _readable(ax):
    sizes = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    if ax.get_legend() is not None:
        sizes += [t.get_fontsize() for t in ax.get_legend().get_texts()]
    return min(sizes) >= SLIDE_FONT >= 11


def test_digit_row_draws_each_digit_with_its_name():
    images = np.zeros((12, 784))
    images[:, 0] = 1.0
    fig, axes = plot_digit_row(images, [0, 1, 2] * 4, ["zero", "one", "two"], max_images=5)
    assert len(axes) == 5 and len(fig.axes) == 5
    assert [ax.get_title() for ax in axes] == ["zero", "one", "two", "zero", "one"]
    shown = axes[0].get_images()[0].get_array()
    assert shown.shape == (28, 28) and shown[0, 0] == 1.0
    assert fig.get_size_inches()[0] <= 7.0
    plt.close(fig)


@pytest.mark.parametrize(
    ("arguments", "kwargs", "error", "message"),
    [
        ((np.zeros((2, 783)), [0, 1], ["a", "b"]), {}, ValueError, "not square"),
        ((np.full((2, 784), 2.0), [0, 1], ["a", "b"]), {}, ValueError, r"\[0, 1\]"),
        ((np.zeros((2, 784)), [0, 2], ["a", "b"]), {}, ValueError, "only 2 classes"),
        ((np.zeros((2, 784)), [0], ["a", "b"]), {}, ValueError, "1 entries"),
        ((np.zeros((2, 784)), [0, 1], "ab"), {}, TypeError, "sequence"),
        ((np.zeros((2, 784)), [0, 1], ["a", "b"]), {"max_images": 0}, ValueError, "positive"),
    ],
)
def test_digit_row_rejects_bad_input(arguments, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_digit_row(*arguments, **kwargs)


def test_initial_losses_show_every_example_against_ln_c():
    losses = torch.tensor([1.0, 1.2, 0.9, 1.3])
    ax = plot_initial_losses(losses, num_classes=3)
    dots, uniform, mean = ax.get_lines()
    np.testing.assert_allclose(dots.get_ydata(), losses.numpy())
    np.testing.assert_allclose(uniform.get_ydata(), [np.log(3)] * 2)
    np.testing.assert_allclose(mean.get_ydata(), [1.1] * 2)
    assert uniform.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "one example", "ln 3 = 1.099", "mean 1.100"]
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > 1.3
    assert _readable(ax)
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("losses", "num_classes", "message"),
    [
        ([1.0, -0.1], 3, "never negative"),
        ([[1.0, 1.1]], 3, "1 dimension"),
        ([1.0, np.nan], 3, "NaN"),
        ([1.0, 1.1], 1, "integer >= 2"),
        ([1.0, 1.1], True, "integer >= 2"),
    ],
)
def test_initial_losses_reject_bad_input(losses, num_classes, message):
    with pytest.raises(ValueError, match=message):
        plot_initial_losses(losses, num_classes)


ACCURACIES = {"small": [0.95, 0.97], "large": [0.99, 0.98, 0.985]}
INTERVALS = {"small": (0.93, 0.98), "large": (0.97, 0.995)}
TARGETS = {"small": 0.9, "large": 0.975}


def test_test_accuracies_one_row_per_network():
    ax = plot_test_accuracies(ACCURACIES, INTERVALS, TARGETS)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["small", "large"]
    lines = ax.get_lines()  # per row: interval, seeds, target
    np.testing.assert_allclose(lines[0].get_xdata(), [93.0, 98.0])
    np.testing.assert_allclose(lines[1].get_xdata(), [95.0, 97.0])
    np.testing.assert_allclose(lines[1].get_ydata(), [0, 0])
    np.testing.assert_allclose(lines[2].get_xdata(), [90.0, 90.0])
    np.testing.assert_allclose(lines[4].get_xdata(), [99.0, 98.0, 98.5])
    np.testing.assert_allclose(lines[4].get_ydata(), [1, 1, 1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "99 % interval", "one seed", "target"]
    assert ax.get_xlabel() == "test accuracy (%)" and _readable(ax)
    width, height = ax.figure.get_size_inches()
    assert width <= 7.0 and height <= 3.2
    plt.close(ax.figure)
    ax = plot_test_accuracies(ACCURACIES, INTERVALS)  # no targets: no tick
    assert len(ax.get_lines()) == 4
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (([0.9], INTERVALS, TARGETS), TypeError, "dict"),
        (({}, {}, None), ValueError, "at least one"),
        ((ACCURACIES, {"small": (0.9, 0.95)}, TARGETS), ValueError, "same networks"),
        ((ACCURACIES, INTERVALS, {"small": 0.9}), ValueError, "same networks"),
        ((ACCURACIES, {**INTERVALS, "small": (0.98, 0.93)}, TARGETS), ValueError, "low <= high"),
        (({**ACCURACIES, "small": [95.0]}, INTERVALS, TARGETS), ValueError, "fractions"),
        ((ACCURACIES, INTERVALS, {**TARGETS, "large": 1.5}), ValueError, "fractions"),
        (({**ACCURACIES, "small": []}, INTERVALS, TARGETS), ValueError, "small"),
    ],
)
def test_test_accuracies_reject_bad_input(arguments, error, message):
    with pytest.raises(error, match=message):
        plot_test_accuracies(*arguments)
    plt.close("all")


def test_notebook_05_figures_are_readable():
    fig, axes = plot_training_curves(TRAIN_LOSS, VAL_LOSS, TRAIN_ACC, VAL_ACC)
    assert all(_readable(ax) for ax in axes) and fig.get_size_inches()[0] <= 7.0
    plt.close(fig)
    ax = plot_decision_threshold([0.1, 0.9, 0.6], [0, 1, 0], 0.5, ["1", "7"])
    assert _readable(ax)
    plt.close(ax.figure)


def test_confusion_matrix_and_misclassified_digits_are_readable():
    ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0], ["a", "b"])
    assert _readable(ax) and min(t.get_fontsize() for t in ax.texts) >= SLIDE_FONT
    plt.close(ax.figure)
    probs = np.array([[0.2, 0.8], [0.9, 0.1]])
    fig, axes = plot_misclassified(np.zeros((2, 784)), probs, [0, 0], ["a", "b"])
    assert axes[0, 0].title.get_fontsize() >= SLIDE_FONT and _readable(axes[1, 0])
    plt.close(fig)
