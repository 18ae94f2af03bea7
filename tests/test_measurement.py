"""helpers.measurement: notebook 07's timer and memory meter, validated."""

import math
import os

import pytest
import torch
import torch.nn.functional as F

from helpers.measurement import (
    beyond_cache_bytes,
    copy_bandwidth,
    measure_cross_entropy,
    memory_use,
    peak_memory_bytes,
    quiet_stderr,
    relative_error,
    synchronize,
    time_it,
    time_per_element,
)

CPU = torch.device("cpu")


def allocate_and_free():
    kept = torch.empty(1_000_000)        # 4 MB
    temporary = torch.empty(500_000)     # 2 MB, freed before the next one
    del temporary
    later = torch.empty(250_000)         # 1 MB
    return kept, later


def test_time_it_calls_the_function_once_more_than_the_repeats_and_orders_its_results():
    calls = []
    best, median = time_it(lambda: calls.append(1), 5, CPU)
    assert len(calls) == 6  # one warm-up call, then the repeats
    assert 0 <= best <= median


@pytest.mark.parametrize(("repeats", "error"), [(0, ValueError), (-1, ValueError),
                                                (2.0, TypeError), (True, TypeError)])
def test_time_it_rejects_bad_repeats(repeats, error):
    with pytest.raises(error, match="repeats"):
        time_it(lambda: None, repeats)


def test_a_non_callable_is_a_clear_error():
    with pytest.raises(TypeError, match="pass a function"):
        time_it(3, 1)
    with pytest.raises(TypeError, match="pass a function"):
        peak_memory_bytes(torch.zeros(2))
    with pytest.raises(TypeError, match="pass a function"):
        memory_use(None)


def test_bad_devices_are_clear_errors():
    with pytest.raises(TypeError, match="device"):
        synchronize(0)
    with pytest.raises(TypeError, match="device"):
        memory_use(lambda: None, 0)
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        peak_memory_bytes(lambda: None, "meta")
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        memory_use(lambda: None, torch.device("meta"))


def test_peak_memory_of_known_allocations():
    assert peak_memory_bytes(lambda: torch.empty(1000, 1000), CPU) == 4_000_000
    assert peak_memory_bytes(allocate_and_free, "cpu") == 6_000_000
    assert peak_memory_bytes(lambda: None) == 0


def test_memory_use_counts_freed_allocations_in_the_total_but_not_in_the_peak():
    assert memory_use(allocate_and_free, CPU) == (6_000_000, 7_000_000)
    assert memory_use(lambda: None) == (0, 0)


def test_peak_memory_does_not_count_what_existed_before():
    existing = torch.empty(1_000_000)
    assert peak_memory_bytes(lambda: existing.add_(1.0), CPU) < 64  # a scalar at most


def test_quiet_stderr_silences_descriptor_2_and_restores_it(capfd):
    with quiet_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"


# ---- notebook 07 §1: the copy's bandwidth curve, where it falls, copy / exp / softmax ------

def test_copy_bandwidth_is_a_finite_positive_rate_for_small_and_large_buffers():
    for num_bytes in (4, 4096, 2**16):
        rate = copy_bandwidth(num_bytes, 1, CPU)
        assert math.isfinite(rate) and rate > 0, (num_bytes, rate)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"num_bytes": 0}, ValueError, "num_bytes"),
    ({"num_bytes": 3}, ValueError, "one float32"),
    ({"num_bytes": 2.0**20}, TypeError, "num_bytes"),
    ({"num_bytes": 1024, "repeats": 0}, ValueError, "repeats"),
    ({"num_bytes": 1024, "device": 0}, TypeError, "device"),
])
def test_copy_bandwidth_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        copy_bandwidth(**kwargs)


SIZES = [2**18, 2**20, 2**22, 2**24, 2**26]


@pytest.mark.parametrize(("bandwidths", "expected"), [
    ([80, 90, 70, 20, 15], 2**24),     # falls between 4 and 16 MiB
    ([80, 90, 85, 88, 84], None),      # never falls: every buffer fitted a cache
    ([80, 30, 40, 30, 15], 2**20),     # stays below half the top after the fall
    ([80, 30, 50, 30, 15], 2**24),     # 50 > 45: back in the fast part, not beyond
    ([20, 90, 80, 70, 44], 2**26),     # a rising start (a GPU's launch cost) is no fall
])
def test_beyond_cache_bytes_reads_where_the_curve_has_fallen(bandwidths, expected):
    assert beyond_cache_bytes(SIZES, [b * 1e9 for b in bandwidths]) == expected


def test_beyond_cache_bytes_drop_sets_how_far_the_curve_must_fall():
    bandwidths = [100, 100, 60, 30, 30]
    assert beyond_cache_bytes(SIZES, bandwidths) == 2**24
    assert beyond_cache_bytes(SIZES, bandwidths, drop=0.7) == 2**22
    assert beyond_cache_bytes(SIZES, bandwidths, drop=0.2) is None


@pytest.mark.parametrize(("sizes", "bandwidths", "kwargs", "error", "message"), [
    ([1, 2], [1.0], {}, ValueError, "2 sizes but 1"),
    ([1], [1.0], {}, ValueError, "at least 2"),
    ([2, 1], [1.0, 1.0], {}, ValueError, "increase"),
    ([1, 2], [1.0, 0.0], {}, ValueError, "finite and > 0"),
    ([1, 2], [1.0, math.nan], {}, ValueError, "finite and > 0"),
    ([1, 2], [1.0, 1.0], {"drop": 1.0}, ValueError, "drop"),
    ([1, 2], [1.0, 1.0], {"drop": True}, ValueError, "drop"),
    (3, [1.0], {}, TypeError, "sequences"),
])
def test_beyond_cache_bytes_rejects_bad_input(sizes, bandwidths, kwargs, error, message):
    with pytest.raises(error, match=message):
        beyond_cache_bytes(sizes, bandwidths, **kwargs)


def test_time_per_element_times_copy_exp_and_softmax_on_whole_rows():
    num_bytes, best = time_per_element(4 * 1000, repeats=1, device=CPU, row_length=1000,
                                       rounds=1)
    assert num_bytes == 4 * 1000  # one row
    assert set(best) == {"copy", "exp", "softmax"}
    assert all(0 < seconds < 1 for seconds in best.values())
    num_bytes, _ = time_per_element(10, repeats=1, row_length=1000, rounds=1)
    assert num_bytes == 4 * 1000  # at least one row
    num_bytes, _ = time_per_element(3 * 4 * 1000 + 5, repeats=1, row_length=1000, rounds=1)
    assert num_bytes == 3 * 4 * 1000  # whole rows


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"num_bytes": 0, "repeats": 1}, ValueError, "num_bytes"),
    ({"num_bytes": 64, "repeats": 1.5}, TypeError, "repeats"),
    ({"num_bytes": 64, "repeats": 1, "row_length": 0}, ValueError, "row_length"),
    ({"num_bytes": 64, "repeats": 1, "rounds": 0}, ValueError, "rounds"),
])
def test_time_per_element_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        time_per_element(**kwargs)


# ---- notebook 07 §5: time and memory of several cross-entropies ------------------------

def test_measure_cross_entropy_reports_time_and_memory_of_each_method():
    methods = {"fused": F.cross_entropy,
               "by hand": lambda z, t: -torch.log_softmax(z, dim=1)[torch.arange(len(t)), t]
               .mean()}
    results = measure_cross_entropy(methods, 4, 3000, repeats=1, device=CPU)
    assert set(results) == set(methods)
    gradient = 4 * 3000 * 4
    for result in results.values():
        assert 0 < result["seconds"] <= result["median_seconds"]
        assert result["extra_bytes"] == result["peak_bytes"] - gradient
        assert result["allocated_bytes"] >= result["peak_bytes"] >= gradient


def test_measure_cross_entropy_names_a_wrong_method():
    wrong = {"sum instead of mean": lambda z, t: F.cross_entropy(z, t, reduction="sum")}
    with pytest.raises(AssertionError, match="sum instead of mean"):
        measure_cross_entropy(wrong, 4, 100, repeats=1, device=CPU)


@pytest.mark.parametrize(("methods", "sizes", "error", "message"), [
    ([F.cross_entropy], (4, 10, 1), TypeError, "dict"),
    ({}, (4, 10, 1), ValueError, "at least one"),
    ({"x": 3}, (4, 10, 1), TypeError, "callable"),
    ({"x": F.cross_entropy}, (0, 10, 1), ValueError, "num_rows"),
    ({"x": F.cross_entropy}, (4, 10.0, 1), TypeError, "num_classes"),
    ({"x": F.cross_entropy}, (4, 10, 0), ValueError, "repeats"),
])
def test_measure_cross_entropy_rejects_bad_input(methods, sizes, error, message):
    with pytest.raises(error, match=message):
        measure_cross_entropy(methods, *sizes)


# ---- relative_error (notebooks 08, 10, 11)


def test_relative_error_is_the_worst_error_over_the_largest_value():
    assert relative_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5])) == 0.2
    assert relative_error(torch.tensor([3.0, -4.0]), torch.tensor([3.0, -4.0])) == 0.0
    assert relative_error(torch.tensor([0.5, 0.0]), torch.zeros(2)) == 0.5  # absolute
    # computed in float64: a float16 result is compared at its own rounding, not float16's
    half = torch.tensor([1.0 + 2**-10], dtype=torch.float16)
    assert relative_error(half, torch.tensor([1.0], dtype=torch.float64)) == 2**-10


def test_relative_error_counts_matching_nan_and_infinities_as_equal_and_the_rest_as_inf():
    nan, inf = float("nan"), float("inf")
    assert relative_error(torch.tensor([nan, 1.0]), torch.tensor([nan, 1.0])) == 0.0
    assert relative_error(torch.tensor([inf, 1.0]), torch.tensor([inf, 2.0])) == 0.5
    assert relative_error(torch.tensor([nan, 1.0]), torch.tensor([0.0, 1.0])) == math.inf
    assert relative_error(torch.tensor([1.0, 1.0]), torch.tensor([nan, 1.0])) == math.inf
    assert relative_error(torch.tensor([-inf]), torch.tensor([inf])) == math.inf


@pytest.mark.parametrize("got, expected, error, words", [
    ([1.0], torch.ones(1), TypeError, "got must be a torch.Tensor"),
    (torch.ones(1), 1.0, TypeError, "expected must be a torch.Tensor"),
    (torch.ones(2), torch.ones(3), ValueError, r"same shape, got \(2,\) and \(3,\)"),
])
def test_relative_error_rejects_bad_input(got, expected, error, words):
    with pytest.raises(error, match=words):
        relative_error(got, expected)
