"""Benchmark: the wall time of ``make test`` and its ten slowest tests.

    python tools/benchmark_tests.py

A benchmark, not a test: it prints the figures and asserts nothing about them. Run it on a
quiet machine (other work on the cores changes the figure a lot). The suite's goal is one
minute of wall time on a 2-core machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    result = subprocess.run(
        ["make", "--no-print-directory", "test", "PYTEST_ADDOPTS=--durations=10"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    wall = time.perf_counter() - start
    lines = result.stdout.splitlines()
    slowest = [line for line in lines if re.match(r"^\d+\.\d+s (call|setup|teardown) ", line)]
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line),
                   "(no pytest summary)")
    print(f"make test: {wall:.1f} s wall, exit code {result.returncode}, on {os.cpu_count()} cores")
    print(summary.strip("= "))
    print("slowest tests:")
    for line in slowest[:10]:
        print("  " + line)
    if result.returncode != 0:
        print(result.stdout[-5000:], result.stderr[-3000:], sep="\n")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
