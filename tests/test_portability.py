"""tools/portability.py: the simulated machines are derived from the installed NumPy, and
the probe expects of each setting what the CPU that runs it can do."""

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


INTEL = portability.Cpu("GenuineIntel", frozenset({"sse2", "avx", "avx2", "avx512f"}))
AMD = portability.Cpu("AuthenticAMD", frozenset({"sse2", "avx", "avx2", "avx512f"}))
OLD_INTEL = portability.Cpu("GenuineIntel", frozenset({"sse2", "avx"}))


def test_the_cpu_is_read_from_cpuinfo():
    text = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2\n\n"
            "processor\t: 1\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2\n")
    cpu = portability.read_cpu(text)
    assert cpu.vendor == "AuthenticAMD" and cpu.flags == {"fpu", "sse2", "avx2"}
    assert portability.read_cpu("").vendor == "unknown"


def test_mkl_instruction_set_branches_are_expected_only_on_intel_cpus_that_have_them():
    assert portability.expected_mkl_branch("AVX2", INTEL) == ("AVX2", "")
    assert portability.expected_mkl_branch("AVX512", INTEL) == ("AVX512", "")
    branch, why = portability.expected_mkl_branch("AVX2", AMD)
    assert branch == "AUTO" and "only on Intel" in why and "AuthenticAMD" in why
    branch, why = portability.expected_mkl_branch("AVX2", OLD_INTEL)
    assert branch == "AUTO" and "lacks avx2" in why
    for cpu in (INTEL, AMD, OLD_INTEL):  # these two work on every x86-64
        assert portability.expected_mkl_branch("COMPATIBLE", cpu) == ("COMPATIBLE", "")
        assert portability.expected_mkl_branch("AUTO", cpu) == ("AUTO", "")
    with pytest.raises(ValueError, match="unknown MKL_CBWR branch 'AVX3000'"):
        portability.expected_mkl_branch("AVX3000", INTEL)


def _seen(machine, **changes):
    """What the probe reports when every setting of ``machine`` took effect."""
    seen = {"aten": (machine.aten or "avx512").upper(), "threads": machine.threads or 2,
            "numpy_enabled": [] if machine.numpy_keep is None else DISPATCH[:1], "mkl": True}
    return {**seen, **changes}


def test_the_avx2_configuration_passes_on_amd_with_a_note_and_fails_on_intel_without_it():
    _, avx2, generic = portability.MACHINES
    problems, note = portability.check_settings(avx2, _seen(avx2), "AUTO", DISPATCH, AMD)
    assert problems == [] and "only on Intel" in note
    problems, note = portability.check_settings(avx2, _seen(avx2), "AVX2", DISPATCH, INTEL)
    assert problems == [] and note == ""
    # On Intel the branch must take effect: AUTO there means the setting was lost.
    problems, _ = portability.check_settings(avx2, _seen(avx2), "AUTO", DISPATCH, INTEL)
    assert problems == ["MKL runs the AUTO code path, not AVX2"]
    # COMPATIBLE must take effect on every vendor.
    for cpu in (INTEL, AMD):
        problems, _ = portability.check_settings(generic, _seen(generic), "AUTO", DISPATCH, cpu)
        assert problems == ["MKL runs the AUTO code path, not COMPATIBLE"]
        assert portability.check_settings(
            generic, _seen(generic), "COMPATIBLE", DISPATCH, cpu) == ([], "")


def test_every_other_setting_that_did_not_take_effect_is_named():
    _, avx2, _ = portability.MACHINES
    seen = _seen(avx2, aten="AVX512", threads=2, numpy_enabled=["X86_V3", "X86_V4"])
    problems, _ = portability.check_settings(avx2, seen, None, DISPATCH, AMD)
    assert problems == ["ATen capability is AVX512, not AVX2", "torch uses 2 threads, not 1",
                        "NumPy still uses ['X86_V4']",
                        "MKL did not report its code path (no MKL_VERBOSE line)"]
    # A torch build without MKL has no MKL code path to check.
    assert portability.check_settings(avx2, _seen(avx2, mkl=False), None, DISPATCH, INTEL)[0] == []
