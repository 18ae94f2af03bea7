"""helpers.doctor: the environment check, ``python -m helpers.doctor``."""

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import doctor

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2.13.0+cpu", (2, 13, 0)), ("v1.8.0", (1, 8, 0)), ("2.5.0rc1", (2, 5, 0)),
     ("3.9.1.post1", (3, 9, 1)), (" 4 ", (4,))],
)
def test_parse_version_keeps_the_release_numbers(text, expected):
    assert doctor.parse_version(text) == expected


@pytest.mark.parametrize(
    ("version", "specifier", "expected"),
    [
        ("2.4.1", ">=2.4.1", True),
        ("2.4.0", ">=2.4.1", False),
        ("2.4", ">=2.4.0", True),  # missing parts count as zeros
        ("2.13.0+cpu", "==2.13.0", True),  # a local label does not matter
        ("1.26.4", ">=1.26.4,<2", True),
        ("2.0.0", ">=1.26.4, <2", False),
        ("3.10.12", ">=3.11", False),
        ("3.11.7", ">3.11", True),
        ("0.25.0", "!=0.25.0", False),
        ("5", "", True),
    ],
)
def test_satisfies_checks_every_clause(version, specifier, expected):
    assert doctor.satisfies(version, specifier) is expected


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: doctor.parse_version("abc"), ValueError, "not a version number"),
        (lambda: doctor.parse_version(2.4), TypeError, "version must be a string"),
        (lambda: doctor.satisfies("2.0", "~=2.0"), ValueError, "unsupported version specifier"),
        (lambda: doctor.satisfies("2.0", None), TypeError, "specifier must be a string"),
        (lambda: doctor.parse_requirement('torch>=2; sys_platform == "linux"'), ValueError,
         "markers are not supported"),
        (lambda: doctor.parse_requirement(">=2"), ValueError, "not a requirement"),
        (lambda: doctor.pinned_versions("numpy==2.4.6\ntorch>=2.4\n"), ValueError,
         "line 2 is not an exact pin"),
        (lambda: doctor.supported_ranges("[project]\nname = 'x'\n"), ValueError,
         "no \\[project\\] requires-python and dependencies"),
        (lambda: doctor.find_checkout(str(ROOT)), TypeError, "must be a pathlib.Path"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_requirements_are_read_as_pip_reads_them():
    assert doctor.parse_requirement("pooch[progress] >= 1.8") == ("pooch", ">=1.8")
    assert doctor.parse_requirement("Pytest_Xdist==3.8.0") == ("pytest-xdist", "==3.8.0")
    text = "# a comment\n\ntorch==2.13.0   # why\n--index-url https://example.org\n-e .\n"
    assert doctor.pinned_versions(text) == {"torch": "2.13.0"}


def test_the_reference_pins_lie_in_the_supported_range():
    """requirements.txt installs together with `-e .` only if its pins satisfy pyproject.toml."""
    ranges = doctor.supported_ranges((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = doctor.pinned_versions((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    assert {"python", "torch", "numpy", "matplotlib", "ipywidgets", "mlxtend"} <= set(ranges)
    for name, specifier in ranges.items():
        if name != "python":
            assert name in pins, f"{name} is declared in pyproject.toml but not pinned"
            assert doctor.satisfies(pins[name], specifier), f"{name}=={pins[name]} {specifier}"


def _missing(name):
    raise importlib.metadata.PackageNotFoundError(name)


def _broken(name):
    raise RuntimeError("Numpy is not available\nmore detail")


def test_each_package_problem_names_what_to_do():
    missing = doctor.check_package("torch", ">=2.4.1", "2.13.0", version_of=_missing)
    assert (missing.installed, missing.verdict()) == (None, "MISSING")
    assert "torch is not installed: run `pip install -r requirements.txt`" in missing.problem()

    broken = doctor.check_package("torch", ">=2.4.1", version_of=lambda n: "2.4.1",
                                  importer=_broken)
    assert broken.verdict() == "BROKEN"
    assert "does not import (RuntimeError: Numpy is not available)" in broken.problem()

    old = doctor.check_package("torch", ">=2.4.1", version_of=lambda n: "2.3.1",
                               importer=lambda n: None)
    assert old.verdict() == "UNSUPPORTED"
    assert "torch 2.3.1 is outside the supported range >=2.4.1" in old.problem()

    new = doctor.check_package("torch", ">=2.4.1", "2.13.0", "2.14.1",
                               version_of=lambda n: "2.15.0", importer=lambda n: None)
    assert (new.verdict(), new.problem()) == ("ok, newer than tested", None)
    pinned = doctor.check_package("torch", ">=2.4.1", "2.13.0",
                                  version_of=lambda n: "2.13.0+cpu", importer=lambda n: None)
    assert (pinned.verdict(), pinned.is_pinned) == ("ok, pinned", True)
    python = doctor.PackageStatus("python", "3.10.12", ">=3.11")
    assert "Python 3.10.12 is not supported (>=3.11)" in python.problem()


def test_the_checkout_is_found_from_any_folder_inside_it(tmp_path):
    assert doctor.find_checkout(ROOT / "notebooks" / "solutions") == ROOT
    assert doctor.find_checkout(tmp_path) is None


def test_a_notebook_imports_helpers_from_its_folder_first(tmp_path):
    assert doctor.notebook_helpers_origin(sys.executable, ROOT / "notebooks") == ROOT / "helpers"
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    assert doctor.notebook_helpers_origin(sys.executable, tmp_path) == tmp_path / "helpers"


def test_this_environment_is_supported_and_the_report_says_what_runs(capsys, monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    for name in doctor.supported_ranges((ROOT / "pyproject.toml").read_text()):
        assert f"\n  {'Python' if name == 'python' else name} " in out
    assert "CPU capability:" in out and "threads:" in out and "PyTorch device:" in out
    assert f"in a notebook:   {ROOT / 'helpers'} (this checkout)" in out
    assert "problem" not in out


@pytest.mark.pinned
def test_the_reference_environment_is_recognised(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert doctor.main([]) == 0
    assert "at the reference pins of requirements.txt" in capsys.readouterr().out


def test_helpers_imported_from_another_copy_is_a_problem(tmp_path, capsys):
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "notebooks").mkdir()
    assert doctor.main(["--checkout", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"a notebook imports helpers from {ROOT / 'helpers'}, not from this checkout" in out
    assert "run `pip install -e .` here" in out


def test_missing_packages_are_named_in_one_line(capsys, monkeypatch):
    original = doctor.check_package

    def without_torch_and_numpy(name, *args, **kwargs):
        if name in ("torch", "numpy"):
            kwargs["version_of"] = _missing
        return original(name, *args, **kwargs)

    monkeypatch.setattr(doctor, "check_package", without_torch_and_numpy)
    monkeypatch.chdir(ROOT)
    assert doctor.main([]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "1 problem(s): - not installed: torch, numpy: run `pip install -r" in out


def test_missing_torch_and_numpy_are_reported_not_raised():
    """Importing them fails (as in an environment without them): a report, exit code 1."""
    code = ("import runpy, sys; sys.modules['torch'] = sys.modules['numpy'] = None; "
            "runpy.run_module('helpers.doctor', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert "PyTorch cannot be imported (ModuleNotFoundError)" in out
    for name in ("torch", "numpy", "matplotlib"):  # matplotlib needs numpy
        assert re.search(rf"- {name} \S+ is installed but does not import", out), name
