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
    logits = 4.0 * torch.randn(5_000, 5, generator=generator, dtype=torch.float64)
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


def logits_with_confidences(confidences, classes=4):
    """Logits whose softmax puts `confidences` on class 0, the rest shared evenly."""
    confidences = np.asarray(confidences, dtype=np.float64)
    rest = (1 - confidences) / (classes - 1)
    probs = np.column_stack([confidences] + [rest] * (classes - 1))
    return torch.from_numpy(np.log(probs))


def test_ece_summary_is_deterministic_and_resamples_lie_around_the_sample():
    rng = np.random.default_rng(0)
    confidences = rng.uniform(0.5, 1.0, 400)
    logits = logits_with_confidences(confidences)
    # over-confident by 10 points: right (class 0) less often than claimed
    targets = torch.from_numpy(np.where(rng.random(400) < confidences - 0.1, 0, 1))
    ece, resampled, floor = NB06.ece_summary(logits, targets, seed=1, draws=300)
    again = NB06.ece_summary(logits, targets, seed=1, draws=300)
    np.testing.assert_array_equal(resampled, again[1])
    np.testing.assert_array_equal(floor, again[2])
    assert resampled.shape == floor.shape == (300,)
    assert ece == pytest.approx(NB06.ece_of(logits, targets), abs=1e-12)
    low, high = np.percentile(resampled, [5, 95])
    assert low < ece < high and high - low > 0.01


def test_resampled_eces_are_biased_upwards_for_a_calibrated_model():
    # The reason a measured ECE can lie below the 5th percentile of its resamples.
    rng = np.random.default_rng(2)
    confidences = rng.uniform(0.6, 1.0, 1000)
    logits = logits_with_confidences(confidences)
    targets = torch.from_numpy(np.where(rng.random(1000) < confidences, 0, 1))
    ece, resampled, _ = NB06.ece_summary(logits, targets, seed=0, draws=500)
    assert resampled.mean() > ece


def test_calibrated_floor_is_small_but_positive_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small = NB06.ece_summary(logits_with_confidences(rng.uniform(0.6, 1.0, 200)),
                             torch.zeros(200, dtype=torch.long), draws=400)[2]
    large = NB06.ece_summary(logits_with_confidences(rng.uniform(0.6, 1.0, 20_000)),
                             torch.zeros(20_000, dtype=torch.long), draws=50)[2]
    assert (small > 0).all() and 0.01 < small.mean() < 0.08
    assert large.mean() < small.mean() / 4  # roughly 1 / sqrt(n)
    # A model that is always sure and always right has no noise at all.
    sure = torch.tensor([[50.0, 0.0]] * 50)
    assert NB06.ece_summary(sure, torch.zeros(50, dtype=torch.long), draws=10)[2].max() == 0.0


def equal_mass_ece_by_loop(confidences, correct, num_bins):
    order = sorted(range(len(confidences)), key=lambda i: confidences[i])
    sizes = [len(chunk) for chunk in np.array_split(np.arange(len(order)), num_bins)]
    total, start = 0.0, 0
    for size in sizes:
        members = order[start:start + size]
        start += size
        if members:
            total += abs(sum(correct[i] for i in members) - sum(confidences[i] for i in members))
    return total / len(confidences)


@pytest.mark.parametrize("num_bins", [1, 4, 15])
def test_equal_mass_ece_matches_a_plain_loop(num_bins):
    rng = np.random.default_rng(num_bins)
    confidences = rng.uniform(0.3, 1.0, 101)  # 101 is not a multiple of the bins
    correct = rng.random(101) < confidences
    ours = NB06.equal_mass_ece(confidences, correct, num_bins)
    assert ours == pytest.approx(equal_mass_ece_by_loop(confidences, correct, num_bins),
                                 abs=1e-12)


def test_equal_mass_ece_with_one_bin_is_the_gap_of_the_averages():
    confidences = np.array([0.9, 0.8, 0.6, 0.7])
    correct = np.array([1, 0, 1, 1])
    assert NB06.equal_mass_ece(confidences, correct, 1) == pytest.approx(abs(0.75 - 0.75))
    assert NB06.equal_mass_ece(confidences, correct, 4) == pytest.approx(
        (0.1 + 0.8 + 0.4 + 0.3) / 4)


def test_classwise_ece_averages_the_ece_of_every_class_probability():
    rng = np.random.default_rng(3)
    probs = torch.softmax(torch.from_numpy(rng.normal(scale=2.0, size=(300, 3))), dim=1).numpy()
    targets = rng.integers(0, 3, 300)
    per_class = []
    for k in range(3):
        _, accuracy, confidence, counts = NB06.reliability_bins(probs[:, k], targets == k, 15)
        filled = counts > 0
        per_class.append(np.sum(counts[filled] / 300
                                * np.abs(accuracy[filled] - confidence[filled])))
    assert NB06.classwise_ece(probs, targets) == pytest.approx(np.mean(per_class), abs=1e-12)
    # Two classes: class 1's probabilities mirror class 0's, so both ECEs are equal and
    # the class-wise ECE is the ECE of p_0 against [y = 0].
    two = NB06.two_class_probs([0.95, 0.95, 0.55, 0.55])
    labels = np.array([0, 1, 0, 0])
    _, accuracy, confidence, counts = NB06.reliability_bins(two[:, 0], labels == 0, 15)
    expected = np.sum(counts[counts > 0] / 4 * np.abs(accuracy - confidence)[counts > 0])
    assert NB06.classwise_ece(two, labels) == pytest.approx(expected)


def test_cross_validated_nll_scores_each_half_with_the_other_halfs_temperature():
    generator = torch.Generator().manual_seed(0)
    logits = 3.0 * torch.randn(400, 4, generator=generator, dtype=torch.float64)
    targets = torch.multinomial(torch.softmax(logits / 2.0, dim=1), 1,
                                generator=generator).squeeze(1)
    NB06.halves = torch.arange(400).chunk(2)
    first, second = NB06.halves
    expected = 0.0
    for fit_on, score_on in [(first, second), (second, first)]:
        t = NB06.fit_temperature(logits[fit_on], targets[fit_on])
        expected += torch.nn.functional.cross_entropy(
            logits[score_on] / t, targets[score_on]).item() / 2
    assert NB06.cross_validated_nll(logits, targets) == pytest.approx(expected)
    # On these digits, held-out scoring is worse than scoring T where it was fitted.
    in_sample = torch.nn.functional.cross_entropy(
        logits / NB06.fit_temperature(logits, targets), targets).item()
    assert NB06.cross_validated_nll(logits, targets) >= in_sample - 1e-9


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
