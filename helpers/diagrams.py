"""Code that draws every picture in ``images/``.

Run ``make images`` (or ``python tools/make_images.py``) to regenerate them all. Each
``draw_*`` function returns a matplotlib figure; ``DIAGRAMS`` maps file names to them.
Numbers shown in a diagram are computed, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from helpers.numerics import softmax

__all__ = [
    "draw_softmax_pipeline",
    "DIAGRAMS",
    "save_all",
    "draw_multiclass_network",
    "draw_binary_network",
]


def _box(ax, x: float, y: float, width: float, height: float, text: str, color: str) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x, y), width, height, boxstyle="round,pad=0.02", facecolor=color, edgecolor="black"
        )
    )
    ax.text(x + width / 2, y + height / 2, text, ha="center", va="center", fontsize=10)


def _arrow(ax, x0: float, x1: float, y: float, label: str) -> None:
    ax.add_patch(FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=15))
    ax.text((x0 + x1) / 2, y + 0.09, label, ha="center", va="bottom", fontsize=9)


def draw_softmax_pipeline(logits: tuple[float, ...] = (2.0, 1.0, 0.1)) -> Figure:
    """Raw scores -> exp -> divide by the sum -> probabilities, with the numbers filled in.

    Used by notebook 01 (``images/softmax_pipeline.png``).
    """
    scores = np.asarray(logits, dtype=np.float64)
    exps = np.exp(scores)
    probs = softmax(scores)
    columns = [
        ("logits $z$", scores, "#e8e8e8", "{:.2f}"),
        ("$e^{z_i}$", exps, "#fde2c8", "{:.2f}"),
        ("$p_i = e^{z_i} / \\sum_j e^{z_j}$", probs, "#cfe3f7", "{:.3f}"),
    ]
    fig, ax = plt.subplots(figsize=(9.0, 3.0))
    width, height, gap = 1.6, 0.42, 1.1
    rows = len(scores)
    for column, (title, values, color, fmt) in enumerate(columns):
        x = column * (width + gap)
        ax.text(x + width / 2, rows * 0.55 + 0.15, title, ha="center", fontsize=11)
        for row, value in enumerate(values):
            y = (rows - 1 - row) * 0.55
            _box(ax, x, y, width, height, fmt.format(value), color)
    middle = (rows - 1) * 0.55 / 2 + height / 2
    _arrow(ax, width + 0.05, width + gap - 0.05, middle, "exp")
    _arrow(ax, 2 * width + gap + 0.05, 2 * (width + gap) - 0.05, middle, f"÷ {exps.sum():.2f}")
    ax.text(
        2 * (width + gap) + width / 2, -0.3, f"sum = {probs.sum():.3f}", ha="center", fontsize=9
    )
    ax.set_xlim(-0.2, 3 * width + 2 * gap + 0.2)
    ax.set_ylim(-0.5, rows * 0.55 + 0.5)
    ax.axis("off")
    ax.set_title("softmax turns raw scores into probabilities", fontsize=12)
    fig.tight_layout()
    return fig


# File name in images/ -> function that draws it.
DIAGRAMS: dict[str, Callable[[], Figure]] = {
    "softmax_pipeline.png": draw_softmax_pipeline,
}


def save_all(directory: str | Path, dpi: int = 110) -> list[Path]:
    """Draw every diagram in ``DIAGRAMS`` and save it as a PNG in ``directory``."""
    out_dir = Path(directory)
    if not out_dir.is_dir():
        raise ValueError(f"{out_dir} is not an existing directory")
    written = []
    for file_name, draw in DIAGRAMS.items():
        fig = draw()
        path = out_dir / file_name
        # A fixed metadata block keeps the PNG bytes identical from run to run.
        fig.savefig(path, dpi=dpi, metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written


# ---- notebook 04: the tutorial's two networks --------------------------------------------



def _parameter_count(model) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def _draw_layers(ax, sizes: list[int], names: list[str], max_shown: int = 6) -> list[list]:
    """Draw fully connected layers as columns of circles; return the circles' centres."""
    from matplotlib.patches import Circle

    centres = []
    for column, (size, name) in enumerate(zip(sizes, names, strict=True)):
        shown = min(size, max_shown)
        x = column * 2.2
        ys = [(shown - 1) / 2 * 0.55 - row * 0.55 for row in range(shown)]
        if size > max_shown:  # leave a gap with dots for the hidden middle of the layer
            ax.text(x, ys[shown // 2], "⋮", ha="center", va="center", fontsize=14)
            ys = ys[: shown // 2] + ys[shown // 2 + 1 :]
        centres.append([(x, y) for y in ys])
        for y in ys:
            ax.add_patch(Circle((x, y), 0.17, facecolor="#cfe3f7", edgecolor="black", zorder=3))
        ax.text(x, -(max_shown / 2) * 0.55 - 0.25, f"{name}\n{size}", ha="center", va="top",
                fontsize=9)
    for left, right in zip(centres, centres[1:], strict=False):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot([x0, x1], [y0, y1], color="gray", linewidth=0.4, zorder=1)
    return centres


def _draw_network(model, sizes, names, head: list[tuple[str, str]], title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    centres = _draw_layers(ax, sizes, names)
    x = centres[-1][0][0] + 0.4
    for text, color in head:
        _arrow(ax, x, x + 0.8, 0.0, "")
        _box(ax, x + 0.85, -0.3, 2.1, 0.6, text, color)
        x += 2.95 + 0.05
    ax.set_title(f"{title}: {_parameter_count(model):,} parameters", fontsize=12)
    ax.set_xlim(-0.6, x + 0.2)
    ax.set_ylim(-2.6, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def draw_multiclass_network(input_size: int = 28 * 28, hidden_size: int = 5,
                            num_classes: int = 3) -> Figure:
    """``NeuralNetMultiClassClassification``: Linear, ReLU, Linear to raw logits.

    Used by notebook 04 (``images/multiclass_network.png``). The parameter count is
    computed from the model in ``helpers.models``.
    """
    from helpers.models import NeuralNetMultiClassClassification

    model = NeuralNetMultiClassClassification(input_size, hidden_size, num_classes)
    return _draw_network(
        model,
        [input_size, hidden_size, num_classes],
        ["pixels", "Linear + ReLU", "Linear: logits"],
        [("no softmax:\nraw logits", "#e8e8e8"),
         ("nn.CrossEntropyLoss\n(log-softmax + NLL)", "#fde2c8")],
        f"NeuralNetMultiClassClassification({input_size}, {hidden_size}, {num_classes})",
    )


def draw_binary_network(input_size: int = 28 * 28, hidden_size: int = 5) -> Figure:
    """``NeuralNetBinaryClassification``: Linear, ReLU, Linear to one score, then sigmoid.

    Used by notebook 04 (``images/binary_network.png``). The parameter count is computed
    from the model in ``helpers.models``.
    """
    from helpers.models import NeuralNetBinaryClassification

    model = NeuralNetBinaryClassification(input_size, hidden_size)
    return _draw_network(
        model,
        [input_size, hidden_size, 1],
        ["pixels", "Linear + ReLU", "Linear: 1 score"],
        [("sigmoid:\nprobability", "#cfe3f7"), ("nn.BCELoss", "#fde2c8")],
        f"NeuralNetBinaryClassification({input_size}, {hidden_size})",
    )


DIAGRAMS["multiclass_network.png"] = draw_multiclass_network
DIAGRAMS["binary_network.png"] = draw_binary_network
