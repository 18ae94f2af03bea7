"""Wall time and peak memory of a piece of PyTorch code, as notebook 07 measures them.

Notebook 07 (``07_softmax_at_scale.ipynb``) derives both methods and checks them on cases
whose answer is known; later notebooks import them from here instead of copying them.
Unlike the teaching version, these validate their input.

- :func:`time_it`: one warm-up call, then the best and the median of a few timed calls
  (on CUDA the device is waited for before the clock is read).
- :func:`peak_memory_bytes`: the peak of the bytes PyTorch holds while a call runs, above
  what it held when the call started: ``torch.cuda.max_memory_allocated`` on CUDA, and on
  the CPU the allocation records of ``torch.profiler`` replayed in order.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator

import torch
from torch.profiler import ProfilerActivity, profile

__all__ = ["synchronize", "time_it", "peak_memory_bytes"]


def _as_device(device: object) -> torch.device:
    if isinstance(device, str):
        return torch.device(device)
    if not isinstance(device, torch.device):
        raise TypeError(f"device must be a torch.device or a string, got {type(device).__name__}")
    return device


def _check_callable(fn: object) -> None:
    if not callable(fn):
        raise TypeError(f"pass a function to call, not {type(fn).__name__}")


def synchronize(device: torch.device | str) -> None:
    """Wait until ``device`` has finished its queued work (a no-op on the CPU)."""
    device = _as_device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_it(
    fn: Callable[[], object], repeats: int, device: torch.device | str = "cpu"
) -> tuple[float, float]:
    """Best and median wall time of ``fn()`` in seconds, after one warm-up call.

    Raises
    ------
    TypeError
        If ``fn`` is not callable or ``repeats`` is not an int.
    ValueError
        If ``repeats`` is smaller than 1.
    """
    _check_callable(fn)
    if isinstance(repeats, bool) or not isinstance(repeats, int):
        raise TypeError(f"repeats must be an int, got {type(repeats).__name__}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    device = _as_device(device)
    fn()
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send the process's standard error to /dev/null (the profiler's two trace lines)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory_bytes(fn: Callable[[], object], device: torch.device | str = "cpu") -> int:
    """Peak bytes PyTorch holds while ``fn()`` runs, above what it held when ``fn`` started.

    What ``fn`` returns is dropped when it finishes, after the peak has been measured.

    Raises
    ------
    TypeError
        If ``fn`` is not callable or ``device`` is not a device.
    ValueError
        If ``device`` is neither a CPU nor a CUDA device.
    """
    _check_callable(fn)
    device = _as_device(device)
    if device.type == "cuda":
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        fn()
        synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - baseline)
    if device.type != "cpu":
        raise ValueError(f"peak memory is measured on 'cpu' or 'cuda', not {device.type!r}")
    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    records = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = 0
    for record in sorted(records, key=lambda e: e.start_ns()):
        live += record.nbytes()  # positive for an allocation, negative for a free
        peak = max(peak, live)
    return int(peak)
