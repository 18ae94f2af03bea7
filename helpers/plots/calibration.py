"""Figures of notebook 06 (calibration): reliability diagram, confidence histogram and the
class-wise calibration error of every class.

Part of ``helpers.plots``: import the functions from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from helpers.plots._base import (
    HIGHLIGHT_COLOR,
    LOGIT_COLOR,
    PROB_COLOR,
    SLIDE_FONT,
    _new_axes,
    _slide_fonts,
)
from helpers.validation import as_float_array

__all__ = [
    "plot_reliability_diagram",
    "plot_confidence_histogram",
    "plot_reliability_panels",
    "plot_classwise_ece",
    "plot_confidence_against_accuracy",
    "plot_ece_noise",
    "plot_nll_against_temperature",
    "plot_reliability_at_temperature",
    "plot_smoothing_sweep",
]


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
    legend: bool = True,
) -> Axes:
    """Reliability diagram: accuracy per confidence bin against the diagonal.

    Introduced in notebook 06. Takes the bins the notebook computes (``B + 1`` edges in
    [0, 1] and, per bin, its accuracy, mean confidence and number of samples). Empty bins
    (count 0) are drawn as gaps. Each blue bar is a bin's accuracy, faded by how few
    samples it holds (a nearly empty bin says little). The gap that the expected
    calibration error averages is hatched: red above the bar where the bin's confidence
    exceeds its accuracy (over-confident), orange on the top of the bar where accuracy
    exceeds confidence (under-confident). The axes' containers are, in order, the
    accuracy bars, the over-confident gaps and the under-confident gaps. ``legend=False``
    leaves the legend out (a figure of several diagrams draws one for all).

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
           linewidth=0.5, label="accuracy")
    over = np.maximum(confidence - accuracy, 0.0)
    under = np.maximum(accuracy - confidence, 0.0)
    ax.bar(left, over, width=widths, bottom=accuracy, align="edge", color="tab:red",
           alpha=0.45, edgecolor="tab:red", hatch="//", linewidth=0.5,
           label="over-confident")
    ax.bar(left, under, width=widths, bottom=np.minimum(accuracy, confidence), align="edge",
           color="tab:orange", alpha=0.6, edgecolor="tab:orange", hatch="\\\\",
           linewidth=0.5, label="under-confident")
    ax.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="perfect")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (max probability)")
    ax.set_ylabel("accuracy")
    if legend:
        ax.legend(loc="upper left", fontsize=SLIDE_FONT)
    if title is not None:
        ax.set_title(title)
    _slide_fonts(ax)
    return ax


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
    row 1 the histograms (see :func:`plot_confidence_histogram`); one legend for all
    diagrams sits above them.

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
        plot_reliability_diagram(*bins, title=str(title), ax=top, legend=False)
        top.set_xlabel("")
        plot_confidence_histogram(bins[0], bins[3], ax=bottom)
        _slide_fonts(bottom)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper center", ncol=4,
               fontsize=SLIDE_FONT, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def plot_classwise_ece(
    errors: dict[str, object],
    *,
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The calibration error of every class, one group of bars per class (notebook 06).

    ``errors`` maps a label (for instance ``"T = 1"``) to an array of shape ``(C,)`` (one
    model) or ``(S, C)`` (one row per seed): entry ``k`` is the ECE of the probability of
    class ``k`` against whether the label is ``k``, as fractions in [0, 1]. Each label gets
    one bar per class at the mean over seeds, with an error bar of one standard deviation
    when there are several seeds, and a dotted line at its class-wise ECE (the mean over
    classes). Values are drawn in percent. The axes' bar containers (``BarContainer``) hold
    the bars, one per label, in order.

    Raises
    ------
    TypeError
        If ``errors`` is not a dict, or ``ax`` is not a matplotlib Axes.
    ValueError
        If ``errors`` is empty, an entry is not 1-D or 2-D, the entries disagree on the number
        of classes, a value leaves [0, 1], or ``class_names`` does not name every class.
    """
    if not isinstance(errors, dict):
        raise TypeError(f"errors must be a dict of label -> per-class errors, got "
                        f"{type(errors).__name__}")
    if not errors:
        raise ValueError("errors must hold at least one set of per-class errors")
    rows = {}
    for label, values in errors.items():
        array = as_float_array(values, f"errors[{label!r}]", ndim=(1, 2))
        array = np.atleast_2d(array)
        if ((array < 0) | (array > 1)).any():
            raise ValueError(f"errors[{label!r}] must lie in [0, 1]")
        rows[str(label)] = array
    num_classes = {array.shape[1] for array in rows.values()}
    if len(num_classes) != 1:
        raise ValueError(f"every entry of errors needs the same number of classes, got "
                         f"{sorted(num_classes)}")
    (num_classes,) = num_classes
    if class_names is None:
        class_names = [str(k) for k in range(num_classes)]
    elif len(class_names) != num_classes:
        raise ValueError(f"class_names has {len(class_names)} names but there are "
                         f"{num_classes} classes")
    ax = _new_axes(ax, figsize=(8.0, 3.0))
    positions = np.arange(num_classes)
    width = 0.8 / len(rows)
    colors = [PROB_COLOR, HIGHLIGHT_COLOR, LOGIT_COLOR, "tab:green", "tab:purple"]
    for index, (label, array) in enumerate(rows.items()):
        color = colors[index % len(colors)]
        mean = 100 * array.mean(axis=0)
        spread = 100 * array.std(axis=0, ddof=1) if array.shape[0] > 1 else None
        offset = (index - (len(rows) - 1) / 2) * width
        ax.bar(positions + offset, mean, width=width, color=color, yerr=spread,
               capsize=2, error_kw={"linewidth": 0.8}, label=label)
        ax.axhline(mean.mean(), color=color, linestyle=":", linewidth=1.2)
    ax.set_xticks(positions, [str(name) for name in class_names])
    ax.set_xlabel("class k")
    ax.set_ylabel("ECE of $p_k$ (%)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=SLIDE_FONT, title="dotted: class-wise ECE", title_fontsize=SLIDE_FONT)
    _slide_fonts(ax)
    return ax


# ---- figures of the lecture path (notebook 06) ------------------------------------------------

def plot_confidence_against_accuracy(
    confidences: dict[str, object],
    correct: dict[str, object],
    *,
    num_bins: int = 20,
    figsize: tuple[float, float] = (7.0, 2.8),
) -> Figure:
    """Histogram of each model's confidences, with its mean confidence and its accuracy.

    Introduced in notebook 06: ``confidences[name]`` holds the largest softmax probability of
    every sample, ``correct[name]`` whether the prediction was right (same shape: 1-D, or
    2-D with one row per seed, pooled). One panel
    per model: the histogram (share of samples per bin), a solid line at the mean confidence
    and a dashed line at the accuracy; the title gives the gap in points. Returns the figure;
    each panel's first two lines are the mean confidence and the accuracy.

    Raises
    ------
    TypeError
        If ``confidences`` or ``correct`` is not a dict.
    ValueError
        If they are empty or name different models, an entry is not 1-D or 2-D, the shapes
        differ,
        a confidence leaves [0, 1], or ``num_bins < 1``.
    """
    if not isinstance(confidences, dict) or not isinstance(correct, dict):
        raise TypeError("confidences and correct must be dicts of model name -> array")
    if not confidences or confidences.keys() != correct.keys():
        raise ValueError("confidences and correct must name the same models, at least one")
    if num_bins < 1:
        raise ValueError(f"num_bins must be >= 1, got {num_bins}")
    fig, axes = plt.subplots(1, len(confidences), figsize=figsize, sharey=True, squeeze=False)
    for ax, name in zip(axes[0], confidences, strict=True):
        conf = as_float_array(confidences[name], f"confidences[{name!r}]", ndim=(1, 2),
                              min_size=1)
        hits = as_float_array(correct[name], f"correct[{name!r}]", ndim=(1, 2))
        if hits.shape != conf.shape:
            raise ValueError(f"correct[{name!r}] has shape {hits.shape}, confidences "
                             f"{conf.shape}")
        conf, hits = conf.ravel(), hits.ravel()  # several seeds: pooled
        if ((conf < 0) | (conf > 1)).any():
            raise ValueError(f"confidences[{name!r}] must lie in [0, 1]")
        mean, accuracy = conf.mean(), hits.mean()
        ax.axvline(mean, color=HIGHLIGHT_COLOR, linewidth=2, label=f"confidence {mean:.3f}")
        ax.axvline(accuracy, color="black", linestyle="--", linewidth=2,
                   label=f"accuracy {accuracy:.3f}")
        ax.hist(conf, bins=np.linspace(0, 1, num_bins + 1), weights=np.full(conf.size,
                1 / conf.size), color=PROB_COLOR, edgecolor="black", linewidth=0.5)
        ax.set_xlim(0, 1)
        ax.set_title(f"{name}: gap {100 * (mean - accuracy):+.1f} points")
        ax.set_xlabel("confidence (max probability)")
        ax.legend(loc="upper left", fontsize=SLIDE_FONT)
        _slide_fonts(ax)
    axes[0, 0].set_ylabel("share of samples")
    axes[0, 0].yaxis.label.set_size(SLIDE_FONT)
    fig.tight_layout()
    return fig


def plot_ece_noise(
    ece: float,
    resampled: object,
    floor: object,
    *,
    ax: Axes | None = None,
) -> Axes:
    """A measured ECE against the noise around it (notebook 06).

    ``resampled`` holds the ECEs of bootstrap resamples of the same samples, ``floor`` those
    of a calibrated model with the same confidences (fractions in [0, 1]). Draws both
    histograms in percent (resamples first, then the floor) and a vertical line at ``ece``;
    the legend gives each one's 90 % range. Returns the axes.

    Raises
    ------
    ValueError
        If ``ece`` or a value leaves [0, 1], or an array is empty or not 1-D.
    TypeError
        If ``ece`` is not a number or ``ax`` is not a matplotlib Axes.
    """
    if isinstance(ece, bool) or not isinstance(ece, int | float | np.floating):
        raise TypeError(f"ece must be a number, got {type(ece).__name__}")
    arrays = {name: as_float_array(values, name, ndim=1, min_size=1)
              for name, values in [("resampled", resampled), ("floor", floor)]}
    for name, array in [("ece", np.array([ece])), *arrays.items()]:
        if ((array < 0) | (array > 1)).any():
            raise ValueError(f"{name} must lie in [0, 1]")
    ax = _new_axes(ax, figsize=(7.0, 2.8))
    top = 100 * max(float(ece), *(a.max() for a in arrays.values()))
    bins = np.linspace(0, 1.05 * top, 40)
    for array, color, what in zip(arrays.values(), [PROB_COLOR, "tab:gray"],
                                  ["resamples", "calibrated model"], strict=True):
        low, high = 100 * np.percentile(array, [5, 95])
        ax.hist(100 * array, bins=bins, color=color, alpha=0.6,
                label=f"{what}: 90 % in [{low:.1f}, {high:.1f}] %")
    ax.axvline(100 * ece, color=HIGHLIGHT_COLOR, linewidth=2.5,
               label=f"measured ECE {100 * ece:.1f} %")
    ax.set_xlabel("ECE (%)")
    ax.set_ylabel("draws")
    ax.legend(fontsize=SLIDE_FONT)
    _slide_fonts(ax)
    return ax


def plot_nll_against_temperature(
    temperatures: object,
    nll: object,
    chosen: float,
    *,
    ax: Axes | None = None,
) -> Axes:
    """The NLL of ``softmax(z / T)`` on a grid of temperatures, and the fitted ``T`` (notebook 06).

    Draws the curve, a dotted line at ``T = 1`` (the model as trained) and a marker at
    ``chosen``, placed on the curve by interpolation. Returns the axes; its first line is
    the curve.

    Raises
    ------
    ValueError
        If the grid is not increasing and positive, the arrays differ in length, or
        ``chosen`` lies outside the grid.
    TypeError
        If ``ax`` is not a matplotlib Axes.
    """
    grid = as_float_array(temperatures, "temperatures", ndim=1, min_size=2)
    values = as_float_array(nll, "nll", ndim=1)
    if values.shape != grid.shape:
        raise ValueError(f"nll has {values.size} entries but the grid {grid.size}")
    if grid[0] <= 0 or (np.diff(grid) <= 0).any():
        raise ValueError("temperatures must be positive and increasing")
    if not grid[0] <= chosen <= grid[-1]:
        raise ValueError(f"chosen = {chosen} lies outside the grid [{grid[0]}, {grid[-1]}]")
    ax = _new_axes(ax, figsize=(7.0, 2.2))
    ax.plot(grid, values, color=PROB_COLOR, linewidth=2, label="validation NLL")
    ax.axvline(1.0, color="black", linestyle=":", linewidth=1.5, label="T = 1 (as trained)")
    ax.plot([chosen], [np.interp(chosen, grid, values)], "o", color=HIGHLIGHT_COLOR,
            markersize=9, label=f"fitted T = {chosen:.2f}")
    ax.set_xlabel("temperature T")
    ax.set_ylabel("NLL")
    ax.legend(fontsize=SLIDE_FONT)
    _slide_fonts(ax)
    return ax


def plot_reliability_at_temperature(
    logits: object,
    targets: object,
    temperature: float,
    *,
    num_bins: int = 15,
    ax: Axes | None = None,
) -> Axes:
    """The reliability diagram of ``softmax(logits / temperature)`` (notebook 06).

    For a live control: the notebook's temperature slider redraws it. Bins as the notebook's
    ``reliability_bins`` (``(b-1)/B < confidence <= b/B``); the title gives the temperature,
    the ECE and the NLL. Returns the axes (see :func:`plot_reliability_diagram`).

    Raises
    ------
    ValueError
        If ``logits`` is not 2-D and finite, ``targets`` does not hold one class index per
        row, ``temperature <= 0`` or ``num_bins < 1``.
    TypeError
        If ``ax`` is not a matplotlib Axes.
    """
    scores = as_float_array(logits, "logits", ndim=2)
    labels = np.asarray(targets)
    if labels.shape != (scores.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"targets must be {scores.shape[0]} integer class indices")
    if ((labels < 0) | (labels >= scores.shape[1])).any():
        raise ValueError(f"targets must lie in [0, {scores.shape[1]})")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if num_bins < 1:
        raise ValueError(f"num_bins must be >= 1, got {num_bins}")
    z = scores / temperature
    log_probs = z - z.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, num_bins - 1)
    counts = np.bincount(which, minlength=num_bins)
    safe = np.maximum(counts, 1)
    accuracy = np.bincount(which, weights=correct, minlength=num_bins) / safe
    mean_conf = np.bincount(which, weights=confidence, minlength=num_bins) / safe
    ece = np.abs(accuracy - mean_conf) @ counts / counts.sum()
    nll = -log_probs[np.arange(labels.size), labels].mean()
    ax = _new_axes(ax, figsize=(5.5, 3.0))  # the size of the live control's image
    ax = plot_reliability_diagram(edges, accuracy, mean_conf, counts, ax=ax,
                                  title=f"T = {temperature:.2f}: ECE {100 * ece:.1f} %, "
                                        f"NLL {nll:.3f}")
    return ax


def plot_smoothing_sweep(
    epsilons: Sequence[float],
    confidence: object,
    accuracy: object,
    nll: object,
    nll_at_t: object,
    *,
    num_classes: int = 10,
    figsize: tuple[float, float] = (7.0, 2.9),
) -> Figure:
    """What label smoothing does, one column of values per ``ε`` (notebook 06).

    Each array has shape ``(E, S)``: one row per ``ε`` of ``epsilons``, one column per seed.
    Left panel: mean confidence and accuracy (mean ± sd over seeds) with the cap
    ``1 - ε + ε / C`` of the smoothed target. Right panel: the NLL at ``T = 1`` and the
    NLL after a temperature (cross-validated). The ``ε`` sit at even spacing. Returns the
    figure; each panel's lines are in the order named.

    Raises
    ------
    ValueError
        If there are no ``ε``, an ``ε`` leaves [0, 1), an array's shape is not ``(E, S)``,
        or ``num_classes < 2``.
    """
    eps = as_float_array(list(epsilons), "epsilons", ndim=1, min_size=1)
    if ((eps < 0) | (eps >= 1)).any():
        raise ValueError("every ε must lie in [0, 1)")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    rows = {}
    for name, values in [("confidence", confidence), ("accuracy", accuracy), ("nll", nll),
                         ("nll_at_t", nll_at_t)]:
        array = np.atleast_2d(as_float_array(values, name, ndim=(1, 2)).T).T
        if array.shape[0] != eps.size:
            raise ValueError(f"{name} has {array.shape[0]} rows but there are {eps.size} ε")
        rows[name] = array
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize)
    x = np.arange(eps.size)

    def curve(ax, name, label, **style):
        array = rows[name]
        spread = array.std(axis=1, ddof=1) if array.shape[1] > 1 else None
        ax.errorbar(x, array.mean(axis=1), yerr=spread, marker="o", capsize=3,
                    label=label, **style)

    curve(left, "confidence", "confidence", color=HIGHLIGHT_COLOR)
    curve(left, "accuracy", "accuracy", color="black", linestyle="--")
    left.plot(x, 1 - eps + eps / num_classes, color="tab:gray", linestyle=":",
              linewidth=2, label="cap of the target")
    curve(right, "nll", "at T = 1", color=PROB_COLOR)
    curve(right, "nll_at_t", "at fitted T (cross-validated)", color=LOGIT_COLOR)
    for ax, ylabel in [(left, "validation"), (right, "validation NLL")]:
        ax.set_xticks(x, [f"{e:g}" for e in eps])
        ax.set_xlabel("label smoothing ε")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=SLIDE_FONT)
        _slide_fonts(ax)
    fig.tight_layout()
    return fig
