"""``observatory lab``: JupyterLab on the loopback interface, in the project's notebooks folder.

The analyst's workbench: the package is importable in every kernel (the kernel is this Python, where
the project is installed), the configuration reaches notebooks through ``OBSERVATORY_CONFIG`` (read by
``notebooks/getting_started.ipynb``), and the server listens on 127.0.0.1 only, behind a token that is
printed with the URL. ``--allow-root`` is added when running as root (CI and containers), where
JupyterLab otherwise refuses to start.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import typer

from observatory._core.resources import notebooks_dir
from observatory._core.settings import DEFAULT_CONFIG, checkout_root

_CHECKOUT = checkout_root()
NOTEBOOKS_DIR = _CHECKOUT / "notebooks" if _CHECKOUT else notebooks_dir()
HOST = "127.0.0.1"
CONFIG_ENV = "OBSERVATORY_CONFIG"


@dataclass
class Lab:
    """A running JupyterLab: its process (a process-group leader), URL and token."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def url(self) -> str:
        return f"{self.base}lab?token={self.token}"

    def api(self, path: str, timeout: float = 5) -> dict | list:
        """GET ``/api/<path>`` with the token; the decoded JSON."""
        req = urllib.request.Request(f"{self.base}api/{path.lstrip('/')}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (loopback URL built here)
            return json.loads(r.read())

    def stop(self, timeout: float = 10) -> None:
        """Stop the server and its kernels (the whole process group)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
        except ProcessLookupError:
            pass


def lab_arguments(port: int = 8888, token: str = "", root: Path | str = NOTEBOOKS_DIR, as_root: bool | None = None) -> list[str]:
    """The JupyterLab command line: loopback only, no browser, a fixed port (no silent retry on another),
    the notebooks folder as root, and ``--allow-root`` when running as root."""
    args = [sys.executable, "-m", "jupyterlab", f"--ServerApp.ip={HOST}", f"--ServerApp.port={int(port)}",
            "--ServerApp.port_retries=0", "--no-browser", f"--ServerApp.root_dir={Path(root).resolve()}",
            f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False"]
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
    """Poll ``/api/status`` until the server answers; raise if it exits first or does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {lab.process.returncode} before answering on port {lab.port} "
                               "(is the port in use?)")
        try:
            lab.api("status", timeout=2)
            return
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.2)
    lab.stop()
    raise TimeoutError(f"JupyterLab did not answer at {lab.base} within {timeout:.0f} s")


def start_lab(port: int = 8888, config: str = DEFAULT_CONFIG, *, token: str | None = None, root: Path | str = NOTEBOOKS_DIR,
              log: Path | str | None = None, ready_timeout: float = 60) -> Lab:
    """Start JupyterLab in its own process group and return once it answers. Its output goes to ``log``
    (default: discarded, since the URL is printed by :func:`lab`)."""
    from observatory.config import load_config

    cfg = load_config(config)
    token = token or secrets.token_hex(24)
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(lab_arguments(port, token, root), env=lab_environment(str(cfg.dir)), cwd=str(root),
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        if log:
            out.close()
    lab = Lab(process, int(port), token, Path(root).resolve())
    wait_until_ready(lab, ready_timeout)
    return lab


def lab(port: int = 8888, config: str = DEFAULT_CONFIG, *, log: Path | str | None = None) -> None:
    """Start JupyterLab, print its URL with the token, and serve until Ctrl-C (or SIGTERM); then stop it."""
    from observatory.config import load_config

    cfg = load_config(config)
    running = start_lab(port, config, log=log)
    print(f"JupyterLab for {cfg.label} is running (listening on {HOST} only):\n\n"
          f"    {running.url}\n\n"
          f"  notebooks: {running.root}  (start with getting_started.ipynb)\n"
          f"  configuration: {cfg.name} (OBSERVATORY_CONFIG={cfg.dir})\n"
          "  press Ctrl-C to stop", flush=True)

    def terminate(signum, _frame):  # a service manager's stop: stop the server too, then exit
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


def lab_cli(
    port: int = typer.Option(8888, "--port", "-p", help="Port on 127.0.0.1."),
    config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Configuration the notebooks open (demo, warwickshire) or folder."),
    log: Path | None = typer.Option(None, "--log", help="Write JupyterLab's own log to this file (default: discarded)."),
) -> None:
    """Start JupyterLab on 127.0.0.1 in notebooks/ with the observatory importable; prints the URL with its token."""
    try:
        lab(port=port, config=config, log=log)
    except (RuntimeError, TimeoutError, FileNotFoundError) as e:
        typer.echo(f"lab failed: {e}", err=True)
        raise typer.Exit(1)


__all__ = ["Lab", "lab", "lab_cli", "lab_arguments", "lab_environment", "start_lab", "wait_until_ready"]
