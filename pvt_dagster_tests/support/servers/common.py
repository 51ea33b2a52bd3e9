"""Helpers shared by the server modules: free ports, waiting for a port, stopping a process
tree by pid (never by name)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from pvt_dagster.demo.launcher import descendants  # one /proc walker for all


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None,
                  timeout: float = 30.0, log: Path | None = None) -> None:
    """Wait until something accepts on 127.0.0.1:port; RuntimeError if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            text = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {text}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.01)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def kill_tree(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM,
              timeout: float = 5.0) -> None:
    """Send ``sig`` to the process and its descendants (by pid), then reap it."""
    if proc.poll() is None:
        for pid in [proc.pid, *descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout)
