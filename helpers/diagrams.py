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
    "draw_cross_entropy_pipeline",
    "draw_device_flow",
    "draw_classifier_heads",
]


def _box(ax, x: float, y: float, width: float, height: float, text: str, color: str,
         fontsize: float = 10) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x, y), width, height, boxstyle="round,pad=0.02", facecolor=color, edgecolor="black"
        )
    )
    ax.text(x + width / 2, y + height / 2, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, x0: float, x1: float, y: float, label: str, fontsize: float = 9) -> None:
    ax.add_patch(FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=15))
    ax.text((x0 + x1) / 2, y + 0.09, label, ha="center", va="bottom", fontsize=fontsize)


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
                fontsize=13)
    for left, right in zip(centres, centres[1:], strict=False):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot([x0, x1], [y0, y1], color="gray", linewidth=0.4, zorder=1)
    return centres


def _draw_network(model, sizes, names, head: list[tuple[str, str]], title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(10.0, 4.2))
    centres = _draw_layers(ax, sizes, names)
    x = centres[-1][0][0] + 0.4
    for text, color in head:  # text at slide size: the box is wide enough for 13 points
        _arrow(ax, x, x + 0.6, 0.0, "")
        _box(ax, x + 0.65, -0.4, 2.9, 0.8, text, color, fontsize=13)
        x += 3.55 + 0.05
    ax.set_title(f"{title}: {_parameter_count(model):,} parameters", fontsize=14)
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


# ---- notebook 03: CrossEntropyLoss in steps; notebook 04: the device, the two heads ------

def draw_cross_entropy_pipeline(logits: tuple[float, ...] = (2.0, 1.0, 0.1),
                                target: int = 0) -> Figure:
    """Logits -> log_softmax -> pick the target's entry -> minus: ``nn.CrossEntropyLoss``.

    Used by notebook 03 (``images/cross_entropy_pipeline.png``): ``CrossEntropyLoss`` is
    ``LogSoftmax`` followed by ``NLLLoss``, one sample with the numbers filled in.

    Raises
    ------
    ValueError
        If there are fewer than 2 logits or ``target`` is not a class index.
    """
    from helpers.numerics import log_softmax

    scores = np.asarray(logits, dtype=np.float64)
    if scores.ndim != 1 or scores.size < 2:
        raise ValueError(f"logits must be 1-D with at least 2 classes, got {logits!r}")
    if not 0 <= target < scores.size:
        raise ValueError(f"target={target} is not a class index in 0..{scores.size - 1}")
    log_probs = log_softmax(scores)
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    width, height, gap, step = 1.15, 0.42, 1.1, 0.55
    rows = scores.size
    columns = [("logits $z$", scores, "#e8e8e8"),
               ("log_softmax", log_probs, "#fde2c8")]
    for column, (title, values, color) in enumerate(columns):
        x = column * (width + gap)
        ax.text(x + width / 2, rows * step + 0.1, title, ha="center", fontsize=14)
        for row, value in enumerate(values):
            y = (rows - 1 - row) * step
            edge = "black" if row != target else "tab:red"
            _box(ax, x, y, width, height, f"{value:.3f}", color, fontsize=14)
            if row == target:
                ax.patches[-1].set_edgecolor(edge)
                ax.patches[-1].set_linewidth(2.5)
    target_y = (rows - 1 - target) * step + height / 2
    middle = (rows - 1) * step / 2 + height / 2
    _arrow(ax, width + 0.05, width + gap - 0.05, middle, "", fontsize=14)
    x_pick = 2 * (width + gap)
    _arrow(ax, 2 * width + gap + 0.05, x_pick - 0.05, target_y, f"pick y={target}", fontsize=13)
    _box(ax, x_pick, target_y - height / 2, width, height, f"{log_probs[target]:.3f}", "#cfe3f7",
         fontsize=14)
    ax.text(x_pick + width / 2, rows * step + 0.1, "NLLLoss", ha="center", fontsize=14)
    x_loss = x_pick + width + gap
    _arrow(ax, x_pick + width + 0.05, x_loss - 0.05, target_y, "minus", fontsize=13)
    _box(ax, x_loss, target_y - height / 2, width, height, f"loss {-log_probs[target]:.3f}",
         "#d5f0d5", fontsize=14)
    ax.set_xlim(-0.2, x_loss + width + 0.2)
    ax.set_ylim(-0.3, rows * step + 0.45)
    ax.axis("off")
    ax.set_title("nn.CrossEntropyLoss = LogSoftmax, then NLLLoss", fontsize=15)
    fig.tight_layout()
    return fig


def draw_device_flow() -> Figure:
    """The device chosen once: model and data moved there, results brought back to print.

    Used by notebook 04 (``images/device_flow.png``).
    """
    fig, ax = plt.subplots(figsize=(8.5, 3.0))
    _box(ax, 0.0, 1.1, 2.0, 0.6, "model", "#e8e8e8", fontsize=14)
    _box(ax, 0.0, 0.0, 2.0, 0.6, "data x", "#e8e8e8", fontsize=14)
    _box(ax, 3.4, 0.3, 2.4, 1.1, 'device\n"cuda" or "cpu"\nforward, loss', "#fde2c8",
         fontsize=14)
    _box(ax, 7.2, 0.55, 1.6, 0.6, "print", "#cfe3f7", fontsize=14)
    for y in (1.4, 0.3):
        ax.add_patch(FancyArrowPatch((2.05, y), (3.35, 0.85), arrowstyle="-|>",
                                     mutation_scale=15))
    ax.text(2.75, 1.5, ".to(device)", ha="center", fontsize=14, family="monospace")
    _arrow(ax, 5.85, 7.15, 0.85, ".cpu()", fontsize=14)
    ax.texts[-1].set_family("monospace")
    ax.set_xlim(-0.2, 9.0)
    ax.set_ylim(-0.2, 2.1)
    ax.axis("off")
    ax.set_title("device chosen once, at the top", fontsize=15)
    fig.tight_layout()
    return fig


def draw_classifier_heads(input_size: int = 28 * 28, hidden_size: int = 5,
                          num_classes: int = 3) -> Figure:
    """The two networks of notebook 04 side by side: which output goes with which loss.

    Used by notebook 04's summary (``images/classifier_heads.png``). Parameter counts are
    computed from the models in ``helpers.models``.
    """
    from helpers.models import NeuralNetBinaryClassification, NeuralNetMultiClassClassification

    multi = NeuralNetMultiClassClassification(input_size, hidden_size, num_classes)
    binary = NeuralNetBinaryClassification(input_size, hidden_size)
    rows = [
        (f"{num_classes} classes ({_parameter_count(multi):,} parameters)",
         [(f"Linear, ReLU,\nLinear: {num_classes} logits", "#e8e8e8"),
          ("nn.CrossEntropyLoss\n(log-softmax + NLL)", "#fde2c8"),
          ("to predict:\nargmax of logits", "#cfe3f7")]),
        (f"2 classes ({_parameter_count(binary):,} parameters)",
         [("Linear, ReLU,\nLinear: 1 logit z", "#e8e8e8"),
          ("nn.BCEWithLogitsLoss\n(sigmoid fused in)", "#fde2c8"),
          ("to predict:\nz >= 0 (p >= 0.5)", "#cfe3f7")]),
    ]
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    width, height, gap = 2.3, 0.8, 0.65
    for row, (title, boxes) in enumerate(rows):
        y = (1 - row) * 1.55
        ax.text(0.0, y + height + 0.08, title, ha="left", fontsize=14)
        for column, (text, color) in enumerate(boxes):
            x = column * (width + gap)
            _box(ax, x, y, width, height, text, color, fontsize=13)
            if column == 1:  # the loss trains the network; prediction needs no loss
                _arrow(ax, x - gap + 0.03, x - 0.03, y + height / 2, "train", fontsize=13)
    ax.set_xlim(-0.1, 3 * width + 2 * gap + 0.1)
    ax.set_ylim(-0.15, 1.55 + height + 0.4)
    ax.axis("off")
    fig.tight_layout()
    return fig


DIAGRAMS["cross_entropy_pipeline.png"] = draw_cross_entropy_pipeline
DIAGRAMS["device_flow.png"] = draw_device_flow
DIAGRAMS["classifier_heads.png"] = draw_classifier_heads
