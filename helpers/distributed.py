"""Cross-entropy across processes on ``torch.distributed``.

Notebook 11 (11_cross_entropy_across_processes) explains everything here. Two ideas:

* **Vocabulary-parallel cross-entropy** (Megatron-LM's, and what PyTorch's
  ``torch.distributed.tensor.parallel.loss_parallel`` does): when the output layer of a large
  vocabulary is split by classes over ranks, each rank holds the logits of its own classes.
  The loss needs only three numbers per token from the others, merged by all-reduces (07's
  merge rule): the row maximum (MAX), the sum of exponentials rescaled to that maximum (SUM)
  and the target's logit (SUM, zero where a rank does not hold it). The backward needs no
  communication at all.
* **The global mean**: when a batch is split over data-parallel ranks (or over gradient
  accumulation steps) and padding makes the ranks keep different numbers of tokens, the mean
  must divide by the *global* count of kept tokens, not average the per-rank means.

Also: PyTorch's own ``loss_parallel`` run on the same cases (:func:`loss_parallel_on_rank`),
notebook 08's fused linear cross-entropy with the output layer's rows split over ranks
(:func:`vocab_parallel_linear_cross_entropy`), and the bytes each way sends
(:func:`bytes_per_token`).

The code runs for real in several processes on this machine (:func:`run_on_ranks`), with
the ``gloo`` backend on the CPU and the same code on ``nccl`` when there is a GPU per rank.
Functions that a rank runs must be importable by the new processes, which is why this code
lives in a module and not in the notebook.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F

__all__ = [
    "RankError",
    "default_start_method",
    "start_rank_server",
    "run_on_ranks",
    "global_statistics",
    "shard_gradient",
    "vocab_parallel_cross_entropy",
    "global_mean_cross_entropy",
    "mean_of_rank_means",
    "shard_boundaries",
    "CrossEntropyCase",
    "reference_cross_entropy",
    "vocab_parallel_on_rank",
    "loss_parallel_on_rank",
    "loss_parallel_dtypes",
    "global_mean_on_rank",
    "data_parallel_on_rank",
    "all_reduce_demo",
    "time_step_on_rank",
    "bytes_written",
    "bytes_sent_on_rank",
    "vocab_parallel_linear_cross_entropy",
    "linear_cross_entropy_on_rank",
    "BytesPerToken",
    "bytes_per_token",
]

_HOST = "127.0.0.1"
_REDUCTIONS = ("none", "mean", "sum")
# After a rank fails, how long the others get to report (a peer blocked in a collective
# fails within milliseconds once the failed rank has left the group).
_GRACE_SECONDS = 1.0
# What the forkserver imports once, so that ranks import nothing: PyTorch (1.6 s of a core),
# DTensor's loss_parallel (0.8 s, mostly sympy), torch._dynamo (0.9 s: DTensor.from_local
# imports it on first use) and this module. The imports start no thread (checked), so forking
# the server stays safe.
_PRELOAD = [
    "torch", "torch.distributed", "torch.distributed.tensor.parallel", "torch._dynamo", __name__,
]


# ---------------------------------------------------------------------------------------------
# Running a function on several processes
# ---------------------------------------------------------------------------------------------


class RankError(RuntimeError):
    """A rank started by :func:`run_on_ranks` raised or died; explained in notebook 11
    (11_cross_entropy_across_processes).

    Attributes: ``rank``, ``exception_type`` (the name of the rank's exception, or
    ``"ProcessDied"``), ``exception_message``, ``rank_traceback`` (the traceback text from
    inside the rank) and ``other_ranks`` (``(rank, "Type: message")`` of the ranks that failed
    after it, usually because it stopped answering).
    """

    def __init__(
        self,
        rank: int,
        exception_type: str,
        message: str,
        rank_traceback: str,
        other_ranks: Sequence[tuple[int, str]] = (),
    ):
        self.rank = rank
        self.exception_type = exception_type
        self.exception_message = message
        self.rank_traceback = rank_traceback
        self.other_ranks = list(other_ranks)
        others = "".join(f"\n  rank {r}: {text}" for r, text in self.other_ranks)
        died = exception_type == "ProcessDied"
        super().__init__(
            (f"rank {rank} died: {message}" if died else
             f"rank {rank} raised {exception_type}: {message}")
            + (f"\n\nThen, probably because of it:{others}" if others else "")
            + (f"\n\nTraceback in rank {rank}:\n{rank_traceback}" if rank_traceback else "")
        )


def default_start_method() -> str:
    """The start method :func:`run_on_ranks` uses unless told (notebook 11,
    11_cross_entropy_across_processes).

    ``forkserver`` where the platform has it (Linux, macOS), else ``spawn`` (Windows).
    ``forkserver`` starts one clean server process that imports PyTorch and this module once
    (:func:`multiprocessing.set_forkserver_preload`); every rank is then a cheap fork of that
    server. ``fork`` of the caller is not the default, because a fork copies one thread of
    a process that may run several (measured with torch 2.13 on Linux): after the caller
    has run a parallel PyTorch operation (any notebook has), a forked child hangs at its
    first parallel operation (a matrix product, a softmax) unless it stays on one thread;
    and ranks forked while this process served the rendezvous store on a thread hung in
    gloo's set-up in 2 of 3 runs with 4 ranks. :func:`run_on_ranks` avoids both (forked ranks
    run on one thread, the store starts after the forks), but a Jupyter kernel runs threads
    of its own. ``fork`` remains an option: the cheapest, and fn may be defined anywhere.
    """
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def start_rank_server(start_method: str | None = None) -> str:
    """Start the forkserver now, in the background; return the start method that will be used.

    Explained in notebook 11 (11_cross_entropy_across_processes). With ``forkserver`` the
    first :func:`run_on_ranks` call waits for the server to import PyTorch (about 3 s of a
    core, once per process); called early (with the imports), that happens while the caller
    goes on. With ``spawn`` or ``fork`` there is nothing to start.
    """
    method = default_start_method() if start_method is None else start_method
    if method not in multiprocessing.get_all_start_methods():
        raise ValueError(
            f"start_method must be one of {multiprocessing.get_all_start_methods()} on this "
            f"platform, got {method!r}"
        )
    if method == "forkserver":
        from multiprocessing import forkserver  # not on Windows, where there is no forkserver

        multiprocessing.get_context(method).set_forkserver_preload(_PRELOAD)
        forkserver.ensure_running()
    return method


def _check_sizes(**sizes: object) -> None:
    """Each size must be an int (TypeError) of at least 1 (ValueError), named in the message."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")


def _check_backend(backend: object, world_size: int) -> str:
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a string such as 'gloo', got {type(backend).__name__}")
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed support")
    if backend not in ("gloo", "nccl"):
        raise ValueError(
            f"backend must be 'gloo' (CPU) or 'nccl' (one GPU per rank), got {backend!r}"
        )
    if not dist.is_backend_available(backend):
        raise ValueError(
            f"backend {backend!r} is not available in this PyTorch build "
            f"(torch {torch.__version__}); use backend='gloo' on the CPU"
        )
    if backend == "nccl":
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if gpus < world_size:
            raise ValueError(
                f"backend 'nccl' runs one rank per GPU: world_size={world_size} needs "
                f"{world_size} GPU(s), this machine has {gpus}"
            )
    return backend


def _check_picklable_function(fn: Callable[..., Any], args: tuple, method: str) -> bytes:
    """Pickle ``(fn, args)`` for a start method whose ranks do not inherit the caller's memory."""
    name = getattr(fn, "__qualname__", repr(fn))
    module = getattr(fn, "__module__", None)
    advice = (
        "define it at the top level of a module the ranks can import (a .py file on the "
        "path, e.g. in helpers/)"
    )
    if module == "__main__" or module is None:
        raise TypeError(
            f"fn {name!r} is defined in __main__ (a notebook or a script): with start method "
            f"{method!r} every rank is a new process that imports fn by name and cannot find it "
            f"there; {advice}"
        )
    if "<lambda>" in name or "<locals>" in name:
        kind = "a lambda" if "<lambda>" in name else "a nested function"
        raise TypeError(
            f"fn {name!r} is {kind}: with start method {method!r} every rank imports fn by "
            f"name, which {kind} does not have; {advice}"
        )
    try:
        return pickle.dumps((fn, args))
    except Exception as error:  # noqa: BLE001 - any pickling failure gets the same advice
        raise TypeError(
            f"fn and args must be picklable with start method {method!r} (every rank receives a "
            f"copy): {type(error).__name__}: {error}"
        ) from None


def _to_cpu(value: Any) -> Any:
    """Tensors on a GPU come back as CPU tensors (the caller may have no GPU)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, list | tuple):
        converted = [_to_cpu(item) for item in value]
        return type(value)(converted) if not hasattr(value, "_fields") else type(value)(*converted)
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    return value


def _error_message(error: BaseException) -> bytes:
    """What a failing rank sends: its exception as text, and when it happened."""
    return pickle.dumps(
        ("error", type(error).__name__, str(error), traceback.format_exc(), time.time())
    )


def _death_notice(exit_code: int | None, method: str) -> str:
    """Why a rank may have ended without sending anything."""
    notice = f"the process ended without a result (exit code {exit_code})"
    if exit_code == 1 and method != "fork":
        notice += (
            "; it failed before running fn, and its own error output says why. A script "
            "that calls run_on_ranks must guard its top level with "
            "`if __name__ == \"__main__\":` (every rank imports the main script)"
        )
    return notice


def _first_failure(failures: dict[int, tuple], stopped: list[int]) -> RankError:
    """The failure that most probably caused the others, with the others listed.

    A rank that died without a word (a crash) comes first: its peers then see closed
    connections. Otherwise the earliest exception: a rank that raises leaves the group, and
    its peers' collectives fail after that.
    """
    order = sorted(failures, key=lambda r: (failures[r][0] != "ProcessDied", failures[r][3], r))
    first = order[0]
    others = [(r, f"{failures[r][0]}: {failures[r][1].splitlines()[0] if failures[r][1] else ''}")
              for r in order[1:]]
    others += [(r, "did not finish; stopped") for r in stopped]
    kind, message, rank_traceback, _ = failures[first]
    return RankError(first, kind, message, rank_traceback, sorted(others))


def _rank_main(
    rank: int,
    world_size: int,
    backend: str,
    timeout: float,
    payload: bytes | tuple,
    threads: int,
    connection: multiprocessing.connection.Connection,
) -> None:
    """The body of every rank: join the process group, run fn, send back its result."""
    try:
        torch.set_num_threads(threads)
        fn, args = pickle.loads(payload) if isinstance(payload, bytes) else payload
        if backend == "nccl":
            torch.cuda.set_device(rank)
        if not connection.poll(timeout):
            raise TimeoutError("the caller sent no rendezvous port")
        store_port = connection.recv()
        store = dist.TCPStore(
            _HOST, store_port, is_master=False, timeout=timedelta(seconds=timeout)
        )
        dist.init_process_group(
            backend, store=store, rank=rank, world_size=world_size,
            timeout=timedelta(seconds=timeout),
        )
        try:
            message = pickle.dumps(("ok", _to_cpu(fn(rank, world_size, *args))))
            # Every rank has finished its collectives before any leaves the group.
            dist.barrier(device_ids=[rank]) if backend == "nccl" else dist.barrier()
        except BaseException as error:  # noqa: BLE001 - the caller gets every failure, by rank
            # the time before this rank leaves the group (its peers fail after that)
            message = _error_message(error)
        # The result goes out before the group is destroyed: with torch 2.4 the destroy hung
        # in about one call of three with 4 ranks (measured), and the caller stops a rank
        # that is still destroying once it holds every result.
        _send(connection, message)
        try:
            dist.destroy_process_group()
        except Exception:  # noqa: BLE001 - a group broken by a failure; the message says why
            pass
    except BaseException as error:  # noqa: BLE001 - joining the group failed
        _send(connection, _error_message(error))


def _send(connection: multiprocessing.connection.Connection, message: bytes) -> None:
    """Send a rank's one message to the caller and close the pipe (once: later calls do nothing)."""
    if connection.closed:
        return
    try:
        connection.send_bytes(message)
    finally:
        connection.close()


def _stop(processes: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """Terminate, then kill, every rank still running, and wait for all of them."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + 2.0
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()


def run_on_ranks(
    fn: Callable[..., Any],
    world_size: int,
    *args: Any,
    backend: str = "gloo",
    timeout: float = 60.0,
    start_method: str | None = None,
) -> list:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` processes that form a process group.

    Explained in notebook 11 (11_cross_entropy_across_processes). Each rank is a process on
    this machine; they meet at a ``TCPStore`` that this process serves on 127.0.0.1 (a free
    port chosen by the system), join a process group with ``backend`` (``"gloo"`` on the CPU,
    ``"nccl"`` with one GPU per rank: rank ``r`` uses ``cuda:r``), run ``fn``, and destroy
    the group. Each rank uses ``cores // world_size`` threads (at least one).

    Parameters
    ----------
    fn:
        Called as ``fn(rank, world_size, *args)`` in every rank; its result must be picklable
        (tensors are; GPU tensors come back on the CPU). Unless ``start_method="fork"``, fn
        is imported by name in every rank: it must be defined at the top level of a module
        (not in a notebook, not a lambda).
    world_size:
        The number of ranks (an int >= 1).
    timeout:
        Seconds (> 0) for the whole call; also the process group's timeout.
    start_method:
        ``"forkserver"``, ``"spawn"`` or ``"fork"``; ``None`` takes
        :func:`default_start_method`.

    Returns
    -------
    list
        The ranks' results, in rank order.

    Raises
    ------
    RankError
        (a ``RuntimeError``) if a rank raised or died: names the rank that failed first, the
        exception's type and message, includes that rank's traceback, and lists the ranks
        that failed after it (a peer's collective fails once a rank has left the group).
    TimeoutError
        If ranks did not finish within ``timeout``: names them.
    TypeError, ValueError
        For bad arguments, an fn the ranks cannot import, or a backend this machine lacks.

    No rank outlives the call: on an error or a timeout every rank still running is
    terminated, then killed, and waited for. Ranks are daemonic: fn cannot start processes
    of its own (a DataLoader with workers).

    Cost of a call whose ranks do one all-reduce, measured with torch 2.13 and gloo on 2
    busy cores of an AMD EPYC: ``forkserver`` (the default) 0.1-0.4 s for 1-4 ranks, after
    a first call that waits for the server to import PyTorch, DTensor and torch._dynamo
    (3-5 s of a core, once per calling process; :func:`start_rank_server` starts it early);
    ``fork`` 0.1-0.4 s, no start-up, but see :func:`default_start_method`; ``spawn`` 4-15 s,
    as every rank imports PyTorch (about 2 s of a core each). As with every start method
    but ``fork``, a script that calls this must guard its top level with
    ``if __name__ == "__main__":`` (every rank imports the main script).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    _check_sizes(world_size=world_size)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not timeout > 0 or timeout == float("inf"):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout}")
    _check_backend(backend, world_size)
    method = default_start_method() if start_method is None else start_method
    if method not in multiprocessing.get_all_start_methods():
        raise ValueError(
            f"start_method must be one of {multiprocessing.get_all_start_methods()} on this "
            f"platform, got {method!r}"
        )
    if method == "fork" and backend == "nccl" and torch.cuda.is_initialized():
        raise ValueError(
            "start_method='fork' cannot run nccl ranks after this process has used CUDA "
            "(a forked child cannot initialise CUDA again); use 'forkserver' or 'spawn'"
        )
    payload: bytes | tuple = (fn, args) if method == "fork" else _check_picklable_function(
        fn, args, method
    )
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # The server imports these once; each rank is then a fork that imports nothing.
        context.set_forkserver_preload(_PRELOAD)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    # A forked rank runs on one thread: OpenMP's pool, inherited from a caller that used it,
    # hangs a forked child's first parallel operation (measured), unless the child stays on 1.
    threads = 1 if method == "fork" else max(1, (cores or 1) // world_size)
    store = None
    processes: list[multiprocessing.process.BaseProcess] = []
    receivers: dict[multiprocessing.connection.Connection, int] = {}
    results: dict[int, Any] = {}
    failures: dict[int, tuple] = {}  # rank -> (type, message, traceback, time)
    grace_end = 0.0
    try:
        for rank in range(world_size):
            receiver, sender = context.Pipe(duplex=True)
            process = context.Process(
                target=_rank_main,
                args=(rank, world_size, backend, timeout, payload, threads, sender),
                name=f"rank-{rank}",
                daemon=True,
            )
            process.start()
            sender.close()  # the rank holds the only other end: its exit ends the pipe
            processes.append(process)
            receivers[receiver] = rank
        # This process serves the rendezvous, started only now: a thread running while ranks
        # are forked (start_method="fork") hung gloo's set-up in the children (measured).
        # Port 0 lets the system pick a free port: calls at once (pytest-xdist) never collide.
        store = dist.TCPStore(
            _HOST, 0, world_size=None, is_master=True, wait_for_workers=False,
            timeout=timedelta(seconds=timeout),
        )
        for receiver in receivers:
            try:
                receiver.send(store.port)
            except OSError:  # that rank is gone already; the loop below reads why
                pass
        deadline = time.monotonic() + timeout
        while receivers:
            remaining = deadline - time.monotonic()
            if failures:  # the others get a moment to report what it did to them
                remaining = min(remaining, grace_end - time.monotonic())
            if remaining <= 0:
                break
            for receiver in multiprocessing.connection.wait(list(receivers), remaining):
                rank = receivers.pop(receiver)
                try:
                    message = pickle.loads(receiver.recv_bytes())
                except EOFError:
                    processes[rank].join(1.0)
                    message = (
                        "error", "ProcessDied",
                        _death_notice(processes[rank].exitcode, method), "", time.time(),
                    )
                finally:
                    receiver.close()
                if message[0] == "ok":
                    results[rank] = message[1]
                    continue
                if not failures:
                    grace_end = time.monotonic() + _GRACE_SECONDS
                failures[rank] = message[1:]
        if failures:
            raise _first_failure(failures, sorted(receivers.values()))
        if receivers:
            missing = sorted(receivers.values())
            raise TimeoutError(
                f"rank(s) {missing} of {world_size} did not finish within {timeout} s; "
                f"they were stopped"
            )
        # Every rank has sent its result; a moment to leave the group and exit on its own.
        deadline = time.monotonic() + _GRACE_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        return [results[rank] for rank in range(world_size)]
    finally:
        _stop(processes)
        for receiver in receivers:
            receiver.close()
        del store


# ---------------------------------------------------------------------------------------------
# The vocabulary-parallel cross-entropy
# ---------------------------------------------------------------------------------------------


def _check_loss_options(ignore_index: object, reduction: object, label_smoothing: object) -> None:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"ignore_index must be an int, got {type(ignore_index).__name__}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, int | float):
        raise TypeError(
            f"label_smoothing must be a number, got {type(label_smoothing).__name__}"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing}")


def _check_logits_and_targets(logits: object, targets: object) -> None:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if not isinstance(targets, torch.Tensor):
        raise TypeError(f"targets must be a torch.Tensor, got {type(targets).__name__}")
    if logits.dim() != 2:
        raise ValueError(f"logits must be 2-D (tokens, classes), got shape {tuple(logits.shape)}")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be floating point, got {logits.dtype}")
    if targets.dim() != 1:
        raise ValueError(f"targets must be 1-D (one class index per token), got shape "
                         f"{tuple(targets.shape)}")
    if targets.dtype != torch.int64:
        raise TypeError(f"targets must be int64 class indices, got {targets.dtype}")
    if targets.shape[0] != logits.shape[0]:
        raise ValueError(
            f"targets has {targets.shape[0]} entries but logits has {logits.shape[0]} rows"
        )
    if targets.device != logits.device:
        raise ValueError(f"targets is on {targets.device} but logits on {logits.device}")


def _check_targets_in_range(targets: torch.Tensor, vocab_size: int, ignore_index: int) -> None:
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= vocab_size))
    if bool(bad.any()):
        first = int(torch.nonzero(bad)[0, 0])
        raise ValueError(
            f"targets[{first}] = {int(targets[first])} is not a class index in [0, {vocab_size}) "
            f"and not ignore_index={ignore_index}"
        )


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Statistics in float32 at least: 16-bit sums of exponentials lose the small terms."""
    return torch.float32 if torch.finfo(dtype).bits < 32 else dtype


def _vocab_layout(
    num_tokens: int, vocab_start: int, local_size: int, device: torch.device, group: Any
) -> int:
    """All-gather every rank's (tokens, start, size) once: check the shards tile [0, V).

    Returns the global vocabulary size V. Every rank sees the same table, so every rank
    raises the same error (no rank is left waiting in a later collective).
    """
    world = dist.get_world_size(group)
    mine = torch.tensor([num_tokens, vocab_start, local_size], dtype=torch.int64, device=device)
    table = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(table, mine, group=group)
    rows = [tuple(int(v) for v in entry.tolist()) for entry in table]
    if len({tokens for tokens, _, _ in rows}) != 1:
        raise ValueError(
            f"every rank must hold the same tokens: rows of logits per rank {[r[0] for r in rows]}"
        )
    covered = 0
    for rank, (_, start, size) in sorted(enumerate(rows), key=lambda item: item[1][1:]):
        if start != covered:
            raise ValueError(
                f"the shards must tile the vocabulary without gap or overlap: rank {rank} "
                f"starts at class {start} but the shards before it end at {covered} "
                f"(vocab_start, classes) per rank: {[r[1:] for r in rows]}"
            )
        covered = start + size
    if covered == 0:
        raise ValueError("the vocabulary is empty: every rank holds 0 classes")
    return covered


def global_statistics(
    logits: torch.Tensor,
    targets: torch.Tensor,
    vocab_start: int,
    ignore_index: int = -100,
    group: Any = None,
    *,
    logit_sum: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Per token: the log-sum-exp over ALL classes, the target's logit (and the logits' sum).

    Explained in notebook 11 (11_cross_entropy_across_processes). Three all-reduces of one
    number per token, never the logits; ``logit_sum=True`` (label smoothing) adds a fourth.
    """
    tokens, classes = logits.shape
    no_classes = logits.new_full((tokens,), float("-inf"))  # a rank may hold no classes
    row_max = logits.max(dim=1).values if classes else no_classes
    dist.all_reduce(row_max, op=dist.ReduceOp.MAX, group=group)  # 1. the global maximum
    sum_exp = torch.exp(logits - row_max[:, None]).sum(dim=1)  # = s_r e^(m_r - M)
    dist.all_reduce(sum_exp, op=dist.ReduceOp.SUM, group=group)  # 2. the global sum
    local = targets - vocab_start
    here = (targets != ignore_index) & (local >= 0) & (local < classes)
    target_logit = torch.zeros_like(row_max)
    target_logit[here] = logits[here, local[here]]  # only the rank holding the class
    dist.all_reduce(target_logit, op=dist.ReduceOp.SUM, group=group)  # 3. the target logit
    total = None
    if logit_sum:
        total = logits.sum(dim=1)
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)  # 4. for label smoothing
    return row_max + torch.log(sum_exp), target_logit, total


def shard_gradient(
    logits: torch.Tensor,
    targets: torch.Tensor,
    vocab_start: int,
    log_sum_exp: torch.Tensor,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    vocab_size: int = 1,
) -> torch.Tensor:
    """The gradient of each token's loss with respect to this rank's logits, computed locally.

    Explained in notebook 11 (11_cross_entropy_across_processes): the shard's softmax with
    the GLOBAL log-sum-exp, minus the shard's part of the target distribution (the one-hot,
    smoothed by ``label_smoothing`` over ``vocab_size`` classes); zero for ignored tokens.
    No communication. The reduction's scaling comes after.
    """
    gradient = torch.exp(logits - log_sum_exp[:, None])
    if label_smoothing > 0:
        gradient -= label_smoothing / vocab_size
    kept = targets != ignore_index
    local = targets - vocab_start
    here = kept & (local >= 0) & (local < logits.shape[1])
    gradient[here, local[here]] -= 1.0 - label_smoothing
    gradient[~kept] = 0.0
    return gradient


class _VocabParallelCrossEntropy(torch.autograd.Function):
    """Forward: three all-reduces per token (four with label smoothing). Backward: local."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        local_logits: torch.Tensor,
        targets: torch.Tensor,
        vocab_start: int,
        vocab_size: int,
        group: Any,
        ignore_index: int,
        reduction: str,
        label_smoothing: float,
    ) -> torch.Tensor:
        logits = local_logits.to(_compute_dtype(local_logits.dtype))
        log_sum_exp, target_logit, logit_sum = global_statistics(
            logits, targets, vocab_start, ignore_index, group, logit_sum=label_smoothing > 0
        )
        losses = log_sum_exp - target_logit
        if logit_sum is not None:  # the uniform part of the smoothed target
            losses = (1.0 - label_smoothing) * losses + label_smoothing * (
                log_sum_exp - logit_sum / vocab_size
            )
        kept = targets != ignore_index
        losses = torch.where(kept, losses, torch.zeros_like(losses))
        kept_count = int(kept.sum())
        if reduction == "none":
            loss = losses
        elif reduction == "sum":
            loss = losses.sum()
        else:  # as F.cross_entropy: 0 / 0 = nan when every target is ignored
            loss = losses.sum() / kept_count if kept_count else losses.new_tensor(float("nan"))
        ctx.save_for_backward(local_logits, targets, log_sum_exp)
        ctx.options = (vocab_start, ignore_index, label_smoothing, vocab_size)
        ctx.reduction, ctx.kept_count = reduction, kept_count
        return loss.to(local_logits.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple:  # type: ignore[override]
        local_logits, targets, log_sum_exp = ctx.saved_tensors
        logits = local_logits.to(log_sum_exp.dtype)
        gradient = shard_gradient(logits, targets, ctx.options[0], log_sum_exp, *ctx.options[1:])
        grad_output = grad_output.to(gradient.dtype)
        if ctx.reduction == "none":
            gradient *= grad_output[:, None]
        elif ctx.reduction == "sum":
            gradient *= grad_output
        else:  # every token ignored: the gradient is all zeros already (as F.cross_entropy's)
            gradient *= grad_output / max(ctx.kept_count, 1)
        return gradient.to(local_logits.dtype), None, None, None, None, None, None, None


def vocab_parallel_cross_entropy(
    local_logits: torch.Tensor,
    targets: torch.Tensor,
    vocab_start: int,
    group: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Cross-entropy over logits split by classes across the ranks of ``group``.

    Explained in notebook 11 (11_cross_entropy_across_processes). Call it on every rank of
    ``group`` (default: the whole world) inside an initialised process group.

    Parameters
    ----------
    local_logits:
        ``(N, V_r)`` floating point (float32, float64; bfloat16/float16 are computed in
        float32): this rank's logits, for classes ``vocab_start .. vocab_start + V_r - 1``.
        Shards may differ in size, and a shard may be empty (``V_r = 0``, more ranks than
        classes): that rank contributes nothing and gets an ``(N, 0)`` gradient. Together the
        shards must tile ``[0, V)`` without gap or overlap (checked).
    targets:
        ``(N,)`` int64 global class indices in ``[0, V)`` or ``ignore_index``; the same on
        every rank (the number of rows is checked, the values are not compared).
    vocab_start:
        The global index of this rank's first class (an int >= 0).
    ignore_index, reduction, label_smoothing:
        As in :func:`torch.nn.functional.cross_entropy`, with the same results: a mean over
        the kept tokens, ``nan`` (and a zero gradient) when all are ignored with ``"mean"``.

    Returns
    -------
    Tensor
        The same loss on every rank, equal to ``F.cross_entropy`` on the full logits; its
        gradient reaches ``local_logits`` without any communication.

    What is sent: the forward all-reduces three numbers per token, never the logits: the row
    maximum (MAX), the sum of exponentials rescaled to that maximum (SUM) and the target's
    logit (SUM). Label smoothing needs a fourth, the sum of the logits over all classes (SUM).
    Once per call an all-gather of three integers per rank checks the layout and gives ``V``.
    """
    _check_logits_and_targets(local_logits, targets)
    if isinstance(vocab_start, bool) or not isinstance(vocab_start, int):
        raise TypeError(f"vocab_start must be an int, got {type(vocab_start).__name__}")
    if vocab_start < 0:
        raise ValueError(f"vocab_start must be >= 0, got {vocab_start}")
    _check_loss_options(ignore_index, reduction, label_smoothing)
    if not dist.is_initialized():
        raise RuntimeError(
            "vocab_parallel_cross_entropy runs inside a process group: call it in the ranks "
            "that run_on_ranks starts (or after torch.distributed.init_process_group)"
        )
    vocab_size = _vocab_layout(
        local_logits.shape[0], vocab_start, local_logits.shape[1], local_logits.device, group
    )
    _check_targets_in_range(targets, vocab_size, ignore_index)
    return _VocabParallelCrossEntropy.apply(
        local_logits, targets, vocab_start, vocab_size, group, ignore_index, reduction,
        float(label_smoothing),
    )


# ---------------------------------------------------------------------------------------------
# The global mean over data-parallel ranks
# ---------------------------------------------------------------------------------------------


def global_mean_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    group: Any = None,
    *,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """This rank's share of the mean cross-entropy over the kept tokens of ALL ranks.

    Explained in notebook 11 (11_cross_entropy_across_processes). Each rank holds its own
    tokens (data parallel) with the full vocabulary. Returns ``sum of this rank's kept-token
    losses / global count of kept tokens``; the count is all-reduced (SUM; one integer per
    rank). Then:

    * the ranks' returned values add up to ``F.cross_entropy`` on the whole batch, and
    * the ranks' gradients, summed (``all_reduce`` SUM), equal the single-process gradient.

    ``DistributedDataParallel`` AVERAGES gradients over the ranks: with it, multiply the
    returned loss by the world size. Averaging each rank's own mean instead
    (:func:`mean_of_rank_means`) weighs a rank's tokens by ``1 / its count``: wrong whenever
    padding leaves the ranks unequal counts. Gradient accumulation in one process is the same
    problem over steps: divide each step's summed loss by the kept count of all the steps.
    Every token ignored on every rank: ``nan``, as ``F.cross_entropy``.
    """
    _check_logits_and_targets(logits, targets)
    _check_loss_options(ignore_index, "sum", label_smoothing)
    if not dist.is_initialized():
        raise RuntimeError(
            "global_mean_cross_entropy runs inside a process group: call it in the ranks "
            "that run_on_ranks starts (or after torch.distributed.init_process_group)"
        )
    _check_targets_in_range(targets, logits.shape[1], ignore_index)
    loss_sum = F.cross_entropy(
        logits, targets, ignore_index=ignore_index, reduction="sum",
        label_smoothing=label_smoothing,
    )
    kept = (targets != ignore_index).sum().to(torch.int64)
    dist.all_reduce(kept, op=dist.ReduceOp.SUM, group=group)
    if int(kept) == 0:
        return loss_sum * float("nan")  # as F.cross_entropy; the gradient stays zero
    return loss_sum / kept.to(loss_sum.dtype)


def mean_of_rank_means(
    logits_per_rank: Sequence[torch.Tensor],
    targets_per_rank: Sequence[torch.Tensor],
    *,
    ignore_index: int = -100,
) -> torch.Tensor:
    """The WRONG global mean: the average of the ranks' own means (what averaging per-rank
    losses, or DDP's gradient average of per-rank means, computes). Notebook 11
    (11_cross_entropy_across_processes) shows where it differs.

    Pure: no processes, the ranks' batches given as lists. A rank whose tokens are all
    ignored has a ``nan`` mean, which makes the result ``nan`` too, as it would in training.
    It equals the true mean only when every rank keeps the same number of tokens.
    """
    if isinstance(logits_per_rank, torch.Tensor) or isinstance(targets_per_rank, torch.Tensor):
        raise TypeError(
            "logits_per_rank and targets_per_rank must be lists of tensors, one per rank"
        )
    if len(logits_per_rank) != len(targets_per_rank) or not logits_per_rank:
        raise ValueError(
            f"need one logits and one targets tensor per rank, got {len(logits_per_rank)} "
            f"and {len(targets_per_rank)}"
        )
    means = []
    for logits, targets in zip(logits_per_rank, targets_per_rank, strict=True):
        _check_logits_and_targets(logits, targets)
        means.append(F.cross_entropy(logits, targets, ignore_index=ignore_index))
    return torch.stack(means).mean()


# ---------------------------------------------------------------------------------------------
# Proofs: module-level functions that a test or the notebook passes to run_on_ranks
# ---------------------------------------------------------------------------------------------


def shard_boundaries(vocab_size: int, world_size: int) -> list[int]:
    """Class boundaries ``[0, b1, ..., V]`` of ``world_size`` shards as ``torch.chunk`` cuts
    them (and DTensor's ``Shard(1)``): ``ceil(V / p)`` classes per rank, the last ranks get
    fewer, possibly none. Notebook 11 (11_cross_entropy_across_processes)."""
    _check_sizes(vocab_size=vocab_size, world_size=world_size)
    per_rank = -(-vocab_size // world_size)
    return [min(rank * per_rank, vocab_size) for rank in range(world_size + 1)]


@dataclass(frozen=True)
class CrossEntropyCase:
    """One check of the vocabulary-parallel loss (notebook 11, 11_cross_entropy_across_processes).

    ``logits`` (N, V) and ``targets`` (N,) are the full problem; ``boundaries`` cut the
    classes into one shard per rank (``[0, ..., V]``, ``world_size + 1`` entries; ``None``:
    :func:`shard_boundaries`); ``grad_output`` is the incoming gradient (a scalar, or (N,)
    for ``reduction="none"``; ``None``: ones).
    """

    name: str
    logits: torch.Tensor
    targets: torch.Tensor
    boundaries: tuple[int, ...] | None = None
    ignore_index: int = -100
    reduction: str = "mean"
    label_smoothing: float = 0.0
    grad_output: torch.Tensor | None = None

    def __post_init__(self) -> None:
        """Check the case as F.cross_entropy would, with the case's name in the message."""
        try:
            _check_logits_and_targets(self.logits, self.targets)
            _check_loss_options(self.ignore_index, self.reduction, self.label_smoothing)
            _check_targets_in_range(self.targets, self.logits.shape[1], self.ignore_index)
        except (TypeError, ValueError) as error:
            raise type(error)(f"case {self.name!r}: {error}") from None
        if self.grad_output is not None:
            expected = tuple(self.targets.shape) if self.reduction == "none" else ()
            if tuple(self.grad_output.shape) != expected:
                raise ValueError(
                    f"case {self.name!r}: grad_output must have shape {expected} for "
                    f"reduction={self.reduction!r}, got {tuple(self.grad_output.shape)}"
                )

    def bounds(self, world_size: int) -> list[int]:
        """The boundaries for ``world_size`` ranks, checked."""
        vocab_size = self.logits.shape[1]
        bounds = (
            shard_boundaries(vocab_size, world_size)
            if self.boundaries is None else list(self.boundaries)
        )
        if len(bounds) != world_size + 1:
            raise ValueError(
                f"case {self.name!r}: {len(bounds)} boundaries for {world_size} ranks, "
                f"need {world_size + 1}"
            )
        if bounds[0] != 0 or bounds[-1] != vocab_size or any(
            a > b for a, b in zip(bounds, bounds[1:], strict=False)
        ):
            raise ValueError(
                f"case {self.name!r}: boundaries must rise from 0 to {vocab_size}, got {bounds}"
            )
        return bounds

    def incoming_gradient(self) -> torch.Tensor:
        """The gradient fed to ``backward``."""
        if self.grad_output is not None:
            return self.grad_output
        shape = self.targets.shape if self.reduction == "none" else ()
        return torch.ones(shape, dtype=self.logits.dtype)


def _backward(loss: torch.Tensor, incoming: torch.Tensor) -> None:
    """``loss.backward(incoming)``, written so that autograd does not import sympy.

    Given a gradient tensor, ``Tensor.backward`` checks its shape with torch.fx's symbolic
    shapes, whose first import costs about a second in every fresh process (every rank).
    The gradient of ``(loss * incoming).sum()`` is the same, bit for bit.
    """
    (loss * incoming).sum().backward()


def reference_cross_entropy(case: CrossEntropyCase) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-process ``F.cross_entropy`` on the full logits: ``(loss, gradient (N, V))``."""
    logits = case.logits.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(
        logits, case.targets, ignore_index=case.ignore_index, reduction=case.reduction,
        label_smoothing=case.label_smoothing,
    )
    _backward(loss, case.incoming_gradient())
    return loss.detach(), logits.grad


def vocab_parallel_on_rank(
    rank: int, world_size: int, cases: Sequence[CrossEntropyCase]
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """For :func:`run_on_ranks`: this rank's ``(loss, gradient of its shard)`` per case.

    The rank cuts its shard out of each case's full logits, computes
    :func:`vocab_parallel_cross_entropy` and its backward. Comparing against
    :func:`reference_cross_entropy`: every rank's loss equals the reference loss, and the
    shards' gradients, concatenated, equal the reference gradient. Notebook 11
    (11_cross_entropy_across_processes).
    """
    device = _rank_device(rank)
    results = []
    for case in cases:
        bounds = case.bounds(world_size)
        shard = case.logits[:, bounds[rank]:bounds[rank + 1]].to(device).clone()
        shard.requires_grad_(True)
        loss = vocab_parallel_cross_entropy(
            shard, case.targets.to(device), bounds[rank], ignore_index=case.ignore_index,
            reduction=case.reduction, label_smoothing=case.label_smoothing,
        )
        _backward(loss, case.incoming_gradient().to(device))
        results.append((loss.detach(), shard.grad))
    return results


def loss_parallel_on_rank(
    rank: int, world_size: int, cases: Sequence[CrossEntropyCase]
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """For :func:`run_on_ranks`: the same as :func:`vocab_parallel_on_rank`, computed by
    PyTorch's own ``torch.distributed.tensor.parallel.loss_parallel()``.

    The logits become a ``DTensor`` sharded on the classes (``Shard(1)``) over a CPU (or
    GPU) ``DeviceMesh`` of the world; ``F.cross_entropy`` and ``backward`` run inside the
    context manager. ``Shard(1)`` cuts as :func:`shard_boundaries` does, so cases must use
    those boundaries. ``loss_parallel`` does not support ``label_smoothing``: with torch 2.13
    it raises ``RuntimeError: aten.masked_fill_.Scalar got mixed torch.Tensor and DTensor``.
    Notebook 11 (11_cross_entropy_across_processes).
    """
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor.parallel import loss_parallel

    DTensor, Shard = _dtensor_api()

    for case in cases:
        if case.logits.dtype not in loss_parallel_dtypes():
            raise ValueError(
                f"case {case.name!r}: loss_parallel's backward in torch {torch.__version__} "
                f"supports logits of {[str(d) for d in loss_parallel_dtypes()]}, not "
                f"{case.logits.dtype} (see loss_parallel_dtypes)"
            )
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    mesh = init_device_mesh(device, (world_size,))
    results = []
    for case in cases:
        bounds = case.bounds(world_size)
        if bounds != shard_boundaries(case.logits.shape[1], world_size):
            raise ValueError(
                f"case {case.name!r}: DTensor's Shard(1) cuts the classes as torch.chunk does "
                f"({shard_boundaries(case.logits.shape[1], world_size)}), not {bounds}"
            )
        local = case.logits[:, bounds[rank]:bounds[rank + 1]].to(device)
        local = local.clone().requires_grad_(True)
        sharded = DTensor.from_local(
            local, mesh, [Shard(1)], run_check=False,
            shape=case.logits.shape, stride=case.logits.stride(),
        )
        with loss_parallel():
            loss = F.cross_entropy(
                sharded, case.targets.to(device), ignore_index=case.ignore_index,
                reduction=case.reduction, label_smoothing=case.label_smoothing,
            )
            _backward(loss, _replicated_like(loss, case.incoming_gradient().to(device)))
        results.append((_local(loss), local.grad))
    return results


def loss_parallel_dtypes() -> tuple[torch.dtype, ...]:
    """Of the logits' dtypes notebook 11 compares (float64, float32), those whose backward
    PyTorch's ``loss_parallel`` computes in this version of PyTorch.

    Notebook 11 (11_cross_entropy_across_processes) compares :func:`loss_parallel_on_rank`
    with ours in these. torch 2.4's backward builds its update to the gradient in float32
    (``mask.float() - 1.0``) and fails for any other dtype ("Index put requires the source and
    destination dtypes match, got Double for the destination and Float for the source";
    pytorch/pytorch#130549); later versions build it in the logits' dtype.
    """
    if tuple(int(part) for part in torch.__version__.split(".")[:2]) < (2, 5):
        return (torch.float32,)
    return (torch.float64, torch.float32)


def _dtensor_api() -> tuple[Any, Any]:
    """``DTensor`` and ``Shard``: public in ``torch.distributed.tensor`` from torch 2.5 on."""
    try:
        from torch.distributed.tensor import DTensor, Shard
    except ImportError:  # torch 2.4, the oldest the course supports
        from torch.distributed._tensor import DTensor, Shard
    return DTensor, Shard


def _local(value: Any) -> torch.Tensor:
    return value.to_local().detach() if hasattr(value, "to_local") else value.detach()


def _replicated_like(loss: Any, gradient: torch.Tensor) -> Any:
    """The incoming gradient as a DTensor placed as the loss (loss_parallel returns one)."""
    if not hasattr(loss, "placements"):
        return gradient
    DTensor, _ = _dtensor_api()
    return DTensor.from_local(gradient, loss.device_mesh, loss.placements, run_check=False)


def global_mean_on_rank(
    rank: int,
    world_size: int,
    logits_per_rank: Sequence[torch.Tensor],
    targets_per_rank: Sequence[torch.Tensor],
    ignore_index: int = -100,
) -> tuple[torch.Tensor, torch.Tensor]:
    """For :func:`run_on_ranks`: this rank's :func:`global_mean_cross_entropy` on its own
    batch, and the gradient after an all-reduce SUM over ranks: ``(loss share, gradient of
    this rank's logits)``. The shares add up to the single-process mean over all batches
    concatenated, and the gradient equals that mean's gradient for these rows.
    Notebook 11 (11_cross_entropy_across_processes).
    """
    device = _rank_device(rank)
    logits = logits_per_rank[rank].detach().to(device).clone().requires_grad_(True)
    targets = targets_per_rank[rank].to(device)
    loss = global_mean_cross_entropy(logits, targets, ignore_index=ignore_index)
    loss.backward()
    # Each rank's logits are its own rows: the gradient of the global mean for them is
    # exactly this rank's; a model's shared weights would all-reduce (SUM) theirs.
    return loss.detach(), logits.grad


def data_parallel_on_rank(
    rank: int,
    world_size: int,
    features_per_rank: Sequence[torch.Tensor],
    targets_per_rank: Sequence[torch.Tensor],
    weight: torch.Tensor,
    ignore_index: int = -100,
) -> dict[str, torch.Tensor]:
    """For :func:`run_on_ranks`: data parallelism with a shared output layer ``weight`` (D, V).

    Rank ``r`` computes the logits ``features_per_rank[r] @ weight`` of its own tokens and
    the gradient of the shared weight two ways, each combined over ranks as
    ``DistributedDataParallel`` would:

    * ``"mean of means"``: its own ``F.cross_entropy`` mean, gradients AVERAGED over ranks
      (what DDP does with a per-rank mean loss): wrong when the ranks keep unequal counts;
    * ``"global mean"``: :func:`global_mean_cross_entropy`, gradients SUMMED over ranks
      (or, with DDP's average, the loss multiplied by the world size first): equal to one
      process's gradient of ``F.cross_entropy`` on all tokens.

    Returns both weight gradients (the same on every rank) and ``"loss share"``.
    Notebook 11 (11_cross_entropy_across_processes).
    """
    device = _rank_device(rank)
    features, targets = features_per_rank[rank].to(device), targets_per_rank[rank].to(device)
    weight = weight.to(device)
    gradients: dict[str, torch.Tensor] = {}
    for name in ("mean of means", "global mean"):
        shared = weight.detach().clone().requires_grad_(True)
        logits = features @ shared
        if name == "mean of means":
            loss = F.cross_entropy(logits, targets, ignore_index=ignore_index)
        else:
            loss = global_mean_cross_entropy(logits, targets, ignore_index=ignore_index)
            gradients["loss share"] = loss.detach()
        loss.backward()
        dist.all_reduce(shared.grad, op=dist.ReduceOp.SUM)
        if name == "mean of means":
            shared.grad /= world_size  # DDP averages
        gradients[name] = shared.grad
    return gradients


def _rank_device(rank: int) -> torch.device:
    """Where a rank's tensors live: its GPU under nccl, else the CPU."""
    return torch.device("cuda", rank) if dist.get_backend() == "nccl" else torch.device("cpu")


def all_reduce_demo(rank: int, world_size: int) -> dict[str, Any]:
    """For :func:`run_on_ranks`: one all-reduce SUM and one MAX of a rank-dependent number.

    Rank ``r`` holds ``(r + 1) ** 2``; every rank ends with the sum and the maximum over
    ranks. Returns ``{"backend", "rank", "before", "sum", "max"}`` (plain numbers).
    Notebook 11 (11_cross_entropy_across_processes).
    """
    before = torch.tensor([float((rank + 1) ** 2)], device=_rank_device(rank))
    total, largest = before.clone(), before.clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    dist.all_reduce(largest, op=dist.ReduceOp.MAX)
    return {
        "backend": dist.get_backend(), "rank": rank, "before": before.item(),
        "sum": total.item(), "max": largest.item(),
    }


@dataclass
class _StepProblem:
    """One rank's part of a (tokens, vocab_size) problem: its shard and the shared targets."""

    shard: torch.Tensor
    targets: torch.Tensor
    start: int
    sizes: list[int]

    @classmethod
    def make(cls, rank: int, world_size: int, tokens: int, vocab_size: int,
             dtype: torch.dtype) -> _StepProblem:
        device = _rank_device(rank)
        bounds = shard_boundaries(vocab_size, world_size)
        generator = torch.Generator().manual_seed(0)  # the same targets on every rank
        targets = torch.randint(0, vocab_size, (tokens,), generator=generator).to(device)
        size = bounds[rank + 1] - bounds[rank]
        shard = torch.randn(tokens, size, generator=torch.Generator().manual_seed(rank + 1))
        shard = shard.to(device=device, dtype=dtype).requires_grad_(True)
        return cls(shard, targets, bounds[rank],
                   [b - a for a, b in zip(bounds, bounds[1:], strict=False)])

    def gather_logits(self) -> torch.Tensor:
        """Every rank's shard, gathered: the full (tokens, vocab_size) logits."""
        chunk = max(self.sizes)  # all_gather needs equal pieces: the last ones are padded
        padded = F.pad(self.shard.detach(), (0, chunk - self.shard.shape[1]))
        pieces = [torch.empty_like(padded) for _ in self.sizes]
        dist.all_gather(pieces, padded)
        pieces = [piece[:, :size] for piece, size in zip(pieces, self.sizes, strict=True)]
        return torch.cat(pieces, dim=1)


def time_step_on_rank(
    rank: int,
    world_size: int,
    tokens: int,
    vocab_size: int,
    repeats: int = 5,
    dtype: torch.dtype = torch.float32,
) -> dict[str, float]:
    """For :func:`run_on_ranks`: the best seconds of a forward and backward step, two ways.

    * ``"three all-reduces"``: :func:`vocab_parallel_cross_entropy` on this rank's shard;
    * ``"all-gather the logits"``: every rank gathers all the logits (``dist.all_gather``),
      runs ``F.cross_entropy`` on the full ``(tokens, vocab_size)`` matrix and keeps its
      shard's gradient.

    The shards are cut by :func:`shard_boundaries`; a barrier precedes every repeat, and
    the best of ``repeats`` is returned. Notebook 11 (11_cross_entropy_across_processes).
    """
    _check_sizes(tokens=tokens, vocab_size=vocab_size, repeats=repeats)
    problem = _StepProblem.make(rank, world_size, tokens, vocab_size, dtype)
    shard = problem.shard

    def three_all_reduces() -> None:
        vocab_parallel_cross_entropy(shard, problem.targets, problem.start).backward()

    def all_gather_logits() -> None:
        full = problem.gather_logits().requires_grad_(True)
        F.cross_entropy(full, problem.targets).backward()
        shard.grad = full.grad[:, problem.start:problem.start + shard.shape[1]]

    best = {}
    for name, step in (("three all-reduces", three_all_reduces),
                       ("all-gather the logits", all_gather_logits)):
        times = []
        for _ in range(repeats + 1):  # the first is a warm-up
            shard.grad = None
            dist.barrier()
            begin = time.perf_counter()
            step()
            if shard.device.type == "cuda":
                torch.cuda.synchronize(shard.device)
            times.append(time.perf_counter() - begin)
        best[name] = min(times[1:])
    return best


def bytes_written() -> int | None:
    """Bytes this process has written so far (to sockets, pipes and files, all its threads),
    as Linux counts them (``wchar`` in ``/proc/self/io``); ``None`` on systems that do not
    count them (macOS, Windows). Notebook 11 (11_cross_entropy_across_processes) measures
    what each rank sends with it.
    """
    try:
        with open("/proc/self/io") as file:
            for line in file:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def bytes_sent_on_rank(
    rank: int, world_size: int, tokens: int, vocab_size: int
) -> dict[str, float] | None:
    """For :func:`run_on_ranks`: the bytes this rank writes per token, measured.

    Float32 logits of ``tokens`` tokens and ``vocab_size`` classes, cut by
    :func:`shard_boundaries`; each step is measured by :func:`bytes_written` around it:

    * ``"forward"``: :func:`vocab_parallel_cross_entropy`'s forward (its three all-reduces);
    * ``"backward"``: its backward (it sends nothing);
    * ``"all-gather the logits"``: ``dist.all_gather`` of every rank's shard.

    Compare with :func:`bytes_per_token`'s count: gloo's messages add a header each, which
    matters only for small messages. ``None`` where the system does not count writes.
    Only ``gloo`` sends through the process's sockets (nccl's transfers are not writes).
    Notebook 11 (11_cross_entropy_across_processes).
    """
    _check_sizes(tokens=tokens, vocab_size=vocab_size)
    if dist.get_backend() != "gloo":
        raise ValueError(
            f"bytes are measured as the process's writes to its sockets: gloo only, not "
            f"{dist.get_backend()!r}"
        )
    if bytes_written() is None:
        return None
    problem = _StepProblem.make(rank, world_size, tokens, vocab_size, torch.float32)
    marks = [bytes_written()]
    loss = vocab_parallel_cross_entropy(problem.shard, problem.targets, problem.start)
    marks.append(bytes_written())
    loss.backward()
    marks.append(bytes_written())
    problem.gather_logits()
    marks.append(bytes_written())
    names = ("forward", "backward", "all-gather the logits")
    return {name: (after - before) / tokens
            for name, before, after in zip(names, marks, marks[1:], strict=False)}


# ---------------------------------------------------------------------------------------------
# Stretch: notebook 08's fused linear cross-entropy on vocabulary shards
# ---------------------------------------------------------------------------------------------


def _chunks(classes: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(start, min(start + chunk_size, classes)) for start in range(0, classes, chunk_size)]


class _VocabParallelLinearCrossEntropy(torch.autograd.Function):
    """Each rank holds rows of the output layer; logits exist one chunk of classes at a time."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        targets: torch.Tensor,
        vocab_start: int,
        group: Any,
        ignore_index: int,
        reduction: str,
        chunk_size: int,
    ) -> torch.Tensor:
        tokens, classes = hidden.shape[0], weight.shape[0]
        row_max = hidden.new_full((tokens,), float("-inf"))
        sum_exp = hidden.new_zeros(tokens)
        target_logit = hidden.new_zeros(tokens)
        local = targets - vocab_start
        for start, stop in _chunks(classes, chunk_size):  # 07's merge rule, chunk by chunk
            logits = hidden @ weight[start:stop].T
            new_max = torch.maximum(row_max, logits.max(dim=1).values)
            sum_exp = sum_exp * torch.exp(row_max - new_max) + torch.exp(
                logits - new_max[:, None]
            ).sum(dim=1)
            row_max = new_max
            here = (targets != ignore_index) & (local >= start) & (local < stop)
            target_logit[here] = logits[here, local[here] - start]
        # the same three all-reduces as vocab_parallel_cross_entropy
        global_max = row_max.clone()
        dist.all_reduce(global_max, op=dist.ReduceOp.MAX, group=group)
        sum_exp = torch.where(sum_exp > 0, sum_exp * torch.exp(row_max - global_max), sum_exp)
        dist.all_reduce(sum_exp, op=dist.ReduceOp.SUM, group=group)
        dist.all_reduce(target_logit, op=dist.ReduceOp.SUM, group=group)
        log_sum_exp = global_max + torch.log(sum_exp)
        kept = targets != ignore_index
        losses = torch.where(kept, log_sum_exp - target_logit, torch.zeros_like(log_sum_exp))
        kept_count = int(kept.sum())
        if reduction == "none":
            loss = losses
        elif reduction == "sum":
            loss = losses.sum()
        else:
            loss = losses.sum() / kept_count if kept_count else losses.new_tensor(float("nan"))
        ctx.save_for_backward(hidden, weight, targets, log_sum_exp)
        ctx.options = (vocab_start, group, ignore_index, reduction, chunk_size, kept_count)
        return loss

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple:  # type: ignore[override]
        hidden, weight, targets, log_sum_exp = ctx.saved_tensors
        vocab_start, group, ignore_index, reduction, chunk_size, kept_count = ctx.options
        if reduction == "none":
            scale = grad_output[:, None]
        elif reduction == "sum":
            scale = grad_output
        else:
            scale = grad_output / max(kept_count, 1)
        grad_hidden = torch.zeros_like(hidden)
        grad_weight = torch.zeros_like(weight)
        for start, stop in _chunks(weight.shape[0], chunk_size):  # recomputed, then dropped
            logits = hidden @ weight[start:stop].T
            gradient = shard_gradient(
                logits, targets, vocab_start + start, log_sum_exp, ignore_index
            ) * scale
            grad_weight[start:stop] = gradient.T @ hidden
            grad_hidden += gradient @ weight[start:stop]
        # hidden is the same on every rank and each rank saw only its classes: the hidden
        # state's gradient is the SUM of the ranks' parts (the backward's only communication)
        dist.all_reduce(grad_hidden, op=dist.ReduceOp.SUM, group=group)
        return grad_hidden, grad_weight, None, None, None, None, None, None


def vocab_parallel_linear_cross_entropy(
    hidden: torch.Tensor,
    weight_shard: torch.Tensor,
    targets: torch.Tensor,
    vocab_start: int,
    group: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    chunk_size: int = 4096,
) -> torch.Tensor:
    """Notebook 08's fused linear cross-entropy with the output layer split by classes.

    Notebook 11 (11_cross_entropy_across_processes). ``hidden`` (N, D) is the same on every
    rank; ``weight_shard`` (V_r, D) holds the rows of the output layer for classes
    ``vocab_start .. vocab_start + V_r - 1``. The loss equals
    ``F.cross_entropy(hidden @ W.T, targets)`` for the full ``W``: no rank ever holds more
    than ``N x chunk_size`` logits. The forward sends the same three numbers per token as
    :func:`vocab_parallel_cross_entropy`; the backward recomputes each chunk's logits and
    all-reduces (SUM) the hidden state's gradient, ``N x D`` numbers, since every rank's
    classes contribute to it. No bias, no label smoothing.
    """
    _check_logits_and_targets(hidden, targets)
    if not isinstance(weight_shard, torch.Tensor) or weight_shard.dim() != 2:
        raise ValueError("weight_shard must be a 2-D tensor (classes of this rank, D)")
    if weight_shard.shape[1] != hidden.shape[1] or weight_shard.dtype != hidden.dtype:
        raise ValueError(
            f"weight_shard {tuple(weight_shard.shape)} {weight_shard.dtype} does not match "
            f"hidden {tuple(hidden.shape)} {hidden.dtype} (same D and dtype)"
        )
    if isinstance(vocab_start, bool) or not isinstance(vocab_start, int) or vocab_start < 0:
        raise ValueError(f"vocab_start must be an int >= 0, got {vocab_start!r}")
    _check_sizes(chunk_size=chunk_size)
    _check_loss_options(ignore_index, reduction, 0.0)
    if not dist.is_initialized():
        raise RuntimeError("vocab_parallel_linear_cross_entropy runs inside a process group")
    vocab_size = _vocab_layout(
        hidden.shape[0], vocab_start, weight_shard.shape[0], hidden.device, group
    )
    _check_targets_in_range(targets, vocab_size, ignore_index)
    return _VocabParallelLinearCrossEntropy.apply(
        hidden, weight_shard, targets, vocab_start, group, ignore_index, reduction, chunk_size
    )


def linear_cross_entropy_on_rank(
    rank: int,
    world_size: int,
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    reduction: str = "mean",
    chunk_size: int = 4096,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For :func:`run_on_ranks`: this rank's rows of ``weight`` (cut by
    :func:`shard_boundaries`), :func:`vocab_parallel_linear_cross_entropy` and its
    backward (incoming gradient: ones); returns ``(loss, gradient of hidden, gradient of this
    rank's rows)``. Notebook 11 (11_cross_entropy_across_processes)."""
    device = _rank_device(rank)
    bounds = shard_boundaries(weight.shape[0], world_size)
    shard = weight[bounds[rank]:bounds[rank + 1]].to(device).clone().requires_grad_(True)
    leaf = hidden.to(device).clone().requires_grad_(True)
    loss = vocab_parallel_linear_cross_entropy(
        leaf, shard, targets.to(device), bounds[rank], reduction=reduction,
        chunk_size=chunk_size,
    )
    loss.sum().backward()
    return loss.detach(), leaf.grad, shard.grad


# ---------------------------------------------------------------------------------------------
# What is sent
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BytesPerToken:
    """Bytes that ONE rank sends per token (notebook 11, 11_cross_entropy_across_processes).

    ``statistics``: the vocabulary-parallel loss's all-reduces (3 numbers, 4 with label
    smoothing); ``gather_logits``: all-gathering the logits so that every rank could run the
    ordinary loss; ``hidden_gradient``: the backward's all-reduce of the hidden state's
    gradient (``hidden_size`` numbers) when the output layer is split too (section 8), or
    ``None``. Exact fractions; ``ratio`` is how many times more the gather sends.
    """

    vocab_size: int
    world_size: int
    statistics: Fraction
    gather_logits: Fraction
    hidden_gradient: Fraction | None = None

    @property
    def ratio(self) -> Fraction:
        return self.gather_logits / self.statistics if self.statistics else Fraction(0)


def bytes_per_token(
    vocab_size: int,
    world_size: int,
    dtype: torch.dtype = torch.float32,
    *,
    label_smoothing: bool = False,
    hidden_size: int | None = None,
) -> BytesPerToken:
    """Count the bytes one rank sends per token, assuming ring algorithms.

    A ring all-reduce of ``B`` bytes over ``p`` ranks is a reduce-scatter then an all-gather:
    each rank sends ``2 (p - 1) / p * B``. A ring all-gather of ``p`` shards of ``V / p``
    values each sends ``(p - 1) / p * V`` values per rank. The statistics are all-reduced in
    the dtype :func:`vocab_parallel_cross_entropy` computes them in (float32 for 16-bit
    logits); the gathered logits, and the hidden state's gradient (counted when
    ``hidden_size`` is given), keep ``dtype``. :func:`bytes_sent_on_rank` measures them.
    Notebook 11 (11_cross_entropy_across_processes).
    """
    _check_sizes(vocab_size=vocab_size, world_size=world_size)
    if hidden_size is not None:
        _check_sizes(hidden_size=hidden_size)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    numbers = 4 if label_smoothing else 3
    statistic_bytes = torch.finfo(_compute_dtype(dtype)).bits // 8
    logit_bytes = torch.finfo(dtype).bits // 8
    share = Fraction(world_size - 1, world_size)
    return BytesPerToken(
        vocab_size=vocab_size,
        world_size=world_size,
        statistics=2 * share * numbers * statistic_bytes,
        gather_logits=share * vocab_size * logit_bytes,
        hidden_gradient=None if hidden_size is None else 2 * share * hidden_size * logit_bytes,
    )
