"""Starting and stopping local servers (JupyterLab, Voila) as process groups on the loopback interface."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"


def start_group(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path | str, log: Path | str | None = None, quiet: bool = True
) -> subprocess.Popen:
    """Start ``args`` as the leader of a new process group, its output to ``log``, discarded, or inherited."""
    out = open(log, "ab") if log else (subprocess.DEVNULL if quiet else None)
    try:
        return subprocess.Popen(
            list(args),
            env=dict(env),
            cwd=str(cwd),
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            start_new_session=True,
        )
    finally:
        if log:
            out.close()


def stop_group(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process started by :func:`start_group` and everything it started (SIGTERM, then SIGKILL)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)
    except ProcessLookupError:
        pass


def answers(url: str, headers: Mapping[str, str] | None = None, timeout: float = 2) -> bool:
    """True when ``url`` answers below 500 (a 4xx still means the server is up)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(headers or {})), timeout=timeout) as r:  # noqa: S310
            return r.status < 500
    except urllib.error.HTTPError as e:
        return e.code < 500
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    """Poll ``ready`` until true; raise if ``process`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before answering (is the port in use?)")
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not answer within {timeout:.0f} s")
