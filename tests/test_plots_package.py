"""helpers.plots is a package split by topic; every public name is importable from it."""

import importlib

import pytest

import helpers.plots as plots

TOPICS = (
    "softmax", "losses", "classifiers", "training", "calibration", "scale", "language_models",
    "soft_targets", "attention", "distributed",
)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_public_name_of_a_topic_is_exported_by_the_package(topic):
    module = importlib.import_module(f"helpers.plots.{topic}")
    assert module.__all__, f"helpers.plots.{topic} exports nothing"
    for name in module.__all__:
        assert getattr(plots, name) is getattr(module, name)
        assert name in plots.__all__


def test_the_package_exports_nothing_that_no_topic_defines():
    defined = {
        name
        for topic in TOPICS
        for name in importlib.import_module(f"helpers.plots.{topic}").__all__
    }
    assert set(plots.__all__) == defined
    assert len(plots.__all__) == len(defined)  # no name listed twice
