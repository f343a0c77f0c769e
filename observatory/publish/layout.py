"""Where packs live and what they are called: the quarter and the pack folder, cheap to import.

Shared by the plan (which builds packs) and the apps (which link them); imports only ``_core``,
``errors`` and ``config``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from observatory._core.settings import build_dir
from observatory.config import Config
from observatory.errors import PackError

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
YEARS = (1990, 2100)


def check_quarter(quarter: str) -> str:
    """``quarter`` if it is a quarter like ``2026Q3`` in a sane year range; ``PackError`` (exit 2) otherwise.

    The quarter names the pack folder, so anything else (``2026Q5``, ``2026q3``, ``../x``) is refused.
    """
    m = QUARTER.match(quarter or "") if isinstance(quarter, str) else None
    if not m:
        raise PackError(f"quarter {quarter!r} is not a quarter like 2026Q3 (a year, 'Q', and 1 to 4)")
    if not YEARS[0] <= int(m.group(1)) <= YEARS[1]:
        raise PackError(f"quarter {quarter!r}: the year must be between {YEARS[0]} and {YEARS[1]}")
    return quarter


def current_quarter(today: dt.date | None = None) -> str:
    """The quarter being reported on: the last complete calendar quarter, e.g. "2026Q3" in November 2026."""
    today = today or dt.date.today()
    q = (today.month - 1) // 3  # completed quarters this year
    return f"{today.year}Q{q}" if q else f"{today.year - 1}Q4"


def pack_dir(cfg: Config, quarter: str, audience: str = "public", out: Path | None = None) -> Path:
    """``build/packs/<quarter>`` for the demo county, ``build/packs/<config>/<quarter>`` otherwise;
    packs for a narrower audience get a suffix, so a public pack is never overwritten by a partner one."""
    root = Path(out) if out else (build_dir() / "packs" if cfg.name == "demo" else build_dir() / "packs" / cfg.name)
    suffix = "" if audience == "public" else "-" + audience.replace(":", "-")
    return root / f"{quarter}{suffix}"


def previous_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year}Q{q - 1}" if q > 1 else f"{year - 1}Q4"
