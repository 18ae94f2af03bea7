"""Figures of notebook 08 (cross-entropy without the logits).

Soft-capping and cost against the vocabulary (exported by ``helpers.plots``); the size of
the logits against memory, the vocabulary visited block by block, relative errors on a log
axis and the 16-bit number lines (import those from this module).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.plots._base import (
    HIGHLIGHT_COLOR,
    LOGIT_COLOR,
    PROB_COLOR,
    SLIDE_FONT,
    _new_axes,
    _slide_fonts,
)
from helpers.plots.scale import plot_time_and_memory
from helpers.validation import as_float_array

__all__ = [
    "plot_soft_capping",
    "plot_cost_vs_vocabulary",
    "plot_logit_memory",
    "plot_vocabulary_blocks",
    "plot_relative_errors",
    "plot_number_lines",
]





def _positive_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value}")
    return float(value)


def _named_values(values: object, name: str) -> dict[str, float]:
    """A dict of non-empty names to finite numbers >= 0, validated."""
    if not isinstance(values, dict):
        raise TypeError(f"{name} must be a dict of name -> number, got {type(values).__name__}")
    checked = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"every entry of {name} needs a non-empty name, got {key!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name}[{key!r}] must be a number, got {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name}[{key!r}] must be finite and >= 0, got {value}")
        checked[key] = float(value)
    return checked


def plot_soft_capping(
    caps: object = (30.0,), *, limit: float = 100.0, points: int = 401, ax: Axes | None = None
) -> Figure:
    """Soft-capped logits ``c * tanh(z / c)`` against the raw logit ``z``, one line per cap.

    Gemma 2 caps its final logits at ``c = 30``: small logits pass almost unchanged (the
    slope at 0 is 1), large ones are squeezed into ``(-c, c)``. The identity ``z`` is drawn
    dashed for comparison, and each cap's bounds ``+-c`` dotted. ``caps`` may be one number
    (a slider's value in :class:`helpers.widgets.PlotExplorer`) or a 1-D array of them.

    Raises
    ------
    TypeError
        If ``ax`` is not a matplotlib Axes or ``points`` is not an int.
    ValueError
        If ``caps`` is not a 1-D array of finite, strictly positive values, ``limit`` is
        not a finite positive number, or ``points`` is smaller than 2.
    """
    if isinstance(caps, int | float) and not isinstance(caps, bool):
        caps = [caps]
    cap_values = as_float_array(caps, "caps", ndim=1)
    if (cap_values <= 0).any():
        raise ValueError(f"caps must be > 0, got minimum {cap_values.min()}")
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    if not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"limit must be a finite positive number, got {limit}")
    if isinstance(points, bool) or not isinstance(points, int):
        raise TypeError(f"points must be an int, got {type(points).__name__}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    if ax is None:
        figure, ax = plt.subplots(figsize=(6.0, 3.2))
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    else:
        figure = ax.figure
    raw = np.linspace(-limit, limit, points)
    ax.plot(raw, raw, color="tab:gray", linestyle="--", label="no cap: z")
    for cap in cap_values:
        line = ax.plot(raw, cap * np.tanh(raw / cap), label=f"c = {cap:g}")[0]
        for bound in (-cap, cap):
            ax.axhline(bound, color=line.get_color(), linestyle=":", linewidth=0.8)
    ax.set_ylim(-1.1 * limit, 1.1 * limit)
    ax.set_xlabel("raw logit z")
    ax.set_ylabel("logit after soft-capping")
    ax.set_title("soft-capping: c · tanh(z / c)")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    _slide_fonts(ax)
    return figure


def plot_cost_vs_vocabulary(
    vocab_sizes: object,
    times_ms: dict[str, object],
    extra_mib: dict[str, object],
    *,
    num_tokens: int,
) -> Figure:
    """Time and extra peak memory of each loss against the vocabulary size, side by side.

    Two panels drawn with :func:`helpers.plots.plot_cost_vs_classes` (log-log axes, one
    line per method): forward + backward time in milliseconds, and the peak memory beyond
    the gradients in MiB. ``times_ms`` and ``extra_mib`` map the same method names to one
    value per vocabulary size.

    Raises
    ------
    TypeError
        If ``num_tokens`` is not an int, or the costs are not dicts.
    ValueError
        If ``num_tokens`` is not positive, the two dicts name different methods, or a
        series is invalid (see :func:`helpers.plots.plot_cost_vs_classes`).
    """
    if isinstance(num_tokens, bool) or not isinstance(num_tokens, int):
        raise TypeError(f"num_tokens must be an int, got {type(num_tokens).__name__}")
    if num_tokens < 1:
        raise ValueError(f"num_tokens must be positive, got {num_tokens}")
    figure = plot_time_and_memory(vocab_sizes, times_ms, extra_mib,
                                  xlabel="vocabulary size V (log scale)",
                                  time_title=f"time, N = {num_tokens} tokens")
    for ax in figure.axes:
        _slide_fonts(ax)
    figure.tight_layout()
    return figure


def plot_logit_memory(
    vocab_sizes: dict[str, object],
    *,
    num_tokens: int,
    copies: int = 2,
    memory_gb: dict[str, object] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Gigabytes of the ``(num_tokens, V)`` float32 logits of each vocabulary, as bars.

    Introduced in notebook 08, section 1. Each model's bar is one copy of its logits
    (``4 N V`` bytes); a hatched extension shows the further copies autograd holds
    (``copies`` in all: the saved log-softmax and the gradient of the logits). Dashed
    vertical lines mark the sizes in ``memory_gb`` (``{label: GB}``) to compare with.

    Raises
    ------
    TypeError
        If ``vocab_sizes`` or ``memory_gb`` is not a dict, ``num_tokens`` or ``copies`` is
        not an int, or ``ax`` is not a matplotlib Axes.
    ValueError
        If ``vocab_sizes`` is empty or holds a size below 1, ``num_tokens`` or ``copies``
        is below 1, or a memory size is not finite and positive.
    """
    sizes = _named_values(vocab_sizes, "vocab_sizes")
    if not sizes:
        raise ValueError("vocab_sizes must name at least one model")
    if min(sizes.values()) < 1:
        raise ValueError(f"vocab_sizes must be >= 1, got {sizes}")
    for name, value in (("num_tokens", num_tokens), ("copies", copies)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    marks = {} if memory_gb is None else _named_values(memory_gb, "memory_gb")
    if any(value <= 0 for value in marks.values()):
        raise ValueError(f"memory_gb must be > 0, got {marks}")
    ax = _new_axes(ax, figsize=(7.0, 3.0))
    names = list(sizes)
    one_copy = np.array([num_tokens * sizes[name] * 4 / 1e9 for name in names])
    rows = np.arange(len(names))
    ax.barh(rows, one_copy, color=PROB_COLOR, label="the logits (1 copy)")
    if copies > 1:
        ax.barh(rows, (copies - 1) * one_copy, left=one_copy, color="white",
                edgecolor=PROB_COLOR, hatch="//", label=f"held by autograd ({copies} copies)")
    for row, size in zip(rows, one_copy, strict=True):
        ax.text(copies * size, row, f" {copies * size:.3g} GB", va="center",
                fontsize=SLIDE_FONT)
    styles = ["--", ":", "-."]
    for index, (label, gigabytes) in enumerate(marks.items()):
        ax.axvline(gigabytes, color=HIGHLIGHT_COLOR, linestyle=styles[index % 3], label=label)
    ax.set_yticks(rows, [f"{name}\nV = {sizes[name]:,.0f}" for name in names])
    ax.invert_yaxis()
    right = max([copies * one_copy.max(), *marks.values()])
    ax.set_xlim(0, 1.25 * right)
    ax.set_xlabel(f"GB (float32, N = {num_tokens:,d} tokens)")
    ax.legend(fontsize=SLIDE_FONT, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _slide_fonts(ax)
    return ax


def plot_vocabulary_blocks(
    logits: object, block_size: int | float, *, target: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One token's logits, the vocabulary split into blocks, with the running max and sum.

    Introduced in notebook 08, section 2 (the fused loss's forward pass). The logits are
    drawn as bars, one shade per block of ``block_size`` classes (the rows of ``W`` that
    block multiplies); the running maximum ``m`` after each block is a step line and the
    running sum ``d = sum exp(z - m)`` is written above each block. The dashed line is
    ``lse = m + log d`` after the last block, which equals the logsumexp of all the logits.
    ``block_size`` may be a float with an integer value (a slider's value).

    Raises
    ------
    TypeError
        If ``block_size`` is not a whole number, ``target`` is not an int, or ``ax`` is not
        a matplotlib Axes.
    ValueError
        If ``logits`` is not 1-D and finite with at least 2 values, ``block_size`` is
        below 1, or ``target`` is not a class index.
    """
    values = as_float_array(logits, "logits", ndim=1, min_size=2)
    if isinstance(block_size, bool) or not isinstance(block_size, int | float) or (
            isinstance(block_size, float) and not block_size.is_integer()):
        raise TypeError(f"block_size must be a whole number, got {block_size!r}")
    block_size = int(block_size)
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    if target is not None:
        if isinstance(target, bool) or not isinstance(target, int | np.integer):
            raise TypeError(f"target must be an int, got {type(target).__name__}")
        if not 0 <= target < values.size:
            raise ValueError(f"target must lie in [0, {values.size}), got {target}")
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    classes = np.arange(values.size)
    running_max, running_sum = -math.inf, 0.0
    steps_x, steps_y = [], []
    for number, start in enumerate(range(0, values.size, block_size)):
        stop = min(start + block_size, values.size)
        block = values[start:stop]
        new_max = max(running_max, float(block.max()))
        running_sum = running_sum * math.exp(running_max - new_max) + float(
            np.exp(block - new_max).sum())
        running_max = new_max
        color = PROB_COLOR if number % 2 == 0 else LOGIT_COLOR
        ax.bar(classes[start:stop], block, color=color, width=0.85)
        ax.axvspan(start - 0.5, stop - 0.5, color=color, alpha=0.08)
        steps_x += [start - 0.5, stop - 0.5]
        steps_y += [running_max, running_max]
        ax.text((start + stop - 1) / 2, 1.0, f"$W_{{{number + 1}}}$\nd={running_sum:.2f}",
                transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=SLIDE_FONT)
    ax.plot(steps_x, steps_y, color=HIGHLIGHT_COLOR, linewidth=2, label="running max m")
    lse = running_max + math.log(running_sum)
    ax.axhline(lse, color="black", linestyle="--", linewidth=1,
               label=f"lse = m + log d = {lse:.2f}")
    if target is not None:
        ax.bar([target], [values[target]], color="none", edgecolor="black", linewidth=2,
               width=0.85, label="target's logit")
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_xlim(-0.5, values.size - 0.5)
    top = max(lse, float(values.max()))
    bottom = min(0.0, float(values.min())) - 0.3
    ax.set_ylim(bottom, top + 0.2 * (top - bottom))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"class j (row of W), blocks of {block_size}")
    ax.set_ylabel("logit $z_j$")
    ax.legend(fontsize=SLIDE_FONT, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3)
    _slide_fonts(ax)
    return ax


def plot_relative_errors(
    errors: dict[str, dict[str, object]],
    *,
    tolerances: dict[str, object] | None = None,
    floor: float = 1e-17,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Relative errors as horizontal bars on a log axis, grouped, against tolerances.

    Introduced in notebook 08 (the peer comparison per dtype, the 16-bit choices); notebook
    10 draws its attention errors with it.
    ``errors`` maps each group (a dtype, a precision choice) to ``{quantity: error}``;
    every group names the same quantities, one bar colour each. ``tolerances`` maps some
    groups to the bound they must meet, drawn as a short dashed line across that group's
    bars. An error of exactly 0 cannot sit on a log axis: it is drawn at ``floor``.

    Raises
    ------
    TypeError
        If ``errors`` or a group is not a dict, a value is not a number, or ``ax`` is not a
        matplotlib Axes.
    ValueError
        If ``errors`` is empty, the groups name different quantities, an error is negative
        or not finite, a tolerance names an unknown group or is not positive, or ``floor``
        is not a finite positive number.
    """
    if not isinstance(errors, dict):
        raise TypeError(f"errors must be a dict of group -> {{quantity: error}}, "
                        f"got {type(errors).__name__}")
    if not errors:
        raise ValueError("errors must hold at least one group")
    floor = _positive_number(floor, "floor")
    groups = {group: _named_values(values, f"errors[{group!r}]")
              for group, values in errors.items()}
    quantities = list(next(iter(groups.values())))
    if not quantities:
        raise ValueError("every group must hold at least one quantity")
    for group, values in groups.items():
        if list(values) != quantities:
            raise ValueError(f"every group must name the same quantities {quantities}, "
                             f"got {list(values)} for {group!r}")
    bounds = {} if tolerances is None else _named_values(tolerances, "tolerances")
    for group, bound in bounds.items():
        if group not in groups:
            raise ValueError(f"tolerance for an unknown group {group!r}")
        if bound <= 0:
            raise ValueError(f"tolerances[{group!r}] must be > 0, got {bound}")
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    height = 0.8 / len(quantities)
    for index, quantity in enumerate(quantities):
        rows = np.arange(len(groups)) + (index - (len(quantities) - 1) / 2) * height
        widths = [max(values[quantity], floor) for values in groups.values()]
        ax.barh(rows, widths, height=height, label=quantity, color=f"C{index}")
    for row, group in enumerate(groups):
        if group in bounds:
            ax.plot([bounds[group]] * 2, [row - 0.45, row + 0.45], color="black",
                    linestyle="--", linewidth=2)
    if bounds:
        ax.plot([], [], color="black", linestyle="--", linewidth=2, label="tolerance")
    ax.set_xscale("log")
    ax.set_xlim(left=floor / 2)
    ax.set_yticks(np.arange(len(groups)), list(groups))
    ax.invert_yaxis()
    ax.set_xlabel("relative error (log scale)")
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize=SLIDE_FONT, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _slide_fonts(ax)
    return ax


def plot_number_lines(
    formats: dict[str, tuple[float, float, float, int]],
    *,
    marks: dict[str, object] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The positive numbers each floating-point format holds, on a log axis.

    Introduced in notebook 08, section 4 (mixed precision). ``formats`` maps a format's
    name to ``(smallest subnormal, smallest normal, largest value, significant bits)``
    (``torch.finfo`` gives them): the normal range is a thick bar, the subnormals a thin
    one (fewer bits), and the spacing between neighbours near 100, ``2**(6 - bits + 1)``,
    is written at the right. ``marks`` (``{label: value}``) draws dotted vertical lines at
    values to place on the lines (a gradient, a logit, a normaliser).

    Raises
    ------
    TypeError
        If ``formats`` or ``marks`` is not a dict, a format is not a 4-tuple of numbers
        (the bits an int), or ``ax`` is not a matplotlib Axes.
    ValueError
        If ``formats`` is empty, a format's values are not ``0 < subnormal <= normal <
        largest`` and finite, its bits below 2, or a mark is not finite and positive.
    """
    if not isinstance(formats, dict):
        raise TypeError(f"formats must be a dict of name -> (subnormal, normal, largest, "
                        f"bits), got {type(formats).__name__}")
    if not formats:
        raise ValueError("formats must hold at least one format")
    for name, spec in formats.items():
        if not isinstance(spec, tuple) or len(spec) != 4 or any(
                isinstance(v, bool) or not isinstance(v, int | float) for v in spec):
            raise TypeError(f"formats[{name!r}] must be a tuple (subnormal, normal, largest, "
                            f"bits) of numbers, got {spec!r}")
        subnormal, normal, largest, bits = spec
        if not isinstance(bits, int):
            raise TypeError(f"formats[{name!r}]: bits must be an int, got {bits!r}")
        if not (all(math.isfinite(v) for v in spec) and 0 < subnormal <= normal < largest):
            raise ValueError(f"formats[{name!r}] needs finite 0 < subnormal <= normal < "
                             f"largest, got {spec!r}")
        if bits < 2:
            raise ValueError(f"formats[{name!r}]: bits must be >= 2, got {bits}")
    points = {} if marks is None else _named_values(marks, "marks")
    if any(value <= 0 for value in points.values()):
        raise ValueError(f"marks must be > 0 on a log axis, got {points}")
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    for row, (subnormal, normal, largest, bits) in enumerate(formats.values()):
        ax.plot([subnormal, normal], [row, row], color=LOGIT_COLOR, linewidth=3,
                solid_capstyle="butt", label="subnormal (fewer bits)" if row == 0 else None)
        ax.plot([normal, largest], [row, row], color=PROB_COLOR, linewidth=9,
                solid_capstyle="butt", label="normal range" if row == 0 else None)
        # Right of the frame (x in axes units, y in data units): never across a bar or line.
        ax.text(1.02, row, f"max {largest:.3g}\nstep at 100: {2.0 ** (7 - bits):.3g}",
                transform=ax.get_yaxis_transform(), va="center", fontsize=SLIDE_FONT)
    for index, (label, value) in enumerate(points.items()):
        ax.axvline(value, color=f"C{index + 1}", linestyle=":", linewidth=2, label=label)
    ax.set_xscale("log")
    smallest = min(spec[0] for spec in formats.values())
    largest = max(spec[2] for spec in formats.values())
    ax.set_xlim(smallest / 10, largest * 10)
    ax.set_ylim(len(formats) - 0.5, -0.5)
    ax.set_yticks(np.arange(len(formats)), list(formats))
    ax.set_xlabel("positive value (log scale)")
    ax.legend(fontsize=SLIDE_FONT, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=3)
    _slide_fonts(ax)
    return ax
