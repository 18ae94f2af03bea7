"""Checkers for the exercises of notebook 04 (``04_classifier_networks.ipynb``).

Every expected answer is computed by PyTorch at check time, never typed in. Each case
also knows the answers that common mistakes give, so a wrong answer is named. Calls are
watched: exercise 2 must not record gradients, exercises 3 and 4 must not call PyTorch's
binary cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks.core import Case, Report, compare_arrays, explain, guarded, run_cases
from helpers.models import NeuralNetBinaryClassification, NeuralNetMultiClassClassification

__all__ = [
    "check_count_parameters",
    "check_predict_proba",
    "check_bce_with_logits",
    "check_weighted_bce_with_logits",
]

_BCE_CALLS = ("binary_cross_entropy_with_logits", "binary_cross_entropy")


def _float32_close(got, case: Case) -> str:
    """Learners compute in float32: compare with a float32-sized tolerance."""
    reason = compare_arrays(got, case.expected, rtol=1e-5, atol=1e-7)
    return explain(got, case, reason, rtol=1e-5, atol=1e-7)


def _seeded(build: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build()


def _frozen_first_layer() -> nn.Module:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    model[0].requires_grad_(False)
    return model


def check_count_parameters(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(model)`` returns the number of trainable numbers in ``model``.

    Trainable: in ``model.parameters()`` with ``requires_grad``. Buffers (BatchNorm's running
    statistics) are in ``state_dict()`` but are not trained.
    """
    models = [
        ("NeuralNetMultiClassClassification(784, 5, 3)",
         NeuralNetMultiClassClassification(784, 5, 3)),
        ("NeuralNetBinaryClassification(784, 5)", NeuralNetBinaryClassification(784, 5)),
        ("NeuralNetMultiClassClassification(784, 100, 10)",
         NeuralNetMultiClassClassification(784, 100, 10)),
        ("nn.Linear(3, 2, bias=False)", nn.Linear(3, 2, bias=False)),
        ("nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))",
         nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))),
        ("nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2)) (BatchNorm "
         "keeps running statistics: buffers, not parameters)",
         nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))),
        ("the same Linear-ReLU-Linear with its first layer frozen (requires_grad=False)",
         _frozen_first_layer()),
    ]
    cases = []
    for name, model in models:
        params = list(model.parameters())
        expected = sum(p.numel() for p in params if p.requires_grad)
        mistakes = (
            (sum(p.numel() for n, p in model.named_parameters() if "weight" in n),
             "you counted only the weights: the biases count too"),
            (len(params), "you counted tensors (parameters or state_dict() entries): count "
             "the numbers in them (numel)"),
            (sum(p.numel() for p in params), "a frozen layer (requires_grad=False) is not "
             "trainable: count only the parameters with p.requires_grad"),
            (sum(t.numel() for t in model.state_dict().values()), "state_dict() also holds "
             "buffers (running statistics), which are not trained: use model.parameters()"),
            (sum(p.shape[0] for p in params), "p.shape[0] is one dimension: numel() counts "
             "every number"),
        )
        cases.append(Case(name, (model,), expected, mistakes=mistakes))

    def same_integer(got, case: Case) -> str:
        if hasattr(got, "item"):
            got = got.item()
        if got is None:
            return "your function returned None (did you forget `return`?)"
        if got != case.expected:
            for value, message in case.mistakes:
                if got == value:
                    return message
            return "wrong count (weights AND biases, of every trainable layer)"
        return ""

    return run_cases(
        "Exercise 1 (count the parameters)",
        candidate,
        cases,
        hint="sum p.numel() over model.parameters() with p.requires_grad: each Linear(a, b) "
        "has a*b weights + b biases.",
        compare=same_integer,
    )


def check_predict_proba(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(model, x)`` returns class probabilities ``(N, C)``.

    The call is watched: no tensor that requires grad may be made (``torch.no_grad()``).
    """
    generator = torch.Generator().manual_seed(2)
    inputs = [
        ("784-5-3 net, 4 random images", (784, 5, 3), torch.rand(4, 784, generator=generator)),
        ("784-5-3 net, 1 image", (784, 5, 3), torch.rand(1, 784, generator=generator)),
        ("10-8-4 net, 6 inputs", (10, 8, 4), torch.randn(6, 10, generator=generator)),
        ("10-8-4 net, huge inputs (logits in the thousands: exp overflows, use torch.softmax)",
         (10, 8, 4), 1000 * torch.randn(3, 10, generator=generator)),
    ]
    cases = []
    for description, sizes, x in inputs:
        model = _seeded(lambda sizes=sizes: NeuralNetMultiClassClassification(*sizes))
        with torch.no_grad():
            logits = model(x)
        mistakes = (
            (logits, "those are the logits: apply softmax"),
            (torch.softmax(logits, dim=0), "you normalised over the batch (dim=0): each row "
             "is one example, use dim=1"),
            (torch.sigmoid(logits), "that is the sigmoid of each logit: a multi-class net "
             "needs softmax"),
            (torch.log_softmax(logits, dim=1), "those are log-probabilities: use softmax"),
        )
        cases.append(Case(description, (model, x), torch.softmax(logits, dim=1),
                          mistakes=mistakes))

    def probabilities(got, case: Case) -> str:
        reason = _float32_close(got, case)
        if reason.startswith("expected shape") and tuple(getattr(got, "shape", ())) == (
                case.expected.shape[0],):
            return f"{reason}: return the probabilities of every class, not the argmax"
        return reason

    return run_cases(
        "Exercise 2 (probabilities at prediction time)",
        guarded(candidate, no_grad=True),
        cases,
        hint="the model returns logits; inside `with torch.no_grad():` apply torch.softmax "
        "over the class axis (dim=1).",
        compare=probabilities,
    )


def _bce_inputs() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(3)
    return [
        ("ordinary logits", torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 1.0])),
        ("random batch", torch.randn(8, generator=generator),
         torch.randint(0, 2, (8,), generator=generator).float()),
        ("large logits, wrong side (1 - sigmoid(50) is 0 in float32: a log of it is -inf; "
         "use the stable formula)", torch.tensor([50.0, -50.0]), torch.tensor([0.0, 1.0])),
        ("extreme logits (exp(1e4) overflows: never exponentiate a positive number)",
         torch.tensor([1e4, -1e4, 1e4]), torch.tensor([0.0, 0.0, 1.0])),
        ("soft targets", torch.tensor([0.3, -2.0]), torch.tensor([0.25, 0.9])),
        ("shape (N, 1)", torch.tensor([[3.0], [-0.5]]), torch.tensor([[1.0], [0.0]])),
    ]


def _bce(z, y, **kwargs) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(z.double(), y.double(), **kwargs)


def check_bce_with_logits(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(logits, targets)`` = ``BCEWithLogitsLoss()`` (mean), stable."""
    cases = []
    for description, z, y in _bce_inputs():
        mistakes = (
            (_bce(z, y, reduction="sum"), "you summed: the loss is the MEAN over the elements"),
            (_bce(z, 1 - y), "you swapped the two terms: y goes with log(sigmoid(z))"),
            (-_bce(z, y), "wrong sign: the loss is MINUS the log-likelihood"),
        )
        cases.append(Case(f"{description}: logits={z.tolist()}, targets={y.tolist()}", (z, y),
                          _bce(z, y), mistakes=mistakes))
    return run_cases(
        "Exercise 3 (binary cross-entropy from logits)",
        guarded(candidate, forbidden=_BCE_CALLS),
        cases,
        hint="max(z, 0) - z*y + log(1 + exp(-|z|)) never overflows; use torch.log1p.",
        compare=_float32_close,
    )


def check_weighted_bce_with_logits(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(logits, targets, pos_weight)`` = ``BCEWithLogitsLoss`` with it."""
    cases = []
    for (description, z, y), weight in zip(_bce_inputs(), [3.0, 0.5, 10.0, 2.0, 4.0, 1.5],
                                           strict=True):
        pos_weight = torch.tensor(weight)
        z64, y64 = z.double(), y.double()
        positive, negative = -F.logsigmoid(z64), -F.logsigmoid(-z64)
        mistakes = (
            ((y64 * positive + weight * (1 - y64) * negative).mean(), "pos_weight multiplies "
             "the POSITIVE term (y * log sigmoid(z)), not the negative one"),
            (weight * _bce(z, y), "pos_weight multiplies only the positive term, not every "
             "example"),
            (_bce(z, y), "your answer ignores pos_weight"),
            ((weight * y64 * positive + (1 - y64) * negative).sum()
             / (weight * y64 + (1 - y64)).sum(), "the mean divides by the number of elements, "
             "not by the total weight"),
            (_bce(z, (y > 0.5).float(), pos_weight=pos_weight.double()), "the targets may be "
             "soft (between 0 and 1): use them as they are"),
        )
        cases.append(Case(
            f"{description}: logits={z.tolist()}, targets={y.tolist()}, pos_weight={weight}",
            (z, y, pos_weight), _bce(z, y, pos_weight=pos_weight.double()), mistakes=mistakes,
        ))
    return run_cases(
        "Exercise 4 (pos_weight for imbalanced classes)",
        guarded(candidate, forbidden=_BCE_CALLS),
        cases,
        hint="only the positive term -y*log(sigmoid(z)) is multiplied by pos_weight; "
        "write log(sigmoid(z)) = -softplus(-z) to stay stable.",
        compare=_float32_close,
    )
