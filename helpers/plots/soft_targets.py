"""Figures of notebook 09 (soft targets): a teacher's probabilities at several temperatures,
the T² factor of the distillation loss, the validation grid of T and w, multi-class against
multi-label outputs, per-label thresholds, paired test differences, and one-mode fits of a
two-mode distribution under the two directions of the KL divergence.

Part of ``helpers.plots``: import ``plot_soft_targets`` from there; the other figures are
imported from this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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
    "plot_soft_targets",
    "plot_kl_directions",
    "plot_temperature_targets",
    "plot_teacher_targets",
    "plot_gradient_scale",
    "plot_validation_grid",
    "plot_multi_label_rows",
    "plot_threshold_curves",
    "plot_paired_differences",
]


def plot_soft_targets(
    probs_by_temperature: Mapping[float, object],
    class_names: Sequence[str] | None = None,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Grouped bars: one distribution over the classes per temperature (notebook 09).

    ``probs_by_temperature`` maps a temperature ``T`` to the 1-D probabilities
    ``softmax(z / T)`` of one example; every distribution has the same number of classes.
    The y axis is logarithmic, so the small probabilities of the wrong classes (the
    "dark knowledge" a student learns from) stay visible. Returns the figure.

    Raises
    ------
    TypeError
        If ``probs_by_temperature`` is not a mapping, or a temperature is not a number.
    ValueError
        If it is empty, a temperature is not positive, a distribution is not 1-D, does not
        sum to 1 or holds a zero, or the distributions differ in length from each other or
        from ``class_names``.
    """
    if not isinstance(probs_by_temperature, Mapping):
        raise TypeError(
            "probs_by_temperature must map temperatures to probabilities, got "
            f"{type(probs_by_temperature).__name__}"
        )
    if not probs_by_temperature:
        raise ValueError("probs_by_temperature is empty: give at least one temperature")
    rows = []
    for temperature, values in probs_by_temperature.items():
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise TypeError(f"temperatures must be numbers, got {temperature!r}")
        if not temperature > 0:
            raise ValueError(f"temperatures must be positive, got {temperature}")
        probs = check_probabilities(values, f"probabilities at T={temperature}")
        if probs.ndim != 1:
            raise ValueError(
                f"probabilities at T={temperature} must be 1-D (one example), "
                f"got shape {probs.shape}"
            )
        if (probs <= 0).any():
            raise ValueError(
                f"probabilities at T={temperature} hold a zero: a log axis cannot show it"
            )
        rows.append((float(temperature), probs))
    count = rows[0][1].size
    if any(probs.size != count for _, probs in rows):
        raise ValueError("every distribution must have the same number of classes")
    names = check_labels(class_names, count, "class_names")

    return _grouped_log_bars([(f"T = {t:g}", p) for t, p in rows], names, title, ax)


def _grouped_log_bars(rows: list, names: list[str], title: str | None,
                      ax: Axes | None) -> Figure:
    """One group of bars per class, one bar per ``(label, probs)`` row, log y axis."""
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    width = 0.8 / len(rows)
    positions = np.arange(len(names))
    for index, (label, probs) in enumerate(rows):
        offset = (index - (len(rows) - 1) / 2) * width
        ax.bar(positions + offset, probs, width=width, label=label)
    ax.set_yscale("log")
    ax.set_xticks(positions, names)
    ax.set_xlabel("class")
    ax.set_ylabel("probability (log scale)")
    ax.legend(loc="upper left", fontsize=SLIDE_FONT)
    _readable(ax, title)
    return ax.figure


def plot_teacher_targets(
    probs_by_teacher: Mapping[str, object],
    class_names: Sequence[str] | None = None,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Grouped bars on a log axis: one example's soft targets from several teachers
    (notebook 09: a plain and a label-smoothed teacher). ``probs_by_teacher`` maps a name
    to 1-D probabilities, all of one length. Returns the figure.

    Raises
    ------
    TypeError
        If ``probs_by_teacher`` is not a mapping with string keys.
    ValueError
        If it is empty, a distribution is not 1-D, does not sum to 1 or holds a zero, or
        the lengths differ from each other or from ``class_names``.
    """
    if not isinstance(probs_by_teacher, Mapping):
        raise TypeError("probs_by_teacher must map names to probabilities, got "
                        f"{type(probs_by_teacher).__name__}")
    if not probs_by_teacher:
        raise ValueError("probs_by_teacher is empty: give at least one teacher")
    rows = []
    for name, values in probs_by_teacher.items():
        if not isinstance(name, str):
            raise TypeError(f"teacher names must be strings, got {name!r}")
        probs = check_probabilities(values, f"probabilities of {name!r}")
        if probs.ndim != 1:
            raise ValueError(f"probabilities of {name!r} must be 1-D, got shape {probs.shape}")
        if (probs <= 0).any():
            raise ValueError(f"probabilities of {name!r} hold a zero: a log axis cannot show it")
        rows.append((name, probs))
    if any(probs.size != rows[0][1].size for _, probs in rows):
        raise ValueError("every distribution must have the same number of classes")
    names = check_labels(class_names, rows[0][1].size, "class_names")
    return _grouped_log_bars(rows, names, title, ax)


def plot_kl_directions(
    grid: object,
    target: object,
    fits: Mapping[str, object],
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A distribution ``target`` over ``grid`` (shaded) and its fits (lines) (notebook 09).

    ``grid`` holds the increasing points where the distributions live, ``target`` the
    probabilities of ``p`` on them, and ``fits`` maps a label (for example ``"forward
    KL(p‖q)"``) to the probabilities of a fitted ``q`` on the same points. Notebook 09 fits
    one Gaussian to a two-mode ``p``: the forward KL spreads it over both modes, the reverse
    KL settles on one. Returns the figure.

    Raises
    ------
    TypeError
        If ``fits`` is not a mapping or a label is not a string.
    ValueError
        If ``grid`` is not 1-D and increasing, a distribution does not match its length or
        does not sum to 1, or ``fits`` is empty or holds more than three fits.
    """
    points = as_float_array(grid, "grid", ndim=1, min_size=2)
    if not (np.diff(points) > 0).all():
        raise ValueError("grid must be increasing")
    if not isinstance(fits, Mapping):
        raise TypeError(f"fits must map labels to probabilities, got {type(fits).__name__}")
    if not 1 <= len(fits) <= 3:
        raise ValueError(f"fits must hold one to three distributions, got {len(fits)}")
    curves = [("target p", target)]
    for label, values in fits.items():
        if not isinstance(label, str):
            raise TypeError(f"the labels of fits must be strings, got {label!r}")
        curves.append((label, values))
    checked = []
    for label, values in curves:
        probs = check_probabilities(values, f"probabilities of {label!r}")
        if probs.shape != points.shape:
            raise ValueError(f"probabilities of {label!r} have shape {probs.shape}, the grid "
                             f"{points.shape}")
        checked.append((label, probs))

    ax = _new_axes(ax, figsize=(7.0, 2.7))
    (label, probs), *fitted = checked
    ax.fill_between(points, probs, color=LOGIT_COLOR, alpha=0.4, label=label)
    for (label, probs), color in zip(fitted, (PROB_COLOR, HIGHLIGHT_COLOR, "tab:green"),
                                     strict=False):
        ax.plot(points, probs, color=color, linewidth=2, label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("probability")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=SLIDE_FONT)
    _readable(ax, title)
    return ax.figure


def _readable(ax: Axes, title: str | None) -> None:
    """The title, fonts a projected slide can show, and a tight layout."""
    if title:
        ax.set_title(title)
    _slide_fonts(ax)
    ax.figure.tight_layout()


def _positive_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return float(value)


def plot_temperature_targets(
    logits: object,
    temperature: float,
    class_names: Sequence[str] | None = None,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A teacher's ``softmax(z)`` next to its soft targets ``softmax(z / T)`` (notebook 09).

    ``logits`` are the 1-D logits ``z`` of one example. The bars of ``T = 1`` stay as the
    reference while ``temperature`` moves (the live control of notebook 09 redraws this
    figure). Drawn by ``plot_soft_targets`` (log y axis). Returns the figure.

    Raises
    ------
    TypeError
        If ``temperature`` is not a number.
    ValueError
        If the logits are not 1-D and finite with at least two classes, or ``temperature``
        is not positive.
    """
    scores = as_float_array(logits, "logits", ndim=1, min_size=2)
    temperature = _positive_number(temperature, "temperature")

    def softmax(z: np.ndarray) -> np.ndarray:
        shifted = np.exp(z - z.max())
        return shifted / shifted.sum()

    # a floor keeps a probability that underflows to 0 drawable on the log axis
    probs = {t: np.maximum(softmax(scores / t), 1e-300) for t in (1.0, temperature)}
    probs = {t: p / p.sum() for t, p in probs.items()}
    return plot_soft_targets(probs, class_names, title=title, ax=ax)


def plot_gradient_scale(
    temperatures: object,
    gradient_norms: object,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The soft term's gradient size against ``T``, without and with the ``T²`` factor
    (notebook 09): log-log axes, where ``1/T²`` is a straight line of slope -2 and the
    factor turns it flat. ``gradient_norms[i]`` is the norm without the factor at
    ``temperatures[i]``. Returns the figure.

    Raises
    ------
    ValueError
        If the two are not 1-D of one length (at least two), or hold a value that is not
        positive, or the temperatures do not increase.
    """
    temps = as_float_array(temperatures, "temperatures", ndim=1, min_size=2)
    norms = as_float_array(gradient_norms, "gradient_norms", ndim=1, min_size=2)
    if temps.shape != norms.shape:
        raise ValueError(f"temperatures {temps.shape} and gradient_norms {norms.shape} differ")
    if (temps <= 0).any() or (norms <= 0).any():
        raise ValueError("temperatures and gradient norms must be positive (log axes)")
    if not (np.diff(temps) > 0).all():
        raise ValueError("temperatures must increase")
    ax = _new_axes(ax, figsize=(7.0, 2.6))
    ax.plot(temps, norms, "o-", color=LOGIT_COLOR, linewidth=2, label="soft term alone")
    ax.plot(temps, norms * temps**2, "o-", color=PROB_COLOR, linewidth=2,
            label="times T²")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(temps, [f"{t:g}" for t in temps])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    ax.set_ylabel("gradient norm")
    ax.legend(loc="lower left", fontsize=SLIDE_FONT)
    _readable(ax, title)
    return ax.figure


def plot_validation_grid(
    scores: Mapping[tuple[float, float], object],
    baseline: object,
    chosen: tuple[float, float],
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Mean validation accuracy over seeds for each ``(T, w)`` of a grid (notebook 09).

    ``scores`` maps ``(T, w)`` to the accuracies (fractions, one per seed); the grid is
    drawn as a table of cells, the mean and sd written in each (in %), the ``chosen`` pair
    framed; ``baseline`` holds the hard-label students' accuracies, named in the title.
    Returns the figure.

    Raises
    ------
    TypeError
        If ``scores`` is not a mapping of ``(T, w)`` pairs.
    ValueError
        If it is empty, the pairs do not fill a full grid, an accuracy lies outside
        ``[0, 1]``, or ``chosen`` is not one of the pairs.
    """
    if not isinstance(scores, Mapping) or not scores:
        raise TypeError("scores must be a non-empty mapping {(T, w): accuracies}")
    if any(not isinstance(k, tuple) or len(k) != 2 for k in scores):
        raise TypeError(f"the keys of scores must be (T, w) pairs, got {list(scores)!r}")
    temps = sorted({k[0] for k in scores})
    weights = sorted({k[1] for k in scores})
    if len(scores) != len(temps) * len(weights):
        raise ValueError("scores must hold every (T, w) pair of the grid")
    if chosen not in scores:
        raise ValueError(f"chosen {chosen!r} is not a pair of the grid")
    values = {k: as_float_array(v, f"accuracies at {k}", ndim=1) for k, v in scores.items()}
    base = as_float_array(baseline, "baseline", ndim=1)
    if any(((v < 0) | (v > 1)).any() for v in [base, *values.values()]):
        raise ValueError("accuracies must be fractions in [0, 1]")
    means = np.array([[values[t, w].mean() for w in weights] for t in temps])
    ax = _new_axes(ax, figsize=(5.5, 2.8))
    image = ax.imshow(100 * means, cmap="Blues", aspect="auto")
    low, high = image.get_clim()
    for i, t in enumerate(temps):
        for j, w in enumerate(weights):
            acc = 100 * values[t, w]
            dark = 100 * means[i, j] > (low + high) / 2
            ax.text(j, i, f"{acc.mean():.1f} ± {acc.std(ddof=1) if acc.size > 1 else 0:.1f} %",
                    ha="center", va="center", fontsize=SLIDE_FONT + 1,
                    color="white" if dark else "black")
    i, j = temps.index(chosen[0]), weights.index(chosen[1])
    ax.add_patch(plt.Rectangle((j - 0.48, i - 0.48), 0.96, 0.96, fill=False,
                               edgecolor=HIGHLIGHT_COLOR, linewidth=4, label="chosen"))
    ax.set_xticks(range(len(weights)), [f"w = {w:g}" for w in weights])
    ax.set_yticks(range(len(temps)), [f"T = {t:g}" for t in temps])
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=SLIDE_FONT)
    heading = f"hard labels: {100 * base.mean():.1f} %"
    _readable(ax, f"{title}; {heading}" if title else heading)
    return ax.figure


def plot_multi_label_rows(
    softmax_probs: object,
    sigmoid_probs: object,
    targets: object,
    row_names: Sequence[str],
    label_names: Sequence[str],
    *,
    xlabel: str = "digit (▼ = has the label)",
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """The same rows through a softmax and through one sigmoid per label (notebook 09).

    Two panels of grouped bars, one group per row (a digit), one bar per label: the
    softmax's bars of a row sum to 1, the sigmoids' are free in ``(0, 1)``. A black tick
    above a bar marks a label the row has (``targets`` 1). A row may also be the mean
    over many examples of one class (a mean of softmax rows still sums to 1). Returns the
    figure.

    Raises
    ------
    TypeError
        If ``axes`` is not two matplotlib Axes.
    ValueError
        If the arrays are not ``(rows, labels)`` of one shape, a probability lies outside
        ``[0, 1]``, a softmax row does not sum to 1, a target is not 0 or 1, or the names
        do not match the shape.
    """
    soft = as_float_array(softmax_probs, "softmax_probs", ndim=2)
    sig = as_float_array(sigmoid_probs, "sigmoid_probs", ndim=2)
    hot = as_float_array(targets, "targets", ndim=2)
    if not soft.shape == sig.shape == hot.shape:
        raise ValueError(f"shapes differ: softmax {soft.shape}, sigmoid {sig.shape}, "
                         f"targets {hot.shape}")
    if ((soft < 0) | (soft > 1) | (sig < 0) | (sig > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    if not np.allclose(soft.sum(axis=1), 1, atol=1e-4):
        raise ValueError("every softmax row must sum to 1")
    if not np.isin(hot, (0, 1)).all():
        raise ValueError("targets must be 0 or 1")
    rows, labels = soft.shape
    rows_named = check_labels(row_names, rows, "row_names")
    labels_named = check_labels(label_names, labels, "label_names")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7.0, 2.9), sharey=True)
    if len(axes) != 2 or not all(isinstance(a, Axes) for a in axes):
        raise TypeError("axes must be two matplotlib Axes")
    width = 0.8 / labels
    positions = np.arange(rows)
    colors = (PROB_COLOR, HIGHLIGHT_COLOR, "tab:green", "tab:purple", "tab:brown")
    for ax, probs, name in zip(axes, (soft, sig), ("softmax: a row sums to 1",
                                                    "one sigmoid per label"), strict=True):
        for j in range(labels):
            offset = (j - (labels - 1) / 2) * width
            ax.bar(positions + offset, probs[:, j], width=width,
                   color=colors[j % len(colors)], label=labels_named[j])
            on = hot[:, j] == 1
            ax.plot(positions[on] + offset, np.full(on.sum(), 1.04), "v", color="black",
                    markersize=6)
        ax.set_xticks(positions, rows_named)
        ax.set_ylim(0, 1.1)
        ax.set_xlabel(xlabel)
        _readable(ax, name)
    axes[0].set_ylabel("probability")
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=SLIDE_FONT)
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_threshold_curves(
    candidates: object,
    scores: object,
    chosen: object,
    label_names: Sequence[str],
    *,
    ylabel: str = "validation F1",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """One curve per label: a validation score against the threshold, the chosen threshold
    of each label marked by a dot and a dotted line (notebook 09).

    ``scores`` is ``(candidates, labels)``; ``chosen`` holds one threshold per label, each
    one of the candidates. Returns the figure.

    Raises
    ------
    ValueError
        If ``candidates`` is not 1-D and increasing, ``scores`` not of shape
        ``(len(candidates), len(label_names))``, or a chosen threshold is not a candidate.
    """
    grid = as_float_array(candidates, "candidates", ndim=1, min_size=2)
    if not (np.diff(grid) > 0).all():
        raise ValueError("candidates must increase")
    values = as_float_array(scores, "scores", ndim=2)
    names = check_labels(label_names, values.shape[1] if values.ndim == 2 else 0,
                         "label_names")
    if values.shape != (grid.size, len(names)):
        raise ValueError(f"scores must have shape {(grid.size, len(names))}, got {values.shape}")
    picked = as_float_array(chosen, "chosen", ndim=1)
    if picked.size != len(names):
        raise ValueError(f"chosen must hold {len(names)} thresholds, got {picked.size}")
    index = [int(np.argmin(np.abs(grid - c))) for c in picked]
    if not np.allclose(grid[index], picked, atol=1e-6):
        raise ValueError("every chosen threshold must be one of the candidates")
    ax = _new_axes(ax, figsize=(7.0, 2.8))
    colors = (PROB_COLOR, HIGHLIGHT_COLOR, "tab:green", "tab:purple", "tab:brown")
    for j, name in enumerate(names):
        color = colors[j % len(colors)]
        ax.plot(grid, values[:, j], color=color, linewidth=2,
                label=f"{name}: {grid[index[j]]:.2f}")
        ax.plot(grid[index[j]], values[index[j], j], "o", color=color, markersize=9)
        ax.axvline(grid[index[j]], color=color, linestyle=":", linewidth=1.5)
    ax.set_xlabel("threshold")
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=SLIDE_FONT,
              title="chosen threshold",
              title_fontsize=SLIDE_FONT)
    _readable(ax, title)
    return ax.figure


def plot_paired_differences(
    differences: Mapping[str, object],
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Paired test-accuracy differences, one row per seed and comparison, each with its
    interval (notebook 09): a dot at the difference, a bar over the interval, a line at 0.

    ``differences`` maps a comparison's name (``"distilled - hard"``) to a sequence of
    ``(difference, low, high)`` per seed, as fractions. Returns the figure.

    Raises
    ------
    TypeError
        If ``differences`` is not a mapping with string keys.
    ValueError
        If it is empty, a value is not ``(seeds, 3)``, or an interval does not contain its
        difference.
    """
    if not isinstance(differences, Mapping) or not differences:
        raise TypeError("differences must be a non-empty mapping {name: [(diff, low, high)]}")
    rows = []
    for name, values in differences.items():
        if not isinstance(name, str):
            raise TypeError(f"comparison names must be strings, got {name!r}")
        table = as_float_array(values, f"differences of {name!r}", ndim=2)
        if table.shape[1] != 3:
            raise ValueError(f"differences of {name!r} must be (seeds, 3): diff, low, high")
        if ((table[:, 1] > table[:, 0]) | (table[:, 0] > table[:, 2])).any():
            raise ValueError(f"an interval of {name!r} does not contain its difference")
        rows.append((name, 100 * table))
    ax = _new_axes(ax, figsize=(7.0, 2.9))
    colors = (PROB_COLOR, HIGHLIGHT_COLOR, "tab:green")
    ticks, names, y = [], [], 0
    for k, (name, table) in enumerate(rows):
        color = colors[k % len(colors)]
        for seed, (diff, low, high) in enumerate(table):
            ax.plot([low, high], [y, y], color=color, linewidth=3)
            ax.plot(diff, y, "o", color=color, markersize=8,
                    label=name if seed == 0 else None)
            ticks.append(y)
            names.append(f"seed {seed}")
            y -= 1
        y -= 0.6
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(ticks, names)
    ax.set_xlabel("test accuracy difference, points (95 % paired interval)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=SLIDE_FONT)
    _readable(ax, title)
    return ax.figure
