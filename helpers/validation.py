"""Input checks shared by every helper.

Bad input must fail loudly with a message that names the argument and the problem,
never turn into a silent NaN or a misleading plot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["as_float_array", "check_probabilities", "check_labels"]


def as_float_array(
    values: object,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    allow_neg_inf: bool = False,
    min_size: int = 1,
) -> np.ndarray:
    """Convert ``values`` to a float64 NumPy array and validate it.

    Parameters
    ----------
    values:
        Anything array-like: a list, a NumPy array, or a (CPU) PyTorch tensor.
    name:
        The argument's name, used in error messages.
    ndim:
        The allowed number of dimensions (an int or a sequence of ints); ``None`` accepts any.
    allow_neg_inf:
        Whether ``-inf`` entries are allowed (masked logits). NaN and ``+inf`` never are.
    min_size:
        The smallest number of elements accepted.

    Raises
    ------
    TypeError
        If ``values`` is a string, ``None`` or holds non-numeric data.
    ValueError
        If the shape is wrong, it is too small, or it holds NaN / infinite values.
    """
    if values is None or isinstance(values, str | bytes):
        raise TypeError(f"{name} must be an array of numbers, got {type(values).__name__}")
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # a torch.Tensor
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must hold real numbers, got complex values")
    array = array.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            expected = " or ".join(str(d) for d in allowed)
            raise ValueError(
                f"{name} must have {expected} dimension(s), got shape {array.shape}"
            )
    if array.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} value(s), got {array.size}")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN")
    if np.isposinf(array).any():
        raise ValueError(f"{name} contains +inf")
    if not allow_neg_inf and np.isneginf(array).any():
        raise ValueError(f"{name} contains -inf")
    return array


def check_probabilities(
    values: object, name: str = "probs", *, axis: int = -1, atol: float = 1e-6
) -> np.ndarray:
    """Validate that ``values`` are probability distributions along ``axis``.

    Every entry must lie in [0, 1] and each distribution must sum to 1 (within ``atol``).
    Returns the values as a float64 array.
    """
    probs = as_float_array(values, name)
    if (probs < 0).any() or (probs > 1).any():
        low, high = probs.min(), probs.max()
        raise ValueError(f"{name} must lie in [0, 1], got values from {low} to {high}")
    sums = probs.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=atol, rtol=0.0):
        worst = float(np.max(np.abs(sums - 1.0)))
        raise ValueError(
            f"{name} must sum to 1 along axis {axis}; the worst sum is off by {worst:.3g}"
        )
    return probs


def check_labels(labels: Sequence[str] | None, count: int, name: str = "labels") -> list[str]:
    """Return ``count`` tick labels: the given ones (checked), or ``"0"``, ``"1"``, ..."""
    if labels is None:
        return [str(i) for i in range(count)]
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a sequence of strings, not a single string")
    labels = [str(label) for label in labels]
    if len(labels) != count:
        raise ValueError(f"{name} has {len(labels)} entries but there are {count} classes")
    return labels
