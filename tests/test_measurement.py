"""helpers.measurement: notebook 07's timer and peak-memory meter, validated."""

import pytest
import torch

from helpers.measurement import peak_memory_bytes, synchronize, time_it


def test_time_it_calls_the_function_once_more_than_the_repeats_and_orders_its_results():
    calls = []
    best, median = time_it(lambda: calls.append(1), 3)
    assert len(calls) == 4
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


def test_bad_devices_are_clear_errors():
    with pytest.raises(TypeError, match="device"):
        synchronize(0)
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        peak_memory_bytes(lambda: None, "meta")


def test_peak_memory_of_one_tensor_and_of_a_freed_temporary():
    assert 4_000_000 <= peak_memory_bytes(lambda: torch.empty(1_000_000)) < 4_100_000

    def allocate_and_free():
        kept = torch.empty(1_000_000)        # 4 MB
        temporary = torch.empty(500_000)     # 2 MB, freed before the next one
        del temporary
        later = torch.empty(250_000)         # 1 MB
        return kept, later

    assert 6_000_000 <= peak_memory_bytes(allocate_and_free, torch.device("cpu")) < 6_100_000


def test_peak_memory_does_not_count_what_existed_before():
    existing = torch.empty(2_000_000)
    assert peak_memory_bytes(lambda: existing.mul_(1.0)) < 100_000
