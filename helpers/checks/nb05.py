"""Checkers for the exercises of notebook 05 (``05_training_on_mnist.ipynb``).

Every expected answer is computed by PyTorch (or by ``helpers.training``, itself checked
against the loop written out in notebook 05) at check time, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from helpers.checks.core import Case, Report, compare_arrays, run_cases
from helpers.models import NeuralNetMultiClassClassification
from helpers.training import train_epoch

__all__ = [
    "check_accuracy",
    "check_confusion_matrix",
    "check_per_class_accuracy",
    "check_train_one_epoch",
]


def _logits_and_targets(seed: int, n: int, num_classes: int):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, num_classes, generator=generator) * 3
    targets = torch.randint(0, num_classes, (n,), generator=generator)
    return logits, targets


def check_accuracy(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(logits, targets)`` is the fraction of correct predictions."""
    inputs = [_logits_and_targets(seed, n, c) for seed, n, c in [(0, 8, 3), (1, 50, 10),
                                                                 (2, 1, 4), (3, 13, 2)]]
    logits, targets = _logits_and_targets(4, 6, 3)
    inputs.append((logits, logits.argmax(dim=1)))  # all right
    inputs.append((logits, (logits.argmax(dim=1) + 1) % 3))  # all wrong
    cases = [
        Case(f"logits of shape {tuple(z.shape)}, targets={y.tolist()}", (z, y),
             (z.argmax(dim=1) == y).double().mean())
        for z, y in inputs
    ]

    def fraction(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        if reason == "values differ" and np.isclose(float(got), 100 * float(case.expected)):
            return "that is a percentage: return a fraction between 0 and 1"
        return reason

    return run_cases(
        "Exercise 1 (accuracy)",
        candidate,
        cases,
        hint="compare logits.argmax(dim=1) with the targets and take the mean of the matches "
        "(as floats).",
        compare=fraction,
    )


def _expected_confusion(targets: torch.Tensor, predictions: torch.Tensor, num_classes: int):
    flat = targets * num_classes + predictions
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def check_confusion_matrix(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(targets, predictions, num_classes)`` -> counts (C, C).

    Row = true class, column = predicted class.
    """
    generator = torch.Generator().manual_seed(5)
    inputs = [
        (torch.tensor([0, 1, 2, 2]), torch.tensor([0, 2, 2, 1]), 3),
        (torch.tensor([0, 0, 1]), torch.tensor([1, 1, 1]), 2),
        (torch.tensor([0, 1]), torch.tensor([0, 1]), 4),  # classes 2, 3 never seen
        (torch.randint(0, 10, (200,), generator=generator),
         torch.randint(0, 10, (200,), generator=generator), 10),
    ]
    cases = [
        Case(f"targets={t.tolist()[:12]}{'...' if len(t) > 12 else ''}, "
             f"predictions={p.tolist()[:12]}{'...' if len(p) > 12 else ''}, num_classes={c}",
             (t, p, c), _expected_confusion(t, p, c))
        for t, p, c in inputs
    ]

    def counts(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        if reason == "values differ" and not compare_arrays(got, case.expected.T):
            return "rows and columns are swapped: row = true class, column = predicted"
        return reason

    return run_cases(
        "Exercise 2 (confusion matrix)",
        candidate,
        cases,
        hint="start from zeros (num_classes, num_classes) and add 1 at [true, predicted] for "
        "each example.",
        compare=counts,
    )


def check_per_class_accuracy(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(confusion)`` -> for each true class, the fraction predicted right."""
    generator = torch.Generator().manual_seed(6)
    matrices = [
        torch.tensor([[8, 2], [1, 9]]),
        torch.tensor([[50, 0, 0], [3, 45, 2], [0, 10, 40]]),
        torch.tensor([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 4]]),
        torch.randint(0, 20, (10, 10), generator=generator) + 30 * torch.eye(10, dtype=torch.long),
    ]
    cases = [
        Case(f"confusion=\n{m.numpy()}", (m,), torch.diag(m).double() / m.sum(dim=1).double())
        for m in matrices
    ]

    def recall(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        matrix = case.args[0].double()
        precision = torch.diag(matrix) / matrix.sum(dim=0)
        if reason == "values differ" and not compare_arrays(got, precision):
            return "you divided by the column sums (predictions); divide by the rows (truth)"
        return reason

    return run_cases(
        "Exercise 3 (accuracy of each class)",
        candidate,
        cases,
        hint="the diagonal holds the correct predictions; each row sums to the number of "
        "examples of that true class.",
        compare=recall,
    )


def _one_epoch_case(description, n, num_features, num_classes, batch_size, make_optimizer, seed):
    """Two identical models; the reference trains one, the learner's function the other."""
    data = torch.Generator().manual_seed(100 + seed)
    x = torch.randn(n, num_features, generator=data)
    y = torch.randint(0, num_classes, (n,), generator=data)
    models, optimizers = [], []
    for _ in range(2):
        torch.manual_seed(seed)
        model = NeuralNetMultiClassClassification(num_features, 6, num_classes)
        models.append(model)
        optimizers.append(make_optimizer(model.parameters()))
    loss_fn = nn.CrossEntropyLoss()
    reference_loss = train_epoch(
        models[0], loss_fn, optimizers[0], x, y, batch_size=batch_size,
        generator=torch.Generator().manual_seed(seed),
    )
    trained = [p.detach().clone() for p in models[0].parameters()]
    args = (models[1], loss_fn, optimizers[1], x, y, batch_size,
            torch.Generator().manual_seed(seed))
    return Case(description, args, reference_loss), trained


def check_train_one_epoch(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(model, loss_fn, optimizer, x, y, batch_size, generator)``.

    One epoch in the order ``torch.randperm(len(x), generator=generator)``; returns the
    mean loss over the examples (batch losses weighted by batch size). Checked on the
    returned loss and on every parameter after the epoch.
    """
    sgd = lambda params: torch.optim.SGD(params, lr=0.1)  # noqa: E731
    adam = lambda params: torch.optim.Adam(params, lr=0.01)  # noqa: E731
    cases = [
        _one_epoch_case("32 examples, batch_size=8, SGD", 32, 5, 3, 8, sgd, 0),
        _one_epoch_case("30 examples, batch_size=8 (last batch of 6), SGD", 30, 5, 3, 8, sgd, 1),
        _one_epoch_case("20 examples, batch_size=64 (one batch), Adam", 20, 4, 2, 64, adam, 2),
        _one_epoch_case("50 examples, batch_size=16 (last batch of 2), Adam", 50, 6, 4, 16,
                        adam, 3),
    ]

    trained_parameters = {id(case.args[0]): trained for case, trained in cases}

    def same_training(got, case: Case) -> str:
        expected_loss, expected_parameters = case.expected, trained_parameters[id(case.args[0])]
        if got is None:
            return "your function returned None (did you forget `return`?)"
        model = case.args[0]
        for got_p, expected_p in zip(model.parameters(), expected_parameters, strict=True):
            if compare_arrays(got_p, expected_p, rtol=1e-5, atol=1e-6):
                return "the parameters after the epoch differ from one correct epoch"
        if compare_arrays(got, expected_loss, rtol=1e-5, atol=1e-7):
            return "the parameters are right but the returned mean loss is not"
        return ""

    return run_cases(
        "Exercise 4 (one training epoch)",
        candidate,
        [case for case, _ in cases],
        hint="order = torch.randperm(len(x), generator=generator); for each slice of "
        "batch_size: forward, loss, zero_grad, backward, step; weight each batch loss by "
        "its size.",
        compare=same_training,
    )
