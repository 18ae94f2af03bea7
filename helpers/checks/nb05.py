"""Checkers for the exercises of notebook 05 (``05_training_on_mnist.ipynb``).

Every expected answer is computed by PyTorch (or by ``helpers.training``, itself checked
against the loop written out in notebook 05) at check time, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from helpers.checks.core import Case, Report, RuleBroken, compare_arrays, explain, run_cases
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


class _ArgmaxWatch(TorchFunctionMode):
    """Notes an argmax (or a max with ``dim``) taken over the wrong dimension of a tensor of
    the logits' shape: ``dim=0``, or no ``dim`` at all (argmax of the flattened tensor)."""

    def __init__(self, shape: torch.Size) -> None:
        super().__init__()
        self.shape = shape
        self.wrong = ""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if (name in ("argmax", "max") and not self.wrong and args
                and isinstance(args[0], torch.Tensor) and args[0].shape == self.shape):
            dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
            if dim is None and name == "argmax":
                self.wrong = ("without dim, argmax flattens the logits and returns one index "
                              "for the whole batch")
            elif isinstance(dim, int) and dim % len(self.shape) == 0:
                self.wrong = f"{name}(dim={dim}) gives one index per class, down each column"
        return func(*args, **kwargs)


def check_accuracy(candidate: Callable) -> Report:
    """Exercise 1: ``candidate(logits, targets)`` is the fraction of correct predictions.

    The call is watched: an argmax over the wrong dimension is named, whether it raises (a
    shape mismatch) or gives a wrong number.
    """
    inputs = [_logits_and_targets(seed, n, c) for seed, n, c in [(0, 8, 3), (1, 50, 10),
                                                                 (2, 1, 4), (3, 13, 2)]]
    inputs[1] = (inputs[1][0] * 200, inputs[1][1])  # exp overflows, even in float64
    logits, targets = _logits_and_targets(4, 6, 3)
    inputs.append((logits, logits.argmax(dim=1)))  # all right
    inputs.append((logits, (logits.argmax(dim=1) + 1) % 3))  # all wrong
    cases = []
    for z, y in inputs:
        right = (z.argmax(dim=1) == y).double()
        expected = right.mean()
        exps = torch.exp(z)
        mistakes = [
            (100 * expected, "that is a percentage: return a fraction between 0 and 1"),
            (right.sum(), "that is the number of right rows: divide by N"),
            (1 - expected, "that is the error rate: count the rows that are RIGHT"),
            ((z.argmin(dim=1) == y).double().mean(), "argmin: the prediction is the LARGEST "
             "logit (argmax)"),
        ]
        if expected < 1:
            mistakes.append((torch.floor(expected), "integer division: compute the fraction "
                             "as a float (e.g. .float().mean())"))
        for naive in (exps, torch.exp(z.double())):  # a softmax without the max, either dtype
            if not torch.isfinite(naive).all():
                picked = (naive / naive.sum(dim=1, keepdim=True)).argmax(dim=1)
                mistakes.append(((picked == y).double().mean(), "your softmax overflowed: "
                                 "exp(1000) is inf, inf / inf is nan, and argmax picks the "
                                 "nan; the argmax of the logits needs no softmax"))
        note = " (logits up to 2000: exp overflows)" if z.abs().max() > 1000 else ""
        cases.append(Case(f"logits of shape {tuple(z.shape)}, targets={y.tolist()}{note}",
                          (z, y), expected, mistakes=tuple(mistakes)))

    if not callable(candidate):
        raise TypeError(f"pass your function itself, not {type(candidate).__name__}")
    watches: list[_ArgmaxWatch] = []

    def watched(logits, targets):
        watch = _ArgmaxWatch(logits.shape)
        watches.append(watch)
        try:
            with watch:
                return candidate(logits, targets)
        except NotImplementedError:
            raise
        except Exception as error:  # a shape mismatch, most often: name its cause
            if watch.wrong:
                raise RuleBroken(_wrong_dimension(watch.wrong)) from error
            raise

    def fraction(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        if reason and watches and watches[-1].wrong:
            return _wrong_dimension(watches[-1].wrong)
        return explain(got, case, reason)

    return run_cases(
        "Exercise 1 (accuracy)",
        watched,
        cases,
        hint="compare logits.argmax(dim=1) with the targets and take the mean of the matches "
        "(as floats).",
        compare=fraction,
    )


def _wrong_dimension(what: str) -> str:
    return (f"argmax over the wrong dimension: {what}; the prediction of each row (one "
            "sample) is logits.argmax(dim=1)")


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
        (torch.tensor([0, 1, 1]), torch.tensor([0, 1, 1]), 4),
        (torch.randint(0, 10, (200,), generator=generator),
         torch.randint(0, 10, (200,), generator=generator), 10),
    ]
    cases = []
    for t, p, c in inputs:
        expected = _expected_confusion(t, p, c)
        once = torch.zeros(c, c, dtype=torch.long)
        once[t, p] = 1
        mistakes = (
            (expected.T, "rows and columns are swapped: row = true class, column = predicted"),
            (once, "m[targets, predictions] += 1 counts a repeated pair only once: use "
             "index_put_(..., accumulate=True), bincount, or a loop"),
            (expected.double() / expected.sum(dim=1, keepdim=True).clamp(min=1),
             "return counts, not fractions"),
        )
        unseen = sorted(set(range(c)) - set(t.tolist()) - set(p.tolist()))
        note = f" (classes {unseen} never seen: their rows and columns must be there)" \
            if unseen else ""
        cases.append(Case(
            f"targets={t.tolist()[:12]}{'...' if len(t) > 12 else ''}, "
            f"predictions={p.tolist()[:12]}{'...' if len(p) > 12 else ''}, num_classes={c}"
            f"{note}", (t, p, c), expected, mistakes=mistakes))

    def counts(got, case: Case) -> str:
        reason = compare_arrays(got, case.expected)
        c = case.args[2]
        if reason.startswith("expected shape") and np.shape(got) in ((c + 1, c + 1),
                                                                     (c - 1, c - 1)):
            return f"{reason}: off by one, the matrix is num_classes x num_classes"
        return explain(got, case, reason)

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
    cases = []
    for m in matrices:
        matrix = m.double()
        expected = torch.diag(matrix) / matrix.sum(dim=1)
        mistakes = (
            (torch.diag(matrix) / matrix.sum(dim=0), "you divided by the column sums "
             "(predictions); divide by the rows (truth)"),
            (torch.diag(m) // m.sum(dim=1), "integer division: convert the counts to float "
             "first"),
            (torch.diag(matrix) / matrix.sum(), "you divided by the grand total: divide by each "
             "row's total"),
            (torch.full_like(expected, (torch.trace(matrix) / matrix.sum()).item()),
             "that is the overall accuracy: one value per class, from its row"),
            (100 * expected, "that is a percentage: return fractions between 0 and 1"),
        )
        cases.append(Case(f"confusion=\n{m.numpy()}", (m,), expected, mistakes=mistakes))

    def recall(got, case: Case) -> str:
        return explain(got, case, compare_arrays(got, case.expected))

    return run_cases(
        "Exercise 3 (accuracy of each class)",
        candidate,
        cases,
        hint="the diagonal holds the correct predictions; each row sums to the number of "
        "examples of that true class.",
        compare=recall,
    )


def _epoch(model, loss_fn, optimizer, x, y, batch_size, generator, *, zero_grad=True,
           shuffle=True, drop_last=False, weighted=True, last_only=False) -> float:
    """One epoch as a learner might write it; the keywords switch on known mistakes."""
    order = torch.randperm(len(x), generator=generator) if shuffle else torch.arange(len(x))
    losses, sizes = [], []
    for first in range(0, len(x), batch_size):
        batch = order[first:first + batch_size]
        if drop_last and len(batch) < batch_size:
            break
        loss = loss_fn(model(x[batch]), y[batch])
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(batch))
    if not losses:
        return float("nan")
    if last_only:
        return losses[-1]
    if not weighted:
        return sum(losses) / len(losses)
    return sum(loss * size for loss, size in zip(losses, sizes, strict=True)) / sum(sizes)


_EPOCH_MISTAKES = [
    ({"zero_grad": False}, "gradients add up across batches: call optimizer.zero_grad() "
     "before each backward()"),
    ({"shuffle": False}, "visit the examples in the order torch.randperm(len(x), "
     "generator=generator), not 0, 1, 2, ..."),
    ({"drop_last": True}, "the last, smaller batch counts too"),
    ({"weighted": False}, "you averaged the batch losses: weight each by its batch size (the "
     "last batch may be smaller)"),
    ({"last_only": True}, "you returned the last batch's loss: return the mean over the epoch"),
]


def _one_epoch_case(description, n, num_features, num_classes, batch_size, make_optimizer, seed):
    """Identical models; the reference trains one, the learner's function another.

    Returns the case, the reference (parameters, loss), and a function that trains the
    known mistakes (run only when the learner's answer is wrong) and returns their
    (parameters, loss, message).
    """
    data = torch.Generator().manual_seed(100 + seed)
    x = torch.randn(n, num_features, generator=data)
    y = torch.randint(0, num_classes, (n,), generator=data)

    def fresh():
        torch.manual_seed(seed)
        model = NeuralNetMultiClassClassification(num_features, 6, num_classes)
        return model, make_optimizer(model.parameters())

    loss_fn = nn.CrossEntropyLoss()
    model, optimizer = fresh()
    reference_loss = train_epoch(
        model, loss_fn, optimizer, x, y, batch_size=batch_size,
        generator=torch.Generator().manual_seed(seed),
    )
    reference = ([p.detach().clone() for p in model.parameters()], reference_loss)

    def mistakes():
        outcomes = []
        for switches, message in _EPOCH_MISTAKES:
            model, optimizer = fresh()
            loss = _epoch(model, loss_fn, optimizer, x, y, batch_size,
                          torch.Generator().manual_seed(seed), **switches)
            outcomes.append(([p.detach().clone() for p in model.parameters()], loss, message))
        return outcomes

    model, optimizer = fresh()
    args = (model, loss_fn, optimizer, x, y, batch_size, torch.Generator().manual_seed(seed))
    return Case(description, args, reference_loss), reference, mistakes


def _same_parameters(model: nn.Module, parameters: list[torch.Tensor]) -> bool:
    return all(not compare_arrays(got, expected, rtol=1e-5, atol=1e-6)
               for got, expected in zip(model.parameters(), parameters, strict=True))


def check_train_one_epoch(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(model, loss_fn, optimizer, x, y, batch_size, generator)``.

    One epoch in the order ``torch.randperm(len(x), generator=generator)``; returns the
    mean loss over the examples (batch losses weighted by batch size). Checked on the
    returned loss and on every parameter after the epoch; the epochs that known mistakes
    give are run too, so that a wrong answer is named.
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
    outcomes_of = {id(case.args[0]): (reference, mistakes) for case, reference, mistakes in cases}

    def same_training(got, case: Case) -> str:
        if got is None:
            return "your function returned None (did you forget `return`?)"
        model = case.args[0]
        (parameters, loss), mistakes = outcomes_of[id(model)]
        right_parameters = _same_parameters(model, parameters)
        right_loss = not compare_arrays(got, loss, rtol=1e-5, atol=1e-7)
        if right_parameters and right_loss:
            return ""
        for mistake_parameters, mistake_loss, message in mistakes():
            if _same_parameters(model, mistake_parameters) and not compare_arrays(
                    got, mistake_loss, rtol=1e-5, atol=1e-7):
                return message
        if not right_parameters:
            return "the parameters after the epoch differ from one correct epoch"
        return "the parameters are right but the returned mean loss is not"

    return run_cases(
        "Exercise 4 (one training epoch)",
        candidate,
        [case for case, _, _ in cases],
        hint="order = torch.randperm(len(x), generator=generator); for each slice of "
        "batch_size: forward, loss, zero_grad, backward, step; weight each batch loss by "
        "its size.",
        compare=same_training,
    )
