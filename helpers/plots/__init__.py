"""Figures used by the notebooks, one module per topic.

Every function takes plain arrays (lists, NumPy arrays or CPU tensors), validates them,
draws on a new figure or on the axes you pass, and returns the figure or axes so the
notebook (or a test) can inspect or save it. Nothing here calls ``plt.show()``.

* ``softmax``      notebook 01: probability bars, logits next to probabilities, temperature,
                   shift and scale, ``dim`` on a batch, overflow, soft argmax
* ``losses``       notebook 02: surprisal and entropy, cross-entropy and KL, the one-hot pick,
                   sum vs mean, stable log-softmax, first losses, the gradient of the logits
* ``classifiers``  notebooks 03 and 04: predictions and their losses, the argmax tie, loss
                   curves, label smoothing, ``pos_weight``
* ``training``     notebook 05: example digits, first losses against ln C, training curves,
                   confusion matrix, misclassified digits, the decision threshold, test
                   accuracies per seed
* ``calibration``  notebook 06: confidence against accuracy, reliability diagram (also at a
                   temperature), confidence histogram, the ECE's noise, NLL against T, the
                   label-smoothing sweep, class-wise ECE
* ``scale``        notebook 07: the measured roofline, the online normaliser step by step,
                   memory held and over time (with the profiler's records it draws), time
                   and memory against the number of classes
* ``language_models``  notebook 08: the logits' memory, the vocabulary's blocks, relative errors
                       (also notebook 10), the float number lines, soft-capped logits, time and
                       memory against the vocabulary
* ``soft_targets``     notebook 09: a teacher's probabilities at several temperatures, the T²
                       factor, the T × w grid, multi-label outputs and thresholds, paired
                       differences, forward and reverse KL fits
* ``attention``        notebook 10: scaled softmax over keys, masks and weights, the tiles
                       of a blockwise pass, relative errors, time and memory against length,
                       16-bit errors against the output's rounding, the lesson's claims
* ``distributed``      notebook 11: the logits cut into vocabulary shards, an all-reduce,
                       each rank's (max, sum) merged into the lse, the gradient's shards,
                       bytes sent per token, token weights of the mean of per-rank means

Import any of them from here: ``from helpers.plots import plot_reliability_diagram``.
"""

from helpers.plots.attention import (
    plot_attention_grids,
    plot_attention_summary,
    plot_cost_vs_length,
    plot_rounding_errors,
    plot_scaled_softmax,
    plot_tiles,
)
from helpers.plots.calibration import (
    plot_classwise_ece,
    plot_confidence_against_accuracy,
    plot_confidence_histogram,
    plot_ece_noise,
    plot_nll_against_temperature,
    plot_reliability_at_temperature,
    plot_reliability_diagram,
    plot_reliability_panels,
    plot_smoothing_sweep,
)
from helpers.plots.classifiers import (
    plot_argmax_tie,
    plot_curves,
    plot_label_smoothing,
    plot_pos_weight,
    plot_prediction_bars,
)
from helpers.plots.distributed import (
    plot_all_reduce,
    plot_bytes_per_token,
    plot_gradient_shards,
    plot_shard_merge,
    plot_token_weights,
    plot_vocabulary_shards,
)
from helpers.plots.language_models import (
    plot_cost_vs_vocabulary,
    plot_logit_memory,
    plot_number_lines,
    plot_relative_errors,
    plot_soft_capping,
    plot_vocabulary_blocks,
)
from helpers.plots.losses import (
    plot_cross_entropy_bars,
    plot_first_losses,
    plot_log_softmax_stability,
    plot_logit_gradient,
    plot_loss_and_gradient,
    plot_neg_log_curve,
    plot_one_hot_pick,
    plot_sum_vs_mean,
    plot_surprisal_and_entropy,
)
from helpers.plots.scale import (
    allocation_changes,
    class_count_label,
    online_normalizer_steps,
    plot_cost_vs_classes,
    plot_held_memory,
    plot_memory_timeline,
    plot_online_normalizer,
    plot_roofline,
    plot_time_and_memory,
)
from helpers.plots.soft_targets import (
    plot_gradient_scale,
    plot_kl_directions,
    plot_multi_label_rows,
    plot_paired_differences,
    plot_soft_targets,
    plot_teacher_targets,
    plot_temperature_targets,
    plot_threshold_curves,
    plot_validation_grid,
)
from helpers.plots.softmax import (
    plot_logits_and_probs,
    plot_overflow,
    plot_probability_bars,
    plot_shift_and_scale,
    plot_soft_argmax,
    plot_softmax_dim,
    plot_temperature_sweep,
)
from helpers.plots.training import (
    confusion_counts,
    plot_confusion_matrix,
    plot_decision_threshold,
    plot_digit_row,
    plot_initial_losses,
    plot_misclassified,
    plot_test_accuracies,
    plot_training_curves,
)

__all__ = [
    "plot_probability_bars",
    "plot_logits_and_probs",
    "plot_temperature_sweep",
    "plot_shift_and_scale",
    "plot_softmax_dim",
    "plot_overflow",
    "plot_soft_argmax",
    "plot_neg_log_curve",
    "plot_logit_gradient",
    "plot_surprisal_and_entropy",
    "plot_cross_entropy_bars",
    "plot_one_hot_pick",
    "plot_sum_vs_mean",
    "plot_log_softmax_stability",
    "plot_first_losses",
    "plot_loss_and_gradient",
    "plot_prediction_bars",
    "plot_argmax_tie",
    "plot_curves",
    "plot_label_smoothing",
    "plot_pos_weight",
    "plot_training_curves",
    "confusion_counts",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_decision_threshold",
    "plot_digit_row",
    "plot_initial_losses",
    "plot_test_accuracies",
    "plot_reliability_diagram",
    "plot_confidence_histogram",
    "plot_reliability_panels",
    "plot_classwise_ece",
    "plot_confidence_against_accuracy",
    "plot_ece_noise",
    "plot_nll_against_temperature",
    "plot_reliability_at_temperature",
    "plot_smoothing_sweep",
    "plot_cost_vs_classes",
    "class_count_label",
    "plot_roofline",
    "online_normalizer_steps",
    "plot_online_normalizer",
    "plot_held_memory",
    "plot_memory_timeline",
    "allocation_changes",
    "plot_time_and_memory",
    "plot_soft_capping",
    "plot_cost_vs_vocabulary",
    "plot_logit_memory",
    "plot_vocabulary_blocks",
    "plot_relative_errors",
    "plot_number_lines",
    "plot_soft_targets",
    "plot_kl_directions",
    "plot_temperature_targets",
    "plot_teacher_targets",
    "plot_gradient_scale",
    "plot_validation_grid",
    "plot_multi_label_rows",
    "plot_threshold_curves",
    "plot_paired_differences",
    "plot_scaled_softmax",
    "plot_attention_grids",
    "plot_tiles",
    "plot_cost_vs_length",
    "plot_rounding_errors",
    "plot_attention_summary",
    "plot_vocabulary_shards",
    "plot_all_reduce",
    "plot_shard_merge",
    "plot_gradient_shards",
    "plot_bytes_per_token",
    "plot_token_weights",
]
