"""Quarterly packs: parameterised notebooks run by papermill into HTML, with a manifest; incremental and unattended.

A pack folder (``<out>/<quarter>/``) holds ``index.html``, executed notebooks under ``notebooks/``,
HTML without code under ``html/``, whatever the notebooks write under ``downloads/``, a
``manifest.json`` (written last) and ``build.log``; ``<out>/<quarter>.zip`` is written after the
manifest. A job is rebuilt only when its key (dependency digest, parameters, notebook hash,
package version and source) changed or one of its recorded files is missing or altered, so a
rebuild with nothing changed starts no kernel and imports neither papermill nor nbconvert.

Exit codes (``BuildSummary.exit_code`` and the exceptions' ``exit_code``):
0 every job built or up to date; 1 some jobs failed; 2 usage or configuration error;
3 another build of the same pack holds the lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
import platform
import re
import shutil
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import quote

import observatory
from observatory.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, PackError, PackLocked  # noqa: F401
from observatory.publish.runner import sha256_file

NOTEBOOKS, HTML, DOWNLOADS = "notebooks", "html", "downloads"
MANIFEST, INDEX, LOG, LOCK = "manifest.json", "index.html", "build.log", ".build.lock"
MANIFEST_FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Job:
    """One output of a pack: a notebook run with parameters.

    ``depends`` is a digest of the data the output depends on (see ``file_digest``); ``outputs``
    are glob patterns, relative to the pack folder, of files the notebook writes (its downloads),
    which are then hashed and checked like the notebook and HTML (jobs run concurrently, so two
    jobs' patterns must not match the same files). Parameters holding paths should be absolute:
    notebooks run in their own folder.
    """

    name: str
    notebook: Path
    parameters: dict = field(default_factory=dict)
    depends: str = ""
    title: str = ""
    group: str = "profiles"
    outputs: tuple[str, ...] = ()


@dataclass
class JobResult:
    """What happened to one job in this build: ``built``, ``skipped`` (up to date) or ``failed``."""

    name: str
    title: str
    group: str
    status: str
    seconds: float
    error: str | None = None
    notebook_path: Path | None = None
    html_path: Path | None = None


@dataclass
class BuildSummary:
    """The outcome of ``build_pack``."""

    pack_dir: Path
    results: list[JobResult]
    started: str
    finished: str
    seconds: float
    manifest_path: Path
    zip_path: Path
    kernels_started: int = 0
    written: bool = True

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED

    def describe(self) -> str:
        lines = [f"pack {self.pack_dir}: {self.count('built')} built, {self.count('skipped')} up to date, "
                 f"{self.count('failed')} failed in {self.seconds:.1f} s"]
        lines += [f"  FAILED {r.name}: {r.error}" + (f" (see {r.notebook_path})" if r.notebook_path else "")
                  for r in self.results if r.status == "failed"]
        if self.written:
            lines.append(f"  index {self.pack_dir / INDEX}; archive {self.zip_path}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- digests

def file_digest(*paths: Path | str) -> str:
    """A digest of files' contents (folders: every file inside), cheap enough for the no-op path.

    Missing paths count as ``missing`` so that creating them changes the digest.
    """
    h = hashlib.sha256()
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.name if f == p else f.relative_to(p)).encode() + b"\0")
            h.update((sha256_file(f) if f.exists() else "missing").encode() + b"\n")
    return h.hexdigest()


@lru_cache(maxsize=1)
def package_fingerprint() -> dict[str, str]:
    """The observatory version and a digest of its source and assets: editing the code rebuilds packs."""
    root = Path(observatory.__file__).parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in {".pyc", ".pyo"}:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return {"version": observatory.__version__, "source_sha256": h.hexdigest()}


def _plain(value: Any, where: str) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise PackError(f"{where}: parameter value {value!r} is not JSON-like (str, number, bool, None, list, dict, Path)")


def job_key(job: Job, notebook_sha256: str, package: Mapping[str, str]) -> str:
    """The digest deciding whether a job's previous output is still valid."""
    payload = {"depends": job.depends, "parameters": _plain(job.parameters, job.name), "notebook": notebook_sha256,
               "package": dict(package), "outputs": list(job.outputs)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


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

    def __init__(self, path: Path):
        self.fh = open(path, "a", encoding="utf-8", buffering=1)

    def __call__(self, message: str) -> None:
        self.fh.write(f"{_now()} {message}\n")

    def close(self) -> None:
        self.fh.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_manifest(pack_dir: Path) -> dict | None:
    """The pack's manifest, or None when absent or unreadable."""
    try:
        data = json.loads((Path(pack_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _inventory(pack_dir: Path, cache: dict[str, str]) -> dict[str, dict]:
    """Every file of the pack except the manifest, the log and dot-files, with sha256 and size."""
    out = {}
    for root, dirs, files in os.walk(pack_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            p = Path(root) / name
            rel = p.relative_to(pack_dir).as_posix()
            if name.startswith(".") or rel in (MANIFEST, LOG):
                continue
            sha = cache.get(rel) or sha256_file(p)
            cache[rel] = sha
            out[rel] = {"sha256": sha, "bytes": p.stat().st_size}
    return out


def _files_intact(pack_dir: Path, files: Mapping[str, str], cache: dict[str, str]) -> bool:
    for rel, sha in files.items():
        p = pack_dir / rel
        if not p.is_file():
            return False
        if rel not in cache:
            cache[rel] = sha256_file(p)
        if cache[rel] != sha:
            return False
    return True


def zip_pack(pack_dir: Path, manifest: Mapping) -> Path:
    """Write ``<out>/<quarter>.zip`` with the manifest and every file it lists, atomically."""
    import zipfile

    target = pack_dir.parent / f"{pack_dir.name}.zip"
    fd, tmp = tempfile.mkstemp(dir=pack_dir.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for rel in [MANIFEST, *manifest["files"]]:
                z.write(pack_dir / rel, f"{pack_dir.name}/{rel}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# --------------------------------------------------------------------------- index

_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
h1{margin-bottom:.2rem}.meta{color:#555;margin-top:0}.synthetic{background:#fff3cd;border:1px solid #e0c36c;padding:.6rem 1rem}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
.ok{color:#1a7f37}.failed{color:#b42318;font-weight:600}.error{font-family:monospace;font-size:.9em;color:#b42318;white-space:pre-wrap}
.summary-failed{background:#fdecea;border:1px solid #f3b8b2;padding:.6rem 1rem}"""


def _a(href: str, text: str) -> str:
    return f'<a href="{html.escape(quote(href))}">{html.escape(text)}</a>'


def write_index(pack_dir: Path, manifest: Mapping) -> Path:
    """Write ``index.html`` linking every output, grouped in the order groups first appear, with status.

    Failed outputs show their error and link to the partly executed notebook. All text is escaped.
    """
    build = manifest.get("build", {})
    outputs = manifest.get("outputs", [])
    title = str(build.get("title") or "Pack")
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
             f"<style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    facts = [f"{k} {build[k]}" for k in ("quarter", "audience", "config") if build.get(k)]
    facts.append(f"built {build.get('finished') or build.get('started', '')}")
    facts.append(f"observatory {build.get('observatory', '')}")
    parts.append(f'<p class="meta">{e(" · ".join(facts))}</p>')
    if build.get("synthetic"):
        parts.append('<p class="synthetic"><strong>Synthetic data.</strong> Every figure in this pack is invented '
                     "for demonstration and describes no real place or person.</p>")
    failed = [o for o in outputs if o.get("status") != "ok"]
    if failed:
        parts.append(f'<p class="summary-failed">{len(failed)} of {len(outputs)} outputs failed to build: '
                     + ", ".join(f'<a href="#{e(o["name"])}">{e(o.get("title") or o["name"])}</a>' for o in failed) + ".</p>")
    claimed: set[str] = set()
    groups: dict[str, list] = {}
    for o in outputs:
        groups.setdefault(o.get("group") or "", []).append(o)
    for group, items in groups.items():
        if group:
            parts.append(f"<h2>{e(group)}</h2>")
        parts.append("<table><thead><tr><th>Output</th><th>Status</th><th>Downloads</th><th>Notebook</th></tr></thead><tbody>")
        for o in items:
            files = o.get("files", {})
            claimed.update(files)
            label = o.get("title") or o["name"]
            html_rel = f"{HTML}/{o['name']}.html"
            nb_rel = f"{NOTEBOOKS}/{o['name']}.ipynb"
            ok = o.get("status") == "ok"
            cell = _a(html_rel, label) if ok and html_rel in files else e(label)
            status = '<span class="ok">ok</span>' if ok else '<span class="failed">failed</span>'
            if not ok and o.get("error"):
                status += f'<div class="error">{e(_error_text(o["error"]))}</div>'
            downloads = " ".join(_a(rel, Path(rel).name) for rel in files if rel.startswith(f"{DOWNLOADS}/"))
            notebook = _a(nb_rel, "executed notebook" if ok else "failed notebook") if nb_rel in files else ""
            parts.append(f'<tr id="{e(o["name"])}"><td>{cell}</td><td>{status}</td><td>{downloads}</td><td>{notebook}</td></tr>')
        parts.append("</tbody></table>")
    others = [rel for rel in manifest.get("files", {}) if rel.startswith(f"{DOWNLOADS}/") and rel not in claimed]
    if others:
        parts.append("<h2>Other downloads</h2><ul>" + "".join(f"<li>{_a(rel, rel[len(DOWNLOADS) + 1:])}</li>" for rel in others) + "</ul>")
    parts.append(f'<p class="meta">{_a(MANIFEST, "manifest.json")} records, for every file, its sha256, and for every '
                 "output the data digest, parameters, notebook hash and package version it was built from.</p>")
    parts.append("</body></html>\n")
    path = pack_dir / INDEX
    _atomic_write_text(path, "\n".join(parts))
    return path


def _error_text(error: Mapping | None) -> str:
    if not error:
        return ""
    text = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".rstrip(": ")
    if error.get("cell") is not None:
        text += f" (cell [{error['cell']}])"
    return text


# --------------------------------------------------------------------------- build

def up_to_date(pack_dir: Path | str, inputs: str, *, package: Mapping[str, str] | None = None) -> BuildSummary | None:
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
    zip_path = pack_dir.parent / f"{pack_dir.name}.zip"
    if m is None or not inputs or m.get("build", {}).get("inputs") != inputs or not zip_path.exists():
        return None
    build = m["build"]
    if build.get("observatory") != package.get("version") or build.get("observatory_source_sha256") != package.get("source_sha256"):
        return None
    outputs = m.get("outputs", [])
    if not outputs or any(o.get("status") != "ok" for o in outputs):
        return None
    notebooks: dict[str, str | None] = {}
    for o in outputs:
        nb = o.get("notebook", "")
        if nb not in notebooks:
            notebooks[nb] = sha256_file(nb) if Path(nb).is_file() else None
        if notebooks[nb] != o.get("notebook_sha256"):
            return None
    files = m.get("files", {})
    if not _files_intact(pack_dir, {rel: f.get("sha256") for rel, f in files.items()}, {}):
        return None
    results = [_result(o, pack_dir, "skipped", 0.0) for o in outputs]
    now = _now()
    return BuildSummary(pack_dir, results, now, now, round(time.perf_counter() - t0, 3), pack_dir / MANIFEST, zip_path,
                        kernels_started=0, written=False)


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
        _plain(job.parameters, f"job {job.name!r}")
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
        return {"ename": "NoParametersCell", "evalue": f"{Path(job.notebook).name} has no cell tagged 'parameters'",
                "cell": None, "source": ""}
    return None


def _stale_reason(prev: Mapping | None, entry: Mapping, pack_dir: Path, cache: dict[str, str]) -> str | None:
    """Why a job must be rebuilt, or None when its previous output is still valid."""
    if not prev:
        return "new"
    if prev.get("status") != "ok":
        return "failed before"
    if prev.get("key") != entry["key"]:
        for field_, why in (("package_source_sha256", "code changed"), ("package_version", "code changed"),
                            ("notebook_sha256", "notebook changed"), ("depends", "data changed"),
                            ("parameters", "parameters changed"), ("outputs", "outputs changed")):
            if prev.get(field_) != entry.get(field_):
                return why
        return "key changed"
    if not _files_intact(pack_dir, prev.get("files", {}), cache):
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
    return JobResult(entry["name"], entry.get("title", ""), entry.get("group", ""), status, seconds,
                     _error_text(entry.get("error")) or None,
                     pack_dir / nb_rel if nb_rel in files else None, pack_dir / html_rel if html_rel in files else None)


def build_pack(jobs: Iterable[Job], pack_dir: Path | str, *, jobs_n: int | None = None, meta: Mapping | None = None,
               extra_files: Iterable[Path] | Mapping[str, Path] = (), progress: bool = True, timeout: float = 300,
               start_timeout: float = 60, force: bool = False, kernel_name: str = "python3",
               package: Mapping[str, str] | None = None) -> BuildSummary:
    """Build (or bring up to date) the pack in ``pack_dir`` from ``jobs``.

    Notebooks run on ``jobs_n`` worker processes (default: CPU count), each with one warm kernel.
    A failing job is recorded with its error and does not stop the others. ``meta`` (config,
    quarter, audience, title, synthetic, ...) is recorded in the manifest and shown in the index;
    ``extra_files`` are copied into the pack. ``timeout`` limits each cell, in seconds. ``package``
    identifies the code the notebooks run (default ``package_fingerprint()``: version and source
    digest, so editing observatory rebuilds everything; pass ``{"version": ...}`` to key on the
    version alone). ``force`` rebuilds every job. Raises
    ``PackError`` (exit code 2) for unusable jobs and ``PackLocked`` (3) when another build runs.
    """
    jobs = list(jobs)
    _validate(jobs)
    pack_dir = Path(pack_dir).resolve()
    jobs_n = jobs_n or os.cpu_count() or 2
    if jobs_n < 1:
        raise PackError("jobs_n must be at least 1")
    with pack_lock(pack_dir), _exit_on_sigterm():
        log = _Log(pack_dir / LOG)
        try:
            return _build(jobs, pack_dir, jobs_n=jobs_n, meta=dict(meta or {}), extra_files=extra_files, log=log,
                          progress=progress, timeout=timeout, start_timeout=start_timeout, force=force,
                          kernel_name=kernel_name, package=dict(package or package_fingerprint()))
        except BaseException as exc:
            log(f"build aborted: {type(exc).__name__}: {exc}")
            raise
        finally:
            log.close()


def _build(jobs, pack_dir, *, jobs_n, meta, extra_files, log, progress, timeout, start_timeout, force, kernel_name, package):
    t0 = time.perf_counter()
    started = _now()
    log(f"build started: {len(jobs)} jobs, pack {pack_dir}, {jobs_n} workers" + (", forced" if force else ""))
    previous = read_manifest(pack_dir)
    if previous is None and (pack_dir / MANIFEST).exists():
        log("previous manifest unreadable: rebuilding everything")
    prev_outputs = {o["name"]: o for o in (previous or {}).get("outputs", []) if isinstance(o, dict) and "name" in o}
    sources = {p: Path(p).read_bytes() for p in {Path(j.notebook).resolve() for j in jobs}}
    nb_sha = {p: hashlib.sha256(b).hexdigest() for p, b in sources.items()}
    changed_extra = _copy_extra(extra_files, pack_dir)
    cache: dict[str, str] = {}
    entries: dict[str, dict] = {}
    results: dict[str, JobResult] = {}
    tasks = []
    reasons: dict[str, int] = {}
    for job in jobs:
        src = Path(job.notebook).resolve()
        entry = {"name": job.name, "title": job.title or job.name, "group": job.group, "notebook": str(src),
                 "notebook_sha256": nb_sha[src], "parameters": _plain(job.parameters, job.name), "depends": job.depends,
                 "package_version": package.get("version"), "package_source_sha256": package.get("source_sha256"),
                 "outputs": list(job.outputs), "key": job_key(job, nb_sha[src], package)}
        prev = prev_outputs.get(job.name)
        reason = "forced" if force else _stale_reason(prev, entry, pack_dir, cache)
        if reason is None:
            entries[job.name] = {**entry, **{k: prev.get(k) for k in ("status", "seconds", "built_at", "error", "files")}}
            results[job.name] = _result(entries[job.name], pack_dir, "skipped", 0.0)
            continue
        reasons[reason] = reasons.get(reason, 0) + 1
        problem = _notebook_problem(job, sources[src])
        if problem:
            for rel in (f"{NOTEBOOKS}/{job.name}.ipynb", f"{HTML}/{job.name}.html"):
                (pack_dir / rel).unlink(missing_ok=True)
            entries[job.name] = {**entry, "status": "failed", "seconds": 0.0, "built_at": _now(), "error": problem, "files": {}}
            results[job.name] = _result(entries[job.name], pack_dir, "failed", 0.0)
            log(f"FAILED {job.name}: {_error_text(problem)}")
            continue
        entries[job.name] = entry
        tasks.append({"name": job.name, "notebook": str(src), "cwd": str(src.parent), "parameters": entry["parameters"],
                      "title": entry["title"], "pack_dir": str(pack_dir), "outputs": list(job.outputs),
                      "out_notebook": str(pack_dir / NOTEBOOKS / f"{job.name}.ipynb"),
                      "out_html": str(pack_dir / HTML / f"{job.name}.html"),
                      "metadata": {k: entry[k] for k in ("name", "depends", "notebook_sha256", "package_version", "key")}})
    log(f"{len(results) - sum(r.status == 'failed' for r in results.values())} up to date, {len(tasks)} to build"
        + (" (" + ", ".join(f"{why}: {n}" for why, n in reasons.items()) + ")" if reasons else ""))

    # longest first (by the previous build's timings; new jobs first): the last job to start ends soonest
    tasks.sort(key=lambda t: -(prev_outputs.get(t["name"], {}).get("seconds") or float("inf")))
    kernels = 0
    if tasks:
        kernels = _run(tasks, entries, results, pack_dir, cache, log, jobs_n=jobs_n, progress=progress,
                       timeout=timeout, start_timeout=start_timeout, kernel_name=kernel_name)

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

    outputs = [entries[j.name] for j in jobs]
    finished = _now()
    files = _inventory(pack_dir, cache)
    zip_path = pack_dir.parent / f"{pack_dir.name}.zip"
    unchanged = (previous is not None and not tasks and not pruned and not changed_extra
                 and previous.get("outputs") == outputs
                 and {k: v.get("sha256") for k, v in previous.get("files", {}).items()} == {k: v["sha256"] for k, v in files.items()}
                 and zip_path.exists())
    written = not unchanged
    if written:
        manifest = {"format": MANIFEST_FORMAT, "build": _build_info(meta, started, finished, jobs_n, kernel_name, package),
                    "outputs": outputs, "files": files}
        write_index(pack_dir, manifest)
        cache.pop(INDEX, None)
        manifest["files"] = _inventory(pack_dir, cache)
        _atomic_write_text(pack_dir / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        zip_pack(pack_dir, manifest)
        log(f"wrote {INDEX}, {MANIFEST} ({len(manifest['files'])} files) and {zip_path.name}")
    else:
        log("nothing changed: manifest and archive left as they are")
    ordered = [results[j.name] for j in jobs]
    summary = BuildSummary(pack_dir, ordered, started, _now(), round(time.perf_counter() - t0, 3), pack_dir / MANIFEST,
                           zip_path, kernels_started=kernels, written=written)
    log(f"build finished: {summary.count('built')} built, {summary.count('skipped')} up to date, "
        f"{summary.count('failed')} failed in {summary.seconds:.1f} s (exit code {summary.exit_code})")
    return summary


def _run(tasks, entries, results, pack_dir, cache, log, *, jobs_n, progress, timeout, start_timeout, kernel_name) -> int:
    from observatory.publish.runner import run_tasks

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="notebook", desc=f"pack {pack_dir.name}", leave=False)
    kernels, repeated = 0, 0
    seen_warnings: set[str] = set()
    try:
        for res in run_tasks(tasks, workers=jobs_n, timeout=timeout, start_timeout=start_timeout, kernel_name=kernel_name,
                             kernel_log=pack_dir / LOG, on_start=lambda name, wid: log(f"start {name} (worker {wid})")):
            if "kernels_started" in res:
                kernels = res["kernels_started"]
                continue
            entry = entries[res["name"]]
            ok = res["status"] == "built"
            entry.update({"status": "ok" if ok else "failed", "seconds": res["seconds"], "built_at": _now(),
                          "error": res["error"], "files": res["files"]})
            cache.update(res["files"])
            results[res["name"]] = _result(entry, pack_dir, res["status"], res["seconds"])
            for w in res.get("warnings", []):
                if w not in seen_warnings:
                    seen_warnings.add(w)
                    log(f"warning {res['name']}: {w}")
                else:
                    repeated += 1
            if ok:
                log(f"built {res['name']} in {res['seconds']:.2f} s")
            else:
                log(f"FAILED {res['name']} after {res['seconds']:.2f} s: {_error_text(res['error'])}"
                    + (" (kernel restarted)" if res.get("kernel_restarted") else ""))
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"failed {sum(r.status == 'failed' for r in results.values())}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    if repeated:
        log(f"{repeated} repeated warning(s) not shown again")
    return kernels


def _build_info(meta: dict, started: str, finished: str, jobs_n: int, kernel_name: str, package: Mapping) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def v(dist: str) -> str | None:
        try:
            return version(dist)
        except PackageNotFoundError:
            return None

    info = json.loads(json.dumps(meta, default=str))
    info.update({"started": started, "finished": finished, "observatory": package.get("version"),
                 "observatory_source_sha256": package.get("source_sha256"), "python": platform.python_version(),
                 "pandas": v("pandas"), "papermill": v("papermill"), "nbconvert": v("nbconvert"),
                 "platform": platform.platform(), "workers": jobs_n, "kernel": kernel_name})
    return info
