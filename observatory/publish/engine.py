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

import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from observatory._core.digests import sha256_file
from observatory.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, PackError, PackLocked  # noqa: F401
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
from observatory.publish.lock import BuildLog, exit_on_sigterm, now, pack_lock  # noqa: F401
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
from observatory.publish.runner import WarmPool, run_tasks
from observatory.publish.staleness import job_result, plan_entries, prune, up_to_date, validate_jobs  # noqa: F401

IndexPage = Callable[[Path, Mapping], Path]
"""Writes a pack's ``index.html`` from its manifest (``observatory.publish.index.write_index``)."""


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
    pool: WarmPool | None = None,
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
    ``self_contained`` (every page then carries its own copy). ``pool``: workers the caller started while it
    planned the jobs (``WarmPool.start``), which the notebooks then run on; the caller closes it. Raises
    ``PackError`` (exit code 2) for unusable jobs and ``PackLocked`` (3) when another build runs.
    """
    jobs = list(jobs)
    validate_jobs(jobs)
    if jobs_n is not None and jobs_n < 1:
        raise PackError("jobs_n must be at least 1")
    pack_dir = Path(pack_dir).resolve()
    if pack_dir.exists() and not pack_dir.is_dir():
        raise PackError(f"{pack_dir} is a file, not a pack folder")
    jobs_n = jobs_n or os.cpu_count() or 2
    where = Places.for_pack(pack_dir, places)
    with pack_lock(pack_dir), exit_on_sigterm():
        log = BuildLog(pack_dir / LOG, where)
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
                pool=pool,
            )
        except BaseException as exc:
            log(f"build aborted: {type(exc).__name__}: {exc}")
            raise
        finally:
            log.close()


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
    pool=None,
):
    t0 = time.perf_counter()
    started = now()
    log(f"build started: {len(jobs)} jobs, pack {pack_dir.name}, {jobs_n} workers" + (", forced" if force else ""))
    previous = read_manifest(pack_dir)
    if previous is None and (pack_dir / MANIFEST).exists():
        log("previous manifest unreadable: rebuilding everything")
    prev_outputs = {o["name"]: o for o in (previous or {}).get("outputs", []) if isinstance(o, dict) and "name" in o}
    changed_extra = _copy_extra(extra_files, pack_dir)
    entries, results, tasks, reasons, cache = plan_entries(
        jobs, pack_dir, prev_outputs, force=force, package=package, where=where, log=log, assets=assets
    )
    log(
        f"{len(results) - sum(r.status == 'failed' for r in results.values())} up to date, {len(tasks)} to build"
        + (" (" + ", ".join(f"{why}: {n}" for why, n in reasons.items()) + ")" if reasons else "")
    )

    kernels, spent = 0, {}
    if tasks:
        kernels, spent = _run(
            tasks,
            entries,
            results,
            pack_dir,
            cache,
            log,
            previous=prev_outputs,
            where=where,
            jobs_n=jobs_n,
            progress=progress,
            timeout=timeout,
            start_timeout=start_timeout,
            kernel_name=kernel_name,
            pool=pool,
        )
    pruned = prune(prev_outputs, entries, pack_dir, log)

    outputs = [entries[j.name] for j in jobs]
    finished = now()
    files = inventory(pack_dir, cache)
    archive = zip_path(pack_dir)
    unchanged = previous is not None and not (tasks or pruned or changed_extra) and _same(previous, outputs, files, archive)
    written = not unchanged
    if written:
        info = _build_info(meta, started, finished, jobs_n, kernel_name, package, where)
        spent.update(_write_pack(pack_dir, info, outputs, files, cache, index, log))
    else:
        log("nothing changed: manifest and archive left as they are")
    if spent:
        log("time spent: " + ", ".join(f"{what} {seconds:.2f} s" for what, seconds in spent.items()))
    ordered = [results[j.name] for j in jobs]
    summary = BuildSummary(
        pack_dir,
        ordered,
        started,
        now(),
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


def _write_pack(
    pack_dir: Path, info: dict, outputs: list, files: dict, cache: dict, index: IndexPage | None, log
) -> dict[str, float]:
    """Write the index page (when given), the manifest and the archive; seconds spent on each."""
    mark = time.perf_counter()
    manifest = {"format": MANIFEST_FORMAT, "build": info, "outputs": outputs, "files": files}
    if index is not None:
        index(pack_dir, manifest)
        cache.clear()  # the index page and the pages it writes (definitions, methods) are new
        manifest["files"] = inventory(pack_dir, cache)
    write_manifest(pack_dir, manifest)
    spent = {"index and manifest": time.perf_counter() - mark}
    mark = time.perf_counter()
    zip_pack(pack_dir, manifest)
    spent["zip"] = time.perf_counter() - mark
    log(f"wrote {INDEX + ', ' if index else ''}{MANIFEST} ({len(manifest['files'])} files) and {zip_path(pack_dir).name}")
    return spent


def _same(previous: Mapping, outputs: list, files: dict, archive: Path) -> bool:
    """Whether the previous manifest already records these outputs and files, and its archive exists."""
    recorded = {k: v.get("sha256") for k, v in previous.get("files", {}).items()}
    return previous.get("outputs") == outputs and recorded == {k: v["sha256"] for k, v in files.items()} and archive.exists()


def _run(
    tasks, entries, results, pack_dir, cache, log, *, previous, where, jobs_n, progress, timeout, start_timeout, kernel_name, pool
) -> tuple[int, dict[str, float]]:
    """Run the tasks, longest first; log each one's time and phases. Returns kernels started and seconds per
    phase, summed, and the notebooks' wall time."""
    # longest first (by the previous build's timings; new jobs first): the last job to start ends soonest
    tasks.sort(key=lambda t: -(previous.get(t["name"], {}).get("seconds") or float("inf")))
    run_started = time.perf_counter()
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
            pool=pool,
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
                    "built_at": now(),
                    "error": res["error"],
                    "files": res["files"],
                }
            )
            cache.update(res["files"])
            results[res["name"]] = job_result(entry, pack_dir, res["status"], res["seconds"])
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
    spent["notebooks (wall)"] = time.perf_counter() - run_started
    where.scrub_file(pack_dir / LOG)  # workers' and kernels' own stderr may name the machine's folders
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
