"""Figures of notebook 10 (softmax in attention, FlashAttention in plain PyTorch).

Part of ``helpers.plots``: import the functions from there. Its relative errors are drawn
with notebook 08's ``plot_relative_errors`` (``helpers.plots.language_models``).

* :func:`plot_scaled_softmax`: one query's weights over its keys, with and without the
  :math:`1/\\sqrt{E}` scale (``E``: the head size, PyTorch's name), at a head size and a
  temperature (the lesson's live control);
* :func:`plot_attention_grids`: masks (True / False, with a key) or attention weights (with a
  colour bar), side by side, queries ``i`` as rows and keys ``j`` as columns;
* :func:`plot_tiles`: which blocks of the scores a tiled pass computes, which it computes and
  masks, and which it skips (a legend says which is which);
* :func:`plot_cost_vs_length`: time and memory against the sequence length;
* :func:`plot_rounding_errors`: 16-bit attention's errors, zoomed on their decades, against
  the rounding of the output itself to each 16-bit format;
* :func:`plot_attention_summary`: the lesson's claims side by side, one panel each, as
  measured values against the bounds that state them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.ticker import MaxNLocator

from helpers.plots._base import (
    HIGHLIGHT_COLOR,
    PROB_COLOR,
    SLIDE_FONT,
    _new_axes,
    _positive_number,
    _positive_values,
    _slide_fonts,
)
from helpers.plots.language_models import plot_relative_errors
from helpers.plots.scale import plot_time_and_memory
from helpers.validation import as_float_array

__all__ = [
    "plot_scaled_softmax",
    "plot_attention_grids",
    "plot_tiles",
    "plot_cost_vs_length",
    "plot_rounding_errors",
    "plot_attention_summary",
]


def _count(value: object, name: str) -> int:
    number = _positive_number(value, name)
    if number < 1 or number != round(number):
        raise ValueError(f"{name} must be a whole number >= 1, got {value}")
    return int(number)


def plot_scaled_softmax(
    head_size: float = 64,
    temperature: float = 1.0,
    *,
    keys: int = 16,
    seed: int = 0,
    ax: Axes | None = None,
) -> Axes:
    """One query's attention weights over ``keys`` keys, sorted, with and without the scale.

    Query and keys have ``head_size`` independent standard normal features (seeded), so a
    score ``q . k`` has variance ``head_size``; dividing it by ``sqrt(head_size)`` brings the
    variance back to 1. Both sets of scores are divided by ``temperature`` before the
    softmax (notebook 01). Notebook 10 draws it once and moves it with
    :class:`helpers.widgets.PlotExplorer`; ``head_size`` is rounded to a whole number.

    Raises
    ------
    TypeError
        If a size or the temperature is not a number, or ``ax`` is not an Axes.
    ValueError
        If ``head_size`` rounds below 1, ``keys`` is not a whole number >= 1, or
        ``temperature`` is not finite and > 0.
    """
    head = _positive_number(head_size, "head_size")
    if round(head) < 1:
        raise ValueError(f"head_size must round to at least 1, got {head_size}")
    head = int(round(head))
    temperature = _positive_number(temperature, "temperature")
    keys = _count(keys, "keys")
    rng = np.random.default_rng(seed)
    query = rng.standard_normal(head)
    key = rng.standard_normal((keys, head))
    scores = key @ query
    ax = _new_axes(ax, figsize=(5.5, 3.0))
    positions = np.arange(keys)
    width = 0.4
    for offset, (label, divisor, color) in enumerate([
            ("q.k (no scale)", 1.0, HIGHLIGHT_COLOR),
            (f"q.k / sqrt({head})", np.sqrt(head), PROB_COLOR)]):
        scaled = scores / divisor / temperature
        weights = np.exp(scaled - scaled.max())
        weights = np.sort(weights / weights.sum())[::-1]
        ax.bar(positions + (offset - 0.5) * width, weights, width, label=label, color=color)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("keys, sorted by weight")
    ax.set_ylabel("attention weight")
    ax.set_title(f"head size E = {head}, temperature {temperature:g}")
    ax.legend(fontsize=SLIDE_FONT)
    _slide_fonts(ax)
    return ax


def _is_boolean(grid: object) -> bool:
    dtype = getattr(grid, "dtype", None)
    return dtype is not None and (dtype == np.bool_ or str(dtype) == "torch.bool")


def _index_ticks(ax: Axes, count: int, axis: str) -> None:
    """Integer ticks 0..count-1 on ``axis`` ('x' or 'y'): every index while they fit."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    if count <= 16:
        target.set_ticks(np.arange(count))
    else:
        target.set_major_locator(MaxNLocator(integer=True))


def plot_attention_grids(grids: dict[str, object], *, cmap: str = "Blues") -> Figure:
    """One panel per grid: a boolean mask (True = may attend, dark) or weights in [0, 1].

    Rows are queries ``i``, columns keys ``j``, as in ``F.scaled_dot_product_attention``,
    with their indices as ticks. When every grid is boolean (a ``torch.bool`` or NumPy bool
    array), a key below the panels says which colour may attend and which is masked;
    otherwise a colour bar gives the weights. Used by notebook 10 for its masks and its
    attention weights.

    Raises
    ------
    TypeError
        If ``grids`` is not a dict of name -> 2-D array.
    ValueError
        If it is empty, a name is empty, or a grid is not 2-D with values in [0, 1].
    """
    if not isinstance(grids, dict):
        raise TypeError(f"grids must be a dict of name -> 2-D array, got {type(grids).__name__}")
    if not grids:
        raise ValueError("grids must hold at least one grid")
    arrays = {}
    for name, grid in grids.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"every grid needs a non-empty name, got {name!r}")
        array = as_float_array(grid, f"grids[{name!r}]", ndim=2)
        if (array < 0).any() or (array > 1).any():
            raise ValueError(f"grids[{name!r}] must hold values in [0, 1]")
        arrays[name] = array
    masks = all(_is_boolean(grid) for grid in grids.values())
    figure, axes = plt.subplots(1, len(arrays), figsize=(2.6 * len(arrays) + 0.9, 3.0),
                                squeeze=False)
    colours = plt.get_cmap(cmap)
    for ax, (name, array) in zip(axes[0], arrays.items(), strict=True):
        image = ax.imshow(array, cmap=colours, vmin=0.0, vmax=1.0)
        ax.set_title(name)
        ax.set_xlabel("key j")
        ax.set_ylabel("query i")
        _index_ticks(ax, array.shape[1], "x")
        _index_ticks(ax, array.shape[0], "y")
        _slide_fonts(ax)
    if masks:
        key = [Patch(facecolor=colours(1.0), edgecolor="gray", label="True: may attend"),
               Patch(facecolor=colours(0.0), edgecolor="gray", label="False: masked")]
        figure.legend(handles=key, loc="lower center", ncols=2, fontsize=SLIDE_FONT,
                      frameon=False)
        figure.tight_layout(rect=(0, 0.1, 1, 1))
    else:
        figure.tight_layout(rect=(0, 0, 0.9, 1))
        bar = figure.colorbar(image, ax=axes[0].tolist(), fraction=0.04, pad=0.03, shrink=0.8)
        bar.set_label("attention weight", fontsize=SLIDE_FONT)
        bar.ax.tick_params(labelsize=SLIDE_FONT)
    return figure


COMPUTED_STYLE = {"facecolor": PROB_COLOR, "alpha": 0.5, "edgecolor": "black"}
MASKED_STYLE = {"facecolor": "white", "hatch": "..", "edgecolor": "gray", "linewidth": 0.0}
SKIPPED_STYLE = {"facecolor": "0.9", "hatch": "///", "edgecolor": "gray", "linewidth": 0.5}


def plot_tiles(
    length: float = 16,
    keys: float = 16,
    block_size: float = 4,
    *,
    is_causal: bool = True,
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """The ``length x keys`` scores, cut into blocks of ``block_size`` keys.

    Blue: computed (a block of scores exists, one at a time); dotted: computed, then masked
    (a causal block's part above the diagonal); grey hatched: skipped, never computed (the
    query rows that see none of a causal block). Ticks mark the block boundaries. With
    ``legend``, a legend to the right names the kinds the panel shows. The sizes are rounded
    to whole numbers, so :class:`helpers.widgets.PlotExplorer` can move them.

    Raises
    ------
    TypeError
        If a size is not a number or ``is_causal`` or ``legend`` is not a bool.
    ValueError
        If a size is not >= 1.
    """
    sizes = [int(round(_positive_number(v, n))) for v, n in
             [(length, "length"), (keys, "keys"), (block_size, "block_size")]]
    if min(sizes) < 1:
        raise ValueError(f"sizes must round to at least 1, got {sizes}")
    length, keys, block_size = sizes
    for flag, name in [(is_causal, "is_causal"), (legend, "legend")]:
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    ax = _new_axes(ax, figsize=(4.5, 3.5))
    computed = 0
    for start in range(0, keys, block_size):
        stop = min(start + block_size, keys)
        first = min(start, length) if is_causal else 0  # causal: rows < start see none of it
        if first > 0:
            ax.add_patch(Rectangle((start, 0), stop - start, first, **SKIPPED_STYLE))
        if first >= length:
            continue
        ax.add_patch(Rectangle((start, first), stop - start, length - first, **COMPUTED_STYLE))
        computed += (stop - start) * (length - first)
        if is_causal:  # the block's part above the diagonal: computed, then masked
            corner = min(stop, length)
            ax.add_patch(Polygon([(start, start), (stop, start), (stop, corner),
                                  (corner, corner)], closed=True, **MASKED_STYLE))
    ax.set_xlim(0, keys)
    ax.set_ylim(length, 0)
    boundaries = sorted({*range(0, keys, block_size), keys})
    ax.set_xticks(boundaries if len(boundaries) <= 9 else boundaries[::2])
    rows = sorted({*range(0, length, block_size), length})
    ax.set_yticks(rows if len(rows) <= 9 else rows[::2])
    ax.set_xlabel("key j (ticks: block boundaries)")
    ax.set_ylabel("query i")
    share = computed / (length * keys)
    ax.set_title(f"L = {length}, S = {keys}, block {block_size}:\n"
                 f"{share:.0%} of scores computed")
    if legend:
        kinds = [("computed", COMPUTED_STYLE)]
        if is_causal:
            kinds += [("computed, then masked", MASKED_STYLE),
                      ("skipped: never computed", SKIPPED_STYLE)]
        ax.legend(handles=[Patch(label=label, **style) for label, style in kinds],
                  loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=SLIDE_FONT,
                  frameon=False)
    _slide_fonts(ax)
    return ax


def plot_cost_vs_length(
    lengths: object,
    times_ms: dict[str, object],
    extra_mib: dict[str, object],
) -> Figure:
    """Time and extra peak memory of each attention against the sequence length L = S.

    Two log-log panels drawn with :func:`helpers.plots.plot_time_and_memory` (notebook 08's
    figure), relabelled for sequence lengths. ``times_ms`` and ``extra_mib`` map the same method
    names to one value per length.

    Raises
    ------
    TypeError
        If the costs are not dicts.
    ValueError
        If the two dicts name different methods, or a series is invalid.
    """
    return plot_time_and_memory(lengths, times_ms, extra_mib,
                                xlabel="sequence length L = S (log scale)",
                                memory_title="memory beyond inputs and gradients",
                                figsize=(10.0, 3.6))


def _decades(values: list[float]) -> tuple[float, float]:
    """The powers of ten just around ``values``: a log axis zoomed on them."""
    low, high = np.log10(min(values)), np.log10(max(values))
    return 10.0 ** np.floor(low), 10.0 ** np.ceil(high + 1e-9)


def plot_rounding_errors(
    errors: dict[str, dict[str, object]],
    bounds: dict[str, object],
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """16-bit attention's relative errors, as bars on a log axis zoomed on their decades.

    ``errors`` maps each choice (a dtype, a way to compute) to ``{quantity: error}``, as
    :func:`helpers.plots.plot_relative_errors` draws them; ``bounds`` maps every choice to
    the error of rounding the output itself to its 16-bit format (half a unit in the last
    place: ``2**-8`` for bfloat16, ``2**-11`` for float16), drawn as a dotted line across its
    bars. The axis spans the decades of the errors and bounds, so that formats a few times
    apart stay apart. Notebook 10, section 7.

    Raises
    ------
    TypeError
        If ``errors`` or ``bounds`` is not a dict, or a value is not a number.
    ValueError
        If a choice has no bound, or an error or a bound is not finite and > 0.
    """
    if not isinstance(errors, dict):
        raise TypeError(f"errors must be a dict of choice -> {{quantity: error}}, "
                        f"got {type(errors).__name__}")
    limits = _positive_values(bounds, "bounds")
    missing = [choice for choice in errors if choice not in limits]
    if missing:
        raise ValueError(f"every choice needs a bound, missing for {missing}")
    drawn = [_positive_number(value, f"errors[{choice!r}][{quantity!r}]")
             for choice, values in errors.items() if isinstance(values, dict)
             for quantity, value in values.items()]
    ax = plot_relative_errors(errors, title=title, ax=ax)
    for row, choice in enumerate(errors):
        ax.plot([limits[choice]] * 2, [row - 0.45, row + 0.45], color="black",
                linestyle=":", linewidth=2.5)
    ax.plot([], [], color="black", linestyle=":", linewidth=2.5,
            label="output rounded\nto 16 bits")
    ax.set_xlim(*_decades(drawn + [limits[choice] for choice in errors]))
    ax.legend(fontsize=SLIDE_FONT, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _slide_fonts(ax)
    return ax


def plot_attention_summary(
    panels: dict[str, tuple[dict[str, object], dict[str, object]]],
) -> Figure:
    """The lesson's claims side by side: one panel per claim, measured values against bounds.

    ``panels`` maps each panel's title to ``(values, lines)``: ``values`` (name -> a number
    > 0) are drawn as horizontal bars on a log axis, ``lines`` (label -> a number > 0) as
    dashed vertical lines, named in a legend under the panel. Notebook 10 draws its
    summary with it: the worst error over its tolerance, how the extra memory grew against
    the sequence length, the 16-bit output error over the output's own rounding.

    Raises
    ------
    TypeError
        If ``panels`` is not a dict, a panel is not a pair of dicts, or a value is not a
        number.
    ValueError
        If ``panels`` or a panel's values are empty, a title is empty, or a number is not
        finite and > 0.
    """
    if not isinstance(panels, dict):
        raise TypeError(f"panels must be a dict of title -> (values, lines), "
                        f"got {type(panels).__name__}")
    if not panels:
        raise ValueError("panels must hold at least one panel")
    checked = {}
    for title, panel in panels.items():
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"every panel needs a non-empty title, got {title!r}")
        if not isinstance(panel, tuple) or len(panel) != 2:
            raise TypeError(f"panels[{title!r}] must be a pair (values, lines)")
        lines = {} if panel[1] == {} else _positive_values(panel[1], f"lines of {title!r}")
        checked[title] = (_positive_values(panel[0], f"values of {title!r}"), lines)
    figure, axes = plt.subplots(1, len(checked), figsize=(3.4 * len(checked) + 0.4, 3.2),
                                squeeze=False)
    for ax, (title, (values, lines)) in zip(axes[0], checked.items(), strict=True):
        rows = np.arange(len(values))
        ax.barh(rows, list(values.values()), height=0.6, color=PROB_COLOR)
        ax.set_yticks(rows, list(values))
        ax.invert_yaxis()
        ax.set_xscale("log")
        styles = ["--", ":", "-."]
        for index, (label, x) in enumerate(lines.items()):
            ax.axvline(x, color="black", linestyle=styles[index % 3], linewidth=2, label=label)
        ax.set_xlim(*_decades(list(values.values()) + list(lines.values())))
        ax.set_title(title)
        if lines:
            ax.legend(fontsize=SLIDE_FONT, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                      ncols=len(lines), frameon=False, handlelength=1.5)
        _slide_fonts(ax)
    figure.tight_layout()
    return figure
