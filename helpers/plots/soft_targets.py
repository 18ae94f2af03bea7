"""Figures of notebook 09 (soft targets): a teacher's probabilities at several temperatures,
and one-mode fits of a two-mode distribution under the two directions of the KL divergence.

Part of ``helpers.plots``: import ``plot_soft_targets`` from there; ``plot_kl_directions`` is
imported from this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.plots._base import HIGHLIGHT_COLOR, LOGIT_COLOR, PROB_COLOR, _new_axes
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = ["plot_soft_targets", "plot_kl_directions"]


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

    ax = _new_axes(ax, figsize=(7.0, 3.2))
    width = 0.8 / len(rows)
    positions = np.arange(count)
    for index, (temperature, probs) in enumerate(rows):
        offset = (index - (len(rows) - 1) / 2) * width
        ax.bar(positions + offset, probs, width=width, label=f"T = {temperature:g}")
    ax.set_yscale("log")
    ax.set_xticks(positions, names)
    ax.set_xlabel("class")
    ax.set_ylabel("probability (log scale)")
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure


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
    ax.legend(loc="upper right", fontsize="small")
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure
