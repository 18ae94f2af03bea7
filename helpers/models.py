"""The tutorial's two classifier networks, defined and explained in notebook 04.

Notebook 04 (``04_classifier_networks.ipynb``) builds them step by step; notebook 05 and
later import them from here. A unit test checks that the notebook's classes and these
ones behave identically (same repr, parameter shapes and outputs for the same seed).

* :class:`NeuralNetMultiClassClassification`: Linear -> ReLU -> Linear, ending in raw
  logits (no softmax): train it with ``nn.CrossEntropyLoss``.
* :class:`NeuralNetBinaryClassification`: Linear -> ReLU -> Linear(…, 1) -> sigmoid,
  ending in a probability: train it with ``nn.BCELoss``.

The layers keep the tutorial's attribute names ``l1``, ``relu``, ``l2``, so the printed
models match the tutorial's. The tutorial's video calls the two classes ``NeuralNet2``
(multi-class) and ``NeuralNet1`` (binary).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["NeuralNetMultiClassClassification", "NeuralNetBinaryClassification"]


class NeuralNetMultiClassClassification(nn.Module):
    """One hidden ReLU layer; returns one logit per class (no softmax at the end)."""

    def __init__(self, input_size: int, hidden_size: int, num_classes: int):
        super().__init__()
        self.l1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.l2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.l1(x)
        out = self.relu(out)
        out = self.l2(out)
        # no softmax at the end: nn.CrossEntropyLoss applies log-softmax itself
        return out


class NeuralNetBinaryClassification(nn.Module):
    """One hidden ReLU layer; returns the probability of the positive class, shape (N, 1)."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.l1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.l2 = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.l1(x)
        out = self.relu(out)
        out = self.l2(out)
        # sigmoid at the end: a probability in (0, 1), for nn.BCELoss
        return torch.sigmoid(out)
