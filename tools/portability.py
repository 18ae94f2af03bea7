"""Run every notebook under nbval on several simulated machines; each one must pass.

PyTorch (ATen's vectorised kernels, MKL's matrix products) and NumPy choose their kernels
by instruction set when they start, and environment variables override that choice. So one
machine can stand in for others: an AVX2 machine, a generic x86-64, other thread counts.
A stored output that depends on the last bits of floating-point arithmetic fails here.

    python tools/portability.py                        # every configuration, every notebook
    python tools/portability.py --config avx2 notebooks/04_classifier_networks.ipynb
    python tools/portability.py --probe-only           # only show that each setting took effect

Before the notebooks run, a probe in a fresh interpreter proves that each setting took
effect (ATen's capability, NumPy's enabled feature groups, MKL's code path, the thread
count) and prints one line per configuration. NumPy's names for its feature groups change
between versions, so they are read from the installed NumPy, never typed in.

What a setting can do depends on the CPU that runs it, and the probe expects exactly that:
oneMKL's instruction-set branches (``MKL_CBWR=AVX2``, ``AVX512``, ...) exist only on Intel
processors that have the instruction set; elsewhere oneMKL documents that it ignores the
value and runs its ``AUTO`` branch (measured on an AMD EPYC: ``CNR:AUTO`` for ``AVX2``,
``AVX512`` and ``SSE4_2``). ``COMPATIBLE`` and ``AUTO`` work on every x86-64. So on an AMD
CPU the "avx2" configuration runs ATen's and NumPy's AVX2 kernels with MKL's ``AUTO``
branch, and its line says so; a setting that should have taken effect on this CPU and did
not still fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every variable this script sets; each configuration starts from a copy of the environment
# with all of them removed, so nothing leaks in from the caller's shell.
CONTROLLED = (
    "ATEN_CPU_CAPABILITY",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "NPY_DISABLE_CPU_FEATURES",
    "NPY_ENABLE_CPU_FEATURES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


@dataclass(frozen=True)
class Machine:
    """One simulated machine: which kernels PyTorch and NumPy may use, and how many threads.

    ``numpy_keep`` names the highest NumPy dispatch group the simulated CPU has (``None``:
    only NumPy's baseline); every dispatched group above it is disabled.
    """

    name: str
    description: str
    aten: str | None = None
    mkl_cbwr: str | None = None
    numpy_keep: str | None = "native"
    threads: int | None = None


MACHINES = (
    Machine("native", "this machine as it is"),
    Machine(
        "avx2",
        "an AVX2 machine, one thread",
        aten="avx2",
        mkl_cbwr="AVX2",
        numpy_keep="X86_V3",  # x86-64-v3: AVX2 and FMA
        threads=1,
    ),
    Machine(
        "generic",
        "a generic x86-64, two threads",
        aten="default",
        mkl_cbwr="COMPATIBLE",
        numpy_keep=None,  # only NumPy's baseline (x86-64-v2)
        threads=2,
    ),
)


def numpy_feature_groups() -> tuple[list[str], dict[str, bool]]:
    """The installed NumPy's dispatched feature groups (in its order) and which are enabled.

    Read in a fresh interpreter so that this process's own NumPy settings do not matter.
    """
    code = (
        "import json; from numpy._core import _multiarray_umath as m;"
        "print(json.dumps([list(m.__cpu_dispatch__), m.__cpu_features__]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    out = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    ).stdout
    dispatch, features = json.loads(out)
    return dispatch, features


def numpy_groups_to_disable(keep: str | None, dispatch: list[str],
                            features: dict[str, bool]) -> list[str]:
    """The dispatched groups above ``keep`` that this CPU has (only those can be disabled)."""
    if keep == "native":
        return []
    if keep is not None and keep not in dispatch:
        raise SystemExit(
            f"NumPy {_numpy_version()} has no dispatch group {keep!r} (it has {dispatch}); "
            "update MACHINES in tools/portability.py for this NumPy"
        )
    above = dispatch if keep is None else dispatch[dispatch.index(keep) + 1:]
    return [group for group in above if features.get(group)]


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def environment(machine: Machine, dispatch: list[str], features: dict[str, bool]) -> dict:
    """The full environment of one simulated machine."""
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env["PYTHONPATH"] = str(ROOT)
    if machine.aten:
        env["ATEN_CPU_CAPABILITY"] = machine.aten
    if machine.mkl_cbwr:
        env["MKL_CBWR"] = machine.mkl_cbwr
    disabled = numpy_groups_to_disable(machine.numpy_keep, dispatch, features)
    if disabled:
        env["NPY_DISABLE_CPU_FEATURES"] = ",".join(disabled)
    if machine.threads:
        env["OMP_NUM_THREADS"] = str(machine.threads)
        env["MKL_NUM_THREADS"] = str(machine.threads)
    return env


PROBE = r"""
import json
import torch
from numpy._core import _multiarray_umath as m
print(json.dumps({
    "aten": torch.backends.cpu.get_cpu_capability(),
    "threads": torch.get_num_threads(),
    "numpy_enabled": [g for g in m.__cpu_dispatch__ if m.__cpu_features__.get(g)],
    "mkl": torch.backends.mkl.is_available(),
}))
"""

# With MKL_VERBOSE=1, MKL prints one line per call it serves, naming its code path (CNR:...).
MKL_PROBE = "import torch; a = torch.ones(64, 64); a @ a"


@dataclass(frozen=True)
class Cpu:
    """The processor's vendor and instruction-set flags, as the kernel reports them."""

    vendor: str  # "GenuineIntel", "AuthenticAMD", ... or "unknown"
    flags: frozenset[str]


def read_cpu(cpuinfo: str | None = None) -> Cpu:
    """This machine's CPU from ``/proc/cpuinfo`` (or the given text); "unknown" elsewhere."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return Cpu(platform.processor() or "unknown", frozenset())
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return Cpu(fields.get("vendor_id", "unknown"), frozenset(fields.get("flags", "").split()))


# oneMKL's instruction-set branches and the CPU flag each needs ("available only for Intel
# processors"; otherwise "CNR ignores this value and uses the AUTO branch").
MKL_BRANCH_FLAGS = {
    "SSE2": "sse2", "SSSE3": "ssse3", "SSE4_2": "sse4_2", "AVX": "avx", "AVX2": "avx2",
    "AVX512": "avx512f", "AVX512_E1": "avx512_vnni",
}


def expected_mkl_branch(requested: str, cpu: Cpu) -> tuple[str, str]:
    """The ``CNR`` code path oneMKL should report for ``MKL_CBWR=requested`` on ``cpu``.

    Returns the branch and, when it is not the one requested, the reason.
    """
    if requested in ("AUTO", "COMPATIBLE"):
        return requested, ""
    if requested not in MKL_BRANCH_FLAGS:
        raise ValueError(f"unknown MKL_CBWR branch {requested!r}; known: "
                         f"AUTO, COMPATIBLE, {', '.join(MKL_BRANCH_FLAGS)}")
    if cpu.vendor != "GenuineIntel":
        return "AUTO", f"oneMKL's {requested} branch exists only on Intel CPUs ({cpu.vendor})"
    if MKL_BRANCH_FLAGS[requested] not in cpu.flags:
        return "AUTO", f"this CPU lacks {MKL_BRANCH_FLAGS[requested]}"
    return requested, ""


def check_settings(machine: Machine, seen: dict, cnr: str | None, dispatch: list[str],
                   cpu: Cpu) -> tuple[list[str], str]:
    """What did not take effect (empty: all did), and a note on what this CPU cannot do."""
    problems = []
    note = ""
    if machine.aten and seen["aten"] != machine.aten.upper():
        problems.append(f"ATen capability is {seen['aten']}, not {machine.aten.upper()}")
    if machine.threads and seen["threads"] != machine.threads:
        problems.append(f"torch uses {seen['threads']} threads, not {machine.threads}")
    if machine.numpy_keep != "native":
        allowed = [] if machine.numpy_keep is None else dispatch[: dispatch.index(
            machine.numpy_keep) + 1]
        extra = [g for g in seen["numpy_enabled"] if g not in allowed]
        if extra:
            problems.append(f"NumPy still uses {extra}")
    if machine.mkl_cbwr and seen["mkl"]:
        expected, why = expected_mkl_branch(machine.mkl_cbwr, cpu)
        if cnr is None:
            problems.append("MKL did not report its code path (no MKL_VERBOSE line)")
        elif cnr != expected:
            problems.append(f"MKL runs the {cnr} code path, not {expected}"
                            + (f" ({why})" if why else ""))
        elif why:
            note = f"MKL_CBWR={machine.mkl_cbwr} cannot take effect here: {why}; expected {cnr}"
    return problems, note


def probe(machine: Machine, env: dict, dispatch: list[str], cpu: Cpu) -> str:
    """Prove, in a fresh interpreter with ``env``, that each setting took effect on ``cpu``."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out.strip().splitlines()[0])
    verbose = subprocess.run(
        [sys.executable, "-c", MKL_PROBE], env={**env, "MKL_VERBOSE": "1"},
        capture_output=True, text=True, check=True,
    ).stdout
    cnr = _mkl_code_path(verbose)
    problems, note = check_settings(machine, seen, cnr, dispatch, cpu)
    line = (
        f"{machine.name:8s} ({machine.description}): ATen {seen['aten']}, "
        f"{seen['threads']} thread(s), NumPy groups {seen['numpy_enabled'] or ['baseline']}, "
        f"MKL {cnr or ('default code path' if seen['mkl'] else 'absent from this torch build')}"
    )
    if note:
        line += f"\n  note: {note}"
    if problems:
        raise SystemExit(f"{line}\n  setting did not take effect: " + "; ".join(problems))
    return line


def _mkl_code_path(verbose: str) -> str | None:
    """The ``CNR:...`` field of MKL's verbose header line, if MKL printed one."""
    for token in verbose.replace(",", " ").split():
        if token.startswith("CNR:"):
            return token[len("CNR:"):]
    return None


def run_notebooks(env: dict, notebooks: list[str]) -> tuple[int, str, float]:
    """Run nbval (strict) on ``notebooks`` with ``env``; return exit code, summary, seconds."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-o", "addopts=", "--nbval", "--nbval-current-env", *notebooks]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else "(no output)"
    if result.returncode != 0:
        print(result.stdout[-20000:], result.stderr[-5000:], sep="\n")
    return result.returncode, summary.strip("= "), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebook and solution")
    parser.add_argument("--config", action="append", choices=[m.name for m in MACHINES],
                        help="only these configurations (repeatable); default: all")
    parser.add_argument("--probe-only", action="store_true",
                        help="prove the settings take effect, run no notebook")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or ["notebooks"]
    chosen = [m for m in MACHINES if not args.config or m.name in args.config]
    dispatch, features = numpy_feature_groups()
    cpu = read_cpu()
    print(f"CPU: {cpu.vendor}, {platform.machine()}", flush=True)
    failures = []
    results = []
    for machine in chosen:
        env = environment(machine, dispatch, features)
        print(probe(machine, env, dispatch, cpu), flush=True)
        if args.probe_only:
            continue
        code, summary, elapsed = run_notebooks(env, notebooks)
        results.append(f"{machine.name:8s} {summary} ({elapsed:.0f} s)")
        print(f"  -> {results[-1]}", flush=True)
        if code != 0:
            failures.append(machine.name)
    for line in results:
        print(line)
    if failures:
        print(f"FAILED on: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
