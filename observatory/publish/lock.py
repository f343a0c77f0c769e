"""One build of a pack at a time: its lock file, its log, and SIGTERM turned into an orderly stop."""

from __future__ import annotations

import fcntl
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from observatory.errors import PackLocked
from observatory.publish.manifest import LOCK
from observatory.publish.places import Places


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
        fh.write(f"pid {os.getpid()} since {now()}\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing releases the lock


def locked(pack_dir: Path) -> bool:
    """Whether another build holds ``<pack>/.build.lock`` now (a glance: it may start or stop a moment later)."""
    path = Path(pack_dir) / LOCK
    if not path.is_file():
        return False
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
    return False  # closing released it


@contextmanager
def exit_on_sigterm() -> Iterator[None]:
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


class BuildLog:
    """Append timestamped lines to ``build.log``."""

    def __init__(self, path: Path, places: Places):
        self.fh = open(path, "a", encoding="utf-8", buffering=1)
        self.scrub = places.scrub

    def __call__(self, message: str) -> None:
        self.fh.write(f"{now()} {self.scrub(message)}\n")

    def close(self) -> None:
        self.fh.close()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
