"""Checkers for the exercises of notebook 04 (``04_classifier_networks.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks.core import Case, Report, compare_arrays, run_cases
from helpers.models import NeuralNetBinaryClassification, NeuralNetMultiClassClassification

__all__ = [
    "check_count_parameters",
    "check_predict_proba",
    "check_bce_with_logits",
    "check_weighted_bce_with_logits",
]


def _float32_close(got, case: Case) -> str:
    """Learners compute in float32: compare with a float32-sized tolerance."""
    return compare_arrays(got, case.expected, rtol=1e-5, atol=1e-7)


def _seeded(build: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build()


def check_count_parameters(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(model)`` returns the number of trainable numbers in ``model``."""
    models = [
        ("NeuralNetMultiClassClassification(784, 5, 3)",
         NeuralNetMultiClassClassification(784, 5, 3)),
        ("NeuralNetBinaryClassification(784, 5)", NeuralNetBinaryClassification(784, 5)),
        ("NeuralNetMultiClassClassification(784, 100, 10)",
         NeuralNetMultiClassClassification(784, 100, 10)),
        ("nn.Linear(3, 2, bias=False)", nn.Linear(3, 2, bias=False)),
        ("nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))",
         nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))),
    ]
    cases = [
        Case(name, (model,), sum(p.numel() for p in model.parameters()))
        for name, model in models
    ]

    def same_integer(got, case: Case) -> str:
        if hasattr(got, "item"):
            got = got.item()
        if got is None:
            return "your function returned None (did you forget `return`?)"
        if got != case.expected:
            return "wrong count (weights AND biases, of every layer)"
        return ""

    return run_cases(
        "Exercise 1 (count the parameters)",
        candidate,
        cases,
        hint="sum p.numel() over model.parameters(): each Linear(a, b) has a*b weights + b biases.",
        compare=same_integer,
    )


def check_predict_proba(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(model, x)`` returns class probabilities ``(N, C)``."""
    generator = torch.Generator().manual_seed(2)
    inputs = [
        ("784-5-3 net, 4 random images", (784, 5, 3), torch.rand(4, 784, generator=generator)),
        ("784-5-3 net, 1 image", (784, 5, 3), torch.rand(1, 784, generator=generator)),
        ("10-8-4 net, 6 inputs", (10, 8, 4), torch.randn(6, 10, generator=generator)),
        ("10-8-4 net, huge inputs (logits in the thousands)", (10, 8, 4),
         1000 * torch.randn(3, 10, generator=generator)),
    ]
    cases = []
    for description, sizes, x in inputs:
        model = _seeded(lambda sizes=sizes: NeuralNetMultiClassClassification(*sizes))
        with torch.no_grad():
            expected = torch.softmax(model(x), dim=1)
        cases.append(Case(description, (model, x), expected))
    return run_cases(
        "Exercise 2 (probabilities at prediction time)",
        candidate,
        cases,
        hint="the model returns logits; apply torch.softmax over the class axis (dim=1).",
        compare=_float32_close,
    )


def _bce_inputs() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(3)
    return [
        ("ordinary logits", torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 1.0])),
        ("random batch", torch.randn(8, generator=generator),
         torch.randint(0, 2, (8,), generator=generator).float()),
        ("large logits, wrong side", torch.tensor([50.0, -50.0]), torch.tensor([0.0, 1.0])),
        ("extreme logits", torch.tensor([1e4, -1e4, 1e4]), torch.tensor([0.0, 0.0, 1.0])),
        ("soft targets", torch.tensor([0.3, -2.0]), torch.tensor([0.25, 0.9])),
        ("shape (N, 1)", torch.tensor([[3.0], [-0.5]]), torch.tensor([[1.0], [0.0]])),
    ]


def check_bce_with_logits(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets)`` = ``BCEWithLogitsLoss()`` (mean), stable."""
    cases = [
        Case(f"{description}: logits={z.tolist()}, targets={y.tolist()}", (z, y),
             F.binary_cross_entropy_with_logits(z.double(), y.double()))
        for description, z, y in _bce_inputs()
    ]
    return run_cases(
        "Exercise 3 (binary cross-entropy from logits)",
        candidate,
        cases,
        hint="max(z, 0) - z*y + log(1 + exp(-|z|)) never overflows; use torch.log1p.",
        compare=_float32_close,
    )


def check_weighted_bce_with_logits(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(logits, targets, pos_weight)`` = ``BCEWithLogitsLoss`` with it."""
    cases = []
    for (description, z, y), weight in zip(_bce_inputs(), [3.0, 0.5, 10.0, 2.0, 4.0, 1.0],
                                           strict=True):
        pos_weight = torch.tensor(weight)
        expected = F.binary_cross_entropy_with_logits(
            z.double(), y.double(), pos_weight=pos_weight.double()
        )
        cases.append(Case(
            f"{description}: logits={z.tolist()}, targets={y.tolist()}, pos_weight={weight}",
            (z, y, pos_weight), expected,
        ))
    return run_cases(
        "Exercise 4 (pos_weight for imbalanced classes)",
        candidate,
        cases,
        hint="only the positive term -y*log(sigmoid(z)) is multiplied by pos_weight; "
        "write log(sigmoid(z)) = -softplus(-z) to stay stable.",
        compare=_float32_close,
    )
