"""Wall time and memory use of a piece of PyTorch code, as notebook 07 measures them.

Notebook 07 (``07_softmax_at_scale.ipynb``) derives both methods (§1 the timer, §4 the
memory meter) and checks them on cases whose answer is known; it imports them from here,
as later notebooks do, so the code has one home. They validate their input.

- :func:`time_it`: one warm-up call, then the best and the median of a few timed calls
  (on CUDA the device is waited for before the clock is read).
- :func:`memory_use`: the peak of the bytes PyTorch holds while a call runs, above what it
  held when the call started, and the total it allocates (freed or not):
  ``torch.cuda`` memory statistics on CUDA, and on the CPU the allocation records of
  ``torch.profiler`` replayed in order.
- :func:`peak_memory_bytes`: the peak alone.
- :func:`quiet_stderr`: silences the profiler's two trace lines while it records.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator

import torch
from torch.profiler import ProfilerActivity, profile

__all__ = ["synchronize", "time_it", "quiet_stderr", "memory_use", "peak_memory_bytes"]


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
def quiet_stderr() -> Iterator[None]:
    """Send the process's standard error (descriptor 2) to /dev/null while the block runs.

    ``torch.profiler`` writes two trace lines there when it starts and stops (notebook 07).
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def memory_use(fn: Callable[[], object], device: torch.device | str = "cpu") -> tuple[int, int]:
    """``(peak, allocated)`` bytes PyTorch uses while ``fn()`` runs (notebook 07, §4).

    ``peak`` is the most held at once, above what was held when ``fn`` started;
    ``allocated`` is the sum of every allocation made during the call, freed or not.
    What ``fn`` returns is dropped when it finishes, after both have been measured.

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
        key = "allocated_bytes.all.allocated"
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        before = torch.cuda.memory_stats(device)[key]
        fn()
        synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) - baseline
        return int(peak), int(torch.cuda.memory_stats(device)[key] - before)
    if device.type != "cpu":
        raise ValueError(f"memory is measured on 'cpu' or 'cuda', not {device.type!r}")
    with quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    records = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = allocated = 0
    for record in sorted(records, key=lambda e: e.start_ns()):
        live += record.nbytes()  # positive for an allocation, negative for a free
        peak = max(peak, live)
        allocated += max(record.nbytes(), 0)
    return int(peak), int(allocated)


def peak_memory_bytes(fn: Callable[[], object], device: torch.device | str = "cpu") -> int:
    """Peak bytes PyTorch holds while ``fn()`` runs, above what it held when ``fn`` started.

    The first half of :func:`memory_use` (notebook 07, §4), which raises the same
    ``TypeError``/``ValueError`` on a bad ``fn`` or ``device``.
    """
    return memory_use(fn, device)[0]
