"""SHA-256 digests of files, bytes, JSON-able values and folders: the ONE way the package fingerprints inputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """The digest of one file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    """The digest of a JSON-able value, independent of key order."""
    return sha256_bytes(json.dumps(value, sort_keys=True, default=str).encode("utf-8"))


def digest_files(paths: Iterable[Path | str], *, names: bool = True) -> str:
    """One digest over several files (missing ones count as absent); with ``names`` a file's name counts too."""
    h = hashlib.sha256()
    for p in paths:
        p = Path(p)
        if names:
            h.update(p.name.encode() + b"\0")
        h.update((sha256_file(p) if p.is_file() else "absent").encode() + b"\0")
    return h.hexdigest()


def digest_tree(root: Path | str) -> str:
    """A digest of every file under ``root`` (relative names and bytes), skipping caches and compiled files."""
    root = Path(root)
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in {".pyc", ".pyo"}:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()
