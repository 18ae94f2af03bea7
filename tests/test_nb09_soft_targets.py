"""Notebook 09's claims about a softmax on multi-label targets and about the KL divergence,
checked on the notebook's own functions (loaded without running its training)."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from helpers.notebook_import import load_notebook_definitions


@pytest.fixture(scope="module")
def nb09():
    return load_notebook_definitions("09_soft_targets")


def test_the_multi_labels_of_1_and_3_are_all_off_and_of_6_and_8_all_on(nb09):
    table = nb09.multi_labels(torch.arange(10))
    assert table.shape == (10, len(nb09.LABELS))
    assert table.sum(dim=1).tolist() == [2, 0, 1, 0, 2, 1, 3, 1, 3, 2]


@pytest.mark.parametrize("normalised", [False, True], ids=["multi-hot", "normalised"])
def test_a_row_with_no_label_on_gives_softmax_cross_entropy_zero_loss_and_zero_gradient(
        nb09, normalised):
    digits = torch.arange(10).repeat(3)
    targets = nb09.multi_labels(digits)
    if normalised:  # rows summing to 1; a row of zeros stays zeros
        targets = targets / targets.sum(dim=1, keepdim=True).clamp(min=1)
    logits = torch.randn(len(digits), 3, generator=torch.Generator().manual_seed(0),
                         requires_grad=True)
    per_row = F.cross_entropy(logits, targets, reduction="none")
    per_row.sum().backward()
    no_label = (digits == 1) | (digits == 3)
    assert (per_row[no_label] == 0).all()
    assert (logits.grad[no_label] == 0).all()
    assert (per_row[~no_label] > 0).all()
    assert (logits.grad[~no_label].abs().sum(dim=1) > 0).all()


def test_no_softmax_thresholds_get_both_a_row_with_every_label_and_a_row_with_none():
    # §5's argument: all on needs sum(thresholds) <= 1, none on needs sum(thresholds) > 1.
    generator = torch.Generator().manual_seed(5)
    probs = torch.softmax(3 * torch.randn(1000, 3, generator=generator), dim=1)
    grid = [i / 10 for i in range(1, 10)]
    for thresholds in itertools.product(grid, repeat=3):
        decisions = probs >= torch.tensor(thresholds)
        every_label = decisions.all(dim=1).any()
        no_label = (~decisions).all(dim=1).any()
        assert not (every_label and no_label), thresholds


def test_kl_rows_is_zero_on_equal_rows_and_not_symmetric(nb09):
    p = torch.tensor([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]], dtype=torch.float64)
    q = torch.tensor([[0.3, 0.4, 0.3], [0.25, 0.25, 0.5]], dtype=torch.float64)
    forward, reverse = nb09.kl_rows(p, q), nb09.kl_rows(q, p)
    assert forward[1] == 0 and reverse[1] == 0
    assert forward[0] > 0 and reverse[0] > 0 and not torch.isclose(forward[0], reverse[0])
    torch.testing.assert_close(forward.mean(), F.kl_div(q.log(), p, reduction="batchmean"))


def test_a_discretised_normal_sums_to_one_and_peaks_at_its_mean(nb09):
    grid = torch.linspace(-5, 5, 101, dtype=torch.float64)
    q = nb09.normal(grid, 1.0, 0.8)
    torch.testing.assert_close(q.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert grid[q.argmax()].item() == pytest.approx(1.0)


def test_forward_kl_covers_both_modes_and_reverse_kl_seeks_the_larger(nb09):
    grid = torch.linspace(-6, 6, 241, dtype=torch.float64)
    two_modes = 0.6 * nb09.normal(grid, -2.0, 0.7) + 0.4 * nb09.normal(grid, 2.5, 0.7)
    mean_f, sd_f = nb09.fit_one_mode(two_modes, grid, reverse=False)
    mean_r, sd_r = nb09.fit_one_mode(two_modes, grid, reverse=True)
    assert mean_f == pytest.approx(0.6 * -2.0 + 0.4 * 2.5, abs=0.15)  # the mixture's mean
    assert sd_f > 2
    assert mean_r == pytest.approx(-2.0, abs=0.15) and sd_r == pytest.approx(0.7, abs=0.15)
    # one mode alone is found exactly in both directions
    one = nb09.normal(grid, 1.0, 1.5)
    for reverse in (False, True):
        assert nb09.fit_one_mode(one, grid, reverse) == pytest.approx((1.0, 1.5))
