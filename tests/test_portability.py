"""tools/portability.py: the simulated machines are derived from the installed NumPy."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import portability  # noqa: E402

DISPATCH = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]


def test_every_named_numpy_group_exists_in_the_pinned_numpy():
    dispatch, features = portability.numpy_feature_groups()
    for machine in portability.MACHINES:
        if machine.numpy_keep not in ("native", None):
            assert machine.numpy_keep in dispatch, (machine.name, dispatch)
    assert set(dispatch) <= set(features)


def test_groups_above_the_kept_one_are_disabled_where_the_cpu_has_them():
    avx512_cpu = dict.fromkeys(DISPATCH, True)
    assert portability.numpy_groups_to_disable("X86_V3", DISPATCH, avx512_cpu) == DISPATCH[1:]
    assert portability.numpy_groups_to_disable(None, DISPATCH, avx512_cpu) == DISPATCH
    assert portability.numpy_groups_to_disable("native", DISPATCH, avx512_cpu) == []
    # An AVX2 CPU lacks the AVX-512 groups: only what it has can (and need) be disabled.
    avx2_cpu = {"X86_V3": True, "X86_V4": False, "AVX512_ICL": False, "AVX512_SPR": False}
    assert portability.numpy_groups_to_disable("X86_V3", DISPATCH, avx2_cpu) == []
    assert portability.numpy_groups_to_disable(None, DISPATCH, avx2_cpu) == ["X86_V3"]


def test_an_unknown_group_name_stops_with_a_clear_message():
    with pytest.raises(SystemExit, match="no dispatch group 'AVX3000'"):
        portability.numpy_groups_to_disable("AVX3000", DISPATCH, {})


def test_the_environment_starts_clean_and_sets_each_variable(monkeypatch):
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx512")  # from the caller's shell
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    features = dict.fromkeys(DISPATCH, True)
    native, avx2, generic = portability.MACHINES
    env = portability.environment(native, DISPATCH, features)
    assert "ATEN_CPU_CAPABILITY" not in env and "OMP_NUM_THREADS" not in env
    env = portability.environment(avx2, DISPATCH, features)
    assert env["ATEN_CPU_CAPABILITY"] == "avx2" and env["MKL_CBWR"] == "AVX2"
    assert env["NPY_DISABLE_CPU_FEATURES"] == "X86_V4,AVX512_ICL,AVX512_SPR"
    assert env["OMP_NUM_THREADS"] == "1"
    env = portability.environment(generic, DISPATCH, features)
    assert env["NPY_DISABLE_CPU_FEATURES"] == ",".join(DISPATCH)
    assert env["OMP_NUM_THREADS"] == "2"


def test_the_mkl_code_path_is_read_from_its_verbose_line():
    line = "MKL_VERBOSE SGEMM(N,N,64,64,64) 297.40us CNR:AVX2 Dyn:1 FastMM:1 TID:0  NThr:2"
    assert portability._mkl_code_path(line) == "AVX2"
    assert portability._mkl_code_path("no verbose output") is None
