"""Start one notebook kernel for the test suite, forked from a warm process when one is ready.

Run as ``python -I -S kernel_launcher.py SOCKET PYTHON -m ipykernel_launcher ARGS...``; see
``warm_kernels.py`` for why and how. Only the standard library is imported here, so this
process starts in milliseconds. It asks the warm process behind ``SOCKET`` for a kernel,
hands it its standard streams, and stands in for it: a signal sent to this process (an
interrupt from Jupyter) goes to the kernel, and this process exits when the kernel does.
Whatever goes wrong on the way (no warm process, a different environment), it becomes the
ordinary kernel instead, by executing the command it was given.
"""

import json
import os
import signal
import socket
import sys


def become_the_ordinary_kernel(command: list[str]) -> None:
    os.execv(command[0], command)


def main() -> None:
    socket_path, command = sys.argv[1], sys.argv[2:]
    request = {"args": command[3:], "cwd": os.getcwd(), "env": dict(os.environ)}
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(socket_path)
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reply = connection.makefile("rb").readline().decode()
    except OSError:
        reply = ""
    if not reply.startswith("pid "):
        become_the_ordinary_kernel(command)
    kernel_pid = int(reply.split()[1])

    def forward(signum, _frame):
        try:
            os.kill(kernel_pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    # The kernel holds the other end: the stream ends when the kernel process exits.
    while connection.recv(4096):
        pass


if __name__ == "__main__":
    main()
