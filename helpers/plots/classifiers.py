"""Figures of notebooks 03 (``nn.CrossEntropyLoss``) and 04 (the classifier networks).

Import them from this module: ``from helpers.plots.classifiers import plot_curves``.

* ``plot_prediction_bars``   03: a good and a bad prediction's probabilities, with their losses
* ``plot_argmax_tie``        03: two close logits, two equal float32 probabilities
* ``plot_curves``            03 and 04: losses (or probabilities) against one number, e.g. the
                             double-softmax floor, ``BCELoss`` clamped at 100, the sigmoid
* ``plot_label_smoothing``   03: the smoothed target and the loss as ``label_smoothing`` moves
* ``plot_pos_weight``        04: what a network trained with ``pos_weight`` outputs

Every function validates its input (``ValueError``/``TypeError`` naming the problem), draws
with tick labels and legends of at least ``FONT_SIZE`` points (readable on a 1280 x 720
slide) and returns the axes or the figure. Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.numerics import log_softmax
from helpers.plots._base import (
    HIGHLIGHT_COLOR,
    LOGIT_COLOR,
    PROB_COLOR,
    SLIDE_FONT,
    _new_axes,
    _slide_fonts,
)
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = [
    "plot_prediction_bars",
    "plot_argmax_tie",
    "plot_curves",
    "plot_label_smoothing",
    "plot_pos_weight",
]

FONT_SIZE = SLIDE_FONT + 1  # ticks, legends, bar labels: at least slide code size at 7 x 3.2 inches
FIGSIZE = (7.0, 3.2)  # inches: a figure and its heading fit one 1280 x 720 screen
_STYLES = ("-", "--", ":", "-.")
_COLORS = (PROB_COLOR, HIGHLIGHT_COLOR, LOGIT_COLOR, "tab:green")




def _check_class(target: object, count: int, name: str = "target") -> int:
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise TypeError(f"{name} must be a class index (an int), got {type(target).__name__}")
    if not 0 <= target < count:
        raise ValueError(f"{name}={target} is not a class index in 0..{count - 1}")
    return int(target)


def plot_prediction_bars(
    predictions: Mapping[str, object],
    target: int,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Side by side, the probabilities of each named prediction for one sample.

    Introduced in notebook 03 (the tutorial's good and bad predictions). Each prediction's
    legend entry shows its loss ``-ln p[target]``; the true class's tick is marked "(true)".

    Raises
    ------
    TypeError
        If ``predictions`` is not a mapping of names to probabilities, or ``target`` is not
        an int.
    ValueError
        If there are no (or more than four) predictions, a prediction is not a 1-D
        probability vector, they differ in length, or ``target`` is not a class index.
    """
    if not isinstance(predictions, Mapping):
        raise TypeError(f"predictions must map names to probabilities, got "
                        f"{type(predictions).__name__}")
    if not 1 <= len(predictions) <= len(_COLORS):
        raise ValueError(f"give one to {len(_COLORS)} predictions, got {len(predictions)}")
    checked = {str(name): check_probabilities(as_float_array(probs, f"predictions[{name!r}]",
                                                             ndim=1), f"predictions[{name!r}]")
               for name, probs in predictions.items()}
    sizes = {probs.size for probs in checked.values()}
    if len(sizes) != 1:
        raise ValueError(f"every prediction needs the same number of classes, got {sorted(sizes)}")
    count = sizes.pop()
    target = _check_class(target, count)
    names = check_labels(labels, count)
    names = [f"{name}\n(true)" if i == target else name for i, name in enumerate(names)]
    ax = _new_axes(ax, figsize=FIGSIZE)
    width = 0.8 / len(checked)
    positions = np.arange(count)
    for index, ((name, probs), color) in enumerate(zip(checked.items(), _COLORS, strict=False)):
        loss = -math.log(probs[target]) if probs[target] > 0 else math.inf
        bars = ax.bar(positions + (index - (len(checked) - 1) / 2) * width, probs, width,
                      color=color, label=f"{name}: loss {loss:.3f}")
        ax.bar_label(bars, labels=[f"{p:.2f}" for p in probs], padding=2, fontsize=FONT_SIZE)
    ax.set_xticks(positions, names)
    ax.set_ylim(0, 1.25)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])  # room above 1 for the legend, no tick there
    ax.set_ylabel("probability")
    ax.legend(fontsize=FONT_SIZE, loc="upper right")
    _slide_fonts(ax, FONT_SIZE)
    return ax


def plot_argmax_tie(logits: object, probs: object, labels: Sequence[str] | None = None) -> Figure:
    """Two panels: one sample's logits and its probabilities, each argmax highlighted.

    Introduced in notebook 03: in float32 two different logits can round to the same
    probability; ``argmax`` then picks the first of the tied classes. Pass the
    probabilities as computed (e.g. by ``torch.softmax`` in float32) so the figure shows
    the rounding that happened. Returns the figure; ``axes[0]`` holds the logits.

    Raises
    ------
    ValueError
        If ``logits`` or ``probs`` is not 1-D, they differ in length, or ``probs`` is not a
        probability vector.
    """
    scores = as_float_array(logits, "logits", ndim=1, min_size=2)
    values = check_probabilities(as_float_array(probs, "probs", ndim=1), "probs")
    if values.size != scores.size:
        raise ValueError(f"logits has {scores.size} entries but probs has {values.size}")
    names = check_labels(labels, scores.size)
    fig, axes = plt.subplots(1, 2, figsize=FIGSIZE)
    panels = [(axes[0], scores, "logits", "{:.1e}"), (axes[1], values, "probabilities", "{}")]
    for ax, data, what, fmt in panels:
        winner = int(np.argmax(data))
        colors = [HIGHLIGHT_COLOR if i == winner else LOGIT_COLOR for i in range(data.size)]
        bars = ax.bar(names, data, color=colors)
        ax.bar_label(bars, labels=[fmt.format(v) for v in data], padding=2, fontsize=FONT_SIZE)
        ax.set_ylim(0, data.max() * 1.3)
        ax.set_title(f"{what}: argmax = {names[winner]}")
        ax.set_xlabel("class")
        _slide_fonts(ax, FONT_SIZE)
    fig.tight_layout()
    return fig


def plot_curves(
    x: object,
    curves: Mapping[str, object],
    *,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    levels: Mapping[str, float] | None = None,
    marks: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per named curve against ``x``, with optional labelled reference lines.

    Introduced in notebook 03 (the loss against the logit scale, with and without a second
    softmax) and used in notebook 04 (``BCELoss`` against ``BCEWithLogitsLoss``; the sigmoid
    against the 2-class softmax). Each curve gets its own colour and line style, and later
    curves are drawn thinner, so two identical curves remain both visible. ``levels`` draws
    horizontal lines (``{label: y}``), ``marks`` vertical ones (``{label: x}``).

    Raises
    ------
    TypeError
        If ``curves``, ``levels`` or ``marks`` is not a mapping.
    ValueError
        If ``x`` is not 1-D and increasing, there are no (or more than four) curves, a
        curve does not have one finite value per ``x``, or a reference line is not finite.
    """
    points = as_float_array(x, "x", ndim=1, min_size=2)
    if not (np.diff(points) > 0).all():
        raise ValueError("x must be increasing")
    if not isinstance(curves, Mapping):
        raise TypeError(f"curves must map labels to values, got {type(curves).__name__}")
    if not 1 <= len(curves) <= len(_STYLES):
        raise ValueError(f"give one to {len(_STYLES)} curves, got {len(curves)}")
    checked = {}
    for label, values in curves.items():
        ys = as_float_array(values, f"curves[{label!r}]", ndim=1)
        if ys.shape != points.shape:
            raise ValueError(f"curves[{label!r}] has {ys.size} values, x has {points.size}")
        checked[str(label)] = ys
    lines = {}
    for name, given in (("levels", levels), ("marks", marks)):
        if given is None:
            given = {}
        if not isinstance(given, Mapping):
            raise TypeError(f"{name} must map labels to numbers, got {type(given).__name__}")
        for label, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating) \
                    or not math.isfinite(value):
                raise ValueError(f"{name}[{label!r}] must be a finite number, got {value!r}")
        lines[name] = dict(given)
    ax = _new_axes(ax, figsize=FIGSIZE)
    count = len(checked)
    for index, (label, ys) in enumerate(checked.items()):
        ax.plot(points, ys, color=_COLORS[index], linestyle=_STYLES[index],
                linewidth=2 + 1.5 * (count - 1 - index), label=label)
    for label, y in lines["levels"].items():
        ax.axhline(y, color="black", linestyle=":", linewidth=1.2, label=label)
    for label, x_mark in lines["marks"].items():
        ax.axvline(x_mark, color="tab:red", linestyle=":", linewidth=1.2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize=FONT_SIZE)
    _slide_fonts(ax, FONT_SIZE)
    return ax


def plot_label_smoothing(
    logits: object,
    target: int,
    label_smoothing: float,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """The smoothed target ``(1 - ε) one_hot + ε / C`` next to the model's probabilities.

    Introduced in notebook 03 (``label_smoothing=``). The title gives ε and the loss
    ``-Σ_c t_c ln p_c``, which equals
    ``F.cross_entropy(logits, target, label_smoothing=ε)`` for one sample: moving ε moves
    the target bars and the loss. Made for ``helpers.widgets.PlotExplorer``.

    Raises
    ------
    TypeError
        If ``target`` is not an int.
    ValueError
        If ``logits`` is not 1-D and finite, ``target`` is not a class index, or
        ``label_smoothing`` is outside ``[0, 1]``.
    """
    scores = as_float_array(logits, "logits", ndim=1, min_size=2)
    target = _check_class(target, scores.size)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, int | float) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    names = check_labels(labels, scores.size)
    log_probs = log_softmax(scores)
    smoothed = (1 - label_smoothing) * np.eye(scores.size)[target] + label_smoothing / scores.size
    loss = float(-(smoothed * log_probs).sum())
    ax = _new_axes(ax, figsize=FIGSIZE)
    positions = np.arange(scores.size)
    for offset, values, color, label in [(-0.2, smoothed, HIGHLIGHT_COLOR, "target t"),
                                         (0.2, np.exp(log_probs), PROB_COLOR, "model p")]:
        bars = ax.bar(positions + offset, values, 0.4, color=color, label=label)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=2, fontsize=FONT_SIZE)
    ax.set_xticks(positions, [f"{n}\n(true)" if i == target else n for i, n in enumerate(names)])
    ax.set_ylim(0, 1.45)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("probability")
    ax.set_title(f"ε = {label_smoothing:.2f}: loss -Σ t ln p = {loss:.3f}")
    ax.legend(fontsize=FONT_SIZE, loc="upper left", ncols=2)
    _slide_fonts(ax, FONT_SIZE)
    return ax


def plot_pos_weight(pos_weight: float, *, ax: Axes | None = None) -> Axes:
    """What a binary network trained with ``pos_weight = w`` outputs, against the truth.

    Introduced in notebook 04. For inputs whose true probability of being positive is
    ``q``, the weighted loss is smallest at ``p_w = w q / (w q + 1 - q)``; the curve is drawn
    next to the diagonal ``p = q`` (``w = 1``). Thresholding ``p_w`` at 0.5 predicts
    "positive" from ``q = 1 / (1 + w)`` on: the effective threshold, marked. Made for
    ``helpers.widgets.PlotExplorer``.

    Raises
    ------
    ValueError
        If ``pos_weight`` is not a finite number > 0.
    """
    if isinstance(pos_weight, bool) or not isinstance(pos_weight, int | float) \
            or not 0 < pos_weight < math.inf:
        raise ValueError(f"pos_weight must be a finite number > 0, got {pos_weight!r}")
    ax = _new_axes(ax, figsize=FIGSIZE)
    truth = np.linspace(0.0, 1.0, 201)
    output = pos_weight * truth / (pos_weight * truth + 1 - truth)
    threshold = 1 / (1 + pos_weight)
    ax.plot(truth, truth, color=LOGIT_COLOR, linestyle="--", linewidth=1.5, label="w = 1: p = q")
    ax.plot(truth, output, color=PROB_COLOR, linewidth=2.5, label=f"w = {pos_weight:.2f}")
    ax.axhline(0.5, color="black", linestyle=":", linewidth=1.2)
    ax.axvline(threshold, color=HIGHLIGHT_COLOR, linestyle=":", linewidth=2,
               label=f"q = 1/(1+w) = {threshold:.2f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("true probability q")
    ax.set_ylabel("output p_w")
    ax.set_title("pos_weight moves the output and the threshold")
    ax.legend(fontsize=FONT_SIZE, loc="lower right")
    _slide_fonts(ax, FONT_SIZE)
    return ax
