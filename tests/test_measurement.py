"""helpers.measurement: notebook 07's timer and memory meter, validated."""

import os

import pytest
import torch

from helpers.measurement import memory_use, peak_memory_bytes, quiet_stderr, synchronize, time_it

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
