"""Which jobs of a pack need building: the no-work check, job validation, each job's manifest entry and
why it is stale, and the files of jobs no longer planned."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path

from observatory._core.digests import sha256_bytes, sha256_file
from observatory.errors import PackError
from observatory.publish.export import ASSETS
from observatory.publish.jobs import BuildSummary, Job, JobResult, job_key, package_fingerprint, plain
from observatory.publish.lock import now
from observatory.publish.manifest import HTML, MANIFEST, NOTEBOOKS, error_text, files_intact, read_manifest, zip_path
from observatory.publish.places import Places

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
    results = [job_result(o, pack_dir, "skipped", 0.0) for o in outputs]
    at = now()
    return BuildSummary(
        pack_dir,
        results,
        at,
        at,
        round(time.perf_counter() - t0, 3),
        pack_dir / MANIFEST,
        archive,
        kernels_started=0,
        written=False,
    )


def validate_jobs(jobs: list[Job]) -> None:
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


def job_result(entry: Mapping, pack_dir: Path, status: str, seconds: float) -> JobResult:
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


def plan_entries(jobs, pack_dir, prev_outputs, *, force, package, where, log, assets="shared"):
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
            results[job.name] = job_result(entries[job.name], pack_dir, "skipped", 0.0)
            continue
        reasons[reason] = reasons.get(reason, 0) + 1
        problem = where.scrub_value(_notebook_problem(job, sources[src]))
        if problem:
            for rel in (f"{NOTEBOOKS}/{job.name}.ipynb", f"{HTML}/{job.name}.html"):
                (pack_dir / rel).unlink(missing_ok=True)
            entries[job.name] = {**entry, "status": "failed", "seconds": 0.0, "built_at": now(), "error": problem, "files": {}}
            results[job.name] = job_result(entries[job.name], pack_dir, "failed", 0.0)
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


def prune(prev_outputs, entries, pack_dir, log) -> list[str]:
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
