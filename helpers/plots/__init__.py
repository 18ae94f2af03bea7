"""Figures used by the notebooks, one module per topic.

Every function takes plain arrays (lists, NumPy arrays or CPU tensors), validates them,
draws on a new figure or on the axes you pass, and returns the figure or axes so the
notebook (or a test) can inspect or save it. Nothing here calls ``plt.show()``.

* ``softmax``      notebook 01: probability bars, logits next to probabilities, temperature
* ``losses``       notebook 02: the -log p curve, the gradient of the logits
* ``training``     notebook 05: training curves, confusion matrix, misclassified digits,
                   the decision threshold
* ``calibration``  notebook 06: reliability diagram, confidence histogram
* ``scale``        notebook 07: time and memory against the number of classes
* ``language_models``  notebook 08: soft-capped logits, time and memory against the vocabulary
* ``soft_targets``     notebook 09: a teacher's probabilities at several temperatures

Import any of them from here: ``from helpers.plots import plot_reliability_diagram``.
"""

from helpers.plots.calibration import (
    plot_confidence_histogram,
    plot_reliability_diagram,
    plot_reliability_panels,
)
from helpers.plots.language_models import plot_cost_vs_vocabulary, plot_soft_capping
from helpers.plots.losses import plot_logit_gradient, plot_neg_log_curve
from helpers.plots.scale import class_count_label, plot_cost_vs_classes
from helpers.plots.soft_targets import plot_soft_targets
from helpers.plots.softmax import (
    plot_logits_and_probs,
    plot_probability_bars,
    plot_temperature_sweep,
)
from helpers.plots.training import (
    confusion_counts,
    plot_confusion_matrix,
    plot_decision_threshold,
    plot_misclassified,
    plot_training_curves,
)

__all__ = [
    "plot_probability_bars",
    "plot_logits_and_probs",
    "plot_temperature_sweep",
    "plot_neg_log_curve",
    "plot_logit_gradient",
    "plot_training_curves",
    "confusion_counts",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_decision_threshold",
    "plot_reliability_diagram",
    "plot_confidence_histogram",
    "plot_reliability_panels",
    "plot_cost_vs_classes",
    "class_count_label",
    "plot_soft_capping",
    "plot_cost_vs_vocabulary",
    "plot_soft_targets",
]
