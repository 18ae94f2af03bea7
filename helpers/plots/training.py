"""Figures of notebook 05 (training on MNIST): curves, confusion matrix, digits, threshold.

Part of ``helpers.plots``: import the functions from there (``plot_digit_row``,
``plot_initial_losses`` and ``plot_test_accuracies`` from this module).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.plots._base import HIGHLIGHT_COLOR, PROB_COLOR, SLIDE_FONT, _new_axes, _slide_fonts
from helpers.plots.softmax import plot_probability_bars
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = [
    "plot_training_curves",
    "confusion_counts",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_decision_threshold",
    "plot_digit_row",
    "plot_initial_losses",
    "plot_test_accuracies",
]


def _as_class_indices(values: object, name: str, num_classes: int | None = None) -> np.ndarray:
    array = as_float_array(values, name, ndim=1)
    if not np.array_equal(array, np.round(array)) or (array < 0).any():
        raise ValueError(f"{name} must hold class indices (non-negative integers)")
    if num_classes is not None and (array >= num_classes).any():
        raise ValueError(
            f"{name} holds class {int(array.max())} but there are only {num_classes} classes"
        )
    return array.astype(np.int64)






def plot_training_curves(
    train_loss: object, val_loss: object, train_accuracy: object, val_accuracy: object
) -> tuple[Figure, np.ndarray]:
    """Loss (left) and accuracy (right) per epoch, for the training and validation sets.

    Introduced in notebook 05. Epoch 0 is the untrained model. Accuracies are fractions in
    [0, 1] and are drawn as percentages. Returns ``(figure, axes)``.

    Raises
    ------
    ValueError
        If the four curves do not have the same length (at least 2), a loss is negative or
        an accuracy lies outside [0, 1].
    """
    curves = {
        "train_loss": as_float_array(train_loss, "train_loss", ndim=1, min_size=2),
        "val_loss": as_float_array(val_loss, "val_loss", ndim=1, min_size=2),
        "train_accuracy": as_float_array(train_accuracy, "train_accuracy", ndim=1, min_size=2),
        "val_accuracy": as_float_array(val_accuracy, "val_accuracy", ndim=1, min_size=2),
    }
    lengths = {name: values.size for name, values in curves.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the four curves must have the same length, got {lengths}")
    for name in ("train_loss", "val_loss"):
        if (curves[name] < 0).any():
            raise ValueError(f"{name} must be >= 0 (a cross-entropy is never negative)")
    for name in ("train_accuracy", "val_accuracy"):
        if (curves[name] < 0).any() or (curves[name] > 1).any():
            raise ValueError(f"{name} must be a fraction in [0, 1]")
    epochs = np.arange(lengths["train_loss"])
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.0))
    axes[0].plot(epochs, curves["train_loss"], marker=".", label="train")
    axes[0].plot(epochs, curves["val_loss"], marker=".", label="validation")
    axes[0].set_ylabel("loss")
    axes[0].set_title("loss")
    axes[1].plot(epochs, 100 * curves["train_accuracy"], marker=".", label="train")
    axes[1].plot(epochs, 100 * curves["val_accuracy"], marker=".", label="validation")
    axes[1].set_ylabel("accuracy (%)")
    axes[1].set_title("accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.legend(fontsize=SLIDE_FONT)
        ax.grid(alpha=0.3)
        _slide_fonts(ax)
    fig.tight_layout()
    return fig, axes


def confusion_counts(targets: object, predictions: object, num_classes: int) -> np.ndarray:
    """Counts ``(C, C)``: row = true class, column = predicted class. Taught in notebook 05."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    truth = _as_class_indices(targets, "targets", num_classes)
    guess = _as_class_indices(predictions, "predictions", num_classes)
    if truth.size != guess.size:
        raise ValueError(
            f"targets has {truth.size} entries but predictions has {guess.size}"
        )
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (truth, guess), 1)
    return counts


def plot_confusion_matrix(
    targets: object,
    predictions: object,
    labels: Sequence[str] | None = None,
    *,
    num_classes: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Confusion matrix as a heat map with the count in every cell.

    Introduced in notebook 05. Rows are true classes, columns predicted classes; the
    diagonal holds the correct predictions. ``num_classes`` defaults to ``len(labels)``,
    else to the largest class index seen + 1.
    """
    if num_classes is None:
        if labels is not None and not isinstance(labels, str):
            num_classes = len(labels)
        else:
            seen = np.concatenate([
                _as_class_indices(targets, "targets"), _as_class_indices(predictions, "predictions")
            ])
            num_classes = max(int(seen.max()) + 1, 2)
    counts = confusion_counts(targets, predictions, num_classes)
    names = check_labels(labels, num_classes)
    ax = _new_axes(ax, figsize=(4.0, 3.6))
    ax.imshow(counts, cmap="Blues")
    threshold = counts.max() / 2
    for row in range(num_classes):
        for column in range(num_classes):
            color = "white" if counts[row, column] > threshold else "black"
            ax.text(column, row, str(counts[row, column]), ha="center", va="center",
                    color=color, fontsize=SLIDE_FONT)
    ax.set_xticks(range(num_classes), names)
    ax.set_yticks(range(num_classes), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"confusion matrix ({int(np.trace(counts))} of {counts.sum()} correct)")
    _slide_fonts(ax)
    return ax


def plot_misclassified(
    images: object,
    probs: object,
    targets: object,
    labels: Sequence[str] | None = None,
    *,
    max_images: int = 6,
) -> tuple[Figure, np.ndarray]:
    """Each misclassified digit above the bars of its predicted probabilities.

    Introduced in notebook 05. ``images`` are ``(N, 784)`` or ``(N, 28, 28)`` with values
    in [0, 1], ``probs`` the predicted distributions ``(N, C)`` and ``targets`` the true
    classes ``(N,)``; only rows whose most probable class differs from the target are
    drawn (at most ``max_images``), the true class highlighted in the bars
    (:func:`plot_probability_bars`). Returns ``(figure, axes)`` with axes of shape
    ``(2, k)``: images on top, bars below.

    Raises
    ------
    ValueError
        If shapes disagree, ``probs`` are not distributions, or nothing is misclassified.
    """
    pictures = as_float_array(images, "images", ndim=(2, 3))
    if pictures.ndim == 2:
        side = int(round(np.sqrt(pictures.shape[1])))
        if side * side != pictures.shape[1]:
            raise ValueError(f"images of {pictures.shape[1]} pixels are not square")
        pictures = pictures.reshape(len(pictures), side, side)
    distributions = check_probabilities(as_float_array(probs, "probs", ndim=2), "probs", axis=1)
    truth = _as_class_indices(targets, "targets", distributions.shape[1])
    if not len(pictures) == len(distributions) == truth.size:
        raise ValueError(
            f"images, probs and targets must have the same length, got {len(pictures)}, "
            f"{len(distributions)} and {truth.size}"
        )
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"max_images must be a positive integer, got {max_images!r}")
    names = check_labels(labels, distributions.shape[1])
    wrong = np.flatnonzero(distributions.argmax(axis=1) != truth)[:max_images]
    if wrong.size == 0:
        raise ValueError("no misclassified example to show: every prediction is right")
    fig, axes = plt.subplots(2, wrong.size, figsize=(2.1 * wrong.size + 0.6, 4.4),
                             squeeze=False)
    for column, index in enumerate(wrong):
        predicted = int(distributions[index].argmax())
        axes[0, column].imshow(pictures[index], cmap="gray_r", vmin=0.0, vmax=1.0)
        axes[0, column].set_title(f"true {names[truth[index]]}, predicted {names[predicted]}",
                                  fontsize=SLIDE_FONT)
        axes[0, column].axis("off")
        plot_probability_bars(distributions[index], names, highlight=int(truth[index]),
                              ax=axes[1, column])
        axes[1, column].set_xlabel("")
        _slide_fonts(axes[1, column])
        if column:
            axes[1, column].set_ylabel("")
    fig.tight_layout()
    return fig, axes


def plot_decision_threshold(
    probs: object,
    targets: object,
    threshold: float = 0.5,
    class_names: Sequence[str] = ("0", "1"),
    *,
    ax: Axes | None = None,
) -> Axes:
    """Where a binary classifier's probabilities fall, and what a decision threshold does.

    Introduced in notebook 05. ``probs`` are the predicted P(class 1) of each sample and
    ``targets`` the true classes (0 or 1). One histogram per true class over [0, 1], a
    vertical line at ``threshold`` (predict class 1 when ``p >= threshold``; the x axis
    reaches a little beyond [0, 1] so the line stays visible at 0 and at 1), and a
    two-line title: the threshold with the accuracy it gives, then the two kinds of
    mistakes (``true 1 called 7: 2`` counts the 1s predicted to be 7s).

    Raises
    ------
    ValueError
        If ``probs`` is not 1-D within [0, 1], ``targets`` is not 0/1 of the same length,
        ``threshold`` is outside [0, 1], or there are not two class names.
    """
    scores = as_float_array(probs, "probs", ndim=1)
    if ((scores < 0) | (scores > 1)).any():
        raise ValueError("probs must lie in [0, 1] (apply the sigmoid to logits first)")
    truth = _as_class_indices(targets, "targets", num_classes=2)
    if truth.size != scores.size:
        raise ValueError(f"targets has {truth.size} entries but probs has {scores.size}")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    names = check_labels(class_names, 2, "class_names")
    counts = confusion_counts(truth, (scores >= threshold).astype(np.int64), num_classes=2)
    ax = _new_axes(ax, figsize=(6.0, 3.2))
    bins = np.linspace(0.0, 1.0, 21)
    for label, color in [(0, PROB_COLOR), (1, HIGHLIGHT_COLOR)]:
        ax.hist(scores[truth == label], bins=bins, alpha=0.6, color=color,
                label=f"true {names[label]} ({int((truth == label).sum())})")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1.2, zorder=3,
               label=f"threshold {threshold:.2f}")
    ax.set_yscale("log")
    ax.set_xlim(-0.03, 1.03)  # a line at 0 or 1 is not hidden by the frame
    ax.set_xlabel(f"predicted P({names[1]})")
    ax.set_ylabel("digits (log scale)")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(
        f"threshold {threshold:.2f}: accuracy {100 * accuracy:.1f} %\n"
        f"true {names[0]} called {names[1]}: {counts[0, 1]}, "
        f"true {names[1]} called {names[0]}: {counts[1, 0]}",
        fontsize=10,
    )
    ax.legend(fontsize=SLIDE_FONT, loc="upper center")
    _slide_fonts(ax)
    return ax


def plot_digit_row(
    images: object, labels: object, class_names: Sequence[str], *, max_images: int = 10
) -> tuple[Figure, np.ndarray]:
    """The first ``max_images`` digits in a row, each titled with its class name.

    Introduced in notebook 05. ``images`` are ``(N, 784)`` or ``(N, 28, 28)`` with values in
    [0, 1], ``labels`` the class indices ``(N,)`` into ``class_names``. Returns
    ``(figure, axes)``.

    Raises
    ------
    ValueError
        If images are not square or outside [0, 1], lengths disagree, a label has no name,
        or ``max_images`` is not a positive integer.
    """
    pictures = as_float_array(images, "images", ndim=(2, 3))
    if pictures.ndim == 2:
        side = int(round(np.sqrt(pictures.shape[1])))
        if side * side != pictures.shape[1]:
            raise ValueError(f"images of {pictures.shape[1]} pixels are not square")
        pictures = pictures.reshape(len(pictures), side, side)
    if ((pictures < 0) | (pictures > 1)).any():
        raise ValueError("images must hold pixel values in [0, 1]")
    if isinstance(class_names, str) or not isinstance(class_names, Sequence):
        raise TypeError("class_names must be a sequence of names, one per class")
    names = check_labels(class_names, len(class_names), "class_names")
    truth = _as_class_indices(labels, "labels", len(names))
    if truth.size != len(pictures):
        raise ValueError(f"labels has {truth.size} entries but images has {len(pictures)}")
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"max_images must be a positive integer, got {max_images!r}")
    shown = min(max_images, len(pictures))
    fig, axes = plt.subplots(1, shown, figsize=(0.5 * shown, 0.8), squeeze=False)
    for ax, picture, label in zip(axes[0], pictures[:shown], truth[:shown], strict=True):
        ax.imshow(picture, cmap="gray_r", vmin=0.0, vmax=1.0)
        ax.set_title(names[label], fontsize=SLIDE_FONT + 1)
        ax.axis("off")
    return fig, axes[0]


def plot_initial_losses(losses: object, num_classes: int, *, ax: Axes | None = None) -> Axes:
    """The per-example losses of an untrained classifier against ``ln C``.

    Introduced in notebook 05 (the check before training). ``losses`` are the
    cross-entropies of single examples (``reduction="none"``); one dot per example, a dashed
    line at ``ln num_classes`` (the loss of a uniform guess) and a solid one at their mean.

    Raises
    ------
    ValueError
        If ``losses`` is not 1-D, holds a negative value or NaN, or ``num_classes`` is not an
        integer >= 2.
    """
    values = as_float_array(losses, "losses", ndim=1)
    if (values < 0).any():
        raise ValueError("losses must be >= 0 (a cross-entropy is never negative)")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    ax = _new_axes(ax, figsize=(6.5, 2.7))
    uniform, mean = float(np.log(num_classes)), float(values.mean())
    ax.plot(np.arange(values.size), values, "o", color=PROB_COLOR, markersize=4,
            label="one example")
    ax.axhline(uniform, color="black", linestyle="--", linewidth=1.2,
               label=f"ln {num_classes} = {uniform:.3f}")
    ax.axhline(mean, color=HIGHLIGHT_COLOR, linewidth=2, label=f"mean {mean:.3f}")
    top = max(2.2 * uniform, float(values.max()) * 1.25)  # room for the legend
    ax.set_ylim(0, top)
    ax.set_xlabel("example", fontsize=SLIDE_FONT)
    ax.set_ylabel("loss before training", fontsize=SLIDE_FONT)
    ax.set_title(f"before training: {values.size} examples, {num_classes} classes",
                 fontsize=SLIDE_FONT)
    ax.legend(loc="upper right", ncol=3)
    _slide_fonts(ax)
    return ax


def plot_test_accuracies(
    accuracies: dict[str, Sequence[float]],
    intervals: dict[str, tuple[float, float]],
    targets: dict[str, float] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Each network's test accuracy: one dot per seed, an interval, and its target.

    Introduced in notebook 05 (the test set, read once). ``accuracies`` maps a network's
    name to its test accuracy for every seed (fractions), ``intervals`` the same names to
    a ``(low, high)`` interval (a bar) and ``targets`` to the minimum mean set in advance (a
    black tick). One row per network, accuracies in percent.

    Raises
    ------
    TypeError
        If ``accuracies``, ``intervals`` or ``targets`` is not a dict.
    ValueError
        If the dicts name different networks, a value is not a fraction in [0, 1], a list of
        accuracies is empty, or an interval has ``low > high``.
    """
    for name, value in [("accuracies", accuracies), ("intervals", intervals),
                        ("targets", {} if targets is None else targets)]:
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict keyed by network, got {type(value).__name__}")
    names = list(accuracies)
    if not names:
        raise ValueError("accuracies must name at least one network")
    if set(intervals) != set(names) or (targets is not None and set(targets) != set(names)):
        raise ValueError("accuracies, intervals and targets must name the same networks")
    ax = _new_axes(ax, figsize=(7.0, 0.8 + 0.7 * len(names)))
    for row, name in enumerate(names):
        scores = as_float_array(accuracies[name], f"accuracies[{name!r}]", ndim=1)
        bounds = as_float_array(intervals[name], f"intervals[{name!r}]", ndim=1)
        if bounds.size != 2 or bounds[0] > bounds[1]:
            raise ValueError(f"intervals[{name!r}] must be (low, high) with low <= high")
        checked = [scores, bounds] + ([np.array([targets[name]], dtype=float)] if targets else [])
        if any(((v < 0) | (v > 1)).any() for v in checked):
            raise ValueError(f"the values of {name!r} must be fractions in [0, 1]")
        ax.plot(100 * bounds, [row, row], color=PROB_COLOR, linewidth=6, alpha=0.35,
                solid_capstyle="butt", label="99 % interval" if row == 0 else None)
        ax.plot(100 * scores, np.full(scores.size, row), "o", color=PROB_COLOR,
                markersize=6, label="one seed" if row == 0 else None)
        if targets is not None:
            ax.plot([100 * targets[name]] * 2, [row - 0.3, row + 0.3], color="black",
                    linewidth=2, label="target" if row == 0 else None)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlabel("test accuracy (%)", fontsize=SLIDE_FONT)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    _slide_fonts(ax)
    return ax
