"""The live controls: sliders redraw the right picture, and bad input is refused."""

import numpy as np
import pytest
import torch

from helpers.widgets import PlotExplorer, SoftmaxExplorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bar_heights(explorer):
    return np.array([patch.get_height() for patch in explorer.axes.patches])


def test_starts_with_softmax_of_the_logits_drawn():
    explorer = SoftmaxExplorer([2.0, 1.0, 0.1], ["cat", "dog", "bird"])
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64), dim=0)
    np.testing.assert_allclose(explorer.probabilities(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bar_heights(explorer), expected.numpy(), rtol=1e-12)
    assert [t.get_text() for t in explorer.axes.get_xticklabels()] == ["cat", "dog", "bird"]
    assert explorer.axes.get_title() == "softmax(logits / T), T = 1.00"
    assert bytes(explorer.image.value).startswith(PNG_SIGNATURE)
    descriptions = [slider.description for slider in explorer.logit_sliders]
    assert descriptions == ["logit cat", "logit dog", "logit bird"]


def test_temperature_slider_redraws_the_bars():
    explorer = SoftmaxExplorer([2.0, 1.0, 0.1])
    first_image = explorer.image.value
    explorer.temperature_slider.value = 0.1
    logits = torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64)
    np.testing.assert_allclose(bar_heights(explorer), torch.softmax(logits / 0.1, dim=0).numpy())
    assert explorer.axes.get_title() == "softmax(logits / T), T = 0.10"
    assert bar_heights(explorer)[0] > 0.99
    assert explorer.image.value != first_image
    explorer.temperature_slider.value = 20.0
    np.testing.assert_allclose(bar_heights(explorer), np.full(3, 1 / 3), atol=0.02)


def test_logit_slider_redraws_the_bars():
    explorer = SoftmaxExplorer([2.0, 1.0, 0.1])
    explorer.logit_sliders[2].value = 4.0
    np.testing.assert_allclose(explorer.logits, [2.0, 1.0, 4.0])
    expected = torch.softmax(torch.tensor([2.0, 1.0, 4.0], dtype=torch.float64), dim=0)
    np.testing.assert_allclose(bar_heights(explorer), expected.numpy(), rtol=1e-12)
    assert len(explorer.axes.patches) == 3  # redrawn, not drawn on top


def test_stored_text_is_fixed_and_the_widget_is_displayed():
    bundle = SoftmaxExplorer([0.0, 1.0])._repr_mimebundle_()
    assert bundle["text/plain"] == SoftmaxExplorer.TEXT
    assert " at 0x" not in bundle["text/plain"]
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["version_major"] == 2 and view["model_id"]


def test_no_pyplot_figure_is_left_open():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    SoftmaxExplorer([1.0, 2.0, 3.0])
    assert plt.get_fignums() == before


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([1.0],), {}, ValueError, "at least 2"),
        (([[1.0, 2.0]],), {}, ValueError, "1 dimension"),
        (([1.0, np.nan],), {}, ValueError, "NaN"),
        ((list(range(9)),), {"logit_range": (0, 10)}, ValueError, "at most 8 classes"),
        (("abc",), {}, TypeError, "array of numbers"),
        (([1.0, 2.0],), {"temperature": 0.0}, ValueError, "outside"),
        (([1.0, 2.0],), {"min_temperature": 2.0, "max_temperature": 1.0}, ValueError, "0 <"),
        (([1.0, 9.0],), {}, ValueError, "do not fit in logit_range"),
        (([1.0, 2.0],), {"logit_range": (3.0, -3.0)}, ValueError, "low < high"),
        (([1.0, 2.0], ["a"]), {}, ValueError, "1 entries but there are 2"),
    ],
)
def test_bad_input_is_refused(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        SoftmaxExplorer(*args, **kwargs)


# ---- the decision threshold (notebook 05) ----------------------------------------------

from helpers.widgets import ThresholdExplorer  # noqa: E402

PROBS = np.array([0.05, 0.3, 0.6, 0.2, 0.7, 0.95])
TARGETS = np.array([0, 0, 0, 1, 1, 1])


def test_threshold_slider_redraws_the_counts():
    explorer = ThresholdExplorer(PROBS, TARGETS, ["1", "7"])
    assert explorer.axes.get_title() == (
        "threshold 0.50: accuracy 66.7 %\ntrue 1 called 7: 1, true 7 called 1: 1"
    )
    first_image = explorer.image.value
    explorer.slider.value = 0.1
    assert explorer.axes.get_title().endswith("true 1 called 7: 2, true 7 called 1: 0")
    assert explorer.image.value != first_image
    assert bytes(explorer.image.value).startswith(PNG_SIGNATURE)
    explorer.slider.value = 1.0
    assert explorer.axes.get_title() == (
        "threshold 1.00: accuracy 50.0 %\ntrue 1 called 7: 0, true 7 called 1: 3"
    )


def test_threshold_explorer_fits_a_720p_screen():
    explorer = ThresholdExplorer(PROBS, TARGETS, ["1", "7"], threshold=0.0)
    width, height = (int(v) for v in explorer.figure.get_size_inches() * explorer.figure.dpi)
    assert width <= 480 and height + 40 <= 300  # slider and plot in a 300-pixel band
    assert explorer.slider.layout.width == f"{width}px"  # the slider spans the plot
    png = bytes(explorer.image.value)
    assert int.from_bytes(png[16:20], "big") == width  # PNG header: the stored width
    assert explorer.axes.get_xlim()[0] < 0.0  # the threshold line at 0 is visible


def test_threshold_explorer_shows_one_fixed_line_of_text():
    bundle = ThresholdExplorer(PROBS, TARGETS)._repr_mimebundle_()
    assert bundle["text/plain"] == ThresholdExplorer.TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize(
    ("probs", "targets", "kwargs", "message"),
    [
        (PROBS + 1, TARGETS, {}, r"probs must lie in \[0, 1\]"),
        (PROBS, TARGETS[:-1], {}, "targets has 5 entries but probs has 6"),
        (PROBS, TARGETS + 1, {}, "only 2 classes"),
        (PROBS, TARGETS, {"threshold": 1.5}, r"threshold must lie in \[0, 1\]"),
        (PROBS, TARGETS, {"class_names": ["a", "b", "c"]}, "class_names has 3 entries"),
    ],
)
def test_threshold_explorer_refuses_bad_input(probs, targets, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ThresholdExplorer(probs, targets, **kwargs)


# ---- PlotExplorer: any plotting function with sliders ------------------------------------------

def draw_line(slope, offset=0.0, *, ax, color="C0"):
    xs = np.linspace(0, 1, 5)
    ax.plot(xs, slope * xs + offset, color=color)
    ax.set_title(f"slope {slope:.2f}")
    return ax


def test_plot_explorer_redraws_its_function_with_the_sliders_values():
    explorer = PlotExplorer(draw_line, {"slope": (-2.0, 2.0, 0.1, 1.0)}, title="A line",
                            fixed={"color": "C1"})
    assert explorer.axes.get_title() == "slope 1.00"
    first = explorer.image.value
    assert bytes(first).startswith(PNG_SIGNATURE)
    explorer.sliders["slope"].value = -1.5
    assert explorer.values == {"slope": -1.5}
    assert explorer.axes.get_title() == "slope -1.50"
    np.testing.assert_allclose(explorer.axes.lines[0].get_ydata()[-1], -1.5)
    assert len(explorer.axes.lines) == 1  # cleared, not drawn over
    assert explorer.image.value != first
    assert explorer._repr_mimebundle_()["text/plain"] == (
        "A line: move the sliders (needs a running kernel; static plot above).")


@pytest.mark.parametrize(
    ("plot", "sliders", "error", "match"),
    [
        ("not a function", {"slope": (0.0, 1.0, 0.1, 0.5)}, TypeError, "plotting function"),
        (draw_line, {}, ValueError, "at least one slider"),
        (draw_line, {"slope": (0.0, 1.0, 0.1)}, TypeError, "low, high, step, start"),
        (draw_line, {"slope": (1.0, 0.0, 0.1, 0.5)}, ValueError, "low < high"),
        (draw_line, {"slope": (0.0, 1.0, 0.0, 0.5)}, ValueError, "step > 0"),
        (draw_line, {"slope": (0.0, 1.0, 0.1, 2.0)}, ValueError, "start"),
        (draw_line, {"slope": (0.0, 1.0, 0.1, True)}, TypeError, "numbers"),
    ],
)
def test_plot_explorer_refuses_bad_sliders(plot, sliders, error, match):
    with pytest.raises(error, match=match):
        PlotExplorer(plot, sliders, title="x")


def test_plot_explorer_passes_on_the_plots_own_error():
    def refuses(slope, *, ax):
        raise ValueError("slope must be positive")
    with pytest.raises(ValueError, match="slope must be positive"):
        PlotExplorer(refuses, {"slope": (-1.0, 1.0, 0.1, 0.0)}, title="x")
