"""The supported range (pyproject.toml) and tools/test_versions.py, which tests both its ends."""

import sys
from pathlib import Path

import pytest

from helpers.doctor import pinned_versions, satisfies, supported_ranges

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import test_versions  # noqa: E402

PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
REFERENCE = pinned_versions((ROOT / "requirements.txt").read_text(encoding="utf-8"))
RANGES = supported_ranges(PYPROJECT)
BOUNDS = test_versions.lower_bounds(PYPROJECT)


def pins(name):
    return pinned_versions((ROOT / f"requirements-{name}.txt").read_text(encoding="utf-8"))


def test_every_dependency_has_a_lower_bound_and_a_reason():
    assert set(BOUNDS) == set(RANGES) - {"python"}
    lines = PYPROJECT.splitlines()
    for name in BOUNDS:
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(f'"{name}>='))
        assert "#" in lines[index] or lines[index - 1].strip().startswith("#"), (
            f"give the lower bound of {name} its reason in a comment")


def test_the_oldest_environment_pins_every_lower_bound_and_the_reference_tools():
    oldest = pins("oldest")
    for name, version in REFERENCE.items():
        assert oldest[name] == BOUNDS.get(name, version), name


def test_the_newest_environment_is_supported_and_not_older_than_the_reference():
    newest = pins("newest")
    for name, version in REFERENCE.items():
        assert satisfies(newest[name], RANGES.get(name, "")), name
        assert satisfies(newest[name], f">={version}"), f"{name}: {newest[name]} < {version}"


@pytest.mark.parametrize("name", ["oldest", "newest"])
def test_requirement_files_install_this_checkout_and_leave_cuda_to_torch(name):
    text = (ROOT / f"requirements-{name}.txt").read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1] == "-e ."
    assert not [n for n in pinned_versions(text) if test_versions.CUDA_PARTS.match(n)]


def test_lower_bounds_need_a_lower_bound():
    with pytest.raises(ValueError, match="has no lower bound"):
        test_versions.lower_bounds('[project]\ndependencies = ["torch<3"]\n')
    assert test_versions.lower_bounds('[project]\ndependencies = ["a>=1,<2"]\n') == {"a": "1"}


def test_oldest_inputs_replace_the_declared_pins_by_their_bounds():
    assert test_versions.oldest_inputs({"torch": "2.13.0", "pytest": "9.2.0"},
                                       {"torch": "2.4.1"}) == ["torch==2.4.1", "pytest==9.2.0"]
    with pytest.raises(ValueError, match="not pinned in requirements.txt: tqdm"):
        test_versions.oldest_inputs({"torch": "2.13.0"}, {"tqdm": "4.41.0"})


def test_pin_file_lists_the_reference_packages_then_their_dependencies():
    text = test_versions.pin_file("The title.", ["torch"], {
        "torch": "2.4.1", "sympy": "1.14.0", "nvidia-cublas-cu12": "12.1.3.1", "triton": "3.0.0",
        "softmax-course-helpers": "0.1.0"})
    lines = text.splitlines()
    assert lines[0].startswith("# The title. Exact pins, resolved by pip for Python")
    assert [line for line in lines if not line.startswith("#")] == [
        "torch==2.4.1", "sympy==1.14.0", "-e ."]


def test_an_environment_is_rebuilt_only_when_its_files_change(tmp_path):
    requirements = tmp_path / "requirements-x.txt"
    requirements.write_text("torch==2.4.1\n")
    env = test_versions.Environment("x", requirements, tmp_path / ".venv-x")
    wanted = test_versions.digest([requirements])
    assert test_versions.needs_build(env, wanted)  # nothing there yet
    env.python.parent.mkdir(parents=True)
    env.python.write_text("")
    env.stamp.write_text(wanted + "\n")
    assert not test_versions.needs_build(env, wanted)
    requirements.write_text("torch==2.4.0\n")
    assert test_versions.needs_build(env, test_versions.digest([requirements]))


def test_the_summary_reads_run_all_and_pytest():
    run_all = ["ran all  notebooks/01_softmax.ipynb: 21 code cells in 9.2 s",
               "STOPPED  notebooks/02_cross_entropy.ipynb: ValueError: x",
               "STDERR   notebooks/03_x.ipynb: cell 2: UserWarning: y",
               "ran all  notebooks/04_x.ipynb: 3 code cells in 1.0 s"]
    assert test_versions.parse_run_all(run_all) == (2, 4)
    assert test_versions.parse_pytest(["....", "812 passed, 3 deselected in 40.1s"]) == (812, 0)
    assert test_versions.parse_pytest(["= 2 failed, 810 passed, 1 error in 40s ="]) == (810, 3)
    assert test_versions.parse_pytest(["ERROR: usage"]) == (0, 1)  # no summary: a failure


def test_the_line_per_environment_names_versions_results_and_time():
    outcome = test_versions.Outcome("oldest", "torch 2.4.1, numpy 1.26.4", 18, 18, 812, 0,
                                    None, 321.4)
    assert outcome.ok
    assert outcome.line() == ("ok   oldest: torch 2.4.1, numpy 1.26.4 | Run All 18/18 notebooks"
                              " | unit tests 812 passed, 0 failed | 321 s (reused)")
    assert not test_versions.Outcome("newest", "", 17, 18, 812, 0, 150.0, 1.0).ok
    assert not test_versions.Outcome("newest", "", 18, 18, 811, 1, 150.0, 1.0).ok
    assert test_versions.Outcome("newest", "", 18, 18, 812, 0, 150.0, 1.0).line().endswith(
        "(installed in 150 s)")


def test_an_unknown_environment_is_refused(capsys):
    with pytest.raises(SystemExit):
        test_versions.main(["middle"])
    assert "unknown environment(s) middle: choose from oldest, newest" in capsys.readouterr().err


def test_the_readme_table_shows_the_declared_range_and_both_pin_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    newest = pins("newest")
    for name, bound in BOUNDS.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| {name} |")),
                   None)
        assert row, f"add {name} to the README's table of supported versions"
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1] == f"≥ {bound}", (name, cells[1])
        assert cells[2].split()[0] == REFERENCE[name], (name, cells[2])
        assert cells[3] == newest[name], (name, cells[3])


def test_tests_marked_pinned_from_conftest_exist():
    from conftest import PINNED_ELSEWHERE

    for node_id, reason in PINNED_ELSEWHERE.items():
        file, name = node_id.split("::")
        assert f"def {name}(" in (ROOT / file).read_text(encoding="utf-8"), node_id
        assert reason
