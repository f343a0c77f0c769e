"""The national build: one pack per authority, each the single-pack build (same manifest, same incremental rules).

Executors: ``local`` (one authority after another in this process) or ``dask`` (Dask distributed: join
``scheduler`` when given, else a ``LocalCluster`` of processes on 127.0.0.1). Each task is one authority;
tasks are retried on worker loss (``retries``); a failing authority is reported, never stops the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from distributed import Client, LocalCluster, WorkerPlugin, as_completed
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


class WarmKernels(WorkerPlugin):
    """One warm-kernel runner per Dask worker, kept across tasks: every pack built on the worker runs its
    notebooks on it (``observatory.publish.runner.use_pool``), as a single-pack build's workers do."""

    name = "observatory-warm-kernels"

    def __init__(self, log_dir: str | None = None):
        self.log_dir = log_dir
        self.pool: WarmPool | None = None

    def setup(self, worker) -> None:
        log = Path(self.log_dir) / f"worker-{os.getpid()}.log" if self.log_dir else None
        if log:
            log.parent.mkdir(parents=True, exist_ok=True)
        self.pool = WarmPool(1, keep=True, kernel_log=log)
        self.pool.spawn()  # its kernel boots now, before the first task arrives
        use_pool(self.pool)

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
            client.register_plugin(WarmKernels(str(log_dir)))
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
