"""helpers.numerics.softmax against PyTorch, and against notebook 01's own definition."""

import numpy as np
import pytest
import torch

from helpers.notebook_import import load_notebook_definitions
from helpers.numerics import log_softmax, softmax

NB01 = load_notebook_definitions("01_softmax")

CASES = [
    (np.array([2.0, 1.0, 0.1]), -1),
    (np.array([1000.0, 1001.0, 1002.0]), -1),
    (np.array([-1e4, 0.0, 1e4]), 0),
    (np.array([2.0, -np.inf, 1.0]), -1),
    (np.array([[1e3, -1e3, 0.0], [5.0, 5.0, -np.inf]], dtype=np.float32), 1),
    (np.random.default_rng(0).normal(scale=50, size=(3, 4, 5)), 1),
    (np.random.default_rng(1).normal(scale=50, size=(3, 4, 5)).astype(np.float32), 0),
]


@pytest.mark.parametrize(("logits", "axis"), CASES)
@pytest.mark.parametrize("implementation", [softmax, NB01.softmax], ids=["helpers", "notebook01"])
def test_softmax_matches_torch(implementation, logits, axis):
    ours = implementation(logits, axis=axis)
    reference = torch.softmax(torch.from_numpy(logits), dim=axis).numpy()
    assert ours.dtype == logits.dtype
    tol = 1e-6 if logits.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours, reference, rtol=tol, atol=tol)


def test_the_tutorial_values():
    np.testing.assert_allclose(
        softmax([2.0, 1.0, 0.1]), [0.65900114, 0.24243297, 0.09856589], rtol=1e-7
    )


def test_naive_softmax_of_notebook01_overflows():
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(NB01.naive_softmax(np.array([1000.0, 1001.0, 1002.0]))).all()


def test_integer_and_tensor_input():
    np.testing.assert_allclose(softmax([0, 0]), [0.5, 0.5])
    np.testing.assert_allclose(softmax(torch.tensor([0.0, 0.0])), [0.5, 0.5])


@pytest.mark.parametrize(
    ("logits", "axis", "message"),
    [
        ([1.0, np.nan], -1, "contains NaN"),
        ([1.0, np.inf], -1, r"contains \+inf"),
        ([-np.inf, -np.inf], -1, "entirely -inf"),
        ([1.0, 2.0], 1, "axis 1 is out of range"),
        (3.0, -1, "at least one dimension"),
    ],
)
@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_rejects_bad_input(function, logits, axis, message):
    with pytest.raises(ValueError, match=message):
        function(logits, axis=axis)
