"""Writing files so that a killed process leaves the old file or the new one, never half of either."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path``, unique to this writer, renamed over ``path`` when the block succeeds.

    The temporary file is removed when the block fails. It is created with mode 0o666 less the umask, as an
    ordinary file would be (mkstemp's 0600 would hide a pack from a web server), without ever changing the
    process's umask (reading it with ``os.umask`` would briefly zero it for every other thread).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_unique(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path | str, data: bytes | str | Callable[[Path], object]) -> Path:
    """Write ``data`` (bytes, text, or a function writing to the path it is given) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        if callable(data):
            data(tmp)
        else:
            tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def _create_unique(path: Path) -> Path:
    """A new empty file ``.<name>.<random>.tmp`` beside ``path`` (O_EXCL: never one another writer holds)."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue
