"""What a pack is made of: jobs (a notebook run with parameters), their results, a build's summary,
and the digests deciding whether a job's previous output is still valid.

Imports only ``_core`` and ``errors``: part of the generic build engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from observatory._core.digests import digest_tree, sha256_file, sha256_json
from observatory._core.settings import package_version
from observatory.errors import EXIT_FAILED, EXIT_OK, PackError
from observatory.publish.manifest import INDEX
from observatory.publish.places import package_root


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
        lines = [
            f"pack {self.pack_dir}: {self.count('built')} built, {self.count('skipped')} up to date, "
            f"{self.count('failed')} failed in {self.seconds:.1f} s"
        ]
        lines += [
            f"  FAILED {r.name}: {r.error}" + (f" (see {r.notebook_path})" if r.notebook_path else "")
            for r in self.results
            if r.status == "failed"
        ]
        if self.written:
            index = f"index {self.pack_dir / INDEX}; " if (self.pack_dir / INDEX).exists() else ""
            lines.append(f"  {index}archive {self.zip_path}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- digests


def file_digest(*paths: Path | str) -> str:
    """A digest of files' contents (folders: every file inside), cheap enough for the no-op path.

    Missing paths count as ``missing`` so that creating them changes the digest.
    """
    parts = []
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        parts += [[f.name if f == p else f.relative_to(p).as_posix(), sha256_file(f) if f.exists() else "missing"] for f in files]
    return sha256_json(parts)


@lru_cache(maxsize=1)
def package_fingerprint() -> dict[str, str]:
    """The observatory version and a digest of its source and assets: editing the code rebuilds packs."""
    return {"version": package_version(), "source_sha256": digest_tree(package_root())}


def plain(value: Any, where: str) -> Any:
    """``value`` as JSON (paths as strings), or ``PackError`` for anything else."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, where) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise PackError(f"{where}: parameter value {value!r} is not JSON-like (str, number, bool, None, list, dict, Path)")


def job_key(job: Job, notebook_sha256: str, package: Mapping[str, str]) -> str:
    """The digest deciding whether a job's previous output is still valid."""
    return sha256_json(
        {
            "depends": job.depends,
            "parameters": plain(job.parameters, job.name),
            "notebook": notebook_sha256,
            "package": dict(package),
            "outputs": list(job.outputs),
        }
    )
