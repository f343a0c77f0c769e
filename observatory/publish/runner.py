"""Run notebooks on warm kernels: worker processes that each keep one Jupyter kernel across notebooks.

A fresh kernel costs seconds per notebook (process start, imports of pandas/geopandas); a warm one
costs a namespace reset. Each worker starts one kernel, then for every task resets the namespace,
moves the kernel into the notebook's folder, runs the notebook with papermill on that kernel and
its client, renders HTML without code cells and hashes what it wrote. A kernel that dies or times
out is replaced; only its task fails.

Importing this module is cheap: papermill, nbconvert and jupyter_client are imported in workers only.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from observatory._core.digests import sha256_file
from observatory._core.files import write_atomic
from observatory.publish.export import ENGINE, html_exporter, register_warm_engine, render_html, run_notebook, share_assets
from observatory.publish.places import Places

__all__ = ["WarmKernel", "WarmPool", "use_pool", "run_task", "run_tasks", "run_plain_papermill", "sha256_file", "worker_main"]
# sha256_file: re-exported for observatory.onboarding until it imports observatory._core.digests
WORKERS_PREFIX = "observatory-workers-"
KERNEL_ARGS = ["--HistoryManager.enabled=False"]  # no SQLite history: execution counts restart per notebook
RESET_TIMEOUT = 60

RESET_CODE = """\
get_ipython().run_line_magic("reset", "-f")
import gc as _gc, os as _os, sys as _sys, warnings as _warnings
_os.chdir({cwd!r})
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
if "pandas" in _sys.modules:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        _sys.modules["pandas"].reset_option("all")
_gc.freeze()
get_ipython().execution_count = 1
del _gc, _os, _sys, _warnings
"""


# --------------------------------------------------------------------------- worker side


class WarmKernel:
    """One kernel and one client, kept across notebooks; restarted when it dies or hangs."""

    def __init__(self, kernel_name: str = "python3", start_timeout: float = 60, runtime_dir: str | None = None):
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.runtime_dir = runtime_dir
        self.km = None
        self.kc = None
        self.tmpdir: str | None = None
        self.starts = 0

    def launch(self) -> None:
        """Start the kernel process without waiting for it to be ready."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if os.name == "posix":  # unix sockets in a private folder: no TCP, no clash between workers
            self.tmpdir = tempfile.mkdtemp(prefix="observatory-kernel-", dir=self.runtime_dir)
            self.km = AsyncKernelManager(
                kernel_name=self.kernel_name,
                transport="ipc",
                connection_file=os.path.join(self.tmpdir, "kernel.json"),
                ip=os.path.join(self.tmpdir, "ipc"),
            )
        else:
            self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        death = die_with_parent(signal.SIGKILL)  # a worker killed outright takes its kernel with it
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGS, **({"preexec_fn": death} if death else {}))
        self.starts += 1

    def connect(self) -> None:
        from jupyter_core.utils import run_sync

        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=self.start_timeout)
        self.kc.allow_stdin = False

    def ensure(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None and run_sync(self.km.is_alive)():
            if self.kc is None:
                self.connect()
            return
        self.shutdown()
        self.launch()
        self.connect()

    def reset(self, cwd: str) -> None:
        """Clear the user namespace, close figures, reset pandas options and move into ``cwd``."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(
            RESET_CODE.format(cwd=cwd), silent=True, store_history=False, timeout=RESET_TIMEOUT, output_hook=lambda msg: None
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {content.get('ename')}: {content.get('evalue')}")

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
            self.kc = None
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            self.km = None
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _error_info(exc: BaseException) -> dict:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")
        return {"ename": exc.ename, "evalue": str(exc.evalue), "cell": exc.exec_count, "source": first[:200]}
    name = type(exc).__name__
    text = str(exc).strip().splitlines()
    return {"ename": name, "evalue": text[0][:500] if text else "", "cell": None, "source": ""}


def _output_files(pack_dir: Path, patterns: list[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in pack_dir.glob(pattern) if p.is_file())
    return sorted(found)


def run_task(task: dict, kernel: WarmKernel, exporter, *, timeout: float) -> dict:
    """Execute one task on ``kernel``; never raises for a notebook's own failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    pack_dir = Path(task["pack_dir"])
    out_nb, out_html = Path(task["out_notebook"]), Path(task["out_html"])
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.unlink(missing_ok=True)
    capture = _Capture()
    pm_log = logging.getLogger("papermill")
    pm_log.addHandler(capture)
    pm_log.propagate = False
    error, restarted = None, False
    nb = None
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    try:
        kernel.ensure()  # the first task waits here for its kernel to be ready
        kernel.reset(task["cwd"])
        phases["kernel"] = time.perf_counter() - mark
        mark = time.perf_counter()
        nb = pm.execute_notebook(
            task["notebook"],
            str(out_nb),
            parameters=task["parameters"],
            engine_name=ENGINE,
            kernel_name=kernel.kernel_name,
            km=kernel.km,
            kc=kernel.kc,
            progress_bar=False,
            request_save_on_cell_execute=False,
            start_timeout=kernel.start_timeout,
            execution_timeout=timeout,
            save_on_error=str(out_nb),
            extra_metadata=task.get("metadata"),
        )
    except PapermillExecutionError as exc:
        error = _error_info(exc)
    except Exception as exc:  # dead kernel, cell timeout, failed reset: the kernel cannot be trusted
        error = _error_info(exc)
        if type(exc).__name__ == "CellTimeoutError":
            error["evalue"] = f"a cell ran longer than {timeout:g} s"
        kernel.shutdown()
        restarted = True
    finally:
        pm_log.removeHandler(capture)
        phases["execution"] = time.perf_counter() - mark
    mark = time.perf_counter()
    stderr_lines = []
    if nb is not None:
        stderr_lines = [
            o.get("text", "").strip().splitlines()[0]
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr" and o.get("text", "").strip()
        ]
    places = Places(task.get("places") or [])
    if out_nb.exists():  # parameters, papermill's paths and tracebacks name the build machine's folders
        places.scrub_file(out_nb)
    shared: dict[str, str] = {}
    if error is None:
        try:
            page = render_html(nb, exporter, task["title"], places.scrub)
            if task.get("assets"):
                page, shared = share_assets(page, pack_dir, out_html.parent)
            write_atomic(out_html, page)
        except Exception as exc:
            error = {"ename": type(exc).__name__, "evalue": f"HTML export failed: {exc}", "cell": None, "source": ""}
    phases["html export"] = time.perf_counter() - mark
    mark = time.perf_counter()
    error = places.scrub_value(error)
    files = [p for p in (out_nb, out_html) if p.exists()] + _output_files(pack_dir, task.get("outputs", []))
    digests = {p.relative_to(pack_dir).as_posix(): sha256_file(p) for p in dict.fromkeys(files)} | shared
    phases["hashing"] = time.perf_counter() - mark
    return {
        "name": task["name"],
        "status": "failed" if error else "built",
        "seconds": round(time.perf_counter() - t0, 3),
        "error": error,
        "files": digests,
        "phases": {k: round(v, 3) for k, v in phases.items()},
        "warnings": [places.scrub(w) for w in capture.messages + [f"stderr: {s}" for s in stderr_lines]],
        "kernel_restarted": restarted,
    }


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)


def worker_main(settings: dict) -> None:
    """A worker process: start a kernel, run the JSON tasks read from stdin until it closes.

    Events go to the original stdout as JSON lines; anything else printed in this process (or by
    its kernel) goes to stderr, so it cannot corrupt the protocol.
    """
    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it terminates workers on Ctrl-C
    events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)

    def send(event: dict) -> None:
        events.write(json.dumps(event) + "\n")
        events.flush()

    kernel = WarmKernel(settings["kernel_name"], settings["start_timeout"], settings.get("runtime_dir"))
    try:
        try:
            kernel.launch()  # boots while papermill and nbconvert import
        except Exception:
            kernel.shutdown()
        register_warm_engine()
        exporter = html_exporter()
        for line in sys.stdin:
            if not line.strip():
                continue
            task = json.loads(line)
            send({"event": "start", "name": task["name"]})
            try:
                result = run_task(task, kernel, exporter, timeout=task.get("timeout") or settings["timeout"])
            except Exception as exc:
                kernel.shutdown()
                result = _failure(task["name"], type(exc).__name__, str(exc), traceback.format_exc(limit=3))
            send({"event": "done", "result": result, "kernels": kernel.starts})
    finally:
        kernel.shutdown()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        send({"event": "kernels", "count": kernel.starts})
        events.close()


def _failure(name: str, ename: str, evalue: str, source: str = "") -> dict:
    return {
        "name": name,
        "status": "failed",
        "seconds": 0.0,
        "files": {},
        "warnings": [],
        "kernel_restarted": True,
        "error": {"ename": ename, "evalue": evalue, "cell": None, "source": source},
    }


# --------------------------------------------------------------------------- parent side

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when its parent dies (even by SIGKILL).

    Workers get SIGTERM (they then stop their kernel), kernels SIGKILL. None where prctl is unavailable.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), int(sig))

    return preexec


def remove_stale_runtime_dirs(tmp: Path | str | None = None) -> list[Path]:
    """Remove ``observatory-workers-<pid>-*`` folders whose build process is gone (a killed run's leftovers)."""
    removed = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{WORKERS_PREFIX}*"):
        pid = folder.name[len(WORKERS_PREFIX) :].split("-", 1)[0]
        if folder.is_dir() and not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Worker:
    """A worker subprocess (``python -m observatory.publish.runner``) and the thread reading its events."""

    def __init__(self, wid: int, settings: dict, inbox: queue.Queue, stderr):
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.wid = wid
        self.task: str | None = None
        self.kernels_seen = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "observatory.publish.runner", json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        self.reader = threading.Thread(target=self._read, args=(inbox,), daemon=True)
        self.reader.start()

    def _read(self, inbox) -> None:
        for line in self.proc.stdout:
            try:
                inbox.put((self, json.loads(line)))
            except ValueError:
                continue
        inbox.put((self, None))

    def give(self, task: dict | None) -> None:
        self.task = None if task is None else task["name"]
        try:
            if task is None:
                self.proc.stdin.close()
            else:
                self.proc.stdin.write(json.dumps(task) + "\n")
                self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def stop(self, wait: float = 10) -> None:
        self.give(None)
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class WarmPool:
    """Warm-kernel worker processes. ``keep=True``: they stay up between runs (a long-lived host, such as a
    Dask worker, starts one pool and installs it with ``use_pool`` so every build on it reuses the warm kernel)."""

    def __init__(
        self,
        workers: int,
        *,
        timeout: float = 300,
        start_timeout: float = 60,
        kernel_name: str = "python3",
        kernel_log: Path | None = None,
        keep: bool = False,
    ):
        remove_stale_runtime_dirs()
        # kernels' sockets; removed even if a worker is killed, and by the next run if this one is
        self.runtime_dir = tempfile.mkdtemp(prefix=f"{WORKERS_PREFIX}{os.getpid()}-")
        self.settings = {
            "timeout": timeout,
            "start_timeout": start_timeout,
            "kernel_name": kernel_name,
            "runtime_dir": self.runtime_dir,
        }
        self.size, self.keep, self.kernels = max(1, workers), keep, 0
        self.inbox: queue.Queue = queue.Queue()
        self.stderr = open(kernel_log, "ab") if kernel_log else None
        self.live: list[_Worker] = []
        self.lock = threading.Lock()
        self._ids = 0

    def spawn(self) -> _Worker:
        w = _Worker(self._ids, self.settings, self.inbox, self.stderr)
        self._ids += 1
        self.live.append(w)
        return w

    def _count(self, w: _Worker, starts: int) -> None:
        self.kernels += max(0, starts - w.kernels_seen)
        w.kernels_seen = max(starts, w.kernels_seen)

    def run(
        self, tasks: list[dict], *, timeout: float | None = None, on_start: Callable[[str, int], None] | None = None
    ) -> Iterator[dict]:
        """Run ``tasks`` on the pool's workers; yield each result, then ``{"kernels_started": n}``."""
        todo = [dict(t, timeout=timeout) if timeout else t for t in tasks]
        pending = {t["name"] for t in tasks}
        first, respawns = self.kernels, 0

        def feed(w: _Worker) -> None:
            if todo:
                w.give(todo.pop(0))
            elif self.keep:
                w.task = None
            else:
                w.give(None)

        while len(self.live) < min(self.size, len(tasks)) if not self.keep else len(self.live) < self.size:
            self.spawn()
        for w in list(self.live):
            feed(w)
        while self.live and (pending or not self.keep):
            w, event = self.inbox.get()
            if event is None:  # the worker's stdout closed: it exited
                self.live.remove(w)
                code = w.proc.wait()
                if w.task in pending:
                    pending.discard(w.task)
                    yield _failure(w.task, "WorkerDied", f"worker process exited with code {code}") | {"worker": w.wid}
                if (todo or self.keep) and respawns < len(tasks) + self.size:
                    respawns += 1
                    feed(self.spawn())
                continue
            kind = event.get("event")
            if kind == "start":
                if on_start:
                    on_start(event["name"], w.wid)
            elif kind == "done":
                self._count(w, int(event.get("kernels", 0)))
                result = event["result"] | {"worker": w.wid}
                feed(w)
                if result["name"] in pending:
                    pending.discard(result["name"])
                    yield result
            elif kind == "kernels":
                self._count(w, int(event.get("count", 0)))
        for name in sorted(pending):
            yield _failure(name, "WorkerLost", "no worker left to run this notebook", "") | {"kernel_restarted": False}
        yield {"kernels_started": self.kernels - first}

    def close(self, wait: float = 10) -> None:
        for w in self.live:
            w.stop(wait=wait)
        self.live = []
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


_SHARED: WarmPool | None = None


def use_pool(pool: WarmPool | None) -> None:
    """Make every ``run_tasks`` in this process run on ``pool`` (kept warm between builds); None to stop."""
    global _SHARED
    _SHARED = pool


def run_tasks(
    tasks: list[dict],
    *,
    workers: int,
    timeout: float = 300,
    start_timeout: float = 60,
    kernel_name: str = "python3",
    kernel_log: Path | None = None,
    on_start: Callable[[str, int], None] | None = None,
) -> Iterator[dict]:
    """Run ``tasks`` on ``workers`` warm-kernel processes; yield each result as it finishes.

    Tasks go to whichever worker is free. A worker process that dies mid-task is replaced and
    only that task fails. Workers' and kernels' own output goes to ``kernel_log`` (appended) if
    given. The last value yielded is ``{"kernels_started": n}`` instead of a task result. With a
    pool installed by ``use_pool``, the tasks run on it (its size, its log) and it stays up.
    """
    if not tasks:
        remove_stale_runtime_dirs()
        yield {"kernels_started": 0}
        return
    if _SHARED is not None:
        with _SHARED.lock:
            yield from _SHARED.run(tasks, timeout=timeout, on_start=on_start)
        return
    pool = WarmPool(workers, timeout=timeout, start_timeout=start_timeout, kernel_name=kernel_name, kernel_log=kernel_log)
    done = False
    try:
        for res in pool.run(tasks, on_start=on_start):
            done = done or "kernels_started" in res
            yield res
    finally:
        pool.close(wait=10 if done else 0.5)


def run_plain_papermill(notebooks: list[tuple[Path, dict, Path]], *, html: bool = True) -> float:
    """Seconds to run each (notebook, parameters, output) sequentially, one fresh kernel each.

    The naive baseline for the benchmark; HTML is rendered with one in-process exporter.
    """
    exporter = html_exporter() if html else None
    t0 = time.perf_counter()
    for nb_path, params, out in notebooks:
        try:
            run_notebook(nb_path, out, params, page=out.with_suffix(".html") if html else None, exporter=exporter)
        except Exception:
            continue
    return time.perf_counter() - t0


if __name__ == "__main__":
    worker_main(json.loads(sys.argv[1]))
