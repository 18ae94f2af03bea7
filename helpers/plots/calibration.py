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

from helpers.plots._base import HIGHLIGHT_COLOR, LOGIT_COLOR, PROB_COLOR, _new_axes
from helpers.validation import as_float_array

__all__ = [
    "plot_reliability_diagram",
    "plot_confidence_histogram",
    "plot_reliability_panels",
    "plot_classwise_ece",
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
    ax.legend(fontsize=8, title="dotted: class-wise ECE", title_fontsize=8)
    return ax
