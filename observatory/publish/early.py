"""A pack build's workers started first: before planning, and before the planning code imports pandas.

Kernels take seconds to boot and import the stack; the command line starts them before anything else so
that they boot while this process imports and plans. Importing this module is cheap (no pandas).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from observatory.config import load_config
from observatory.errors import PackError
from observatory.publish.layout import check_quarter, current_quarter, pack_dir
from observatory.publish.lock import locked
from observatory.publish.manifest import LOG, MANIFEST
from observatory.publish.runner import WarmPool, pool_installed

WARM_UP = """\
import observatory as _obs
for _name in ("open_profile", "CountyOverview", "open_exception_page", "open_catalogue_page", "file_links"):
    getattr(_obs, _name)
del _obs, _name
"""
"""What every kernel of a pack build runs as soon as it is up: the imports behind the pack notebooks' facade
names (about 3 s), done while this process is still planning the jobs."""


def check_usage(quarter: str, jobs_n: int | None, out: Path | None) -> None:
    """Refuse, before anything is written, what would build the wrong pack or in the wrong place."""
    check_quarter(quarter)
    if jobs_n is not None and jobs_n < 1:
        raise PackError(f"--jobs must be at least 1 (got {jobs_n})")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise PackError(f"--out {out} is a file; it must be a folder for packs")


def early_workers(target: Path, jobs_n: int | None, localities: Iterable[str] | None, force: bool) -> WarmPool | None:
    """Workers started before planning when the pack will surely run notebooks (no pack there yet, or
    ``force``), so that their kernels boot and import while the jobs are planned; None otherwise (a
    rebuild may have nothing to run, and then starts no kernel), when a host installed its own pool, or
    when another build holds the pack."""
    if not (force or not (target / MANIFEST).exists()) or pool_installed() or locked(target):
        return None
    size = jobs_n or os.cpu_count() or 2
    if localities:
        size = min(size, len(set(localities)))
    target.mkdir(parents=True, exist_ok=True)
    pool = WarmPool(size, kernel_log=target / LOG, warm_up=WARM_UP)
    pool.start()
    return pool


def workers_for(
    config: str,
    quarter: str | None,
    *,
    localities: Iterable[str] | None = None,
    jobs_n: int | None = None,
    out: Path | None = None,
    audience: str = "public",
    force: bool = False,
) -> WarmPool | None:
    """:func:`early_workers` for the pack ``observatory build`` is asked for, found from the configuration alone;
    None when the request is wrong in any way (the build then refuses it with the reason)."""
    try:
        quarter = current_quarter() if quarter is None else quarter
        check_usage(quarter, jobs_n, out)
        target = pack_dir(load_config(config), quarter, audience, out).resolve()
        return early_workers(target, jobs_n, localities, force)
    except Exception:
        return None
