"""Run notebooks on warm kernels: worker processes that each keep one Jupyter kernel across notebooks.

A fresh kernel costs seconds per notebook (process start, imports of pandas/geopandas); a warm one
costs a namespace reset. Each worker starts one kernel, then for every task resets the namespace,
moves the kernel into the notebook's folder, runs the notebook with papermill on that kernel and
its client, renders HTML without code cells and hashes what it wrote. A kernel that dies or times
out is replaced; only its task fails.

Importing this module is cheap: papermill, nbconvert and jupyter_client are imported in workers only.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from observatory._core.digests import sha256_file
from observatory.publish.export import html_exporter, run_notebook
from observatory.publish.kernel import WarmKernel, die_with_parent
from observatory.publish.worker import run_task, task_failure, worker_main

__all__ = [
    "WarmKernel",
    "WarmPool",
    "use_pool",
    "pool_installed",
    "run_task",
    "run_tasks",
    "run_plain_papermill",
    "sha256_file",
    "worker_main",
]
# sha256_file: re-exported for observatory.onboarding until it imports observatory._core.digests
WORKERS_PREFIX = "observatory-workers-"


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
    """A worker subprocess (``python -m observatory.publish.worker``) and the thread reading its events."""

    def __init__(self, wid: int, settings: dict, inbox: queue.Queue, stderr):
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.wid = wid
        self.task: str | None = None
        self.notebook: str | None = None  # of the last task given: what its kernel's caches were filled by
        self.kernels_seen = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "observatory.publish.worker", json.dumps(settings)],
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
        self.notebook = self.notebook if task is None else task.get("notebook")
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
        warm_up: str | None = None,
    ):
        remove_stale_runtime_dirs()
        # kernels' sockets; removed even if a worker is killed, and by the next run if this one is
        self.runtime_dir = tempfile.mkdtemp(prefix=f"{WORKERS_PREFIX}{os.getpid()}-")
        self.settings = {
            "timeout": timeout,
            "start_timeout": start_timeout,
            "kernel_name": kernel_name,
            "runtime_dir": self.runtime_dir,
            "warm_up": warm_up,  # code each kernel runs as soon as it is up, before the first task
        }
        self.size, self.keep, self.kernels = max(1, workers), keep, 0
        # the pool's kernels share the CPUs: each numerical library's threads capped to its share, so that
        # OpenBLAS and Arrow threads of one kernel do not compete with the others' (a thread each with 2 workers on 2 CPUs)
        self.settings["threads"] = max(1, (os.cpu_count() or 1) // self.size)
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

    def start(self, count: int | None = None) -> None:
        """Start ``count`` workers (default: the pool's size) now, before any task: their kernels boot (and run
        the warm-up) while the caller is still planning the tasks."""
        while len(self.live) < min(self.size, count or self.size):
            self.spawn()

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
                w.give(todo.pop(next_for(w, todo, self.live)))
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
                    yield task_failure(w.task, "WorkerDied", f"worker process exited with code {code}") | {"worker": w.wid}
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
            yield task_failure(name, "WorkerLost", "no worker left to run this notebook", "") | {"kernel_restarted": False}
        yield {"kernels_started": self.kernels - first}

    def close(self, wait: float = 10) -> None:
        for w in self.live:
            w.stop(wait=wait)
        self.live = []
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


def next_for(w: _Worker, todo: list[dict], live: list[_Worker]) -> int:
    """Where in ``todo`` the next task for ``w`` is: the first that runs the notebook ``w`` ran last (its
    kernel already holds what those notebooks compute alike), else the first whose notebook no other worker
    is running (so each kind of notebook fills one kernel's caches, not all), else the first. A worker
    alone keeps the queue's order: its kernel holds every cache there is."""
    if len(live) < 2:
        return 0
    running = {x.notebook for x in live if x is not w and x.task is not None}
    for wanted in (lambda t: t.get("notebook") == w.notebook, lambda t: t.get("notebook") not in running):
        found = next((i for i, t in enumerate(todo) if wanted(t)), None)
        if found is not None:
            return found
    return 0


_SHARED: WarmPool | None = None


def use_pool(pool: WarmPool | None) -> None:
    """Make every ``run_tasks`` in this process run on ``pool`` (kept warm between builds); None to stop."""
    global _SHARED
    _SHARED = pool


def pool_installed() -> bool:
    """Whether ``use_pool`` installed a pool that every ``run_tasks`` of this process runs on."""
    return _SHARED is not None


def run_tasks(
    tasks: list[dict],
    *,
    workers: int,
    timeout: float = 300,
    start_timeout: float = 60,
    kernel_name: str = "python3",
    kernel_log: Path | None = None,
    on_start: Callable[[str, int], None] | None = None,
    pool: WarmPool | None = None,
) -> Iterator[dict]:
    """Run ``tasks`` on ``workers`` warm-kernel processes; yield each result as it finishes.

    Tasks go to whichever worker is free. A worker process that dies mid-task is replaced and
    only that task fails. Workers' and kernels' own output goes to ``kernel_log`` (appended) if
    given. The last value yielded is ``{"kernels_started": n}`` instead of a task result. With a
    pool installed by ``use_pool``, the tasks run on it (its size, its log) and it stays up. With
    ``pool`` (workers the caller started early, see ``WarmPool.start``), they run on it and the caller closes it.
    """
    if not tasks:
        remove_stale_runtime_dirs()
        yield {"kernels_started": 0}
        return
    given = pool or _SHARED
    if given is not None:
        with given.lock:
            yield from given.run(tasks, timeout=timeout, on_start=on_start)
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
