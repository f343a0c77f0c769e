"""Catalogue records as written: the YAML file with the line of every field, and the partner register.

Records are reviewable YAML under ``data/<config>/catalogue.yaml``; partners are registered in
``data/partners.yaml``. Dates stay text when read, so that a bad date is reported rather than raised.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from observatory._core.settings import data_dir
from observatory._core.yaml_text import SafeLoader, load_yaml
from observatory.config import Config

COVERAGE = ["geography_level", "geography_vintage", "time_coverage", "update_frequency", "last_received", "next_review"]
"""What a record covers and when it was received and is next reviewed (fields of the record and columns of the published CSV)."""
CLASSIFICATIONS = ("open", "OFFICIAL", "OFFICIAL-SENSITIVE")
AUDIENCES = ("public", "partners", "named partners")
REQUIRED = [
    "id",
    "title",
    "description",
    "partner",
    "steward",
    "contact",
    "classification",
    "audience",
    "lawful_basis",
    "agreement",
    "personal_data",
    "dpia",
    *COVERAGE,
    "licence",
    "attribution",
    "retention",
    "quality_notes",
    "indicators",
]
OPTIONAL = ["named_partners", "synthetic", "licence_url", "source", "source_url", "files", "also_supplies"]
PARTNER_TYPES = (
    "county council",
    "district council",
    "police",
    "health",
    "fire",
    "voluntary sector",
    "national publisher",
    "other",
)
WITHHELD = ("steward", "contact", "dpia", "quality_notes")
"""Fields shown only to audiences a record reaches: named contacts and internal working references."""


class _Loader(SafeLoader):
    """Safe YAML, but dates stay text so that a bad date is reported rather than raised."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"] for k, v in SafeLoader.yaml_implicit_resolvers.items()
}


def partners_file() -> Path:
    """The partner register, ``data/partners.yaml`` (resolved per call)."""
    return data_dir() / "partners.yaml"


def catalogue_file(cfg: Config) -> Path:
    """The configuration's catalogue: ``catalogue:`` in config.yaml, else ``catalogue.yaml`` beside it."""
    return cfg.local_path(cfg.raw.get("catalogue", "catalogue.yaml"))


def catalogue_inputs(cfg: Config) -> list[Path]:
    """Every file the published catalogue is made from (for a pack plan's digest): the catalogue,
    the partner register and the indicators."""
    return [catalogue_file(cfg), partners_file(), Path(cfg.indicators_file)]


def partner_rows(path: Path | None = None) -> list[Any]:
    """The partner register's entries as written (a YAML list of mappings)."""
    return load_yaml((path or partners_file()).read_text()) or []


def read_partners(path: Path | None = None) -> pd.DataFrame:
    """The partner register, indexed by partner id (columns id, name, type, synthetic)."""
    frame = pd.DataFrame(partner_rows(path))
    if "synthetic" not in frame.columns:
        frame["synthetic"] = False
    frame["synthetic"] = frame["synthetic"].map(lambda v: v is True)
    return frame.set_index("id", drop=False)


def _parse(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, int]]]:
    """Records and, for each, the 1-based line of the record (key ``""``) and of each of its fields."""
    loader = _Loader(path.read_text())
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else []
    finally:
        loader.dispose()
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    if isinstance(node, yaml.MappingNode):
        data = data.get("datasets", []) if isinstance(data, dict) else []
        items = next((v.value for k, v in node.value if k.value == "datasets" and isinstance(v, yaml.SequenceNode)), [])
    lines = []
    for item in items:
        where = {"": item.start_mark.line + 1}
        if isinstance(item, yaml.MappingNode):
            where.update({k.value: k.start_mark.line + 1 for k, _v in item.value})
        lines.append(where)
    return list(data or []), lines


def _records(path: Path) -> list[dict[str, Any]]:
    return _parse(path)[0]


@lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> pd.DataFrame:
    frame = pd.DataFrame(_records(path))
    if frame.empty:
        return pd.DataFrame(columns=REQUIRED).set_index("id", drop=False)
    return frame.set_index("id", drop=False)


def read_catalogue(cfg: Config) -> pd.DataFrame:
    """The records of a configuration as a frame indexed by dataset id, unvalidated (cached per file version)."""
    path = catalogue_file(cfg)
    return _load(path, path.stat().st_mtime).copy()


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v).strip())
    except ValueError:
        return None


def _today(today: dt.date | str | None) -> dt.date:
    if today in (None, ""):
        return dt.date.today()
    d = _date(today)
    if d is None:
        raise ValueError(f"today must be a date (YYYY-MM-DD), not {today!r}")
    return d


def _true(v: Any) -> bool:
    """A YAML ``true`` (possibly a numpy bool after a trip through pandas); anything else is false."""
    return isinstance(v, (bool, np.bool_)) and bool(v)


def _list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]
