"""Figures of notebook 02 (cross-entropy): the -log curve and the gradient of the logits.

Part of ``helpers.plots``: import the functions from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.numerics import log_softmax, softmax
from helpers.plots._base import (
    HIGHLIGHT_COLOR,
    LOGIT_COLOR,
    PROB_COLOR,
    SLIDE_FONT,
    _new_axes,
    _slide_fonts,
)
from helpers.plots.softmax import _log_axis
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = [
    "plot_neg_log_curve",
    "plot_logit_gradient",
    "plot_surprisal_and_entropy",
    "plot_cross_entropy_bars",
    "plot_one_hot_pick",
    "plot_sum_vs_mean",
    "plot_log_softmax_stability",
    "plot_first_losses",
    "plot_loss_and_gradient",
]


def plot_neg_log_curve(
    marked_probs: object = (),
    labels: Sequence[str] | None = None,
    *,
    min_prob: float = 1e-3,
    ax: Axes | None = None,
) -> Axes:
    """The curve ``-ln p`` for ``p`` in ``[min_prob, 1]``: the loss of one sample when the
    model gives probability ``p`` to its true class.

    Introduced in notebook 02. Each value in ``marked_probs`` is marked on the curve with its
    loss (and its label, if ``labels`` is given), e.g. a good and a bad prediction.

    Raises
    ------
    ValueError
        If ``marked_probs`` is not 1-D or has a value outside ``(0, 1]``, if ``labels`` does
        not have one entry per marked value, or if ``min_prob`` is not in ``(0, 1)``.
    """
    if not 0.0 < min_prob < 1.0:
        raise ValueError(f"min_prob must lie in (0, 1), got {min_prob}")
    marked = as_float_array(marked_probs, "marked_probs", ndim=1, min_size=0)
    if ((marked <= 0) | (marked > 1)).any():
        raise ValueError(
            f"marked_probs must lie in (0, 1], got values from {marked.min()} to {marked.max()}"
        )
    names = check_labels(labels, marked.size) if labels is not None else None
    ax = _new_axes(ax, figsize=(6.0, 3.5))
    probs = np.linspace(min_prob, 1.0, 500)
    ax.plot(probs, -np.log(probs), color=PROB_COLOR, label="loss = -ln p")
    for index, prob in enumerate(marked):
        loss = -np.log(prob)
        text = f"p={prob:g}: loss {loss:.3f}"
        if names is not None:
            text = f"{names[index]}, {text}"
        ax.plot([prob], [loss], marker="o", linestyle="", color=HIGHLIGHT_COLOR)
        right_half = prob > 0.5  # there the text sits centred above the point, inside the axes
        ax.annotate(text, (prob, loss), textcoords="offset points",
                    xytext=(0, 14) if right_half else (8, 4),
                    ha="center" if right_half else "left", fontsize=SLIDE_FONT)
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, -np.log(min_prob) * 1.05)
    ax.set_xlabel("probability p given to the true class")
    ax.set_ylabel("loss -ln p")
    ax.set_title("confident and wrong costs the most")
    ax.legend(fontsize=SLIDE_FONT)
    _slide_fonts(ax)
    return ax


def plot_logit_gradient(
    logits: object,
    target: int,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of the gradient of one sample's cross-entropy with respect to its logits,
    ``softmax(logits) - one_hot(target)``.

    Introduced in notebook 02. The true class's bar (always negative: gradient descent
    raises that logit) is highlighted; every other bar is positive (those logits go down).

    Raises
    ------
    TypeError
        If ``target`` is not an integer.
    ValueError
        If ``logits`` is not a finite 1-D array or ``target`` is not a class index.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise TypeError(f"target must be an integer class index, got {type(target).__name__}")
    if not 0 <= target < scores.size:
        raise ValueError(f"target={target} is not a class index in 0..{scores.size - 1}")
    names = check_labels(labels, scores.size)
    gradient = softmax(scores)
    gradient[target] -= 1.0
    ax = _new_axes(ax)
    colors = [HIGHLIGHT_COLOR if i == target else PROB_COLOR for i in range(scores.size)]
    bars = ax.bar(names, gradient, color=colors)
    ax.bar_label(bars, labels=[f"{v:+.3f}" for v in gradient], padding=2, fontsize=SLIDE_FONT)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylim(-1.15, 1.15)
    ax.set_xlabel("class (true class highlighted)")
    ax.set_ylabel("dL/dz = softmax(z) - y")
    ax.set_title("gradient of the loss with respect to each logit")
    _slide_fonts(ax)
    return ax


def _binary_entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy in nats of ``[p, 1 - p]``, with ``0 ln 0 = 0``."""
    inner = (probs > 0) & (probs < 1)
    safe = np.where(inner, probs, 0.5)
    values = -(safe * np.log(safe) + (1 - safe) * np.log(1 - safe))
    return np.where(inner, values, 0.0)


def plot_surprisal_and_entropy(min_prob: float = 1e-3) -> tuple[Figure, np.ndarray]:
    """Two panels: the surprisal ``-ln p`` and the entropy of ``[p, 1 - p]``, against ``p``.

    Introduced in notebook 02. Left: a sure event (``p = 1``) costs 0 nats, a rare one
    many. Right: a two-class distribution is most uncertain at ``p = 1/2``, where its
    entropy is ``ln 2`` (marked), and certain (entropy 0) at ``p = 0`` and ``p = 1``.
    Returns ``(figure, axes)``.

    Raises
    ------
    ValueError
        If ``min_prob`` is not in ``(0, 0.5)``.
    """
    if not 0.0 < min_prob < 0.5:
        raise ValueError(f"min_prob must lie in (0, 0.5), got {min_prob}")
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.2))
    probs = np.linspace(min_prob, 1.0, 400)
    axes[0].plot(probs, -np.log(probs), color=PROB_COLOR)
    axes[0].set_ylabel("surprisal -ln p (nats)")
    axes[0].set_title("rare events surprise")
    grid = np.linspace(0.0, 1.0, 401)
    axes[1].plot(grid, _binary_entropy(grid), color=HIGHLIGHT_COLOR)
    axes[1].axhline(np.log(2), color="black", linestyle="--", linewidth=1, label="ln 2")
    axes[1].set_ylim(0.0, 0.8)
    axes[1].set_ylabel("entropy H([p, 1-p])")
    axes[1].set_title("uncertainty, averaged")
    axes[1].legend(fontsize=SLIDE_FONT, loc="lower center")
    for ax in axes:
        ax.set_xlabel("p")
        _slide_fonts(ax)
    fig.tight_layout()
    return fig, axes


def plot_cross_entropy_bars(
    truth: object,
    belief: object,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Bars of the truth ``p`` and the model's belief ``q``, with ``H(p)``, ``H(p, q)`` and
    ``KL(p || q)`` written on the figure.

    Introduced in notebook 02: ``H(p, q) = H(p) + KL(p || q)``, so the gap between the two
    numbers is what believing ``q`` costs.

    Raises
    ------
    ValueError
        If ``truth`` or ``belief`` is not a 1-D probability distribution, they differ in
        length, or ``belief`` gives 0 to a class that ``truth`` does not.
    """
    p = check_probabilities(as_float_array(truth, "truth", ndim=1, min_size=2), "truth")
    q = check_probabilities(as_float_array(belief, "belief", ndim=1), "belief")
    if p.shape != q.shape:
        raise ValueError(f"truth and belief must have the same length, got {p.size} and {q.size}")
    if ((q == 0) & (p > 0)).any():
        raise ValueError("belief gives probability 0 to a class the truth gives more: "
                         "H(p, q) is infinite")
    names = check_labels(labels, p.size)
    support = p > 0
    entropy = float(-np.sum(p[support] * np.log(p[support])))
    cross = float(-np.sum(p[support] * np.log(q[support])))
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    positions = np.arange(p.size)
    for offset, values, color, name in [(-0.2, p, PROB_COLOR, "truth p"),
                                        (0.2, q, HIGHLIGHT_COLOR, "belief q")]:
        bars = ax.bar(positions + offset, values, 0.4, color=color, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=1, fontsize=SLIDE_FONT)
    ax.set_xticks(positions, names)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("probability")
    summary = (f"H(p) = {entropy:.4f}\nH(p, q) = {cross:.4f}\n"
               f"KL(p || q) = {cross - entropy:.4f}")
    ax.text(0.98, 0.95, summary, transform=ax.transAxes, ha="right", va="top",
            fontsize=SLIDE_FONT, family="monospace")
    ax.set_title("H(p, q) = H(p) + KL(p || q)")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    _slide_fonts(ax)
    return ax


def plot_one_hot_pick(
    actual: object,
    predicted: object,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """How ``-sum(actual * log(predicted))`` picks one term: ``-ln p_i`` for every class
    (grey) and what the one-hot row keeps of it (orange), the true class's surprisal.

    Introduced in notebook 02. The title gives the sum, the loss.

    Raises
    ------
    ValueError
        If ``actual`` is not a one-hot 1-D vector, ``predicted`` is not a probability
        distribution of the same length with a positive true-class entry.
    """
    y = as_float_array(actual, "actual", ndim=1, min_size=2)
    if not (np.isin(y, (0.0, 1.0)).all() and y.sum() == 1):
        raise ValueError(f"actual must be one-hot (one 1, the rest 0), got {y.tolist()}")
    probs = check_probabilities(as_float_array(predicted, "predicted", ndim=1), "predicted")
    if probs.shape != y.shape:
        raise ValueError(f"actual and predicted must have the same length, got {y.size} "
                         f"and {probs.size}")
    true_class = int(np.argmax(y))
    if probs[true_class] == 0:
        raise ValueError("predicted gives the true class probability 0: the loss is infinite")
    names = check_labels(labels, y.size)
    with np.errstate(divide="ignore"):
        surprisals = -np.log(probs)
    kept = np.where(y == 1, surprisals, 0.0)
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    positions = np.arange(y.size)
    shown = np.minimum(surprisals, 10.0)  # a probability of 0 elsewhere is drawn capped
    bars = ax.bar(positions - 0.2, shown, 0.4, color=LOGIT_COLOR, label="-ln p_i")
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in surprisals], padding=1,
                 fontsize=SLIDE_FONT)
    bars = ax.bar(positions + 0.2, kept, 0.4, color=HIGHLIGHT_COLOR,
                  label="y_i * (-ln p_i)")
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in kept], padding=1, fontsize=SLIDE_FONT)
    ax.set_xticks(positions, [f"{n}\ny={int(v)}, p={pv:.2f}"
                              for n, v, pv in zip(names, y, probs, strict=True)])
    ax.set_ylim(0.0, max(shown.max(), 1.0) * 1.6)
    ax.set_ylabel("nats")
    ax.set_title(f"the one-hot row keeps one term: loss = {kept.sum():.3f}")
    ax.legend(fontsize=SLIDE_FONT, loc="upper center", ncol=2)
    _slide_fonts(ax)
    return ax


def plot_sum_vs_mean(
    sample_losses: object,
    batch_sizes: object,
    *,
    ax: Axes | None = None,
) -> Axes:
    """The loss of a batch of the first ``N`` samples against ``N``: summed and averaged.

    Introduced in notebook 02. The sum grows in proportion to ``N`` (and with it the
    gradient, so a learning rate tuned for one batch size is wrong for another); the mean
    stays at the same level. Both axes are logarithmic.

    Raises
    ------
    ValueError
        If ``sample_losses`` is not a finite 1-D array of positive values, or a batch size
        is not an integer in ``1..len(sample_losses)``.
    """
    losses = as_float_array(sample_losses, "sample_losses", ndim=1)
    if (losses <= 0).any():
        raise ValueError("sample_losses must be > 0 (a cross-entropy is 0 only when p = 1)")
    sizes = as_float_array(batch_sizes, "batch_sizes", ndim=1, min_size=2)
    if (sizes != np.round(sizes)).any() or sizes.min() < 1 or sizes.max() > losses.size:
        raise ValueError(f"batch_sizes must be integers in 1..{losses.size}, got "
                         f"{sizes.tolist()}")
    sizes = np.sort(sizes).astype(int)
    totals = np.array([losses[:n].sum() for n in sizes])
    means = totals / sizes
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    ax.plot(sizes, totals, marker="o", color=HIGHLIGHT_COLOR, label="reduction='sum'")
    ax.plot(sizes, means, marker="o", color=PROB_COLOR, label="reduction='mean'")
    _log_axis(ax, "x")
    _log_axis(ax, "y")
    ax.set_xlabel("batch size N")
    ax.set_ylabel("batch loss")
    ax.set_title("the sum grows with N, the mean does not")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    _slide_fonts(ax)
    return ax


def plot_log_softmax_stability(
    margins: object,
    *,
    ax: Axes | None = None,
) -> Axes:
    """The loss of logits ``[0, m]`` with true class 0, in float32, against the margin ``m``.

    Introduced in notebook 02. Softmax then log underflows: once ``e^(-m)`` rounds to 0 in
    float32 its loss is ``inf`` (the line stops and the region is shaded). The stable
    ``log_softmax`` keeps giving the true loss, about ``m``. Both axes are logarithmic.

    Raises
    ------
    ValueError
        If ``margins`` holds fewer than 2 values or one that is not strictly positive.
    """
    values = np.sort(as_float_array(margins, "margins", ndim=1, min_size=2))
    if (values <= 0).any():
        raise ValueError(f"margins must be > 0, got minimum {values.min()}")
    logits = np.stack([np.zeros_like(values), values], axis=1).astype(np.float32)
    with np.errstate(divide="ignore"):
        naive = -np.log(softmax(logits, axis=1)[:, 0]).astype(np.float64)
    stable = -log_softmax(logits, axis=1)[:, 0].astype(np.float64)
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    ax.plot(values, stable, color=PROB_COLOR, linewidth=3, label="-log_softmax(z)[0]")
    finite = np.isfinite(naive)
    ax.plot(values[finite], naive[finite], color=HIGHLIGHT_COLOR, linestyle="--", marker=".",
            label="-log(softmax(z)[0])")
    if not finite.all():
        ax.axvspan(values[~finite].min(), values.max(), color="tab:red", alpha=0.15,
                   label="softmax then log: inf")
    _log_axis(ax, "x")
    _log_axis(ax, "y")
    ax.set_xlabel("margin m of the wrong class, logits [0, m] (float32)")
    ax.set_ylabel("loss")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    _slide_fonts(ax)
    return ax


def plot_first_losses(
    num_classes: object,
    first_losses: object,
    *,
    ax: Axes | None = None,
) -> Axes:
    """First losses of freshly initialised classifiers (points) against ``ln C`` (line).

    Introduced in notebook 02: a healthy new ``C``-class network starts near ``ln C``.
    ``first_losses`` may hold several rows (one per seed or network) of one loss per
    ``C``. The x-axis (``C``) is logarithmic.

    Raises
    ------
    ValueError
        If ``num_classes`` is not integers >= 2, or ``first_losses`` is not finite and
        positive with one column per entry of ``num_classes``.
    """
    classes = as_float_array(num_classes, "num_classes", ndim=1, min_size=2)
    if (classes != np.round(classes)).any() or classes.min() < 2:
        raise ValueError(f"num_classes must be integers >= 2, got {classes.tolist()}")
    losses = np.atleast_2d(as_float_array(first_losses, "first_losses", ndim=(1, 2)))
    if losses.shape[1] != classes.size:
        raise ValueError(f"first_losses needs one column per class count ({classes.size}), "
                         f"got shape {losses.shape}")
    if (losses <= 0).any():
        raise ValueError("first_losses must be > 0")
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    grid = np.geomspace(classes.min(), classes.max(), 200)
    ax.plot(grid, np.log(grid), color="black", linestyle="--", label="ln C")
    for row in losses:
        ax.plot(classes, row, marker="o", linestyle="", color=HIGHLIGHT_COLOR, alpha=0.7)
    ax.plot([], [], marker="o", linestyle="", color=HIGHLIGHT_COLOR,
            label="first loss of a new network")
    _log_axis(ax)
    ax.set_xlabel("number of classes C")
    ax.set_ylabel("cross-entropy")
    ax.set_title("a new classifier starts near ln C")
    ax.legend(fontsize=SLIDE_FONT, loc="upper left")
    _slide_fonts(ax)
    return ax


def plot_loss_and_gradient(
    true_prob: float,
    *,
    min_prob: float = 1e-3,
    ax: Axes | None = None,
) -> Axes:
    """The loss ``-ln p`` and the gradient of the true logit ``p - 1``, against ``p``, with
    the point ``true_prob`` marked on both.

    Introduced in notebook 02, as the picture behind its live control: as ``p`` falls the
    loss explodes while the gradient stays in ``[-1, 0]``.

    Raises
    ------
    TypeError
        If ``true_prob`` is not a number.
    ValueError
        If ``true_prob`` is not in ``[min_prob, 1]`` or ``min_prob`` not in ``(0, 1)``.
    """
    if isinstance(true_prob, bool) or not isinstance(true_prob, int | float | np.floating):
        raise TypeError(f"true_prob must be a number, got {type(true_prob).__name__}")
    if not 0.0 < min_prob < 1.0:
        raise ValueError(f"min_prob must lie in (0, 1), got {min_prob}")
    if not min_prob <= true_prob <= 1.0:
        raise ValueError(f"true_prob must lie in [{min_prob}, 1], got {true_prob}")
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    probs = np.linspace(min_prob, 1.0, 400)
    ax.plot(probs, -np.log(probs), color=PROB_COLOR, label="loss -ln p")
    ax.plot(probs, probs - 1.0, color=HIGHLIGHT_COLOR, label="dL/dz_true = p - 1")
    loss, gradient = -np.log(true_prob), true_prob - 1.0
    ax.plot([true_prob, true_prob], [loss, gradient], marker="o", linestyle="",
            color="black")
    ax.axvline(true_prob, color="black", linewidth=0.8, linestyle=":")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(-1.2, -np.log(min_prob) * 1.05)
    ax.set_xlabel("probability p of the true class")
    ax.set_title(f"p = {true_prob:.2f}: loss {loss:.2f}, gradient {gradient:+.2f}")
    ax.legend(fontsize=SLIDE_FONT, loc="upper right")
    _slide_fonts(ax)
    return ax
