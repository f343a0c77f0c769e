"""``observatory lab``: JupyterLab on the loopback interface, in the project's notebooks folder.

The analyst's workbench: the package is importable in every kernel (the kernel is this Python, where
the project is installed), the configuration reaches notebooks through ``OBSERVATORY_CONFIG`` (read by
``notebooks/getting_started.ipynb``), and the server listens on 127.0.0.1 only, behind a token that is
printed with the URL. ``--allow-root`` is added when running as root (CI and containers), where
JupyterLab otherwise refuses to start. The command line lives in ``observatory.cli.lab``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from observatory._core.processes import HOST, answers, start_group, stop_group, wait_until
from observatory._core.resources import notebooks_dir
from observatory._core.settings import DEFAULT_CONFIG, checkout_root
from observatory.config import Config, load_config

_CHECKOUT = checkout_root()
NOTEBOOKS_DIR = _CHECKOUT / "notebooks" if _CHECKOUT else notebooks_dir()
CONFIG_ENV = "OBSERVATORY_CONFIG"


@dataclass
class Lab:
    """A running JupyterLab: its process (a process-group leader), URL, token and configuration."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    config: Config | None = None

    def address(self, path: str = "") -> str:
        """The loopback URL of ``path`` on this server (its root when empty)."""
        return f"http://{HOST}:{self.port}/{path.lstrip('/')}"

    @property
    def base(self) -> str:
        return self.address()

    @property
    def url(self) -> str:
        """The address to open in a browser: JupyterLab with its token."""
        return self.address(f"lab?token={self.token}")

    def api(self, path: str, timeout: float = 5) -> dict | list:
        """GET ``/api/<path>`` with the token; the decoded JSON."""
        req = urllib.request.Request(self.address(f"api/{path.lstrip('/')}"), headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (loopback URL built here)
            return json.loads(r.read())

    def stop(self, timeout: float = 10) -> None:
        """Stop the server and its kernels (the whole process group)."""
        stop_group(self.process, timeout)


def lab_arguments(port: int = 8888, token: str = "", root: Path | str = NOTEBOOKS_DIR, as_root: bool | None = None) -> list[str]:
    """The JupyterLab command line: loopback only, no browser, a fixed port (no silent retry on another),
    the notebooks folder as root, and ``--allow-root`` when running as root."""
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={int(port)}",
        "--ServerApp.port_retries=0",
        "--no-browser",
        f"--ServerApp.root_dir={Path(root).resolve()}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
    ]
    if (os.geteuid() == 0) if as_root is None else as_root:
        args.append("--allow-root")
    return args


def lab_environment(config: str = DEFAULT_CONFIG) -> dict[str, str]:
    """The server's environment (inherited by its kernels): the configuration, and the project importable."""
    env = dict(os.environ)
    env[CONFIG_ENV] = str(config)
    path = env.get("PYTHONPATH", "")
    if _CHECKOUT and str(_CHECKOUT) not in path.split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_CHECKOUT), path) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def wait_until_ready(lab: Lab, timeout: float = 60) -> None:
    """Wait until ``/api/status`` answers; stop the server and raise if it exits first or does not answer in time."""
    try:
        wait_until(
            lambda: answers(lab.address("api/status"), {"Authorization": f"token {lab.token}"}),
            lab.process,
            f"JupyterLab on port {lab.port}",
            timeout,
        )
    except BaseException:
        lab.stop()
        raise


def start_lab(
    port: int = 8888,
    config: str = DEFAULT_CONFIG,
    *,
    token: str | None = None,
    root: Path | str = NOTEBOOKS_DIR,
    log: Path | str | None = None,
    ready_timeout: float = 60,
) -> Lab:
    """Start JupyterLab in its own process group and return once it answers. Its output goes to ``log``
    (default: discarded, since the command prints the URL)."""
    cfg = load_config(config)
    token = token or secrets.token_hex(24)
    process = start_group(lab_arguments(port, token, root), env=lab_environment(str(cfg.dir)), cwd=root, log=log)
    lab = Lab(process, int(port), token, Path(root).resolve(), cfg)
    wait_until_ready(lab, ready_timeout)
    return lab


def run_until_stopped(running: Lab) -> None:
    """Block until the server exits, Ctrl-C, SIGTERM or SIGHUP (a service manager's stop); then stop it."""

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, terminate)
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


__all__ = ["Lab", "lab_arguments", "lab_environment", "run_until_stopped", "start_lab", "wait_until_ready"]
