"""A catalogue of plausible wrong answers for every exercise, each one rejected with a
message that points at the mistake.

``CATALOGUE[(notebook, exercise)]`` lists ``(mistake, function, words)``: the check of that
exercise must fail ``function`` and its verdict, hint line excluded, must contain
``words``. (That every solution passes is tested in ``test_exercises.py``.)
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_checks_nb08 import CATALOGUE as NB08_ENTRIES
from test_exercises import EXERCISES
from test_wrong_answers_nb10 import CATALOGUE as NB10_ENTRIES
from test_wrong_answers_nb11 import CATALOGUE as NB11_ENTRIES
from torch import nn


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The cases are tiny: one thread is faster than a pool fighting for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- notebook 01 ----------------------------------------------------------------------


def _exps_over_sum(shifted, axis=-1):
    exps = np.exp(shifted)
    return exps / exps.sum(axis=axis, keepdims=True)


def temperature_loop_free_but_naive(z, t):
    return _exps_over_sum(z / t)


def temperature_minus_min(z, t):
    return _exps_over_sum(z / t - (z / t).min())


def temperature_minus_mean(z, t):
    return _exps_over_sum(z / t - (z / t).mean())


def temperature_minus_first(z, t):
    return _exps_over_sum(z / t - (z / t)[0])


def temperature_times_t(z, t):
    return _exps_over_sum(z * t - (z * t).max())


def temperature_after_exp(z, t):
    exps = np.exp(z - z.max()) / t
    return exps / exps.sum()


def temperature_divide_by_max(z, t):
    exps = np.exp(z / t - (z / t).max())
    return exps / exps.max()


def temperature_sigmoid(z, t):
    return 1 / (1 + np.exp(-z / t))


def temperature_log_softmax(z, t):
    shifted = z / t - (z / t).max()
    return shifted - np.log(np.exp(shifted).sum())


def batch_axis_0(z):
    return _exps_over_sum(z - z.max(axis=0, keepdims=True), axis=0)


def batch_no_keepdims(z):
    exps = np.exp(z - z.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1)


def batch_global_sum(z):
    exps = np.exp(z - z.max(axis=1, keepdims=True))
    return exps / exps.sum()


def batch_naive(z):
    return _exps_over_sum(z, axis=1)


def batch_global_max(z):
    return _exps_over_sum(z - z.max(), axis=1)


def batch_max_over_columns(z):
    return _exps_over_sum(z - z.max(axis=0), axis=1)


def batch_loop(z):
    rows = []
    for row in z:
        exps = np.exp(row - row.max())
        rows.append(exps / exps.sum())
    return np.array(rows)


def batch_comprehension(z):
    return np.array([np.exp(r - r.max()) / np.exp(r - r.max()).sum() for r in z])


def batch_apply_along_axis(z):
    return np.apply_along_axis(lambda r: np.exp(r - r.max()) / np.exp(r - r.max()).sum(), 1, z)


def batch_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def masked_naive(z, m):
    return _exps_over_sum(np.where(m, z, -np.inf) - np.where(m, z, -np.inf).max(-1, keepdims=True))


def masked_after_softmax(z, m):
    return _exps_over_sum(z - z.max(-1, keepdims=True)) * m


def masked_after_softmax_renormalised(z, m):
    probs = _exps_over_sum(z - z.max(-1, keepdims=True)) * m
    return probs / probs.sum(-1, keepdims=True)


def masked_with_zero_logits(z, m):
    masked = np.where(m, z, 0.0)
    return _exps_over_sum(masked - masked.max(-1, keepdims=True))


def masked_inverted(z, m):
    masked = np.where(m, -np.inf, z)
    top = masked.max(-1, keepdims=True)
    exps = np.exp(masked - np.where(np.isfinite(top), top, 0.0))
    sums = exps.sum(-1, keepdims=True)
    return np.divide(exps, sums, out=np.zeros_like(exps), where=sums > 0)


def masked_minus_1e9(z, m):
    masked = np.where(m, z, -1e9)
    return _exps_over_sum(masked - masked.max(-1, keepdims=True))


def masked_global_max(z, m):
    masked = np.where(m, z, -np.inf)
    exps = np.exp(masked - masked[np.isfinite(masked)].max())
    sums = exps.sum(-1, keepdims=True)
    return np.divide(exps, sums, out=np.zeros_like(exps), where=sums > 0)


NB01 = {
    ("01", "softmax_with_temperature"): [
        ("no max subtracted", temperature_loop_free_but_naive, "exp(1000) overflows"),
        ("subtracts the min", temperature_minus_min, "anything but the max"),
        ("subtracts the mean", temperature_minus_mean, "anything but the max"),
        ("subtracts the first logit", temperature_minus_first, "anything but the max"),
        ("multiplies by T", temperature_times_t, "you multiplied by the temperature"),
        ("T applied after the exp (cancels out)", temperature_after_exp, "no effect"),
        ("divides by the max, not the sum", temperature_divide_by_max, "must sum to 1"),
        ("sigmoid for softmax", temperature_sigmoid, "sigmoid of each logit"),
        ("returns log-probabilities", temperature_log_softmax, "log-probabilities"),
    ],
    ("01", "batch_softmax"): [
        ("axis 0", batch_axis_0, "each ROW is one sample"),
        ("no keepdims", batch_no_keepdims, "broadcast"),
        ("one sum for the whole array", batch_global_sum, "each row must sum to 1"),
        ("no max subtracted", batch_naive, "exp overflows above 709.78"),
        ("one global max", batch_global_max, "one max per row"),
        ("max over columns", batch_max_over_columns, "one max per row"),
        ("a for loop over the rows", batch_loop, "no Python loop"),
        ("a list comprehension", batch_comprehension, "comprehension"),
        ("np.apply_along_axis", batch_apply_along_axis, "loop in disguise"),
        ("sigmoid for softmax", batch_sigmoid, "sigmoid of each logit"),
    ],
    ("01", "logits_from_probs"): [
        ("returns probs", lambda p: p, "softmax(your logits) does not give back probs"),
        ("log base 2", np.log2, "log base 2"),
        ("log base 10", np.log10, "log base 10"),
        ("log of probabilities clipped at 1e-7", lambda p: np.log(np.clip(p, 1e-7, 1.0)),
         "an epsilon added to probs (or a clip)"),
        ("log(probs + 1e-9)", lambda p: np.log(p + 1e-9), "changes a probability of 1e-30"),
        ("wrong sign", lambda p: -np.log(p), "wrong sign"),
        ("exp instead of log", np.exp, "does not give back probs"),
        ("drops a class", lambda p: np.log(p[:-1]), "shape"),
        ("the binary logit log(p / (1 - p))", lambda p: np.log(p / (1 - p)),
         "does not give back probs"),
    ],
    ("01", "masked_softmax"): [
        ("no care for fully masked rows", masked_naive, "every class masked"),
        ("mask after the softmax", masked_after_softmax, "AFTER the softmax"),
        ("mask after the softmax, renormalised", masked_after_softmax_renormalised,
         "mask BEFORE the softmax"),
        ("masked logits set to 0", masked_with_zero_logits, "a masked logit of 0"),
        ("True read as masked", masked_inverted, "True means allowed"),
        ("-1e9 instead of -inf", masked_minus_1e9, "must be all zeros, not uniform"),
        ("one global max", masked_global_max, "one max per row"),
    ],
}


# ---- notebook 02 ----------------------------------------------------------------------


def _log_softmax(z, axis=1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax(z, axis=1):
    return _exps_over_sum(z - z.max(axis=axis, keepdims=True), axis=axis)


def _picked(log_probs, targets):
    return log_probs[np.arange(len(targets)), targets]


def perplexity_softmax_then_log(z, t):
    return np.exp(-np.log(_picked(_softmax(z), t)).mean())


def perplexity_clipped(z, t):
    return np.exp(-np.log(np.clip(_picked(_softmax(z), t), 1e-300, 1.0)).mean())


def perplexity_naive(z, t):
    return np.exp(-_picked(np.log(_exps_over_sum(z, axis=1)), t).mean())


def gradient_by_autograd(z, y):
    logits = torch.tensor(z, requires_grad=True)
    F.cross_entropy(logits, torch.tensor(y)).backward()
    return logits.grad.numpy()


def gradient_by_autograd_grad(z, y):
    logits = torch.tensor(z).requires_grad_()
    (grad,) = torch.autograd.grad(F.cross_entropy(logits, torch.tensor(y)), logits)
    return grad.numpy()


def gradient_through_a_tensor_that_requires_grad(z, y):
    logits = torch.tensor(z, requires_grad=True)
    return ((torch.softmax(logits, dim=1) - torch.tensor(y)) / len(z)).detach().numpy()


def kl_as_cross_entropy_minus_entropy(p, q):
    return -np.sum(p * np.log(q)) + np.sum(p * np.log(p))


def kl_with_epsilon(p, q, eps=1e-12):
    support = p > 0
    return np.sum(p[support] * np.log(p[support] / (q[support] + eps)))


def _lse(z, axis):
    top = np.max(z, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.squeeze(top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True)), axis=axis)


def _lse_no_inf_care(z, axis):
    top = np.max(z, axis=axis, keepdims=True)
    return np.squeeze(top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True)), axis=axis)


NB02 = {
    ("02", "perplexity"): [
        ("softmax, then log", perplexity_softmax_then_log, "softmax underflows to 0"),
        ("probabilities clipped at 1e-300", perplexity_clipped, "softmax underflows to 0"),
        ("no max subtracted", perplexity_naive, "exp overflows"),
        ("returns the mean loss", lambda z, t: -_picked(_log_softmax(z), t).mean(),
         "perplexity is its exp"),
        ("sum instead of mean", lambda z, t: np.exp(-_picked(_log_softmax(z), t).sum()),
         "you summed the losses"),
        ("mean of per-sample perplexities",
         lambda z, t: np.exp(-_picked(_log_softmax(z), t)).mean(), "mean of the exps"),
        ("2 ** (mean loss in nats)", lambda z, t: 2 ** (-_picked(_log_softmax(z), t).mean()),
         "needs the loss in bits"),
        ("log base 2, then exp",
         lambda z, t: np.exp(-_picked(_log_softmax(z), t).mean() / np.log(2)), "log base 2"),
        ("log_softmax over axis 0", lambda z, t: np.exp(-_picked(_log_softmax(z, 0), t).mean()),
         "axis=0"),
        ("log_probs[:, targets]", lambda z, t: np.exp(-_log_softmax(z)[:, t].mean()),
         "N x N block"),
        ("off-by-one target", lambda z, t: np.exp(-_picked(_log_softmax(z), t - 1).mean()),
         "neighbouring class"),
    ],
    ("02", "kl_divergence"): [
        ("KL(q || p)", lambda p, q: np.sum(q * np.log(q / p)), "KL(q || p)"),
        ("no 0 log 0 convention", lambda p, q: np.sum(p * np.log(p / q)), "0 * ln 0 = 0"),
        ("cross-entropy minus entropy, no 0 log 0 convention",
         kl_as_cross_entropy_minus_entropy, "0 * ln 0 = 0"),
        ("epsilon added to q", kl_with_epsilon, "an epsilon added to q"),
        ("q clipped at 1e-12", lambda p, q: kl_with_epsilon(p, np.clip(q, 1e-12, 1), eps=0.0),
         "an epsilon added to q"),
        ("log(q / p)", lambda p, q: np.sum(p[p > 0] * np.log(q[p > 0] / p[p > 0])),
         "wrong sign"),
        ("log base 2", lambda p, q: np.sum(p[p > 0] * np.log2(p[p > 0] / q[p > 0])),
         "log base 2"),
        ("cross-entropy instead", lambda p, q: -np.sum(p * np.log(q)), "cross-entropy H(p, q)"),
        ("mean over classes", lambda p, q: np.sum(p[p > 0] * np.log(p[p > 0] / q[p > 0]))
         / len(p), "averaged over the classes"),
    ],
    ("02", "cross_entropy_gradient"): [
        ("forgets 1/N", lambda z, y: _softmax(z) - y, "1/N"),
        ("wrong sign", lambda z, y: (y - _softmax(z)) / len(z), "wrong sign"),
        ("divides by C", lambda z, y: (_softmax(z) - y) / z.shape[1], "divided by C"),
        ("softmax over axis 0", lambda z, y: (_softmax(z, 0) - y) / len(z), "axis=0"),
        ("sigmoid for softmax", lambda z, y: (1 / (1 + np.exp(-z)) - y) / len(z), "sigmoid"),
        ("argmax of the targets", lambda z, y: (_softmax(z) - np.eye(z.shape[1])[y.argmax(1)])
         / len(z), "not necessarily one-hot"),
        ("naive softmax", lambda z, y: (_exps_over_sum(z, axis=1) - y) / len(z),
         "stable softmax"),
        ("autograd", gradient_by_autograd, "no autograd, but your function used it "
         "(Tensor.backward)"),
        ("autograd via torch.autograd.grad", gradient_by_autograd_grad,
         "(torch.autograd.grad)"),
        ("a tensor that requires grad", gradient_through_a_tensor_that_requires_grad,
         "(torch.tensor(..., requires_grad=True))"),
    ],
    ("02", "logsumexp"): [
        ("naive", lambda z, axis=-1: np.log(np.exp(z).sum(axis=axis)), "exp(1000) overflows"),
        ("forgets to add the max back", lambda z, axis=-1: np.log(np.exp(
            z - z.max(axis=axis, keepdims=True)).sum(axis=axis)), "add the max back"),
        ("one global max", lambda z, axis=-1: z.max() + np.log(np.exp(z - z.max()).sum(axis)),
         "one max per row"),
        ("ignores axis", lambda z, axis=-1: _lse(z, -1), "use axis=0"),
        ("no keepdims", lambda z, axis=-1: z.max(axis) + np.log(np.exp(z - z.max(axis)).sum(
            axis)), "broadcast"),
        ("all -inf row gives nan", lambda z, axis=-1: _lse_no_inf_care(z, axis), "not nan"),
        ("log base 2", lambda z, axis=-1: _lse(z, axis) / np.log(2), "log base 2"),
        ("reduces everything", lambda z, axis=-1: _lse(z.ravel(), -1), "drop that axis"),
    ],
}



# ---- notebook 03 ----------------------------------------------------------------------


def weighted_ce(z, t, w, log_probs=None, denominator=None):
    log_probs = _log_softmax(z) if log_probs is None else log_probs
    losses = -w[t] * _picked(log_probs, t)
    return losses.sum() / (w[t].sum() if denominator is None else denominator)


def weighted_ce_softmax_then_log(z, t, w):
    return weighted_ce(z, t, w, log_probs=np.log(_softmax(z)))


def weighted_ce_clipped(z, t, w):
    return weighted_ce(z, t, w, log_probs=np.log(np.clip(_softmax(z), 1e-300, 1)))


def weighted_ce_with_torch(z, t, w):
    return F.cross_entropy(torch.tensor(z), torch.tensor(t), weight=torch.tensor(w)).item()


def cross_entropy_from_scratch(logits, targets, weight=None):  # the lesson's own function
    return weighted_ce(logits, targets, np.ones(logits.shape[1]) if weight is None else weight)


def weighted_ce_from_scratch(z, t, w):
    return cross_entropy_from_scratch(z, t, weight=w)


def pixel_log_probs(z, axis=1):
    return _log_softmax(z, axis=axis)


def pixelwise(z, t, log_probs=None):
    log_probs = pixel_log_probs(z) if log_probs is None else log_probs
    return -np.take_along_axis(log_probs, t[:, None], axis=1)[:, 0]


def pixelwise_reshaped(z, t):
    flat = _log_softmax(z.reshape(-1, z.shape[1]))
    return -flat[np.arange(t.size), t.ravel()].reshape(t.shape)


def pixelwise_naive(z, t):
    return pixelwise(z, t, np.log(_exps_over_sum(z, axis=1)))


def pixelwise_softmax_then_log(z, t):
    return pixelwise(z, t, np.log(_exps_over_sum(z - z.max(1, keepdims=True), axis=1)))


def pixelwise_with_torch(z, t):
    return F.cross_entropy(torch.tensor(z), torch.tensor(t), reduction="none").numpy()


def smoothed(t, c, eps, one_hot=None):
    one_hot = np.eye(c)[t] if one_hot is None else one_hot
    return (1 - eps) * one_hot + eps / c


NB03 = {
    ("03", "nll_loss"): [
        ("log_probs[:, targets]", lambda lp, t: -lp[:, t].mean(), "N x N block"),
        ("mean over axis 0 of log_probs[:, targets]", lambda lp, t: -lp[:, t].mean(axis=0),
         "expected shape ()"),
        ("sum instead of mean", lambda lp, t: -_picked(lp, t).sum(), "you summed"),
        ("no minus sign", lambda lp, t: _picked(lp, t).mean(), "wrong sign"),
        ("off-by-one target", lambda lp, t: -_picked(lp, t + 1 - lp.shape[1] * (t + 1 >= lp.shape[
            1])).mean(), "neighbouring class"),
        ("mean of every entry", lambda lp, t: -lp.mean(), "averaged every entry"),
        ("exponentiates", lambda lp, t: -np.exp(_picked(lp, t)).mean(), "already"),
        ("log(exp(log_probs))", lambda lp, t: -np.log(np.exp(_picked(lp, t))).mean(),
         "underflowed to 0 before a log"),
        ("argmax instead of the target", lambda lp, t: -lp.max(axis=1).mean(), "largest entry"),
        ("PyTorch", lambda lp, t: F.nll_loss(torch.tensor(lp), torch.tensor(t)).item(),
         "NumPy only"),
    ],
    ("03", "weighted_cross_entropy"): [
        ("divides by N", lambda z, t, w: weighted_ce(z, t, w, denominator=len(t)),
         "you divided by N"),
        ("divides by all class weights", lambda z, t, w: weighted_ce(z, t, w,
                                                                     denominator=w.sum()),
         "sum of ALL class weights"),
        ("ignores the weights", lambda z, t, w: weighted_ce(z, t, np.ones_like(w)),
         "ignores the class weights"),
        ("sum, no denominator", lambda z, t, w: weighted_ce(z, t, w, denominator=1.0),
         "you summed"),
        ("softmax, then log", weighted_ce_softmax_then_log, "softmax underflows"),
        ("probabilities clipped at 1e-300", weighted_ce_clipped, "softmax underflows"),
        ("off-by-one target", lambda z, t, w: weighted_ce(z, (t + 1) % z.shape[1], w),
         "neighbouring class"),
        ("PyTorch", weighted_ce_with_torch, "NumPy only"),
        ("calls cross_entropy_from_scratch", weighted_ce_from_scratch,
         "not to call cross_entropy_from_scratch"),
    ],
    ("03", "pixelwise_cross_entropy"): [
        ("log_softmax over the last axis", lambda z, t: pixelwise(z, t, pixel_log_probs(z, -1)),
         "classes are on axis 1"),
        ("reshape(-1, C)", pixelwise_reshaped, "mixes classes and pixels"),
        ("mean over the pixels", lambda z, t: pixelwise(z, t).mean(), "one loss per pixel"),
        ("keeps the class axis", lambda z, t: -np.take_along_axis(
            pixel_log_probs(z), t[:, None], axis=1), "drop the class axis"),
        ("no minus sign", lambda z, t: -pixelwise(z, t), "wrong sign"),
        ("no max subtracted", pixelwise_naive, "stable"),
        ("softmax, then log", pixelwise_softmax_then_log, "NOT the winning class"),
        ("PyTorch", pixelwise_with_torch, "NumPy only"),
    ],
    ("03", "smoothed_targets"): [
        ("eps over the C - 1 other classes", lambda t, c, e: (1 - e) * np.eye(c)[t]
         + e / (c - 1) * (1 - np.eye(c)[t]), "C - 1 OTHER classes"),
        ("true class keeps 1", lambda t, c, e: np.eye(c)[t] + e / c, "you kept 1"),
        ("true class gets only 1 - eps", lambda t, c, e: (1 - e) * np.eye(c)[t]
         + e / c * (1 - np.eye(c)[t]), "the true one included"),
        ("eps ignored", lambda t, c, e: np.eye(c)[t], "no effect"),
        ("no eps / C", lambda t, c, e: (1 - e) * np.eye(c)[t], "also gets eps / C"),
        ("one row for all", lambda t, c, e: np.full(c, 1 / c), "expected shape"),
        ("off-by-one class", lambda t, c, e: smoothed(t, c, e, np.eye(c)[(t + 1) % c]),
         "neighbouring class"),
        ("F.one_hot", lambda t, c, e: ((1 - e) * F.one_hot(torch.tensor(t), c) + e / c).numpy(),
         "NumPy only"),
    ],
}


def test_float32_smoothed_targets_pass_at_float32_precision():
    from helpers.checks import nb03

    report = nb03.check_smoothed_targets(
        lambda t, c, e: smoothed(t, c, e).astype(np.float32))
    assert report.ok, str(report)
    report = nb03.check_smoothed_targets(
        lambda t, c, e: smoothed(t, c, e).astype(np.float16))
    assert "your float16 targets are too coarse: compute them in float64" in str(report)


# ---- notebook 04 ----------------------------------------------------------------------


def naive_bce(z, y):
    p = torch.sigmoid(z)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def clipped_bce(z, y):
    p = torch.sigmoid(z).clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def bce_without_abs(z, y):
    return (torch.log1p(torch.exp(z)) - z * y).mean()


def stable_bce(z, y, reduction="mean"):
    losses = z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))
    return losses.mean() if reduction == "mean" else losses.sum()


def proba_without_no_grad(model, x):
    return torch.softmax(model(x), dim=1)


def proba_detached(model, x):
    return torch.softmax(model(x), dim=1).detach()


def proba_naive(model, x):
    with torch.no_grad():
        exps = torch.exp(model(x))
        return exps / exps.sum(dim=1, keepdim=True)


def proba(model, x, function=torch.softmax, **kwargs):
    with torch.no_grad():
        return function(model(x), **kwargs)


def weighted_bce(z, y, w, positive_weight=True, negative_weight=False):
    positive, negative = -F.logsigmoid(z), -F.logsigmoid(-z)
    return (w * y * positive + (w if negative_weight else 1) * (1 - y) * negative).mean() \
        if positive_weight else (y * positive + w * (1 - y) * negative).mean()


NB04 = {
    ("04", "count_parameters"): [
        ("weights only", lambda m: sum(p.numel() for n, p in m.named_parameters()
                                       if "weight" in n), "biases count too"),
        ("parameter tensors", lambda m: len(list(m.parameters())), "count the numbers in them"),
        ("state_dict entries", lambda m: len(m.state_dict()), "count the numbers in them"),
        ("state_dict numbers", lambda m: sum(t.numel() for t in m.state_dict().values()),
         "buffers"),
        ("ignores requires_grad", lambda m: sum(p.numel() for p in m.parameters()),
         "frozen layer"),
        ("shape[0]", lambda m: sum(p.shape[0] for p in m.parameters() if p.requires_grad),
         "numel() counts every number"),
    ],
    ("04", "predict_proba"): [
        ("no torch.no_grad()", proba_without_no_grad, "recorded gradients"),
        (".detach() instead of no_grad", proba_detached, "recorded gradients"),
        ("no softmax", lambda m, x: proba(m, x, lambda z: z), "those are the logits"),
        ("softmax over dim 0", lambda m, x: proba(m, x, dim=0), "dim=0"),
        ("sigmoid for softmax", lambda m, x: proba(m, x, torch.sigmoid), "sigmoid"),
        ("log_softmax", lambda m, x: proba(m, x, torch.log_softmax, dim=1), "log-probabilities"),
        ("naive softmax", proba_naive, "exp overflows"),
        ("argmax", lambda m, x: proba(m, x, torch.argmax, dim=1), "not the argmax"),
    ],
    ("04", "bce_with_logits"): [
        ("sigmoid, then log", naive_bce, "a log of it is -inf"),
        ("sigmoid, clipped, then log", clipped_bce, "stable formula"),
        ("F.binary_cross_entropy_with_logits", lambda z, y: F.binary_cross_entropy_with_logits(
            z, y), "not to call torch.nn.functional.binary_cross_entropy_with_logits"),
        ("nn.BCEWithLogitsLoss", lambda z, y: nn.BCEWithLogitsLoss()(z, y), "not to call"),
        ("F.binary_cross_entropy of the sigmoid",
         lambda z, y: F.binary_cross_entropy(torch.sigmoid(z), y), "not to call"),
        ("no |z| in the exp", bce_without_abs, "never exponentiate a positive number"),
        ("sum instead of mean", lambda z, y: stable_bce(z, y, "sum"), "you summed"),
        ("targets swapped", lambda z, y: stable_bce(z, 1 - y), "swapped the two terms"),
        ("wrong sign", lambda z, y: -stable_bce(z, y), "wrong sign"),
    ],
    ("04", "weighted_bce_with_logits"): [
        ("weight on the negatives", lambda z, y, w: weighted_bce(z, y, w, False),
         "not the negative one"),
        ("weight on every example", lambda z, y, w: weighted_bce(z, y, w, True, True),
         "not every example"),
        ("weight ignored", lambda z, y, w: weighted_bce(z, y, 1.0), "ignores pos_weight"),
        ("divides by the total weight", lambda z, y, w: (w * y * -F.logsigmoid(z) + (1 - y)
                                                        * -F.logsigmoid(-z)).sum()
         / (w * y + 1 - y).sum(), "not by the total weight"),
        ("rounds soft targets", lambda z, y, w: weighted_bce(z, (y > 0.5).float(), w),
         "soft"),
        ("the library call", lambda z, y, w: F.binary_cross_entropy_with_logits(
            z, y, pos_weight=w), "not to call"),
        ("sigmoid, then log", lambda z, y, w: -(w * y * torch.log(torch.sigmoid(z)) + (1 - y)
                                                * torch.log(1 - torch.sigmoid(z))).mean(),
         "a log of it is -inf"),
    ],
}


# ---- notebook 05 ----------------------------------------------------------------------


def confusion_transposed(t, p, c):
    return confusion_by_loop(p, t, c)


def confusion_by_loop(t, p, c):
    matrix = torch.zeros(c, c, dtype=torch.long)
    for true, predicted in zip(t.tolist(), p.tolist(), strict=True):
        matrix[true, predicted] += 1
    return matrix


def confusion_fancy_index(t, p, c):
    matrix = torch.zeros(c, c, dtype=torch.long)
    matrix[t, p] += 1
    return matrix


def confusion_sized_by_data(t, p, c):
    size = int(max(t.max(), p.max())) + 1
    return torch.bincount(t * size + p, minlength=size * size).reshape(size, size)


def confusion_off_by_one(t, p, c):
    return confusion_by_loop(t, p, c + 1)


def confusion_fractions(t, p, c):
    matrix = confusion_by_loop(t, p, c).double()
    return matrix / matrix.sum(dim=1, keepdim=True).clamp(min=1)


def _epoch_with(**switches):
    from helpers.checks.nb05 import _epoch

    def train_one_epoch(model, loss_fn, optimizer, x, y, batch_size, generator):
        return _epoch(model, loss_fn, optimizer, x, y, batch_size, generator, **switches)

    return train_one_epoch


def epoch_global_rng(model, loss_fn, optimizer, x, y, batch_size, generator):
    _ = torch.manual_seed(123)
    return _epoch(model, loss_fn, optimizer, x, y, batch_size, None)


def epoch_full_batch(model, loss_fn, optimizer, x, y, batch_size, generator):
    return _epoch_with()(model, loss_fn, optimizer, x, y, len(x), generator)


def accuracy_by_naive_softmax(z, y):
    exps = torch.exp(z)
    return ((exps / exps.sum(dim=1, keepdim=True)).argmax(dim=1) == y).float().mean()


def _epoch(*args):
    from helpers.checks.nb05 import _epoch as epoch

    return epoch(*args)


NB05 = {
    ("05", "accuracy"): [
        ("percentage", lambda z, y: 100 * (z.argmax(1) == y).float().mean(), "percentage"),
        ("count", lambda z, y: (z.argmax(1) == y).sum(), "number of right rows"),
        ("error rate", lambda z, y: (z.argmax(1) != y).float().mean(), "error rate"),
        ("argmin", lambda z, y: (z.argmin(1) == y).float().mean(), "argmin"),
        ("integer division", lambda z, y: (z.argmax(1) == y).sum() // len(y),
         "integer division"),
        ("mean of booleans", lambda z, y: (z.argmax(1) == y).mean(), "Bool"),
        ("argmax over dim 0", lambda z, y: (z.argmax(0) == y).float().mean(),
         "argmax over the wrong dimension: argmax(dim=0)"),
        ("argmax without dim", lambda z, y: (z.argmax() == y).float().mean(),
         "argmax over the wrong dimension: without dim"),
        ("max over dim 0", lambda z, y: (z.max(dim=0).indices == y).float().mean(),
         "argmax over the wrong dimension: max(dim=0)"),
        ("argmax of a softmax without the max", accuracy_by_naive_softmax,
         "your softmax overflowed"),
    ],
    ("05", "confusion_matrix"): [
        ("rows and columns swapped", confusion_transposed, "swapped"),
        ("m[t, p] += 1", confusion_fancy_index, "counts a repeated pair only once"),
        ("sized by the data", confusion_sized_by_data, "never seen"),
        ("num_classes + 1", confusion_off_by_one, "off by one"),
        ("fractions, not counts", confusion_fractions, "counts, not fractions"),
    ],
    ("05", "per_class_accuracy"): [
        ("column sums (precision)", lambda m: torch.diag(m).double() / m.sum(dim=0).double(),
         "column sums"),
        ("integer division", lambda m: torch.diag(m) // m.sum(dim=1), "integer division"),
        ("grand total", lambda m: torch.diag(m).double() / m.sum().double(), "grand total"),
        ("overall accuracy", lambda m: torch.full((len(m),), (torch.trace(m) / m.sum()).item(),
                                                  dtype=torch.float64), "overall accuracy"),
        ("percentage", lambda m: 100 * torch.diag(m).double() / m.sum(dim=1).double(),
         "percentage"),
    ],
    ("05", "train_one_epoch"): [
        ("no zero_grad", _epoch_with(zero_grad=False), "zero_grad"),
        ("no shuffling", _epoch_with(shuffle=False), "torch.randperm"),
        ("drops the last batch", _epoch_with(drop_last=True), "last, smaller batch"),
        ("mean of batch means", _epoch_with(weighted=False), "weight each by its batch size"),
        ("last batch's loss", _epoch_with(last_only=True), "last batch's loss"),
        ("the global random generator", epoch_global_rng, "parameters after the epoch differ"),
        ("one full batch", epoch_full_batch, "parameters after the epoch differ"),
    ],
}


# ---- notebook 06 ----------------------------------------------------------------------


def nll(z, t, temperature, log_probs=None, reduce=np.mean):
    log_probs = _log_softmax(z / temperature) if log_probs is None else log_probs
    return float(-reduce(_picked(log_probs, t)))


def nll_with_torch(z, t, temperature):
    return F.cross_entropy(torch.from_numpy(z) / temperature, torch.from_numpy(t)).item()


def nll_softmax_then_log(z, t, temperature):
    return nll(z, t, temperature, np.log(_softmax(z / temperature)))


def nll_clipped(z, t, temperature):
    return nll(z, t, temperature, np.log(np.clip(_softmax(z / temperature), 1e-300, 1)))


def nll_naive(z, t, temperature):
    return nll(z, t, temperature, np.log(_exps_over_sum(z / temperature, axis=1)))


def best_on_grid(pick=np.argmin, factor=lambda t: t, result=lambda grid, losses, i: grid[i]):
    def best_temperature_on_grid(z, t, grid):
        losses = [nll(z, t, factor(temperature)) for temperature in grid]
        return result(grid, losses, int(pick(losses)))

    return best_temperature_on_grid


def best_temperature_by_naive_nll(z, t, grid):
    losses = []
    for temperature in grid:
        exps = np.exp(z / temperature)
        losses.append(-np.log(_picked(exps / exps.sum(axis=1, keepdims=True), t)).mean())
    return float(grid[int(np.argmin(losses))])


def brier(p, t, reduce=lambda squares: squares.sum(axis=1).mean(), one_hot=None):
    one_hot = np.eye(p.shape[1])[t] if one_hot is None else one_hot
    return float(reduce((p - one_hot) ** 2))


NB06 = {
    ("06", "mean_confidence_and_accuracy"): [
        ("swapped", lambda p, t: ((p.argmax(1) == t).mean(), p.max(1).mean()),
         "return (confidence, accuracy)"),
        ("probability of the true class", lambda p, t: (_picked(p, t).mean(),
                                                        (p.argmax(1) == t).mean()),
         "LARGEST probability"),
        ("mean of every probability", lambda p, t: (p.mean(), (p.argmax(1) == t).mean()),
         "not the mean of all probabilities"),
        ("count of right rows", lambda p, t: (p.max(1).mean(), (p.argmax(1) == t).sum()),
         "divide the number of right rows by N"),
        ("percentage", lambda p, t: (p.max(1).mean(), 100 * (p.argmax(1) == t).mean()),
         "not a percentage"),
    ],
    ("06", "temperature_scaled_nll"): [
        ("multiplies by T", lambda z, t, temp: nll(z, t, 1 / temp), "you multiplied by T"),
        ("ignores T", lambda z, t, temp: nll(z, t, 1.0), "no effect"),
        ("divides the log-probabilities", lambda z, t, temp: nll(z, t, 1.0) / temp,
         "before the log_softmax"),
        ("sum instead of mean", lambda z, t, temp: nll(z, t, temp, reduce=np.sum),
         "you summed"),
        ("log base 2", lambda z, t, temp: nll(z, t, temp) / np.log(2), "log base 2"),
        ("off-by-one target", lambda z, t, temp: nll(z, (t + 1) % z.shape[1], temp),
         "neighbouring class"),
        ("softmax, then log", nll_softmax_then_log, "softmax underflows"),
        ("probabilities clipped at 1e-300", nll_clipped, "softmax underflows"),
        ("no max subtracted", nll_naive, "exp overflows"),
        ("PyTorch", nll_with_torch, "NumPy only"),
    ],
    ("06", "best_temperature_on_grid"): [
        ("argmax", best_on_grid(pick=np.argmax), "HIGHEST NLL"),
        ("returns the index", best_on_grid(result=lambda grid, losses, i: i), "index"),
        ("returns the NLL", best_on_grid(result=lambda grid, losses, i: losses[i]),
         "lowest NLL"),
        ("multiplies by T", best_on_grid(factor=lambda t: 1 / t), "you multiplied by T"),
        ("by accuracy", lambda z, t, grid: float(grid[0]), "accuracy does not change"),
        ("NLL without the max", best_temperature_by_naive_nll, "np.argmin picks a nan"),
    ],
    ("06", "brier_score"): [
        ("mean over classes too", lambda p, t: brier(p, t, np.mean), "averaged over the classes"),
        ("no 1/N", lambda p, t: brier(p, t, np.sum), "divide by N"),
        ("only the true class", lambda p, t: float(((1 - _picked(p, t)) ** 2).mean()),
         "EVERY class"),
        ("absolute differences", lambda p, t: float(np.abs(p - np.eye(p.shape[1])[t]).sum(1)
                                                    .mean()), "square the differences"),
        ("off-by-one one-hot", lambda p, t: brier(p, (t + 1) % p.shape[1]),
         "neighbouring class"),
    ],
}


# ---- notebook 07 ----------------------------------------------------------------------


def merge(max_a, sum_a, max_b, sum_b):
    merged = torch.maximum(max_a, max_b)
    return merged, sum_a * torch.exp(max_a - merged) + sum_b * torch.exp(max_b - merged)


def lse_chunks(logits, chunk_size, combine=torch.logaddexp, width=None):
    result = None
    for start in range(0, logits.shape[1], chunk_size):
        part = torch.logsumexp(logits[:, start:start + (width or chunk_size)], dim=1)
        result = part if result is None else combine(result, part)
    return result


def lse_unstable(logits, chunk_size):
    total = 0
    for start in range(0, logits.shape[1], chunk_size):
        total = total + torch.exp(logits[:, start:start + chunk_size]).sum(dim=1)
    return torch.log(total)


def lse_running_without_inf_care(logits, chunk_size):
    running_max = running_sum = None
    for start in range(0, logits.shape[1], chunk_size):
        chunk = logits[:, start:start + chunk_size]
        chunk_max = chunk.amax(dim=1)
        chunk_sum = torch.exp(chunk - chunk_max[:, None]).sum(dim=1)
        if running_max is None:
            running_max, running_sum = chunk_max, chunk_sum
        else:
            running_max, running_sum = merge(running_max, running_sum, chunk_max, chunk_sum)
    return running_max + torch.log(running_sum)


def lse_dropping_the_last_partial_chunk(logits, chunk_size):
    result = None
    for index in range(max(logits.shape[1] // chunk_size, 1)):
        part = torch.logsumexp(logits[:, index * chunk_size:(index + 1) * chunk_size], dim=1)
        result = part if result is None else torch.logaddexp(result, part)
    return result


def grad_chunks(logits, targets, chunk_size, normaliser=None, scale=None, one=1.0):
    rows = logits.shape[0]
    scale = rows if scale is None else scale
    lse = lse_chunks(logits, chunk_size)[:, None] if normaliser is None else normaliser
    grad = torch.empty_like(logits)
    for start in range(0, logits.shape[1], chunk_size):
        part = slice(start, start + chunk_size)
        lse_part = lse if normaliser != "chunk" else torch.logsumexp(logits[:, part], 1, True)
        grad[:, part] = torch.exp(logits[:, part] - lse_part) / scale
    grad[torch.arange(rows), targets] -= one / scale
    return grad


def grad_full_softmax(logits, targets, chunk_size):
    grad = torch.softmax(logits, dim=1)
    grad[torch.arange(len(targets)), targets] -= 1
    return grad / logits.shape[0]


def grad_autograd(logits, targets, chunk_size):
    logits = logits.clone().requires_grad_(True)
    F.cross_entropy(logits, targets).backward()
    return logits.grad


def grad_with_naive_logsumexp(logits, targets, chunk_size):
    total = 0
    for start in range(0, logits.shape[1], chunk_size):
        total = total + torch.exp(logits[:, start:start + chunk_size]).sum(dim=1, keepdim=True)
    return grad_chunks(logits, targets, chunk_size, normaliser=torch.log(total))


def weighted_sum(scores, values, chunk_size, rescale_total=True, rescale_values=True):
    from helpers.checks.nb07 import _online

    return _online(scores, values, chunk_size, rescale_total=rescale_total,
                   rescale_values=rescale_values)


def weighted_sum_without_max(scores, values, chunk_size):
    total = torch.zeros(scores.shape[0], 1, dtype=scores.dtype)
    accumulator = torch.zeros(scores.shape[0], values.shape[1], dtype=scores.dtype)
    for start in range(0, scores.shape[1], chunk_size):
        weights = torch.exp(scores[:, start:start + chunk_size])
        total = total + weights.sum(dim=1, keepdim=True)
        accumulator = accumulator + weights @ values[start:start + chunk_size]
    return accumulator / total


def weighted_sum_normalising_each_chunk(scores, values, chunk_size):
    out = torch.zeros(scores.shape[0], values.shape[1], dtype=scores.dtype)
    for start in range(0, scores.shape[1], chunk_size):
        stop = start + chunk_size
        out += torch.softmax(scores[:, start:stop], dim=1) @ values[start:stop]
    return out


def weighted_sum_two_passes(scores, values, chunk_size):
    top = None
    for start in range(0, scores.shape[1], chunk_size):
        chunk_max = scores[:, start:start + chunk_size].amax(dim=1, keepdim=True)
        top = chunk_max if top is None else torch.maximum(top, chunk_max)
    total, accumulator = 0, 0
    for start in range(0, scores.shape[1], chunk_size):
        weights = torch.exp(scores[:, start:start + chunk_size] - top)
        total = total + weights.sum(dim=1, keepdim=True)
        accumulator = accumulator + weights @ values[start:start + chunk_size]
    return accumulator / total


NB07 = {
    ("07", "merge_normalizers"): [
        ("no rescaling", lambda ma, sa, mb, sb: (torch.maximum(ma, mb), sa + sb),
         "different maxima"),
        ("rescales only the second", lambda ma, sa, mb, sb: (
            torch.maximum(ma, mb), sa + sb * torch.exp(mb - torch.maximum(ma, mb))),
         "not only the second"),
        ("factors flipped", lambda ma, sa, mb, sb: (
            torch.maximum(ma, mb), sa * torch.exp(torch.maximum(ma, mb) - ma)
            + sb * torch.exp(torch.maximum(ma, mb) - mb)), "you flipped them"),
        ("adds the maxima", lambda ma, sa, mb, sb: (ma + mb, merge(ma, sa, mb, sb)[1]),
         "torch.maximum(max_a, max_b)"),
        ("assumes a holds the larger max", lambda ma, sa, mb, sb: (
            torch.maximum(ma, mb), sa + sb * torch.exp(mb - ma)), "compare them"),
        ("returns the log of the sum", lambda ma, sa, mb, sb: (
            merge(ma, sa, mb, sb)[0], torch.log(merge(ma, sa, mb, sb)[1])), "not its log"),
        ("returns only the sum", lambda ma, sa, mb, sb: merge(ma, sa, mb, sb)[1],
         "return a pair"),
    ],
    ("07", "chunked_logsumexp"): [
        ("plain torch.logsumexp", lambda z, c: torch.logsumexp(z, dim=1), "at once"),
        ("adds the chunks' results", lambda z, c: lse_chunks(z, c, torch.add),
         "you added the chunks"),
        ("max of the chunks' results", lambda z, c: lse_chunks(z, c, torch.maximum),
         "largest chunk logsumexp"),
        ("exp sum without the max", lse_unstable, "exp overflows"),
        ("running max without care for -inf", lse_running_without_inf_care, "is nan"),
        ("drops the last partial chunk", lse_dropping_the_last_partial_chunk,
         "dropped the last, narrower chunk"),
        ("overlapping chunks (one column too many)", lambda z, c: lse_chunks(z, c, width=c + 1),
         "wider than chunk_size"),
        ("converts to float64 first", lambda z, c: lse_chunks(z.double(), c), "at once"),
    ],
    ("07", "chunked_cross_entropy_grad"): [
        ("full softmax", grad_full_softmax, "at once"),
        ("autograd", grad_autograd, "no autograd"),
        ("softmax of each chunk alone", lambda z, t, c: grad_chunks(z, t, c, "chunk"),
         "normalised on its own"),
        ("no 1/N", lambda z, t, c: grad_chunks(z, t, c, scale=1.0), "1/N"),
        ("no one-hot", lambda z, t, c: grad_chunks(z, t, c, one=0.0), "subtract 1/N"),
        ("subtracts 1, not 1/N", lambda z, t, c: grad_chunks(z, t, c) - F.one_hot(
            t, z.shape[1]) * (1 - 1 / len(z)), "not 1"),
        ("wrong sign", lambda z, t, c: -grad_chunks(z, t, c), "wrong sign"),
        ("off-by-one target", lambda z, t, c: grad_chunks(z, (t + 1) % z.shape[1], c),
         "neighbouring class"),
        ("logsumexp without the max", grad_with_naive_logsumexp,
         "your logsumexp overflowed"),
    ],
    ("07", "online_weighted_sum"): [
        ("softmax(scores) @ values in one shot",
         lambda s, v, c: torch.softmax(s, dim=1) @ v, "at once"),
        ("two passes (the max first)", weighted_sum_two_passes, "more than once"),
        ("no running max", weighted_sum_without_max, "rising to 1000"),
        ("each chunk normalised", weighted_sum_normalising_each_chunk, "on its own"),
        ("rescales only the total", lambda s, v, c: weighted_sum(s, v, c, rescale_values=False),
         "not the weighted sum of values"),
        ("rescales only the values", lambda s, v, c: weighted_sum(s, v, c, rescale_total=False),
         "but not the running sum"),
    ],
}


# ---- notebook 09 ----------------------------------------------------------------------


def _log_softmax_rows(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def distil(s, t, y, temp, w, *, student_t=None, teacher_t=None, factor=None, hard_t=1.0,
           reduce=np.mean, kl=False, targets_from=None, soft_reduce=np.sum):
    student_t = temp if student_t is None else student_t
    teacher_t = temp if teacher_t is None else teacher_t
    factor = temp**2 if factor is None else factor
    q = np.exp(_log_softmax_rows(t / teacher_t)) if targets_from is None else targets_from(t)
    log_p = _log_softmax_rows(s / student_t)
    soft = -soft_reduce(q * log_p, axis=1)
    if kl:
        soft = soft + soft_reduce(q * np.log(q), axis=1)
    hard = -_log_softmax_rows(s / hard_t)[np.arange(len(y)), y]
    return float(w * factor * reduce(soft) + (1 - w) * reduce(hard))


def distil_naive(s, t, y, temp, w):
    def log_softmax(z):
        return np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    q = np.exp(log_softmax(t / temp))
    soft = -(q * log_softmax(s / temp)).sum(axis=1).mean()
    hard = -log_softmax(s)[np.arange(len(y)), y].mean()
    return float(w * temp**2 * soft + (1 - w) * hard)


def distil_torch(s, t, y, temp, w):
    s, t, y = torch.from_numpy(s), torch.from_numpy(t), torch.from_numpy(y)
    soft = F.cross_entropy(s / temp, torch.softmax(t / temp, dim=1))
    return float(w * temp**2 * soft + (1 - w) * F.cross_entropy(s, y))


def distil_log_of_softmax(s, t, y, temp, w):
    def log_softmax(z):
        exps = np.exp(z - z.max(axis=1, keepdims=True))
        return np.log(exps / exps.sum(axis=1, keepdims=True))
    soft = -(np.exp(log_softmax(t / temp)) * log_softmax(s / temp)).sum(axis=1).mean()
    hard = -log_softmax(s)[np.arange(len(y)), y].mean()
    return float(w * temp**2 * soft + (1 - w) * hard)


def sigmoid_as_exp_ratio(z, th):
    exps = np.exp(z)
    return exps / (1 + exps) >= th


def _f1_by_precision_and_recall(decisions, labels):
    tp = (decisions & labels).sum(axis=0)
    precision, recall = tp / decisions.sum(axis=0), tp / labels.sum(axis=0)
    return 2 * precision * recall / (precision + recall)


def report_by_precision_and_recall(vp, vl, tp, tl, c):
    thresholds = thresholds_by(_f1_by_precision_and_recall)(vp, vl, c)
    return thresholds, _f1_by_precision_and_recall(tp >= thresholds, tl)


def _sigmoid_np(z):
    return 1 / (1 + np.exp(-z))


def decisions_softmax(z, th):
    return _exps_over_sum(z - z.max(axis=1, keepdims=True), axis=1) >= th


def _f1_columns(decisions, labels):
    tp = (decisions & labels).sum(axis=0)
    fp = (decisions & ~labels).sum(axis=0)
    fn = (~decisions & labels).sum(axis=0)
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)


def thresholds_by(score, pick=np.argmax, result=None):
    def pick_thresholds(probs, labels, candidates):
        table = np.stack([score(probs >= t, labels) for t in candidates])
        best = pick(table, axis=0)
        return result(candidates, table, best) if result else candidates[best]
    return pick_thresholds


def one_threshold_by_mean_f1(probs, labels, candidates):
    means = [_f1_columns(probs >= t, labels).mean() for t in candidates]
    return np.full(labels.shape[1], candidates[int(np.argmax(means))])


def one_threshold_pooled(probs, labels, candidates):
    pooled = [_f1_columns((probs >= t).reshape(-1, 1), labels.reshape(-1, 1))[0]
              for t in candidates]
    return np.full(labels.shape[1], candidates[int(np.argmax(pooled))])


def f1_per_digit(probs, labels, candidates):
    scores = []
    for t in candidates:
        decisions = probs >= t
        tp = (decisions & labels).sum(axis=1)
        fp = (decisions & ~labels).sum(axis=1)
        fn = (~decisions & labels).sum(axis=1)
        scores.append(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0))
    return candidates[np.stack(scores).argmax(axis=0)]  # one threshold per digit


def _f1_per_digit_scores(probs, labels, candidates):
    """The mean over the digits of each digit's F1 (along the wrong axis), per candidate."""
    scores = []
    for t in candidates:
        decisions = probs >= t
        tp = (decisions & labels).sum(axis=1)
        fp = (decisions & ~labels).sum(axis=1)
        fn = (~decisions & labels).sum(axis=1)
        scores.append(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0).mean())
    return np.array(scores)


def f1_per_digit_averaged(probs, labels, candidates):
    best = candidates[int(np.argmax(_f1_per_digit_scores(probs, labels, candidates)))]
    return np.full(labels.shape[1], best)


def _recall_columns(decisions, labels):
    return (decisions & labels).sum(axis=0) / np.maximum(labels.sum(axis=0), 1)


def _report(val_probs, val_labels, test_probs, test_labels, candidates, *, at=None,
            pick=None):
    pick = pick or thresholds_by(_f1_columns)
    thresholds = pick(val_probs, val_labels, candidates)
    used = thresholds if at is None else at
    return thresholds, _f1_columns(test_probs >= used, test_labels)


def _report_pooled(val_probs, val_labels, test_probs, test_labels, candidates):
    thresholds = thresholds_by(_f1_columns)(val_probs, val_labels, candidates)
    decisions = (test_probs >= thresholds).reshape(-1, 1)
    pooled = _f1_columns(decisions, test_labels.reshape(-1, 1))[0]
    return thresholds, np.full(len(thresholds), pooled)


NB09 = {
    ("09", "distillation_loss_np"): [
        ("no T²", lambda s, t, y, temp, w: distil(s, t, y, temp, w, factor=1.0),
         "T² factor is missing"),
        ("T, not T²", lambda s, t, y, temp, w: distil(s, t, y, temp, w, factor=temp),
         "not by T ** 2"),
        ("temperature only on the teacher",
         lambda s, t, y, temp, w: distil(s, t, y, temp, w, student_t=1.0), "only on the teacher"),
        ("temperature only on the student",
         lambda s, t, y, temp, w: distil(s, t, y, temp, w, teacher_t=1.0), "only on the student"),
        ("KL divergence", lambda s, t, y, temp, w: distil(s, t, y, temp, w, kl=True),
         "KL divergence"),
        ("weights swapped", lambda s, t, y, temp, w: distil(s, t, y, temp, 1 - w),
         "weights are swapped"),
        ("teacher logits as targets",
         lambda s, t, y, temp, w: distil(s, t, y, temp, w, targets_from=lambda z: z),
         "not probabilities"),
        ("temperature on the hard term too",
         lambda s, t, y, temp, w: distil(s, t, y, temp, w, hard_t=temp), "hard-label term"),
        ("sum over the batch",
         lambda s, t, y, temp, w: distil(s, t, y, temp, w, reduce=np.sum), "you summed"),
        ("mean over the classes too",
         lambda s, t, y, temp, w: distil(s, t, y, temp, w, soft_reduce=np.mean),
         "averaged the soft term over the"),
        ("no max subtracted", distil_naive, "nan or inf"),
        ("log(softmax) for log_softmax", distil_log_of_softmax,
         "underflowed to 0 before a log"),
        ("PyTorch", distil_torch, "NumPy only"),
    ],
    ("09", "multi_label_predictions"): [
        ("softmax", decisions_softmax, "give each label its own sigmoid"),
        ("one global threshold", lambda z, th: _sigmoid_np(z) >= th[0], "one threshold for every"),
        ("logits against thresholds", lambda z, th: z >= th, "compared the LOGITS"),
        ("argmax", lambda z, th: np.eye(z.shape[1])[z.argmax(axis=1)], "argmax picks exactly"),
        ("0.5 everywhere", lambda z, th: _sigmoid_np(z) >= 0.5, "0.5 for every label"),
        ("strict >", lambda z, th: _sigmoid_np(z) > th,
         "Problem:  a probability equal to its threshold counts as positive: use >="),
        ("sigmoid as exp(z) / (1 + exp(z))", sigmoid_as_exp_ratio, "inf / inf = nan"),
        ("thresholds on the rows", lambda z, th: _sigmoid_np(z) >= th[:, None],
         "not with the digits"),
        ("probabilities returned", lambda z, th: _sigmoid_np(z), "not the probabilities"),
    ],
    ("09", "pick_thresholds"): [
        ("by accuracy", thresholds_by(lambda d, y: (d == y).mean(axis=0)), "by accuracy"),
        ("one threshold, mean F1", one_threshold_by_mean_f1, "one threshold for every label"),
        ("one threshold, pooled F1", one_threshold_pooled, "one threshold for every label"),
        ("F1 per digit", f1_per_digit, "one threshold per digit"),
        ("F1 per digit, averaged", f1_per_digit_averaged, "F1 score per digit"),
        ("argmin", thresholds_by(_f1_columns, pick=np.argmin), "LOWEST F1"),
        ("index", thresholds_by(_f1_columns, result=lambda c, table, best: best), "index"),
        ("best F1", thresholds_by(_f1_columns, result=lambda c, table, best: table.max(axis=0)),
         "best F1 scores"),
        ("by recall", thresholds_by(_recall_columns), "maximised the recall"),
        ("F1 from precision and recall", thresholds_by(_f1_by_precision_and_recall),
         "precision = 0 / 0"),
    ],
    ("09", "thresholds_and_test_f1"): [
        ("picked on test", lambda vp, vl, tp, tl, c: _report(tp, tl, tp, tl, c),
         "on the TEST rows"),
        ("F1 on validation", lambda vp, vl, tp, tl, c: _report(vp, vl, vp, vl, c),
         "F1 on the validation rows"),
        ("F1 at 0.5", lambda vp, vl, tp, tl, c: _report(vp, vl, tp, tl, c, at=0.5),
         "test F1 at 0.5"),
        ("one global threshold", lambda vp, vl, tp, tl, c: _report(
            vp, vl, tp, tl, c, pick=one_threshold_by_mean_f1), "one threshold for every label"),
        ("swapped", lambda vp, vl, tp, tl, c: _report(vp, vl, tp, tl, c)[::-1], "in this order"),
        ("pooled F1", _report_pooled, "pooled the labels"),
        ("F1 from precision and recall", report_by_precision_and_recall, "precision = 0 / 0"),
    ],
}


# Notebook 08's wrong answers live next to its checker tests, as (check, function, words).
NB08: dict[tuple[str, str], list] = {}
for _check_name, _function, _words in NB08_ENTRIES:
    NB08.setdefault(("08", _check_name.removeprefix("check_")), []).append(
        (_function.__name__.replace("_", " "), _function, _words)
    )

# So do notebook 10's, in test_wrong_answers_nb10.py.
NB10: dict[tuple[str, str], list] = {}
for _check_name, _function, _words in NB10_ENTRIES:
    NB10.setdefault(("10", _check_name.removeprefix("check_")), []).append(
        (_function.__name__.replace("_", " "), _function, _words)
    )

# And notebook 11's, in test_wrong_answers_nb11.py.
NB11: dict[tuple[str, str], list] = {}
for _check_name, _function, _words in NB11_ENTRIES:
    NB11.setdefault(("11", _check_name.removeprefix("check_")), []).append(
        (_function.__name__.replace("_", " "), _function, _words)
    )

CATALOGUE = {**NB01, **NB02, **NB03, **NB04, **NB05, **NB06, **NB07, **NB08, **NB09, **NB10,
             **NB11}


def _check(notebook: str, exercise: str):
    return getattr(importlib.import_module(f"helpers.checks.nb{notebook}"), f"check_{exercise}")


ENTRIES = [(key, label, function, words)
           for key, entries in CATALOGUE.items() for label, function, words in entries]


@pytest.mark.parametrize(("key", "label", "function", "words"), ENTRIES,
                         ids=[f"{k[0]}-{k[1]}-{label}" for k, label, _, _ in ENTRIES])
def test_wrong_answer_is_rejected_with_a_message_that_names_the_mistake(key, label, function,
                                                                         words):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _check(*key)(function)
    text = str(report)
    assert report.status == "failed", f"{label} passes:\n{text}"
    verdict = "\n".join(line for line in text.splitlines() if "Hint:" not in line)
    assert words in verdict, f"{label}:\n{text}"
    assert "Traceback" not in text


def test_every_exercise_has_a_catalogue():
    exercises = {(stem[:2], name) for stem, name in EXERCISES}
    assert set(CATALOGUE) == exercises
    assert all(len(entries) >= 5 for entries in CATALOGUE.values())
