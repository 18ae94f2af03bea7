"""The networks of notebook 04: helpers.models behaves exactly like the notebook's classes,
and the diagrams of images/ show the right numbers."""

import pytest
import torch
from torch import nn

from helpers import diagrams, models
from helpers.notebook_import import load_notebook_definitions

NB04 = load_notebook_definitions("04_classifier_networks")

PAIRS = [
    ("NeuralNetMultiClassClassification", {"input_size": 784, "hidden_size": 5, "num_classes": 3}),
    ("NeuralNetMultiClassClassification", {"input_size": 784, "hidden_size": 100,
                                           "num_classes": 10}),
    ("NeuralNetBinaryClassification", {"input_size": 784, "hidden_size": 5}),
    ("NeuralNetBinaryClassification", {"input_size": 12, "hidden_size": 3}),
]


def build(module, name, kwargs, seed=0):
    torch.manual_seed(seed)
    return getattr(module, name)(**kwargs)


@pytest.mark.parametrize(("name", "kwargs"), PAIRS)
def test_notebook_and_helpers_define_the_same_network(name, kwargs):
    ours, notebook = build(models, name, kwargs), build(NB04, name, kwargs)
    assert type(notebook).__name__ == type(ours).__name__ == name
    assert repr(ours) == repr(notebook)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, p.shape) for n, p in notebook.named_parameters()
    ]
    for a, b in zip(ours.parameters(), notebook.parameters(), strict=True):
        assert torch.equal(a, b)  # same seed, same initialisation order
    x = torch.randn(7, kwargs["input_size"], generator=torch.Generator().manual_seed(1)) * 5
    assert torch.equal(ours(x), notebook(x))


def test_reprs_are_the_tutorials():
    assert repr(models.NeuralNetMultiClassClassification(784, 5, 3)) == (
        "NeuralNetMultiClassClassification(\n"
        "  (l1): Linear(in_features=784, out_features=5, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (l2): Linear(in_features=5, out_features=3, bias=True)\n"
        ")"
    )
    assert repr(models.NeuralNetBinaryClassification(784, 5)) == (
        "NeuralNetBinaryClassification(\n"
        "  (l1): Linear(in_features=784, out_features=5, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (l2): Linear(in_features=5, out_features=1, bias=True)\n"
        ")"
    )


def test_multiclass_returns_logits_not_probabilities():
    model = build(models, "NeuralNetMultiClassClassification",
                  {"input_size": 4, "hidden_size": 3, "num_classes": 3})
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0)) * 10
    logits = model(x)
    expected = model.l2(torch.relu(model.l1(x)))
    assert torch.equal(logits, expected)
    assert not torch.allclose(logits.sum(dim=1), torch.ones(5))


def test_binary_returns_a_probability_per_row():
    model = build(models, "NeuralNetBinaryClassification", {"input_size": 4, "hidden_size": 3})
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    p = model(x)
    assert p.shape == (5, 1)
    assert torch.equal(p, torch.sigmoid(model.l2(torch.relu(model.l1(x)))))
    assert ((p > 0) & (p < 1)).all()


def test_models_train_with_their_losses():
    torch.manual_seed(0)
    model = models.NeuralNetMultiClassClassification(4, 8, 2)
    binary = models.NeuralNetBinaryClassification(4, 8)
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    y = (x[:, 0] > 0).long()
    for net, loss_fn, target in [(model, nn.CrossEntropyLoss(), y),
                                 (binary, nn.BCELoss(), y.float().unsqueeze(1))]:
        optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
        first = loss_fn(net(x), target).item()
        for _ in range(50):
            loss = loss_fn(net(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert loss.item() < first / 4


# ---- the diagrams -----------------------------------------------------------------------

def texts(fig):
    return {t.get_text() for ax in fig.axes for t in ax.texts} | {fig.axes[0].get_title()}


def test_multiclass_diagram_shows_computed_parameter_count_and_layers():
    fig = diagrams.draw_multiclass_network()
    shown = texts(fig)
    assert "NeuralNetMultiClassClassification(784, 5, 3): 3,943 parameters" in shown
    assert {"pixels\n784", "Linear + ReLU\n5", "Linear: logits\n3"} <= shown
    assert "nn.CrossEntropyLoss\n(log-softmax + NLL)" in shown
    assert "⋮" in shown  # 784 inputs are drawn with a gap
    # circles: 5 of the 784 inputs, 5 hidden units, 3 outputs
    assert sum(type(p).__name__ == "Circle" for p in fig.axes[0].patches) == 5 + 5 + 3


def test_binary_diagram_ends_in_sigmoid_and_bce():
    fig = diagrams.draw_binary_network(input_size=4, hidden_size=3)
    shown = texts(fig)
    assert "NeuralNetBinaryClassification(4, 3): 19 parameters" in shown
    assert {"sigmoid:\nprobability", "nn.BCELoss", "Linear: 1 score\n1"} <= shown
    assert "⋮" not in shown  # 4 inputs fit
    assert sum(type(p).__name__ == "Circle" for p in fig.axes[0].patches) == 4 + 3 + 1


def test_network_diagrams_are_registered():
    assert diagrams.DIAGRAMS["multiclass_network.png"] is diagrams.draw_multiclass_network
    assert diagrams.DIAGRAMS["binary_network.png"] is diagrams.draw_binary_network
