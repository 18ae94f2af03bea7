"""Checkers of notebooks 02 and 03: realistic mistakes fail (see also test_exercises.py)."""

import numpy as np
import pytest

from helpers.checks import nb02, nb03
from helpers.numerics import log_softmax, softmax

NB03_EXERCISES = [
    (nb03.check_nll_loss, "nll_loss"),
    (nb03.check_weighted_cross_entropy, "weighted_cross_entropy"),
    (nb03.check_pixelwise_cross_entropy, "pixelwise_cross_entropy"),
    (nb03.check_smoothed_targets, "smoothed_targets"),
]


def naive_log_softmax(logits):
    return np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))


def picked(log_probs, targets):
    return log_probs[np.arange(len(targets)), targets]


def stable_log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.parametrize(
    ("check", "wrong_answer", "expected_in_text"),
    [
        # perplexity: naive softmax overflows, the sum instead of the mean, base 2
        (nb02.check_perplexity,
         lambda z, t: np.exp(-picked(naive_log_softmax(z), t).mean()), "❌"),
        (nb02.check_perplexity,
         lambda z, t: np.exp(-picked(stable_log_softmax(z), t).sum()), "values differ"),
        (nb02.check_perplexity,
         lambda z, t: 2 ** (-picked(stable_log_softmax(z), t).mean()), "values differ"),
        # KL: arguments swapped, no 0 log 0 convention, cross-entropy instead of KL
        (nb02.check_kl_divergence, lambda p, q: np.sum(q * np.log(q / p)), "❌"),
        (nb02.check_kl_divergence, lambda p, q: np.sum(p * np.log(p / q)), "❌"),
        (nb02.check_kl_divergence,
         lambda p, q: -np.sum(p[p > 0] * np.log(q[p > 0])), "values differ"),
        # gradient: no 1/N, wrong sign, naive softmax on extreme logits
        (nb02.check_cross_entropy_gradient, lambda z, y: softmax(z, axis=1) - y, "values differ"),
        (nb02.check_cross_entropy_gradient,
         lambda z, y: (y - softmax(z, axis=1)) / len(z), "values differ"),
        (nb02.check_cross_entropy_gradient,
         lambda z, y: (np.exp(z) / np.exp(z).sum(1, keepdims=True) - y) / len(z), "❌"),
        # logsumexp: naive overflow, max trick without the all -inf guard, lost axis
        (nb02.check_logsumexp, lambda z, axis=-1: np.log(np.exp(z).sum(axis=axis)), "❌"),
        (nb02.check_logsumexp,
         lambda z, axis=-1: np.squeeze(
             z.max(axis=axis, keepdims=True)
             + np.log(np.exp(z - z.max(axis=axis, keepdims=True)).sum(axis=axis, keepdims=True)),
             axis=axis), "First failing case: logits=\n[[  2. -inf   1.]"),
        (nb02.check_logsumexp,
         lambda z, axis=-1: z.max() + np.log(np.exp(z - z.max()).sum()), "❌"),
    ],
)
def test_nb02_wrong_answers_fail(check, wrong_answer, expected_in_text):
    with np.errstate(all="ignore"):
        report = check(wrong_answer)
    assert report.status == "failed"
    assert expected_in_text in str(report)


# ---- notebook 03 ----------------------------------------------------------------------

def naive_pixel_log_softmax(z):
    return np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))


def one_hot(targets, num_classes):
    return np.eye(num_classes)[targets]


@pytest.mark.parametrize(
    ("check", "wrong_answer", "expected_in_text"),
    [
        # NLL: the sum, no minus sign, an N x N matrix from log_probs[:, targets]
        (nb03.check_nll_loss, lambda lp, t: -lp[np.arange(len(t)), t].sum(), "values differ"),
        (nb03.check_nll_loss, lambda lp, t: lp[np.arange(len(t)), t].mean(), "values differ"),
        (nb03.check_nll_loss, lambda lp, t: -lp[:, t].mean(axis=0), "expected shape ()"),
        # weighted: divided by N, weights ignored, naive softmax on extreme logits
        (nb03.check_weighted_cross_entropy,
         lambda z, t, w: -(w[t] * picked(log_softmax(z, axis=1), t)).mean(), "values differ"),
        (nb03.check_weighted_cross_entropy,
         lambda z, t, w: -picked(log_softmax(z, axis=1), t).mean(), "values differ"),
        (nb03.check_weighted_cross_entropy,
         lambda z, t, w: -(w[t] * picked(naive_log_softmax(z), t)).sum() / w[t].sum(), "❌"),
        # per pixel: classes taken from the last axis, the mean instead of every pixel,
        # a naive softmax that overflows
        (nb03.check_pixelwise_cross_entropy,
         lambda z, t: -np.take_along_axis(log_softmax(z, axis=-1), t[:, None], axis=1)[:, 0],
         "❌"),
        (nb03.check_pixelwise_cross_entropy,
         lambda z, t: -np.take_along_axis(log_softmax(z, axis=1), t[:, None], axis=1).mean(),
         "expected shape"),
        (nb03.check_pixelwise_cross_entropy,
         lambda z, t: -np.take_along_axis(naive_pixel_log_softmax(z), t[:, None], axis=1)[:, 0],
         "❌"),
        # smoothing: eps spread over the C - 1 other classes, (1 - eps) forgotten, no eps / C
        (nb03.check_smoothed_targets,
         lambda t, c, e: (1 - e) * one_hot(t, c) + e / max(c - 1, 1) * (1 - one_hot(t, c)),
         "values differ"),
        (nb03.check_smoothed_targets, lambda t, c, e: one_hot(t, c) + e / c, "values differ"),
        (nb03.check_smoothed_targets, lambda t, c, e: (1 - e) * one_hot(t, c), "values differ"),
        (nb03.check_smoothed_targets, lambda t, c, e: np.full(c, 1 / c), "expected shape"),
    ],
)
def test_nb03_wrong_answers_fail(check, wrong_answer, expected_in_text):
    with np.errstate(all="ignore"):
        report = check(wrong_answer)
    assert report.status == "failed"
    assert expected_in_text in str(report)
