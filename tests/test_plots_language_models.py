"""helpers.plots.language_models: notebook 08's figures show what they claim, refuse bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.plots import plot_cost_vs_vocabulary, plot_soft_capping


def test_soft_capping_draws_the_identity_and_one_capped_curve_per_cap():
    figure = plot_soft_capping([30.0, 10.0], limit=50.0, points=101)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 101]
    assert [line.get_label() for line in lines] == ["no cap: z", "c = 30", "c = 10"]
    raw = lines[0].get_xdata()
    np.testing.assert_allclose(lines[0].get_ydata(), raw)
    np.testing.assert_allclose(lines[2].get_ydata(), 10.0 * np.tanh(raw / 10.0))
    assert np.abs(lines[2].get_ydata()).max() < 10.0          # bounded by the cap
    bounds = sorted(line.get_ydata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2)
    assert bounds == [-30.0, -10.0, 10.0, 30.0]
    plt.close(figure)


def test_soft_capping_draws_on_given_axes_and_accepts_a_tensor():
    figure, ax = plt.subplots()
    assert plot_soft_capping(torch.tensor([5.0]), ax=ax) is figure
    assert ax.get_xlabel() == "raw logit z"
    plt.close(figure)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ([[0.0]], {}, ValueError, "caps must be > 0"),
        ([[[1.0]]], {}, ValueError, "caps must have 1 dimension"),
        ([[np.nan]], {}, ValueError, "caps contains NaN"),
        (["30"], {}, TypeError, "caps must be an array"),
        ([[1.0]], {"limit": 0.0}, ValueError, "limit must be a finite positive"),
        ([[1.0]], {"limit": "big"}, ValueError, "limit must be a positive number"),
        ([[1.0]], {"points": 1}, ValueError, "points must be at least 2"),
        ([[1.0]], {"points": 2.5}, TypeError, "points must be an int"),
        ([[1.0]], {"ax": "axes"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_soft_capping_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_soft_capping(*args, **kwargs)


def test_cost_vs_vocabulary_draws_time_and_memory_per_method():
    figure = plot_cost_vs_vocabulary(
        [1024, 4096], {"unfused": [1.0, 4.0], "fused": [2.0, 5.0]},
        {"unfused": [0.5, 2.0], "fused": [0.4, 0.4]}, num_tokens=64)
    time_ax, memory_ax = figure.axes
    assert time_ax.get_title() == "time, N = 64 tokens"
    assert memory_ax.get_ylabel() == "extra peak memory (MiB)"
    assert time_ax.get_xlabel() == memory_ax.get_xlabel() == "vocabulary size V (log scale)"
    lines = {line.get_label(): line.get_ydata().tolist() for line in memory_ax.get_lines()}
    assert lines == {"unfused": [0.5, 2.0], "fused": [0.4, 0.4]}
    assert time_ax.get_yscale() == "log"
    plt.close(figure)


@pytest.mark.parametrize(
    ("times", "memory", "kwargs", "error", "message"),
    [
        ({"a": [1, 2]}, {"b": [1, 2]}, {"num_tokens": 4}, ValueError, "same methods"),
        ([1, 2], {"a": [1, 2]}, {"num_tokens": 4}, TypeError, "times_ms must be a dict"),
        ({"a": [1, 2]}, {"a": [1, 2]}, {"num_tokens": 0}, ValueError, "num_tokens"),
        ({"a": [1, 2]}, {"a": [1, 2]}, {"num_tokens": 4.0}, TypeError, "num_tokens"),
        ({"a": [1, 0]}, {"a": [1, 2]}, {"num_tokens": 4}, ValueError, "must be > 0"),
    ],
)
def test_cost_vs_vocabulary_rejects_bad_input(times, memory, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_cost_vs_vocabulary([10, 20], times, memory, **kwargs)


# ---- the lecture figures of notebook 08 (imported from the submodule) ----------------------

from helpers.plots.language_models import (  # noqa: E402
    plot_logit_memory,
    plot_number_lines,
    plot_relative_errors,
    plot_vocabulary_blocks,
)


def test_soft_capping_accepts_one_cap_as_a_number():
    figure = plot_soft_capping(12.0, limit=40.0, points=11)
    labels = [line.get_label() for line in figure.axes[0].get_lines()
              if len(line.get_xdata()) == 11]
    assert labels == ["no cap: z", "c = 12"]
    assert figure.get_size_inches()[0] <= 7.0 and figure.get_size_inches()[1] <= 3.2
    plt.close(figure)


def test_logit_memory_draws_4NV_bytes_per_model_and_the_memory_marks():
    ax = plot_logit_memory({"small": 1_000, "large": 4_000}, num_tokens=500, copies=3,
                           memory_gb={"a GPU": 0.05})
    one_copy = [patch.get_width() for patch in ax.patches[:2]]
    np.testing.assert_allclose(one_copy, [500 * 1_000 * 4 / 1e9, 500 * 4_000 * 4 / 1e9])
    extra = [patch.get_width() for patch in ax.patches[2:4]]
    np.testing.assert_allclose(extra, [2 * w for w in one_copy])  # 3 copies in all
    assert [t.get_text() for t in ax.get_yticklabels()] == ["small\nV = 1,000",
                                                            "large\nV = 4,000"]
    (mark,) = ax.get_lines()
    assert mark.get_xdata()[0] == 0.05 and mark.get_label() == "a GPU"
    assert [t.get_text() for t in ax.texts] == [" 0.006 GB", " 0.024 GB"]
    assert all(t.get_fontsize() >= 11 for t in ax.get_xticklabels())
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ([{}], {"num_tokens": 4}, ValueError, "at least one model"),
        ([[1, 2]], {"num_tokens": 4}, TypeError, "vocab_sizes must be a dict"),
        ([{"a": 10}], {"num_tokens": 0}, ValueError, "num_tokens must be >= 1"),
        ([{"a": 10}], {"num_tokens": 4.0}, TypeError, "num_tokens must be an int"),
        ([{"a": 10}], {"num_tokens": 4, "copies": 0}, ValueError, "copies"),
        ([{"a": 10}], {"num_tokens": 4, "memory_gb": {"x": 0}}, ValueError, "memory_gb"),
        ([{"a": 10}], {"num_tokens": 4, "ax": "axes"}, TypeError, "matplotlib Axes"),
    ],
)
def test_logit_memory_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_logit_memory(*args, **kwargs)


def test_vocabulary_blocks_draw_the_running_max_and_an_exact_lse():
    logits = np.array([0.5, 2.0, -1.0, 3.0, 1.0, 0.0, 4.0])
    ax = plot_vocabulary_blocks(logits, 3.0, target=2)  # a slider's float: 3 blocks
    lines = {line.get_label(): line for line in ax.get_lines()}
    running_max = lines["running max m"].get_ydata()
    np.testing.assert_allclose(running_max, [2.0, 2.0, 3.0, 3.0, 4.0, 4.0])
    (lse_label,) = [name for name in lines if name.startswith("lse")]
    exact = np.log(np.exp(logits).sum())
    assert lse_label.endswith(f"{exact:.2f}")
    np.testing.assert_allclose(lines[lse_label].get_ydata()[0], exact)
    titles = [t.get_text() for t in ax.texts]
    assert [t.split("\n")[0] for t in titles] == ["$W_{1}$", "$W_{2}$", "$W_{3}$"]
    first_sum = np.exp(logits[:3] - 2.0).sum()
    assert titles[0].endswith(f"d={first_sum:.2f}")
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("logits", "kwargs", "error", "message"),
    [
        ([1.0], {"block_size": 2}, ValueError, "at least 2"),
        ([1.0, np.nan], {"block_size": 2}, ValueError, "NaN"),
        ([1.0, 2.0], {"block_size": 0}, ValueError, "block_size must be >= 1"),
        ([1.0, 2.0], {"block_size": 2.5}, TypeError, "whole number"),
        ([1.0, 2.0], {"block_size": 1, "target": 2}, ValueError, "target must lie"),
        ([1.0, 2.0], {"block_size": 1, "target": 1.0}, TypeError, "target must be an int"),
    ],
)
def test_vocabulary_blocks_reject_bad_input(logits, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_vocabulary_blocks(logits, **kwargs)


def test_relative_errors_bars_on_a_log_axis_with_tolerances_and_a_floor_for_zero():
    errors = {"float64": {"loss": 0.0, "grad": 1e-14}, "float32": {"loss": 1e-7, "grad": 2e-6}}
    ax = plot_relative_errors(errors, tolerances={"float32": 1e-5}, floor=1e-18)
    assert ax.get_xscale() == "log"
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == [1e-18, 1e-7, 1e-14, 2e-6]  # quantity by quantity, zero at the floor
    (tolerance,) = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert list(tolerance.get_xdata()) == [1e-5, 1e-5]
    assert np.mean(tolerance.get_ydata()) == 1  # on float32's row
    assert [t.get_text() for t in ax.get_yticklabels()] == ["float64", "float32"]
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("errors", "kwargs", "error", "message"),
    [
        ({}, {}, ValueError, "at least one group"),
        ([1e-3], {}, TypeError, "errors must be a dict"),
        ({"a": {"x": 1.0}, "b": {"y": 1.0}}, {}, ValueError, "same quantities"),
        ({"a": {"x": -1.0}}, {}, ValueError, "finite and >= 0"),
        ({"a": {"x": "1"}}, {}, TypeError, "must be a number"),
        ({"a": {"x": 1.0}}, {"tolerances": {"b": 1.0}}, ValueError, "unknown group"),
        ({"a": {"x": 1.0}}, {"tolerances": {"a": 0.0}}, ValueError, "must be > 0"),
        ({"a": {"x": 1.0}}, {"floor": 0.0}, ValueError, "floor"),
    ],
)
def test_relative_errors_reject_bad_input(errors, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_relative_errors(errors, **kwargs)


def test_number_lines_span_each_format_and_print_its_spacing_near_100():
    formats = {"float16": (2.0**-24, 2.0**-14, 65504.0, 11), "bf16": (1e-40, 1e-38, 3e38, 8)}
    ax = plot_number_lines(formats, marks={"gradient": 1e-8})
    assert ax.get_xscale() == "log"
    spans = [list(line.get_xdata()) for line in ax.get_lines() if line.get_ydata()[0] == 0]
    assert [2.0**-24, 2.0**-14] in spans and [2.0**-14, 65504.0] in spans
    texts = [t.get_text() for t in ax.texts]
    assert "step at 100: 0.0625" in texts[0] and "step at 100: 0.5" in texts[1]
    assert all(t.get_position()[0] > 1 for t in ax.texts)  # right of the frame, over no bar
    (mark,) = [line for line in ax.get_lines() if line.get_label() == "gradient"]
    assert mark.get_xdata()[0] == 1e-8
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("formats", "kwargs", "error", "message"),
    [
        ({}, {}, ValueError, "at least one format"),
        ({"f": (1.0, 2.0, 3.0)}, {}, TypeError, "tuple"),
        ({"f": (1.0, 2.0, 3.0, 8.0)}, {}, TypeError, "bits must be an int"),
        ({"f": (2.0, 1.0, 3.0, 8)}, {}, ValueError, "subnormal <= normal"),
        ({"f": (1.0, 2.0, 3.0, 1)}, {}, ValueError, "bits must be >= 2"),
        ({"f": (1.0, 2.0, 3.0, 8)}, {"marks": {"m": 0.0}}, ValueError, "marks must be > 0"),
    ],
)
def test_number_lines_reject_bad_input(formats, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_number_lines(formats, **kwargs)
