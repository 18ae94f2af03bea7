"""Figures of notebook 11 (cross-entropy across processes).

Part of ``helpers.plots``: import the functions from there. The worst relative errors of
its proofs are drawn with notebook 08's ``plot_relative_errors``
(``helpers.plots.language_models``).

* :func:`plot_vocabulary_shards`: the ``N x V`` logits cut into one column shard per rank;
* :func:`plot_all_reduce`: what ``all_reduce`` does: every rank gives a value, every rank
  gets the same combination back;
* :func:`plot_shard_merge`: one token's logits over the ranks, each rank's maximum and sum
  of exponentials, and the global log-sum-exp they merge into;
* :func:`plot_gradient_shards`: the gradient of the logits, cut as the logits are: each rank
  computes its own columns;
* :func:`plot_bytes_per_token`: the bytes each rank sends per token, three all-reduces
  against an all-gather of the logits (the lesson's second live control);
* :func:`plot_token_weights`: the weight of each kept token in the gradient, mean of
  per-rank means against the global mean (the lesson's live control).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from helpers.plots._base import SLIDE_FONT, _new_axes, _slide_fonts
from helpers.validation import as_float_array

__all__ = [
    "plot_vocabulary_shards",
    "plot_all_reduce",
    "plot_shard_merge",
    "plot_gradient_shards",
    "plot_bytes_per_token",
    "plot_token_weights",
]

RANK_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
               "tab:pink", "tab:olive")
REDUCE_OPS = {"sum": np.sum, "max": np.max, "min": np.min}


def _rank_color(rank: int) -> str:
    return RANK_COLORS[rank % len(RANK_COLORS)]


def _whole_number(value: object, name: str, *, minimum: int) -> int:
    """``value`` rounded to an int (a slider gives floats), checked to be >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value) or round(value) < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value}")
    return int(round(value))


def _shard_sizes(shard_sizes: object, *, allow_empty: bool = True) -> list[int]:
    """The column count of each rank's shard, validated."""
    if isinstance(shard_sizes, str | bytes) or not isinstance(shard_sizes, Sequence | np.ndarray):
        raise TypeError("shard_sizes must be a sequence of ints (one per rank), got "
                        f"{type(shard_sizes).__name__}")
    sizes = []
    for rank, size in enumerate(shard_sizes):
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise TypeError(f"shard_sizes[{rank}] must be an int, got {type(size).__name__}")
        if size < (0 if allow_empty else 1):
            raise ValueError(f"shard_sizes[{rank}] must be >= {0 if allow_empty else 1}, "
                             f"got {size}")
        sizes.append(int(size))
    if not sizes or sum(sizes) == 0:
        raise ValueError("shard_sizes must give at least one rank and one class")
    return sizes


def _starts(sizes: list[int]) -> list[int]:
    return [sum(sizes[:rank]) for rank in range(len(sizes))]


def plot_vocabulary_shards(
    shard_sizes: Sequence[int],
    *,
    tokens: int = 8,
    ax: Axes | None = None,
) -> Axes:
    """The ``N x V`` logits as one rectangle, cut into the column shard of each rank.

    Rank ``r`` holds the rows of the output layer for its classes, so it computes only
    its own columns of the logits; widths are drawn to scale. Used by notebook 11.

    Raises
    ------
    TypeError
        If ``shard_sizes`` is not a sequence of ints or ``ax`` is not an Axes.
    ValueError
        If a size is negative, there is no class at all, or ``tokens`` is not >= 1.
    """
    sizes = _shard_sizes(shard_sizes)
    tokens = _whole_number(tokens, "tokens", minimum=1)
    ax = _new_axes(ax, figsize=(7.0, 2.6))
    vocab = sum(sizes)
    for rank, (start, size) in enumerate(zip(_starts(sizes), sizes, strict=True)):
        ax.add_patch(Rectangle((start, 0), size, tokens, facecolor=_rank_color(rank),
                               alpha=0.45, edgecolor="black", linewidth=1.5))
        if size >= 0.08 * vocab:  # room for the label, on three short lines
            ax.text(start + size / 2, tokens / 2, f"rank {rank}\n{size:,}\nclasses",
                    ha="center", va="center", fontsize=SLIDE_FONT)
    ax.set_xlim(0, vocab)
    ax.set_ylim(tokens, 0)
    edges = _starts(sizes) + [vocab]
    # Every boundary is ticked; with many ranks only the two ends are numbered.
    labels = [f"{edge:,}" if len(sizes) <= 4 or edge in (0, vocab) else "" for edge in edges]
    ax.set_xticks(edges, labels)
    ax.set_yticks([0, tokens], ["0", f"N = {tokens:,}"])
    ax.set_xlabel(f"class (V = {vocab:,} in all); each rank computes only its columns")
    ax.set_ylabel("token")
    ax.set_title(f"the logits N x V, cut into {len(sizes)} column shards")
    _slide_fonts(ax)
    return ax


def plot_all_reduce(values: object, op: str = "sum", *, ax: Axes | None = None) -> Axes:
    """``all_reduce`` as a diagram: each rank's value goes in, every rank gets the
    combination (``op`` = ``"sum"``, ``"max"`` or ``"min"``) back, in place.

    Values are drawn as ``:g`` numbers. Used by notebook 11, section 2.

    Raises
    ------
    TypeError
        If ``values`` holds non-numbers, ``op`` is not a string, or ``ax`` is not an Axes.
    ValueError
        If ``values`` is not 1-D with 1 to 8 finite entries, or ``op`` is unknown.
    """
    numbers = as_float_array(values, "values", ndim=1)
    if numbers.size > len(RANK_COLORS):
        raise ValueError(f"at most {len(RANK_COLORS)} ranks fit, got {numbers.size}")
    if not isinstance(op, str):
        raise TypeError(f"op must be a string, got {type(op).__name__}")
    if op.lower() not in REDUCE_OPS:
        raise ValueError(f"op must be one of {sorted(REDUCE_OPS)}, got {op!r}")
    result = float(REDUCE_OPS[op.lower()](numbers))
    ax = _new_axes(ax, figsize=(7.0, 3.0))
    ranks = numbers.size
    rows = np.linspace(0.85, 0.15, ranks) if ranks > 1 else np.array([0.5])
    centre = (0.5, 0.5)
    for rank, (row, value) in enumerate(zip(rows, numbers, strict=True)):
        for x, text in ((0.13, f"rank {rank}: {value:g}"), (0.87, f"rank {rank}: {result:g}")):
            ax.add_patch(FancyBboxPatch((x - 0.11, row - 0.06), 0.22, 0.12,
                                        boxstyle="round,pad=0.01", facecolor=_rank_color(rank),
                                        alpha=0.35, edgecolor="black"))
            ax.text(x, row, text, ha="center", va="center", fontsize=SLIDE_FONT)
        ax.add_patch(FancyArrowPatch((0.25, row), (0.41, centre[1]), arrowstyle="-|>",
                                     mutation_scale=12, color="gray"))
        ax.add_patch(FancyArrowPatch((0.59, centre[1]), (0.75, row), arrowstyle="-|>",
                                     mutation_scale=12, color="gray"))
    ax.add_patch(FancyBboxPatch((0.41, 0.4), 0.18, 0.2, boxstyle="round,pad=0.01",
                                facecolor="white", edgecolor="black", linewidth=1.5))
    ax.text(*centre, f"all_reduce\n{op.upper()}", ha="center", va="center",
            fontsize=SLIDE_FONT, fontweight="bold")
    ax.text(0.13, 0.99, "before", ha="center", va="top", fontsize=SLIDE_FONT)
    ax.text(0.87, 0.99, "after (every rank)", ha="center", va="top", fontsize=SLIDE_FONT)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_axis_off()
    return ax


def plot_shard_merge(logits: object, shard_sizes: Sequence[int], *,
                     ax: Axes | None = None) -> Axes:
    """One token's logits as bars, one colour per rank, with each rank's maximum ``m_r``
    (dashed) and sum ``s_r = sum exp(z - m_r)``, and the global log-sum-exp they merge
    into: ``M + log sum_r s_r exp(m_r - M)`` with ``M = max_r m_r``. Notebook 11, section 3.

    Raises
    ------
    TypeError
        If ``logits`` holds non-numbers, ``shard_sizes`` is not a sequence of ints, or
        ``ax`` is not an Axes.
    ValueError
        If ``logits`` is not 1-D and finite, a shard is empty, or the shards do not cover
        the logits exactly.
    """
    row = as_float_array(logits, "logits", ndim=1)
    sizes = _shard_sizes(shard_sizes, allow_empty=False)
    if sum(sizes) != row.size:
        raise ValueError(f"shard_sizes add up to {sum(sizes)}, the logits hold {row.size}")
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    maxima, sums = [], []
    for rank, (start, size) in enumerate(zip(_starts(sizes), sizes, strict=True)):
        local = row[start:start + size]
        maxima.append(local.max())
        sums.append(np.exp(local - local.max()).sum())
        columns = np.arange(start, start + size)
        ax.bar(columns, local, color=_rank_color(rank), label=f"rank {rank}")
        ax.plot([start - 0.4, start + size - 0.6], [maxima[-1]] * 2, color="black",
                linestyle="--", linewidth=1.5)
    top = max(maxima)
    lse = top + np.log(sum(s * np.exp(m - top) for m, s in zip(maxima, sums, strict=True)))
    ax.axhline(lse, color="black", linewidth=2, label=f"global lse = {lse:.2f}")
    low = min(row.min(), 0.0)
    upper = lse + 0.55 * (lse - low + 1.0)
    ax.set_ylim(low - 0.5, upper)
    for start, size, m, s in zip(_starts(sizes), sizes, maxima, sums, strict=True):
        ax.text(start + (size - 1) / 2, upper - 0.04 * (upper - low), f"m={m:.1f}\ns={s:.2f}",
                ha="center", va="top", fontsize=SLIDE_FONT)
    ax.set_xticks(np.arange(row.size))
    ax.set_xlabel("class")
    ax.set_ylabel("logit z")
    ax.set_title("each rank sends (m, s); MAX then SUM all-reduces give lse")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _slide_fonts(ax)
    return ax


def plot_gradient_shards(logits: object, targets: object, shard_sizes: Sequence[int], *,
                         ax: Axes | None = None) -> Axes:
    """The gradient of the mean cross-entropy, ``(softmax(z) - one_hot) / N``, as a
    heat map cut into the ranks' column shards: each rank computes its own columns from
    its logits and the global log-sum-exp, with no communication. Each target is ringed.
    Notebook 11, section 4.

    Raises
    ------
    TypeError
        If an argument holds non-numbers, or ``ax`` is not an Axes.
    ValueError
        If ``logits`` is not 2-D and finite, ``targets`` is not one class index per row,
        or the shards do not cover the classes exactly.
    """
    matrix = as_float_array(logits, "logits", ndim=2)
    indices = as_float_array(targets, "targets", ndim=1)
    rows, vocab = matrix.shape
    if indices.size != rows:
        raise ValueError(f"targets must give one class per row: {indices.size} for {rows} rows")
    if (indices != np.round(indices)).any() or indices.min() < 0 or indices.max() >= vocab:
        raise ValueError(f"targets must be class indices in [0, {vocab})")
    sizes = _shard_sizes(shard_sizes, allow_empty=False)
    if sum(sizes) != vocab:
        raise ValueError(f"shard_sizes add up to {sum(sizes)}, the logits have {vocab} columns")
    shifted = matrix - matrix.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    grad = probs.copy()
    grad[np.arange(rows), indices.astype(int)] -= 1.0
    grad /= rows
    ax = _new_axes(ax, figsize=(7.0, 3.0))
    bound = np.abs(grad).max()
    image = ax.imshow(grad, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
    for start in _starts(sizes)[1:]:
        ax.axvline(start - 0.5, color="black", linewidth=3)
    for rank, (start, size) in enumerate(zip(_starts(sizes), sizes, strict=True)):
        ax.text(start + (size - 1) / 2, -0.7, f"rank {rank}", ha="center", va="bottom",
                fontsize=SLIDE_FONT, color=_rank_color(rank), fontweight="bold")
    ax.scatter(indices, np.arange(rows), s=160, facecolors="none", edgecolors="black",
               linewidths=1.5, label="target")
    ax.set_ylim(rows - 0.5, -1.6)
    ax.set_xticks(np.arange(vocab))
    ax.set_yticks(np.arange(rows))
    ax.set_xlabel("class")
    ax.set_ylabel("token")
    colorbar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    colorbar.ax.tick_params(labelsize=SLIDE_FONT)
    colorbar.set_label("d(mean loss) / dz", fontsize=SLIDE_FONT)
    ax.set_title("gradient of the mean loss: each rank's columns, no communication")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left", bbox_to_anchor=(1.22, 1.0))
    _slide_fonts(ax)
    return ax


def plot_bytes_per_token(world_size: float = 4, vocab: float = 50_257, *,
                         dtype: object = None, hidden_size: float | None = None,
                         ax: Axes | None = None) -> Axes:
    """The bytes each rank sends per token, on a log axis: the three all-reduces of the
    vocabulary-parallel loss against an all-gather of the logits, as
    :func:`helpers.distributed.bytes_per_token` counts them (ring algorithms). ``dtype``
    is the logits' (default ``torch.float32``). With ``hidden_size``, a third bar: the
    backward's all-reduce of the hidden state's gradient when the output layer is split too
    (notebook 11, section 8). Sizes are rounded, so sliders can move them: notebook 11,
    section 6.

    Raises
    ------
    TypeError
        If a size is not a number, ``dtype`` is not a floating torch dtype, or ``ax`` is not
        an Axes.
    ValueError
        If ``world_size`` is not >= 2 or ``vocab`` is not >= 1.
    """
    import torch  # here, not at the top: helpers.plots does not need PyTorch otherwise

    from helpers.distributed import bytes_per_token

    p = _whole_number(world_size, "world_size", minimum=2)
    vocab = _whole_number(vocab, "vocab", minimum=1)
    hidden = None if hidden_size is None else _whole_number(hidden_size, "hidden_size",
                                                            minimum=1)
    count = bytes_per_token(vocab, p, torch.float32 if dtype is None else dtype,
                            hidden_size=hidden)
    ways = [("three all-reduces", count.statistics, 0)]  # (name, bytes, colour by way)
    if count.hidden_gradient is not None:
        ways.append((f"all-reduce dL/dh\n(backward, d = {hidden:,})", count.hidden_gradient, 2))
    ways.append(("all-gather the logits", count.gather_logits, 1))
    counts = {name: float(sent) for name, sent, _ in ways}
    ax = _new_axes(ax, figsize=(6.5, 2.6 if hidden is None else 3.2))
    ax.barh(list(counts), list(counts.values()), color=[_rank_color(c) for *_, c in ways])
    for row, sent in enumerate(counts.values()):
        ax.text(sent * 1.15, row, f"{sent:,.0f} B", va="center", fontsize=SLIDE_FONT)
    ax.set_xscale("log")
    ax.set_xlim(1, max(counts.values()) * 40)
    ax.invert_yaxis()
    ax.set_xlabel("bytes each rank sends per token (log scale)")
    ax.set_title(f"p = {p} ranks, V = {vocab:,} classes: the gather sends "
                 f"{float(count.ratio):,.0f} x more")
    _slide_fonts(ax)
    return ax


def token_weights(padding: Sequence[int], tokens_per_rank: int) -> dict[str, np.ndarray]:
    """The weight of each kept token in the gradient, rank after rank: ``"global mean"``
    gives each ``1 / K`` (``K`` kept tokens over all ranks); ``"mean of means"`` gives a
    token of rank ``r`` ``1 / (p * k_r)`` (``k_r`` its kept tokens)."""
    tokens_per_rank = _whole_number(tokens_per_rank, "tokens_per_rank", minimum=1)
    if isinstance(padding, str | bytes) or not isinstance(padding, Sequence):
        raise TypeError(f"padding must be a sequence of counts, got {type(padding).__name__}")
    padded = [_whole_number(p, f"padding[{r}]", minimum=0) for r, p in enumerate(padding)]
    if not padded or any(p >= tokens_per_rank for p in padded):
        raise ValueError(f"every rank needs at least one kept token: padding {padded} of "
                         f"{tokens_per_rank} tokens per rank")
    kept = [tokens_per_rank - p for p in padded]
    total = sum(kept)
    return {"global mean": np.concatenate([np.full(k, 1 / total) for k in kept]),
            "mean of means": np.concatenate([np.full(k, 1 / (len(kept) * k)) for k in kept])}


def plot_token_weights(padding_rank_0: float = 1, padding_rank_1: float = 5, *,
                       tokens_per_rank: int = 8, ax: Axes | None = None) -> Axes:
    """Two data-parallel ranks of ``tokens_per_rank`` tokens, each with some padding: the
    weight each kept token gets in the gradient with the global mean (``1 / K``) and with
    the mean of per-rank means (``1 / (2 k_r)``). The title gives how far the mean of means
    is off (the largest weight's ratio). Counts are rounded, so sliders can move them:
    notebook 11's live control, section 7.

    Raises
    ------
    TypeError
        If a count is not a number, or ``ax`` is not an Axes.
    ValueError
        If a rank would keep no token.
    """
    weights = token_weights([padding_rank_0, padding_rank_1], tokens_per_rank)
    kept_0 = tokens_per_rank - int(round(padding_rank_0))
    ax = _new_axes(ax, figsize=(6.5, 3.0))
    positions = np.arange(weights["global mean"].size)
    ax.bar(positions - 0.2, weights["global mean"], 0.4, color="gray", label="global mean")
    colors = [_rank_color(0) if i < kept_0 else _rank_color(1) for i in positions]
    ax.bar(positions + 0.2, weights["mean of means"], 0.4, color=colors,
           label="mean of means (colour: rank)")
    ax.axvline(kept_0 - 0.5, color="black", linewidth=1.5)
    worst = float((weights["mean of means"] / weights["global mean"]).max())
    ax.set_xticks(positions)
    ax.set_xlabel(f"kept tokens: rank 0 | rank 1 (of {tokens_per_rank} each)")
    ax.set_ylabel("weight in the gradient")
    ax.set_title(f"mean of means: a token weighs up to {worst:.2f} x its share")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    _slide_fonts(ax)
    ax.tick_params(axis="x", labelbottom=False)
    return ax
