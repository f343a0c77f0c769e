"""The England data bundle (``../shared/data/england``), read in place and cached per process.

``OBSERVATORY_ENGLAND_DIR`` wins; otherwise ``<checkout>/../shared/data/england`` (or ``./shared/data/england``
of the working directory when installed). See the bundle's PROVENANCE.md for every file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from observatory._core.settings import checkout_root

LOOKUP = "lsoa21_msoa21_lad24_utla24_rgn24_england.csv"
BOUNDARIES = "lsoa21_england_simplified.parquet"
IOD_SCORES = "iod2025_scores_ranks_deciles_lsoa21_england.csv"
IOD_UNDERLYING = "iod2025_underlying_indicators_lsoa21_england.csv"
HOUSEHOLD_DEPRIVATION = "census2021_household_deprivation_lsoa21_england.csv"
ENGLAND = {"code": "E92000001", "name": "England"}
N_LSOAS = 33755  # LSOAs 2021 ranked nationally by the IoD2025
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. Source: Office for "
    "National Statistics; Ministry of Housing, Communities and Local Government. Contains OS data © Crown "
    "copyright and database right."
)
POPULATION_NOTE = (
    "approximate IoD2025 income-domain population (income-domain numerator / income score): the IoD2025 "
    "population denominators are not in the England bundle; an LSOA with an income score of 0 takes its district's median"
)


def england_dir() -> Path:
    """The folder holding the England bundle."""
    env = os.environ.get("OBSERVATORY_ENGLAND_DIR")
    if env:
        return Path(env).resolve()
    root = checkout_root()
    return ((root / ".." if root else Path.cwd()) / "shared" / "data" / "england").resolve()


@lru_cache(maxsize=4)
def _lookup(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / LOOKUP, dtype=str, keep_default_na=False)


def lookup(folder: Path | None = None) -> pd.DataFrame:
    """LSOA 2021 → MSOA 2021 (with the House of Commons Library name) → LAD24 → UTLA24 → region (a shared copy: do not modify)."""
    return _lookup(Path(folder or england_dir()).resolve())
