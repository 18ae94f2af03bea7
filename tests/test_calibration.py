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
