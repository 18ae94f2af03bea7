"""Checkers for the exercises of notebook 09 (``09_soft_targets.ipynb``).

Expected answers are computed at check time (PyTorch in float64 for the loss, NumPy for
the thresholds), never typed in. Each case also knows the answers that common mistakes
give (the T² factor forgotten, the temperature on one side only, the KL divergence for the
cross-entropy, a softmax where each label needs its own sigmoid, one threshold for every
label, the F1 score averaged along the wrong axis, ...), so a wrong answer is named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks.core import Case, Report, compare_arrays, explain, guarded, run_cases

__all__ = [
    "check_multi_label_predictions",
    "check_distillation_loss_np",
    "check_pick_thresholds",
    "check_thresholds_and_test_f1",
]


# ---- exercise 1 (warm-up): multi-label predictions ---------------------------------------

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def check_multi_label_predictions(candidate: Callable) -> Report:
    """Exercise 1 (warm-up): ``candidate(logits, thresholds)`` is ``sigmoid(logits) >= thresholds``
    for each label (a column of ``logits``) with its own threshold, as an (N, L) array."""
    rng = np.random.default_rng(90)
    inputs = [
        ("3 digits, 3 labels (a square array: thresholds go with the columns)",
         rng.normal(scale=2.0, size=(3, 3)), np.array([0.3, 0.5, 0.8])),
        ("6 digits, 3 labels", rng.normal(scale=2.0, size=(6, 3)), np.array([0.2, 0.6, 0.7])),
        ("a digit with every label on, logits of +-1000 (exp(1000) overflows to inf)",
         np.array([[3.0, 2.5, 1000.0], [-3.0, -1000.0, 1.0]]), np.array([0.5, 0.5, 0.5])),
        ("probabilities exactly at their threshold count as positive (>=)",
         np.array([[0.0, 0.0], [0.3, -1.0]]), np.array([0.5, 0.5])),
        ("10 digits, 4 labels", rng.normal(scale=3.0, size=(10, 4)),
         np.array([0.1, 0.4, 0.5, 0.9])),
    ]
    cases = []
    for name, logits, thresholds in inputs:
        with np.errstate(over="ignore", invalid="ignore"):
            probs = _sigmoid(logits)
            exps = np.exp(logits)
            overflowing = (exps / (1 + exps) >= thresholds).astype(float)
        expected = (probs >= thresholds).astype(np.float64)
        softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
        softmax /= softmax.sum(axis=1, keepdims=True)
        one_hot = np.eye(logits.shape[1])[logits.argmax(axis=1)]
        mistakes = [
            ((softmax >= thresholds).astype(float), "a softmax makes the labels compete (each "
             "row sums to 1): give each label its own sigmoid"),
            ((probs >= thresholds[0]).astype(float), "one threshold for every label: use "
             "thresholds[j] for label j"),
            ((logits >= thresholds).astype(float), "you compared the LOGITS with the "
             "thresholds: compare sigmoid(logits), the probabilities"),
            (one_hot, "argmax picks exactly one label per digit: that is multi-class; here "
             "each label is a separate yes/no"),
            ((probs >= 0.5).astype(float), "you used 0.5 for every label: use the given "
             "thresholds"),
            ((probs > thresholds).astype(float), "a probability equal to its threshold counts "
             "as positive: use >="),
            (overflowing, "exp(z) / (1 + exp(z)) is inf / inf = nan for a logit above 709, "
             "and nan >= t is False: write the sigmoid as 1 / (1 + exp(-z))"),
        ]
        if logits.shape[0] == logits.shape[1]:
            mistakes.append(((probs >= thresholds[:, None]).astype(float), "the thresholds "
                             "go with the labels (the columns), not with the digits (the "
                             "rows)"))
        cases.append(Case(name, (logits, thresholds), expected, mistakes=tuple(mistakes)))

    def same_decisions(got: Any, case: Case) -> str:
        if hasattr(got, "detach"):
            got = got.detach().cpu().numpy()
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return f"expected an array of 0/1 (or True/False), got {type(got).__name__}"
        if got.shape == case.expected.shape and not np.isin(got, (0.0, 1.0)).all():
            return ("your answer holds values other than 0 and 1: return the decisions "
                    "(probabilities >= thresholds), not the probabilities")
        return explain(got, case, compare_arrays(got, case.expected))

    return run_cases(
        "Exercise 1 (multi-label predictions)",
        candidate,
        cases,
        hint="probs = 1 / (1 + np.exp(-logits)); return probs >= thresholds "
             "(broadcasting puts thresholds[j] on column j).",
        compare=same_decisions,
    )


# ---- exercise 2: the distillation loss -------------------------------------------------

def _distillation(student, teacher, targets, temperature, weight, *, student_t=None,
                  teacher_t=None, factor=None, soft="ce", hard_t=1.0, reduction="mean",
                  soft_divisor=1.0):
    """The distillation loss, with every ingredient that a mistake can change."""
    student_t = temperature if student_t is None else student_t
    teacher_t = temperature if teacher_t is None else teacher_t
    factor = temperature**2 if factor is None else factor
    soft_targets = torch.softmax(teacher / teacher_t, dim=1)
    if soft == "logits":  # the teacher's logits passed as if they were probabilities
        soft_targets = teacher
    soft_loss = F.cross_entropy(student / student_t, soft_targets, reduction=reduction)
    if soft == "kl":
        log_p = torch.log_softmax(student / student_t, dim=1)
        soft_loss = F.kl_div(log_p, soft_targets, reduction="sum")
        if reduction == "mean":
            soft_loss = soft_loss / len(student)
    hard_loss = F.cross_entropy(student / hard_t, targets, reduction=reduction)
    return (weight * factor * soft_loss / soft_divisor + (1 - weight) * hard_loss).item()


def check_distillation_loss_np(candidate: Callable) -> Report:
    """Exercise 2: ``candidate(student_logits, teacher_logits, targets, temperature, weight)``,
    in NumPy, is ``weight * T² * CE(student / T, softmax(teacher / T)) + (1 - weight) *
    CE(student, y)``, averaged over the batch. PyTorch calls fail the check."""
    generator = torch.Generator().manual_seed(9)
    shapes = [(4, 3, 2.0, 0.7), (16, 10, 4.0, 0.5), (1, 5, 3.0, 0.9), (8, 10, 1.0, 0.3),
              (6, 4, 5.0, 1.0), (5, 10, 2.5, 0.0)]
    inputs = []
    for n, c, temperature, weight in shapes:
        student = torch.randn(n, c, generator=generator, dtype=torch.float64) * 2
        teacher = torch.randn(n, c, generator=generator, dtype=torch.float64) * 4
        targets = torch.randint(0, c, (n,), generator=generator)
        inputs.append((f"N={n}, C={c}, T={temperature}, weight={weight}",
                       (student, teacher, targets, temperature, weight)))
    huge = torch.tensor([[900.0, 0.0, -5.0], [0.0, 820.0, 3.0]], dtype=torch.float64)
    inputs.append(("logits of 900 (exp overflows above 709.78: subtract each row's max)",
                   (huge, huge.flip(1), torch.tensor([0, 2]), 2.0, 0.5)))
    cases = []
    for name, args in inputs:
        student, teacher, targets, temperature, weight = args

        def loss(*, _args=args, **kwargs):
            return _distillation(*_args, **kwargs)

        mistakes = (
            (loss(factor=1.0), "the T² factor is missing: multiply the soft term by T ** 2 "
             "(its gradients shrink like 1 / T²)"),
            (loss(factor=temperature), "you multiplied by T, not by T ** 2"),
            (loss(student_t=1.0), "the temperature is only on the teacher: divide the "
             "student's logits by T as well"),
            (loss(teacher_t=1.0), "the temperature is only on the student: soften the "
             "teacher's probabilities with T as well"),
            (loss(soft="kl"), "you computed the KL divergence: it is the cross-entropy minus "
             "the teacher's entropy (same gradients, other value): use the cross-entropy "
             "against the teacher's probabilities"),
            (_distillation(student, teacher, targets, temperature, 1 - weight),
             "the weights are swapped: `weight` multiplies the soft (teacher) term"),
            (loss(soft="logits"), "the teacher's logits are not probabilities: take "
             "softmax(teacher_logits / T) as the targets"),
            (loss(hard_t=temperature), "the hard-label term uses the plain logits, "
             "without the temperature"),
            (loss(reduction="sum"), "you summed over the batch: average it (the mean)"),
            (loss(soft_divisor=student.shape[1]), "you averaged the soft term over the "
             "classes too: sum q * log p over the classes, then average over the rows"),
        )
        numpy_args = (student.numpy(), teacher.numpy(), targets.numpy(), temperature, weight)
        cases.append(Case(name, numpy_args, loss(), mistakes=mistakes))
    return run_cases(
        "Exercise 2 (distillation loss in NumPy)",
        guarded(candidate, numpy_only=True),
        cases,
        hint="log_softmax(z) = z - max - log(sum(exp(z - max))); soft = mean over rows of "
             "-sum(q * log_softmax(s / T)); loss = w * T**2 * soft + (1 - w) * hard.",
        compare=lambda got, case: explain(got, case, compare_arrays(got, case.expected,
                                                                    rtol=1e-6)),
    )


# ---- exercise 3: per-label thresholds chosen on validation ------------------------------

def _f1(decisions: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    tp = (decisions & labels).sum(axis=axis)
    fp = (decisions & ~labels).sum(axis=axis)
    fn = (~decisions & labels).sum(axis=axis)
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)


def _f1_from_precision_and_recall(decisions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """2 P R / (P + R) per column: the same F1 in real arithmetic, but nan (0 / 0) where
    nothing is predicted positive or nothing is right."""
    tp = (decisions & labels).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / decisions.sum(axis=0)
        recall = tp / labels.sum(axis=0)
        return 2 * precision * recall / (precision + recall)


_NAN_F1 = ("your F1 is nan where no digit is predicted positive (precision = 0 / 0), and "
           "np.argmax picks a nan: use F1 = 2 TP / (2 TP + FP + FN), which is 0 there")


def _scores(probs, labels, candidates, score):
    """(len(candidates), L) scores of every candidate threshold for every label."""
    return np.stack([score(probs >= t, labels) for t in candidates])


def check_pick_thresholds(candidate: Callable) -> Report:
    """Exercise 3: ``candidate(probs, labels, candidates)`` returns, for each label (column),
    the candidate threshold with the highest F1 score (the first one on a tie)."""
    rng = np.random.default_rng(99)
    candidates = np.round(np.linspace(0.1, 0.9, 9), 2)
    cases = []
    for n, prevalence, noise in [(40, (0.5, 0.15, 0.85), 0.25), (60, (0.3, 0.6, 0.1), 0.3),
                                 (25, (0.2, 0.5, 0.7, 0.4), 0.35), (80, (0.1, 0.5, 0.1), 0.2)]:
        labels = rng.random((n, len(prevalence))) < np.array(prevalence)
        # a skewed model: the probabilities of some labels sit low (a rare label's
        # positives below 0.5), so F1 and accuracy prefer different thresholds
        shift = np.linspace(-0.3, 0.15, len(prevalence))
        probs = np.clip(0.5 + (labels - 0.5) * 0.6 + shift + rng.normal(0, noise, labels.shape),
                        0.01, 0.99)
        f1 = _scores(probs, labels, candidates, lambda d, y: _f1(d, y, axis=0))
        best = f1.argmax(axis=0)
        expected = candidates[best]
        accuracy = _scores(probs, labels, candidates, lambda d, y: (d == y).mean(axis=0))
        pooled = _f1((probs[None] >= candidates[:, None, None]).reshape(len(candidates), -1),
                     np.broadcast_to(labels.ravel(), (len(candidates), labels.size)), axis=1)
        mean_f1 = f1.mean(axis=1)
        per_sample = np.array([_f1(probs >= t, labels, axis=1).mean() for t in candidates])
        recall = _scores(probs, labels, candidates,
                         lambda d, y: (d & y).sum(axis=0) / np.maximum(y.sum(axis=0), 1))
        labels_count = labels.shape[1]
        mistakes = (
            (candidates[accuracy.argmax(axis=0)], "you chose by accuracy: choose each label's "
             "threshold by its F1 score"),
            (np.full(labels_count, candidates[pooled.argmax()]), "one threshold for every "
             "label: choose a threshold per label (column)"),
            (np.full(labels_count, candidates[mean_f1.argmax()]), "one threshold for every "
             "label: choose a threshold per label (column)"),
            (np.full(labels_count, candidates[per_sample.argmax()]), "you computed the F1 "
             "score per digit (along axis 1): count TP, FP, FN per label, over the digits "
             "(axis 0)"),
            (candidates[f1.argmin(axis=0)], "that is the LOWEST F1: take the argmax"),
            (best.astype(float), "you returned the index of the best threshold: return the "
             "threshold itself"),
            (f1.max(axis=0), "you returned the best F1 scores: return their thresholds"),
            (candidates[recall.argmax(axis=0)], "you maximised the recall, which calling "
             "everything positive wins: use the F1 score"),
            (candidates[_scores(probs, labels, candidates, _f1_from_precision_and_recall)
                        .argmax(axis=0)], _NAN_F1),
        )
        cases.append(Case(f"{n} digits, {labels_count} labels", (probs, labels, candidates),
                          expected, mistakes=mistakes))

    def per_label(got: Any, case: Case) -> str:
        expected = case.expected
        shape = np.shape(got) if got is not None else None
        if shape == (len(case.args[0]),) and len(case.args[0]) != len(expected):
            return ("you returned one threshold per digit: return one per label, chosen "
                    "with the F1 score of that label's column (axis 0)")
        if shape == ():
            return ("you returned one number: return one threshold per label (column)")
        return explain(got, case, compare_arrays(got, expected))

    return run_cases(
        "Exercise 3 (thresholds per label)",
        candidate,
        cases,
        hint="for each label j and threshold t: decisions = probs[:, j] >= t; "
             "F1 = 2 TP / (2 TP + FP + FN); keep the t with the largest F1.",
        compare=per_label,
    )


# ---- exercise 4: choose on validation, measure on test ---------------------------------

def _pick(probs: np.ndarray, labels: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    f1 = _scores(probs, labels, candidates, lambda d, y: _f1(d, y, axis=0))
    return candidates[f1.argmax(axis=0)]


def check_thresholds_and_test_f1(candidate: Callable) -> Report:
    """Exercise 4: ``candidate(val_probs, val_labels, test_probs, test_labels, candidates)``
    returns ``(thresholds, test_f1)``: the thresholds chosen per label on the validation
    rows (as exercise 3), and the F1 score of each label on the test rows at them."""
    rng = np.random.default_rng(909)
    candidates = np.round(np.linspace(0.1, 0.9, 9), 2)
    cases = []
    for n_val, n_test, prevalence in [(40, 60, (0.5, 0.2, 0.7)), (30, 50, (0.3, 0.6, 0.15)),
                                      (50, 40, (0.4, 0.25, 0.6, 0.5))]:
        shift = np.linspace(-0.25, 0.15, len(prevalence))
        splits = []
        for n in (n_val, n_test):
            labels = rng.random((n, len(prevalence))) < np.array(prevalence)
            probs = np.clip(0.5 + (labels - 0.5) * 0.5 + shift
                            + rng.normal(0, 0.3, labels.shape), 0.01, 0.99)
            splits.append((probs, labels))
        (val_probs, val_labels), (test_probs, test_labels) = splits
        chosen = _pick(val_probs, val_labels, candidates)
        peeked = _pick(test_probs, test_labels, candidates)

        def test_f1(thresholds, probs=test_probs, labels=test_labels):
            return _f1(probs >= thresholds, labels, axis=0)

        global_f1 = _scores(val_probs, val_labels, candidates,
                            lambda d, y: _f1(d, y, axis=0)).mean(axis=1)
        one = np.full(len(prevalence), candidates[global_f1.argmax()])
        pooled = _f1((test_probs >= chosen).ravel(), test_labels.ravel(), axis=0)
        nan_picked = candidates[_scores(val_probs, val_labels, candidates,
                                        _f1_from_precision_and_recall).argmax(axis=0)]
        expected = np.stack([chosen, test_f1(chosen)])
        mistakes = (
            (np.stack([peeked, test_f1(peeked)]), "you chose the thresholds on the TEST "
             "rows: choose them on validation, then measure the test split once"),
            (np.stack([chosen, _f1(val_probs >= chosen, val_labels, axis=0)]), "you "
             "reported the F1 on the validation rows: measure it on the test rows"),
            (np.stack([chosen, test_f1(0.5)]), "you measured the test F1 at 0.5: use the "
             "thresholds chosen on validation"),
            (np.stack([one, test_f1(one)]), "one threshold for every label: choose a "
             "threshold per label (column)"),
            (np.stack([test_f1(chosen), chosen]), "return (thresholds, test F1), in this "
             "order"),
            (np.stack([chosen, np.full(len(prevalence), pooled)]), "you pooled the labels "
             "into one F1: compute the F1 of each label (column)"),
            (np.stack([nan_picked, _f1_from_precision_and_recall(test_probs >= nan_picked,
                                                                 test_labels)]), _NAN_F1),
        )
        cases.append(Case(f"{n_val} validation and {n_test} test digits, {len(prevalence)} "
                          "labels", (val_probs, val_labels, test_probs, test_labels,
                                     candidates), expected, mistakes=mistakes))
    return run_cases(
        "Exercise 4 (choose on validation, measure on test)",
        candidate,
        cases,
        hint="thresholds = pick_thresholds(val_probs, val_labels, candidates); then the F1 "
             "of each column of test_probs >= thresholds against test_labels.",
    )
