"""`observatory lab` (JupyterLab on the loopback interface) and the getting-started notebook it opens."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from observatory.apps.lab import NOTEBOOKS_DIR, lab_arguments, lab_environment

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "getting_started.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str | None = None, timeout: float = 5) -> tuple[int, bytes]:
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_arguments_bind_loopback_without_browser_and_allow_root_only_as_root():
    args = lab_arguments(9123, "secret", NOTEBOOKS_DIR, as_root=False)
    assert args[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in args and "--ServerApp.port=9123" in args and "--no-browser" in args
    assert "--ServerApp.port_retries=0" in args and "--IdentityProvider.token=secret" in args
    assert f"--ServerApp.root_dir={NOTEBOOKS_DIR.resolve()}" in args
    assert "--allow-root" not in args
    assert "--allow-root" in lab_arguments(9123, "secret", NOTEBOOKS_DIR, as_root=True)
    env = lab_environment("demo")
    assert env["OBSERVATORY_CONFIG"] == "demo" and str(ROOT) in env["PYTHONPATH"].split(os.pathsep)


def test_lab_prints_its_url_serves_the_notebooks_and_stops(tmp_path):
    port = free_port()
    log = tmp_path / "lab.log"
    code = "import typer; from observatory.cli.lab import command; typer.run(command)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--log", str(log)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines = []
        for line in proc.stdout:  # blocks until the server answers and the URL is printed
            lines.append(line)
            if "http://" in line:
                break
        url = next((ln.strip() for ln in lines if "http://" in ln), "")
        assert url.startswith(f"http://127.0.0.1:{port}/lab?token="), "".join(lines) + log.read_text()
        token = url.split("token=", 1)[1]
        base = f"http://127.0.0.1:{port}/"
        status, body = get(base + "api/status", token)
        assert status == 200 and "started" in json.loads(body)
        status, body = get(base + "api/contents", token)
        assert status == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert "getting_started.ipynb" in names and "locality_profile.ipynb" in names
        assert get(base + "api/contents")[0] == 403  # nothing without the token
        assert get(url)[0] == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    deadline = time.monotonic() + 20  # the server is stopped with the command (not a timing assertion: a bounded wait)
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"JupyterLab still listens on port {port} after the command was stopped")


def test_getting_started_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    checked = [c for c in code if "NBVAL_CHECK_OUTPUT" in c.source]
    assert len(checked) >= 3 and all(c.metadata.get("expected_stdout") for c in checked)
    for c in code:
        assert not c.outputs and c.execution_count is None, c.source[:60]
    source = "\n".join(c.source for c in code)
    assert "import observatory as obs" in source
    imported = {m for c in code for m in re.findall(r"^\s*(?:from|import) (observatory[\w.]*)", c.source, flags=re.M)}
    assert imported == {"observatory"}, f"the tutorial uses only the public API, not {imported - {'observatory'}}"


def test_getting_started_runs_top_to_bottom_with_nbval(tmp_path):
    import observatory

    assert hasattr(observatory, "load_config"), (
        "observatory/__init__.py must re-export the public API lazily (observatory.api.EXPORTS; see docs/api.md)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OBSERVATORY_CONFIG", "PYTEST_ADDOPTS")}
    env["OBSERVATORY_STORE"] = str(tmp_path / "store")
    # the tutorial builds its pack in a temporary folder: a short one (kernel sockets live there too), removed after
    env["TMPDIR"] = short = tempfile.mkdtemp(prefix="obs-gs-")
    # nbval compares the cells marked NBVAL_CHECK_OUTPUT with stored outputs: fill in the expected ones
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        if "expected_stdout" in cell.metadata:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=cell.metadata["expected_stdout"])]
            cell.execution_count = i + 1
    checked_copy = tmp_path / NOTEBOOK.name
    nbformat.write(nb, checked_copy)
    try:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--nbval-lax",
                str(checked_copy),
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:xdist",
                "-o",
                "addopts=",
                "--rootdir",
                str(tmp_path),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(short, ignore_errors=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout
