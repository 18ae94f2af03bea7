"""The checker machinery and its rule tools (wrong answers: test_wrong_answers.py)."""

import numpy as np
import pytest
import torch

from helpers.checks import Case, Report, run_cases
from helpers.checks.core import (
    RuleBroken,
    TorchWatch,
    compare_arrays,
    explain,
    forbidden_names,
    guarded,
    python_loops,
)

# ---- the shared machinery -------------------------------------------------------------

def double(x):
    return 2 * x


CASES = [Case("x=1", (1.0,), 2.0), Case("x=2", (2.0,), 4.0), Case("x=3", (3.0,), 6.0)]


def test_all_pass():
    report = run_cases("Doubling", double, CASES, hint="h")
    assert report.ok and report.passed == 3
    assert str(report) == "PASSED: Doubling: all 3 cases passed."
    assert repr(report) == str(report)


def test_first_failure_is_reported_with_expected_got_and_hint():
    report = run_cases("Doubling", lambda x: 2 * x if x < 2 else x, CASES, hint="multiply by 2")
    assert not report.ok and (report.passed, report.total) == (1, 3)
    text = str(report)
    assert text.startswith("FAILED: Doubling: 1 of 3 cases passed.")
    assert "First failing case: x=2" in text
    assert "expected: 4.0" in text and "got:      2.0" in text
    assert "Hint: multiply by 2" in text


def test_skeleton_is_not_done():
    def skeleton(x):
        raise NotImplementedError

    report = run_cases("Doubling", skeleton, CASES, hint="h")
    assert report.status == "not done" and not report.ok
    assert str(report).startswith("NOT DONE: Doubling: not done yet.")


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




def test_verdicts_are_plain_text():
    reports = [run_cases("E", double, CASES, hint="h"),
               run_cases("E", lambda x: x, CASES, hint="h"),
               run_cases("E", lambda x: (_ for _ in ()).throw(NotImplementedError()), CASES,
                         hint="h")]
    assert [r.status for r in reports] == ["passed", "failed", "not done"]
    assert all(str(r).isascii() for r in reports)


# ---- known mistakes, comparable values, rules -----------------------------------------

def test_a_known_mistake_is_named_and_several_are_all_named():
    case = Case("x=2", (2.0,), 4.0, mistakes=((2.0, "you forgot to double"),
                                              (2.0, "you returned x"), (8.0, "twice")))
    report = run_cases("Doubling", lambda x: x, [case], hint="h")
    assert "Problem:  you forgot to double; or you returned x" in str(report)
    assert explain(5.0, case, "values differ") == "values differ"
    assert explain(np.inf, case, "values differ").startswith("values differ: your answer has nan")


def test_shown_replaces_the_raw_answer_by_a_comparable_value():
    report = run_cases("Doubling", lambda x: -x, CASES[:1], hint="h",
                       shown=lambda got, case: ("twice yours", 2 * got))
    assert "twice yours: -2.0" in str(report) and "got:" not in str(report)


def test_a_static_rule_fails_an_answer_whose_values_are_right():
    report = run_cases("Doubling", double, CASES, hint="h",
                       static_rules=[lambda f: "no doubling allowed"])
    assert report.status == "failed" and report.passed == 3
    assert "Every case gives the right values, but:" in str(report)
    assert "Problem:  no doubling allowed" in str(report)
    assert run_cases("Doubling", double, CASES, hint="h", static_rules=[lambda f: ""]).ok


def test_a_broken_rule_is_the_problem_of_the_case():
    def rule_breaker(x):
        raise RuleBroken("rule 1 broken")

    assert "Problem:  rule 1 broken" in str(run_cases("E", rule_breaker, CASES, hint="h"))


def loop_free(x):
    return np.exp(x - x.max(axis=1, keepdims=True))


def with_for(x):
    return np.array([row for row in x])


def with_while(x):
    while x.any():
        x = x[1:]
    return x


def with_map(x):
    return list(map(np.max, x))


@pytest.mark.parametrize(("function", "found"), [
    (loop_free, ""), (with_for, "`for`"), (with_while, "`while`"), (with_map, "map()"),
    (lambda x: np.apply_along_axis(np.max, 1, x), "np.apply_along_axis"),
    (lambda x: np.vectorize(float)(x), "np.vectorize"),
])
def test_python_loops_reads_the_bytecode(function, found):
    assert (found in python_loops(function)) if found else python_loops(function) == ""


def test_python_loops_works_without_a_source_file():
    namespace = {}
    exec(compile("def f(x):\n    return [v for v in x]\n", "<notebook cell>", "exec"),
         namespace)
    assert "`for`" in python_loops(namespace["f"])
    assert python_loops(len) == ""  # a builtin has no bytecode


def test_forbidden_names():
    def uses_helper(x):
        return cross_entropy_from_scratch(x)  # noqa: F821 - never called

    assert forbidden_names(uses_helper, ["cross_entropy_from_scratch"]) == (
        "cross_entropy_from_scratch")
    assert forbidden_names(double, ["cross_entropy_from_scratch"]) == ""


def test_torch_watch_records_calls_and_autograd():
    with TorchWatch() as watch:
        x = torch.ones(3)
        torch.exp(x)
    assert "torch.ones" in watch.calls and "torch.exp" in watch.calls and not watch.autograd
    with TorchWatch() as watch:
        x = torch.ones(3, requires_grad=True)
        (x * 2).sum().backward()
    assert watch.autograd
    with TorchWatch() as watch, torch.no_grad():
        torch.ones(3, requires_grad=True) * 2
    # the factory itself made a tensor that requires grad
    assert watch.autograd == watch.grad_maker == "torch.ones(..., requires_grad=True)"


def test_torch_watch_blames_the_call_that_computed_the_gradient():
    with TorchWatch() as watch:
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward()
    assert watch.grad_maker == "torch.tensor(..., requires_grad=True)"
    assert watch.autograd == "Tensor.backward"
    with TorchWatch() as watch:
        x = torch.tensor([1.0, 2.0]).requires_grad_()
        torch.autograd.grad((x * 2).sum(), x)
    assert watch.autograd == "torch.autograd.grad"
    with TorchWatch() as watch:
        x = torch.tensor([1.0, 2.0])
        x.requires_grad = True
        x * 2
    assert watch.autograd == "Tensor.requires_grad = True"


def test_torch_watch_follows_the_slices_of_a_watched_tensor():
    logits = torch.zeros(2, 10)
    with TorchWatch() as watch:
        watch.watch(logits, axis=1)
        logits.shape, logits.dtype, torch.empty_like(logits)
        assert watch.widest(logits) == 0 and watch.whole(logits) == ""
        logits[:, 0:3].sum()
        logits[:, 3:6]
        logits[:, 9]
        logits.split(4, dim=1)
        logits[torch.arange(2), torch.tensor([1, 2])]
    assert watch.widest(logits) == 4 and watch.whole(logits) == ""
    assert watch.max_reads(logits) == 2  # split read every column again
    with TorchWatch() as watch:
        watch.watch(logits, axis=1)
        torch.logsumexp(logits, dim=1)
    assert watch.whole(logits) == "torch.logsumexp" and watch.widest(logits) == 10
    with TorchWatch() as watch:
        watch.watch(logits, axis=1)
        logits.unbind(1)
    assert watch.widest(logits) == 1  # columns
    with TorchWatch() as watch:
        watch.watch(logits, axis=1)
        for row in logits:
            row.sum()
    assert watch.widest(logits) == 10  # whole rows


def test_guarded_enforces_each_rule():
    z = np.zeros((2, 3))
    with pytest.raises(RuleBroken, match="NumPy only, but your function called PyTorch"):
        guarded(lambda a: torch.as_tensor(a).exp().numpy(), numpy_only=True)(z)
    with pytest.raises(RuleBroken, match="not a torch.Tensor"):
        guarded(torch.from_numpy, numpy_only=True)(z)
    assert guarded(np.exp, numpy_only=True)(z).shape == (2, 3)

    def by_autograd(a):
        t = torch.tensor(a, requires_grad=True)
        t.sum().backward()
        return t.grad

    with pytest.raises(RuleBroken, match="no autograd"):
        guarded(by_autograd, no_autograd=True)(z)
    with pytest.raises(RuleBroken, match="recorded gradients"):
        guarded(lambda a: (torch.tensor(a, requires_grad=True) * 2).detach(), no_grad=True)(z)
    with pytest.raises(RuleBroken, match="not to call .*binary_cross_entropy"):
        guarded(torch.nn.functional.binary_cross_entropy, forbidden=["binary_cross_entropy"])(
            torch.full((2,), 0.5), torch.ones(2))
    logits = torch.zeros(2, 10)
    chunked = guarded(lambda t, c: [t[:, s:s + c].sum() for s in range(0, 10, c)],
                      chunked=(0, 1, 1), one_pass=True)
    assert len(chunked(logits, 4)) == 3
    with pytest.raises(RuleBroken, match="all 10 columns at once .torch.logsumexp"):
        guarded(lambda t, c: torch.logsumexp(t, 1), chunked=(0, 1, 1))(logits, 4)
    with pytest.raises(RuleBroken, match="a slice of 5 columns, wider than chunk_size=4"):
        guarded(lambda t, c: t[:, :5].sum(), chunked=(0, 1, 1))(logits, 4)
    with pytest.raises(RuleBroken, match="more than once"):
        guarded(lambda t, c: (t[:, :4].sum(), t[:, :4].max()), chunked=(0, 1, 1),
                one_pass=True)(logits, 4)
    assert guarded(lambda t, c: torch.logsumexp(t, 1), chunked=(0, 1, 1))(logits, 64).shape == (
        2,)  # a chunk wider than the tensor allows reading it whole
    with pytest.raises(TypeError, match="pass your function itself"):
        guarded("softmax")


def test_torch_watch_records_the_largest_new_tensor_not_views():
    from helpers.checks.core import TorchWatch

    source = torch.zeros(2, 3)
    with TorchWatch() as watch:
        wide = torch.ones(4, 5) + 1  # a new tensor of 20 numbers
        _ = wide[:, :2]  # a view: not new memory
        _ = source @ torch.ones(3, 2)
    assert watch.largest == (20, (4, 5))
