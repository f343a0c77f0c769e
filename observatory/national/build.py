"""The national build: one pack per authority, each the single-pack build (same manifest, same incremental rules).

Executors: ``local`` (one authority after another in this process) or ``dask`` (Dask distributed: join
``scheduler`` when given, else a ``LocalCluster`` of processes on 127.0.0.1). On Dask an authority's task plans
its pack (the profile table, the incremental check) and writes its one manifest, while each of its notebooks is a
task of its own (submitted from the authority's task, run on any worker's warm kernel), so the work spreads
over the workers however unequal the authorities. Tasks are retried on worker loss (``retries``); a failing
notebook or authority is reported, never stops the others.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker, worker_client
from tqdm import tqdm

from observatory._core.settings import build_dir
from observatory.config import load_config
from observatory.national.authorities import authorities, find_authority
from observatory.national.init import init_authority
from observatory.national.store import build_national_store
from observatory.publish.plan import build as build_pack
from observatory.publish.runner import WarmPool, use_pool


@dataclass
class AuthorityResult:
    code: str
    ok: bool
    summary: str
    exit_code: int


def _codes(which: str | list[str]) -> list[str]:
    items = which.split(",") if isinstance(which, str) else list(which)
    if items == ["all"]:
        return [a.code for a in authorities()]
    return [find_authority(i.strip()).code for i in items if i.strip()]


def build_one(
    code: str, configs: str, store: str, quarter: str | None, out: str | None, localities: str = "msoa", force: bool = False
) -> AuthorityResult:
    """Initialise (if needed) and build one authority's pack from the national store; never raises."""
    try:
        folder = init_authority(code, localities, out=Path(configs) / code, store=Path(store))  # generated: kept current
        cfg = load_config(folder)
        s = build_pack(
            cfg,
            quarter,
            out=Path(out) / code if out else None,
            store=Path(store),
            progress=False,
            force=force,
            jobs_n=1,
            sync=False,
        )
        return AuthorityResult(code, bool(s.ok), s.describe(), int(s.exit_code))
    except Exception as e:  # noqa: BLE001 isolate: one authority's failure is reported, the rest build
        return AuthorityResult(code, False, f"{type(e).__name__}: {e}", 1)


def _notebook_task(task: dict) -> tuple[dict, int]:
    """One notebook on this worker's warm kernel: its result and the kernels started for it."""
    pool = get_worker().plugins[WarmKernels.name].pool
    with pool.lock:
        *results, kernels = pool.run([task])
    return results[0], kernels["kernels_started"]


class NotebookTasks:
    """What ``use_pool`` installs on a Dask worker: a pack's notebooks, each submitted as its own Dask task
    (higher priority than authorities not yet planned); results come back as the engine's runner gives them."""

    lock = contextlib.nullcontext()  # many packs may be running their notebooks at once

    def __init__(self, retries: int = 2):
        self.retries = retries

    def run(self, tasks: list[dict], *, timeout: float | None = None, on_start=None) -> Iterator[dict]:
        kernels, run = 0, uuid.uuid4().hex[:8]
        with worker_client() as client:  # secedes: the worker's slot runs notebooks meanwhile
            futures = {
                client.submit(
                    _notebook_task,
                    dict(t, timeout=timeout) if timeout else t,
                    key=f"notebook-{t['name']}-{run}",
                    retries=self.retries,
                    priority=10,
                    pure=False,
                ): t["name"]
                for t in tasks
            }
            for f in as_completed(futures):
                try:
                    result, started = f.result()
                except Exception as e:  # noqa: BLE001 the notebook's worker was lost more than `retries` times
                    error = {"ename": type(e).__name__, "evalue": str(e), "cell": None, "source": ""}
                    result, started = {"name": futures[f], "status": "failed", "seconds": 0.0, "files": {}, "error": error}, 0
                kernels += started
                yield result
        yield {"kernels_started": kernels}


class WarmKernels(WorkerPlugin):
    """One warm-kernel runner per Dask worker, kept across tasks: every notebook task on the worker runs on it,
    as a single-pack build's workers do; packs built on the worker hand their notebooks to ``NotebookTasks``."""

    name = "observatory-warm-kernels"

    def __init__(self, log_dir: str | None = None, retries: int = 2):
        self.log_dir, self.retries = log_dir, retries
        self.pool: WarmPool | None = None

    def setup(self, worker) -> None:
        log = Path(self.log_dir) / f"worker-{os.getpid()}.log" if self.log_dir else None
        if log:
            log.parent.mkdir(parents=True, exist_ok=True)
        self.pool = WarmPool(1, keep=True, kernel_log=log)
        self.pool.spawn()  # its kernel boots now, before the first task arrives
        use_pool(NotebookTasks(self.retries))

    def teardown(self, worker) -> None:
        use_pool(None)
        if self.pool is not None:
            self.pool.close()


def _on_dask(
    codes: list[str], args: tuple, *, scheduler: str | None, workers: int, retries: int, progress: bool, log_dir: Path
) -> list[AuthorityResult]:
    """One task per authority on Dask distributed (``scheduler`` joined, else a LocalCluster of processes)."""
    cluster = (
        None
        if scheduler
        else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    )
    try:
        with Client(scheduler or cluster) as client:
            client.register_plugin(WarmKernels(str(log_dir), retries))
            futures = [client.submit(build_one, c, *args, key=f"authority-{c}", retries=retries, pure=False) for c in codes]
            results = []
            for f in tqdm(as_completed(futures), total=len(futures), desc="authorities", disable=not progress):
                code = f.key.removeprefix("authority-")
                try:
                    results.append(f.result())
                except Exception as e:  # noqa: BLE001 the worker was lost more than `retries` times
                    results.append(AuthorityResult(code, False, f"{type(e).__name__}: {e}", 1))
    finally:
        if cluster is not None:
            cluster.close()
    return results


def build_authorities(
    which: str | list[str] = "all",
    *,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int = 2,
    configs: Path | None = None,
    out: Path | None = None,
    quarter: str | None = None,
    localities: str = "msoa",
    store: Path | None = None,
    force: bool = False,
    retries: int = 2,
    progress: bool = True,
) -> list[AuthorityResult]:
    """Build one pack per authority (``all`` or codes/names); the national store is brought up to date first, once."""
    if executor not in ("local", "dask"):
        raise ValueError(f"executor must be local or dask, not {executor!r}")
    codes = _codes(which)
    st = build_national_store(store)
    configs = Path(configs or build_dir() / "national" / "configs")
    args = (str(configs), str(st.path), quarter, str(out) if out else None, localities, force)
    if executor == "local":
        return [build_one(c, *args) for c in tqdm(codes, desc="authorities", disable=not progress)]
    results = _on_dask(
        codes, args, scheduler=scheduler, workers=workers, retries=retries, progress=progress, log_dir=configs.parent / "logs"
    )
    return sorted(results, key=lambda r: r.code)
