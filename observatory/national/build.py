"""The national build: one pack per authority, each the single-pack build (same manifest, same incremental rules).

Executors: ``local`` (one authority after another in this process) or ``dask`` (Dask distributed: join
``scheduler`` when given, else a ``LocalCluster`` of processes on 127.0.0.1). Each task is one authority;
tasks are retried on worker loss (``retries``); a failing authority is reported, never stops the others.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from observatory._core.settings import build_dir
from observatory.config import load_config
from observatory.national.authorities import authorities, find_authority
from observatory.national.init import init_authority
from observatory.national.store import build_national_store
from observatory.publish.plan import build as build_pack


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


def build_one(code: str, configs: str, store: str, quarter: str | None, out: str | None, localities: str = "msoa",
              force: bool = False) -> AuthorityResult:
    """Initialise (if needed) and build one authority's pack from the national store; never raises."""
    try:
        folder = init_authority(code, localities, out=Path(configs) / code, store=Path(store))  # generated: kept current
        cfg = load_config(folder)
        s = build_pack(cfg, quarter, out=Path(out) / code if out else None, store=Path(store), progress=False,
                       force=force, jobs_n=1, sync=False)
        return AuthorityResult(code, bool(s.ok), s.describe(), int(s.exit_code))
    except Exception as e:  # noqa: BLE001 isolate: one authority's failure is reported, the rest build
        return AuthorityResult(code, False, f"{type(e).__name__}: {e}", 1)


def build_authorities(which: str | list[str] = "all", *, executor: str = "local", scheduler: str | None = None,
                      workers: int = 2, configs: Path | None = None, out: Path | None = None, quarter: str | None = None,
                      localities: str = "msoa", store: Path | None = None, force: bool = False, retries: int = 2,
                      progress: bool = True) -> list[AuthorityResult]:
    """Build one pack per authority (``all`` or codes/names); the national store is brought up to date first, once."""

    codes = _codes(which)
    st = build_national_store(store)
    configs = Path(configs or build_dir() / "national" / "configs")
    args = (str(configs), str(st.path), quarter, str(out) if out else None, localities, force)
    if executor == "local":
        return [build_one(c, *args) for c in tqdm(codes, desc="authorities", disable=not progress)]
    if executor != "dask":
        raise ValueError(f"executor must be local or dask, not {executor!r}")
    from distributed import Client, LocalCluster, as_completed

    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1")
    with Client(scheduler or cluster) as client:
        futures = [client.submit(build_one, c, *args, key=f"authority-{c}", retries=retries, pure=False) for c in codes]
        results = []
        for f in tqdm(as_completed(futures), total=len(futures), desc="authorities", disable=not progress):
            results.append(f.result())
    if cluster is not None:
        cluster.close()
    return sorted(results, key=lambda r: r.code)
