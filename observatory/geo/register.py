"""The national code register: every area code that exists, read in place from a lookup of the whole country.

The England lookup (``../shared/data/england/lsoa21_msoa21_lad24_utla24_rgn24_england.csv``, see its
PROVENANCE.md) lists every LSOA, MSOA, district, upper-tier authority and region code; any column whose
name ends in ``CD`` (the ONS convention for a code) is read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> pd.Index:
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    columns = [c for c in header if str(c).upper().endswith("CD")]
    if not columns:
        raise ValueError(f"{path}: no code columns (names ending in CD) in the national code register")
    frame = pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return pd.Index(pd.unique(frame.to_numpy().ravel()))


def read_register(path: Path | str) -> pd.Index:
    """The distinct codes of the register at ``path`` (cached while the file is unchanged)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"national code register not found: {path}")
    return _read(str(path), path.stat().st_mtime)
