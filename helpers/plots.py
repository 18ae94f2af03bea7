"""Figures used by the notebooks.

Every function takes plain arrays (lists, NumPy arrays or CPU tensors), validates them,
draws on a new figure or on the axes you pass, and returns the figure or axes so the
notebook (or a test) can inspect or save it. Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from helpers.numerics import softmax
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = [
    "plot_probability_bars",
    "plot_logits_and_probs",
    "plot_temperature_sweep",
    "plot_neg_log_curve",
    "plot_logit_gradient",
    "plot_reliability_diagram",
    "plot_training_curves",
    "confusion_counts",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_decision_threshold",
    "plot_cost_vs_classes",
    "class_count_label",
    "plot_confidence_histogram",
    "plot_reliability_panels",
]

PROB_COLOR = "tab:blue"
HIGHLIGHT_COLOR = "tab:orange"
LOGIT_COLOR = "tab:gray"


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 3.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def plot_probability_bars(
    probs: object,
    labels: Sequence[str] | None = None,
    *,
    highlight: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of one probability distribution, each bar annotated with its value.

    Introduced in notebook 01. ``highlight`` colours one class (e.g. the true one).

    Raises
    ------
    ValueError
        If ``probs`` is not 1-D, is outside [0, 1], does not sum to 1, or ``highlight`` is
        not a valid class index.
    """
    values = check_probabilities(as_float_array(probs, "probs", ndim=1), "probs")
    names = check_labels(labels, values.size)
    if highlight is not None and not 0 <= highlight < values.size:
        raise ValueError(f"highlight={highlight} is not a class index in 0..{values.size - 1}")
    ax = _new_axes(ax)
    colors = [HIGHLIGHT_COLOR if i == highlight else PROB_COLOR for i in range(values.size)]
    bars = ax.bar(names, values, color=colors)
    ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], padding=2, fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability")
    ax.set_xlabel("class")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_logits_and_probs(
    logits: object, labels: Sequence[str] | None = None
) -> tuple[Figure, np.ndarray]:
    """Two panels: the raw scores (logits) and their softmax probabilities.

    Introduced in notebook 01. Returns ``(figure, axes)`` with ``axes[0]`` the logits and
    ``axes[1]`` the probabilities.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    names = check_labels(labels, scores.size)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.2))
    bars = axes[0].bar(names, scores, color=LOGIT_COLOR)
    axes[0].bar_label(bars, labels=[f"{v:.2f}" for v in scores], padding=2, fontsize=8)
    axes[0].axhline(0.0, color="black", linewidth=0.8)
    axes[0].set_title("logits (any real number)")
    axes[0].set_xlabel("class")
    plot_probability_bars(softmax(scores), names, ax=axes[1], title="softmax(logits)")
    fig.tight_layout()
    return fig, axes


def plot_temperature_sweep(
    logits: object,
    temperatures: object,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Each class's probability ``softmax(logits / T)`` as the temperature ``T`` varies.

    Introduced in notebook 01. The x-axis is logarithmic; one line per class.

    Raises
    ------
    ValueError
        If ``logits`` is not 1-D or a temperature is not strictly positive and finite.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    temps = as_float_array(temperatures, "temperatures", ndim=1, min_size=2)
    if (temps <= 0).any():
        raise ValueError(f"temperatures must be > 0, got minimum {temps.min()}")
    names = check_labels(labels, scores.size)
    order = np.argsort(temps)
    temps = temps[order]
    probs = softmax(scores[None, :] / temps[:, None], axis=1)
    ax = _new_axes(ax, figsize=(6.0, 3.5))
    for class_index, name in enumerate(names):
        ax.plot(temps, probs[:, class_index], marker=".", label=f"class {name}")
    ax.axhline(1.0 / scores.size, color="black", linestyle=":", linewidth=1, label="uniform 1/C")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("temperature T (log scale)")
    ax.set_ylabel("softmax(logits / T)")
    ax.legend(fontsize=8)
    return ax


# ---- notebook 02 (cross-entropy) --------------------------------------------------------



def plot_neg_log_curve(
    marked_probs: object = (),
    labels: Sequence[str] | None = None,
    *,
    min_prob: float = 1e-3,
    ax: Axes | None = None,
) -> Axes:
    """The curve ``-ln p`` for ``p`` in ``[min_prob, 1]``: the loss of one sample when the
    model gives probability ``p`` to its true class.

    Introduced in notebook 02. Each value in ``marked_probs`` is marked on the curve with its
    loss (and its label, if ``labels`` is given), e.g. a good and a bad prediction.

    Raises
    ------
    ValueError
        If ``marked_probs`` is not 1-D or has a value outside ``(0, 1]``, if ``labels`` does
        not have one entry per marked value, or if ``min_prob`` is not in ``(0, 1)``.
    """
    if not 0.0 < min_prob < 1.0:
        raise ValueError(f"min_prob must lie in (0, 1), got {min_prob}")
    marked = as_float_array(marked_probs, "marked_probs", ndim=1, min_size=0)
    if ((marked <= 0) | (marked > 1)).any():
        raise ValueError(
            f"marked_probs must lie in (0, 1], got values from {marked.min()} to {marked.max()}"
        )
    names = check_labels(labels, marked.size) if labels is not None else None
    ax = _new_axes(ax, figsize=(6.0, 3.5))
    probs = np.linspace(min_prob, 1.0, 500)
    ax.plot(probs, -np.log(probs), color=PROB_COLOR, label="loss = -ln p")
    for index, prob in enumerate(marked):
        loss = -np.log(prob)
        text = f"p={prob:g}: loss {loss:.3f}"
        if names is not None:
            text = f"{names[index]}, {text}"
        ax.plot([prob], [loss], marker="o", linestyle="", color=HIGHLIGHT_COLOR)
        ax.annotate(text, (prob, loss), textcoords="offset points", xytext=(8, 4), fontsize=8)
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, -np.log(min_prob) * 1.05)
    ax.set_xlabel("probability p given to the true class")
    ax.set_ylabel("loss -ln p")
    ax.set_title("confident and wrong costs the most")
    ax.legend(fontsize=8)
    return ax


def plot_logit_gradient(
    logits: object,
    target: int,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of the gradient of one sample's cross-entropy with respect to its logits,
    ``softmax(logits) - one_hot(target)``.

    Introduced in notebook 02. The true class's bar (always negative: gradient descent
    raises that logit) is highlighted; every other bar is positive (those logits go down).

    Raises
    ------
    TypeError
        If ``target`` is not an integer.
    ValueError
        If ``logits`` is not a finite 1-D array or ``target`` is not a class index.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise TypeError(f"target must be an integer class index, got {type(target).__name__}")
    if not 0 <= target < scores.size:
        raise ValueError(f"target={target} is not a class index in 0..{scores.size - 1}")
    names = check_labels(labels, scores.size)
    gradient = softmax(scores)
    gradient[target] -= 1.0
    ax = _new_axes(ax)
    colors = [HIGHLIGHT_COLOR if i == target else PROB_COLOR for i in range(scores.size)]
    bars = ax.bar(names, gradient, color=colors)
    ax.bar_label(bars, labels=[f"{v:+.3f}" for v in gradient], padding=2, fontsize=8)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylim(-1.15, 1.15)
    ax.set_xlabel("class (true class highlighted)")
    ax.set_ylabel("dL/dz = softmax(z) - y")
    ax.set_title("gradient of the loss with respect to each logit")
    return ax


# ---- notebook 05: training curves, confusion matrix, misclassified digits -----------------



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
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.2))
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
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
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
                    color=color, fontsize=9)
    ax.set_xticks(range(num_classes), names)
    ax.set_yticks(range(num_classes), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"confusion matrix ({int(np.trace(counts))} of {counts.sum()} correct)")
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
                                  fontsize=9)
        axes[0, column].axis("off")
        plot_probability_bars(distributions[index], names, highlight=int(truth[index]),
                              ax=axes[1, column])
        axes[1, column].set_xlabel("")
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
    vertical line at ``threshold`` (predict class 1 when ``p >= threshold``), and a title
    with the resulting accuracy and the two kinds of mistakes.

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
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1.2,
               label=f"threshold {threshold:.2f}")
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"predicted P({names[1]})")
    ax.set_ylabel("digits (log scale)")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(
        f"accuracy {100 * accuracy:.1f} %: {counts[0, 1]} {names[0]}s called {names[1]}, "
        f"{counts[1, 0]} {names[1]}s called {names[0]}",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper center")
    return ax

# ---- notebook 06 (calibration) ----------------------------------------------------------



def _reliability_bins(
    bin_edges: object, bin_accuracy: object, bin_confidence: object, bin_counts: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate reliability bins; empty bins get accuracy and confidence 0."""
    edges = as_float_array(bin_edges, "bin_edges", ndim=1, min_size=2)
    if (np.diff(edges) <= 0).any() or edges[0] < 0 or edges[-1] > 1:
        raise ValueError("bin_edges must increase strictly within [0, 1]")
    num_bins = edges.size - 1
    counts = as_float_array(bin_counts, "bin_counts", ndim=1)
    if counts.size != num_bins:
        raise ValueError(f"bin_counts has {counts.size} entries but there are {num_bins} bins")
    if (counts < 0).any():
        raise ValueError("bin_counts must be >= 0")
    filled = counts > 0
    per_bin = {}
    for name, values in [("bin_accuracy", bin_accuracy), ("bin_confidence", bin_confidence)]:
        array = np.asarray(values, dtype=np.float64)
        if array.shape != (num_bins,):
            raise ValueError(f"{name} has shape {array.shape} but there are {num_bins} bins")
        # Empty bins have no statistics (often NaN): they are drawn as gaps.
        array = as_float_array(np.where(filled, array, 0.0), name)
        if ((array < 0) | (array > 1)).any():
            raise ValueError(f"{name} must lie in [0, 1] for non-empty bins")
        per_bin[name] = array
    return edges, per_bin["bin_accuracy"], per_bin["bin_confidence"], counts


def plot_reliability_diagram(
    bin_edges: object,
    bin_accuracy: object,
    bin_confidence: object,
    bin_counts: object,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Reliability diagram: accuracy per confidence bin against the diagonal.

    Introduced in notebook 06. Takes the bins the notebook computes (``B + 1`` edges in
    [0, 1] and, per bin, its accuracy, mean confidence and number of samples). Empty bins
    (count 0) are drawn as gaps. Each blue bar is a bin's accuracy, faded by how few
    samples it holds (a nearly empty bin says little). The gap that the expected
    calibration error averages is hatched: red above the bar where the bin's confidence
    exceeds its accuracy (over-confident), orange on the top of the bar where accuracy
    exceeds confidence (under-confident). The axes' containers are, in order, the
    accuracy bars, the over-confident gaps and the under-confident gaps.

    Raises
    ------
    ValueError
        If the edges are not increasing within [0, 1], the per-bin arrays do not have one
        entry per bin, accuracies or confidences leave [0, 1], or counts are negative.
    TypeError
        If ``ax`` is not a matplotlib Axes.
    """
    edges, accuracy, confidence, counts = _reliability_bins(
        bin_edges, bin_accuracy, bin_confidence, bin_counts
    )
    ax = _new_axes(ax, figsize=(4.2, 4.2))
    left, widths = edges[:-1], np.diff(edges)
    share = counts / counts.max() if counts.max() > 0 else counts
    alphas = 0.15 + 0.85 * np.sqrt(share)  # faded: few samples
    colors = [(*to_rgb(PROB_COLOR), a) for a in alphas]
    ax.bar(left, accuracy, width=widths, align="edge", color=colors, edgecolor="black",
           linewidth=0.5, label="accuracy (pale: few samples)")
    over = np.maximum(confidence - accuracy, 0.0)
    under = np.maximum(accuracy - confidence, 0.0)
    ax.bar(left, over, width=widths, bottom=accuracy, align="edge", color="tab:red",
           alpha=0.45, edgecolor="tab:red", hatch="//", linewidth=0.5,
           label="over-confident gap")
    ax.bar(left, under, width=widths, bottom=np.minimum(accuracy, confidence), align="edge",
           color="tab:orange", alpha=0.6, edgecolor="tab:orange", hatch="\\\\",
           linewidth=0.5, label="under-confident gap")
    ax.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="perfect")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (max probability)")
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper left", fontsize=7)
    if title is not None:
        ax.set_title(title)
    return ax


# ---- notebook 07 (softmax at scale) ------------------------------------------------------


def plot_cost_vs_classes(
    class_counts: object,
    costs: dict[str, object],
    *,
    ylabel: str,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per method: a cost (time, memory, ...) against the number of classes.

    Introduced in notebook 07 to show how naive, fused and chunked cross-entropy scale.
    Both axes are logarithmic, so every cost must be strictly positive; points are drawn
    in increasing class count.

    Raises
    ------
    TypeError
        If ``costs`` is not a dict from method names to arrays.
    ValueError
        If ``class_counts`` is not 1-D, has fewer than 2 entries, is not strictly positive
        or repeats a value; if ``costs`` is empty, a name is empty, or a series does not
        have one finite, strictly positive value per class count.
    """
    counts = as_float_array(class_counts, "class_counts", ndim=1, min_size=2)
    if (counts <= 0).any():
        raise ValueError(f"class_counts must be > 0, got minimum {counts.min()}")
    if np.unique(counts).size != counts.size:
        raise ValueError("class_counts must not repeat a value")
    if not isinstance(costs, dict):
        raise TypeError(f"costs must be a dict of name -> values, got {type(costs).__name__}")
    if not costs:
        raise ValueError("costs must hold at least one method")
    order = np.argsort(counts)
    series = {}
    for name, values in costs.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"every method needs a non-empty name, got {name!r}")
        array = as_float_array(values, f"costs[{name!r}]", ndim=1)
        if array.size != counts.size:
            raise ValueError(
                f"costs[{name!r}] has {array.size} values but there are {counts.size} class counts"
            )
        if (array <= 0).any():
            raise ValueError(f"costs[{name!r}] must be > 0 on a log scale, got {array.min()}")
        series[name] = array[order]
    ax = _new_axes(ax, figsize=(5.5, 3.5))
    # Distinct markers and dashes keep lines visible when two methods cost the same.
    styles = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1)))]
    for index, (name, values) in enumerate(series.items()):
        marker, linestyle = styles[index % len(styles)]
        ax.plot(counts[order], values, marker=marker, linestyle=linestyle, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Ticks at the measured class counts only, with short labels ("50k"): the default
    # log-axis minor labels (3 x 10^3, 4 x 10^3, ...) overlap on a narrow panel.
    ax.set_xticks(counts[order], [class_count_label(count) for count in counts[order]])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("number of classes C (log scale)")
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def class_count_label(count: float) -> str:
    """A short tick label for a class count: 512, 1k, 2.05k, 50k, 200k, 1.5M, 1G.

    Used by :func:`plot_cost_vs_classes` (notebook 07). Three significant digits at most.

    Raises
    ------
    TypeError
        If ``count`` is not a real number.
    ValueError
        If ``count`` is not finite and strictly positive.
    """
    if isinstance(count, bool) or not isinstance(count, int | float | np.integer | np.floating):
        raise TypeError(f"count must be a real number, got {type(count).__name__}")
    if not np.isfinite(count) or count <= 0:
        raise ValueError(f"count must be finite and > 0, got {count}")
    rounded = float(f"{count:.3g}")  # 999,999 -> 1,000,000 -> "1M", not "1e+03k"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rounded >= scale:
            return f"{rounded / scale:.3g}{suffix}"
    return f"{rounded:.3g}"


# ---- notebook 06 (calibration): counts under the reliability diagram ---------------------


def plot_confidence_histogram(
    bin_edges: object,
    bin_counts: object,
    *,
    ax: Axes | None = None,
) -> Axes:
    """How many samples fall in each confidence bin, on a log scale (notebook 06).

    Drawn under a reliability diagram, it shows which bins hold enough samples for their
    accuracy to mean something. Empty bins draw nothing.

    Raises
    ------
    ValueError
        If the edges are not increasing within [0, 1], there is not one count per bin, or a
        count is negative.
    TypeError
        If ``ax`` is not a matplotlib Axes.
    """
    edges = as_float_array(bin_edges, "bin_edges", ndim=1, min_size=2)
    if (np.diff(edges) <= 0).any() or edges[0] < 0 or edges[-1] > 1:
        raise ValueError("bin_edges must increase strictly within [0, 1]")
    counts = as_float_array(bin_counts, "bin_counts", ndim=1)
    if counts.size != edges.size - 1:
        raise ValueError(
            f"bin_counts has {counts.size} entries but there are {edges.size - 1} bins"
        )
    if (counts < 0).any():
        raise ValueError("bin_counts must be >= 0")
    ax = _new_axes(ax, figsize=(4.2, 1.4))
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=LOGIT_COLOR,
           edgecolor="black", linewidth=0.5)
    ax.set_yscale("log")
    ax.set_ylim(0.8, max(10.0, 2.0 * counts.max()))
    ax.set_xlim(0, 1)
    ax.set_xlabel("confidence (max probability)")
    ax.set_ylabel("samples")
    return ax


def plot_reliability_panels(
    panels: dict[str, Sequence[object]],
    *,
    figsize: tuple[float, float] = (8.0, 4.0),
) -> Figure:
    """Reliability diagrams side by side, each above its confidence histogram (notebook 06).

    ``panels`` maps a title to the bins ``(edges, accuracy, confidence, counts)`` that
    :func:`plot_reliability_diagram` takes. Returns the figure: row 0 holds the diagrams,
    row 1 the histograms (see :func:`plot_confidence_histogram`).

    Raises
    ------
    TypeError
        If ``panels`` is not a dict or a value is not a sequence of four arrays.
    ValueError
        If ``panels`` is empty, or any bins are invalid.
    """
    if not isinstance(panels, dict):
        raise TypeError(f"panels must be a dict of title -> bins, got {type(panels).__name__}")
    if not panels:
        raise ValueError("panels must hold at least one set of bins")
    for title, bins in panels.items():
        if isinstance(bins, str) or not isinstance(bins, Sequence) or len(bins) != 4:
            raise TypeError(
                f"panels[{title!r}] must be (edges, accuracy, confidence, counts)"
            )
    fig, axes = plt.subplots(
        2, len(panels), figsize=figsize, sharex="col", squeeze=False,
        gridspec_kw={"height_ratios": [3, 1]},
    )
    for column, (title, bins) in enumerate(panels.items()):
        top, bottom = axes[0, column], axes[1, column]
        plot_reliability_diagram(*bins, title=str(title), ax=top)
        top.set_xlabel("")
        plot_confidence_histogram(bins[0], bins[3], ax=bottom)
    fig.tight_layout()
    return fig
