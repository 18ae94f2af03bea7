"""Numerically stable NumPy building blocks that the notebooks teach and later reuse.

``softmax`` is derived in notebook 01 (``01_softmax.ipynb``); later notebooks import it
from here instead of copying it. Unlike the teaching version, this one validates its input.
"""

from __future__ import annotations

import numpy as np

from helpers.validation import as_float_array

__all__ = ["softmax", "log_softmax"]


def _shifted_by_max(logits: object, axis: int) -> np.ndarray:
    """Validated ``logits - max(logits, axis)``: the largest entry becomes 0, -inf stays."""
    if hasattr(logits, "detach"):  # a torch.Tensor
        logits = logits.detach().cpu().numpy()
    keep_float32 = getattr(logits, "dtype", None) == np.float32
    values = as_float_array(logits, "logits", allow_neg_inf=True, min_size=0)
    if values.ndim == 0:
        raise ValueError("logits must have at least one dimension (one score per class)")
    if not -values.ndim <= axis < values.ndim:
        raise ValueError(f"axis {axis} is out of range for logits of shape {values.shape}")
    if keep_float32:
        values = values.astype(np.float32)
    if values.size == 0:  # nothing to normalise: an empty result of the same shape
        return values
    largest = np.max(values, axis=axis, keepdims=True)
    if np.isneginf(largest).any():
        raise ValueError("a slice of logits is entirely -inf: every class is masked out")
    return values - largest


def softmax(logits: object, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` with max subtraction, so large logits cannot overflow.

    Taught in notebook 01. ``-inf`` entries (masked logits) get probability 0.
    Float32 input stays float32; anything else is computed in float64. An empty input
    gives an empty result of the same shape, as in PyTorch.

    Raises
    ------
    ValueError
        If the logits contain NaN or ``+inf``, if ``axis`` is out of range, or if a slice
        along ``axis`` is entirely ``-inf`` (no class left to give probability to), or if
        they are a scalar. Where PyTorch returns ``nan`` (NaN, ``+inf``, an all ``-inf``
        slice) or treats a scalar as one class, refusing is a deliberate choice: a clear
        message beats a silent ``nan``.
    """
    exps = np.exp(_shifted_by_max(logits, axis))
    return exps / np.sum(exps, axis=axis, keepdims=True)


def log_softmax(logits: object, axis: int = -1) -> np.ndarray:
    """``log(softmax(logits))`` along ``axis``, computed with the LogSumExp trick.

    Taught in notebook 02: ``z - m - log(sum(exp(z - m)))`` with ``m`` the maximum, so it
    neither overflows for huge logits nor returns ``-inf`` where ``softmax`` underflows to 0.
    ``-inf`` entries (masked logits) give ``-inf``. Float32 input stays float32; anything
    else is computed in float64. An empty input gives an empty result of the same shape.

    Raises
    ------
    ValueError
        If the logits contain NaN or ``+inf``, if ``axis`` is out of range, if a slice
        along ``axis`` is entirely ``-inf``, or if they are a scalar (as ``softmax``).
    """
    shifted = _shifted_by_max(logits, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
