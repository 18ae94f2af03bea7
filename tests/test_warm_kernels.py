"""tests/warm_kernels.py: a kernel forked from the warm process behaves as a fresh kernel.

One warm process with light modules (IPython and pyplot, not PyTorch) keeps this cheap;
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
    warm = warm_kernels.WarmKernels(modules=("ipykernel.kernelapp", "matplotlib.pyplot"))
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


def test_a_forked_kernel_is_the_ordinary_kernel_and_goes_when_jupyter_kills_it(warm, tmp_path):
    manager, client = start(warm, tmp_path, {"COURSE_WARM_PROBE": "seen"})
    try:
        reply, streams, mimes = run(client, PROBE)
        assert reply["status"] == "ok"
        seen = json.loads(streams)
        assert seen["ppid"] == warm.process.pid, "the kernel was not forked from the warm process"
        assert seen["cwd"] == seen["path0"] == str(tmp_path)
        assert seen["argv0"] == "ipykernel_launcher"
        assert seen["probe"] == "seen", "the kernel did not get Jupyter's environment"
        assert seen["backend"] == "module://matplotlib_inline.backend_inline"
        assert "image/png" in mimes, "a figure was not sent to the notebook"

        client.execute("import time; time.sleep(60)")
        time.sleep(0.3)  # the cell has started
        manager.interrupt_kernel()  # a signal to the launcher, forwarded to the kernel
        reply = client.get_shell_msg(timeout=20)["content"]
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)  # kills the launcher: the kernel must follow
    assert gone(seen["pid"]), "the forked kernel outlived its launcher"


def test_another_environment_gets_an_ordinary_kernel(warm, tmp_path):
    manager, client = start(warm, tmp_path, {"OMP_NUM_THREADS": "3"})
    try:
        reply, streams, _ = run(client, "import os; print(os.getpid())")
        assert reply["status"] == "ok"
        # The launcher became the kernel (exec): the process Jupyter started runs the cells.
        assert int(streams) == manager.provisioner.process.pid
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_without_a_warm_process_the_command_is_unchanged(tmp_path):
    broken = warm_kernels.WarmKernels(modules=("no_such_module_here",))
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    try:
        assert broken.command(command) == command
        assert broken.command(["other", "kernel"]) == ["other", "kernel"]
    finally:
        broken.stop()


def test_the_warm_process_exits_when_its_pytest_process_goes():
    warm = warm_kernels.WarmKernels(modules=())
    assert warm.wait_until_ready()
    warm.process.stdin.close()  # what the operating system does when pytest dies
    assert warm.process.wait(timeout=10) == 0
    warm.folder.cleanup()
