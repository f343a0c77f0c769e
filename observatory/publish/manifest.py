"""A pack's record of itself: the file layout, ``manifest.json`` (sha256 of every file, how each output
was built), and the ``<quarter>.zip`` archive written after it.

Imports only ``_core``: part of the generic build engine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from observatory._core.archive import write_zip
from observatory._core.digests import sha256_file
from observatory._core.files import atomic_path, write_atomic

NOTEBOOKS, HTML, DOWNLOADS = "notebooks", "html", "downloads"
MANIFEST, INDEX, LOG, LOCK = "manifest.json", "index.html", "build.log", ".build.lock"
MANIFEST_FORMAT = 1


def read_manifest(pack_dir: Path | str) -> dict | None:
    """The pack's manifest, or None when absent or unreadable."""
    try:
        data = json.loads((Path(pack_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None


def write_manifest(pack_dir: Path, manifest: Mapping) -> Path:
    """Write ``manifest.json`` atomically (a killed build leaves the previous one)."""
    return write_atomic(pack_dir / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


def inventory(pack_dir: Path, cache: dict[str, str]) -> dict[str, dict]:
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


def files_intact(pack_dir: Path, files: Mapping[str, str], cache: dict[str, str]) -> bool:
    """True when every file (relative name → sha256) is present with that content."""
    for rel, sha in files.items():
        p = pack_dir / rel
        if not p.is_file():
            return False
        if rel not in cache:
            cache[rel] = sha256_file(p)
        if cache[rel] != sha:
            return False
    return True


def zip_path(pack_dir: Path) -> Path:
    return pack_dir.parent / f"{pack_dir.name}.zip"


def zip_pack(pack_dir: Path, manifest: Mapping) -> Path:
    """Write ``<out>/<quarter>.zip`` with the manifest and every file it lists, atomically (deflated on
    every CPU; the same bytes as ``zipfile`` writes)."""
    target = zip_path(pack_dir)
    with atomic_path(target) as tmp:
        write_zip(tmp, [(pack_dir / rel, f"{pack_dir.name}/{rel}") for rel in [MANIFEST, *manifest["files"]]], level=6)
    return target


def error_text(error: Mapping | None) -> str:
    """One line for a job's recorded error: ``ename: evalue (cell [n])``."""
    if not error:
        return ""
    text = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".rstrip(": ")
    if error.get("cell") is not None:
        text += f" (cell [{error['cell']}])"
    return text
