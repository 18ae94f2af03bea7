"""helpers.distributed (notebook 11): real processes on gloo against single-process PyTorch.

Cheap by construction: each world size runs all its cases inside ONE run_on_ranks call
(starting processes is what costs), on tiny tensors, and the ranks are forks of this test
process (``START``): the default start method, ``forkserver``, first starts a server that
imports PyTorch, DTensor and torch._dynamo (about 3.5 s of a core, once per process). The
forkserver path runs in ``make test`` all the same: notebook 11 runs every rank through it.
"""

import os
import time
from fractions import Fraction

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from helpers.distributed import (
    BytesPerToken,
    CrossEntropyCase,
    RankError,
    all_reduce_demo,
    bytes_per_token,
    bytes_sent_on_rank,
    data_parallel_on_rank,
    default_start_method,
    global_mean_cross_entropy,
    global_mean_on_rank,
    global_statistics,
    linear_cross_entropy_on_rank,
    loss_parallel_dtypes,
    loss_parallel_on_rank,
    mean_of_rank_means,
    reference_cross_entropy,
    run_on_ranks,
    shard_boundaries,
    shard_gradient,
    start_rank_server,
    time_step_on_rank,
    vocab_parallel_cross_entropy,
    vocab_parallel_on_rank,
)

# A pytest process runs no thread of its own while a test forks (Jupyter kernels do, which is
# why the default is forkserver); forked ranks run on one thread (see run_on_ranks).
START = "fork"


def import_what_ranks_need():
    """What the forkserver preloads, imported once in this process, whose forks the ranks
    are: DTensor's loss_parallel, and torch._dynamo (DTensor.from_local and optimizers import
    it on first use). Here, not at the top: every worker collects this file."""
    import torch._dynamo  # noqa: F401
    import torch.distributed.tensor.parallel  # noqa: F401


RTOL = {torch.float64: 1e-10, torch.float32: 1e-5, torch.bfloat16: 2e-2}
VOCAB = 13


def make_case(name, dtype=torch.float64, *, tokens=6, vocab=VOCAB, scale=1.0, seed=0,
              targets=None, **options):
    generator = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(tokens, vocab, generator=generator, dtype=torch.float64)
    if targets is None:
        targets = torch.randint(0, vocab, (tokens,), generator=generator)
        targets[1] = -100 if options.get("ignore_index", -100) == -100 else targets[1]
    if options.get("reduction") == "none":
        incoming = torch.rand(tokens, generator=generator, dtype=torch.float64)
        options["grad_output"] = incoming.to(dtype)
    return CrossEntropyCase(name, logits.to(dtype), torch.as_tensor(targets), **options)


def cases_for(world_size):
    """Every case runs on world_size ranks; boundaries tuples are for that world size."""
    uneven = {2: (0, 3, VOCAB), 4: (0, 1, 7, 7, VOCAB)}[world_size]  # 4: rank 2 holds nothing
    no_target_on_rank_0 = torch.tensor([5, 9, 12, 4, 6, 11])  # rank 0 holds classes 0..2 or 0
    return [
        make_case("float64 mean"),
        make_case("float32 mean", torch.float32),
        make_case("uneven shards", boundaries=uneven),
        make_case("rank 0 holds no target", boundaries=uneven, targets=no_target_on_rank_0),
        make_case("all targets ignored", targets=torch.full((6,), -100)),
        make_case("all ignored, sum", targets=torch.full((6,), -100), reduction="sum"),
        make_case("large logits", scale=1e4, seed=1),
        make_case("large logits float32", torch.float32, scale=1e4, seed=1),
        make_case("label smoothing", label_smoothing=0.2),
        make_case("smoothing, uneven, sum", label_smoothing=0.7, reduction="sum",
                  boundaries=uneven),
        make_case("smoothing 1", label_smoothing=1.0),
        make_case("reduction none", reduction="none", label_smoothing=0.1),
        make_case("reduction sum", reduction="sum", scale=3.0),
        make_case("ignore_index is a class", ignore_index=4,
                  targets=torch.tensor([4, 0, 4, 12, 7, 3])),
        make_case("bfloat16", torch.bfloat16),
    ]


def assert_relative_close(got, expected, rtol, what):
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    if expected.isnan().all():
        assert got.isnan().all(), (what, got)
        return
    scale = expected.abs().max().item()
    difference = (got - expected).abs().max().item()
    assert difference <= rtol * scale if scale > 0 else difference == 0, (what, difference, scale)


def assert_matches_reference(results, cases, world_size):
    assert len(results) == world_size
    for index, case in enumerate(cases):
        expected_loss, expected_grad = reference_cross_entropy(case)
        bounds = case.bounds(world_size)
        rtol = RTOL[case.logits.dtype]
        for rank in range(world_size):
            loss, grad = results[rank][index]
            what = f"{case.name}, rank {rank} of {world_size}"
            assert_relative_close(loss.float(), expected_loss.float(), rtol, what)
            assert_relative_close(grad, expected_grad[:, bounds[rank]:bounds[rank + 1]], rtol, what)


@pytest.fixture(scope="module")
def results_by_world():
    """One run_on_ranks call per world size, every case inside it."""
    return {w: run_on_ranks(vocab_parallel_on_rank, w, cases_for(w), timeout=30,
                             start_method=START)
            for w in (2, 4)}


@pytest.mark.parametrize("world_size", [2, 4])
def test_vocab_parallel_matches_cross_entropy_on_the_full_logits(results_by_world, world_size):
    assert_matches_reference(results_by_world[world_size], cases_for(world_size), world_size)


def test_the_cases_meet_their_edge_cases(results_by_world):
    """The cases are what their names say (a comparison of two nans proves little otherwise)."""
    cases = {case.name: case for case in cases_for(4)}
    bounds = cases["rank 0 holds no target"].bounds(4)
    assert not (cases["rank 0 holds no target"].targets < bounds[1]).any()
    assert bounds[2] == bounds[3]  # an empty shard
    loss, grad = results_by_world[4][0][list(cases).index("all targets ignored")]
    assert loss.isnan() and grad.shape == (6, 4) and (grad == 0).all()
    _, grad = results_by_world[4][2][list(cases).index("uneven shards")]
    assert grad.shape == (6, 0)
    loss, _ = results_by_world[4][0][list(cases).index("large logits")]
    assert loss.isfinite() and cases["large logits"].logits.abs().max() > 1e4


def both_losses_and_smoothing_error(rank, world_size, cases, smoothing_case):
    """Ours and loss_parallel on the same cases, then loss_parallel's error for label
    smoothing: one run_on_ranks call."""
    ours = vocab_parallel_on_rank(rank, world_size, cases)
    theirs = loss_parallel_on_rank(rank, world_size, cases)
    try:
        loss_parallel_on_rank(rank, world_size, [smoothing_case])
    except RuntimeError as error:
        return ours, theirs, f"{type(error).__name__}: {error}"
    return ours, theirs, "no error"


def test_loss_parallel_agrees_and_rejects_label_smoothing():
    """PyTorch's own loss_parallel on a DTensor sharded on the classes, gloo on the CPU."""
    import_what_ranks_need()
    cases = [make_case("mean"), make_case("sum", reduction="sum"),
             make_case("none", reduction="none"), make_case("float32", torch.float32, scale=1e4),
             make_case("all ignored", targets=torch.full((6,), -100))]
    cases = [case for case in cases if case.logits.dtype in loss_parallel_dtypes()]
    outcome = run_on_ranks(both_losses_and_smoothing_error, 2, cases,
                           make_case("smooth", torch.float32, label_smoothing=0.1), timeout=30,
                           start_method=START)
    theirs = [results for _, results, _ in outcome]
    assert_matches_reference(theirs, cases, 2)
    for ours, their, _ in outcome:
        for case, (our_loss, our_grad), (loss, grad) in zip(cases, ours, their, strict=True):
            rtol = RTOL[case.logits.dtype]
            assert_relative_close(our_loss, loss, rtol, f"{case.name}: ours vs loss_parallel")
            assert_relative_close(our_grad, grad, rtol, f"{case.name}: ours vs loss_parallel")
    # torch 2.13: "aten.masked_fill_.Scalar got mixed torch.Tensor and DTensor, ..."
    assert "RuntimeError" in outcome[0][2] and "mixed torch.Tensor and DTensor" in outcome[0][2]


def padded_batches(world_size=3, tokens=5, features=4, vocab=7):
    """Each rank's batch; padding leaves the ranks 5, 1 and 3 kept tokens."""
    generator = torch.Generator().manual_seed(3)
    inputs = [torch.randn(tokens, features, generator=generator, dtype=torch.float64)
              for _ in range(world_size)]
    weight = torch.randn(features, vocab, generator=generator, dtype=torch.float64)
    targets = [torch.randint(0, vocab, (tokens,), generator=generator) for _ in range(world_size)]
    for kept, target in zip([5, 1, 3], targets, strict=True):
        target[kept:] = -100
    return inputs, weight, targets


def bad_layouts_on_rank(rank, world_size):
    """Errors that need the other ranks (the global V, the tiling): each rank's messages."""
    messages = []
    logits = torch.zeros(2, 3)
    vocab = 3 * world_size
    attempts = [
        (logits, torch.tensor([0, vocab]), 3 * rank),  # outside [0, V)
        (logits, torch.tensor([0, 1]), 0),  # every rank claims classes 0..2
        # rank r holds r + 1 tokens:
        (torch.zeros(1 + rank, 3), torch.zeros(1 + rank, dtype=torch.int64), 3 * rank),
        (logits, torch.tensor([0, 1]), 4 * rank),  # a gap: class 3 is nobody's
    ]
    for local, targets, start in attempts:
        try:
            vocab_parallel_cross_entropy(local, targets, start)
            messages.append("no error")
        except ValueError as error:
            messages.append(str(error))
    try:
        global_mean_cross_entropy(logits, torch.tensor([0, 3]))
        messages.append("no error")
    except ValueError as error:
        messages.append(str(error))
    return messages


# classes 0..6 on 3 ranks: [0, 3), [3, 6), [6, 7), chunks of 2: targets in first and second
# chunks of ranks 0 and 1, and an ignored token
FUSED_TARGETS = torch.tensor([2, 0, 5, 3, -100])


def on_three_ranks(rank, world_size, inputs, weight, targets, full_logits, full_targets):
    """Everything else that needs processes, in one call (starting processes is the cost)."""
    logits = [x @ weight for x in inputs]
    bounds = shard_boundaries(full_logits.shape[1], world_size)
    shard = full_logits[:, bounds[rank]:bounds[rank + 1]]
    return {
        "global mean": global_mean_on_rank(rank, world_size, logits, targets),
        "data parallel": data_parallel_on_rank(rank, world_size, inputs, targets, weight),
        "demo": all_reduce_demo(rank, world_size),
        "timing": time_step_on_rank(rank, world_size, 4, 10, repeats=1),
        "bytes": bytes_sent_on_rank(rank, world_size, 8192, 255),  # shards of 85 classes
        "statistics": global_statistics(shard, full_targets, bounds[rank], logit_sum=True),
        "layout errors": bad_layouts_on_rank(rank, world_size),
        "fused": [linear_cross_entropy_on_rank(rank, world_size, inputs[0], weight.T.contiguous(),
                                               FUSED_TARGETS, reduction, chunk_size=2)
                  for reduction in ("mean", "none")],
    }


@pytest.fixture(scope="module")
def three_ranks():
    import_what_ranks_need()
    inputs, weight, targets = padded_batches()
    case = make_case("statistics", tokens=4, vocab=8)
    results = run_on_ranks(on_three_ranks, 3, inputs, weight, targets, case.logits, case.targets,
                           timeout=30, start_method=START)
    return results, (inputs, weight, targets), case


def test_global_mean_equals_one_process_and_mean_of_means_does_not(three_ranks):
    results, (inputs, weight, targets), _ = three_ranks
    logits = [x @ weight for x in inputs]
    full = torch.cat(logits).requires_grad_(True)
    expected = F.cross_entropy(full, torch.cat(targets))
    expected.backward()
    shares = torch.stack([r["global mean"][0] for r in results])
    assert_relative_close(shares.sum(), expected.detach(), 1e-12, "sum of shares")
    rows = torch.cat([r["global mean"][1] for r in results])
    assert_relative_close(rows, full.grad, 1e-12, "gradient of each rank's logits")

    leaves = [x.clone().requires_grad_(True) for x in logits]
    wrong = mean_of_rank_means(leaves, targets)
    wrong.backward()
    assert abs(wrong.item() - expected.item()) > 0.1  # counts 5, 1 and 3
    wrong_grad = torch.cat([leaf.grad for leaf in leaves])
    assert (wrong_grad - full.grad).abs().max() > 0.1 * full.grad.abs().max()
    balanced = [t.clone().fill_(0) for t in targets]
    right = F.cross_entropy(torch.cat(logits), torch.cat(balanced))
    assert_relative_close(mean_of_rank_means(logits, balanced), right, 1e-12, "equal counts")


def test_data_parallel_weight_gradient(three_ranks):
    """Summed over ranks, the global mean's weight gradient is one process's; DDP's average
    of per-rank means is not."""
    results, (inputs, weight, targets), _ = three_ranks
    shared = weight.clone().requires_grad_(True)
    F.cross_entropy(torch.cat(inputs) @ shared, torch.cat(targets)).backward()
    for rank, result in enumerate(results):
        assert_relative_close(result["data parallel"]["global mean"], shared.grad, 1e-12,
                              f"rank {rank}")
        error = (result["data parallel"]["mean of means"] - shared.grad).abs().max()
        assert error > 0.1 * shared.grad.abs().max()
    shares = torch.stack([r["data parallel"]["loss share"] for r in results])
    assert_relative_close(shares.sum(), torch.stack([r["global mean"][0] for r in results]).sum(),
                          1e-12, "loss shares")


def test_all_reduce_demo_and_timing_and_statistics(three_ranks):
    results, _, case = three_ranks
    for rank, result in enumerate(results):
        assert result["demo"] == {"backend": "gloo", "rank": rank, "before": (rank + 1) ** 2,
                                  "sum": 14.0, "max": 9.0}
        timing = result["timing"]
        assert set(timing) == {"three all-reduces", "all-gather the logits"}
        assert all(0 < seconds < 30 for seconds in timing.values())
        log_sum_exp, target_logit, logit_sum = result["statistics"]
        kept = case.targets != -100
        assert_relative_close(log_sum_exp, case.logits.logsumexp(dim=1), 1e-12, "log-sum-exp")
        picked = case.logits.gather(1, case.targets.clamp(min=0)[:, None])[:, 0]
        assert_relative_close(target_logit, torch.where(kept, picked, 0.0), 1e-12, "target")
        assert_relative_close(logit_sum, case.logits.sum(dim=1), 1e-12, "logit sum")


def test_fused_linear_cross_entropy_on_shards_of_the_output_layer(three_ranks):
    """Each rank holds rows of W (chunks of 2 classes): loss, hidden's gradient (all-reduced)
    and every rank's rows' gradient equal one process's F.cross_entropy(hidden @ W.T)."""
    results, (inputs, weight, targets), _ = three_ranks
    out_layer = weight.T.contiguous()  # (V, D)
    bounds = shard_boundaries(out_layer.shape[0], 3)
    for index, reduction in enumerate(("mean", "none")):
        hidden = inputs[0].clone().requires_grad_(True)
        rows = out_layer.clone().requires_grad_(True)
        expected = F.cross_entropy(hidden @ rows.T, FUSED_TARGETS, reduction=reduction)
        expected.sum().backward()
        for rank, result in enumerate(results):
            loss, hidden_grad, rows_grad = result["fused"][index]
            what = f"{reduction}, rank {rank}"
            assert_relative_close(loss, expected.detach(), 1e-12, what)
            assert_relative_close(hidden_grad, hidden.grad, 1e-12, what)
            assert_relative_close(rows_grad, rows.grad[bounds[rank]:bounds[rank + 1]], 1e-12, what)


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="Linux counts a process's writes")
def test_the_bytes_sent_are_measured_near_the_count_and_the_backward_sends_none(three_ranks):
    counted = bytes_per_token(255, 3)  # 16 B and 680 B per token
    for rank in three_ranks[0]:
        sent = rank["bytes"]
        assert sent["backward"] == 0
        assert counted.statistics <= sent["forward"] <= 1.1 * counted.statistics, sent
        gathered = sent["all-gather the logits"]
        assert counted.gather_logits <= gathered <= 1.01 * counted.gather_logits, sent


def test_bytes_sent_rejects_bad_sizes_before_asking_the_group():
    with pytest.raises(ValueError, match="tokens must be at least 1"):
        bytes_sent_on_rank(0, 1, 0, 10)
    with pytest.raises(TypeError, match="vocab_size must be an int, got float"):
        bytes_sent_on_rank(0, 1, 10, 10.0)


def test_layout_errors_are_raised_on_every_rank(three_ranks):
    per_rank = [result["layout errors"] for result in three_ranks[0]]
    assert per_rank[0] == per_rank[1] == per_rank[2]  # the same error everywhere
    out_of_range, overlap, tokens, gap, global_mean = per_rank[0]
    assert "targets[1] = 9 is not a class index in [0, 9)" in out_of_range
    assert "without gap or overlap" in overlap and "starts at class 0" in overlap
    assert "the same tokens" in tokens
    assert "rank 1 starts at class 4" in gap
    assert "targets[1] = 3 is not a class index in [0, 3)" in global_mean


def test_shard_gradient_is_the_rows_of_cross_entropys_gradient():
    """Without processes: with the full logits as the only shard, shard_gradient must be
    F.cross_entropy's per-token gradient; with a shard, that gradient's columns."""
    case = make_case("local", label_smoothing=0.3, ignore_index=4,
                     targets=torch.tensor([4, 0, 4, 12, 7, 3]))
    logits = case.logits.clone().requires_grad_(True)
    F.cross_entropy(logits, case.targets, ignore_index=4, label_smoothing=0.3,
                    reduction="sum").backward()
    log_sum_exp = case.logits.logsumexp(dim=1)
    for start, stop in [(0, VOCAB), (0, 5), (5, 13), (7, 7)]:
        got = shard_gradient(case.logits[:, start:stop], case.targets, start, log_sum_exp,
                             ignore_index=4, label_smoothing=0.3, vocab_size=VOCAB)
        assert_relative_close(got, logits.grad[:, start:stop], 1e-12, f"columns {start}:{stop}")


# ---- run_on_ranks: errors, timeouts, leftovers, start methods


def pid_then(rank, world_size, folder, action):
    """A rank that records its pid; then rank 1 raises, dies or hangs, and the others wait
    for it in a collective (or, for "hang", sleep)."""
    with open(os.path.join(folder, f"rank{rank}.pid"), "w") as file:
        file.write(str(os.getpid()))
    if action == "hang":
        time.sleep(60)
    elif rank == 1 and action == "raise":
        raise KeyError("the 1st rank's own message")
    elif rank == 1 and action == "die":
        os._exit(3)
    dist.barrier()


def assert_all_gone(folder, world_size):
    pids = [int(open(os.path.join(folder, f"rank{r}.pid")).read()) for r in range(world_size)]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_raising_rank_is_named_with_its_error_and_nothing_is_left(tmp_path):
    with pytest.raises(RankError) as caught:  # not TimeoutError: rank 0 was not waited for
        run_on_ranks(pid_then, 2, str(tmp_path), "raise", timeout=20, start_method=START)
    error = caught.value
    assert error.rank == 1 and error.exception_type == "KeyError"
    assert "rank 1 raised KeyError" in str(error) and "the 1st rank's own message" in str(error)
    assert "pid_then" in error.rank_traceback
    # rank 0, waiting in a barrier, failed because rank 1 left: listed after it
    assert [rank for rank, _ in error.other_ranks] == [0]
    assert "Then, probably because of it:\n  rank 0: " in str(error)
    assert_all_gone(tmp_path, 2)


def test_a_rank_that_dies_is_named(tmp_path):
    with pytest.raises(RankError, match=r"rank 1 died: .*exit code 3"):
        run_on_ranks(pid_then, 2, str(tmp_path), "die", timeout=20, start_method=START)
    assert_all_gone(tmp_path, 2)


def test_hanging_ranks_time_out_and_are_stopped(tmp_path):
    with pytest.raises(TimeoutError, match=r"rank\(s\) \[0, 1\] of 2 did not finish within 1.0 s"):
        run_on_ranks(pid_then, 2, str(tmp_path), "hang", timeout=1.0,
                     start_method=START)
    assert_all_gone(tmp_path, 2)


def test_default_start_method_is_forkserver_where_there_is_one():
    import multiprocessing

    expected = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    assert default_start_method() == expected
    # Nothing to start for spawn; the forkserver is started (and used) by notebook 11's first
    # cell in make test, not here (it costs about 3.5 s of a core per process).
    assert start_rank_server("spawn") == "spawn"
    with pytest.raises(ValueError, match="start_method must be one of"):
        start_rank_server("teleport")


def test_loss_parallel_dtypes_name_what_this_pytorch_supports():
    old = tuple(int(part) for part in torch.__version__.split(".")[:2]) < (2, 5)
    assert loss_parallel_dtypes() == ((torch.float32,) if old else (torch.float64, torch.float32))
    if old:  # said before any rank starts, not as PyTorch's error from inside the backward
        with pytest.raises(ValueError, match="loss_parallel's backward in torch 2.4"):
            loss_parallel_on_rank(0, 1, [make_case("float64")])


@pytest.mark.fresh_processes
def test_spawn_runs_the_same_code():
    case = make_case("spawned", reduction="sum")
    results = run_on_ranks(vocab_parallel_on_rank, 1, [case], start_method="spawn", timeout=30)
    assert_matches_reference(results, [case], 1)


@pytest.mark.skipif(
    not (dist.is_backend_available("nccl") and torch.cuda.device_count() >= 2),
    reason="nccl needs a PyTorch build with NCCL and at least 2 GPUs (one per rank)",
)
def test_nccl_runs_the_same_code():
    cases = cases_for(2)
    assert_matches_reference(run_on_ranks(vocab_parallel_on_rank, 2, cases, backend="nccl"),
                             cases, 2)


# ---- input validation


def top_level(rank, world_size):
    return rank


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: run_on_ranks(top_level, 0), ValueError, "world_size must be at least 1"),
        (lambda: run_on_ranks(top_level, 2.0), TypeError, "world_size must be an int"),
        (lambda: run_on_ranks(top_level, True), TypeError, "world_size must be an int"),
        (lambda: run_on_ranks(top_level, 2, timeout=0), ValueError, "timeout must be"),
        (lambda: run_on_ranks(top_level, 2, timeout="9"), TypeError, "timeout must be"),
        (lambda: run_on_ranks(top_level, 2, backend="carrier pigeon"), ValueError, "backend"),
        (lambda: run_on_ranks(top_level, 2, backend=1), TypeError, "backend must be a string"),
        (lambda: run_on_ranks(top_level, 2, start_method="teleport"), ValueError, "start_method"),
        (lambda: run_on_ranks("top_level", 2), TypeError, "fn must be callable"),
        (lambda: run_on_ranks(lambda r, w: r, 2), TypeError, "lambda"),
        (lambda: run_on_ranks(top_level, 2, lambda: 0), TypeError, "picklable"),
    ],
)
def test_run_on_ranks_rejects_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_function_of_main_is_refused_with_advice():
    def in_notebook(rank, world_size):
        return rank

    in_notebook.__module__, in_notebook.__qualname__ = "__main__", "in_notebook"
    with pytest.raises(TypeError, match=r"defined in __main__.*top level of a module"):
        run_on_ranks(in_notebook, 2, start_method="spawn")


@pytest.mark.skipif(dist.is_backend_available("nccl"), reason="this build has NCCL")
def test_nccl_without_nccl_says_so():
    with pytest.raises(ValueError, match="'nccl' is not available in this PyTorch build"):
        run_on_ranks(top_level, 1, backend="nccl")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(local_logits=torch.zeros(3)), ValueError, "logits must be 2-D"),
        (dict(local_logits=torch.zeros(3, 2, dtype=torch.int64)), TypeError, "floating point"),
        (dict(local_logits=[[0.0]]), TypeError, "logits must be a torch.Tensor"),
        (dict(targets=torch.zeros(3)), TypeError, "targets must be int64"),
        (dict(targets=torch.zeros(2, dtype=torch.int64)), ValueError, "targets has 2 entries"),
        (dict(targets=torch.zeros(3, 1, dtype=torch.int64)), ValueError, "targets must be 1-D"),
        (dict(vocab_start=-1), ValueError, "vocab_start must be >= 0"),
        (dict(vocab_start=1.0), TypeError, "vocab_start must be an int"),
        (dict(reduction="avg"), ValueError, "reduction must be one of"),
        (dict(label_smoothing=1.5), ValueError, r"label_smoothing must lie in \[0, 1\]"),
        (dict(ignore_index=None), TypeError, "ignore_index must be an int"),
        ({}, RuntimeError, "inside a process group"),
    ],
)
def test_vocab_parallel_rejects_bad_input(kwargs, error, message):
    arguments = dict(local_logits=torch.zeros(3, 2), targets=torch.zeros(3, dtype=torch.int64),
                     vocab_start=0)
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        vocab_parallel_cross_entropy(**arguments)


def test_a_case_is_checked_when_made():
    logits, targets = torch.zeros(2, 3), torch.tensor([0, -100])
    with pytest.raises(ValueError, match=r"case 'x': targets\[1\] = -100 is not a class index"):
        CrossEntropyCase("x", logits, targets, ignore_index=5)
    with pytest.raises(ValueError, match=r"case 'y': grad_output must have shape \(2,\)"):
        CrossEntropyCase("y", logits, targets, reduction="none", grad_output=torch.ones(()))
    with pytest.raises(TypeError, match="case 'z': targets must be int64"):
        CrossEntropyCase("z", logits, targets.float())
    with pytest.raises(ValueError, match=r"case 'w': boundaries must rise from 0 to 3"):
        CrossEntropyCase("w", logits, targets, boundaries=(0, 2, 1)).bounds(2)


def test_shard_boundaries_cut_as_torch_chunk():
    for vocab, world in [(13, 4), (10, 3), (3, 4), (8, 2)]:
        bounds = shard_boundaries(vocab, world)
        sizes = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
        chunks = [c.shape[0] for c in torch.arange(vocab).chunk(world)]
        assert sizes[: len(chunks)] == chunks and sum(sizes) == vocab
    with pytest.raises(ValueError, match="world_size must be at least 1"):
        shard_boundaries(5, 0)


def test_bytes_per_token_counts_ring_algorithms():
    counted = bytes_per_token(50257, 4)
    assert counted == BytesPerToken(50257, 4, statistics=18, gather_logits=150771)
    assert counted.ratio == Fraction(150771, 18)
    assert bytes_per_token(50257, 4, label_smoothing=True).statistics == 24
    half = bytes_per_token(1000, 2, torch.bfloat16)
    assert (half.statistics, half.gather_logits) == (12, 1000)  # statistics stay in float32
    assert bytes_per_token(1000, 1).statistics == 0 == bytes_per_token(1000, 1).gather_logits
    assert counted.hidden_gradient is None
    fused = bytes_per_token(50257, 4, torch.bfloat16, hidden_size=4096)
    assert fused.hidden_gradient == 12288  # 2 x 3/4 x 4,096 numbers x 2 bytes
    with pytest.raises(ValueError, match="hidden_size must be at least 1"):
        bytes_per_token(10, 2, hidden_size=0)
    with pytest.raises(TypeError, match="dtype"):
        bytes_per_token(10, 2, torch.int64)
