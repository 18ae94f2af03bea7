"""Figures of notebook 07 (softmax at scale): a measured roofline, the online normaliser
block by block, what each cross-entropy holds in memory, live memory through a forward and
backward pass (with the profiler's records it draws), and time and memory against the class
count.

Part of ``helpers.plots``: import the functions from there (``plot_roofline``,
``online_normalizer_steps``, ``plot_online_normalizer``, ``plot_held_memory``,
``plot_memory_timeline`` and ``allocation_changes`` from ``helpers.plots.scale`` until the
package lists them).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from helpers.plots._base import SLIDE_FONT, _new_axes, _positive_number, _positive_values
from helpers.validation import as_float_array

__all__ = [
    "plot_cost_vs_classes",
    "class_count_label",
    "plot_roofline",
    "online_normalizer_steps",
    "plot_online_normalizer",
    "plot_held_memory",
    "plot_memory_timeline",
    "allocation_changes",
    "plot_time_and_memory",
]



# Exact tick labels slant (degrees) when two counts are closer than this share of the axis.
EXACT_TICKS_ROTATION, EXACT_TICKS_ROTATE_BELOW = 30, 0.25


def plot_cost_vs_classes(
    class_counts: object,
    costs: dict[str, object],
    *,
    ylabel: str,
    title: str | None = None,
    exact_ticks: bool = False,
    legend_room: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """One line per method: a cost (time, memory, ...) against the number of classes.

    Introduced in notebook 07 to show how naive, fused and chunked cross-entropy scale.
    Both axes are logarithmic, so every cost must be strictly positive; points are drawn
    in increasing class count. The x ticks are the class counts, labelled short (``2.05k``,
    :func:`class_count_label`) or, with ``exact_ticks``, in full with thousands separators
    (``2,048``). A method whose costs equal an earlier one's (within 5 %) would hide it:
    the earlier line is then drawn as a wide band with large hollow markers around the
    later one, and the later one's legend entry says ``(= earlier)``. With ``legend_room``
    the y axis reaches higher, so that the lines keep to the lower part and the legend, in
    the top left corner, covers none of them (measured costs put lines anywhere).

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
    for flag, value in (("exact_ticks", exact_ticks), ("legend_room", legend_room)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be True or False, got {value!r}")
    ax = _new_axes(ax, figsize=(5.5, 3.5))
    # Distinct markers and dashes tell the lines apart.
    styles = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1)))]
    names = list(series)
    # On log axes, costs within 5 % of each other draw on top of each other.
    same_as = {
        later: earlier
        for position, earlier in enumerate(names)
        for later in names[position + 1:]
        if np.allclose(np.log(series[later]), np.log(series[earlier]), atol=0.05, rtol=0)
    }
    covered = set(same_as.values())
    for index, (name, values) in enumerate(series.items()):
        marker, linestyle = styles[index % len(styles)]
        label = f"{name} (= {same_as[name]})" if name in same_as else name
        if name in covered:  # a wide band and rings around the line drawn over it
            ax.plot(counts[order], values, marker=marker, linestyle=linestyle, label=label,
                    color=f"C{index}", linewidth=5, alpha=0.55, markersize=13,
                    markerfacecolor="none", markeredgewidth=2.5)
        else:
            ax.plot(counts[order], values, marker=marker, linestyle=linestyle, label=label,
                    color=f"C{index}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Ticks at the measured class counts only: the default log-axis minor labels
    # (3 x 10^3, 4 x 10^3, ...) overlap on a narrow panel.
    tick_label = _exact_count_label if exact_ticks else class_count_label
    ax.set_xticks(counts[order], [tick_label(count) for count in counts[order]])
    logs = np.log(counts[order])
    if exact_ticks and np.diff(logs).min() < EXACT_TICKS_ROTATE_BELOW * np.ptp(logs):
        # Long labels of close counts (100,000 and 200,000) would overlap side by side:
        # slanted, they stand in parallel.
        ax.tick_params(axis="x", labelrotation=EXACT_TICKS_ROTATION)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("number of classes C (log scale)")
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if legend_room:
        # The lines keep to the lower part: a legend row (about 10 % of the axes) per method.
        low, high = (math.log10(v) for v in ax.get_ylim())
        share = min(0.6, 0.1 * len(series) + 0.1)
        ax.set_ylim(10**low, 10 ** (low + (high - low) / (1 - share)))
        ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    else:
        ax.legend(fontsize=SLIDE_FONT)
    ax.tick_params(labelsize=SLIDE_FONT)
    return ax


def _exact_count_label(count: float) -> str:
    """A class count in full, thousands separated: 2,048; 200,000 (0.5 stays 0.5)."""
    return f"{int(count):,}" if float(count).is_integer() else f"{count:,g}"


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
    ceilings = _positive_values(ceilings, "ceilings", meaning="elements per second",
                                allow_empty=True)
    kernels = _positive_values(kernels, "kernels", meaning="elements per second")
    intensity = 1.0 / bytes_per_element
    # The x range spans the kernels' intensity and every ridge point (ceiling / bandwidth).
    ridges = [rate / bandwidth for rate in ceilings.values()]
    low = min([intensity, *ridges]) / 8
    high = max([intensity, *ridges]) * 8
    own_figure = ax is None
    ax = _new_axes(ax, figsize=(8.5, 4.0))  # the axes and the legend beside them
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
    # Beside the axes: inside, wherever the measured rates put the lines, it could hide a
    # kernel's point or the crossing of a ceiling with the roof.
    ax.legend(fontsize=SLIDE_FONT, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.tick_params(labelsize=SLIDE_FONT)
    if own_figure:
        ax.figure.tight_layout()  # keeps the legend inside the figure
    return ax


def online_normalizer_steps(logits: object, block_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Running maximum and running sum after each block of ``logits`` (notebook 07, §2).

    ``m_k`` is the largest logit of the first ``k`` blocks and ``d_k`` the sum of
    ``exp(z_i - m_k)`` over them: Milakov and Gimelshein's online normaliser, one block of
    ``block_size`` logits per step (the last block may be narrower). Returns two arrays with
    one entry per block.

    Raises
    ------
    TypeError
        If ``block_size`` is not an int.
    ValueError
        If ``logits`` is not a non-empty 1-D array of finite numbers or ``block_size < 1``.
    """
    values = as_float_array(logits, "logits", ndim=1, min_size=1)
    if not np.isfinite(values).all():
        raise ValueError("logits must be finite")
    if isinstance(block_size, bool) or not isinstance(block_size, int | np.integer):
        raise TypeError(f"block_size must be an int, got {type(block_size).__name__}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    maxima, sums = [], []
    running_max, running_sum = -math.inf, 0.0
    for start in range(0, values.size, block_size):
        block = values[start:start + block_size]
        new_max = max(running_max, float(block.max()))
        # Rescale what was summed against the old maximum, then add this block's terms.
        running_sum = running_sum * math.exp(running_max - new_max) + float(
            np.exp(block - new_max).sum())
        running_max = new_max
        maxima.append(running_max)
        sums.append(running_sum)
    return np.array(maxima), np.array(sums)


def plot_online_normalizer(
    logits: object,
    *,
    block_size: int = 1,
    blocks_read: float = 1,
    ax: Axes | None = None,
) -> Axes:
    """The online normaliser after ``blocks_read`` blocks: each term ``exp(z_i - m)`` of ``d``.

    Introduced in notebook 07 (§2), also as a live control (a slider over ``blocks_read``).
    One bar per logit read so far, of height ``exp(z_i - m)`` against the running maximum
    ``m``: the bars sum to the running sum ``d``, and the largest logit read has height 1.
    Where this block raised the maximum, dashed outlines show the earlier terms before they
    were rescaled by ``exp(m_old - m_new)``. Logits not read yet are shaded. The title gives
    ``m`` and ``d``; dotted lines separate the blocks. ``blocks_read`` may be a float (a
    slider's value) if it is a whole number.

    Raises
    ------
    TypeError
        If ``block_size`` is not an int, ``blocks_read`` not a number or ``ax`` not an Axes.
    ValueError
        If ``logits`` is not a 1-D array of 2 to 40 finite numbers, ``block_size < 1``, or
        ``blocks_read`` is not a whole number from 1 to the number of blocks.
    """
    values = as_float_array(logits, "logits", ndim=1, min_size=2)
    if values.size > 40:
        raise ValueError(f"at most 40 logits fit one figure, got {values.size}")
    maxima, sums = online_normalizer_steps(values, block_size)
    if isinstance(blocks_read, bool) or not isinstance(
            blocks_read, int | float | np.integer | np.floating):
        raise TypeError(f"blocks_read must be a number, got {type(blocks_read).__name__}")
    if not float(blocks_read).is_integer() or not 1 <= blocks_read <= maxima.size:
        raise ValueError(f"blocks_read must be a whole number from 1 to {maxima.size}, "
                         f"got {blocks_read}")
    step = int(blocks_read)
    read = min(step * block_size, values.size)
    running_max, running_sum = maxima[step - 1], sums[step - 1]
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    positions = np.arange(values.size)
    ax.bar(positions[:read], np.exp(values[:read] - running_max), color="tab:blue",
           label=r"term $e^{z_i - m}$ (they sum to $d$)")
    previous_max = maxima[step - 2] if step > 1 else running_max
    earlier = (step - 1) * block_size
    if previous_max < running_max and earlier > 0:
        ax.bar(positions[:earlier], np.exp(values[:earlier] - previous_max), fill=False,
               edgecolor="tab:orange", linestyle="--", linewidth=1.5,
               label="before the rescale (old $m$)")
    if read < values.size:
        ax.axvspan(read - 0.5, values.size - 0.5, color="0.85", zorder=0,
                   label="not read yet")
    for boundary in range(block_size, values.size, block_size):
        ax.axvline(boundary - 0.5, color="0.5", linestyle=":", linewidth=1)
    ax.set_xticks(positions, [f"{v:g}" for v in values])
    ax.set_xlim(-0.5, values.size - 0.5)
    top = max(1.0, float(np.exp(values[:earlier] - previous_max).max()) if earlier else 1.0)
    ax.set_ylim(0, 1.8 * top)  # the top third holds the legend
    ax.set_xlabel("the logits $z_i$ of one row, in reading order")
    ax.set_ylabel(r"$e^{z_i - m}$")
    ax.set_title(f"after block {step} of {maxima.size}: "
                 f"m = {running_max:.2f}, d = {running_sum:.3f}", fontsize=SLIDE_FONT + 1)
    ax.legend(fontsize=SLIDE_FONT, loc="upper center", ncols=2)
    ax.tick_params(labelsize=SLIDE_FONT)
    return ax


def plot_held_memory(
    held: dict[str, dict[str, float]],
    *,
    unit: str = "N × C matrices",
    title: str | None = None,
    total_format: str = "{:.3g}",
    ax: Axes | None = None,
) -> Axes:
    """What each method holds at its peak: one bar per method, one segment per buffer.

    Introduced in notebook 07 (§3) to draw the cross-entropies' memory as matrices:
    ``held`` maps a method to ``{buffer: size in units of unit}``, e.g. ``{"gradient
    returned": 1.0}``. Segments are stacked left to right in the order given, each labelled
    inside when it is wide enough; the total is written at the end of each bar, formatted
    by ``total_format`` (``"{:.3g} predicted"`` says what the number is). The first method
    is drawn at the top. Buffers of the same name share a colour across methods.

    Raises
    ------
    TypeError
        If ``held`` or one of its values is not a dict, ``total_format`` is not a string,
        or ``ax`` is not an Axes.
    ValueError
        If ``held`` or a method's dict is empty, a name is empty, or a size is not finite
        and >= 0.
    """
    if not isinstance(held, dict):
        raise TypeError(f"held must be a dict of method -> {{buffer: size}}, "
                        f"got {type(held).__name__}")
    if not held:
        raise ValueError("held must hold at least one method")
    buffers: dict[str, dict[str, float]] = {}
    for method, parts in held.items():
        if not isinstance(method, str) or not method.strip():
            raise ValueError(f"every method needs a non-empty name, got {method!r}")
        if not isinstance(parts, dict):
            raise TypeError(f"held[{method!r}] must be a dict of buffer -> size, "
                            f"got {type(parts).__name__}")
        if not parts:
            raise ValueError(f"held[{method!r}] must hold at least one buffer")
        checked = {}
        for name, size in parts.items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"every buffer of {method!r} needs a non-empty name, "
                                 f"got {name!r}")
            if isinstance(size, bool) or not isinstance(
                    size, int | float | np.integer | np.floating):
                raise TypeError(f"held[{method!r}][{name!r}] must be a number, "
                                f"got {type(size).__name__}")
            if not math.isfinite(size) or size < 0:
                raise ValueError(f"held[{method!r}][{name!r}] must be finite and >= 0, "
                                 f"got {size}")
            checked[name] = float(size)
        buffers[method] = checked
    if not isinstance(total_format, str):
        raise TypeError(f"total_format must be a format string such as '{{:.3g}}', "
                        f"got {type(total_format).__name__}")
    ax = _new_axes(ax, figsize=(7.0, 3.0))
    colours: dict[str, str] = {}
    widest = max(sum(parts.values()) for parts in buffers.values())
    for row, parts in enumerate(buffers.values()):
        y = len(buffers) - 1 - row  # the first method on top
        left = 0.0
        for name, size in parts.items():
            colour = colours.setdefault(name, f"C{len(colours)}")
            ax.barh(y, size, left=left, height=0.6, color=colour, edgecolor="white",
                    label=name if name not in ax.get_legend_handles_labels()[1] else None)
            if size >= 0.2 * widest:  # narrow segments are named by the legend alone
                ax.text(left + size / 2, y, name, ha="center", va="center", color="white",
                        fontsize=SLIDE_FONT)
            left += size
        ax.text(left + 0.02 * widest, y, total_format.format(left), va="center",
                fontsize=SLIDE_FONT)
    ax.set_yticks(range(len(buffers)), list(buffers)[::-1])
    # Room on the right for the longest total.
    longest = max(len(total_format.format(sum(parts.values()))) for parts in buffers.values())
    ax.set_xlim(0, (1.1 + 0.025 * longest) * widest)
    ax.set_ylim(-0.6, len(buffers) - 0.4 + (0.9 if len(colours) > 1 else 0))  # legend room
    ax.legend(fontsize=SLIDE_FONT, loc="upper center", ncols=min(len(colours), 3),
              frameon=False)
    ax.set_xlabel(f"memory held at the peak ({unit})")
    if title is not None:
        ax.set_title(title, fontsize=SLIDE_FONT + 1)
    ax.tick_params(labelsize=SLIDE_FONT)
    return ax


def plot_memory_timeline(
    changes: dict[str, object],
    *,
    backward_from: dict[str, int] | None = None,
    unit_bytes: float = 1.0,
    unit: str = "bytes",
    min_bytes: float = 0.0,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Live memory against the allocation events of a call, with each series' peak marked.

    Introduced in notebook 07 (§4): ``changes`` maps a name to the signed sizes of the
    allocations (+) and frees (-) a profiler recorded, in order. Their running total, in
    units of ``unit_bytes``, is the memory held after each event (a step line from 0); its
    maximum, the peak, is marked and labelled. ``backward_from[name]`` is the index of the
    first event of the backward pass, drawn as a dotted line in the series' colour. Events
    smaller than ``min_bytes`` (a scalar, a shape) get no step of their own: their bytes
    join the next event drawn, so large buffers stay readable.

    Raises
    ------
    TypeError
        If ``changes`` or ``backward_from`` is not a dict, or ``ax`` is not an Axes.
    ValueError
        If ``changes`` is empty, a name is empty, a series is empty or not finite,
        ``unit_bytes`` is not > 0, ``min_bytes`` is negative, or a ``backward_from``
        index is unknown or outside
        ``[0, len(series)]``.
    """
    if not isinstance(changes, dict):
        raise TypeError(f"changes must be a dict of name -> signed bytes, "
                        f"got {type(changes).__name__}")
    if not changes:
        raise ValueError("changes must hold at least one series")
    backward_from = {} if backward_from is None else backward_from
    if not isinstance(backward_from, dict):
        raise TypeError(f"backward_from must be a dict of name -> index, "
                        f"got {type(backward_from).__name__}")
    unknown = set(backward_from) - set(changes)
    if unknown:
        raise ValueError(f"backward_from names series not in changes: {sorted(unknown)}")
    unit_bytes = _positive_number(unit_bytes, "unit_bytes")
    if isinstance(min_bytes, bool) or not isinstance(
            min_bytes, int | float | np.integer | np.floating) or not min_bytes >= 0:
        raise ValueError(f"min_bytes must be a number >= 0, got {min_bytes!r}")
    ax = _new_axes(ax, figsize=(7.0, 2.7))
    for index, (name, series) in enumerate(changes.items()):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"every series needs a non-empty name, got {name!r}")
        steps = as_float_array(series, f"changes[{name!r}]", ndim=1, min_size=1)
        if not np.isfinite(steps).all():
            raise ValueError(f"changes[{name!r}] must be finite")
        drawn = np.abs(steps) >= min_bytes
        live = np.concatenate([[0.0], np.cumsum(steps)[drawn]]) / unit_bytes
        events = np.arange(live.size)
        colour = f"C{index}"
        # Each series is drawn thinner than the one before: where two coincide (the same
        # allocations), the earlier shows as a band around the later instead of vanishing.
        width = 2.0 * 2.0 ** min(len(changes) - 1 - index, 2)  # ..., 8, 8, 4, 2
        ax.step(events, live, where="post", color=colour, linewidth=width, label=name)
        peak_at = int(np.argmax(live))
        ax.plot([peak_at], [live[peak_at]], marker="v", markersize=10, color=colour,
                linestyle="none")
        # The label ends at the marker (starts there for a peak at event 0): to its right
        # run the series' own steps and the events of the others.
        left = peak_at > 0
        ax.annotate(f"peak {live[peak_at]:.3g}", (peak_at, live[peak_at]),
                    xytext=(-2 if left else 2, 9), textcoords="offset points", color=colour,
                    ha="right" if left else "left",
                    fontsize=SLIDE_FONT, zorder=5,  # on top: white behind it, readable
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        if name in backward_from:
            start = backward_from[name]
            if isinstance(start, bool) or not isinstance(start, int | np.integer):
                raise TypeError(f"backward_from[{name!r}] must be an int, "
                                f"got {type(start).__name__}")
            if not 0 <= start <= steps.size:
                raise ValueError(f"backward_from[{name!r}] must be in [0, {steps.size}], "
                                 f"got {start}")
            ax.axvline(int(drawn[:start].sum()), color=colour, linestyle=":", linewidth=1.5,
                       zorder=1)
    # The top third is the legend's, in one row: it never covers a curve or a peak label.
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.55)
    ax.set_xlabel("allocations and frees, in order (dotted: backward starts)")
    ax.set_ylabel(f"memory held ({unit})")
    if title is not None:
        ax.set_title(title, fontsize=SLIDE_FONT + 1)
    ax.legend(fontsize=SLIDE_FONT, loc="upper center", ncols=len(changes), frameon=False,
              borderaxespad=0.3)
    ax.tick_params(labelsize=SLIDE_FONT)
    return ax


def allocation_changes(fn: Callable[[], object]) -> list[int]:
    """Bytes PyTorch allocates (+) and frees (-) on the CPU while ``fn()`` runs, in order.

    The series :func:`plot_memory_timeline` draws (notebook 07, §4): ``torch.profiler``
    with ``profile_memory=True`` records every allocation and free; sorted by time, their
    running total is the memory held after each event. The profiler's two trace lines on
    standard error are silenced. (``helpers.measurement.memory_use`` replays the same
    records into a peak and a total.)

    Raises
    ------
    TypeError
        If ``fn`` is not callable.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function of no arguments, got {type(fn).__name__}")
    # Imported here: the other figures of helpers.plots do not need PyTorch.
    from torch.profiler import ProfilerActivity, profile

    from helpers.measurement import quiet_stderr

    recorder = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
    with quiet_stderr(), recorder:
        fn()
    events = [e for e in recorder.profiler.kineto_results.events() if e.name() == "[memory]"]
    return [int(e.nbytes()) for e in sorted(events, key=lambda e: e.start_ns())]


def plot_time_and_memory(
    sizes: object,
    times_ms: dict[str, object],
    extra_mib: dict[str, object],
    *,
    xlabel: str,
    time_title: str = "time",
    memory_title: str = "memory beyond the gradients",
    figsize: tuple[float, float] = (7.0, 2.9),
) -> Figure:
    """Time and extra peak memory of each method against a size, in two panels side by side.

    Notebook 08 draws its losses against the vocabulary with it, notebook 10 its attentions
    against the sequence length: two log-log panels of :func:`plot_cost_vs_classes`,
    forward + backward time in milliseconds and the peak memory beyond what the caller
    already holds, in MiB. ``times_ms`` and ``extra_mib`` map the same method names to one
    value per size.

    Raises
    ------
    TypeError
        If the costs are not dicts.
    ValueError
        If the two dicts name different methods, or a series is invalid (see
        :func:`plot_cost_vs_classes`).
    """
    for name, costs in (("times_ms", times_ms), ("extra_mib", extra_mib)):
        if not isinstance(costs, dict):
            raise TypeError(f"{name} must be a dict of method -> values, "
                            f"got {type(costs).__name__}")
    if list(times_ms) != list(extra_mib):
        raise ValueError(f"times_ms and extra_mib must name the same methods, got "
                         f"{list(times_ms)} and {list(extra_mib)}")
    figure, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=figsize)
    plot_cost_vs_classes(sizes, times_ms, ylabel="forward + backward (ms)",
                         title=time_title, ax=time_ax)
    plot_cost_vs_classes(sizes, extra_mib, ylabel="extra peak memory (MiB)",
                         title=memory_title, ax=memory_ax)
    for ax in (time_ax, memory_ax):
        ax.set_xlabel(xlabel)
    figure.tight_layout()
    return figure
