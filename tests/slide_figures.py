"""What the figure tests of several lessons check: a figure readable on a 1280 x 720 slide."""

from helpers.plots._base import SLIDE_FONT


def readable(ax) -> bool:
    """Ticks and legend at least as large as the code on a slide."""
    sizes = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    legend = ax.get_legend()
    if legend is not None:
        sizes += [t.get_fontsize() for t in legend.get_texts()]
    return min(sizes) >= SLIDE_FONT


def small_enough(fig) -> bool:
    """At most 7 x 3.2 inches: a figure and its heading share one screen."""
    width, height = fig.get_size_inches()
    return width <= 7.0 and height <= 3.2
