"""Shared test settings: a non-interactive matplotlib backend for unit tests.

(Notebooks run in their own kernels under nbval and keep the inline backend.)
"""

import matplotlib
import matplotlib.pyplot as plt
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
