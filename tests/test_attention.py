"""Notebook 10's attention functions against PyTorch's F.scaled_dot_product_attention."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.attention import SDPBackend, sdpa_kernel

from helpers.notebook_import import load_notebook_definitions

NB10 = load_notebook_definitions("10_softmax_in_attention")
# As the notebook leaves them: section 4's reading cell wraps both in the argument checks.
attention = NB10.with_checked_arguments(NB10.attention)
tiled_attention = NB10.with_checked_arguments(NB10.tiled_attention)

RTOL = {torch.float64: 1e-10, torch.float32: 1e-5}


def peer(query, key, value, attn_mask=None, **options):
    """F.scaled_dot_product_attention, with a row whose every key is masked set to 0: the
    course's choice, and what PyTorch's CPU backends do from 2.5 on (2.4 gave NaN)."""
    if attn_mask is None:
        return F.scaled_dot_product_attention(query, key, value, **options)
    boolean = attn_mask.dtype == torch.bool
    alive = (attn_mask if boolean else ~torch.isneginf(attn_mask)).any(-1, keepdim=True)
    safe = attn_mask.masked_fill(~alive, True if boolean else 0.0)
    return F.scaled_dot_product_attention(query, key, value, attn_mask=safe, **options) * alive


def tiled(block_size):
    return lambda *a, **o: tiled_attention(*a, block_size=block_size, **o)


def inputs(batch, length, keys, dim, value_dim, dtype, *, scale=1.0, seed=0):
    generator = torch.Generator().manual_seed(seed)
    query = scale * torch.randn(*batch, length, dim, generator=generator, dtype=dtype)
    key = torch.randn(*batch, keys, dim, generator=generator, dtype=dtype)
    value = torch.randn(*batch, keys, value_dim, generator=generator, dtype=dtype)
    return query, key, value


def output_and_grads(fn, query, key, value, **options):
    leaves = [x.detach().clone().requires_grad_(True) for x in (query, key, value)]
    output = fn(*leaves, **options)
    upstream = torch.linspace(0.5, 1.5, output.numel(), dtype=output.dtype)
    output.backward(upstream.reshape(output.shape))
    return [output.detach()] + [leaf.grad for leaf in leaves]


def assert_relative_close(got, expected, rtol):
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.isfinite().all() and expected.isfinite().all()
    # A gradient that is zero in exact arithmetic (one key left: the weights cannot move) is
    # PyTorch's round-off, 1e-16 here; compare it at the problem's scale, not at that one.
    scale = max(expected.abs().max().item(), 1e-3)
    difference = (got - expected).abs().max().item()
    assert difference <= rtol * scale, (difference, scale)


def assert_matches_peer(query, key, value, block_size, **options):
    expected = output_and_grads(peer, query, key, value, **options)
    for fn in (attention, tiled(block_size)):
        for got, want in zip(output_and_grads(fn, query, key, value, **options), expected,
                             strict=True):
            assert_relative_close(got, want, RTOL[query.dtype])


def mask_for(kind, batch, length, keys, dtype, seed=1):
    generator = torch.Generator().manual_seed(seed)
    if kind == "bool":
        mask = torch.rand(length, keys, generator=generator) > 0.4
        mask[0] = False  # a row with every key masked
        return {"attn_mask": mask}
    if kind == "float":
        mask = torch.randn(length, keys, generator=generator, dtype=dtype)
        mask[:, : keys // 2] = -math.inf
        mask[-1] = -math.inf
        return {"attn_mask": mask}
    if kind == "padding":  # keys past each sequence's length are padding
        lengths = torch.randint(0, keys + 1, batch[:1], generator=generator)
        mask = torch.arange(keys) < lengths[:, None]
        return {"attn_mask": mask.reshape(batch[0], *([1] * len(batch)), keys)}
    if kind == "causal":
        return {"is_causal": True}
    return {}


SHAPES = [  # (batch, L, S, E, Ev, block_size)
    ((2, 3), 16, 16, 8, 8, 4), ((2, 3), 7, 11, 4, 3, 4), ((1, 2), 11, 7, 4, 5, 3),
    ((2,), 1, 9, 4, 4, 2), ((2,), 5, 1, 4, 4, 2), ((3, 1), 6, 13, 8, 6, 5),
    ((1,), 9, 9, 4, 4, 100), ((2,), 13, 13, 6, 6, 1),
]
MASKS = ["none", "bool", "float", "padding", "causal"]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_output_and_gradients_match_the_peer(shape, kind, dtype):
    batch, length, keys, dim, value_dim, block_size = shape
    query, key, value = inputs(batch, length, keys, dim, value_dim, dtype)
    options = mask_for(kind, batch, length, keys, dtype)
    assert_matches_peer(query, key, value, block_size, **options)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_large_scores_and_an_explicit_scale(dtype):
    query, key, value = inputs((2, 2), 12, 17, 8, 8, dtype, scale=30.0)
    assert_matches_peer(query, key, value, 5)
    assert_matches_peer(query, key, value, 5, is_causal=True)
    assert_matches_peer(query, key, value, 4, scale=0.7)


@pytest.mark.parametrize("fn", [attention, tiled(3)], ids=["attention", "tiled"])
def test_a_row_with_every_key_masked_gives_zero_output_and_zero_gradients(fn):
    query, key, value = inputs((2,), 4, 7, 4, 4, torch.float64)
    mask = torch.ones(4, 7, dtype=torch.bool)
    mask[2] = False
    output, grad_query, grad_key, grad_value = output_and_grads(fn, query, key, value,
                                                                attn_mask=mask)
    assert torch.equal(output[:, 2], torch.zeros_like(output[:, 2]))
    assert torch.equal(grad_query[:, 2], torch.zeros_like(grad_query[:, 2]))
    assert grad_key.isfinite().all() and grad_value.isfinite().all()
    every = torch.zeros(4, 7, dtype=torch.bool)
    grads = output_and_grads(fn, query, key, value, attn_mask=every)
    assert all(torch.equal(g, torch.zeros_like(g)) for g in grads)


@pytest.mark.pinned
@pytest.mark.parametrize("backend", [SDPBackend.MATH, SDPBackend.FLASH_ATTENTION],
                         ids=lambda b: b.name)
def test_pytorchs_cpu_backends_give_zero_for_a_row_with_every_key_masked(backend):
    # The lesson states it for the pinned version (2.4.1 gave NaN in both).
    query, key, value = inputs((1, 1), 3, 5, 4, 4, torch.float32)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[1] = False
    with sdpa_kernel([backend]):
        output, grad_query, _, _ = output_and_grads(F.scaled_dot_product_attention, query,
                                                    key, value, attn_mask=mask)
    assert torch.equal(output[..., 1, :], torch.zeros(1, 1, 4))
    assert torch.equal(grad_query[..., 1, :], torch.zeros(1, 1, 4))


def test_the_naive_formula_gives_nan_on_a_row_with_every_key_masked():
    scores = torch.full((3,), -math.inf)
    assert torch.softmax(scores, dim=0).isnan().all()


def test_causal_mask_is_aligned_top_left_as_pytorch():
    query, key, value = inputs((1,), 3, 5, 4, 4, torch.float64)
    top_left = torch.ones(3, 5, dtype=torch.bool).tril()
    expected = F.scaled_dot_product_attention(query, key, value, attn_mask=top_left)
    for fn in (attention, tiled(2)):
        torch.testing.assert_close(fn(query, key, value, is_causal=True), expected)


def test_gradcheck_on_a_small_case():
    query, key, value = inputs((1,), 4, 6, 3, 2, torch.float64, seed=3)
    leaves = [x.requires_grad_(True) for x in (query, key, value)]
    mask = torch.randn(4, 6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    mask[1, :4] = -math.inf
    assert torch.autograd.gradcheck(
        lambda q, k, v: tiled_attention(q, k, v, attn_mask=mask, block_size=4), leaves)
    assert torch.autograd.gradcheck(
        lambda q, k, v: tiled_attention(q, k, v, is_causal=True, block_size=3), leaves)


def test_second_derivative_is_refused():
    query, key, value = [x.requires_grad_(True)
                         for x in inputs((1,), 3, 4, 2, 2, torch.float64)]
    output = tiled_attention(query, key, value, block_size=2)
    with pytest.raises(RuntimeError, match="create_graph"):
        torch.autograd.grad(output.sum(), query, create_graph=True)


def test_the_blocks_visited_are_those_the_lesson_counts():
    # 16 keys, blocks of 4: (16 + 12 + 8 + 4) x 4 of 256 scores when causal (62.5 %).
    assert list(NB10.key_blocks(16, 4, True, 16)) == [(0, 4, 0), (4, 8, 4), (8, 12, 8),
                                                      (12, 16, 12)]
    assert list(NB10.key_blocks(10, 4, False, 3)) == [(0, 4, 0), (4, 8, 0), (8, 10, 0)]
    assert list(NB10.key_blocks(10, 4, True, 3)) == [(0, 4, 0)]  # later blocks: above
    assert NB10.computed_share(16, 4) == 0.625


def test_nan_to_num_after_a_float_mask_leaves_nan_in_the_gradient():
    # The lesson's claim (section 3): the output is mended, the gradient is not.
    query, key, value = [x.requires_grad_(True) for x in inputs((), 3, 4, 2, 2, torch.float64)]
    bias = torch.zeros(3, 4, dtype=torch.float64)
    bias[1] = -math.inf
    weights = torch.softmax(query @ key.T + bias, dim=-1).nan_to_num()
    (weights @ value).sum().backward()
    assert (weights @ value).isfinite().all()
    assert query.grad[1].isnan().all() and key.grad.isnan().all()


def test_forward_keeps_no_gradient_graph_and_saves_one_lse_per_query():
    query, key, value = [x.requires_grad_(True)
                         for x in inputs((2,), 5, 8, 4, 3, torch.float32)]
    output = tiled_attention(query, key, value, block_size=3)
    saved = output.grad_fn.saved_tensors
    shapes = sorted(tuple(t.shape) for t in saved if t is not None)
    assert (2, 5) in shapes  # the log-sum-exp, one per query
    assert all(t.numel() < 2 * 5 * 8 or tuple(t.shape) in {(2, 8, 4)} for t in saved
               if t is not None), shapes


@pytest.mark.parametrize(("args", "options", "error", "words"), [
    ((torch.zeros(2, 3), torch.zeros(4, 2), torch.zeros(4, 2)), {}, ValueError, "features"),
    ((torch.zeros(2, 3), torch.zeros(4, 3), torch.zeros(5, 2)), {}, ValueError, "features"),
    ((torch.zeros(1, 2, 3), torch.zeros(2, 4, 3), torch.zeros(2, 4, 3)), {}, ValueError,
     "leading"),
    ((torch.zeros(2, 3), torch.zeros(4, 3), torch.zeros(4, 2)),
     {"attn_mask": torch.ones(2, 4, dtype=torch.bool), "is_causal": True}, ValueError, "not both"),
    ((torch.zeros(2, 3), torch.zeros(4, 3), torch.zeros(4, 2)),
     {"attn_mask": torch.ones(3, 4, dtype=torch.bool)}, ValueError, "broadcast"),
    (([0.0], torch.zeros(4, 3), torch.zeros(4, 2)), {}, TypeError, "tensor"),
    ((torch.zeros(2, 3), torch.zeros(4, 3), torch.zeros(4, 2)), {"block_size": 0}, ValueError,
     "block_size"),
])
def test_bad_input_is_a_clear_error(args, options, error, words):
    functions = [tiled_attention] if "block_size" in options else [attention, tiled_attention]
    for fn in functions:
        with pytest.raises(error, match=words):
            fn(*args, **options)


@settings(max_examples=30, deadline=None, derandomize=True)  # the same cases every run
@given(length=st.integers(1, 9), keys=st.integers(1, 9), dim=st.integers(1, 5),
       value_dim=st.integers(1, 4), block_size=st.integers(1, 10),
       kind=st.sampled_from(MASKS), seed=st.integers(0, 2**16))
def test_property_tiled_matches_the_peer_for_any_shape_and_block(length, keys, dim, value_dim,
                                                                block_size, kind, seed):
    query, key, value = inputs((2, 2), length, keys, dim, value_dim, torch.float64, seed=seed)
    options = mask_for(kind, (2, 2), length, keys, torch.float64, seed=seed)
    assert_matches_peer(query, key, value, block_size, **options)


@settings(max_examples=30, deadline=None, derandomize=True)  # the same cases every run
@given(shift=st.floats(-50, 50), seed=st.integers(0, 2**16))
def test_property_a_constant_added_to_every_score_of_a_row_changes_nothing(shift, seed):
    query, key, value = inputs((2,), 5, 7, 3, 3, torch.float64, seed=seed)
    shifted = torch.full((5, 7), shift, dtype=torch.float64)
    for fn in (attention, tiled(3)):
        torch.testing.assert_close(fn(query, key, value, attn_mask=shifted),
                                   fn(query, key, value), rtol=1e-10, atol=1e-12)
