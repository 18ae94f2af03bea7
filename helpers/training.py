"""The training loop of notebook 05, reusable: ``fit``, ``train_epoch``, ``evaluate``, ``predict``.

Also :func:`accuracy_interval`, the confidence interval that notebook 05 puts around a test
accuracy measured on a few hundred digits, :func:`paired_comparison`, the test notebook 05
uses to compare two models scored on the same digits (09 reuses it), and two small tools
of notebook 06 that 09 reuses: :func:`logits_of` (a trained model's logits, without a
graph) and :func:`mean_sd`.

Notebook 05 (``05_training_on_mnist.ipynb``) writes this loop out cell by cell for the
3-class network, then shows that :func:`fit` gives exactly the same result for the same
seed; later notebooks import it from here.

The loss decides what the model's output means, so it also decides how targets are fed
and how predictions are read:

===========================  ====================  =====================  ===================
loss                         model output          targets passed         predicted class
===========================  ====================  =====================  ===================
``nn.CrossEntropyLoss``      logits ``(N, C)``     int64 labels ``(N,)``  ``argmax`` over C
``nn.BCELoss``               probability (N, 1)    float ``(N, 1)``       ``p >= 0.5``
``nn.BCEWithLogitsLoss``     logit ``(N, 1)``      float ``(N, 1)``       ``z >= 0``
===========================  ====================  =====================  ===================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import torch
from torch import nn

from helpers.validation import as_float_array

__all__ = [
    "History", "prepare_targets", "labels_from_outputs", "predict", "evaluate", "logits_of",
    "train_epoch", "fit", "accuracy_interval", "PairedComparison", "paired_comparison", "mean_sd",
]

SUPPORTED_LOSSES = (nn.CrossEntropyLoss, nn.BCELoss, nn.BCEWithLogitsLoss)


@dataclass
class History:
    """Per-epoch metrics; index 0 is measured before the first update."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def record(self, train: tuple[float, float], val: tuple[float, float]) -> None:
        self.train_loss.append(train[0])
        self.train_accuracy.append(train[1])
        self.val_loss.append(val[0])
        self.val_accuracy.append(val[1])


def _check_loss(loss_fn: object) -> None:
    if not isinstance(loss_fn, SUPPORTED_LOSSES):
        names = ", ".join(f"nn.{cls.__name__}" for cls in SUPPORTED_LOSSES)
        raise TypeError(f"loss_fn must be one of {names}, got {type(loss_fn).__name__}")


def _check_data(x: object, y: object, name: str) -> None:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"x_{name} and y_{name} must be torch tensors")
    if y.ndim != 1:
        raise ValueError(f"y_{name} must be 1-D labels, got shape {tuple(y.shape)}")
    if len(x) != len(y):
        raise ValueError(f"x_{name} has {len(x)} rows but y_{name} has {len(y)} labels")
    if len(y) == 0:
        raise ValueError(f"x_{name} is empty")


def prepare_targets(loss_fn: nn.Module, labels: torch.Tensor) -> torch.Tensor:
    """Labels ``(N,)`` in the form ``loss_fn`` expects (see the table in the module doc)."""
    _check_loss(loss_fn)
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        return labels.long()
    return labels.float().unsqueeze(1)


def labels_from_outputs(loss_fn: nn.Module, outputs: torch.Tensor) -> torch.Tensor:
    """Class labels ``(N,)`` (int64) from a model's outputs, as ``loss_fn`` reads them.

    ``nn.CrossEntropyLoss``: the largest logit; ``nn.BCELoss``: probability >= 0.5;
    ``nn.BCEWithLogitsLoss``: logit >= 0.
    """
    _check_loss(loss_fn)
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        return outputs.argmax(dim=1)
    threshold = 0.5 if isinstance(loss_fn, nn.BCELoss) else 0.0
    return (outputs[:, 0] >= threshold).long()


def predict(model: nn.Module, loss_fn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Predicted class labels ``(N,)`` (int64), without tracking gradients."""
    _check_loss(loss_fn)
    model.eval()
    with torch.no_grad():
        return labels_from_outputs(loss_fn, model(x))


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` in eval mode, without recording gradients: the logits to score.

    Introduced in notebook 06 (and used in 09), where trained networks' logits are scored,
    calibrated and compared; no graph is kept, since no gradient is taken through them.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module`` or ``x`` is not a tensor.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    model.eval()
    with torch.no_grad():
        return model(x)


def evaluate(
    model: nn.Module, loss_fn: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``x, y``, without tracking gradients.

    One forward pass gives both, as in notebook 05's ``evaluate``.
    """
    _check_loss(loss_fn)
    _check_data(x, y, "eval")
    model.eval()
    with torch.no_grad():
        outputs = model(x)
        loss = loss_fn(outputs, prepare_targets(loss_fn, y)).item()
        accuracy = (labels_from_outputs(loss_fn, outputs) == y).float().mean().item()
    return loss, accuracy


def train_epoch(
    model: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    generator: torch.Generator,
) -> float:
    """One pass over ``x, y`` in shuffled mini-batches; returns the mean training loss.

    The order is ``torch.randperm(len(x), generator=generator)``; the last batch may be
    smaller. The returned loss averages the batch losses weighted by batch size.
    """
    _check_loss(loss_fn)
    _check_data(x, y, "train")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    targets = prepare_targets(loss_fn, y)
    model.train()
    order = torch.randperm(len(x), generator=generator).to(x.device)
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        loss = loss_fn(model(x[batch]), targets[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / len(x)


def fit(
    model: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
) -> History:
    """Train for ``epochs`` passes; return train and validation loss and accuracy per epoch.

    Metrics are measured with :func:`evaluate` on the whole train and validation sets
    before training (epoch 0) and after every epoch. The mini-batch order comes from a
    ``torch.Generator`` seeded with ``seed``, so the same model initialisation and seed
    give the same result. The data and the model must already be on the same device.
    """
    _check_loss(loss_fn)
    _check_data(x_train, y_train, "train")
    _check_data(x_val, y_val, "val")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    generator = torch.Generator().manual_seed(seed)
    history = History()
    history.record(
        evaluate(model, loss_fn, x_train, y_train), evaluate(model, loss_fn, x_val, y_val)
    )
    for _ in range(epochs):
        train_epoch(
            model, loss_fn, optimizer, x_train, y_train, batch_size=batch_size,
            generator=generator,
        )
        history.record(
            evaluate(model, loss_fn, x_train, y_train), evaluate(model, loss_fn, x_val, y_val)
        )
        if not math.isfinite(history.train_loss[-1]):
            raise FloatingPointError(
                f"the training loss became {history.train_loss[-1]} after epoch "
                f"{len(history.train_loss) - 1}: lower the learning rate"
            )
    return history


def accuracy_interval(
    correct: int, total: int, confidence: float = 0.99
) -> tuple[float, float]:
    """Wilson score interval for an accuracy of ``correct`` out of ``total`` test examples.

    Introduced in notebook 05. A test set of ``total`` examples measures the accuracy a
    model would have on all digits like them only up to this binomial noise: with 297 of
    300 digits right (99 %) the 99 % interval runs from 96.1 % to 99.7 %. The Wilson
    interval stays inside [0, 1] and is honest near 100 %, where the textbook interval
    ``p ± z sqrt(p (1 - p) / n)`` shrinks to nothing.

    Raises
    ------
    TypeError
        If ``correct`` or ``total`` is not an integer (a fraction is not a count).
    ValueError
        If ``total < 1``, ``correct`` is outside ``[0, total]``, or ``confidence`` is not
        strictly between 0 and 1.
    """
    for name, value in (("correct", correct), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer count, got {value!r}")
    if total < 1:
        raise ValueError(f"total must be at least 1, got {total}")
    if not 0 <= correct <= total:
        raise ValueError(f"correct must lie in [0, total={total}], got {correct}")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number, got {confidence!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total**2))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PairedComparison:
    """Two models scored on the same ``total`` examples (see :func:`paired_comparison`)."""

    total: int
    only_a: int  # examples A gets right and B gets wrong
    only_b: int  # examples B gets right and A gets wrong
    difference: float  # accuracy of A minus accuracy of B
    interval: tuple[float, float]  # confidence interval of the difference
    p_value: float  # exact McNemar test: two-sided, of "A and B are equally accurate"
    confidence: float

    def __str__(self) -> str:
        low, high = self.interval
        return (
            f"A right, B wrong: {self.only_a}; B right, A wrong: {self.only_b} "
            f"(of {self.total}); A - B = {100 * self.difference:+.1f} points, "
            f"{100 * self.confidence:.0f} % interval [{100 * low:+.1f}, {100 * high:+.1f}]; "
            f"McNemar exact p = {self.p_value:.2g}"
        )


def paired_comparison(
    correct_a: object, correct_b: object, confidence: float = 0.95
) -> PairedComparison:
    """Compare two models scored on the *same* examples: only the disagreements count.

    Introduced in notebook 05. ``correct_a[i]`` and ``correct_b[i]`` say whether models A and
    B got example ``i`` right. Two intervals drawn around each accuracy separately ignore
    that both models met the same easy and hard digits; the examples where both are right
    (or both wrong) say nothing about which is better. The exact McNemar test asks whether
    the ``only_a + only_b`` disagreements split as evenly as fair coin flips would; the
    interval of the difference is the Wald interval for paired proportions,
    ``(only_a - only_b) / n ± z sqrt(only_a + only_b - (only_a - only_b)**2 / n) / n``.

    Raises
    ------
    TypeError
        If an input is not a 1-D array of booleans (or 0/1 integers).
    ValueError
        If the inputs are empty or differ in length, or ``confidence`` is not strictly
        between 0 and 1.
    """
    flags = []
    for name, values in (("correct_a", correct_a), ("correct_b", correct_b)):
        tensor = torch.as_tensor(values) if not isinstance(values, torch.Tensor) else values
        if tensor.ndim != 1 or tensor.numel() == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array, got shape "
                             f"{tuple(tensor.shape)}")
        if tensor.dtype.is_floating_point or tensor.dtype.is_complex:
            raise TypeError(f"{name} must hold booleans (right or wrong per example), "
                            f"got dtype {tensor.dtype}")
        if tensor.dtype != torch.bool:
            if not bool(((tensor == 0) | (tensor == 1)).all()):
                raise ValueError(f"{name} must hold only 0 and 1 (or booleans)")
            tensor = tensor.bool()
        flags.append(tensor)
    a, b = flags
    if a.numel() != b.numel():
        raise ValueError(f"correct_a and correct_b must score the same examples: "
                         f"{a.numel()} against {b.numel()}")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number, got {confidence!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    total = a.numel()
    only_a = int((a & ~b).sum())
    only_b = int((b & ~a).sum())
    discordant = only_a + only_b
    # Exact binomial test on the disagreements (integers: exact even for thousands of them).
    # C(n, k + 1) = C(n, k) (n - k) / (k + 1), exactly: one product per term, not a new C(n, k).
    tail, term = 0, 1
    for k in range(min(only_a, only_b) + 1):
        tail += term
        term = term * (discordant - k) // (k + 1)
    p_value = min(1.0, 2 * tail / 2**discordant) if discordant else 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    difference = (only_a - only_b) / total
    half = z * math.sqrt(max(discordant - (only_a - only_b) ** 2 / total, 0.0)) / total
    interval = (max(-1.0, difference - half), min(1.0, difference + half))
    return PairedComparison(total, only_a, only_b, difference, interval, p_value, confidence)


def mean_sd(values: object, scale: float = 1.0, digits: int = 3) -> str:
    """``"mean ± sd"`` of results over seeds, times ``scale``, with ``digits`` decimals.

    Introduced in notebook 06 (and used in 09): a result that depends on the random seed is
    reported as the mean and the sample standard deviation (``ddof=1``) over seeds fixed in
    advance, e.g. ``mean_sd([0.93, 0.94, 0.95], scale=100, digits=1)`` is ``"94.0 ± 1.0"``.

    Raises
    ------
    TypeError
        If ``digits`` is not an integer, or ``values`` does not hold numbers.
    ValueError
        If there are fewer than two values (no spread to report), or one is not finite.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise TypeError(f"digits must be a non-negative integer, got {digits!r}")
    array = as_float_array(values, "values", ndim=1, min_size=2)
    array = float(scale) * array
    return f"{array.mean():.{digits}f} ± {array.std(ddof=1):.{digits}f}"
