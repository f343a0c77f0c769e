"""The quarterly build: bring the store up to date, compute the profiles once, and build the pack.

Each output's dependency digest covers exactly the data it shows, so an unchanged input rebuilds
nothing and a changed one rebuilds only the outputs that show it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from observatory._core.digests import sha256_bytes
from observatory._core.files import write_atomic
from observatory._core.resources import notebook, notebooks_dir
from observatory._core.settings import build_dir, checkout_root, data_dir
from observatory.config import Config, load_config
from observatory.metadata.catalogue import allowed_datasets, catalogue_file, check_audience, partners_file
from observatory.metadata.indicators import read_indicators
from observatory.publish.early import check_usage, early_workers
from observatory.publish.engine import BuildSummary, Job, build_pack, up_to_date
from observatory.publish.layout import QUARTER, YEARS, check_quarter, current_quarter, pack_dir, previous_quarter  # noqa: F401
from observatory.publish.places import Places
from observatory.publish.runner import WarmPool
from observatory.store import Store

SOURCES_STATE = "sources.json"
STALE_TMP_SECONDS = 600  # a store temporary file this old belongs to a killed ingest (a write takes seconds)


def _sha(*parts: bytes) -> str:
    """One digest over byte strings, each kept apart from the next."""
    return sha256_bytes(b"".join(sha256_bytes(p).encode() for p in parts))


def sources_digest(cfg: Config) -> str:
    """Hash of every source file and configuration file the store is built from."""
    files = [cfg.dir / "config.yaml", cfg.indicators_file, cfg.localities_file] + [s.file for s in cfg.sources]
    extra = cfg.dir / cfg.raw["sources"] if isinstance(cfg.raw.get("sources"), str) else None
    files += [extra] if extra else []
    return _sha(*[(str(p).encode() + (p.read_bytes() if p.exists() else b"missing")) for p in files])


def _recorded_digest(state: Path) -> str | None:
    """The digest in the sources record, or None when it is missing or unreadable (then: re-ingest)."""
    try:
        data = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("digest") if isinstance(data, dict) else None


def remove_stale_temporaries(store: Store, older_than: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove ``.values.parquet.*.tmp`` (and other ``.*.tmp``) files a killed ingest left in the store."""
    removed = []
    cutoff = time.time() - older_than
    for tmp in store.path.glob(".*.tmp") if store.path.is_dir() else ():
        try:
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue
    return removed


def sync_store(cfg: Config, store: Store, progress: bool = False) -> bool:
    """Ingest the configuration's sources when they changed since the last sync; True if it ingested.

    The record of the last sync is written atomically; a missing or unreadable one means re-ingest.
    """
    remove_stale_temporaries(store)
    digest = sources_digest(cfg)
    state = store.path / SOURCES_STATE
    if store.exists() and _recorded_digest(state) == digest:
        return False
    from observatory.ingest.pipeline import ingest  # start-up: 0.23 s on its own, paid only when the store must be synced

    ingest(cfg, store, progress=progress)
    write_atomic(state, json.dumps({"digest": digest}))
    return True


def _frame_digest(frame) -> bytes:
    """A frame's content digest (hex, as bytes), for a job's dependency digest."""
    return sha256_bytes(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=True).to_numpy().tobytes()).encode()


def _download_files(stem: str) -> tuple[str, ...]:
    """What ``present.spreadsheets.write_tables`` writes for a download called ``stem``."""
    return tuple(f"downloads/{stem}{end}" for end in (".csv", ".csv-metadata.json", ".xlsx", "-attribution.csv"))


@dataclass
class Plan:
    config: Config
    quarter: str
    audience: str
    store: Store
    pack_dir: Path

    def parameters(self, **extra: str) -> dict[str, str]:
        """A pack notebook's parameters: the configuration, ``extra`` (e.g. the locality), the quarter, audience,
        store and pack folder."""
        return {
            "config": str(self.config.dir),
            **extra,
            "quarter": self.quarter,
            "audience": self.audience,
            "store": str(self.store.path),
            "pack_dir": str(self.pack_dir),
        }


def _job(name: str, title: str, group: str, depends: str, parameters: dict, outputs: tuple[str, ...]) -> Job:
    """A pack job whose notebook is named as the job is (``county-overview`` runs ``county_overview.ipynb``)."""
    return Job(
        name=name,
        notebook=notebook(name.replace("-", "_")),
        title=title,
        group=group,
        depends=depends,
        parameters=parameters,
        outputs=outputs,
    )


def locality_jobs(plan: Plan, profiles, localities: Iterable[str] | None = None) -> list:
    """One profile notebook per locality, each with the digest of the data it shows: its own rows (the
    locality's and its small areas'), its district's localities' figures (which suppression looks at), its
    shapes, its name and the catalogue. Every row is hashed once; a locality's digest joins its rows' hashes."""
    cfg = plan.config
    allowed = sorted(allowed_datasets(cfg, plan.audience))
    catalogue_hash = _sha(catalogue_file(cfg).read_bytes(), json.dumps(allowed).encode())
    p = profiles.profiles
    p = p[p["dataset"].isin(allowed)].reset_index(drop=True)
    geo = profiles.geography
    wanted = list(localities) if localities else [a.code for a in geo.localities()]
    known = {a.code for a in geo.localities()}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(f"unknown locality code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    row_hash = pd.util.hash_pandas_object(p, index=False).to_numpy()
    sibling_cols = ["indicator_id", "area_code", "period", "numerator"]
    sibling_hash = pd.util.hash_pandas_object(p[sibling_cols], index=False).to_numpy()
    by_area, by_locality = p.groupby("area_code").indices, p.groupby("locality_code").indices
    district_of = p["district_code"].to_numpy()
    locality_rows = np.flatnonzero((p["area_type"] == "locality").to_numpy())
    by_district = pd.Series(locality_rows).groupby(district_of[locality_rows]).indices
    none = np.array([], dtype=np.intp)
    sa_geo = geo.small_areas.set_index("area_code")
    jobs = []
    for area in geo.localities():
        if area.code not in wanted:
            continue
        own = np.union1d(by_area.get(area.code, none), by_locality.get(area.code, none))  # rows in table order
        district = district_of[own[0]] if len(own) else ""
        siblings = locality_rows[by_district[district]] if district in by_district else none
        members = geo.hierarchy.loc[geo.hierarchy["locality_code"] == area.code, "small_area_code"]
        shapes = sa_geo.loc[sa_geo.index.intersection(members), "geometry"].to_wkb().tolist()
        depends = _sha(
            row_hash[own].tobytes(),
            sibling_hash[siblings].tobytes(),
            b"".join(shapes),
            area.name.encode(),
            catalogue_hash.encode(),
        )
        jobs.append(
            Job(
                name=f"profile-{area.code}",
                notebook=notebook("locality_profile"),
                title=f"{area.name} locality profile",
                group=f"Locality profiles: {geo.area(district).name if district else ''}",
                depends=depends,
                parameters=plan.parameters(locality=area.code),
                outputs=_download_files(f"profile-{area.code}"),
            )
        )
    return jobs


def overview_job(plan: Plan, profiles):
    allowed = sorted(allowed_datasets(plan.config, plan.audience))
    p = profiles.profiles
    shown = p[(p["area_type"].isin(["locality", "county"])) & p["dataset"].isin(allowed)]
    depends = _sha(
        _frame_digest(shown),
        _frame_digest(profiles.gaps),
        _frame_digest(profiles.gap_trends),
        catalogue_file(plan.config).read_bytes(),
        json.dumps(allowed).encode(),
    )
    title = f"{plan.config.county['name']}: narrowing the gap"
    return _job("county-overview", title, "County", depends, plan.parameters(), _download_files("county-gaps"))


def plan_jobs(plan: Plan, localities: Iterable[str] | None = None) -> list:
    """Every output of the quarterly pack."""
    # start-up: geopandas and the statistics (0.8-1 s), not imported before a first build's workers are started
    from observatory.profiles.table import load_profiles  # start-up: as above

    profiles = load_profiles(plan.config, plan.store)
    jobs = [overview_job(plan, profiles)] if not localities else []
    jobs += locality_jobs(plan, profiles, localities)
    for extra in _extra_jobs(plan, profiles, bool(localities)):
        jobs.append(extra)
    return jobs


PLAN_CODE = ("publish/plan.py", "publish/jobs.py", "performance/exceptions.py")  # what decides a pack's jobs


def geography_files(cfg: Config) -> list[Path]:
    """The boundary and lookup files the configuration's geography reads (its ``boundaries`` and ``file`` entries)."""
    found: list[Path] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("boundaries", "file") and isinstance(value, str):
                    found.append(cfg.data_path(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(cfg.geography)
    return sorted(set(found))


def _stat(path: Path) -> bytes:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing".encode()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()


def _where(plan: Plan) -> Places:
    """The pack and the folder of packs, recorded in a cached plan as ``<pack>`` and ``<packs>``: a plan is the
    same for the same inputs wherever the pack is written."""
    return Places([(str(plan.pack_dir), "<pack>"), (str(plan.pack_dir.parent), "<packs>")])


def _job_record(job: Job, where: Places) -> dict:
    return where.scrub_value({**asdict(job), "notebook": str(job.notebook), "outputs": list(job.outputs)})


def _job_from(record: dict, where: Places) -> Job:
    def placed(value):
        if isinstance(value, str):
            for folder, label in where.pairs:
                value = value.replace(label, folder)
        return value

    parameters = {k: placed(v) for k, v in record["parameters"].items()}
    return Job(**{**record, "notebook": Path(record["notebook"]), "parameters": parameters, "outputs": tuple(record["outputs"])})


def planned(plan: Plan, localities: Iterable[str] | None, inputs: str, *, force: bool = False) -> tuple[list[Job], dict]:
    """The pack's jobs and its contents digests (what next quarter's "what changed" compares), kept in the build
    cache (``cache/<config>/plans/``) under everything they are computed from: the pack's inputs digest (sources,
    store, configuration, catalogue, targets, notebooks, quarter, audience, localities, today, last quarter's
    exception lists), whether last quarter's pack is there, the store and configuration folders, the geography's
    files (size and time) and the planning code; the pack's own folder is recorded as ``<pack>``. A second build
    of the same inputs (a deleted pack, another copy) reads them in milliseconds instead of reading the profile
    table, the geography and the store again (about 1.4 s of CPU while the kernels boot). ``force`` plans again."""
    cfg = plan.config
    code = Path(__file__).resolve().parents[1]
    previous = pack_dir(cfg, previous_quarter(plan.quarter), plan.audience, plan.pack_dir.parent)
    key = _sha(
        inputs.encode(),
        str(previous.exists()).encode(),
        str(plan.store.path.resolve()).encode(),
        str(cfg.dir.resolve()).encode(),
        *[_stat(f) for f in geography_files(cfg)],
        *[(code / name).read_bytes() for name in PLAN_CODE],
    )
    path = build_dir() / "cache" / cfg.name / "plans" / f"{key[:32]}.json"
    where = _where(plan)
    if not force and path.exists():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return [_job_from(j, where) for j in record["jobs"]], record["contents"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable or from another version: planned again below
    from observatory.present.pages import data_contents  # start-up: 0.1 s, planned only when not cached

    jobs = plan_jobs(plan, localities)
    contents = data_contents(plan.store, _shown_indicators(cfg, plan.audience))
    record = {"jobs": [_job_record(j, where) for j in jobs], "contents": contents}
    write_atomic(path, json.dumps(record, sort_keys=True))
    return jobs, contents


def catalogue_job(plan: Plan) -> Job:
    """The pack's data catalogue: the notebook for the pack's audience, writing its exports to ``<pack>/catalogue/``.

    Rebuilt when the catalogue, the partner register, the indicators, the audience or the date (the
    review flags) change.
    """
    cfg, today = plan.config, dt.date.today().isoformat()
    depends = _sha(
        catalogue_file(cfg).read_bytes(),
        partners_file().read_bytes(),
        cfg.indicators_file.read_bytes(),
        plan.audience.encode(),
        today.encode(),
    )
    out = Path(plan.pack_dir) / "catalogue"
    parameters = {
        "config": str(cfg.dir),
        "audience": plan.audience,
        "out_dir": str(out),
        "today": today,
        "quarter": plan.quarter,
        "exports_href": "../catalogue/",
    }
    outputs = ("catalogue/catalogue.html", "catalogue/catalogue.csv", "catalogue/catalogue.jsonld")
    return _job("data-catalogue", f"{cfg.label}: data catalogue", "Data catalogue", depends, parameters, outputs)


def exception_report_jobs(plan: Plan, profiles) -> list:
    """The quarter's exception reports (board, theme groups, districts), each compared with last quarter's pack."""
    cfg = plan.config
    previous = pack_dir(cfg, previous_quarter(plan.quarter), plan.audience, plan.pack_dir.parent)
    prev_files = sorted((previous / "downloads").glob("exceptions-*.csv")) if previous.exists() else []
    allowed = sorted(allowed_datasets(cfg, plan.audience))
    p = profiles.profiles
    shown = p[(p["area_type"] != "lsoa") & p["dataset"].isin(allowed)]
    inputs = [cfg.local_path(n) for n in ("targets.csv", "allocations.csv", "risks.csv")]
    depends = _sha(
        _frame_digest(shown),
        json.dumps(allowed).encode(),
        *[(f.read_bytes() if f.exists() else b"-") for f in inputs + prev_files],
    )
    jobs = []
    from observatory.performance.exceptions import NOTEBOOK, exception_jobs  # start-up: 0.1 s after the profiles

    for spec in exception_jobs(
        cfg,
        plan.quarter,
        audience=plan.audience,
        store=str(plan.store.path),
        pack_dir=str(plan.pack_dir),
        previous=str(previous) if previous.exists() else "",
        geography=profiles.geography,
    ):
        slug = spec["name"].removeprefix("exceptions-")
        jobs.append(
            Job(
                name=spec["name"],
                notebook=NOTEBOOK,
                parameters=spec["parameters"],
                depends=depends,
                title=spec["title"],
                group="Exception reports",
                outputs=_download_files(f"exceptions-{slug}"),
            )
        )
    return jobs


def _extra_jobs(plan: Plan, profiles, partial: bool) -> list:
    """The data catalogue and the exception reports (left out of a build for a few localities)."""
    if partial:
        return []
    jobs = [catalogue_job(plan)]
    if any(plan.config.local_path(n).exists() for n in ("targets.csv",)):
        jobs += exception_report_jobs(plan, profiles)
    return jobs


def inputs_digest(
    cfg: Config, quarter: str, audience: str, localities: Iterable[str] | None, store: Store, out: Path | None = None
) -> str:
    """A cheap digest of everything a pack is planned from (no pandas): sources and configuration files,
    catalogue and partner register, targets, the store, the notebooks, last quarter's exceptions, the
    parameters and the date (review flags in the catalogue depend on it)."""
    files = [cfg.local_path(n) for n in ("catalogue.yaml", "targets.csv", "allocations.csv", "risks.csv")]
    files += [partners_file(), store.values_path] + sorted(notebooks_dir().glob("*.ipynb"))
    previous = pack_dir(cfg, previous_quarter(quarter), audience, out)
    files += sorted((previous / "downloads").glob("exceptions-*.csv")) if previous.exists() else []
    parts = [
        sources_digest(cfg).encode(),
        quarter.encode(),
        audience.encode(),
        json.dumps(sorted(localities) if localities else "all").encode(),
        dt.date.today().isoformat().encode(),
    ]
    parts += [str(f).encode() + (f.read_bytes() if f.exists() else b"-") for f in files]
    return _sha(*parts)


def places(cfg: Config, store: Store) -> dict[str, Path]:
    """The folders a pack records by label, not by path (see ``observatory.publish.places``)."""
    found = {"<config>": cfg.dir, "<store>": store.path, "<data>": data_dir(), "<build>": build_dir(), "<home>": Path.home()}
    root = checkout_root()
    return found | ({"<project>": root} if root else {})


def build(
    config: str | Config = "demo",
    quarter: str | None = None,
    *,
    localities: Iterable[str] | None = None,
    jobs_n: int | None = None,
    out: Path | None = None,
    audience: str = "public",
    store: Path | None = None,
    progress: bool = True,
    force: bool = False,
    timeout: float = 600,
    sync: bool = True,
    self_contained: bool = False,
    pool: WarmPool | None = None,
) -> BuildSummary:
    """Build the quarterly pack; returns the engine's BuildSummary. ``sync=False``: the store is shared
    (the national store) and already up to date: never ingest into it from this configuration. ``pool``:
    workers the caller started already (``observatory.publish.early.workers_for``); the build closes them.

    Raises ``PackError`` (exit code 2) for a malformed quarter, ``jobs_n`` below 1 or ``out`` naming a file.
    """
    try:
        quarter = current_quarter() if quarter is None else quarter
        check_usage(quarter, jobs_n, out)
        cfg = config if isinstance(config, Config) else load_config(config)
        check_audience(audience)
        st = Store(store or cfg.store_dir())
        target = pack_dir(cfg, quarter, audience, out).resolve()
        where = places(cfg, st)
        inputs = inputs_digest(cfg, quarter, audience, localities, st, out) + ("-self-contained" if self_contained else "")
        if not force and (done := up_to_date(target, inputs, places=where)) is not None:
            return done  # nothing changed: no planning, no kernel
        pool = pool or early_workers(target, jobs_n, localities, force)
        from observatory.publish.index import PackPages, write_index  # start-up: 0.1 s, after a first build's workers started

        if sync:
            sync_store(cfg, st, progress=progress)
        plan = Plan(cfg, quarter, audience, st, target)
        # after the sync, which may change the store
        inputs = inputs_digest(cfg, quarter, audience, localities, st, out) + ("-self-contained" if self_contained else "")
        jobs, contents = planned(plan, localities, inputs, force=force)
        meta = {
            "config": cfg.name,
            "title": f"{cfg.label}: quarterly profile pack {quarter}",
            "quarter": quarter,
            "audience": audience,
            "synthetic": cfg.synthetic,
            "store_digest": st.digest(),
            "localities": sorted(localities) if localities else "all",
            "inputs": inputs,
            "contents": contents,
        }
        previous = pack_dir(cfg, previous_quarter(quarter), audience, out).resolve()
        pages = PackPages(cfg, audience, st, quarter, previous if previous.is_dir() else None)
        return build_pack(
            jobs,
            plan.pack_dir,
            jobs_n=jobs_n,
            meta=meta,
            progress=progress,
            force=force,
            timeout=timeout,
            index=partial(write_index, pages=pages),
            places=where,
            self_contained=self_contained,
            pool=pool,
        )
    finally:
        if pool is not None:
            pool.close()


def _shown_indicators(cfg: Config, audience: str) -> set[str]:
    """The indicators whose dataset ``audience`` may see: what the pack's release notes may name."""
    inds = read_indicators(cfg.indicators_file)
    return set(inds.index[inds["dataset"].isin(allowed_datasets(cfg, audience))])
