"""Notebook kernels forked from a warm process: nbval does not pay PyTorch's import each time.

Every lesson runs under nbval in a kernel of its own, and a fresh kernel spends about 2.5 s of
a core before its first cell does anything: starting IPython, then ``import torch`` and
matplotlib in the first cell. ``make test`` runs a dozen of them. Here one *warm* process
imports those modules once and then waits (pytest-xdist's controller starts it for all its
workers, a pytest process without workers when it first needs a kernel); every kernel is a
``fork`` of it, a copy that starts with the modules already in
memory, and runs the ordinary ``ipykernel`` from there. The notebook's code, its outputs and
nbval's comparisons are exactly what they are in a fresh kernel: modules are imported once
per process either way, and nothing of the notebook runs before the fork.

What keeps a fork identical to a fresh kernel:
- the warm process imports modules and runs nothing else: no thread, no tensor operation, no
  figure (forking a process with threads would copy their locks);
- the kernel gets the launcher's working directory, environment, command-line arguments and
  standard streams (``kernel_launcher.py``); new random seeds for Python and NumPy; Python's
  default signal handling;
- a request whose environment differs from the warm process's where an import depends on it
  (thread counts, CPU features, PyTorch, NumPy, MKL, matplotlib) gets an ordinary kernel;
- any failure to reach the warm process gives an ordinary kernel too.
``COURSE_COLD_KERNELS=1`` turns it off (every kernel starts fresh, as before); it is on only on
Linux (macOS's system libraries are not safe to fork once loaded; Windows has no fork).

The warm process exits when the pytest process that started it closes its standard input
(at the end of the run, or when it dies).
"""

import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

LAUNCHER = Path(__file__).with_name("kernel_launcher.py")
# What every lesson imports, and torch._dynamo, which the first step of any torch.optim
# optimizer imports (about 1.4 s): paid once per run instead of once per kernel.
# Not matplotlib.pyplot: importing it may choose the backend (older matplotlib does so at
# once), which is the kernel's business once its IPython exists; the modules below are most
# of pyplot's import time and choose no backend.
WARM_MODULES = ("numpy", "torch", "torch._dynamo", "matplotlib", "matplotlib.figure",
                "matplotlib.backends.backend_agg", "ipywidgets", "ipykernel.kernelapp")
# Environment variables read at import time by the modules above or by Python itself.
ENV_PREFIXES = ("ATEN_", "OMP_", "MKL_", "KMP_", "NPY_", "OPENBLAS_", "PYTHON", "TORCH",
                "MPL", "LD_", "CUDA", "GOMP_")


def import_relevant(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(ENV_PREFIXES)}


def same_imports(request_env: dict[str, str], environment: dict[str, str],
                 set_by_imports: dict[str, str]) -> bool:
    """Whether a kernel asked for with ``request_env`` would import as the warm process did.

    ``environment``: the warm process's import-relevant variables before its imports;
    ``set_by_imports``: those its imports set themselves (``import torch._dynamo`` sets
    ``TORCHINDUCTOR_CACHE_DIR``). A caller that has made the same imports carries the same
    values, which a fresh kernel's imports would set too: they do not make it differ.
    """
    relevant = {k: v for k, v in import_relevant(request_env).items()
                if set_by_imports.get(k) != v}
    return relevant == environment


# ---- the warm process

def serve(socket_path: str, modules: list[str]) -> None:
    """Import the modules, then fork one kernel per request until standard input closes."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)  # first: a request made during the imports waits in the queue
    listener.listen(16)
    environment = import_relevant(os.environ)
    # ipykernel sets this before matplotlib is imported in a fresh kernel: do the same.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import importlib

    for name in modules:
        importlib.import_module(name)
    set_by_imports = {k: v for k, v in import_relevant(os.environ).items()
                      if environment.get(k) != v}

    # What was imported lives as long as the kernels: the collector need not scan it in each.
    gc.freeze()
    signal.signal(signal.SIGCHLD, reap_children)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not sys.stdin.buffer.read1(1):
            return
        if listener in readable:
            connection, _ = listener.accept()
            with connection:
                start_kernel(connection, listener, environment, set_by_imports)


def reap_children(_signum, _frame) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def start_kernel(connection: socket.socket, listener: socket.socket,
                 environment: dict[str, str], set_by_imports: dict[str, str]) -> None:
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    while not message.endswith(b"\n"):  # a large environment arrives in pieces
        more = connection.recv(1 << 20)
        if not more:
            break
        message += more
    try:
        request = json.loads(message)
    except ValueError:
        request = None
    if (request is None or len(fds) != 3
            or not same_imports(request["env"], environment, set_by_imports)):
        for fd in fds:
            os.close(fd)
        connection.sendall(b"cold\n")  # the launcher starts an ordinary kernel
        return
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return
    code = 1
    try:
        listener.close()
        become_kernel(connection, request, fds)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def become_kernel(connection: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: take the launcher's place, then run the ordinary ipykernel."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # As `python -m ipykernel_launcher ARGS` has them: its file as argv[0], and neither this
    # script's folder nor the working directory first on the path (the launcher removes it).
    import importlib.util

    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *request["args"]]
    # ipykernel reads Jupyter's parent process id when it is imported, here before the fork.
    if request["env"].get("JPY_PARENT_PID", "").isdigit():
        sys.argv.append(f"--IPKernelApp.parent_handle={request['env']['JPY_PARENT_PID']}")
    del sys.path[0]
    import random

    import numpy

    random.seed()
    numpy.random.seed()  # noqa: NPY002 (the legacy global state a fresh process seeds)
    connection.sendall(f"pid {os.getpid()}\n".encode())

    def exit_with_the_launcher() -> None:
        # The launcher sends nothing: the stream ends when it exits (killed by Jupyter).
        while connection.recv(4096):
            pass
        os._exit(1)

    threading.Thread(target=exit_with_the_launcher, daemon=True).start()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


# ---- the pytest side

class WarmKernels:
    """One warm process, started when the first kernel is asked for.

    ``shared_socket``: the warm process another pytest process started (xdist's controller
    starts one for all its workers); its requests are routed there while that socket exists.
    """

    def __init__(self, modules: tuple[str, ...] = WARM_MODULES,
                 shared_socket: str | None = None) -> None:
        self.modules = modules
        self.process: subprocess.Popen | None = None
        self.folder = None if shared_socket else tempfile.TemporaryDirectory(
            prefix="warm-kernels-")
        self.socket_path = shared_socket or os.path.join(self.folder.name, "socket")

    def start(self) -> bool:
        if self.folder is None:
            return os.path.exists(self.socket_path)
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, __file__, self.socket_path, *self.modules],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return self.process.poll() is None

    def wait_until_ready(self) -> bool:
        if not self.start():
            return False
        if self.process is not None and self.process.stdout is not None:
            ready = self.process.stdout.readline() == b"ready\n"
            self.process.stdout.close()
            self.process.stdout = None
            return ready
        return True

    def command(self, command: list[str]) -> list[str]:
        """The kernel command routed through the launcher (unchanged if that cannot help).

        Only an ipykernel of this very interpreter is routed: a kernel spec that names
        another Python is another environment.
        """
        if command[:1] in (["python"], [f"python{sys.version_info.major}"],
                           [f"python{sys.version_info.major}.{sys.version_info.minor}"]):
            command = [sys.executable, *command[1:]]  # as jupyter_client reads these names
        if (command[:3] != [sys.executable, "-m", "ipykernel_launcher"]
                or not self.wait_until_ready()):
            return command
        return [sys.executable, "-I", "-S", str(LAUNCHER), self.socket_path, *command]

    def stop(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            self.folder.cleanup()


SHARED_SOCKET = "COURSE_WARM_KERNELS_SOCKET"


def install(config) -> None:
    """Route the kernels this pytest process starts (nbval's, nbclient's) through a warm one."""
    if (os.environ.get("COURSE_COLD_KERNELS") == "1"
            or not sys.platform.startswith("linux")):  # fork after these imports: Linux only
        return
    from jupyter_client.kernelspec import KernelSpecManager
    from nbval.kernel import NbvalKernelspecManager

    shared = os.environ.get(SHARED_SOCKET)
    warm = WarmKernels(shared_socket=shared)  # started when the first kernel is asked for
    if not shared and starts_xdist_workers(config):
        # One warm process for every worker: it imports while they start and collect.
        warm.start()
        os.environ[SHARED_SOCKET] = warm.socket_path  # the workers inherit it
        config.add_cleanup(lambda: os.environ.pop(SHARED_SOCKET, None))
    for manager in (KernelSpecManager, NbvalKernelspecManager):
        manager.get_kernel_spec = routed(manager.get_kernel_spec, warm)
    config.add_cleanup(warm.stop)


def starts_xdist_workers(config) -> bool:
    return (not hasattr(config, "workerinput") and not config.option.collectonly
            and bool(getattr(config.option, "numprocesses", None)))


def routed(get_kernel_spec, warm: WarmKernels):
    def get_warm_kernel_spec(self, kernel_name):
        spec = get_kernel_spec(self, kernel_name)
        spec.argv = warm.command(list(spec.argv))
        return spec

    return get_warm_kernel_spec


def pytest_configure(config) -> None:
    install(config)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
