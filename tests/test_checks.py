"""The checker machinery, and notebook 01's wrong answers (see also test_exercises.py)."""

import numpy as np
import pytest

from helpers.checks import Case, Report, nb01, run_cases
from helpers.checks.core import compare_arrays

# ---- the shared machinery -------------------------------------------------------------

def double(x):
    return 2 * x


CASES = [Case("x=1", (1.0,), 2.0), Case("x=2", (2.0,), 4.0), Case("x=3", (3.0,), 6.0)]


def test_all_pass():
    report = run_cases("Doubling", double, CASES, hint="h")
    assert report.ok and report.passed == 3
    assert str(report) == "✅ Doubling: all 3 cases passed."
    assert repr(report) == str(report)


def test_first_failure_is_reported_with_expected_got_and_hint():
    report = run_cases("Doubling", lambda x: 2 * x if x < 2 else x, CASES, hint="multiply by 2")
    assert not report.ok and (report.passed, report.total) == (1, 3)
    text = str(report)
    assert text.startswith("❌ Doubling: 1 of 3 cases passed.")
    assert "First failing case: x=2" in text
    assert "expected: 4.0" in text and "got:      2.0" in text
    assert "Hint: multiply by 2" in text


def test_skeleton_is_not_done():
    def skeleton(x):
        raise NotImplementedError

    report = run_cases("Doubling", skeleton, CASES, hint="h")
    assert report.status == "not done" and not report.ok
    assert str(report).startswith("⏳ Doubling: not done yet.")


def test_a_crash_is_a_verdict_not_a_traceback():
    report = run_cases("Doubling", lambda x: 1 / 0, CASES, hint="h")
    assert report.status == "failed" and report.passed == 0
    assert "raised ZeroDivisionError: division by zero" in str(report)
    assert "Traceback" not in str(report)


def test_returning_none_is_explained():
    report = run_cases("Doubling", lambda x: None, CASES, hint="h")
    assert "returned None" in str(report)


def test_pretty_printing_in_ipython():
    class Printer:
        def text(self, value):
            self.value = value

    printer = Printer()
    report = Report("E", "passed", 1, 1)
    report._repr_pretty_(printer, cycle=False)
    assert printer.value == str(report)


def test_run_cases_rejects_misuse():
    with pytest.raises(TypeError, match="pass your function itself"):
        run_cases("E", 3, CASES, hint="h")
    with pytest.raises(ValueError, match="at least one case"):
        run_cases("E", double, [], hint="h")


def test_compare_arrays():
    assert compare_arrays([1.0, 2.0], np.array([1.0, 2.0])) == ""
    assert "shape" in compare_arrays([1.0], np.array([1.0, 2.0]))
    assert compare_arrays([1.0, 3.0], np.array([1.0, 2.0])) == "values differ"
    assert "expected numbers" in compare_arrays("abc", np.array([1.0]))


# ---- notebook 01 ----------------------------------------------------------------------

def naive_softmax(logits, *_):
    exps = np.exp(logits)
    return exps / exps.sum()


@pytest.mark.parametrize(
    ("check", "wrong_answer", "expected_in_text"),
    [
        (nb01.check_softmax_with_temperature, lambda z, t: naive_softmax(z / t), "nan"),
        (nb01.check_softmax_with_temperature, lambda z, t: naive_softmax(z * t), "Hint"),
        (nb01.check_batch_softmax, lambda z: np.exp(z) / np.exp(z).sum(0), "values differ"),
        (nb01.check_batch_softmax, lambda z: np.exp(z) / np.exp(z).sum(), "values differ"),
        (nb01.check_logits_from_probs, lambda p: p, "does not give back probs"),
        (nb01.check_logits_from_probs, lambda p: np.log(p[:-1]), "shape"),
        (nb01.check_masked_softmax, lambda z, m: naive_softmax(np.where(m, z, -np.inf)), "❌"),
    ],
)
def test_nb01_wrong_answers_fail(check, wrong_answer, expected_in_text):
    with np.errstate(all="ignore"):
        report = check(wrong_answer)
    assert report.status == "failed"
    assert expected_in_text in str(report)
