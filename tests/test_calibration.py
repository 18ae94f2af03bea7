"""Notebook 06's own calibration code (loaded from the notebook) and its checkers."""

import numpy as np
import pytest
import torch

from helpers.checks import nb06
from helpers.notebook_import import load_notebook_definitions

NB06 = load_notebook_definitions("06_calibration")


def ece_by_loop(probs, targets, num_bins):
    """A deliberately plain second implementation: one Python loop over the samples."""
    totals = [[0, 0.0, 0.0] for _ in range(num_bins)]  # count, hits, confidence sum
    for row, target in zip(probs, targets, strict=True):
        confidence = max(row)
        index = min(max(int(np.ceil(confidence * num_bins)) - 1, 0), num_bins - 1)
        totals[index][0] += 1
        totals[index][1] += float(int(np.argmax(row)) == int(target))
        totals[index][2] += confidence
    n = len(targets)
    return sum(c / n * abs(h / c - s / c) for c, h, s in totals if c)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("num_bins", [1, 10, 15])
def test_ece_matches_a_plain_loop(seed, num_bins):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(200, 4))
    probs = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    targets = rng.integers(0, 4, 200)
    ours = NB06.expected_calibration_error(probs, targets, num_bins)
    assert ours == pytest.approx(ece_by_loop(probs, targets, num_bins), abs=1e-12)


def test_ece_known_cases():
    probs = NB06.two_class_probs([0.95, 0.95, 0.55, 0.55])
    assert NB06.expected_calibration_error(probs, np.array([0, 1, 0, 0])) == pytest.approx(0.45)
    always_wrong = NB06.two_class_probs([1.0, 1.0])
    assert NB06.expected_calibration_error(always_wrong, np.array([1, 1])) == pytest.approx(1.0)


def test_reliability_bins_edges_and_empty_bins():
    edges, accuracy, confidence, counts = NB06.reliability_bins(
        [0.0, 0.5, 0.51, 1.0], [1, 0, 1, 1], num_bins=2
    )
    np.testing.assert_allclose(edges, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(counts, [2, 2])  # 0.5 belongs to the bin (0, 0.5]
    np.testing.assert_allclose(accuracy, [0.5, 1.0])
    np.testing.assert_allclose(confidence, [0.25, 0.755])
    _, accuracy, _, counts = NB06.reliability_bins([0.9], [1], num_bins=3)
    assert counts.tolist() == [0, 0, 1] and np.isnan(accuracy[:2]).all()


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    generator = torch.Generator().manual_seed(0)
    logits = 4.0 * torch.randn(20_000, 5, generator=generator, dtype=torch.float64)
    true_temperature = 2.5
    targets = torch.multinomial(torch.softmax(logits / true_temperature, dim=1), 1,
                                generator=generator).squeeze(1)
    fitted = NB06.fit_temperature(logits, targets)
    assert fitted == pytest.approx(true_temperature, rel=0.05)


def test_fit_temperature_refuses_when_every_prediction_is_right():
    logits = torch.tensor([[3.0, 0.0, -1.0], [0.0, 2.0, 1.0], [1.0, 1.0, 5.0]])
    with pytest.raises(ValueError, match="every prediction is right.*T -> 0"):
        NB06.fit_temperature(logits, logits.argmax(dim=1))
    # A tie with the target among the maxima is still "right": no finite optimum either.
    with pytest.raises(ValueError, match="every prediction is right"):
        NB06.fit_temperature(torch.tensor([[1.0, 1.0]]), torch.tensor([1]))


def test_fit_temperature_refuses_when_flattening_always_helps():
    logits = torch.tensor([[3.0, 0.0], [0.0, 2.0], [-1.0, 1.0]])
    wrong = 1 - logits.argmax(dim=1)  # every prediction wrong, two classes
    with pytest.raises(ValueError, match="T -> infinity"):
        NB06.fit_temperature(logits, wrong)


def test_fit_temperature_fits_when_all_wrong_but_informative():
    # Every prediction wrong, yet the target is always a close second among 4 classes:
    # the NLL has a finite minimum, and the fit finds it.
    logits = torch.tensor([[2.0, 1.8, -3.0, -3.0], [-3.0, 2.0, 1.7, -3.0]] * 5,
                          dtype=torch.float64)
    targets = torch.tensor([1, 2] * 5)
    fitted = NB06.fit_temperature(logits, targets)
    grid = torch.logspace(-1, 1, 231, dtype=torch.float64)  # 0.1 to 10, steps of 2 %
    nll = torch.stack([torch.nn.functional.cross_entropy(logits / t, targets) for t in grid])
    assert 0 < nll.argmin() < len(grid) - 1  # the grid brackets the minimum
    assert fitted == pytest.approx(grid[nll.argmin()].item(), rel=0.02)


def test_fit_temperature_one_mistake_is_enough_for_a_finite_answer():
    logits = torch.tensor([[3.0, 0.0], [0.0, 2.0], [1.0, 0.0]], dtype=torch.float64)
    fitted = NB06.fit_temperature(logits, torch.tensor([0, 1, 1]))
    assert 0.01 < fitted < 100.0


@pytest.mark.parametrize("seed", range(3))
def test_ece_of_rows_matches_the_ece_of_each_row(seed):
    rng = np.random.default_rng(seed)
    confidences = rng.uniform(0.1, 1.0, size=(4, 300))
    confidences[0, :5] = [0.0, 1.0, 0.5, 1 / 15, 2 / 15]  # edges and extremes
    correct = rng.random((4, 300)) < confidences
    rows = NB06.ece_of_rows(confidences, correct, num_bins=15)
    for row, conf, hit in zip(rows, confidences, correct, strict=True):
        _, accuracy, confidence, counts = NB06.reliability_bins(conf, hit, 15)
        filled = counts > 0
        expected = np.sum(counts[filled] / counts.sum()
                          * np.abs(accuracy[filled] - confidence[filled]))
        assert row == pytest.approx(expected, abs=1e-12)


def test_bootstrap_ece_is_deterministic_and_spread_around_the_sample():
    rng = np.random.default_rng(0)
    confidences = rng.uniform(0.5, 1.0, 400)
    correct = rng.random(400) < confidences - 0.1  # over-confident by 10 points
    first = NB06.bootstrap_ece(confidences, correct, np.random.default_rng(1), draws=300)
    again = NB06.bootstrap_ece(confidences, correct, np.random.default_rng(1), draws=300)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (300,)
    sample = NB06.ece_of_rows(confidences[None], correct[None])[0]
    low, high = np.percentile(first, [5, 95])
    assert low < sample < high and high - low > 0.01


def test_calibrated_ece_floor_is_small_but_positive_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small = NB06.calibrated_ece(rng.uniform(0.6, 1.0, 200), rng, draws=400)
    large = NB06.calibrated_ece(rng.uniform(0.6, 1.0, 20_000), rng, draws=50)
    assert (small > 0).all() and 0.01 < small.mean() < 0.08
    assert large.mean() < small.mean() / 4  # roughly 1 / sqrt(n)
    # A model that is always sure and always right has no noise at all.
    assert NB06.calibrated_ece(np.ones(50), rng, draws=10).max() == 0.0


def test_scores_of_known_probabilities():
    probs = torch.tensor([[0.5, 0.5], [0.9, 0.1]], dtype=torch.float64)
    result = NB06.scores(probs, torch.tensor([0, 1]))
    assert result["NLL"] == pytest.approx(-(np.log(0.5) + np.log(0.1)) / 2)
    assert result["Brier"] == pytest.approx((0.5 + 1.62) / 2)
    assert result["ECE"] == pytest.approx(0.5 * abs(1 - 0.5) + 0.5 * abs(0 - 0.9))


def naive_nll(logits, targets, temperature):
    probs = np.exp(logits / temperature)
    probs /= probs.sum(axis=1, keepdims=True)
    return -np.log(probs[np.arange(len(targets)), targets]).mean()


@pytest.mark.parametrize(
    ("check", "wrong_answer"),
    [
        (nb06.check_mean_confidence_and_accuracy,
         lambda p, y: (p.mean(), (p.argmax(1) == y).sum())),
        (nb06.check_temperature_scaled_nll, naive_nll),  # overflows on huge logits
        (nb06.check_temperature_scaled_nll, lambda z, y, t: naive_nll(z - z.max(), y, 1.0)),
        (nb06.check_best_temperature_on_grid, lambda z, y, grid: float(grid[0])),
        (nb06.check_brier_score, lambda p, y: float(((p - np.eye(p.shape[1])[y]) ** 2).mean())),
    ],
)
def test_wrong_answers_fail(check, wrong_answer):
    with np.errstate(all="ignore"):
        report = check(wrong_answer)
    assert report.status == "failed", str(report)
    assert "First failing case" in str(report)
