"""Run All and the unit tests with the oldest and the newest supported versions.

    python tools/test_versions.py               # both environments (make test-versions)
    python tools/test_versions.py oldest        # one of them
    python tools/test_versions.py --resolve     # rewrite requirements-oldest.txt and -newest.txt

``pyproject.toml`` declares the supported range (``[project] dependencies``: a lower bound
for every package the notebooks and ``helpers`` import, each with its reason);
``requirements.txt`` pins the reference environment, whose outputs are stored in the
notebooks and compared by ``make test``. This script checks both ends of the range, each in
a virtual environment of its own, built from exact pins:

* ``.venv-oldest/`` from ``requirements-oldest.txt``: every declared dependency at its lower
  bound, the tools (Jupyter, pytest, ...) at the reference pins;
* ``.venv-newest/`` from ``requirements-newest.txt``: the newest release that pip installs
  here of every package in ``requirements.txt``.

An environment is built once and reused while its requirement file and ``pyproject.toml``
are unchanged (a stamp in it holds their hash), as ``.venv/`` is. In each, every lesson and
solution runs as JupyterLab's Run All runs it (``tools/run_all.py`` with that environment's
Python: every cell must run, and no cell may write to stderr, which is where a library's
warning would appear to the learner), then the unit tests run (pytest on ``tests/``, which
holds no stored outputs, without the tests marked ``pinned``). One line per environment
sums it up; the exit code is 1 if anything failed.

Both files pin every package, dependencies included, so that a CI run installs the same
versions each time; only PyTorch's CUDA libraries (``nvidia-*``, ``cuda-*``, ``triton``) are
left to the torch release, which pins them itself. After changing a lower bound in
``pyproject.toml``, or to move the newest environment to today's releases, rewrite both
files with ``--resolve`` (pip resolves them for this Python and platform).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from course import ROOT

sys.path.insert(0, str(ROOT))  # helpers.doctor parses the requirement files
from helpers.doctor import canonical, parse_requirement, pinned_versions  # noqa: E402

REFERENCE = ROOT / "requirements.txt"
PYPROJECT = ROOT / "pyproject.toml"
STAMP_NAME = ".installed-from-requirements"
SHOWN = ("torch", "numpy", "matplotlib")  # the versions the summary line names
CUDA_PARTS = re.compile(r"^(nvidia-|cuda-|triton$)")


@dataclass(frozen=True)
class Environment:
    """One end of the supported range: its name, requirement file and virtual environment."""

    name: str
    requirements: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def stamp(self) -> Path:
        return self.venv / STAMP_NAME


ENVIRONMENTS = {
    name: Environment(name, ROOT / f"requirements-{name}.txt", ROOT / f".venv-{name}")
    for name in ("oldest", "newest")
}


@dataclass(frozen=True)
class Outcome:
    """What one environment did: Run All and the unit tests, with the times."""

    name: str
    versions: str
    notebooks_run: int
    notebooks_total: int
    passed: int
    failed: int
    install_seconds: float | None  # None: the environment was reused
    run_seconds: float

    @property
    def ok(self) -> bool:
        return (self.notebooks_total > 0 and self.notebooks_run == self.notebooks_total
                and self.passed > 0 and self.failed == 0)

    def line(self) -> str:
        install = ("reused" if self.install_seconds is None
                   else f"installed in {self.install_seconds:.0f} s")
        return (f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.versions} | Run All "
                f"{self.notebooks_run}/{self.notebooks_total} notebooks | unit tests "
                f"{self.passed} passed, {self.failed} failed | {self.run_seconds:.0f} s "
                f"({install})")


def digest(paths: list[Path]) -> str:
    """A hash of the files' names and contents: the environment is rebuilt when it changes."""
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def needs_build(env: Environment, wanted: str) -> bool:
    """Whether ``env`` is missing or was built from other files than those hashed in ``wanted``."""
    if not env.python.exists() or not env.stamp.is_file():
        return True
    return env.stamp.read_text(encoding="utf-8").strip() != wanted


def build(env: Environment) -> float | None:
    """Create or update the environment if needed; the seconds it took, ``None`` if reused."""
    if not env.requirements.is_file():
        raise FileNotFoundError(f"{env.requirements.name} is missing: run this script with "
                                "--resolve to write it")
    wanted = digest([env.requirements, PYPROJECT])
    if not needs_build(env, wanted):
        return None
    start = time.perf_counter()
    print(f"[{env.name}] installing {env.requirements.name} into {env.venv.name}/ "
          "(PyTorch's CUDA build from PyPI: a few GB, minutes)", flush=True)
    if not env.python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(env.venv)], check=True)
    subprocess.run([str(env.python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-r", str(env.requirements)],
                   cwd=ROOT, check=True)
    env.stamp.write_text(wanted + "\n", encoding="utf-8")
    return time.perf_counter() - start


def stream(env: Environment, command: list[str], extra_env: dict[str, str]) -> list[str]:
    """Run ``command`` in the repository, echo its output prefixed with the environment."""
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **extra_env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        print(f"[{env.name}] {line}", end="", flush=True)
    process.wait()
    return lines


def parse_run_all(lines: list[str]) -> tuple[int, int]:
    """(notebooks that ran every cell, notebooks tried) from ``tools/run_all.py``'s output."""
    ran = sum(1 for line in lines if line.startswith("ran all  "))
    failed = sum(1 for line in lines if line.startswith(("STOPPED  ", "STDERR   ")))
    return ran, ran + failed


def parse_pytest(lines: list[str]) -> tuple[int, int]:
    """(passed, failed + errors) from pytest's last summary line; (0, 1) if there is none."""
    for line in reversed(lines):
        counts = dict((word, int(number)) for number, word in
                      re.findall(r"(\d+) (passed|failed|errors?|skipped|deselected)", line))
        if "passed" in counts or "failed" in counts or "error" in counts or "errors" in counts:
            errors = counts.get("error", 0) + counts.get("errors", 0)
            return counts.get("passed", 0), counts.get("failed", 0) + errors
    return 0, 1


def installed_versions(env: Environment) -> str:
    """``"torch 2.4.1, numpy 1.26.4, matplotlib 3.8.4, Python 3.11.7"`` in ``env``."""
    probe = ("import importlib.metadata as m, platform; print(', '.join("
             f"f'{{n}} {{m.version(n)}}' for n in {SHOWN!r}) + ', Python ' "
             "+ platform.python_version())")
    result = subprocess.run([str(env.python), "-c", probe], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip() or f"(versions unknown: {result.stderr.strip()[-200:]})"


def check(env: Environment) -> Outcome:
    """Build ``env`` if needed, run every notebook and the unit tests in it."""
    install_seconds = build(env)
    start = time.perf_counter()
    # Kernels and tests import this checkout's helpers, whatever else is installed (as make does).
    paths = {"PYTHONPATH": str(ROOT)}
    notebooks = stream(env, [str(env.python), "tools/run_all.py", "--no-stderr"], paths)
    threads = {**paths, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": ""}
    # --disable-warnings: no summary of the libraries' own deprecation warnings (hundreds with
    # old matplotlib and a new pyparsing); the filters of pyproject.toml still apply.
    tests = stream(env, [str(env.python), "-m", "pytest", "tests", "-m",
                         "not pinned or fresh_processes", "-q",
                         "-n", "auto", "--dist", "loadfile", "--disable-warnings"], threads)
    ran, tried = parse_run_all(notebooks)
    passed, failed = parse_pytest(tests)
    return Outcome(env.name, installed_versions(env), ran, tried, passed, failed,
                   install_seconds, time.perf_counter() - start)


# ---- --resolve: the two requirement files -------------------------------------------------

def lower_bounds(pyproject_text: str) -> dict[str, str]:
    """``{"torch": "2.4.1", ...}``: the ``>=`` bound of every declared dependency."""
    import tomllib

    bounds = {}
    for line in tomllib.loads(pyproject_text)["project"]["dependencies"]:
        name, specifier = parse_requirement(line)
        match = re.search(r">=([^,]+)", specifier)
        if match is None:
            raise ValueError(f"{line!r} in pyproject.toml has no lower bound (>=)")
        bounds[name] = match.group(1)
    return bounds


def oldest_inputs(reference: dict[str, str], bounds: dict[str, str]) -> list[str]:
    """The reference packages, each declared one at its lower bound, the rest at its pin."""
    missing = sorted(set(bounds) - set(reference))
    if missing:
        raise ValueError(f"declared in pyproject.toml but not pinned in requirements.txt: "
                         f"{', '.join(missing)}")
    return [f"{name}=={bounds.get(name, version)}" for name, version in reference.items()]


def resolve(inputs: list[str]) -> dict[str, str]:
    """What pip would install for ``inputs`` and this checkout (``-e .``): name -> version."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet",
                        "--ignore-installed", "--disable-pip-version-check", "--report",
                        str(report), *inputs, "-e", str(ROOT)], check=True)
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {canonical(item["metadata"]["name"]): item["metadata"]["version"]
            for item in installs}


def pin_file(title: str, reference: list[str], resolved: dict[str, str]) -> str:
    """The text of a requirement file: the reference packages first, then their dependencies."""
    ours = canonical("softmax-course-helpers")
    rest = sorted(n for n in resolved if n not in reference and n != ours
                  and not CUDA_PARTS.match(n))
    python = ".".join(map(str, sys.version_info[:2]))
    header = (f"{title} Exact pins, resolved by pip for Python {python} on {sys.platform}; "
              "`python tools/test_versions.py --resolve` rewrites this file. PyTorch's CUDA "
              "libraries (nvidia-*, cuda-*, triton) are left out: each torch release pins them.")
    lines = ["# " + line for line in textwrap.wrap(header, width=92)]
    lines += [f"{name}=={resolved[name]}" for name in reference]
    lines += ["# what those need"] + [f"{name}=={resolved[name]}" for name in rest]
    return "\n".join(lines + ["-e .", ""])


def write_requirement_files() -> None:
    """Resolve and write requirements-oldest.txt and requirements-newest.txt."""
    reference = pinned_versions(REFERENCE.read_text(encoding="utf-8"))
    bounds = lower_bounds(PYPROJECT.read_text(encoding="utf-8"))
    names = list(reference)
    oldest = resolve(oldest_inputs(reference, bounds))
    wrong = {n: oldest[n] for n in bounds if oldest.get(n) != bounds[n]}
    if wrong:
        raise RuntimeError(f"pip did not install the lower bounds: {wrong}")
    ENVIRONMENTS["oldest"].requirements.write_text(pin_file(
        "The oldest supported environment (make test-versions): every dependency of "
        "pyproject.toml at its lower bound, the tools at the pins of requirements.txt.",
        names, oldest), encoding="utf-8")
    newest = resolve(names)
    ENVIRONMENTS["newest"].requirements.write_text(pin_file(
        "The newest environment (make test-versions): the newest release pip installs of "
        "every package in requirements.txt.", names, newest), encoding="utf-8")
    for name in ENVIRONMENTS:
        print(f"wrote requirements-{name}.txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environments", nargs="*", metavar="ENVIRONMENT",
                        help=f"{' or '.join(ENVIRONMENTS)} (default: all of them)")
    parser.add_argument("--resolve", action="store_true",
                        help="rewrite requirements-oldest.txt and requirements-newest.txt")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.environments) - set(ENVIRONMENTS))
    if unknown:
        parser.error(f"unknown environment(s) {', '.join(unknown)}: choose from "
                     f"{', '.join(ENVIRONMENTS)}")
    if args.resolve:
        write_requirement_files()
        return 0
    outcomes = [check(ENVIRONMENTS[name]) for name in args.environments or ENVIRONMENTS]
    print()
    for outcome in outcomes:
        print(outcome.line())
    return 0 if all(outcome.ok for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
