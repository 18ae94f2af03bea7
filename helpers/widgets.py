"""Live controls (ipywidgets) for the notebooks, where a slider teaches better than a plot.

Each control keeps a static twin: the notebook also draws the same picture with
``helpers.plots``, so a reader without a running kernel (the HTML pages, the slides, a
viewer on the web) still sees it. A control's stored output is one fixed line of text plus
the widget itself, so nbval compares the same text on every machine. The line always reads
``"<title>: move the slider(s) (needs a running kernel; static plot(s) above)."``: the HTML
pages show it as it is, and the slides replace it by the caption "Live in JupyterLab: move
the slider(s)" (``tools/build_site.py``, ``LIVE_CONTROL_TEXT``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers.numerics import softmax
from helpers.plots import plot_decision_threshold, plot_probability_bars
from helpers.validation import as_float_array, check_labels

__all__ = ["PlotExplorer", "SoftmaxExplorer", "ThresholdExplorer"]


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes, for an image widget (no timestamp: same input, same bytes)."""
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


class _Explorer:
    """What every explorer shares: redraw on any slider move, and one fixed line of text.

    A subclass sets ``self.widget`` (the box to display), ``TEXT`` and ``redraw()``.
    """

    TEXT = ""
    widget: widgets.Widget

    def redraw(self) -> None:
        raise NotImplementedError

    def _on_change(self, _change: dict) -> None:
        self.redraw()

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.TEXT  # instead of a long repr holding PNG bytes
        return bundle


class SoftmaxExplorer(_Explorer):
    """Sliders for the temperature and for each logit, redrawing ``softmax(logits / T)``.

    Introduced in notebook 01. Moving a slider redraws the probability bars (drawn by
    ``helpers.plots.plot_probability_bars``) into an image below the sliders. Display the
    explorer by making it the last expression of a cell.

    Parameters
    ----------
    logits
        The starting logits, a 1-D array of 2 to 8 finite numbers.
    labels
        One name per class (default ``"0"``, ``"1"``, ...).
    temperature
        The starting temperature, in ``[min_temperature, max_temperature]``.
    logit_range
        The range of each logit slider; it must contain the starting logits.

    Raises
    ------
    ValueError
        If the logits are not 1-D and finite, there are fewer than 2 or more than 8, a
        starting value lies outside its slider's range, or the ranges are empty.
    """

    MAX_CLASSES = 8
    TEXT = "Softmax explorer: move the sliders (needs a running kernel; static plots above)."

    def __init__(
        self,
        logits: object,
        labels: Sequence[str] | None = None,
        *,
        temperature: float = 1.0,
        min_temperature: float = 0.05,
        max_temperature: float = 20.0,
        logit_range: tuple[float, float] = (-5.0, 5.0),
    ) -> None:
        scores = as_float_array(logits, "logits", ndim=1, min_size=2)
        if scores.size > self.MAX_CLASSES:
            raise ValueError(f"at most {self.MAX_CLASSES} classes fit, got {scores.size}")
        if not 0 < min_temperature < max_temperature:
            raise ValueError(
                f"need 0 < min_temperature < max_temperature, got {min_temperature}, "
                f"{max_temperature}"
            )
        if not min_temperature <= temperature <= max_temperature:
            raise ValueError(
                f"temperature={temperature} is outside [{min_temperature}, {max_temperature}]"
            )
        low, high = logit_range
        if not low < high:
            raise ValueError(f"logit_range must be (low, high) with low < high, got {logit_range}")
        if scores.min() < low or scores.max() > high:
            raise ValueError(f"logits {scores.tolist()} do not fit in logit_range {logit_range}")
        self.labels = check_labels(labels, scores.size)
        self.temperature_slider = widgets.FloatLogSlider(
            value=temperature,
            base=10,
            min=float(np.log10(min_temperature)),
            max=float(np.log10(max_temperature)),
            step=0.01,
            description="T",
            readout_format=".2f",
            continuous_update=True,
        )
        self.logit_sliders = [
            widgets.FloatSlider(
                value=float(score),
                min=low,
                max=high,
                step=0.1,
                description=f"logit {name}",
                readout_format=".1f",
            )
            for score, name in zip(scores, self.labels, strict=True)
        ]
        # A figure of its own, not pyplot's: the notebook's inline backend never shows it.
        self.figure = Figure(figsize=(5.0, 3.0), dpi=80)
        self.axes = self.figure.subplots()
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox(
            [widgets.VBox([self.temperature_slider, *self.logit_sliders]), self.image]
        )
        for slider in [self.temperature_slider, *self.logit_sliders]:
            slider.observe(self._on_change, names="value")
        self.redraw()

    @property
    def logits(self) -> np.ndarray:
        """The logits the sliders show now."""
        return np.array([slider.value for slider in self.logit_sliders], dtype=np.float64)

    @property
    def temperature(self) -> float:
        """The temperature the slider shows now."""
        return float(self.temperature_slider.value)

    def probabilities(self) -> np.ndarray:
        """``softmax(logits / T)`` for the sliders' current values."""
        return softmax(self.logits / self.temperature)

    def redraw(self) -> None:
        """Draw the current probabilities and put the picture in the image widget."""
        self.axes.clear()
        plot_probability_bars(
            self.probabilities(),
            self.labels,
            title=f"softmax(logits / T), T = {self.temperature:.2f}",
            ax=self.axes,
        )
        self.image.value = _png(self.figure)


class ThresholdExplorer(_Explorer):
    """A slider for the decision threshold of a binary classifier.

    Introduced in notebook 05. Moving the slider redraws
    ``helpers.plots.plot_decision_threshold``: the predicted probabilities of each true
    class, the threshold, and the accuracy and mistakes it gives. Display the explorer by
    making it the last expression of a cell.

    Raises
    ------
    ValueError
        As ``plot_decision_threshold`` does for bad ``probs``, ``targets``, ``threshold`` or
        ``class_names``.
    """

    TEXT = "Threshold explorer: move the slider (needs a running kernel; static plot above)."
    FIGSIZE = (5.5, 2.9)  # inches: 440 x 232 pixels at DPI
    DPI = 80

    def __init__(
        self,
        probs: object,
        targets: object,
        class_names: Sequence[str] = ("0", "1"),
        *,
        threshold: float = 0.5,
    ) -> None:
        # Small enough that slider and plot fit a 1280 x 720 screen together.
        self.figure = Figure(figsize=self.FIGSIZE, dpi=self.DPI)
        self.axes = self.figure.subplots()
        # Validates everything once, before any widget exists.
        plot_decision_threshold(probs, targets, threshold, class_names, ax=self.axes)
        self.probs = as_float_array(probs, "probs", ndim=1)
        self.targets = np.asarray(targets)
        self.class_names = list(class_names)
        # As wide as the plot, so a small move of the mouse is a small step.
        self.slider = widgets.FloatSlider(
            value=float(threshold), min=0.0, max=1.0, step=0.01,
            description="threshold", readout_format=".2f",
            layout=widgets.Layout(width=f"{int(self.FIGSIZE[0] * self.DPI)}px"),
        )
        self.image = widgets.Image(format="png", value=_png(self.figure))
        self.widget = widgets.VBox([self.slider, self.image])
        self.slider.observe(self._on_change, names="value")

    @property
    def threshold(self) -> float:
        """The threshold the slider shows now."""
        return float(self.slider.value)

    def redraw(self) -> None:
        """Draw the histograms for the current threshold into the image widget."""
        self.axes.clear()
        plot_decision_threshold(
            self.probs, self.targets, self.threshold, self.class_names, ax=self.axes
        )
        self.image.value = _png(self.figure)


class PlotExplorer(_Explorer):
    """Sliders for the numeric arguments of a plotting function: every move redraws it.

    Introduced in notebook 02; the live control of a lesson whose picture is drawn by a
    function of ``helpers.plots``. ``plot`` is called as ``plot(**fixed, **values, ax=axes)``
    with the sliders' current ``values``; the notebook draws the same function once with the
    starting values as the control's static twin. Display the explorer by making it the last
    expression of a cell.

    Parameters
    ----------
    plot
        A function of ``helpers.plots`` that draws into ``ax`` (keyword arguments).
    sliders
        ``{argument: (low, high, step, start)}``, one slider per argument, in this order.
    title
        What the control shows, for its one line of text.
    fixed
        Other keyword arguments passed unchanged on every redraw.

    Raises
    ------
    TypeError
        If ``plot`` is not callable or a slider's bounds are not numbers.
    ValueError
        If there is no slider, a slider has ``low >= high``, ``step <= 0`` or its start outside
        ``[low, high]``; and whatever ``plot`` raises for its starting arguments.
    """

    FIGSIZE = (5.5, 3.0)  # inches: 440 x 240 pixels at DPI, sliders and plot fit one screen
    DPI = 80

    def __init__(
        self,
        plot: Callable[..., object],
        sliders: Mapping[str, tuple[float, float, float, float]],
        *,
        title: str,
        fixed: Mapping[str, object] | None = None,
    ) -> None:
        if not callable(plot):
            raise TypeError(f"plot must be a plotting function, got {plot!r}")
        if not sliders:
            raise ValueError("give at least one slider: {argument: (low, high, step, start)}")
        for name, bounds in sliders.items():
            if (not isinstance(bounds, tuple) or len(bounds) != 4 or any(
                    isinstance(v, bool) or not isinstance(v, int | float) for v in bounds)):
                raise TypeError(f"slider {name!r}: give (low, high, step, start) as numbers, "
                                f"got {bounds!r}")
            low, high, step, start = bounds
            if not low < high or step <= 0 or not low <= start <= high:
                raise ValueError(f"slider {name!r}: need low < high, step > 0 and low <= start "
                                 f"<= high, got {bounds!r}")
        self.plot, self.fixed = plot, dict(fixed or {})
        self.TEXT = f"{title}: move the sliders (needs a running kernel; static plot above)."
        self.figure = Figure(figsize=self.FIGSIZE, dpi=self.DPI)
        self.axes = self.figure.subplots()
        width = widgets.Layout(width=f"{int(self.FIGSIZE[0] * self.DPI)}px")
        self.sliders = {
            name: widgets.FloatSlider(value=float(start), min=float(low), max=float(high),
                                      step=float(step), description=name, layout=width,
                                      readout_format=".2f")
            for name, (low, high, step, start) in sliders.items()
        }
        self.image = widgets.Image(format="png")
        self.redraw()  # validates the starting arguments before anything is shown
        self.widget = widgets.VBox([*self.sliders.values(), self.image])
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")

    @property
    def values(self) -> dict[str, float]:
        """The sliders' current values, by argument name."""
        return {name: float(slider.value) for name, slider in self.sliders.items()}

    def redraw(self) -> None:
        """Draw ``plot`` with the current values into the image widget."""
        self.axes.clear()
        self.plot(**self.fixed, **self.values, ax=self.axes)
        self.image.value = _png(self.figure)
