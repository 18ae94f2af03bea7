"""tests/warm_kernels.py: a kernel forked from the warm process behaves as a fresh kernel.

One warm process with the light modules (IPython, matplotlib, not PyTorch) keeps this cheap;
the kernels are started by jupyter_client exactly as nbval starts them.
"""

import json
import os
import sys
import time

import pytest
import warm_kernels
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="warm kernels are used on Linux only")

PROBE = """\
import json, os, sys
import matplotlib, matplotlib.pyplot as plt
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
                  "argv0": sys.argv[0], "path0": sys.path[0],
                  "probe": os.environ.get("COURSE_WARM_PROBE"),
                  "backend": matplotlib.get_backend()}))
plt.plot([0, 1])
plt.show()
"""


@pytest.fixture(scope="module")
def warm():
    # The same modules but PyTorch and NumPy, which cost seconds and change nothing here.
    light = tuple(m for m in warm_kernels.WARM_MODULES if not m.startswith(("torch", "numpy")))
    warm = warm_kernels.WarmKernels(modules=light)
    yield warm
    process = warm.process
    warm.stop()
    assert process is None or process.returncode == 0, "the warm process did not exit cleanly"


def start(warm, folder, env):
    """A kernel started as nbval starts one, through ``warm.command``."""
    spec_dir = folder / "kernels" / "probe"
    spec_dir.mkdir(parents=True)
    argv = warm.command([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    (spec_dir / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "probe", "language": "python"}))
    manager = KernelManager(kernel_name="probe",
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]))
    manager.start_kernel(cwd=str(folder), env={**os.environ, **env})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def run(client, code):
    outputs = []
    reply = client.execute_interactive(code, timeout=60, output_hook=outputs.append)
    streams = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    mimes = {k for m in outputs if m["msg_type"] == "display_data" for k in m["content"]["data"]}
    return reply["content"], streams, mimes


def gone(pid, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.fresh_processes
def test_a_forked_kernel_runs_cells_as_an_ordinary_kernel_and_goes_with_its_launcher(
        warm, tmp_path):
    # An environment that differs where imports read it gets the ordinary kernel: the
    # launcher executes the usual command and becomes the kernel. Both run the same probe.
    (tmp_path / "warm").mkdir()
    (tmp_path / "cold").mkdir()
    seen, shown = {}, {}
    for kind, env in [("warm", {}), ("cold", {"OMP_NUM_THREADS": "3"})]:
        manager, client = start(warm, tmp_path / kind, {"COURSE_WARM_PROBE": "seen", **env})
        try:
            reply, streams, shown[kind] = run(client, PROBE)
            assert reply["status"] == "ok"
            seen[kind] = json.loads(streams)
            seen[kind]["launcher"] = manager.provisioner.process.pid
            if kind == "warm":
                client.execute("import time; time.sleep(60)")
                time.sleep(0.3)  # the cell has started
                manager.interrupt_kernel()  # a signal to the launcher, passed to the kernel
                reply = client.get_shell_msg(timeout=20)["content"]
                assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)  # kills the launcher: the kernel must follow
    warm_seen, cold_seen = seen["warm"], seen["cold"]
    assert warm_seen["ppid"] == warm.process.pid, "the kernel was not forked from the warm process"
    assert cold_seen["pid"] == cold_seen["launcher"], "the ordinary kernel is not the launcher"
    assert gone(warm_seen["pid"]), "the forked kernel outlived its launcher"
    assert warm_seen["cwd"] == str(tmp_path / "warm") and warm_seen["probe"] == "seen"
    for key in ("argv0", "path0", "backend"):
        assert warm_seen[key] == cold_seen[key], key
    assert shown["warm"] == shown["cold"], "figures do not reach the notebook as they do usually"


def test_without_a_warm_process_the_command_is_unchanged(tmp_path):
    broken = warm_kernels.WarmKernels(modules=("no_such_module_here",))
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    try:
        assert broken.command(command) == command
        assert broken.command(["other", "kernel"]) == ["other", "kernel"]
    finally:
        broken.stop()


def test_workers_route_to_the_warm_process_of_their_controller(warm, tmp_path):
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert warm.wait_until_ready()
    shared = warm_kernels.WarmKernels(shared_socket=warm.socket_path)
    assert shared.command(command)[4:] == [warm.socket_path, *command]
    shared.stop()  # someone else's: left running
    assert warm.process.poll() is None
    gone = warm_kernels.WarmKernels(shared_socket=str(tmp_path / "no-socket"))
    assert gone.command(command) == command


def test_the_warm_process_exits_when_its_pytest_process_goes():
    warm = warm_kernels.WarmKernels(modules=())
    assert warm.wait_until_ready()
    warm.process.stdin.close()  # what the operating system does when pytest dies
    assert warm.process.wait(timeout=10) == 0
    warm.folder.cleanup()


def test_a_variable_the_warm_imports_set_themselves_does_not_make_a_kernel_cold():
    """A worker that imported torch._dynamo (a test, an optimizer's first step) carries
    TORCHINDUCTOR_CACHE_DIR, as a fresh kernel would after its own imports."""
    environment = {"OMP_NUM_THREADS": "1"}
    set_by_imports = {"TORCHINDUCTOR_CACHE_DIR": "/tmp/torchinductor_x"}
    plain = {"OMP_NUM_THREADS": "1", "HOME": "/root"}
    assert warm_kernels.same_imports(plain, environment, set_by_imports)
    assert warm_kernels.same_imports({**plain, **set_by_imports}, environment, set_by_imports)
    assert not warm_kernels.same_imports(
        {**plain, "TORCHINDUCTOR_CACHE_DIR": "/elsewhere"}, environment, set_by_imports)
    assert not warm_kernels.same_imports({**plain, "OMP_NUM_THREADS": "2"}, environment,
                                         set_by_imports)
