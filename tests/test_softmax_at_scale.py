"""Notebook 07's own softmax algorithms and chunked cross-entropy vs PyTorch.

Its timer and memory meter live in helpers.measurement (tests/test_measurement.py)."""

import ast
import math
import re

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.measurement import memory_use, peak_memory_bytes
from helpers.notebook_import import NOTEBOOK_DIR, load_notebook_definitions
from helpers.numerics import softmax
from helpers.plots import class_count_label, plot_cost_vs_classes
from helpers.plots.scale import plot_roofline

NB07 = load_notebook_definitions("07_softmax_at_scale")


@pytest.fixture(scope="module")
def nb07_path(tmp_path_factory):
    """The definitions of the lecture path alone: the cores the slides show (online
    normaliser, chunked forward and backward), before the reading cells replace them."""
    notebook = nbformat.read(NOTEBOOK_DIR / "07_softmax_at_scale.ipynb", as_version=4)
    for cell in notebook.cells:  # reading cells keep their imports and settings only
        if cell.cell_type == "code" and "reading" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            tree.body = [node for node in tree.body
                         if not isinstance(node, ast.FunctionDef | ast.ClassDef)]
            cell.source = ast.unparse(tree)
    path = tmp_path_factory.mktemp("path") / "07_path.ipynb"
    nbformat.write(notebook, path)
    return load_notebook_definitions(path)

TOLERANCE = {torch.float32: {"rtol": 1e-5, "atol": 1e-6}, torch.float64: {}}
DTYPES = [torch.float32, torch.float64]

EXTREME_ROWS = [
    [1000.0, 1001.0, 1002.0, -1000.0, 0.0],
    [-1e4, 0.0, 1e4, 9999.0, -5.0],
    [-math.inf, -math.inf, 3.0, 1.0, -math.inf],
    [5.0, -math.inf, 5.0, -math.inf, 5.0],
    [88.8, 89.0, -89.0, 0.0, 0.0],
]


def random_logits(rows, classes, dtype, scale=3.0, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return scale * torch.randn(rows, classes, generator=generator, dtype=dtype)


def loss_and_grad(loss_fn, logits, targets):
    leaf = logits.detach().clone().requires_grad_(True)
    loss = loss_fn(leaf, targets)
    loss.backward()
    return loss.detach(), leaf.grad


# ---- the three softmax algorithms -----------------------------------------------------

SOFTMAX_SHAPES = [  # (rows, classes, chunk_size)
    (1, 1, 1), (1, 1, 16), (3, 7, 1), (3, 7, 3), (3, 7, 7), (5, 64, 1), (5, 64, 16),
    (5, 64, 999), (2, 1000, 3), (2, 1000, 999), (2, 1000, 5000),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("rows", "classes", "chunk_size"), SOFTMAX_SHAPES)
def test_online_softmax_matches_torch_on_random_shapes(dtype, rows, classes, chunk_size):
    logits = random_logits(rows, classes, dtype, seed=rows * classes)
    expected = torch.softmax(logits, dim=-1)
    got = NB07.online_softmax(logits, chunk_size)
    assert got.dtype == dtype and got.shape == logits.shape
    torch.testing.assert_close(got, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5])
def test_online_and_safe_softmax_on_extreme_logits(dtype, chunk_size):
    logits = torch.tensor(EXTREME_ROWS, dtype=dtype)
    expected = torch.softmax(logits, dim=-1)
    torch.testing.assert_close(NB07.online_softmax(logits, chunk_size), expected,
                               **TOLERANCE[dtype])
    torch.testing.assert_close(NB07.safe_softmax(logits), expected, **TOLERANCE[dtype])
    assert not torch.isnan(NB07.online_softmax(logits, chunk_size)).any()


def test_online_softmax_of_a_batch_of_matrices_uses_the_last_axis():
    logits = torch.randn(2, 3, 11, dtype=torch.float64)
    torch.testing.assert_close(NB07.online_softmax(logits, 4), torch.softmax(logits, dim=-1))


def test_online_softmax_agrees_with_the_numpy_softmax_of_notebook_01():
    logits = random_logits(4, 50, torch.float64, scale=40.0)
    np.testing.assert_allclose(NB07.online_softmax(logits, 7).numpy(), softmax(logits.numpy()),
                               rtol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)  # the same cases every run
@given(
    rows=st.integers(1, 4),
    classes=st.integers(1, 40),
    chunk_size=st.integers(1, 50),
    scale=st.sampled_from([0.1, 1.0, 100.0, 1e4]),
    seed=st.integers(0, 10_000),
)
def test_online_normalizer_is_max_and_sum_for_any_chunking(rows, classes, chunk_size, scale,
                                                            seed):
    logits = random_logits(rows, classes, torch.float64, scale=scale, seed=seed)
    running_max, running_sum = NB07.online_normalizer(logits, chunk_size)
    largest = logits.amax(dim=-1, keepdim=True)
    torch.testing.assert_close(running_max, largest, rtol=0, atol=0)
    torch.testing.assert_close(running_sum, torch.exp(logits - largest).sum(-1, keepdim=True))
    torch.testing.assert_close(NB07.online_logsumexp(logits, chunk_size),
                               torch.logsumexp(logits, dim=-1))


def test_naive_softmax_is_right_on_small_logits_and_overflows_on_large_ones():
    logits = random_logits(3, 9, torch.float64)
    torch.testing.assert_close(NB07.naive_softmax(logits), torch.softmax(logits, dim=-1))
    assert torch.isnan(NB07.naive_softmax(torch.tensor([89.0, 0.0]))).any()
    assert not torch.isnan(NB07.safe_softmax(torch.tensor([89.0, 0.0]))).any()


def test_the_slides_show_cores_that_the_reading_cells_replace(nb07_path):
    notebook = nbformat.read(NOTEBOOK_DIR / "07_softmax_at_scale.ipynb", as_version=4)
    code = [(c.source, "reading" in c.metadata.get("tags", []))
            for c in notebook.cells if c.cell_type == "code"]
    for name in ("online_normalizer", "chunked_forward", "chunked_backward",
                 "chunked_cross_entropy"):
        assert getattr(nb07_path, name) is not getattr(NB07, name), name
        cells = [(source, reading) for source, reading in code
                 if re.search(rf"^def {name}\(", source, re.MULTILINE)]
        # First the core, on the slides; then the whole, in a reading cell.
        assert [reading for _, reading in cells] == [False, True], name
        core = cells[0][0]
        assert len(core.splitlines()) <= 13, name  # the loop that carries the idea
        if name != "chunked_cross_entropy":  # one line says what replaces it
            assert "The core: the reading cell" in core, name


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 1000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_core_online_normalizer_agrees_with_the_whole(nb07_path, dtype, chunk_size):
    for logits in (random_logits(3, 37, dtype, scale=50.0), torch.tensor(EXTREME_ROWS,
                                                                        dtype=dtype)):
        core_max, core_sum = nb07_path.online_normalizer(logits, chunk_size)
        whole_max, whole_sum = NB07.online_normalizer(logits, chunk_size)
        torch.testing.assert_close(core_max, whole_max, rtol=0, atol=0)
        torch.testing.assert_close(core_sum, whole_sum, **TOLERANCE[dtype])
        assert not torch.isnan(core_sum).any()
    masked = torch.full((2, 6), -math.inf, dtype=dtype)  # a row of masked logits only
    masked[1, 4] = 1.0
    core_max, core_sum = nb07_path.online_normalizer(masked, 4)
    assert core_max[0].item() == -math.inf and core_sum.tolist() == [[0.0], [1.0]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("rows", "classes", "chunk_size"),
                         [(1, 2, 1), (4, 10, 3), (7, 300, 256), (16, 4097, 4096), (3, 50, 999)])
def test_the_core_chunked_loss_matches_pytorch(nb07_path, dtype, rows, classes, chunk_size):
    logits = random_logits(rows, classes, dtype, scale=30.0, seed=classes)
    targets = torch.randint(0, classes, (rows,), generator=torch.Generator().manual_seed(rows))
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, targets)
    loss, grad = loss_and_grad(
        lambda z, t: nb07_path.chunked_cross_entropy(z, t, chunk_size), logits, targets)
    torch.testing.assert_close(loss, expected_loss, **TOLERANCE[dtype])
    torch.testing.assert_close(grad, expected_grad, **TOLERANCE[dtype])
    leaf = logits.detach().double().requires_grad_(True)[:2, :11]
    assert torch.autograd.gradcheck(
        lambda z: nb07_path.chunked_cross_entropy(z, targets[:2] % 11, 4), (leaf,))


def test_the_core_chunked_loss_scales_by_the_upstream_gradient(nb07_path):
    logits = random_logits(4, 9, torch.float64).requires_grad_(True)
    targets = torch.tensor([0, 8, 3, 3])
    (3.0 * nb07_path.chunked_cross_entropy(logits, targets, 2)).backward()
    expected = torch.autograd.grad(3.0 * F.cross_entropy(logits, targets), logits)[0]
    torch.testing.assert_close(logits.grad, expected)


def test_online_normalizer_rejects_a_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        NB07.online_normalizer(torch.zeros(2, 3), 0)


# ---- cross-entropy: naive, chunked ----------------------------------------------------

CE_SHAPES = [  # (rows, classes, chunk_size): chunks that divide C, do not, are 1 or exceed C
    (1, 2, 1), (1, 2, 10_000), (4, 10, 1), (4, 10, 3), (4, 10, 5), (4, 10, 10), (7, 300, 7),
    (7, 300, 256), (16, 4097, 256), (16, 4097, 4096), (16, 4097, 10_000), (3, 8192, 1024),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("rows", "classes", "chunk_size"), CE_SHAPES)
def test_chunked_cross_entropy_values_and_gradients(dtype, rows, classes, chunk_size):
    logits = random_logits(rows, classes, dtype, seed=classes)
    targets = torch.randint(0, classes, (rows,), generator=torch.Generator().manual_seed(rows))
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, targets)
    loss, grad = loss_and_grad(
        lambda z, t: NB07.chunked_cross_entropy(z, t, chunk_size), logits, targets
    )
    assert loss.dtype == dtype and grad.dtype == dtype
    torch.testing.assert_close(loss, expected_loss, **TOLERANCE[dtype])
    torch.testing.assert_close(grad, expected_grad, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_chunked_cross_entropy_on_extreme_logits(dtype, chunk_size):
    logits = torch.tensor(EXTREME_ROWS, dtype=dtype)
    targets = torch.tensor([3, 0, 2, 1, 4])  # includes a target whose logit is -inf
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, targets)
    loss, grad = loss_and_grad(
        lambda z, t: NB07.chunked_cross_entropy(z, t, chunk_size), logits, targets
    )
    assert torch.isinf(expected_loss)  # a masked target costs infinity, in PyTorch too
    torch.testing.assert_close(loss, expected_loss)
    torch.testing.assert_close(grad, expected_grad, **TOLERANCE[dtype])
    finite_targets = torch.tensor([3, 0, 2, 0, 4])
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, finite_targets)
    loss, grad = loss_and_grad(
        lambda z, t: NB07.chunked_cross_entropy(z, t, chunk_size), logits, finite_targets
    )
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, expected_loss, **TOLERANCE[dtype])
    torch.testing.assert_close(grad, expected_grad, **TOLERANCE[dtype])


def test_chunked_cross_entropy_scales_the_gradient_by_the_upstream_gradient():
    logits = random_logits(3, 10, torch.float64)
    targets = torch.tensor([1, 9, 0])
    leaf = logits.clone().requires_grad_(True)
    (2.5 * NB07.chunked_cross_entropy(leaf, targets, 3)).backward()
    reference = logits.clone().requires_grad_(True)
    (2.5 * F.cross_entropy(reference, targets)).backward()
    torch.testing.assert_close(leaf.grad, reference.grad)


@pytest.mark.parametrize(("rows", "classes", "chunk_size"), [(3, 11, 4), (2, 5, 1), (4, 6, 6)])
def test_chunked_cross_entropy_passes_gradcheck(rows, classes, chunk_size):
    logits = random_logits(rows, classes, torch.float64, seed=3).requires_grad_(True)
    targets = torch.randint(0, classes, (rows,), generator=torch.Generator().manual_seed(4))
    assert torch.autograd.gradcheck(
        lambda z: NB07.chunked_cross_entropy(z, targets, chunk_size), (logits,)
    )


def test_chunked_cross_entropy_saves_two_numbers_per_row_not_the_probabilities():
    logits = random_logits(8, 1000, torch.float32).requires_grad_(True)
    loss = NB07.chunked_cross_entropy(logits, torch.zeros(8, dtype=torch.long), 128)
    saved = loss.grad_fn.saved_tensors
    others = [t.numel() for t in saved if t.data_ptr() != logits.data_ptr()]
    assert others == [8, 8, 8]  # targets, row maximum, row sum


@pytest.mark.parametrize(
    ("logits", "targets", "chunk_size", "message"),
    [
        (torch.zeros(3), torch.zeros(3, dtype=torch.long), 2, "expected logits"),
        (torch.zeros(3, 4), torch.zeros(2, dtype=torch.long), 2, "expected logits"),
        (torch.zeros(3, 4), torch.zeros(3, dtype=torch.long), 0, "chunk_size"),
        (torch.zeros(3, 4), torch.zeros(3, dtype=torch.long), 2.5, "chunk_size"),
    ],
)
def test_chunked_cross_entropy_rejects_bad_input(logits, targets, chunk_size, message):
    with pytest.raises(ValueError, match=message):
        NB07.chunked_cross_entropy(logits, targets, chunk_size)


@pytest.mark.parametrize("dtype", DTYPES)
def test_naive_cross_entropy_matches_on_ordinary_logits(dtype):
    logits = random_logits(5, 20, dtype)
    targets = torch.tensor([0, 19, 3, 3, 7])
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, targets)
    loss, grad = loss_and_grad(NB07.naive_cross_entropy, logits, targets)
    torch.testing.assert_close(loss, expected_loss, **TOLERANCE[dtype])
    torch.testing.assert_close(grad, expected_grad, **TOLERANCE[dtype])


def test_naive_cross_entropy_is_infinite_when_the_target_probability_underflows():
    logits, targets = torch.tensor([[0.0, 200.0]]), torch.tensor([0])
    assert torch.isinf(NB07.naive_cross_entropy(logits, targets))
    torch.testing.assert_close(NB07.chunked_cross_entropy(logits, targets, 1),
                               torch.tensor(200.0))


# ---- measuring: memory and time -------------------------------------------------------

CPU = torch.device("cpu")


def test_chunked_backward_extra_memory_does_not_grow_with_the_class_count():
    rows, chunk_size = 16, 256
    extra = []
    for classes in (1024, 8192, 32768):
        logits = torch.randn(rows, classes, requires_grad=True)
        targets = torch.randint(0, classes, (rows,))
        peak = peak_memory_bytes(
            lambda z=logits, t=targets: NB07.chunked_cross_entropy(z, t, chunk_size).backward(),
            CPU,
        )
        extra.append(peak - logits.nbytes)  # beyond the gradient itself
    assert max(extra) <= min(extra) + 1024, extra
    assert max(extra) < rows * chunk_size * 4, extra


def test_chunked_forward_needs_one_chunk_of_scratch_memory():
    logits, targets = torch.randn(16, 8192), torch.randint(0, 8192, (16,))
    for chunk_size in (256, 1024):
        peak = peak_memory_bytes(
            lambda c=chunk_size: NB07.chunked_cross_entropy(logits, targets, c), CPU
        )
        block = 16 * chunk_size * 4
        assert block <= peak < block + 1024, (chunk_size, peak)


def test_fused_cross_entropy_extra_memory_grows_with_the_class_count():
    extra = []
    for classes in (1024, 8192):
        logits = torch.randn(16, classes, requires_grad=True)
        targets = torch.randint(0, classes, (16,))
        peak = peak_memory_bytes(
            lambda z=logits, t=targets: F.cross_entropy(z, t).backward(), CPU
        )
        extra.append(peak - logits.nbytes)
    assert extra[1] > 4 * extra[0] > 0, extra


def test_measure_cross_entropy_reports_each_method():
    results = NB07.measure_cross_entropy(NB07.METHODS, 4, 3000, repeats=1, device=CPU)
    assert set(results) == set(NB07.METHODS)
    for result in results.values():
        assert result["seconds"] > 0 and result["median_seconds"] >= result["seconds"]
        assert result["extra_bytes"] == result["peak_bytes"] - 4 * 3000 * 4


def test_measure_cross_entropy_catches_a_wrong_method():
    wrong = {"sum instead of mean": lambda z, t: F.cross_entropy(z, t, reduction="sum")}
    with pytest.raises(AssertionError):
        NB07.measure_cross_entropy(wrong, 4, 100, repeats=1, device=CPU)


# ---- the plot of a cost against the class count ---------------------------------------

def test_cost_plot_content():
    counts = [50_000, 1_000, 10_000]  # unsorted on purpose
    ax = plot_cost_vs_classes(
        counts,
        {"fused": [5.0, 0.1, 1.0], "chunked": np.array([6.0, 0.2, 1.5])},
        ylabel="time (ms)",
        title="t",
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["fused", "chunked"]
    np.testing.assert_allclose(lines[0].get_xdata(), [1_000, 10_000, 50_000])
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1, 1.0, 5.0])
    np.testing.assert_allclose(lines[1].get_ydata(), [0.2, 1.5, 6.0])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_ylabel() == "time (ms)" and ax.get_title() == "t"
    assert "classes" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fused", "chunked"]
    assert lines[0].get_marker() != lines[1].get_marker()  # equal costs stay distinguishable
    assert lines[0].get_linestyle() != lines[1].get_linestyle()


def test_cost_plot_shows_a_method_hidden_under_an_equal_one():
    counts = [2_048, 8_192, 32_768]
    ax = plot_cost_vs_classes(
        counts, {"naive": [0.5, 2.0, 8.0], "fused": [0.5, 2.0, 8.01], "chunked": [1e-3] * 3},
        ylabel="extra peak memory (MiB)", exact_ticks=True)
    naive, fused, chunked = ax.get_lines()
    # Drawn first, naive would vanish under fused: a wider band with larger hollow markers.
    assert naive.get_linewidth() > 2 * fused.get_linewidth()
    assert naive.get_markersize() > 1.5 * fused.get_markersize()
    assert naive.get_markerfacecolor() == "none"
    assert naive.get_zorder() <= fused.get_zorder()
    assert chunked.get_linewidth() == fused.get_linewidth()  # not equal to another: as usual
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "naive", "fused (= naive)", "chunked"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2,048", "8,192", "32,768"]
    with pytest.raises(TypeError, match="exact_ticks"):
        plot_cost_vs_classes(counts, {"a": [1.0, 2.0, 3.0]}, ylabel="y", exact_ticks="yes")


def test_cost_plot_draws_on_given_axes_and_accepts_tensors():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    result = plot_cost_vs_classes(torch.tensor([1.0, 2.0]), {"a": torch.tensor([3.0, 4.0])},
                                  ylabel="y", ax=ax)
    assert result is ax
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [3.0, 4.0])


@pytest.mark.parametrize(
    ("counts", "costs", "kwargs", "error", "message"),
    [
        ([1, 2], [1.0, 2.0], {}, TypeError, "costs must be a dict"),
        ([1, 2], {}, {}, ValueError, "at least one method"),
        ([1, 2], {"": [1.0, 2.0]}, {}, ValueError, "non-empty name"),
        ([1, 2], {3: [1.0, 2.0]}, {}, ValueError, "non-empty name"),
        ([1, 2], {"a": [1.0]}, {}, ValueError, "1 values but there are 2 class counts"),
        ([1, 2], {"a": [1.0, 0.0]}, {}, ValueError, "must be > 0 on a log scale"),
        ([1, 2], {"a": [1.0, np.nan]}, {}, ValueError, "contains NaN"),
        ([1, 2], {"a": [[1.0, 2.0]]}, {}, ValueError, "1 dimension"),
        ([1], {"a": [1.0]}, {}, ValueError, "at least 2"),
        ([0, 2], {"a": [1.0, 2.0]}, {}, ValueError, "class_counts must be > 0"),
        ([2, 2], {"a": [1.0, 2.0]}, {}, ValueError, "must not repeat"),
        ([[1, 2]], {"a": [1.0, 2.0]}, {}, ValueError, "1 dimension"),
        ("12", {"a": [1.0, 2.0]}, {}, TypeError, "array of numbers"),
        ([1, 2], {"a": [1.0, 2.0]}, {"ax": "axes"}, TypeError, "matplotlib Axes"),
    ],
)
def test_cost_plot_rejects_bad_input(counts, costs, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_cost_vs_classes(counts, costs, ylabel="y", **kwargs)


@pytest.mark.parametrize("exact_ticks", [False, True])
@pytest.mark.parametrize(
    "counts",
    [[2_048, 8_192, 32_768], [1_000, 10_000, 50_000, 100_000, 200_000]],  # quick, full
)
def test_cost_plot_tick_labels_do_not_overlap(counts, exact_ticks):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.2))  # one panel of the notebook's figure
    plot_cost_vs_classes(counts, {"a": np.arange(1.0, len(counts) + 1)}, ylabel="y", ax=ax,
                         exact_ticks=exact_ticks, legend_room=True)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    expected = [f"{count:,}" if exact_ticks else class_count_label(count)
                for count in sorted(counts)]
    labels = [label for label in ax.get_xticklabels(minor=False) + ax.get_xticklabels(
        minor=True) if label.get_visible() and label.get_text()]
    assert [label.get_text() for label in labels] == expected
    angle = math.radians(labels[0].get_rotation())
    if angle == 0:  # side by side: boxes apart
        boxes = sorted((label.get_window_extent(renderer) for label in labels),
                       key=lambda box: box.x0)
        for left, right in zip(boxes, boxes[1:], strict=False):
            assert left.x1 < right.x0, (left, right)
    else:  # slanted in parallel: apart across the slant by more than a line of text
        anchors = ax.transData.transform([(count, 1.0) for count in sorted(counts)])[:, 0]
        height = labels[0].get_fontsize() * fig.dpi / 72
        assert (np.diff(anchors) * math.sin(angle)).min() > height
        assert all(label.get_window_extent(renderer).y0 >= 0 for label in labels)
    width, height = fig.get_size_inches() * fig.dpi
    assert width <= 1280 and height <= 720
    plt.close(fig)


@pytest.mark.parametrize(
    ("count", "label"),
    [(512, "512"), (1_000, "1k"), (2_048, "2.05k"), (32_768, "32.8k"), (200_000, "200k"),
     (999_999, "1M"), (1.5e6, "1.5M"), (np.int64(50_000), "50k"), (0.5, "0.5")],
)
def test_class_count_label(count, label):
    assert class_count_label(count) == label


@pytest.mark.parametrize(
    ("count", "error"),
    [("10", TypeError), (None, TypeError), (True, TypeError), (0, ValueError),
     (-5, ValueError), (math.inf, ValueError), (math.nan, ValueError)],
)
def test_class_count_label_rejects_bad_input(count, error):
    with pytest.raises(error, match="count"):
        class_count_label(count)


# ---- chunked cross-entropy: ignore_index, bad targets, second derivatives ------------

IGNORE_CASES = [  # (rows, classes, chunk_size, ignore_index, targets)
    (5, 10, 3, -100, [3, -100, 7, -100, 0]),
    (5, 10, 4, -100, [9, 9, -100, 0, 1]),         # chunk size does not divide C
    (6, 7, 7, -100, [-100, 6, -100, 0, -100, 3]),
    (4, 11, 1, 2, [2, 5, 10, 2]),                  # ignore_index is a real class
    (4, 11, 5, 0, [0, 0, 1, 0]),                   # one row kept
    (3, 13, 6, -1, [-1, 12, 4]),
    (8, 1000, 333, -100, [-100] * 3 + [0, 999, 500, 1, 998]),
]


@pytest.mark.parametrize(("rows", "classes", "chunk_size", "ignore_index", "targets"),
                         IGNORE_CASES)
def test_chunked_cross_entropy_with_ignore_index_matches_pytorch(
        rows, classes, chunk_size, ignore_index, targets):
    logits = random_logits(rows, classes, torch.float64, seed=rows + classes)
    targets = torch.tensor(targets)
    expected_loss, expected_grad = loss_and_grad(
        lambda z, t: F.cross_entropy(z, t, ignore_index=ignore_index), logits, targets
    )
    loss, grad = loss_and_grad(
        lambda z, t: NB07.chunked_cross_entropy(z, t, chunk_size, ignore_index), logits,
        targets,
    )
    torch.testing.assert_close(loss, expected_loss, rtol=1e-10, atol=0)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-10, atol=1e-15)
    assert (grad[targets == ignore_index] == 0).all()


def test_chunked_cross_entropy_mean_is_over_all_kept_targets_not_a_mean_of_means():
    logits = random_logits(6, 9, torch.float64, seed=11)
    targets = torch.tensor([1, -100, -100, -100, 4, 8])  # kept rows: 1 in the first half
    loss = NB07.chunked_cross_entropy(logits, targets, 2)
    per_row = F.cross_entropy(logits, targets, reduction="none")
    torch.testing.assert_close(loss, per_row.sum() / 3, rtol=1e-10, atol=0)
    halves = (per_row[:3].sum() / 1 + per_row[3:].sum() / 2) / 2
    assert not torch.isclose(loss, halves)


@pytest.mark.parametrize("chunk_size", [1, 3, 10])
def test_chunked_cross_entropy_with_every_target_ignored_is_nan_like_pytorch(chunk_size):
    logits = random_logits(4, 10, torch.float64, seed=5)
    targets = torch.full((4,), -100)
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, targets)
    loss, grad = loss_and_grad(
        lambda z, t: NB07.chunked_cross_entropy(z, t, chunk_size), logits, targets
    )
    assert torch.isnan(expected_loss) and torch.isnan(loss)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0)  # zeros
    assert (grad == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_chunked_cross_entropy_with_ignore_index_in_float32_and_float64(dtype):
    logits = random_logits(16, 4097, dtype, seed=3)
    targets = torch.randint(0, 4097, (16,), generator=torch.Generator().manual_seed(3))
    targets[::3] = -100
    expected_loss, expected_grad = loss_and_grad(F.cross_entropy, logits, targets)
    loss, grad = loss_and_grad(
        lambda z, t: NB07.chunked_cross_entropy(z, t, 1000), logits, targets
    )
    torch.testing.assert_close(loss, expected_loss, **TOLERANCE[dtype])
    torch.testing.assert_close(grad, expected_grad, **TOLERANCE[dtype])


def test_chunked_cross_entropy_with_ignore_index_passes_gradcheck():
    logits = random_logits(4, 7, torch.float64, seed=8).requires_grad_(True)
    targets = torch.tensor([2, -100, 6, -100])
    assert torch.autograd.gradcheck(
        lambda z: NB07.chunked_cross_entropy(z, targets, 3), (logits,)
    )


@pytest.mark.parametrize(
    ("targets", "ignore_index", "shown"),
    [([0, 10, 1], -100, "target 10 "), ([0, -1, 1], -100, "target -1 "),
     ([0, -100, 1], 5, "target -100 "), ([0, 1, 11], 11, None)],
)
def test_chunked_cross_entropy_rejects_out_of_range_targets(targets, ignore_index, shown):
    logits = torch.zeros(3, 10)
    targets = torch.tensor(targets)
    if shown is None:  # 11 is ignore_index: allowed, even outside [0, C)
        NB07.chunked_cross_entropy(logits, targets, 3, ignore_index)
        return
    with pytest.raises(ValueError, match=rf"{shown}is neither a class index in \[0, 10\)"):
        NB07.chunked_cross_entropy(logits, targets, 3, ignore_index)


@pytest.mark.parametrize(
    ("targets", "ignore_index", "error", "message"),
    [(torch.zeros(3), -100, TypeError, "torch.long"),
     (torch.zeros(3, dtype=torch.int32), -100, TypeError, "torch.long"),
     (torch.zeros(3, dtype=torch.long), -100.0, TypeError, "ignore_index"),
     (torch.zeros(3, dtype=torch.long), None, TypeError, "ignore_index")],
)
def test_chunked_cross_entropy_rejects_bad_target_types(targets, ignore_index, error, message):
    with pytest.raises(error, match=message):
        NB07.chunked_cross_entropy(torch.zeros(3, 4), targets, 2, ignore_index)


def test_chunked_cross_entropy_refuses_a_second_derivative():
    logits = random_logits(3, 8, torch.float64).requires_grad_(True)
    loss = NB07.chunked_cross_entropy(logits, torch.tensor([1, -100, 7]), 3)
    with pytest.raises(RuntimeError, match="differentiated only once"):
        torch.autograd.grad(loss, logits, create_graph=True)
    (grad,) = torch.autograd.grad(
        NB07.chunked_cross_entropy(logits, torch.tensor([1, -100, 7]), 3), logits
    )
    assert not grad.requires_grad  # the first derivative still works


# ---- total allocations, the copy curve's sizes ----------------------------------

def test_naive_loss_allocates_two_more_matrices_than_fused_with_the_same_peak():
    logits = torch.randn(16, 8192, requires_grad=True)
    targets = torch.randint(0, 8192, (16,))
    matrix = logits.nbytes
    use = {}
    for name, loss_fn in [("naive", NB07.naive_cross_entropy), ("fused", F.cross_entropy)]:
        logits.grad = None
        use[name] = memory_use(lambda f=loss_fn: f(logits, targets).backward(), CPU)
    (naive_peak, naive_total), (fused_peak, fused_total) = use["naive"], use["fused"]
    assert abs(naive_peak - fused_peak) < 0.01 * matrix
    assert 1.9 * matrix < naive_total - fused_total < 2.1 * matrix


def test_the_copy_curve_spans_whole_rows_to_beyond_any_l2_cache():
    sizes = NB07.BUFFER_SIZES
    assert sizes == sorted(sizes) and len(sizes) >= 4
    assert all(b == 4 * a for a, b in zip(sizes, sizes[1:], strict=False))
    assert sizes[0] >= 4 * 50_257  # the in-cache timing holds one whole row
    assert sizes[-1] >= 64 * 2**20  # beyond a 32 MiB last-level cache, quick or full


# ---- notebook 07 §5: logits made in the graph, and token chunks (torchtune) ------------

def peak_in_matrices(loss_fn, rows=64, classes=4096, hidden_size=8):
    hidden = torch.randn(rows, hidden_size, requires_grad=True)
    weight = torch.randn(classes, hidden_size, requires_grad=True)
    targets = torch.randint(0, classes, (rows,))
    peak = peak_memory_bytes(
        lambda: loss_fn(F.linear(hidden, weight), targets).backward(), CPU
    )
    return peak / (rows * classes * 4)  # hidden_size << rows: small gradients of h, W


def test_with_logits_from_a_linear_layer_the_chunked_loss_saves_one_matrix_of_three():
    fused = peak_in_matrices(F.cross_entropy)
    chunked = peak_in_matrices(lambda z, t: NB07.chunked_cross_entropy(z, t, 512))
    assert 2.9 < fused < 3.2, fused
    assert 1.9 < chunked < 2.2, chunked
    # and it still grows with the number of classes: two N x C matrices at any C
    assert 1.9 < peak_in_matrices(lambda z, t: NB07.chunked_cross_entropy(z, t, 512),
                                  classes=1024) < 2.2


def test_token_chunks_save_the_float32_upcast_but_keep_a_full_matrix_of_log_probabilities():
    tokens, vocabulary, chunks = 32, 4096, 8
    logits = torch.randn(tokens, vocabulary).bfloat16().requires_grad_(True)
    labels = torch.randint(0, vocabulary, (tokens,))
    matrix = tokens * vocabulary * 4

    def token_chunked():
        return sum(F.cross_entropy(c.float(), t, reduction="sum")
                   for c, t in zip(logits.chunk(chunks), labels.chunk(chunks), strict=True))

    whole = peak_memory_bytes(lambda: F.cross_entropy(logits.float(), labels), CPU)
    chunked = peak_memory_bytes(token_chunked, CPU)
    assert 1.9 < whole / matrix < 2.2
    assert 1.0 <= chunked / matrix < 1.0 + 2 / chunks
    loss = token_chunked()  # what the graph holds at the end of the forward pass
    saved = [t for t in _saved_tensors(loss.grad_fn) if t.dtype == torch.float32]
    distinct = {t.data_ptr(): t.numel() for t in saved if t.dim() == 2}  # nll saves them too
    assert sum(distinct.values()) == tokens * vocabulary


def _saved_tensors(node, seen=None):
    """Every tensor saved by the autograd graph below ``node``."""
    seen = set() if seen is None else seen
    if node is None or node in seen:
        return []
    seen.add(node)
    found = [getattr(node, name) for name in dir(node)
             if name.startswith("_saved_") and isinstance(getattr(node, name), torch.Tensor)]
    for child, _ in node.next_functions:
        found += _saved_tensors(child, seen)
    return found


# ---- the roofline figure of §1 --------------------------------------------------------

def test_roofline_content():
    ax = plot_roofline(
        16e9, {"exp in cache": 1e9, "softmax in cache": 1.5e9},
        {"copy": 2e9, "exp": 0.8e9, "softmax": 1.0e9}, title="t",
    )
    roof, *rest = ax.get_lines()
    x, y = roof.get_xdata(), roof.get_ydata()
    np.testing.assert_allclose(y, 16e9 * x)  # bandwidth x intensity
    assert x.min() <= 1 / 8 / 4 and x.max() >= 1e9 / 16e9 * 4  # intensity and ridges shown
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[1:3] == ["ceiling: exp in cache", "ceiling: softmax in cache"]
    assert labels[-3:] == ["copy", "exp", "softmax"]
    points = ax.get_lines()[-3:]
    assert all(p.get_xdata()[0] == 1 / 8 for p in points)  # 8 bytes per element
    assert [p.get_ydata()[0] for p in points] == [2e9, 0.8e9, 1.0e9]
    assert [rest[0].get_ydata()[0], rest[1].get_ydata()[0]] == [1e9, 1.5e9]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "per byte" in ax.get_xlabel() and "per second" in ax.get_ylabel()
    assert ax.get_title() == "t" and ax.get_legend() is not None
    low, high = ax.get_ylim()
    assert low < 0.8e9 and high > 16e9 / 8


def test_roofline_draws_on_given_axes_with_no_ceiling():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plot_roofline(1e9, {}, {"copy": 1e8}, bytes_per_element=4, ax=ax) is ax
    assert ax.get_lines()[-1].get_xdata()[0] == 0.25
    plt.close("all")


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    ((0.0, {}, {"a": 1.0}), {}, ValueError, "bandwidth"),
    (("fast", {}, {"a": 1.0}), {}, TypeError, "bandwidth"),
    ((1e9, [], {"a": 1.0}), {}, TypeError, "ceilings"),
    ((1e9, {}, {}), {}, ValueError, "kernels"),
    ((1e9, {"": 1.0}, {"a": 1.0}), {}, ValueError, "non-empty name"),
    ((1e9, {}, {"a": math.inf}), {}, ValueError, "finite"),
    ((1e9, {}, {"a": -1.0}), {}, ValueError, "finite"),
    ((1e9, {}, {"a": 1.0}), {"bytes_per_element": 0}, ValueError, "bytes_per_element"),
    ((1e9, {}, {"a": 1.0}), {"ax": "axes"}, TypeError, "Axes"),
])
def test_roofline_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_roofline(*args, **kwargs)


@pytest.mark.parametrize("costs", [
    {"naive": [0.5, 2.0, 8.0], "fused": [0.5, 2.0, 8.0], "chunked": [9e-4, 9e-4, 9e-4]},
    {"naive": [9.0, 9.5, 9.9], "fused": [0.1, 0.1, 0.1], "chunked": [5.0, 1.0, 0.2]},
])
def test_cost_plot_legend_room_keeps_the_legend_off_every_line(costs):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.2))  # one panel of the notebook's figure
    plot_cost_vs_classes([2_048, 8_192, 32_768], costs, ylabel="y", ax=ax, legend_room=True)
    fig.tight_layout()
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    for line in ax.get_lines():
        points = ax.transData.transform(line.get_xydata())
        along = [a + t * (b - a) for a, b in zip(points, points[1:], strict=False)
                 for t in np.linspace(0, 1, 50)]
        assert not any(legend.contains(x, y) for x, y in along), line.get_label()
        radius = line.get_markersize() / 2 * fig.dpi / 72
        assert not any(legend.padded(radius).contains(x, y) for x, y in points), line.get_label()
    with pytest.raises(TypeError, match="legend_room"):
        plot_cost_vs_classes([1, 2], {"a": [1.0, 2.0]}, ylabel="y", legend_room=1)
