"""Quarterly packs: parameterised notebooks run by papermill into HTML, with a manifest; incremental and unattended.

A pack folder (``<out>/<quarter>/``) holds ``index.html``, executed notebooks under ``notebooks/``,
HTML without code under ``html/``, whatever the notebooks write under ``downloads/``, a
``manifest.json`` (written last) and ``build.log``; ``<out>/<quarter>.zip`` is written after the
manifest. A job is rebuilt only when its key (dependency digest, parameters, notebook hash,
package version and source) changed or one of its recorded files is missing or altered, so a
rebuild with nothing changed starts no kernel and imports neither papermill nor nbconvert.
What the pack records names no folder of the build machine (see ``places``).

The generic engine imports only ``_core`` and ``errors``; the index page is written by a function
the caller passes (``observatory.publish.index.write_index``), since pages belong to ``present``.

Exit codes (``BuildSummary.exit_code`` and the exceptions' ``exit_code``):
0 every job built or up to date; 1 some jobs failed; 2 usage or configuration error;
3 another build of the same pack holds the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from observatory._core.digests import sha256_bytes, sha256_file
from observatory.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, PackError, PackLocked  # noqa: F401
from observatory.publish.export import ASSETS
from observatory.publish.jobs import (  # noqa: F401
    BuildSummary,
    Job,
    JobResult,
    file_digest,
    job_key,
    package_fingerprint,
    package_version,
    plain,
)
from observatory.publish.manifest import (  # noqa: F401
    DOWNLOADS,
    HTML,
    INDEX,
    LOCK,
    LOG,
    MANIFEST,
    MANIFEST_FORMAT,
    NOTEBOOKS,
    error_text,
    files_intact,
    inventory,
    read_manifest,
    write_manifest,
    zip_pack,
    zip_path,
)
from observatory.publish.places import Places
from observatory.publish.runner import run_tasks

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
IndexPage = Callable[[Path, Mapping], Path]
"""Writes a pack's ``index.html`` from its manifest (``observatory.publish.index.write_index``)."""
# --------------------------------------------------------------------------- lock, log, manifest


@contextmanager
def pack_lock(pack_dir: Path) -> Iterator[None]:
    """Hold ``<pack>/.build.lock`` (flock, non-blocking) or raise ``PackLocked``."""
    pack_dir.mkdir(parents=True, exist_ok=True)
    path = pack_dir / LOCK
    fh = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown process"
            raise PackLocked(f"another build of {pack_dir} is running ({holder}); lock file {path}") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {_now()}\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing releases the lock


@contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (a scheduler stopping the job) into SystemExit, so workers and kernels are stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Log:
    """Append timestamped lines to ``build.log``."""

    def __init__(self, path: Path, places: Places):
        self.fh = open(path, "a", encoding="utf-8", buffering=1)
        self.scrub = places.scrub

    def __call__(self, message: str) -> None:
        self.fh.write(f"{_now()} {self.scrub(message)}\n")

    def close(self) -> None:
        self.fh.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- build


def up_to_date(
    pack_dir: Path | str, inputs: str, *, package: Mapping[str, str] | None = None, places: Mapping[str, Path | str] | None = None
) -> BuildSummary | None:
    """A summary of the pack if it needs no work, else None, without planning any job.

    The pack needs no work when its last build recorded ``meta["inputs"] == inputs`` (a digest the
    caller computes cheaply from everything its jobs are planned from), ran the same code, built
    every output, and no notebook or pack file changed since. Callers whose planning is costly
    (pandas, profiles) check this first and call ``build_pack`` only when it returns None.
    """
    t0 = time.perf_counter()
    pack_dir = Path(pack_dir).resolve()
    m = read_manifest(pack_dir)
    package = dict(package or package_fingerprint())
    archive = zip_path(pack_dir)
    if m is None or not inputs or m.get("build", {}).get("inputs") != inputs or not archive.exists():
        return None
    build = m["build"]
    if build.get("observatory") != package.get("version") or build.get("observatory_source_sha256") != package.get(
        "source_sha256"
    ):
        return None
    outputs = m.get("outputs", [])
    if not outputs or any(o.get("status") != "ok" for o in outputs):
        return None
    where = Places.for_pack(pack_dir, places)
    notebooks: dict[str, str | None] = {}
    for o in outputs:
        nb = o.get("notebook", "")
        if nb not in notebooks:
            path = where.resolve(nb)
            notebooks[nb] = sha256_file(path) if path.is_file() else None
        if notebooks[nb] != o.get("notebook_sha256"):
            return None
    files = m.get("files", {})
    if not files_intact(pack_dir, {rel: f.get("sha256") for rel, f in files.items()}, {}):
        return None
    results = [_result(o, pack_dir, "skipped", 0.0) for o in outputs]
    now = _now()
    return BuildSummary(
        pack_dir,
        results,
        now,
        now,
        round(time.perf_counter() - t0, 3),
        pack_dir / MANIFEST,
        archive,
        kernels_started=0,
        written=False,
    )


def _validate(jobs: list[Job]) -> None:
    seen: set[str] = set()
    for job in jobs:
        if not _NAME.match(job.name or ""):
            raise PackError(f"job name {job.name!r} must be letters, digits, '_', '-' or '.' (it names files)")
        if job.name in seen:
            raise PackError(f"two jobs are named {job.name!r}")
        seen.add(job.name)
        if not Path(job.notebook).is_file():
            raise PackError(f"job {job.name!r}: notebook {job.notebook} not found")
        plain(job.parameters, f"job {job.name!r}")
        for pattern in job.outputs:
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                raise PackError(f"job {job.name!r}: output pattern {pattern!r} must be relative to the pack folder")


def _notebook_problem(job: Job, source: bytes) -> dict | None:
    """An error when parameters cannot be injected safely (papermill would add them at the top,
    and the notebook's own assignments would then silently win)."""
    if not job.parameters:
        return None
    try:
        cells = json.loads(source).get("cells", [])
    except ValueError as exc:
        return {"ename": "NotebookInvalid", "evalue": f"{job.notebook} is not valid JSON: {exc}", "cell": None, "source": ""}
    if not any("parameters" in (c.get("metadata", {}).get("tags") or []) for c in cells):
        return {
            "ename": "NoParametersCell",
            "evalue": f"{Path(job.notebook).name} has no cell tagged 'parameters'",
            "cell": None,
            "source": "",
        }
    return None


def _stale_reason(prev: Mapping | None, entry: Mapping, pack_dir: Path, cache: dict[str, str]) -> str | None:
    """Why a job must be rebuilt, or None when its previous output is still valid."""
    if not prev:
        return "new"
    if prev.get("status") != "ok":
        return "failed before"
    if prev.get("assets", "inline") != entry.get("assets", "inline"):
        return "asset sharing changed"
    if prev.get("key") != entry["key"]:
        for field_, why in (
            ("package_source_sha256", "code changed"),
            ("package_version", "code changed"),
            ("notebook_sha256", "notebook changed"),
            ("depends", "data changed"),
            ("parameters", "parameters changed"),
            ("outputs", "outputs changed"),
        ):
            if prev.get(field_) != entry.get(field_):
                return why
        return "key changed"
    if not files_intact(pack_dir, prev.get("files", {}), cache):
        return "files missing or altered"
    return None


def _copy_extra(extra_files: Iterable[Path] | Mapping[str, Path], pack_dir: Path) -> list[str]:
    items = extra_files.items() if isinstance(extra_files, Mapping) else ((Path(p).name, p) for p in extra_files)
    changed = []
    for rel, src in items:
        src, dest = Path(src), pack_dir / rel
        if not src.is_file():
            raise PackError(f"extra file {src} not found")
        if dest.is_file() and sha256_file(dest) == sha256_file(src):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        changed.append(rel)
    return changed


def _result(entry: Mapping, pack_dir: Path, status: str, seconds: float) -> JobResult:
    files = entry.get("files", {})
    nb_rel, html_rel = f"{NOTEBOOKS}/{entry['name']}.ipynb", f"{HTML}/{entry['name']}.html"
    return JobResult(
        entry["name"],
        entry.get("title", ""),
        entry.get("group", ""),
        status,
        seconds,
        error_text(entry.get("error")) or None,
        pack_dir / nb_rel if nb_rel in files else None,
        pack_dir / html_rel if html_rel in files else None,
    )


def build_pack(
    jobs: Iterable[Job],
    pack_dir: Path | str,
    *,
    jobs_n: int | None = None,
    meta: Mapping | None = None,
    extra_files: Iterable[Path] | Mapping[str, Path] = (),
    progress: bool = True,
    timeout: float = 300,
    start_timeout: float = 60,
    force: bool = False,
    kernel_name: str = "python3",
    package: Mapping[str, str] | None = None,
    index: IndexPage | None = None,
    places: Mapping[str, Path | str] | None = None,
    self_contained: bool = False,
) -> BuildSummary:
    """Build (or bring up to date) the pack in ``pack_dir`` from ``jobs``.

    Notebooks run on ``jobs_n`` worker processes (default: CPU count), each with one warm kernel.
    A failing job is recorded with its error and does not stop the others. ``meta`` (config,
    quarter, audience, title, synthetic, ...) is recorded in the manifest and shown in the index
    page, which ``index`` writes (none without it); ``extra_files`` are copied into the pack.
    ``timeout`` limits each cell, in seconds. ``package`` identifies the code the notebooks run
    (default ``package_fingerprint()``: version and source digest, so editing observatory rebuilds
    everything; pass ``{"version": ...}`` to key on the version alone). ``places`` (label → folder)
    names the folders recorded by label rather than by path (the pack itself is ``.``). ``force``
    rebuilds every job. Pages link the assets they all repeat from ``<pack>/assets/`` unless
    ``self_contained`` (every page then carries its own copy). Raises ``PackError`` (exit code 2) for unusable jobs and ``PackLocked`` (3)
    when another build runs.
    """
    jobs = list(jobs)
    _validate(jobs)
    if jobs_n is not None and jobs_n < 1:
        raise PackError("jobs_n must be at least 1")
    pack_dir = Path(pack_dir).resolve()
    if pack_dir.exists() and not pack_dir.is_dir():
        raise PackError(f"{pack_dir} is a file, not a pack folder")
    jobs_n = jobs_n or os.cpu_count() or 2
    where = Places.for_pack(pack_dir, places)
    with pack_lock(pack_dir), _exit_on_sigterm():
        log = _Log(pack_dir / LOG, where)
        try:
            return _build(
                jobs,
                pack_dir,
                jobs_n=jobs_n,
                meta=dict(meta or {}),
                extra_files=extra_files,
                log=log,
                progress=progress,
                timeout=timeout,
                start_timeout=start_timeout,
                force=force,
                kernel_name=kernel_name,
                package=dict(package or package_fingerprint()),
                index=index,
                where=where,
                assets="inline" if self_contained else "shared",
            )
        except BaseException as exc:
            log(f"build aborted: {type(exc).__name__}: {exc}")
            raise
        finally:
            log.close()


def _plan_entries(jobs, pack_dir, prev_outputs, *, force, package, where, log, assets="shared"):
    """Each job's manifest entry; the up-to-date ones' results; the tasks to run; why they run."""
    sources = {p: Path(p).read_bytes() for p in {Path(j.notebook).resolve() for j in jobs}}
    nb_sha = {p: sha256_bytes(b) for p, b in sources.items()}
    cache: dict[str, str] = {}
    entries: dict[str, dict] = {}
    results: dict[str, JobResult] = {}
    tasks, reasons = [], {}
    for job in jobs:
        src = Path(job.notebook).resolve()
        entry = {
            "name": job.name,
            "title": job.title or job.name,
            "group": job.group,
            "notebook": where.scrub(str(src)),
            "notebook_sha256": nb_sha[src],
            "parameters": where.scrub_value(plain(job.parameters, job.name)),
            "depends": job.depends,
            "package_version": package.get("version"),
            "package_source_sha256": package.get("source_sha256"),
            "outputs": list(job.outputs),
            "key": job_key(job, nb_sha[src], package),
            "assets": assets,
        }
        prev = prev_outputs.get(job.name)
        reason = "forced" if force else _stale_reason(prev, entry, pack_dir, cache)
        if reason is None:
            entries[job.name] = {**entry, **{k: prev.get(k) for k in ("status", "seconds", "built_at", "error", "files")}}
            results[job.name] = _result(entries[job.name], pack_dir, "skipped", 0.0)
            continue
        reasons[reason] = reasons.get(reason, 0) + 1
        problem = where.scrub_value(_notebook_problem(job, sources[src]))
        if problem:
            for rel in (f"{NOTEBOOKS}/{job.name}.ipynb", f"{HTML}/{job.name}.html"):
                (pack_dir / rel).unlink(missing_ok=True)
            entries[job.name] = {**entry, "status": "failed", "seconds": 0.0, "built_at": _now(), "error": problem, "files": {}}
            results[job.name] = _result(entries[job.name], pack_dir, "failed", 0.0)
            log(f"FAILED {job.name}: {error_text(problem)}")
            continue
        entries[job.name] = entry
        tasks.append(
            {
                "name": job.name,
                "notebook": str(src),
                "cwd": str(src.parent),
                "parameters": plain(job.parameters, job.name),
                "title": entry["title"],
                "pack_dir": str(pack_dir),
                "outputs": list(job.outputs),
                "out_notebook": str(pack_dir / NOTEBOOKS / f"{job.name}.ipynb"),
                "out_html": str(pack_dir / HTML / f"{job.name}.html"),
                "places": where.as_list(),
                "assets": assets == "shared",
                "metadata": {k: entry[k] for k in ("name", "depends", "notebook_sha256", "package_version", "key")},
            }
        )
    return entries, results, tasks, reasons, cache


def _prune(prev_outputs, entries, pack_dir, log) -> list[str]:
    """Remove the files of jobs that are no longer in the plan."""
    claimed = {rel for e in entries.values() for rel in e.get("files", {})}
    pruned = []
    for name, prev in prev_outputs.items():
        if name in entries:
            continue
        for rel in prev.get("files", {}):
            p = pack_dir / rel
            if rel not in claimed and p.is_file() and pack_dir in p.resolve().parents:
                p.unlink()
                pruned.append(rel)
        log(f"removed outputs of {name!r} (no longer a job)")
    for p in sorted((pack_dir / ASSETS).glob("*")):  # shared assets no page links any more
        rel = p.relative_to(pack_dir).as_posix()
        if p.is_file() and rel not in claimed:
            p.unlink()
            pruned.append(rel)
    return pruned


def _build(
    jobs,
    pack_dir,
    *,
    jobs_n,
    meta,
    extra_files,
    log,
    progress,
    timeout,
    start_timeout,
    force,
    kernel_name,
    package,
    index,
    where,
    assets="shared",
):
    t0 = time.perf_counter()
    started = _now()
    log(f"build started: {len(jobs)} jobs, pack {pack_dir.name}, {jobs_n} workers" + (", forced" if force else ""))
    previous = read_manifest(pack_dir)
    if previous is None and (pack_dir / MANIFEST).exists():
        log("previous manifest unreadable: rebuilding everything")
    prev_outputs = {o["name"]: o for o in (previous or {}).get("outputs", []) if isinstance(o, dict) and "name" in o}
    changed_extra = _copy_extra(extra_files, pack_dir)
    entries, results, tasks, reasons, cache = _plan_entries(
        jobs, pack_dir, prev_outputs, force=force, package=package, where=where, log=log, assets=assets
    )
    log(
        f"{len(results) - sum(r.status == 'failed' for r in results.values())} up to date, {len(tasks)} to build"
        + (" (" + ", ".join(f"{why}: {n}" for why, n in reasons.items()) + ")" if reasons else "")
    )

    # longest first (by the previous build's timings; new jobs first): the last job to start ends soonest
    tasks.sort(key=lambda t: -(prev_outputs.get(t["name"], {}).get("seconds") or float("inf")))
    kernels, spent = 0, {}
    if tasks:
        run_started = time.perf_counter()
        kernels, spent = _run(
            tasks,
            entries,
            results,
            pack_dir,
            cache,
            log,
            jobs_n=jobs_n,
            progress=progress,
            timeout=timeout,
            start_timeout=start_timeout,
            kernel_name=kernel_name,
        )
        spent["notebooks (wall)"] = time.perf_counter() - run_started
        where.scrub_file(pack_dir / LOG)  # workers' and kernels' own stderr may name the machine's folders
    pruned = _prune(prev_outputs, entries, pack_dir, log)

    outputs = [entries[j.name] for j in jobs]
    finished = _now()
    files = inventory(pack_dir, cache)
    archive = zip_path(pack_dir)
    unchanged = (
        previous is not None
        and not tasks
        and not pruned
        and not changed_extra
        and previous.get("outputs") == outputs
        and {k: v.get("sha256") for k, v in previous.get("files", {}).items()} == {k: v["sha256"] for k, v in files.items()}
        and archive.exists()
    )
    written = not unchanged
    if written:
        mark = time.perf_counter()
        manifest = {
            "format": MANIFEST_FORMAT,
            "build": _build_info(meta, started, finished, jobs_n, kernel_name, package, where),
            "outputs": outputs,
            "files": files,
        }
        if index is not None:
            index(pack_dir, manifest)
            cache.clear()  # the index page and the pages it writes (definitions, methods) are new
            manifest["files"] = inventory(pack_dir, cache)
        write_manifest(pack_dir, manifest)
        spent["index and manifest"] = time.perf_counter() - mark
        mark = time.perf_counter()
        zip_pack(pack_dir, manifest)
        spent["zip"] = time.perf_counter() - mark
        log(f"wrote {INDEX + ', ' if index else ''}{MANIFEST} ({len(manifest['files'])} files) and {archive.name}")
    else:
        log("nothing changed: manifest and archive left as they are")
    if spent:
        log("time spent: " + ", ".join(f"{what} {seconds:.2f} s" for what, seconds in spent.items()))
    ordered = [results[j.name] for j in jobs]
    summary = BuildSummary(
        pack_dir,
        ordered,
        started,
        _now(),
        round(time.perf_counter() - t0, 3),
        pack_dir / MANIFEST,
        archive,
        kernels_started=kernels,
        written=written,
    )
    log(
        f"build finished: {summary.count('built')} built, {summary.count('skipped')} up to date, "
        f"{summary.count('failed')} failed in {summary.seconds:.1f} s (exit code {summary.exit_code})"
    )
    return summary


def _run(
    tasks, entries, results, pack_dir, cache, log, *, jobs_n, progress, timeout, start_timeout, kernel_name
) -> tuple[int, dict[str, float]]:
    """Run the tasks; log each one's time and phases. Returns kernels started and seconds per phase, summed."""
    bar = None
    if progress:
        from tqdm.auto import tqdm  # third-party; only a build that runs notebooks shows a bar

        bar = tqdm(total=len(tasks), unit="notebook", desc=f"pack {pack_dir.name}", leave=False)
    kernels, repeated = 0, 0
    spent: dict[str, float] = {}
    seen_warnings: set[str] = set()
    try:
        for res in run_tasks(
            tasks,
            workers=jobs_n,
            timeout=timeout,
            start_timeout=start_timeout,
            kernel_name=kernel_name,
            kernel_log=pack_dir / LOG,
            on_start=lambda name, wid: log(f"start {name} (worker {wid})"),
        ):
            if "kernels_started" in res:
                kernels = res["kernels_started"]
                continue
            entry = entries[res["name"]]
            ok = res["status"] == "built"
            entry.update(
                {
                    "status": "ok" if ok else "failed",
                    "seconds": res["seconds"],
                    "built_at": _now(),
                    "error": res["error"],
                    "files": res["files"],
                }
            )
            cache.update(res["files"])
            results[res["name"]] = _result(entry, pack_dir, res["status"], res["seconds"])
            for w in res.get("warnings", []):
                if w not in seen_warnings:
                    seen_warnings.add(w)
                    log(f"warning {res['name']}: {w}")
                else:
                    repeated += 1
            phases = res.get("phases") or {}
            for what, seconds in phases.items():
                spent[f"{what} (summed)"] = spent.get(f"{what} (summed)", 0.0) + seconds
            detail = " (" + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()) + ")" if phases else ""
            if ok:
                log(f"built {res['name']} in {res['seconds']:.2f} s{detail}")
            else:
                log(
                    f"FAILED {res['name']} after {res['seconds']:.2f} s: {error_text(res['error'])}"
                    + (" (kernel restarted)" if res.get("kernel_restarted") else "")
                )
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"failed {sum(r.status == 'failed' for r in results.values())}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    if repeated:
        log(f"{repeated} repeated warning(s) not shown again")
    return kernels, spent


def _distribution(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _build_info(meta: dict, started: str, finished: str, jobs_n: int, kernel_name: str, package: Mapping, where: Places) -> dict:
    info = where.scrub_value(json.loads(json.dumps(meta, default=str)))
    info.update(
        {
            "started": started,
            "finished": finished,
            "observatory": package.get("version"),
            "observatory_source_sha256": package.get("source_sha256"),
            "python": platform.python_version(),
            "pandas": _distribution("pandas"),
            "papermill": _distribution("papermill"),
            "nbconvert": _distribution("nbconvert"),
            "platform": platform.platform(),
            "workers": jobs_n,
            "kernel": kernel_name,
        }
    )
    return info
