"""Notebook 03's ``cross_entropy_from_scratch`` against ``F.cross_entropy``, property-based.

The function is loaded from the notebook itself (one source of truth). Hypothesis draws
shapes (C,), (N, C), (N, C, d1) and (N, C, d1, d2), class-index and probability targets,
weights, ignored targets, label smoothing, every reduction, and logits up to +-1e4.
Float64 results must agree to 1e-10 relative; ``nan`` (every target ignored) must match.
Runs are derandomized, so CI sees the same examples every time.
"""

from collections import defaultdict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.notebook_import import load_notebook_definitions

NB03 = load_notebook_definitions("03_pytorch_cross_entropy_loss")
cross_entropy_from_scratch = NB03.cross_entropy_from_scratch

RTOL = 1e-10
# Per feature: the relative error of every compared case (read by a measuring script;
# the tests themselves only assert).
RELATIVE_ERRORS: dict[str, list[float]] = defaultdict(list)

FAST = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ORDINARY = st.floats(-10.0, 10.0)
EXTREME = st.one_of(st.floats(-1e4, 1e4), st.sampled_from([-1e4, 1e4, 9999.0, 0.0]))
ANY_LOGIT = st.one_of(ORDINARY, EXTREME)
REDUCTIONS = st.sampled_from(["none", "sum", "mean"])
# A class is switched off (0) or weighted from 1e-3 to 5. Weights near the subnormal range
# (below 1e-300) make both results rounding noise and are left out on purpose.
WEIGHTS = st.one_of(st.just(0.0), st.floats(1e-3, 5.0))
SMOOTHING = st.one_of(st.sampled_from([0.0, 0.1, 1.0]), st.floats(0.0, 1.0))


@st.composite
def problems(draw, *, kind=None, weighted=None, ignored=None, smoothing=None,
             logit_values=ANY_LOGIT):
    """One random call: (logits, target, options). ``None`` means 'draw it'."""
    num_classes = draw(st.integers(1, 5))
    batch = draw(st.integers(1, 4))
    extra = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    single = draw(st.booleans()) and not extra
    shape = (num_classes,) if single else (batch, num_classes, *extra)
    target_shape = () if single else (batch, *extra)
    logits = draw(hnp.arrays(np.float64, shape, elements=logit_values))

    kind = kind or draw(st.sampled_from(["index", "probability"]))
    options = {"reduction": draw(REDUCTIONS)}
    if kind == "probability":
        probabilities = st.floats(0.0, 1.0, allow_subnormal=False)
        target = draw(hnp.arrays(np.float64, shape, elements=probabilities))
        if draw(st.booleans()):  # rows that sum to 1, as usual
            sums = target.sum(axis=0 if single else 1, keepdims=True)
            target = np.where(sums > 0, target / np.where(sums > 0, sums, 1.0), 1 / num_classes)
    else:
        target = draw(hnp.arrays(np.int64, target_shape, elements=st.integers(0, num_classes - 1)))
        if ignored if ignored is not None else draw(st.booleans()):
            ignore_index = draw(st.sampled_from([-100, -1, *range(num_classes)]))
            mask = draw(hnp.arrays(np.bool_, target_shape))
            target = np.where(mask, ignore_index, target)
            options["ignore_index"] = ignore_index
    if weighted if weighted is not None else draw(st.booleans()):
        options["weight"] = draw(hnp.arrays(np.float64, num_classes, elements=WEIGHTS))
    options["label_smoothing"] = draw(SMOOTHING) if smoothing is None else smoothing
    return logits, target, options


def torch_reference(logits, target, options):
    options = dict(options)
    if "weight" in options:
        options["weight"] = torch.from_numpy(options["weight"])
    result = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target), **options)
    return result.numpy()


def assert_matches_torch(feature, logits, target, options, rtol=RTOL):
    ours = np.asarray(cross_entropy_from_scratch(logits, target, **options))
    theirs = torch_reference(logits, target, options)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0, equal_nan=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.abs(ours - theirs) / np.abs(theirs)
    error = np.where((ours == theirs) | (np.isnan(ours) & np.isnan(theirs)), 0.0, error)
    RELATIVE_ERRORS[feature].append(float(np.max(error, initial=0.0)))


@FAST
@given(problems(kind="index", weighted=False, ignored=False, smoothing=0.0))
def test_class_index_targets_every_shape_and_reduction(problem):
    assert_matches_torch("class indices, every shape and reduction", *problem)


@FAST
@given(problems(kind="probability"))
def test_probability_targets(problem):
    assert_matches_torch("probability targets", *problem)


@FAST
@given(problems(weighted=True))
def test_weight(problem):
    assert_matches_torch("weight=", *problem)


@FAST
@given(problems(kind="index", ignored=True))
def test_ignore_index(problem):
    assert_matches_torch("ignore_index=", *problem)


@FAST
@given(problems(smoothing=None).filter(lambda problem: problem[2]["label_smoothing"] > 0))
def test_label_smoothing(problem):
    assert_matches_torch("label_smoothing=", *problem)


@FAST
@given(problems(logit_values=st.sampled_from([-1e4, 1e4, 9999.0, -9999.0, 0.0])))
def test_extreme_logits_every_option(problem):
    assert_matches_torch("extreme logits (+-1e4)", *problem)


@FAST
@given(
    problems(kind="index", ignored=False),
    st.sampled_from([-100, -1, 0]),
)
def test_every_target_ignored(problem, ignore_index):
    logits, target, options = problem
    target = np.full_like(target, ignore_index)
    options = {**options, "ignore_index": ignore_index}
    assert_matches_torch("every target ignored", logits, target, options)
    if options["reduction"] == "mean":  # 0 / 0, like PyTorch
        assert np.isnan(cross_entropy_from_scratch(logits, target, **options))


@FAST
@given(problems())
def test_float32_stays_float32_and_close_to_torch(problem):
    logits, target, options = problem
    logits = logits.astype(np.float32)
    if target.dtype == np.float64:
        target = target.astype(np.float32)
    if "weight" in options:
        options = {**options, "weight": options["weight"].astype(np.float32)}
    ours = np.asarray(cross_entropy_from_scratch(logits, target, **options))
    theirs = torch_reference(logits, target, options)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    # float32 rounds z - max(z) to about 1e-3 when |z| ~ 1e4: compare on that scale.
    scale = 1.0 + np.abs(logits).max() * np.abs(options.get("weight", np.ones(1))).max()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * scale, equal_nan=True)


def test_tutorial_values_and_defaults():
    logits = np.array([[0.1, 1.0, 2.1], [2.0, 1.0, 0.1], [0.1, 3.0, 0.1]])
    target = np.array([2, 0, 1])
    expected = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target)).item()
    assert cross_entropy_from_scratch(logits, target) == pytest.approx(expected, rel=1e-15)
    single = cross_entropy_from_scratch(np.array([2.0, 1.0, 0.1]), np.array(0))
    assert np.ndim(single) == 0 and single == pytest.approx(0.4170299470424652, rel=1e-6)


@pytest.mark.parametrize(
    ("target", "options", "error", "message"),
    [
        (np.array([0, 1]), {"reduction": "average"}, ValueError, "reduction must be"),
        (np.array([0, 1]), {"label_smoothing": 1.5}, ValueError, "label_smoothing must"),
        (np.array([0.0, 1.0]), {}, TypeError, "class-index targets must be integers"),
        (np.eye(3, dtype=np.int64)[[0, 1]], {}, TypeError, "probability targets must be"),
        (np.eye(3)[[0, 1]], {"ignore_index": 0}, ValueError, "ignore_index is not supported"),
        (np.array([0, 1, 2]), {}, ValueError, "does not fit logits"),
        (np.array([0, 3]), {}, ValueError, r"must lie in 0\.\.2"),
    ],
)
def test_bad_input_is_refused_like_torch(target, options, error, message):
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]])
    with pytest.raises(error, match=message):
        cross_entropy_from_scratch(logits, target, **options)
    with pytest.raises((RuntimeError, ValueError, IndexError)):
        torch_reference(logits, target, options)
