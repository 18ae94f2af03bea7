"""Figures of notebook 07 (softmax at scale): a measured roofline, and time and memory
against the class count.

Part of ``helpers.plots``: import the functions from there (``plot_roofline`` from
``helpers.plots.scale`` until the package lists it).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import NullLocator

from helpers.plots._base import _new_axes
from helpers.validation import as_float_array

__all__ = ["plot_cost_vs_classes", "class_count_label", "plot_roofline"]


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


def plot_roofline(
    bandwidth: float,
    ceilings: dict[str, float],
    kernels: dict[str, float],
    *,
    bytes_per_element: float = 8.0,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A measured roofline: elements per second against elements per byte of memory traffic.

    Introduced in notebook 07 (§1) to place a copy, ``exp`` and softmax beyond the cache.
    Both axes are logarithmic. The memory roof is the line ``bandwidth x intensity``
    (``bandwidth`` in bytes per second, from a copy); each compute ceiling (``name ->
    elements per second``, e.g. a kernel timed on data in the cache, where memory does not
    limit it) is a horizontal line. Each kernel (``name -> elements per second`` measured
    beyond the cache) is a point at the intensity ``1 / bytes_per_element``: a kernel that
    reads and writes one float32 per element moves 8 bytes. A kernel is memory-bound where
    the roof lies below its ceiling there, and bound by its arithmetic where the ceiling is
    lower.

    Raises
    ------
    TypeError
        If ``ceilings`` or ``kernels`` is not a dict from names to numbers, or ``ax`` is not
        a matplotlib Axes.
    ValueError
        If ``bandwidth``, ``bytes_per_element`` or a rate is not finite and strictly
        positive, a name is empty, or ``kernels`` is empty.
    """
    bandwidth = _positive_number(bandwidth, "bandwidth")
    bytes_per_element = _positive_number(bytes_per_element, "bytes_per_element")
    ceilings = _rates(ceilings, "ceilings", allow_empty=True)
    kernels = _rates(kernels, "kernels", allow_empty=False)
    intensity = 1.0 / bytes_per_element
    # The x range spans the kernels' intensity and every ridge point (ceiling / bandwidth).
    ridges = [rate / bandwidth for rate in ceilings.values()]
    low = min([intensity, *ridges]) / 8
    high = max([intensity, *ridges]) * 8
    ax = _new_axes(ax, figsize=(6.0, 4.0))
    xs = np.geomspace(low, high, 64)
    ax.plot(xs, bandwidth * xs, color="black", linewidth=1.5,
            label=f"memory roof: {bandwidth / 1e9:.3g} GB/s")
    for index, (name, rate) in enumerate(ceilings.items()):
        ax.axhline(rate, color=f"C{index}", linestyle=":", linewidth=1.5,
                   label=f"ceiling: {name}")
    ax.axvline(intensity, color="gray", linestyle="--", linewidth=0.8,
               label=f"{bytes_per_element:g} bytes per element")
    markers = ["o", "s", "^", "D", "v", "P"]
    for index, (name, rate) in enumerate(kernels.items()):
        ax.plot([intensity], [rate], marker=markers[index % len(markers)], linestyle="none",
                color=f"C{index + len(ceilings)}", markersize=8, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(low, high)
    rates = [*ceilings.values(), *kernels.values(), bandwidth * intensity]
    ax.set_ylim(min(rates) / 4, max(rates) * 4)
    ax.set_xlabel("intensity: elements per byte of memory traffic (log scale)")
    ax.set_ylabel("elements per second (log scale)")
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")  # the roof leaves that corner empty
    return ax


def _positive_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return float(value)


def _rates(rates: object, name: str, *, allow_empty: bool) -> dict[str, float]:
    if not isinstance(rates, dict):
        raise TypeError(f"{name} must be a dict of name -> elements per second, "
                        f"got {type(rates).__name__}")
    if not rates and not allow_empty:
        raise ValueError(f"{name} must hold at least one entry")
    checked = {}
    for key, value in rates.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"every entry of {name} needs a non-empty name, got {key!r}")
        checked[key] = _positive_number(value, f"{name}[{key!r}]")
    return checked
