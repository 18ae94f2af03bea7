"""log_softmax (helpers and notebook 02's teaching version) and notebook 02's losses vs PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.notebook_import import load_notebook_definitions
from helpers.numerics import log_softmax

NB02 = load_notebook_definitions("02_cross_entropy")

RNG = np.random.default_rng(0)
CASES = [
    (np.array([2.0, 1.0, 0.1]), -1),
    (np.array([1000.0, 1001.0, 1002.0]), -1),
    (np.array([-1e4, 0.0, 1e4]), 0),
    (np.array([1e4, 1e4, -1e4]), -1),
    (np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float32), 1),
    (np.array([[1e3, -1e3, 0.0], [5.0, 5.0, 4.0]], dtype=np.float32), 0),
    (RNG.normal(scale=50, size=(3, 4, 5)), 1),
    (RNG.normal(scale=1e4, size=(6, 7)), -1),
    (RNG.normal(scale=50, size=(3, 4, 5)).astype(np.float32), 2),
]


@pytest.mark.parametrize(("logits", "axis"), CASES)
@pytest.mark.parametrize(
    "implementation", [log_softmax, NB02.log_softmax], ids=["helpers", "notebook02"]
)
def test_log_softmax_matches_torch(implementation, logits, axis):
    ours = implementation(logits, axis=axis)
    reference = torch.log_softmax(torch.from_numpy(logits), dim=axis).numpy()
    assert ours.dtype == logits.dtype
    assert np.isfinite(ours).all()
    if logits.dtype == np.float32:
        # float32 rounding of (z - m) for |z| ~ 1e4 is about 1e-3 in absolute terms.
        np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-5)
    else:
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


def test_log_softmax_is_log_of_softmax_where_softmax_does_not_underflow():
    logits = RNG.normal(size=(4, 6))
    probs = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    np.testing.assert_allclose(np.exp(log_softmax(logits, axis=1)), probs, rtol=1e-14)


def test_masked_logits_give_minus_inf():
    out = log_softmax(np.array([2.0, -np.inf, 1.0]))
    reference = torch.log_softmax(torch.tensor([2.0, -np.inf, 1.0], dtype=torch.float64), 0)
    assert np.isneginf(out[1])
    np.testing.assert_allclose(out, reference.numpy(), rtol=1e-14)


def test_integer_and_tensor_input():
    np.testing.assert_allclose(log_softmax([0, 0]), np.log([0.5, 0.5]), rtol=1e-15)
    np.testing.assert_allclose(log_softmax(torch.tensor([0.0, 0.0])), np.log([0.5, 0.5]))


# ---- notebook 02's losses --------------------------------------------------------------

def test_the_classic_numpy_cross_entropy_values():
    assert NB02.cross_entropy(np.array([1, 0, 0]), np.array([0.7, 0.2, 0.1])) == (
        0.35667494393873245
    )
    assert NB02.cross_entropy(np.array([1, 0, 0]), np.array([0.1, 0.3, 0.6])) == (
        2.3025850929940455
    )


def test_entropy_matches_torch_and_handles_zeros():
    for probs in ([1.0, 0.0, 0.0], [0.5, 0.5], [0.2, 0.3, 0.1, 0.4]):
        reference = torch.distributions.Categorical(
            probs=torch.tensor(probs, dtype=torch.float64)
        ).entropy()
        np.testing.assert_allclose(NB02.entropy(probs), reference.item(), atol=1e-15)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_cross_entropy_from_logits_matches_torch(scale):
    rng = np.random.default_rng(int(scale))
    logits = rng.normal(scale=scale, size=(16, 7))
    targets = rng.integers(0, 7, size=16)
    reference = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)).item()
    np.testing.assert_allclose(NB02.cross_entropy_from_logits(logits, targets), reference,
                               rtol=1e-12)


def test_the_notebook_gradient_passes_gradcheck_and_equals_autograd():
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(5, 4, generator=generator, dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([0, 3, 1, 1, 2])
    function = NB02.CrossEntropyWithOurGradient.apply
    assert torch.autograd.gradcheck(function, (logits, targets))
    ours = torch.autograd.grad(function(logits, targets), logits)[0]
    theirs = torch.autograd.grad(F.cross_entropy(logits, targets), logits)[0]
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-15)


def test_gradcheck_catches_a_wrong_backward():
    """The check in the notebook can fail: a backward without the 1/N is rejected."""

    class WrongGradient(NB02.CrossEntropyWithOurGradient):
        @staticmethod
        def backward(ctx, grad_output):
            gradient, _ = NB02.CrossEntropyWithOurGradient.backward(ctx, grad_output)
            return gradient * ctx.saved_tensors[0].shape[0], None

    logits = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([0, 1, 2])
    assert not torch.autograd.gradcheck(
        WrongGradient.apply, (logits, targets), raise_exception=False
    )
