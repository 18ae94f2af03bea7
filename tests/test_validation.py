import numpy as np
import pytest
import torch

from helpers.validation import as_float_array, check_labels, check_probabilities


def test_accepts_lists_arrays_and_tensors():
    for values in ([1, 2, 3], np.array([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])):
        out = as_float_array(values, "x", ndim=1)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        (None, TypeError, "x must be an array of numbers"),
        ("abc", TypeError, "x must be an array of numbers"),
        ([["a"]], TypeError, "must hold numbers"),
        ([1 + 2j], TypeError, "real numbers"),
        ([[1, 2], [3]], ValueError, "rectangular"),
        ([], ValueError, "at least 1 value"),
        ([1.0, np.nan], ValueError, "contains NaN"),
        ([1.0, np.inf], ValueError, r"contains \+inf"),
        ([1.0, -np.inf], ValueError, "contains -inf"),
    ],
)
def test_rejects_bad_values(values, error, message):
    with pytest.raises(error, match=message):
        as_float_array(values, "x")


def test_shape_and_neg_inf_options():
    with pytest.raises(ValueError, match=r"x must have 1 dimension\(s\), got shape \(2, 2\)"):
        as_float_array([[1, 2], [3, 4]], "x", ndim=1)
    with pytest.raises(ValueError, match="1 or 2 dimension"):
        as_float_array(np.zeros((1, 1, 1)), "x", ndim=(1, 2))
    out = as_float_array([0.0, -np.inf], "x", allow_neg_inf=True)
    assert np.isneginf(out[1])


def test_check_probabilities():
    np.testing.assert_allclose(check_probabilities([0.2, 0.8]), [0.2, 0.8])
    with pytest.raises(ValueError, match="sum to 1"):
        check_probabilities([0.2, 0.7])
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        check_probabilities([1.5, -0.5])
    check_probabilities([[0.5, 0.5], [0.1, 0.9]], axis=1)


def test_check_labels():
    assert check_labels(None, 3) == ["0", "1", "2"]
    assert check_labels(["a", "b"], 2) == ["a", "b"]
    with pytest.raises(ValueError, match="has 1 entries but there are 2 classes"):
        check_labels(["a"], 2)
    with pytest.raises(TypeError, match="single string"):
        check_labels("ab", 2)
