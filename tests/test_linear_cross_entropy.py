"""Notebook 08's fused linear cross-entropy against PyTorch's own layers (the peer)."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.measurement import peak_memory_bytes
from helpers.notebook_import import load_notebook_definitions

NB08 = load_notebook_definitions("08_cross_entropy_without_logits")
linear_cross_entropy = NB08.linear_cross_entropy

RTOL = {torch.float64: 1e-10, torch.float32: 1e-5}


def peer(hidden, weight, bias, targets, ignore_index=-100, reduction="mean",
         label_smoothing=0.0, z_loss=0.0, softcap=None):
    """F.cross_entropy(F.linear(...)), plus z-loss and soft-capping written with autograd."""
    logits = F.linear(hidden, weight, bias)
    if softcap is not None:
        logits = softcap * torch.tanh(logits / softcap)
    loss = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)
    if not z_loss:
        return loss
    kept = targets != ignore_index
    terms = torch.where(kept, z_loss * torch.logsumexp(logits, dim=1) ** 2, 0.0)
    if reduction == "none":
        return loss + terms
    return loss + (terms.sum() / kept.sum() if reduction == "mean" else terms.sum())


def inputs(num_tokens, dim, vocab_size, dtype, *, scale=1.0, seed=0, bias=True):
    generator = torch.Generator().manual_seed(seed)
    hidden = scale * torch.randn(num_tokens, dim, generator=generator, dtype=dtype)
    weight = torch.randn(vocab_size, dim, generator=generator, dtype=dtype) / dim**0.5
    bias_ = torch.randn(vocab_size, generator=generator, dtype=dtype) if bias else None
    targets = torch.randint(0, vocab_size, (num_tokens,), generator=generator)
    return hidden, weight, bias_, targets


def loss_and_grads(loss_fn, hidden, weight, bias, targets, **options):
    leaves = [None if x is None else x.detach().clone().requires_grad_(True)
              for x in (hidden, weight, bias)]
    loss = loss_fn(*leaves, targets, **options)
    upstream = torch.linspace(0.5, 1.5, loss.numel(), dtype=loss.dtype).reshape(loss.shape)
    loss.backward(upstream)
    return [loss.detach()] + [None if leaf is None else leaf.grad for leaf in leaves]


def assert_relative_close(got, expected, rtol):
    if expected is None:
        assert got is None
        return
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert torch.equal(got.isnan(), expected.isnan())
    got, expected = got.nan_to_num(), expected.nan_to_num()
    scale = expected.abs().max().item()
    difference = (got - expected).abs().max().item()
    assert difference <= rtol * scale if scale > 0 else difference == 0, (difference, scale)


def assert_matches_peer(hidden, weight, bias, targets, block_size, rtol, **options):
    fused = loss_and_grads(
        lambda *a, **o: linear_cross_entropy(*a, block_size=block_size, **o),
        hidden, weight, bias, targets, **options)
    expected = loss_and_grads(peer, hidden, weight, bias, targets, **options)
    for got, want in zip(fused, expected, strict=True):
        assert_relative_close(got, want, rtol)


SHAPES = [  # (N, D, V, block_size): blocks that divide V, do not, are 1, exceed V
    (8, 4, 32, 8), (8, 4, 33, 8), (5, 3, 17, 1), (5, 3, 17, 100), (1, 6, 40, 7),
    (6, 3, 1, 1), (6, 3, 1, 4), (1, 1, 1, 1), (64, 16, 1000, 333),
]
OPTIONS = [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
    {"label_smoothing": 1.0}, {"z_loss": 1e-4}, {"softcap": 30.0}, {"softcap": 0.5},
    {"ignore_index": 2}, {"label_smoothing": 0.2, "z_loss": 1e-2, "softcap": 3.0},
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("num_tokens", "dim", "vocab_size", "block_size"), SHAPES)
def test_matches_the_peer_on_awkward_shapes(dtype, num_tokens, dim, vocab_size, block_size):
    assert_matches_peer(*inputs(num_tokens, dim, vocab_size, dtype), block_size, RTOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_matches_the_peer_with_every_option(dtype, options):
    hidden, weight, bias, targets = inputs(12, 5, 23, dtype, scale=3.0, seed=1)
    targets[::4] = options.get("ignore_index", -100)
    assert_matches_peer(hidden, weight, bias, targets, 5, RTOL[dtype], **options)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_target_ignored(dtype, reduction):
    hidden, weight, bias, targets = inputs(4, 3, 9, dtype)
    targets[:] = -100
    assert_matches_peer(hidden, weight, bias, targets, 4, RTOL[dtype], reduction=reduction)
    loss = linear_cross_entropy(hidden, weight, bias, targets, reduction=reduction)
    assert torch.isnan(loss).all() if reduction == "mean" else (loss == 0).all()


def test_the_mean_divides_by_the_kept_targets_of_the_whole_batch():
    hidden, weight, bias, targets = inputs(9, 3, 11, torch.float64, seed=2)
    targets[[0, 1, 2, 4]] = -100
    per_token = linear_cross_entropy(hidden, weight, bias, targets, reduction="none")
    mean = linear_cross_entropy(hidden, weight, bias, targets, block_size=4)
    torch.testing.assert_close(mean, per_token.sum() / 5, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("scale", [100.0, 1000.0])
def test_large_magnitude_logits(dtype, scale):
    hidden, weight, bias, targets = inputs(6, 4, 50, dtype, scale=scale, seed=3)
    assert_matches_peer(hidden, weight, bias, targets, 7, RTOL[dtype])
    assert_matches_peer(hidden, weight, bias, targets, 7, RTOL[dtype], label_smoothing=0.1)


def test_without_bias():
    hidden, weight, _, targets = inputs(7, 4, 19, torch.float64, bias=False)
    assert_matches_peer(hidden, weight, None, targets, 6, 1e-10, label_smoothing=0.1)


def test_gradcheck_with_every_option():
    generator = torch.Generator().manual_seed(4)
    leaves = [torch.randn(*shape, generator=generator, dtype=torch.float64, requires_grad=True)
              for shape in [(3, 2), (5, 2), (5,)]]
    targets = torch.tensor([4, -100, 0])
    for options in [{}, {"label_smoothing": 0.3, "z_loss": 0.05, "softcap": 1.5}]:
        assert torch.autograd.gradcheck(
            lambda h, w, b, o=options: linear_cross_entropy(h, w, b, targets, block_size=2,
                                                            reduction="none", **o),
            leaves,
        )


def test_double_backward_is_refused_even_for_a_gradient_penalty():
    hidden, weight, bias, targets = inputs(3, 2, 5, torch.float64)
    hidden.requires_grad_(True)
    weight.requires_grad_(True)
    refused = "differentiated only once: create_graph=True is not supported"
    # A gradient penalty on the loss alone: once_differentiable let this through with a
    # gradient that did not require grad, so the penalty was silently a constant.
    loss = linear_cross_entropy(hidden, weight, bias, targets, block_size=2)
    with pytest.raises(RuntimeError, match=refused):
        torch.autograd.grad(loss, hidden, create_graph=True)
    scale = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    loss = scale * linear_cross_entropy(hidden, weight, bias, targets, block_size=2)
    with pytest.raises(RuntimeError, match=refused):
        torch.autograd.grad(loss, hidden, create_graph=True)
    # A plain backward still matches F.cross_entropy(F.linear(...)).
    assert_matches_peer(hidden.detach(), weight.detach(), bias, targets, 2, 1e-10)


def test_inputs_are_not_modified():
    originals = inputs(5, 3, 12, torch.float32)
    copies = [x.clone() for x in originals]
    hidden, weight, bias = (x.clone().requires_grad_(True) for x in originals[:3])
    linear_cross_entropy(hidden, weight, bias, originals[3], block_size=5,
                         label_smoothing=0.1, softcap=2.0).backward()
    for before, after in zip(copies, (hidden, weight, bias, originals[3]), strict=True):
        assert torch.equal(before, after.detach())


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_inputs_are_upcast_block_by_block(dtype):
    hidden, weight, bias, targets = (x.to(dtype) if x.is_floating_point() else x
                                     for x in inputs(16, 8, 64, torch.float32, scale=2.0))
    fused = loss_and_grads(
        lambda *a: linear_cross_entropy(*a, block_size=16), hidden, weight, bias, targets)
    assert fused[0].dtype == torch.float32
    assert [g.dtype for g in fused[1:]] == [dtype] * 3
    reference = loss_and_grads(peer, *(x.double() for x in (hidden, weight, bias)), targets)
    upcast = loss_and_grads(lambda h, w, b, t: F.cross_entropy(F.linear(h, w, b).float(), t),
                            hidden, weight, bias, targets)
    fused_error = abs(fused[0].double() - reference[0]).item()
    assert fused_error <= 2 * abs(upcast[0].double() - reference[0]).item() + 1e-6
    assert fused_error / reference[0].item() < 1e-3


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    num_tokens=st.integers(1, 9),
    dim=st.integers(1, 5),
    vocab_size=st.integers(1, 30),
    block_size=st.integers(1, 40),
    scale=st.sampled_from([0.1, 1.0, 30.0]),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    label_smoothing=st.sampled_from([0.0, 0.25]),
    z_loss=st.sampled_from([0.0, 1e-3]),
    softcap=st.sampled_from([None, 4.0]),
    ignored=st.integers(0, 9),
    seed=st.integers(0, 1_000),
)
def test_property_matches_the_peer_in_float64(num_tokens, dim, vocab_size, block_size, scale,
                                              reduction, label_smoothing, z_loss, softcap,
                                              ignored, seed):
    hidden, weight, bias, targets = inputs(num_tokens, dim, vocab_size, torch.float64,
                                           scale=scale, seed=seed)
    targets[:ignored] = -100
    assert_matches_peer(hidden, weight, bias, targets, block_size, 1e-10, reduction=reduction,
                        label_smoothing=label_smoothing, z_loss=z_loss, softcap=softcap)


def test_extra_memory_does_not_grow_with_the_vocabulary():
    block_size, num_tokens = 256, 32
    extras = []
    for vocab_size in (1_024, 8_192):
        hidden, weight, bias, targets = inputs(num_tokens, 16, vocab_size, torch.float32)
        leaves = [x.requires_grad_(True) for x in (hidden, weight, bias)]
        peak = peak_memory_bytes(lambda leaves=leaves, targets=targets: linear_cross_entropy(
            *leaves, targets, block_size=block_size).backward())
        extras.append(peak - sum(x.nbytes for x in leaves))
    block_bytes = num_tokens * block_size * 4
    assert max(extras) <= 8 * block_bytes, extras
    assert abs(extras[1] - extras[0]) <= 0.05 * max(extras) + 4096, extras


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hidden": torch.zeros(4)}, "expected hidden"),
        ({"weight": torch.zeros(5, 3)}, "expected hidden"),
        ({"bias": torch.zeros(4)}, "expected bias"),
        ({"targets": torch.zeros(4)}, "int64 targets"),
        ({"targets": torch.tensor([0, 5, 1, 1])}, "targets must lie in"),
        ({"targets": torch.tensor([0, -1, 1, 1])}, "targets must lie in"),
        ({"block_size": 0}, "block_size"),
        ({"block_size": 2.0}, "block_size"),
        ({"reduction": "avg"}, "reduction"),
        ({"label_smoothing": 1.5}, "label_smoothing"),
        ({"z_loss": -1.0}, "z_loss"),
        ({"softcap": 0.0}, "softcap"),
    ],
)
def test_bad_arguments_are_clear_errors(change, message):
    arguments = {"hidden": torch.zeros(4, 2), "weight": torch.zeros(5, 2),
                 "bias": torch.zeros(5), "targets": torch.tensor([0, 4, -100, 1])}
    arguments.update(change)
    keywords = {k: arguments.pop(k) for k in list(arguments)
                if k not in ("hidden", "weight", "bias", "targets")}
    with pytest.raises(ValueError, match=message):
        linear_cross_entropy(arguments["hidden"], arguments["weight"], arguments["bias"],
                             arguments["targets"], **keywords)


def test_section_2_core_without_stabilisers_matches_the_peer():
    # The lecture path runs section 2's autograd.Function alone: it must be right by itself.
    hidden, weight, bias, targets = inputs(9, 5, 23, torch.float64, seed=3)
    targets[::4] = -100
    core = loss_and_grads(
        lambda h, w, b, t: NB08.LinearCrossEntropy.apply(h, w, b, t, 6, -100, "mean", 0.1),
        hidden, weight, bias, targets)
    expected = loss_and_grads(
        lambda h, w, b, t: F.cross_entropy(F.linear(h, w, b), t, label_smoothing=0.1),
        hidden, weight, bias, targets)
    for got, want in zip(core, expected, strict=True):
        assert_relative_close(got, want, RTOL[torch.float64])


def test_z_loss_gradient_is_proportional_to_the_softmax_not_a_uniform_shift():
    # d(lambda lse^2)/dz = 2 lambda lse p: through the bias, the mean of that over tokens.
    hidden, weight, bias, targets = inputs(6, 4, 11, torch.float64, scale=5.0, seed=4)
    z_weight = 1e-2
    bias = bias.clone().requires_grad_(True)
    with_z = linear_cross_entropy(hidden, weight, bias, targets, block_size=4, z_loss=z_weight)
    grad_with = torch.autograd.grad(with_z, bias)[0]
    grad_without = torch.autograd.grad(
        linear_cross_entropy(hidden, weight, bias, targets, block_size=4), bias)[0]
    logits = F.linear(hidden, weight, bias.detach())
    lse = torch.logsumexp(logits, dim=1, keepdim=True)
    expected = (2 * z_weight * lse * logits.softmax(dim=1)).mean(dim=0)
    torch.testing.assert_close(grad_with - grad_without, expected)
    assert expected.std() > 1e-3 * expected.abs().mean()  # not the same for every class
