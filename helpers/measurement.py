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

Notebook 07's §1 (where softmax's time goes: memory or arithmetic) and §5 (time and memory
of three cross-entropies) measure with these:

- :func:`copy_bandwidth`: the bytes per second a copy moves (read and write) for a buffer
  of a given size; measured over a range of sizes it shows where the caches end.
- :func:`beyond_cache_bytes`: from such a curve, the smallest size from which the copy
  stays well below its in-cache speed (main memory), or ``None`` when the curve never fell.
- :func:`time_per_element`: the best seconds per element of a copy, ``torch.exp`` and
  ``torch.softmax`` on one float32 tensor, timed in interleaved rounds.
- :func:`measure_cross_entropy`: time, peak and total memory of a forward and backward
  pass of each of several cross-entropy functions, each checked against
  ``F.cross_entropy``.

Notebook 08 (``08_cross_entropy_without_logits.ipynb``) compares its results with PyTorch's
by :func:`relative_error`, as notebooks 10 and 11 do: the largest error relative to the
largest value.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

__all__ = [
    "relative_error",
    "synchronize",
    "time_it",
    "quiet_stderr",
    "memory_use",
    "peak_memory_bytes",
    "copy_bandwidth",
    "beyond_cache_bytes",
    "time_per_element",
    "measure_cross_entropy",
]


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


def _check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


# Each timed call of copy_bandwidth moves at least this many bytes, so that a copy of a
# buffer that fits in the L1 cache is not timed against the clock's resolution and the
# cost of one Python call.
_BYTES_PER_TIMED_CALL = 64 * 2**20
_MAX_COPIES_PER_CALL = 1024  # tiny buffers: Python's call overhead dominates anyway


def copy_bandwidth(num_bytes: int, repeats: int = 3, device: torch.device | str = "cpu") -> float:
    """Best bytes per second of ``y.copy_(x)`` for float32 tensors of ``num_bytes`` each.

    Notebook 07, §1. A copy reads ``num_bytes`` and writes ``num_bytes``: both are counted.
    Small buffers are copied several times per timed call (64 MiB moved, at most 1,024
    copies), so the clock's resolution does not hide their speed. Measured for a range of sizes,
    the result falls where the buffers stop fitting in a cache (:func:`beyond_cache_bytes`).

    Raises
    ------
    TypeError
        If ``num_bytes`` or ``repeats`` is not an int, or ``device`` is not a device.
    ValueError
        If ``num_bytes`` is below 4 (one float32) or ``repeats`` below 1.
    """
    _check_positive_int(num_bytes, "num_bytes")
    _check_positive_int(repeats, "repeats")
    if num_bytes < 4:
        raise ValueError(f"num_bytes must hold at least one float32 (4 bytes), got {num_bytes}")
    device = _as_device(device)
    source = torch.ones(num_bytes // 4, device=device)
    target = torch.empty_like(source)
    copies = min(_MAX_COPIES_PER_CALL, max(1, _BYTES_PER_TIMED_CALL // (2 * source.nbytes)))

    def copy_several() -> None:
        for _ in range(copies):
            target.copy_(source)

    best, _ = time_it(copy_several, repeats, device)
    return 2 * source.nbytes * copies / best


def beyond_cache_bytes(sizes: object, bandwidths: object, drop: float = 0.5) -> int | None:
    """Smallest buffer size from which a copy stays below ``drop`` x its fastest speed.

    Notebook 07, §1: "beyond the cache" is read off a measured curve of copy bandwidth
    against buffer size (:func:`copy_bandwidth`), not from the cache sizes the operating
    system reports (in a virtual machine those can be the host's, shared by many guests).
    Returns the smallest size such that it and every larger size copy at most
    ``drop`` times the highest bandwidth measured, or ``None`` when the largest size is
    still above that (the curve never fell: every buffer may still have fit a cache).

    Raises
    ------
    TypeError
        If ``sizes`` or ``bandwidths`` is not a sequence of numbers.
    ValueError
        If they differ in length, have fewer than 2 entries, the sizes do not increase
        strictly, a bandwidth is not finite and positive, or ``drop`` is not in (0, 1).
    """
    try:
        size_list, rate_list = [float(s) for s in sizes], [float(b) for b in bandwidths]
    except TypeError as error:
        raise TypeError("sizes and bandwidths must be sequences of numbers") from error
    if len(size_list) != len(rate_list):
        raise ValueError(f"{len(size_list)} sizes but {len(rate_list)} bandwidths")
    if len(size_list) < 2:
        raise ValueError("a curve needs at least 2 sizes")
    if any(b <= a for a, b in zip(size_list, size_list[1:], strict=False)):
        raise ValueError("sizes must increase strictly")
    if not all(math.isfinite(rate) and rate > 0 for rate in rate_list):
        raise ValueError(f"bandwidths must be finite and > 0, got {rate_list}")
    if isinstance(drop, bool) or not isinstance(drop, int | float) or not 0 < drop < 1:
        raise ValueError(f"drop must be a number in (0, 1), got {drop!r}")
    slow = drop * max(rate_list)
    if rate_list[-1] > slow:
        return None
    index = len(rate_list) - 1
    while index > 0 and rate_list[index - 1] <= slow:
        index -= 1
    return int(size_list[index])


def time_per_element(
    num_bytes: int,
    repeats: int,
    device: torch.device | str = "cpu",
    row_length: int = 50_257,
    rounds: int = 3,
) -> tuple[int, dict[str, float]]:
    """Best seconds per element of a copy, ``torch.exp`` and ``torch.softmax`` (float32).

    Notebook 07, §1. The tensor has rows of ``row_length`` floats (GPT-2's vocabulary by
    default) and about ``num_bytes`` bytes (at least one row); each operation writes into
    a second tensor of the same size. The three are timed in ``rounds`` interleaved rounds
    (each round times all three, so a change of load hits them alike), ``repeats`` calls
    each, and the best time is kept. Returns the tensor's bytes and a dict
    ``{"copy": s, "exp": s, "softmax": s}``. The softmax's rows are checked to sum to 1.

    Raises
    ------
    TypeError
        If ``num_bytes``, ``repeats``, ``row_length`` or ``rounds`` is not an int, or
        ``device`` is not a device.
    ValueError
        If one of them is smaller than 1.
    """
    for value, name in ((num_bytes, "num_bytes"), (repeats, "repeats"),
                        (row_length, "row_length"), (rounds, "rounds")):
        _check_positive_int(value, name)
    device = _as_device(device)
    rows = max(1, num_bytes // (4 * row_length))
    generator = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(rows, row_length, generator=generator, device=device)
    y = torch.empty_like(x)
    operations = {
        "copy": lambda: y.copy_(x),
        "exp": lambda: torch.exp(x, out=y),
        "softmax": lambda: torch.softmax(x, dim=1, out=y),
    }
    best = dict.fromkeys(operations, math.inf)
    for _ in range(rounds):
        for name, operation in operations.items():
            seconds, _ = time_it(operation, repeats, device)
            best[name] = min(best[name], seconds / x.numel())
    torch.testing.assert_close(y.sum(dim=1), torch.ones(rows, device=device))
    return x.nbytes, best


def measure_cross_entropy(
    methods: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]],
    num_rows: int,
    num_classes: int,
    repeats: int,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Time, memory and correctness of one forward + backward pass of each loss.

    Notebook 07, §5. ``methods`` maps a name to a function ``loss(logits, targets)``
    returning the mean cross-entropy. For float32 logits ``(num_rows, num_classes)``
    (three times standard normal, made from ``seed``) held by the caller, each method's
    loss and gradient are checked against ``F.cross_entropy``'s (an ``AssertionError``
    names a wrong one). Returns, per name: ``seconds`` and ``median_seconds`` of a forward
    and backward pass (:func:`time_it`), ``peak_bytes`` and ``allocated_bytes``
    (:func:`memory_use`), and ``extra_bytes``, the peak minus the gradient's size (the
    gradient is returned by every method).

    Raises
    ------
    TypeError
        If ``methods`` is not a dict of callables, or a size is not an int.
    ValueError
        If ``methods`` is empty or a size is smaller than 1.
    """
    if not isinstance(methods, dict):
        raise TypeError(f"methods must be a dict of name -> loss function, got "
                        f"{type(methods).__name__}")
    if not methods:
        raise ValueError("methods must hold at least one loss function")
    for name, loss_fn in methods.items():
        if not callable(loss_fn):
            raise TypeError(f"methods[{name!r}] must be callable, got {type(loss_fn).__name__}")
    for value, label in ((num_rows, "num_rows"), (num_classes, "num_classes"),
                         (repeats, "repeats")):
        _check_positive_int(value, label)
    device = _as_device(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    logits = torch.randn(num_rows, num_classes, generator=generator, device=device)
    logits.mul_(3.0).requires_grad_(True)
    targets = torch.randint(0, num_classes, (num_rows,), generator=generator, device=device)
    expected_loss = F.cross_entropy(logits, targets)
    (expected_grad,) = torch.autograd.grad(expected_loss, logits)
    expected_loss = expected_loss.detach()
    results = {}
    for name, loss_fn in methods.items():
        def step(loss_fn=loss_fn) -> None:
            logits.grad = None
            loss_fn(logits, targets).backward()

        best, median = time_it(step, repeats, device)
        logits.grad = None
        peak, allocated = memory_use(lambda f=loss_fn: f(logits, targets).backward(), device)
        torch.testing.assert_close(logits.grad, expected_grad, rtol=1e-4, atol=1e-8,
                                   msg=lambda m, name=name: f"{name}: gradient: {m}")
        loss = loss_fn(logits, targets).detach()
        torch.testing.assert_close(loss, expected_loss,
                                   msg=lambda m, name=name: f"{name}: loss: {m}")
        logits.grad = None
        results[name] = {
            "seconds": best,
            "median_seconds": median,
            "peak_bytes": peak,
            "extra_bytes": peak - logits.nbytes,
            "allocated_bytes": allocated,
        }
    return results


def relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    """``max |got - expected| / max |expected|``: the worst error relative to the largest value.

    Explained in notebook 08 (08_cross_entropy_without_logits), used by 10 and 11. Computed in
    float64 whatever the tensors' dtype. A NaN where ``expected`` has one, or the same
    infinity, counts as equal; a NaN or infinity in one only gives ``inf`` (so that any
    bound fails). When every finite entry of ``expected`` is 0 the error is absolute.
    """
    for name, value in (("got", got), ("expected", expected)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if got.shape != expected.shape:
        raise ValueError(
            f"got and expected must have the same shape, got {tuple(got.shape)} and "
            f"{tuple(expected.shape)}"
        )
    got = got.detach().to("cpu", torch.float64)
    expected = expected.detach().to("cpu", torch.float64)
    same = (got == expected) | (got.isnan() & expected.isnan())  # equal infinities, NaN = NaN
    if not (got[~same].isfinite().all() and expected[~same].isfinite().all()):
        return math.inf
    finite = expected[expected.isfinite()]
    scale = finite.abs().max().item() if finite.numel() else 0.0
    worst = (got[~same] - expected[~same]).abs().max().item() if (~same).any() else 0.0
    return worst / (scale if scale > 0 else 1.0)
