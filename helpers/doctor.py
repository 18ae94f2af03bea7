"""Check the Python environment that runs the notebooks: ``python -m helpers.doctor``.

Run it from the repository root with the Python of the notebooks' kernel (the terminal of
JupyterLab or VS Code with that interpreter selected, or ``%run -m helpers.doctor`` in a
notebook). It prints:

* Python and every package the course imports, each installed version next to the supported
  range (``requires-python`` and ``[project] dependencies`` in ``pyproject.toml``), the
  reference pin (``requirements.txt``) and the newest version tested
  (``requirements-newest.txt``): read from those files, never typed here;
* what PyTorch computes on: the CPU capability its kernels use, the device (CPU, CUDA with
  its name, Apple's MPS) and the number of threads;
* where a notebook imports ``helpers`` from (a kernel started in ``notebooks/``, with this
  Python and these environment variables), and whether that is this checkout;

then one line per problem saying what to do. The exit code is 0 when everything is supported,
1 otherwise. A missing or broken package (PyTorch or NumPy included) is reported, never a
traceback: this module imports only the standard library until it looks at each package.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import operator
import os
import platform
import re
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PackageStatus",
    "check_package",
    "find_checkout",
    "main",
    "notebook_helpers_origin",
    "parse_requirement",
    "parse_version",
    "pinned_versions",
    "satisfies",
    "supported_ranges",
]

DISTRIBUTION = "softmax-course-helpers"  # the name of this package in pyproject.toml
REFERENCE_PINS = "requirements.txt"  # the environment the stored outputs come from
NEWEST_PINS = "requirements-newest.txt"  # the newest versions make test-versions runs
INSTALL_HINT = (
    "run `pip install -r requirements.txt` (the reference versions) or `pip install -e .` "
    "(any supported versions) from the repository root with this Python, then restart the kernel"
)
_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)")
_CLAUSE = re.compile(r"(>=|<=|==|!=|>|<)\s*(\S+)")
_REQUIREMENT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)")
_OPERATORS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}


def _require_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def parse_version(text: str) -> tuple[int, ...]:
    """The release numbers of a version: ``"2.13.0+cpu"`` -> ``(2, 13, 0)``.

    A local label (``+cpu``), a leading ``v`` (pooch's ``v1.8.0``) and pre- or post-release
    suffixes are ignored: ``"2.5.0rc1"`` counts as ``(2, 5, 0)``.
    """
    match = _VERSION.match(_require_str(text, "version").strip())
    if match is None:
        raise ValueError(f"not a version number: {text!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets every clause of ``specifier`` (``">=2.4.1"``, ``">=1,<3"``).

    An empty specifier accepts any version. Supported operators: ``>= <= > < == !=``.
    """
    installed = parse_version(version)
    for clause in _require_str(specifier, "specifier").split(","):
        if not clause.strip():
            continue
        match = _CLAUSE.fullmatch(clause.strip())
        if match is None:
            raise ValueError(f"unsupported version specifier {clause.strip()!r} in {specifier!r}")
        mine, bound = _padded(installed, parse_version(match.group(2)))
        if not _OPERATORS[match.group(1)](mine, bound):
            return False
    return True


def canonical(name: str) -> str:
    """A distribution name as pip compares it: ``Pytest_Xdist`` -> ``pytest-xdist``."""
    return re.sub(r"[-_.]+", "-", _require_str(name, "name")).lower()


def parse_requirement(text: str) -> tuple[str, str]:
    """``"torch>=2.4.1"`` -> ``("torch", ">=2.4.1")``; extras are dropped, markers refused."""
    text = _require_str(text, "requirement").strip()
    if ";" in text:
        raise ValueError(f"environment markers are not supported here: {text!r}")
    match = _REQUIREMENT.fullmatch(text)
    if match is None:
        raise ValueError(f"not a requirement: {text!r}")
    return canonical(match.group(1)), match.group(3).replace(" ", "")


def supported_ranges(pyproject_text: str) -> dict[str, str]:
    """``{"python": ">=3.11", "torch": ">=2.4.1", ...}`` from a ``pyproject.toml`` text."""
    project = tomllib.loads(_require_str(pyproject_text, "pyproject_text")).get("project", {})
    if "requires-python" not in project or not project.get("dependencies"):
        raise ValueError("pyproject.toml has no [project] requires-python and dependencies")
    ranges = {"python": project["requires-python"].replace(" ", "")}
    ranges.update(parse_requirement(line) for line in project["dependencies"])
    return ranges


def _ranges_from_metadata() -> dict[str, str] | None:
    """The same ranges from the installed package's metadata (an install without a checkout)."""
    try:
        metadata = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    ranges = {"python": (metadata["Requires-Python"] or "").replace(" ", "")}
    for line in importlib.metadata.requires(DISTRIBUTION) or []:
        if ";" not in line:  # optional extras carry a marker
            name, specifier = parse_requirement(line)
            ranges[name] = specifier
    return ranges


def pinned_versions(requirements_text: str) -> dict[str, str]:
    """``{"torch": "2.13.0", ...}`` from a requirements file of exact pins (``name==version``).

    Comments, blank lines and options (``-e .``, ``--index-url ...``) are skipped.
    """
    pins = {}
    for number, raw in enumerate(_require_str(requirements_text, "requirements_text")
                                 .splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, specifier = parse_requirement(line)
        if not specifier.startswith("==") or "," in specifier:
            raise ValueError(f"line {number} is not an exact pin (name==version): {raw.strip()!r}")
        pins[name] = specifier[2:]
    return pins


def find_checkout(start: Path) -> Path | None:
    """The course checkout holding ``start``: a folder with pyproject.toml, helpers/, notebooks/."""
    if not isinstance(start, Path):
        raise TypeError(f"start must be a pathlib.Path, got {type(start).__name__}")
    for folder in (start.resolve(), *start.resolve().parents):
        if all((folder / part).exists() for part in ("pyproject.toml", "helpers/__init__.py",
                                                     "notebooks")):
            return folder
    return None


def notebook_helpers_origin(python: str, folder: Path) -> Path | None:
    """The ``helpers`` folder a kernel of ``python`` started in ``folder`` would import.

    A kernel imports from its notebook's folder first, then ``PYTHONPATH``, then the installed
    packages (``pip install -e .`` installs an import hook there). A fresh interpreter in the
    same folder, with the same environment variables, finds the same one. ``None``: not found.
    """
    probe = ("import importlib.util as u; s = u.find_spec('helpers'); "
             "print(s.origin if s and s.origin else '')")
    result = subprocess.run([python, "-c", probe], cwd=folder, capture_output=True, text=True,
                            timeout=60, check=False)
    origin = result.stdout.strip()
    return Path(origin).resolve().parent if result.returncode == 0 and origin else None


@dataclass(frozen=True)
class PackageStatus:
    """One package (or Python) against the course's range, pin and newest tested version."""

    name: str
    installed: str | None  # None: not installed
    supported: str
    pinned: str | None = None
    newest_tested: str | None = None
    import_error: str | None = None  # installed, but importing it failed

    @property
    def ok(self) -> bool:
        return (self.installed is not None and self.import_error is None
                and satisfies(self.installed, self.supported))

    @property
    def is_pinned(self) -> bool:
        return (self.installed is not None and self.pinned is not None
                and parse_version(self.installed) == parse_version(self.pinned))

    def verdict(self) -> str:
        if self.installed is None:
            return "MISSING"
        if self.import_error is not None:
            return "BROKEN"
        if not self.ok:
            return "UNSUPPORTED"
        if self.is_pinned:
            return "ok, pinned"
        newer = self.newest_tested is not None and parse_version(self.installed) > parse_version(
            self.newest_tested)
        return "ok, newer than tested" if newer else "ok"

    def problem(self) -> str | None:
        """What is wrong and what to do, in one line; ``None`` when supported."""
        if self.name == "python" and not self.ok:
            return (f"Python {self.installed} is not supported ({self.supported}): create "
                    "the environment with a supported Python (python3.11 -m venv .venv), then "
                    "run `pip install -r requirements.txt` with it")
        if self.installed is None:
            return f"{self.name} is not installed: {INSTALL_HINT}"
        if self.import_error is not None:
            return (f"{self.name} {self.installed} is installed but does not import "
                    f"({self.import_error}): {INSTALL_HINT}")
        if not self.ok:
            return (f"{self.name} {self.installed} is outside the supported range "
                    f"{self.supported}: {INSTALL_HINT}")
        return None


def check_package(
    name: str,
    supported: str,
    pinned: str | None = None,
    newest_tested: str | None = None,
    *,
    version_of: Callable[[str], str] = importlib.metadata.version,
    importer: Callable[[str], object] = importlib.import_module,
) -> PackageStatus:
    """The status of package ``name``: installed version (metadata), and whether it imports."""
    try:
        installed = version_of(name)
    except importlib.metadata.PackageNotFoundError:
        return PackageStatus(name, None, supported, pinned, newest_tested)
    error = None
    try:
        importer(name.replace("-", "_"))
    except Exception as exc:  # a broken install must be reported, not raised
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    return PackageStatus(name, installed, supported, pinned, newest_tested, error)


def torch_summary() -> list[str]:
    """What PyTorch computes on: CPU capability, device and threads (or why it cannot say)."""
    try:
        import torch
    except Exception as error:
        return [f"PyTorch cannot be imported ({type(error).__name__}), so no device report"]
    cpu = getattr(torch.backends, "cpu", None)
    capability = cpu.get_cpu_capability() if hasattr(cpu, "get_cpu_capability") else "unknown"
    if torch.cuda.is_available():
        device = f"CUDA, {torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} device(s))"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = "MPS (Apple GPU)"
    else:
        built = f"; this build supports CUDA {torch.version.cuda}" if torch.version.cuda else ""
        device = f"CPU (no CUDA or MPS device found{built})"
    threads = f"{torch.get_num_threads()} threads on {os.cpu_count()} logical CPUs"
    limits = [f"{key}={os.environ[key]}" for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
              if key in os.environ]
    return [
        f"PyTorch device:  {device}",
        f"CPU capability:  {capability} (torch.backends.cpu.get_cpu_capability())",
        f"threads:         {threads}" + (f" ({', '.join(limits)})" if limits else ""),
    ]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; return 0 when everything is supported, 1 otherwise."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpers.doctor",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=None,
                        help="the course's repository (default: the one holding the current "
                             "folder, else the one holding this helpers package)")
    args = parser.parse_args(argv)
    this_package = Path(__file__).resolve().parent
    checkout = find_checkout(args.checkout or Path.cwd()) or find_checkout(this_package)
    problems: list[str] = []

    pyproject = _read(checkout / "pyproject.toml") if checkout else None
    ranges = supported_ranges(pyproject) if pyproject else _ranges_from_metadata()
    if ranges is None:
        print("The supported versions are unknown: no pyproject.toml of the course here and "
              f"{DISTRIBUTION} is not installed. Run this from the repository root.")
        return 1
    pins = pinned_versions(_read(checkout / REFERENCE_PINS) or "") if checkout else {}
    newest = pinned_versions(_read(checkout / NEWEST_PINS) or "") if checkout else {}

    python_version = platform.python_version()
    statuses = [PackageStatus("python", python_version, ranges["python"])]
    statuses += [check_package(name, spec, pins.get(name), newest.get(name))
                 for name, spec in ranges.items() if name != "python"]
    print(f"Course environment check ({sys.executable})")
    rows = [("package", "installed", "supported", "pinned", "newest tested", "")]
    for status in statuses:
        rows.append(("Python" if status.name == "python" else status.name,
                     status.installed or "-", status.supported,
                     status.pinned or "-", status.newest_tested or "-", status.verdict()))
        if status.installed is not None and status.problem():
            problems.append(status.problem())
    missing = [status.name for status in statuses if status.installed is None]
    if missing:  # one line for all of them
        problems.insert(0, f"not installed: {', '.join(missing)}: {INSTALL_HINT}")
    print("\n".join(_table(rows)))
    print("\n".join(torch_summary()))

    print(f"helpers here:    {this_package}")
    if checkout is None:
        print("checkout:        not found (run this from the repository root)")
    else:
        folder = checkout / "notebooks"
        origin = notebook_helpers_origin(sys.executable, folder if folder.is_dir() else
                                         Path(tempfile.gettempdir()))
        where = "not importable" if origin is None else str(origin)
        same = origin is not None and origin == (checkout / "helpers").resolve()
        print(f"in a notebook:   {where}" + (" (this checkout)" if same else ""))
        if origin is None:
            problems.append("a notebook of this checkout cannot import helpers: run "
                            "`pip install -e .` from the repository root with this Python "
                            "(or use `make lab`), then restart the kernel")
        elif not same:
            problems.append(f"a notebook imports helpers from {origin}, not from this checkout "
                            f"({checkout}): run `pip install -e .` here with this Python, "
                            "then restart the kernel")

    if problems:
        print(f"\n{len(problems)} problem(s):")
        print("\n".join(f"- {problem}" for problem in problems))  # one line each
        return 1
    if all(status.is_pinned for status in statuses if status.name != "python"):
        print("\n" + textwrap.fill("Everything is supported, at the reference pins of "
                                   "requirements.txt: the stored outputs should match exactly "
                                   "(make test).", 92))
    else:
        others = ", ".join(f"{s.name} {s.installed}" for s in statuses
                           if s.name != "python" and not s.is_pinned)
        print("\n" + textwrap.fill(
            f"Everything is supported. Not the reference pins ({others}): every notebook runs, "
            "but printed values may differ in their last digits from the stored outputs; "
            "`make test` compares them in the pinned environment only.", 92))
    return 0


if __name__ == "__main__":
    sys.exit(main())
