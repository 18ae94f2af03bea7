"""Checkers of notebook 05: realistic wrong answers fail (see also test_exercises.py)."""

import pytest
import torch

from helpers.checks import nb05
from helpers.notebook_import import load_notebook_definitions

SOLUTIONS = load_notebook_definitions("solutions/05_training_on_mnist")



def confusion_transposed(targets, predictions, num_classes):
    return SOLUTIONS.confusion_matrix(predictions, targets, num_classes)


def confusion_sized_by_data(targets, predictions, num_classes):
    size = int(max(targets.max(), predictions.max())) + 1
    return SOLUTIONS.confusion_matrix(targets, predictions, size)


def epoch_in_order(model, loss_fn, optimizer, x, y, batch_size, generator):
    """Forgets to shuffle."""
    total = 0.0
    for first in range(0, len(x), batch_size):
        loss = loss_fn(model(x[first : first + batch_size]), y[first : first + batch_size])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x[first : first + batch_size])
    return total / len(x)


def epoch_without_zero_grad(model, loss_fn, optimizer, x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    total = 0.0
    for first in range(0, len(x), batch_size):
        batch = order[first : first + batch_size]
        loss = loss_fn(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / len(x)


def epoch_unweighted_mean(model, loss_fn, optimizer, x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    losses = []
    for first in range(0, len(x), batch_size):
        batch = order[first : first + batch_size]
        loss = loss_fn(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


@pytest.mark.parametrize(
    ("check", "wrong_answer", "expected_in_text"),
    [
        (nb05.check_accuracy, lambda z, y: 100 * (z.argmax(1) == y).float().mean(),
         "that is a percentage"),
        (nb05.check_accuracy, lambda z, y: (z.argmax(1) == y).sum(), "values differ"),
        (nb05.check_accuracy, lambda z, y: (z.argmax(0)[: len(y)] == y).float().mean(), "❌"),
        (nb05.check_confusion_matrix, confusion_transposed, "rows and columns are swapped"),
        (nb05.check_confusion_matrix, confusion_sized_by_data, "expected shape (4, 4)"),
        (nb05.check_per_class_accuracy,
         lambda m: torch.diag(m).double() / m.sum(dim=0).double(), "divided by the column sums"),
        (nb05.check_per_class_accuracy,
         lambda m: torch.diag(m).double() / m.sum().double(), "values differ"),
        (nb05.check_train_one_epoch, epoch_in_order, "parameters after the epoch differ"),
        (nb05.check_train_one_epoch, epoch_without_zero_grad, "parameters after the epoch differ"),
        (nb05.check_train_one_epoch, epoch_unweighted_mean, "returned mean loss is not"),
    ],
)
def test_wrong_answers_fail(check, wrong_answer, expected_in_text):
    report = check(wrong_answer)
    assert report.status == "failed"
    assert expected_in_text in str(report)
