"""The information-sharing-charter data catalogue: which partner shares which dataset, on what terms.

Records are reviewable YAML under ``data/<config>/catalogue.yaml``; partners are registered in
``data/partners.yaml``. The catalogue governs every output: a dataset reaches an audience only
when its record allows it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from observatory.config import DATA_DIR, Config, load_config
from observatory.validation import Report, ValidationError

CLASSIFICATIONS = ("open", "OFFICIAL", "OFFICIAL-SENSITIVE")
AUDIENCES = ("public", "partners", "named partners")
FREQUENCIES = ("annual", "quarterly", "monthly", "weekly", "census", "periodic", "irregular", "one-off")
REQUIRED = ["id", "title", "description", "partner", "steward", "contact", "classification", "audience", "lawful_basis",
            "agreement", "personal_data", "dpia", "geography_level", "geography_vintage", "time_coverage",
            "update_frequency", "last_received", "next_review", "licence", "attribution", "retention", "quality_notes",
            "indicators"]
PARTNER_TYPES = ("county council", "district council", "police", "health", "fire", "voluntary sector", "national publisher", "other")


def partners_file() -> Path:
    return DATA_DIR / "partners.yaml"


def catalogue_file(cfg: Config) -> Path:
    return cfg.local_path(cfg.raw.get("catalogue", "catalogue.yaml"))


def read_partners(path: Path | None = None) -> pd.DataFrame:
    path = path or partners_file()
    rows = yaml.safe_load(path.read_text()) or []
    return pd.DataFrame(rows).set_index("id", drop=False)


def _records(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text()) or []
    if isinstance(data, dict):
        data = data.get("datasets", [])
    return data


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        return None


def validate_catalogue(cfg: Config, indicators: pd.DataFrame | None = None) -> Report:
    """Every problem with the catalogue: missing fields, unknown partner, bad classification or audience,
    indicators without a record, and records naming indicators that do not exist."""
    from observatory.indicators import read_indicators

    path = catalogue_file(cfg)
    report = Report()
    if not path.exists():
        report.add(path.name, None, None, f"catalogue file {path} is missing")
        return report
    records = _records(path)
    partners = read_partners()
    inds = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    seen: dict[str, int] = {}
    for i, r in enumerate(records, start=1):
        rid = str(r.get("id", f"record {i}"))
        where = f"{path.name}"
        for f in REQUIRED:
            if f not in r or r[f] is None or (isinstance(r[f], str) and not r[f].strip()):
                report.add(where, i, f, f"dataset {rid}: required field {f!r} is missing or empty")
        if rid in seen:
            report.add(where, i, "id", f"dataset id {rid!r} is also record {seen[rid]}")
        seen[rid] = i
        if r.get("partner") and r["partner"] not in partners.index:
            report.add(where, i, "partner", f"dataset {rid}: partner {r['partner']!r} is not in the partner register (data/partners.yaml)")
        if r.get("classification") and r["classification"] not in CLASSIFICATIONS:
            report.add(where, i, "classification", f"dataset {rid}: classification {r['classification']!r} is not one of {', '.join(CLASSIFICATIONS)}")
        if r.get("audience") and r["audience"] not in AUDIENCES:
            report.add(where, i, "audience", f"dataset {rid}: audience {r['audience']!r} is not one of {', '.join(AUDIENCES)}")
        if r.get("audience") == "named partners":
            named = r.get("named_partners") or []
            if not named:
                report.add(where, i, "named_partners", f"dataset {rid}: audience 'named partners' needs a named_partners list")
            for p in named:
                if p not in partners.index:
                    report.add(where, i, "named_partners", f"dataset {rid}: named partner {p!r} is not in the partner register")
        if r.get("audience") == "public" and r.get("classification") == "OFFICIAL-SENSITIVE":
            report.add(where, i, "audience", f"dataset {rid}: OFFICIAL-SENSITIVE data cannot have a public audience")
        for f in ("last_received", "next_review"):
            if r.get(f) and _date(r[f]) is None:
                report.add(where, i, f, f"dataset {rid}: {f} {r[f]!r} is not a date (YYYY-MM-DD)")
        if r.get("personal_data") is True and not r.get("dpia"):
            report.add(where, i, "dpia", f"dataset {rid}: personal data needs a DPIA reference")
        for ind in r.get("indicators") or []:
            if ind not in inds.index:
                report.add(where, i, "indicators", f"dataset {rid}: indicator {ind!r} does not exist in {cfg.indicators_file.name}")
            elif inds.loc[ind, "dataset"] != rid:
                report.add(where, i, "indicators", f"dataset {rid}: indicator {ind!r} names dataset {inds.loc[ind, 'dataset']!r} as its source")
    listed = {ind for r in records for ind in (r.get("indicators") or [])}
    for ind, row in inds.iterrows():
        if row["dataset"] not in seen:
            report.add(cfg.indicators_file.name, None, "dataset", f"indicator {ind}: dataset {row['dataset']!r} has no catalogue record")
        elif ind not in listed:
            report.add(path.name, seen[row["dataset"]], "indicators", f"dataset {row['dataset']}: does not list indicator {ind!r} derived from it")
    return report


@lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> pd.DataFrame:
    frame = pd.DataFrame(_records(path))
    if frame.empty:
        return pd.DataFrame(columns=REQUIRED).set_index("id", drop=False)
    return frame.set_index("id", drop=False)


def load_catalogue(config: Config | str = "demo", validate: bool = True) -> pd.DataFrame:
    """Catalogue records of a configuration, indexed by dataset id (validated unless told not to)."""
    cfg = config if isinstance(config, Config) else load_config(config)
    path = catalogue_file(cfg)
    if validate:
        validate_catalogue(cfg).raise_if_problems()
    return _load(path, path.stat().st_mtime).copy()


def audience_allows(record_audience: str, named: list[str] | None, audience: str) -> bool:
    """May a dataset shared for ``record_audience`` reach ``audience``?

    Audiences: ``public``; ``partners`` (every charter partner); ``partner:<id>`` (one named partner).
    """
    if record_audience == "public":
        return True
    if audience == "public":
        return False
    if record_audience == "partners":
        return audience == "partners" or audience.startswith("partner:")
    if record_audience == "named partners":
        return audience.startswith("partner:") and audience.split(":", 1)[1] in (named or [])
    return False


def check_audience(audience: str) -> str:
    if audience in ("public", "partners") or (audience.startswith("partner:") and len(audience) > 8):
        return audience
    raise ValueError(f"audience must be 'public', 'partners' or 'partner:<partner id>', not {audience!r}")


def allowed_datasets(config: Config | str, audience: str = "public") -> set[str]:
    """Dataset ids whose charter terms allow them to reach ``audience``."""
    check_audience(audience)
    cat = load_catalogue(config, validate=False)
    return {rid for rid, r in cat.iterrows() if audience_allows(r["audience"], r.get("named_partners") if isinstance(r.get("named_partners"), list) else [], audience)}


def attributions(config: Config | str, datasets: set[str] | list[str]) -> list[str]:
    """The attribution statements of the datasets used, deduplicated, in catalogue order."""
    cat = load_catalogue(config, validate=False)
    out: list[str] = []
    for rid in cat.index:
        if rid in datasets:
            a = f"{cat.loc[rid, 'title']}: {cat.loc[rid, 'attribution']} Licence: {cat.loc[rid, 'licence']}."
            if a not in out:
                out.append(a)
    return out


@dataclass
class ReviewStatus:
    overdue_review: bool
    overdue_refresh: bool


def review_flags(cat: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Records overdue for their charter review, or for a data refresh given their update frequency."""
    today = today or dt.date.today()
    every = {"annual": 366 + 90, "quarterly": 92 + 45, "monthly": 31 + 20, "weekly": 14, "census": 3653 + 365,
             "periodic": 5 * 366, "irregular": 10**6, "one-off": 10**6}
    nr = cat["next_review"].map(_date)
    lr = cat["last_received"].map(_date)
    limit = cat["update_frequency"].map(every).fillna(10**6)
    return pd.DataFrame({
        "review_overdue": [bool(d and d < today) for d in nr],
        "refresh_overdue": [bool(d and (today - d).days > lim) for d, lim in zip(lr, limit)],
    }, index=cat.index)


__all__ = ["load_catalogue", "validate_catalogue", "allowed_datasets", "attributions", "audience_allows",
           "review_flags", "read_partners", "ValidationError"]
