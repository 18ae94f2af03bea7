"""Checkers of notebook 04: realistic wrong answers fail (see also test_exercises.py)."""

import pytest
import torch
import torch.nn.functional as F

from helpers.checks import nb04


def naive_bce(z, y):
    p = torch.sigmoid(z)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def forward_without_softmax(model, x):
    with torch.no_grad():
        return model(x)


@pytest.mark.parametrize(
    ("check", "wrong_answer", "expected_in_text"),
    [
        # weights only, no biases
        (nb04.check_count_parameters,
         lambda m: sum(p.numel() for n, p in m.named_parameters() if "weight" in n), "wrong count"),
        # number of parameter tensors instead of numbers
        (nb04.check_count_parameters, lambda m: len(list(m.parameters())), "wrong count"),
        (nb04.check_predict_proba, forward_without_softmax, "values differ"),
        (nb04.check_predict_proba,
         lambda m, x: torch.softmax(m(x), dim=0).detach(), "values differ"),
        (nb04.check_predict_proba, lambda m, x: torch.sigmoid(m(x)).detach(), "values differ"),
        # the textbook formula: inf / nan for extreme logits
        (nb04.check_bce_with_logits, naive_bce, "First failing case: large logits"),
        # BCELoss on the sigmoid: clamped at 100
        (nb04.check_bce_with_logits, lambda z, y: F.binary_cross_entropy(torch.sigmoid(z), y),
         "First failing case: large logits"),
        # sum instead of mean
        (nb04.check_bce_with_logits,
         lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="sum"), "values differ"),
        # weight on the negatives
        (nb04.check_weighted_bce_with_logits,
         lambda z, y, w: -(y * F.logsigmoid(z) + w * (1 - y) * F.logsigmoid(-z)).mean(), "❌"),
        # weight on every example
        (nb04.check_weighted_bce_with_logits,
         lambda z, y, w: w * F.binary_cross_entropy_with_logits(z, y), "values differ"),
        # weight ignored
        (nb04.check_weighted_bce_with_logits,
         lambda z, y, w: F.binary_cross_entropy_with_logits(z, y), "values differ"),
    ],
)
def test_wrong_answers_fail(check, wrong_answer, expected_in_text):
    report = check(wrong_answer)
    assert report.status == "failed"
    assert expected_in_text in str(report)
