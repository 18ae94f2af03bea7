"""helpers.training on tiny data: targets, predictions, one epoch, fit and its history."""

import math

import pytest
import torch
from torch import nn

from helpers.models import NeuralNetBinaryClassification, NeuralNetMultiClassClassification
from helpers.training import (
    History,
    accuracy_interval,
    evaluate,
    fit,
    labels_from_outputs,
    logits_of,
    paired_comparison,
    predict,
    prepare_targets,
    train_epoch,
)


def tiny_data(n=40, num_features=4, num_classes=3, seed=0):
    """Separable blobs: class k sits around +3 on feature k."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % num_classes
    x = torch.randn(n, num_features, generator=generator) * 0.3
    x[torch.arange(n), y] += 3.0
    return x, y


def multiclass(num_features=4, num_classes=3, seed=0):
    torch.manual_seed(seed)
    return NeuralNetMultiClassClassification(num_features, 8, num_classes)


def test_prepare_targets_follows_the_loss():
    labels = torch.tensor([0, 1, 1])
    assert prepare_targets(nn.CrossEntropyLoss(), labels).dtype == torch.int64
    for loss_fn in (nn.BCELoss(), nn.BCEWithLogitsLoss()):
        targets = prepare_targets(loss_fn, labels)
        assert targets.dtype == torch.float32 and targets.shape == (3, 1)
        assert targets[:, 0].tolist() == [0.0, 1.0, 1.0]


class Fixed(nn.Module):
    """Returns the same outputs whatever the input, and counts its forward passes."""

    def __init__(self, outputs):
        super().__init__()
        self.outputs = outputs
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.outputs


def test_predict_reads_the_output_as_the_loss_means_it():
    x = torch.zeros(3, 2)
    logits = torch.tensor([[0.1, 2.0], [3.0, -1.0], [0.0, 0.5]])
    assert predict(Fixed(logits), nn.CrossEntropyLoss(), x).tolist() == [1, 0, 1]
    probabilities = torch.tensor([[0.2], [0.5], [0.9]])
    assert predict(Fixed(probabilities), nn.BCELoss(), x).tolist() == [0, 1, 1]
    scores = torch.tensor([[-0.1], [0.0], [2.0]])
    assert predict(Fixed(scores), nn.BCEWithLogitsLoss(), x).tolist() == [0, 1, 1]


@pytest.mark.parametrize(
    ("loss_fn", "outputs"),
    [
        (nn.CrossEntropyLoss(), [[0.1, 2.0], [3.0, -1.0], [0.0, 0.5]]),
        (nn.BCELoss(), [[0.2], [0.5], [0.9]]),
        (nn.BCEWithLogitsLoss(), [[-0.1], [0.0], [2.0]]),
    ],
)
def test_evaluate_scores_one_forward_pass_as_predict_reads_it(loss_fn, outputs):
    x, y = torch.zeros(3, 2), torch.tensor([1, 1, 1])  # each loss reads one output as 0
    model = Fixed(torch.tensor(outputs))
    _, accuracy = evaluate(model, loss_fn, x, y)
    assert model.calls == 1
    expected = (predict(Fixed(torch.tensor(outputs)), loss_fn, x) == y).float().mean().item()
    assert accuracy == expected == pytest.approx(2 / 3)


def test_logits_of_is_the_model_output_in_eval_mode_without_a_graph():
    x, _ = tiny_data()
    model = multiclass()
    model.train()
    logits = logits_of(model, x)
    assert not model.training and not logits.requires_grad
    with torch.no_grad():
        assert torch.equal(logits, model(x))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        logits_of(lambda t: t, x)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        logits_of(model, x.numpy())


def test_evaluate_matches_a_direct_computation():
    x, y = tiny_data()
    model = multiclass()
    loss, accuracy = evaluate(model, nn.CrossEntropyLoss(), x, y)
    with torch.no_grad():
        logits = model(x)
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, y).item())
    assert accuracy == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_train_epoch_is_the_written_out_loop():
    x, y = tiny_data(n=30)
    ours, reference = multiclass(), multiclass()
    loss_fn = nn.CrossEntropyLoss()
    opt_ours = torch.optim.SGD(ours.parameters(), lr=0.1)
    opt_ref = torch.optim.SGD(reference.parameters(), lr=0.1)
    mean_loss = train_epoch(ours, loss_fn, opt_ours, x, y, batch_size=8,
                            generator=torch.Generator().manual_seed(5))
    order = torch.randperm(30, generator=torch.Generator().manual_seed(5))
    total = 0.0
    for first in range(0, 30, 8):  # batches of 8, 8, 8, 6
        batch = order[first : first + 8]
        loss = loss_fn(reference(x[batch]), y[batch])
        opt_ref.zero_grad()
        loss.backward()
        opt_ref.step()
        total += loss.item() * len(batch)
    assert mean_loss == pytest.approx(total / 30)
    for a, b in zip(ours.parameters(), reference.parameters(), strict=True):
        assert torch.equal(a, b)


def test_fit_learns_and_records_every_epoch():
    x, y = tiny_data(n=60)
    x_val, y_val = tiny_data(n=30, seed=1)
    model = multiclass()
    history = fit(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05),
                  x, y, x_val, y_val, epochs=5, batch_size=16, seed=0)
    assert isinstance(history, History)
    for curve in (history.train_loss, history.val_loss, history.train_accuracy,
                  history.val_accuracy):
        assert len(curve) == 6  # epoch 0 (before training) + 5
    assert history.train_loss[0] == pytest.approx(math.log(3), abs=0.6)
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert history.val_accuracy[-1] == 1.0


def test_fit_is_reproducible_and_the_seed_matters():
    x, y = tiny_data(n=50)
    results = []
    for seed in (0, 0, 1):
        model = multiclass()
        fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
            x, y, x, y, epochs=2, batch_size=8, seed=seed)
        results.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(results[0], results[1])
    assert not torch.equal(results[0], results[2])


@pytest.mark.parametrize("loss_fn", [nn.BCELoss(), nn.BCEWithLogitsLoss()])
def test_fit_trains_a_binary_network(loss_fn):
    x, y = tiny_data(n=40, num_classes=2)
    torch.manual_seed(0)
    if isinstance(loss_fn, nn.BCELoss):
        model = NeuralNetBinaryClassification(4, 8)
    else:
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))  # returns logits
    history = fit(model, loss_fn, torch.optim.Adam(model.parameters(), lr=0.05), x, y, x, y,
                  epochs=10, batch_size=8)
    assert history.train_loss[0] == pytest.approx(math.log(2), abs=0.3)
    assert history.train_accuracy[-1] == 1.0


def test_fit_stops_on_a_diverging_loss():
    x, y = tiny_data()
    model = multiclass()
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=1e30),
            x, y, x, y, epochs=3)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"loss_fn": nn.MSELoss()}, TypeError, "loss_fn must be one of nn.CrossEntropyLoss"),
        ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
        ({"epochs": 2.5}, ValueError, "epochs must be a positive integer"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"y_train": torch.zeros(39, dtype=torch.long)}, ValueError,
         "x_train has 40 rows but y_train has 39 labels"),
        ({"y_val": torch.zeros(40, 3)}, ValueError, "y_val must be 1-D labels"),
        ({"x_train": [[1.0]]}, TypeError, "must be torch tensors"),
        ({"x_val": torch.zeros(0, 4), "y_val": torch.zeros(0, dtype=torch.long)}, ValueError,
         "x_val is empty"),
    ],
)
def test_fit_rejects_bad_arguments(change, error, message):
    x, y = tiny_data()
    model = multiclass()
    arguments = {"model": model, "loss_fn": nn.CrossEntropyLoss(),
                 "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
                 "x_train": x, "y_train": y, "x_val": x, "y_val": y, "epochs": 1,
                 "batch_size": 8}
    arguments.update(change)
    with pytest.raises(error, match=message):
        fit(**arguments)


def test_other_helpers_reject_unsupported_losses():
    x, y = tiny_data()
    with pytest.raises(TypeError, match="loss_fn must be one of"):
        predict(multiclass(), nn.NLLLoss(), x)
    with pytest.raises(TypeError, match="loss_fn must be one of"):
        evaluate(multiclass(), nn.MSELoss(), x, y)
    with pytest.raises(TypeError, match="loss_fn must be one of"):
        prepare_targets("cross-entropy", y)
    with pytest.raises(TypeError, match="loss_fn must be one of"):
        labels_from_outputs(nn.MSELoss(), torch.zeros(3, 1))


# ---- accuracy_interval ----------------------------------------------------------------------


@pytest.mark.parametrize(("correct", "total", "confidence"),
                         [(297, 300, 0.99), (5, 10, 0.95), (930, 1000, 0.99), (1, 7, 0.9)])
def test_accuracy_interval_is_the_wilson_interval(correct, total, confidence):
    from scipy.stats import binomtest

    expected = binomtest(correct, total).proportion_ci(confidence, method="wilson")
    low, high = accuracy_interval(correct, total, confidence)
    assert math.isclose(low, expected.low, rel_tol=1e-9)
    assert math.isclose(high, expected.high, rel_tol=1e-9)
    assert low < correct / total < high


def test_accuracy_interval_on_300_digits_and_at_the_edges():
    low, high = accuracy_interval(297, 300)
    assert (round(100 * low, 1), round(100 * high, 1)) == (96.1, 99.7)
    assert accuracy_interval(300, 300)[1] == 1.0 and accuracy_interval(0, 300)[0] == 0.0
    assert accuracy_interval(300, 300)[0] < 0.99  # all right is no proof of 100 %
    narrow, wide = accuracy_interval(990, 1000), accuracy_interval(99, 100)
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 2  # 10x the data: ~1/3 the width


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0.99, 300), TypeError, "correct must be an integer count"),
        ((3, 3.0), TypeError, "total must be an integer count"),
        ((True, 3), TypeError, "correct must be an integer"),
        ((0, 0), ValueError, "total must be at least 1"),
        ((4, 3), ValueError, r"correct must lie in \[0, total=3\]"),
        ((-1, 3), ValueError, "correct must lie"),
        ((1, 3, 1.0), ValueError, "strictly between 0 and 1"),
        ((1, 3, 0), ValueError, "strictly between 0 and 1"),
        ((1, 3, "99 %"), TypeError, "confidence must be a number"),
    ],
)
def test_accuracy_interval_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        accuracy_interval(*args)


def test_mean_sd_uses_the_sample_standard_deviation():
    from helpers.training import mean_sd

    assert mean_sd([0.93, 0.94, 0.95], 100, 1) == "94.0 ± 1.0"
    assert mean_sd((1.0, 3.0)) == "2.000 ± 1.414"  # ddof=1: sqrt(2)
    assert mean_sd(torch.tensor([2.0, 2.0]), digits=0) == "2 ± 0"


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "message"),
    [
        ([0.5], {}, ValueError, "at least 2"),
        ([0.5, float("nan")], {}, ValueError, "NaN"),
        ("0.5", {}, TypeError, "array of numbers"),
        ([0.5, 0.6], {"digits": 1.5}, TypeError, "digits"),
    ],
)
def test_mean_sd_rejects_bad_input(values, kwargs, error, message):
    from helpers.training import mean_sd

    with pytest.raises(error, match=message):
        mean_sd(values, **kwargs)


# ---- paired_comparison ---------------------------------------------------------------------

def test_paired_comparison_counts_only_the_disagreements():
    a = torch.tensor([True] * 90 + [True] * 8 + [False] * 2)
    b = torch.tensor([True] * 90 + [False] * 8 + [True] * 2)
    result = paired_comparison(a, b)
    assert (result.total, result.only_a, result.only_b) == (100, 8, 2)
    assert result.difference == pytest.approx(0.06)
    # Exact binomial: P(X <= 2 or X >= 8) for X ~ Binomial(10, 1/2) = 2 * 56 / 1024.
    assert result.p_value == pytest.approx(112 / 1024)
    half = 1.959964 * math.sqrt(10 - 36 / 100) / 100
    assert result.interval == pytest.approx((0.06 - half, 0.06 + half), rel=1e-5)
    assert "McNemar exact p = 0.11" in str(result)


def test_paired_comparison_of_identical_models_is_no_difference():
    a = torch.tensor([True, False, True])
    result = paired_comparison(a, a.clone())
    assert result.p_value == 1.0 and result.difference == 0.0 and result.interval == (0.0, 0.0)


def test_paired_comparison_is_exact_for_thousands_of_disagreements():
    a = torch.zeros(5000, dtype=torch.bool)
    a[:2600] = True
    result = paired_comparison(a, ~a)  # 2600 against 2400: p about 0.005
    assert 0.004 < result.p_value < 0.006
    assert paired_comparison([1, 0, 1], [0, 0, 1]).only_a == 1  # 0/1 integers are accepted


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        ([0.5, 1.0], [1, 0], TypeError, "booleans"),
        ([1, 2], [1, 0], ValueError, "only 0 and 1"),
        ([[True]], [[True]], ValueError, "1-D"),
        ([], [], ValueError, "non-empty"),
        ([True, False], [True], ValueError, "same examples"),
    ],
)
def test_paired_comparison_rejects_bad_input(a, b, error, match):
    with pytest.raises(error, match=match):
        paired_comparison(torch.tensor(a), torch.tensor(b))


def test_paired_comparison_rejects_a_bad_confidence():
    with pytest.raises(ValueError, match="strictly between"):
        paired_comparison([True], [False], confidence=1.0)
