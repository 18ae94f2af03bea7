"""Checkers of notebooks 02 and 03: solutions pass, skeletons are 'not done', mistakes fail."""

import numpy as np
import pytest

from helpers.checks import nb02
from helpers.notebook_import import load_notebook_definitions
from helpers.numerics import softmax

LESSON02 = load_notebook_definitions("02_cross_entropy")
SOLUTIONS02 = load_notebook_definitions("solutions/02_cross_entropy")

NB02_EXERCISES = [
    (nb02.check_perplexity, "perplexity"),
    (nb02.check_kl_divergence, "kl_divergence"),
    (nb02.check_cross_entropy_gradient, "cross_entropy_gradient"),
    (nb02.check_logsumexp, "logsumexp"),
]


@pytest.mark.parametrize(("check", "name"), NB02_EXERCISES)
def test_nb02_solution_passes(check, name):
    report = check(getattr(SOLUTIONS02, name))
    assert report.ok, str(report)
    assert report.total >= 5


@pytest.mark.parametrize(("check", "name"), NB02_EXERCISES)
def test_nb02_skeleton_is_not_done(check, name):
    assert check(getattr(LESSON02, name)).status == "not done"


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
