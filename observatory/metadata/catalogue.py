"""The information-sharing-charter data catalogue: which partner shares which dataset, on what terms.

Records are reviewable YAML under ``data/<config>/catalogue.yaml``; partners are registered in
``data/partners.yaml``. The catalogue governs every output: a dataset reaches an audience only
when its record allows it. It is also published: a browsable HTML page, a CSV and W3C DCAT
JSON-LD, for one audience at a time (records an audience may not use keep their terms visible
but withhold their contact and internal details; see docs/catalogue.md).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from observatory._core.resources import notebook as resource_notebook
from observatory._core.settings import build_dir, data_dir
from observatory.config import Config, load_config
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.errors import Report, ValidationError

CLASSIFICATIONS = ("open", "OFFICIAL", "OFFICIAL-SENSITIVE")
AUDIENCES = ("public", "partners", "named partners")
FREQUENCIES = ("annual", "quarterly", "monthly", "weekly", "census", "periodic", "irregular", "one-off")
REQUIRED = ["id", "title", "description", "partner", "steward", "contact", "classification", "audience", "lawful_basis",
            "agreement", "personal_data", "dpia", "geography_level", "geography_vintage", "time_coverage",
            "update_frequency", "last_received", "next_review", "licence", "attribution", "retention", "quality_notes",
            "indicators"]
OPTIONAL = ["named_partners", "synthetic", "licence_url", "source", "source_url", "files", "also_supplies"]
PARTNER_TYPES = ("county council", "district council", "police", "health", "fire", "voluntary sector", "national publisher", "other")
WITHHELD = ("steward", "contact", "dpia", "quality_notes")
"""Fields shown only to audiences a record reaches: named contacts and internal working references."""
REFERENCE_THEME = "reference"
REFERENCE_TITLE = "Reference data (geography and lookups)"
CSV_COLUMNS = ["id", "title", "description", "partner", "partner_name", "partner_type", "synthetic", "classification",
               "audience", "named_partners", "access", "available", "themes", "indicators", "also_supplies", "geography_level",
               "geography_vintage", "time_coverage", "update_frequency", "last_received", "next_review",
               "review_overdue", "refresh_overdue", "licence", "licence_url", "attribution", "source", "source_url",
               "lawful_basis", "agreement", "personal_data", "retention", "steward", "contact", "dpia", "quality_notes"]
LICENCE_URLS = {
    "open government licence": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "open parliament licence": "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/",
    "cc by 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "creative commons attribution 4.0": "https://creativecommons.org/licenses/by/4.0/",
}
REFRESH_DAYS = {"annual": 366 + 90, "quarterly": 92 + 45, "monthly": 31 + 20, "weekly": 14, "census": 3653 + 365,
                "periodic": 5 * 366, "irregular": None, "one-off": None}
"""Days after ``last_received`` when a refresh is overdue: the update interval plus the usual publication lag."""


# --------------------------------------------------------------------------- reading

class _Loader(yaml.SafeLoader):
    """Safe YAML, but dates stay text so that a bad date is reported rather than raised."""


_Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def partners_file() -> Path:
    return data_dir() / "partners.yaml"


def catalogue_file(cfg: Config) -> Path:
    return cfg.local_path(cfg.raw.get("catalogue", "catalogue.yaml"))


def read_partners(path: Path | None = None) -> pd.DataFrame:
    """The partner register, indexed by partner id (columns id, name, type, synthetic)."""
    path = path or partners_file()
    rows = yaml.safe_load(path.read_text()) or []
    frame = pd.DataFrame(rows)
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


# --------------------------------------------------------------------------- validation

def validate_partners(path: Path | None = None) -> Report:
    """Problems in the partner register: missing id or name, duplicate ids, unknown partner types."""
    path = path or partners_file()
    report = Report()
    rows = yaml.safe_load(path.read_text()) or []
    seen: set[str] = set()
    for i, p in enumerate(rows, start=1):
        pid = p.get("id")
        if not pid or not p.get("name"):
            report.add(path.name, None, "id", f"partner {i} needs an id and a name")
        if pid in seen:
            report.add(path.name, None, "id", f"partner id {pid!r} is registered twice")
        seen.add(pid)
        if p.get("type") not in PARTNER_TYPES:
            report.add(path.name, None, "type", f"partner {pid}: type {p.get('type')!r} is not one of {', '.join(PARTNER_TYPES)}")
    return report


def validate_catalogue(cfg: Config, indicators: pd.DataFrame | None = None) -> Report:
    """Every problem with the catalogue: missing fields, unknown partner, bad classification, audience,
    frequency or date, indicators without a record, records naming indicators that do not exist or
    come from another dataset, and sources whose dataset has no record. Rows are lines of the YAML file."""
    from observatory.metadata.indicators import read_indicators

    path = catalogue_file(cfg)
    report = Report()
    if not path.exists():
        report.add(path.name, None, None, f"catalogue file {path} is missing")
        return report
    try:
        records, lines = _parse(path)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        report.add(path.name, mark.line + 1 if mark else None, None, f"not valid YAML: {getattr(e, 'problem', e)}")
        return report
    report.extend(validate_partners())
    partners = read_partners()
    inds = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    where = path.name
    seen: dict[str, int] = {}
    for i, r in enumerate(records, start=1):
        at = lines[i - 1] if i - 1 < len(lines) else {"": None}
        line = lambda f: at.get(f, at[""])  # noqa: E731
        if not isinstance(r, dict):
            report.add(where, at[""], None, f"record {i} is not a mapping of field: value")
            continue
        rid = str(r.get("id") or f"record {i}")
        for f in REQUIRED:
            if f not in r or r[f] is None or (isinstance(r[f], str) and not r[f].strip()):
                report.add(where, line(f), f, f"dataset {rid}: required field {f!r} is missing or empty")
        for f in r:
            if f not in REQUIRED and f not in OPTIONAL:
                report.add(where, line(f), f, f"dataset {rid}: unknown field {f!r} (fields: see docs/catalogue.md)")
        if rid in seen:
            report.add(where, line("id"), "id", f"dataset id {rid!r} is also record {seen[rid]}")
        seen.setdefault(rid, i)
        partner = r.get("partner")
        if partner and partner not in partners.index:
            report.add(where, line("partner"), "partner", f"dataset {rid}: partner {partner!r} is not in the partner register (data/partners.yaml)")
        if r.get("classification") and r["classification"] not in CLASSIFICATIONS:
            report.add(where, line("classification"), "classification",
                       f"dataset {rid}: classification {r['classification']!r} is not one of {', '.join(CLASSIFICATIONS)}")
        if r.get("audience") and r["audience"] not in AUDIENCES:
            report.add(where, line("audience"), "audience", f"dataset {rid}: audience {r['audience']!r} is not one of {', '.join(AUDIENCES)}")
        if r.get("update_frequency") and r["update_frequency"] not in FREQUENCIES:
            report.add(where, line("update_frequency"), "update_frequency",
                       f"dataset {rid}: update_frequency {r['update_frequency']!r} is not one of {', '.join(FREQUENCIES)}")
        if r.get("audience") == "named partners":
            named = r.get("named_partners") or []
            if not named or not isinstance(named, list):
                report.add(where, line("named_partners"), "named_partners", f"dataset {rid}: audience 'named partners' needs a named_partners list")
            for p in named if isinstance(named, list) else []:
                if p not in partners.index:
                    report.add(where, line("named_partners"), "named_partners", f"dataset {rid}: named partner {p!r} is not in the partner register")
        elif r.get("named_partners"):
            report.add(where, line("named_partners"), "named_partners",
                       f"dataset {rid}: named_partners is given but the audience is {r.get('audience')!r}, not 'named partners'")
        if r.get("audience") == "public" and r.get("classification") == "OFFICIAL-SENSITIVE":
            report.add(where, line("audience"), "audience", f"dataset {rid}: OFFICIAL-SENSITIVE data cannot have a public audience")
        for f in ("last_received", "next_review"):
            if r.get(f) not in (None, "") and _date(r[f]) is None:
                report.add(where, line(f), f, f"dataset {rid}: {f} {r[f]!r} is not a date (YYYY-MM-DD)")
        for f in ("personal_data", "synthetic"):
            if f in r and not isinstance(r[f], bool):
                report.add(where, line(f), f, f"dataset {rid}: {f} must be true or false, not {r[f]!r}")
        if r.get("personal_data") is True and str(r.get("dpia", "")).strip().lower() in ("", "not required", "none", "n/a"):
            report.add(where, line("dpia"), "dpia", f"dataset {rid}: personal data needs a DPIA reference")
        if r.get("licence_url") and not str(r["licence_url"]).startswith(("http://", "https://")):
            report.add(where, line("licence_url"), "licence_url", f"dataset {rid}: licence_url {r['licence_url']!r} is not a web address")
        synthetic_partner = partner in partners.index and bool(partners.loc[partner, "synthetic"])
        if synthetic_partner and r.get("synthetic") is not True:
            report.add(where, line("synthetic"), "synthetic", f"dataset {rid}: partner {partner!r} is synthetic, so the record needs synthetic: true")
        if r.get("synthetic") is True and not cfg.synthetic:
            report.add(where, line("synthetic"), "synthetic", f"dataset {rid}: a synthetic record in the real configuration {cfg.name!r}")
        listed = r.get("indicators")
        if listed is not None and not isinstance(listed, list):
            report.add(where, line("indicators"), "indicators", f"dataset {rid}: indicators must be a list (use [] for none)")
            continue
        for ind in _list(r.get("also_supplies")):
            if ind not in inds.index:
                report.add(where, line("also_supplies"), "also_supplies", f"dataset {rid}: indicator {ind!r} does not exist in {cfg.indicators_file.name}")
            elif inds.loc[ind, "dataset"] == rid:
                report.add(where, line("also_supplies"), "also_supplies", f"dataset {rid}: indicator {ind!r} is derived from this dataset: list it under indicators")
        for ind in listed or []:
            if ind not in inds.index:
                report.add(where, line("indicators"), "indicators", f"dataset {rid}: indicator {ind!r} does not exist in {cfg.indicators_file.name}")
            elif inds.loc[ind, "dataset"] != rid:
                report.add(where, line("indicators"), "indicators", f"dataset {rid}: indicator {ind!r} names dataset {inds.loc[ind, 'dataset']!r} as its source")
    rank = {a: i for i, a in enumerate(AUDIENCES)}
    audience_of = {str(r.get("id")): r.get("audience") for r in records if isinstance(r, dict)}
    for i, r in enumerate(records, start=1):
        if not isinstance(r, dict) or r.get("audience") not in rank:
            continue
        for ind in _list(r.get("also_supplies")):
            owner = inds.loc[ind, "dataset"] if ind in inds.index else None
            if audience_of.get(owner) in rank and rank[r["audience"]] > rank[audience_of[owner]]:
                report.add(where, lines[i - 1].get("also_supplies", lines[i - 1][""]), "also_supplies",
                           f"dataset {r.get('id')}: supplies indicator {ind!r}, shown to audience {audience_of[owner]!r}, "
                           f"but its own audience is {r['audience']!r}")
    listed_all = {ind for r in records if isinstance(r, dict) and isinstance(r.get("indicators"), list) for ind in r["indicators"]}
    for ind, row in inds.iterrows():
        if row["dataset"] not in seen:
            report.add(cfg.indicators_file.name, None, "dataset", f"indicator {ind}: dataset {row['dataset']!r} has no catalogue record")
        elif ind not in listed_all:
            rec = seen[row["dataset"]]
            report.add(where, lines[rec - 1].get("indicators", lines[rec - 1][""]), "indicators",
                       f"dataset {row['dataset']}: does not list indicator {ind!r} derived from it")
    try:
        sources = cfg.sources
    except (ValueError, FileNotFoundError, yaml.YAMLError) as e:
        report.add("config.yaml", None, "sources", f"sources cannot be read: {e}")
        sources = []
    for s in sources:
        if s.dataset not in seen:
            report.add("config.yaml", None, "sources", f"source {s.id}: dataset {s.dataset!r} has no catalogue record")
    return report


# --------------------------------------------------------------------------- loading and audience rules

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
    """The audience, if it is ``public``, ``partners`` or ``partner:<id>`` of a registered partner."""
    if audience in ("public", "partners"):
        return audience
    if audience.startswith("partner:") and len(audience) > 8:
        pid = audience.split(":", 1)[1]
        if pid not in read_partners().index:
            raise ValueError(f"audience {audience!r}: {pid!r} is not in the partner register (data/partners.yaml)")
        return audience
    raise ValueError(f"audience must be 'public', 'partners' or 'partner:<partner id>', not {audience!r}")


def _reaches(record: pd.Series | dict, audience: str) -> bool:
    """The record's audience rule; a dataset always reaches the partner that shares it."""
    named = _list(record.get("named_partners")) + [str(record.get("partner"))]
    return audience_allows(str(record.get("audience")), named, audience)


def allowed_datasets(config: Config | str, audience: str = "public") -> set[str]:
    """Dataset ids whose charter terms allow them to reach ``audience``."""
    check_audience(audience)
    cat = load_catalogue(config, validate=False)
    return {rid for rid, r in cat.iterrows() if _reaches(r, audience)}


# --------------------------------------------------------------------------- attribution

def licence_url(record: pd.Series | dict) -> str:
    """The licence's web address: the record's ``licence_url``, else a known licence's, else ''."""
    given = record.get("licence_url")
    if isinstance(given, str) and given:
        return given
    name = str(record.get("licence", "")).lower()
    return next((url for key, url in LICENCE_URLS.items() if key in name), "")


def attribution_frame(config: Config | str, datasets: set[str] | list[str]) -> pd.DataFrame:
    """One row per dataset used, in catalogue order: dataset, title, partner, licence, licence_url, attribution.
    Suited to an ``attribution`` sheet in a workbook or an attribution CSV beside a download."""
    cat = load_catalogue(config, validate=False)
    partners = read_partners()
    wanted = set(datasets)
    rows = [{"dataset": rid, "title": r["title"], "partner": partners["name"].get(r["partner"], r["partner"]),
             "licence": r["licence"], "licence_url": licence_url(r), "attribution": r["attribution"]}
            for rid, r in cat.iterrows() if rid in wanted]
    return pd.DataFrame(rows, columns=["dataset", "title", "partner", "licence", "licence_url", "attribution"])


def supplying_datasets(config: Config | str, indicators: set[str] | list[str]) -> set[str]:
    """Every dataset whose values an output showing ``indicators`` (all periods) may contain: each
    indicator's own dataset and the records that list it under ``also_supplies``."""
    cfg = config if isinstance(config, Config) else load_config(config)
    from observatory.metadata.indicators import read_indicators

    wanted = set(indicators)
    inds = read_indicators(cfg.indicators_file)
    out = {inds.loc[i, "dataset"] for i in wanted if i in inds.index}
    cat = load_catalogue(cfg, validate=False)
    if "also_supplies" in cat.columns:
        out |= {rid for rid, r in cat.iterrows() if wanted & set(_list(r.get("also_supplies")))}
    return out


def attributions(config: Config | str, datasets: set[str] | list[str]) -> list[str]:
    """The attribution statements of the datasets used, deduplicated, in catalogue order."""
    out: list[str] = []
    for r in attribution_frame(config, datasets).itertuples():
        a = f"{r.title}: {str(r.attribution).rstrip('.')}. Licence: {r.licence}."
        if a not in out:
            out.append(a)
    return out


def write_attributions(path: Path | str, config: Config | str, datasets: set[str] | list[str]) -> Path:
    """Write the attribution statements of ``datasets`` as a CSV (for a download folder); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    attribution_frame(config, datasets).to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- review

def review_flags(cat: pd.DataFrame, today: dt.date | str | None = None) -> pd.DataFrame:
    """Records overdue for their charter review (``next_review`` passed), or for a data refresh
    (``last_received`` older than the update interval plus the usual publication lag)."""
    today = _today(today)
    nr = cat["next_review"].map(_date)
    lr = cat["last_received"].map(_date)
    limit = cat["update_frequency"].map(REFRESH_DAYS)
    return pd.DataFrame({
        "review_overdue": [bool(d and d < today) for d in nr],
        "refresh_overdue": [bool(d and lim is not None and not pd.isna(lim) and (today - d).days > lim) for d, lim in zip(lr, limit)],
    }, index=cat.index)


# --------------------------------------------------------------------------- the published table

def _access(r: pd.Series | dict, partners: pd.DataFrame) -> str:
    if r["audience"] == "public":
        return "public"
    if r["audience"] == "partners":
        return "charter partners only"
    names = [partners["name"].get(p, p) for p in _list(r.get("named_partners"))]
    return "named partners only: " + "; ".join(names)


def catalogue_frame(config: Config | str = "demo", audience: str = "public", today: dt.date | str | None = None) -> pd.DataFrame:
    """The catalogue as published to ``audience``: one row per record in ``CSV_COLUMNS``, lists joined
    with '; ', review flags computed for ``today``. Records the audience may not use are left out; their
    number is in ``frame.attrs["withheld"]``."""
    check_audience(audience)
    cfg = config if isinstance(config, Config) else load_config(config)
    cat = load_catalogue(cfg, validate=False)
    if cat.empty:
        return pd.DataFrame(columns=CSV_COLUMNS)
    from observatory.metadata.indicators import read_indicators

    partners = read_partners()
    inds = read_indicators(cfg.indicators_file)
    flags = review_flags(cat, today)
    order = [t.value for t in Theme]
    rows = []
    for rid, r in cat.iterrows():
        listed, supplies = _list(r.get("indicators")), _list(r.get("also_supplies"))
        themes = sorted({inds.loc[i, "theme"] for i in listed + supplies if i in inds.index}, key=order.index) or [REFERENCE_THEME]
        available = _reaches(r, audience)
        row = {c: r.get(c, "") for c in CSV_COLUMNS if c in r.index}
        row.update({
            "partner_name": partners["name"].get(r["partner"], r["partner"]),
            "partner_type": partners["type"].get(r["partner"], ""),
            "synthetic": _true(r.get("synthetic")),
            "named_partners": "; ".join(_list(r.get("named_partners"))),
            "access": _access(r, partners),
            "available": available,
            "themes": "; ".join(themes),
            "indicators": "; ".join(listed),
            "also_supplies": "; ".join(supplies),
            "last_received": str(r["last_received"]),
            "next_review": str(r["next_review"]),
            "review_overdue": bool(flags.loc[rid, "review_overdue"]),
            "refresh_overdue": bool(flags.loc[rid, "refresh_overdue"]),
            "licence_url": licence_url(r),
            "personal_data": _true(r.get("personal_data")),
        })
        if not available:
            row.update({f: "" for f in WITHHELD})
        rows.append(row)
    # a dataset the audience may not use is left out altogether: not even its title reaches them
    withheld = sum(not r["available"] for r in rows)
    frame = pd.DataFrame([r for r in rows if r["available"]]).reindex(columns=CSV_COLUMNS)
    text = [c for c in CSV_COLUMNS if c not in ("synthetic", "available", "review_overdue", "refresh_overdue", "personal_data")]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), "").astype(str)
    frame.attrs["withheld"] = withheld
    return frame


def theme_title(theme: str) -> str:
    return REFERENCE_TITLE if theme == REFERENCE_THEME else THEME_TITLES[Theme(theme)]


def filter_options(frame: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """(label, value) choices for the partner, theme and classification filters, 'All …' first."""
    partners = frame.drop_duplicates("partner").sort_values("partner_name")
    themes = {t for ts in frame["themes"] for t in ts.split("; ") if t}
    order = [t.value for t in Theme] + [REFERENCE_THEME]
    return {
        "partner": [("All partners", "")] + list(zip(partners["partner_name"], partners["partner"])),
        "theme": [("All themes", "")] + [(theme_title(t), t) for t in sorted(themes, key=order.index)],
        "classification": [("All classifications", "")] + [(c, c) for c in CLASSIFICATIONS if c in set(frame["classification"])],
    }


def filter_catalogue(frame: pd.DataFrame, text: str = "", partner: str = "", theme: str = "",
                     classification: str = "", flagged_only: bool = False) -> pd.DataFrame:
    """Rows matching every given filter; ``text`` is a case-insensitive search over the record's words."""
    keep = pd.Series(True, index=frame.index)
    if partner:
        keep &= frame["partner"] == partner
    if theme:
        keep &= frame["themes"].map(lambda ts: theme in ts.split("; "))
    if classification:
        keep &= frame["classification"] == classification
    if flagged_only:
        keep &= frame["review_overdue"] | frame["refresh_overdue"]
    for word in text.lower().split():
        keep &= _search_text(frame).str.contains(word, regex=False)
    return frame[keep]


def _search_text(frame: pd.DataFrame) -> pd.Series:
    cols = ["id", "title", "description", "partner", "partner_name", "themes", "indicators", "classification", "access", "licence"]
    themes = frame["themes"].map(lambda ts: " ".join(theme_title(t) for t in ts.split("; ") if t))
    return (frame[cols].astype(str).agg(" ".join, axis=1) + " " + themes).str.lower()


# --------------------------------------------------------------------------- HTML

_PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:1.5rem;color:#1b1b1b;max-width:84rem}
h1{font-size:1.6rem;margin-bottom:.2rem}
"""
_CSS = """
.obs-meta{color:#555;margin-top:0}
.obs-synthetic{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .8rem}
.obs-filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:1rem 0;padding:.6rem;background:#f3f5f7}
.obs-filters input[type=search]{min-width:16rem;padding:.3rem} .obs-filters select{padding:.3rem}
table.obs-catalogue{border-collapse:collapse;width:100%;font-size:.9rem}
table.obs-catalogue th,table.obs-catalogue td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left !important;vertical-align:top}
.obs-catalogue th{background:#2b4a6f;color:#fff;position:sticky;top:0} .obs-date{white-space:nowrap}
.obs-catalogue tr.obs-overdue td{background:#fdf1f1}
.obs-flag{display:inline-block;background:#b3261e;color:#fff;border-radius:3px;padding:0 .35rem;margin:.1rem 0;font-size:.8rem}
.obs-badge{display:inline-block;border:1px solid #888;border-radius:3px;padding:0 .3rem;font-size:.8rem;margin:.1rem 0}
.obs-badge.obs-restricted{border-color:#8a5a00;color:#8a5a00}.obs-badge.obs-syn{border-color:#a07d00;background:#fff3cd}
.obs-terms dt{font-weight:600;margin-top:.3rem}.obs-terms dd{margin-left:1rem}
.obs-muted{color:#666;font-size:.85rem} details summary{cursor:pointer;color:#2b4a6f}
"""


def style_html() -> str:
    """The catalogue's table, badge and flag styles, for pages and notebooks that show its sections."""
    return f"<style>{_CSS}</style>"


_JS = """
(function(){
  var q=document.getElementById('obs-q'),p=document.getElementById('obs-partner'),t=document.getElementById('obs-theme'),
      c=document.getElementById('obs-classification'),f=document.getElementById('obs-flagged'),n=document.getElementById('obs-count');
  function apply(){
    var words=q.value.toLowerCase().split(/\\s+/).filter(Boolean),shown=0;
    document.querySelectorAll('tr[data-id]').forEach(function(r){
      var ok=(!p.value||r.dataset.partner===p.value)&&(!t.value||r.dataset.themes.split(' ').indexOf(t.value)>=0)
        &&(!c.value||r.dataset.classification===c.value)&&(!f.checked||r.dataset.flagged==='1')
        &&words.every(function(w){return r.dataset.text.indexOf(w)>=0;});
      r.hidden=!ok; if(ok){shown++;}
    });
    n.textContent=shown;
  }
  [q,p,t,c,f].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
  apply();
})();
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _link(url: str, text: str) -> str:
    return f'<a href="{_e(url)}">{_e(text)}</a>' if url.startswith(("http://", "https://")) else _e(text)


def _flags_html(r: pd.Series) -> str:
    out = []
    if r["review_overdue"]:
        out.append(f'<span class="obs-flag" title="charter review was due {_e(r["next_review"])}">review overdue</span>')
    if r["refresh_overdue"]:
        out.append(f'<span class="obs-flag" title="last received {_e(r["last_received"])}, updated {_e(r["update_frequency"])}">refresh overdue</span>')
    return "<br>".join(out)


def _terms_html(r: pd.Series) -> str:
    fields = [("Description", _e(r["description"])), ("Lawful basis", _e(r["lawful_basis"])),
              ("Agreement", _e(r["agreement"])), ("Personal data", "yes" if r["personal_data"] else "no"),
              ("Geography", _e(f"{r['geography_level']} ({r['geography_vintage']})")),
              ("Time coverage", _e(r["time_coverage"])), ("Update frequency", _e(r["update_frequency"])),
              ("Retention", _e(r["retention"])), ("Licence", _link(r["licence_url"], r["licence"])),
              ("Attribution", _e(r["attribution"])), ("Indicators", _e(r["indicators"] or "none (reference data)"))]
    if r["named_partners"]:
        fields.insert(3, ("Named partners", _e(r["named_partners"])))
    if r["also_supplies"]:
        fields.append(("Also supplies (other editions or vintages)", _e(r["also_supplies"])))
    if r["source"]:
        fields.append(("Source", _e(r["source"])))
    if r["source_url"]:
        fields.append(("Source page", _link(r["source_url"], r["source_url"])))
    if r["available"]:
        fields += [("Steward", _e(r["steward"])), ("Contact", _e(r["contact"])), ("DPIA", _e(r["dpia"])),
                   ("Quality notes", _e(r["quality_notes"]))]
    else:
        fields.append(("Contact and internal details", f"withheld: this dataset is available to {_e(r['access'])}"))
    return "<dl class='obs-terms'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in fields) + "</dl>"


def records_html(frame: pd.DataFrame) -> str:
    """The records as an HTML table: one row per dataset with its terms in a collapsible block and
    its review flags. Rows carry data attributes for the page's filters."""
    head = ("<table class='obs-catalogue'><thead><tr><th>Dataset</th><th>Partner</th><th>Themes</th><th>Classification</th>"
            "<th>Access</th><th>Last received</th><th>Next review</th><th>Flags</th></tr></thead><tbody>")
    rows = []
    search = _search_text(frame) if len(frame) else pd.Series(dtype=str)
    for idx, r in frame.iterrows():
        flagged = bool(r["review_overdue"] or r["refresh_overdue"])
        themes = [t for t in r["themes"].split("; ") if t]
        badges = ""
        if r["synthetic"]:
            badges += ' <span class="obs-badge obs-syn">synthetic</span>'
        access = _e(r["access"])
        if not r["available"]:
            access = f'<span class="obs-badge obs-restricted">available to {_e(r["access"])}</span>'
        rows.append(
            f'<tr data-id="{_e(r["id"])}" data-partner="{_e(r["partner"])}" data-themes="{_e(" ".join(themes))}" '
            f'data-classification="{_e(r["classification"])}" data-flagged="{int(flagged)}" data-text="{_e(search[idx])}"'
            f'{" class=obs-overdue" if flagged else ""}>'
            f'<td><strong>{_e(r["title"])}</strong>{badges}<br><code class="obs-muted">{_e(r["id"])}</code>'
            f'<details><summary>Terms and details</summary>{_terms_html(r)}</details></td>'
            f'<td>{_e(r["partner_name"])}<br><span class="obs-muted">{_e(r["partner_type"])}</span></td>'
            f'<td>{"<br>".join(_e(theme_title(t)) for t in themes)}</td><td>{_e(r["classification"])}</td><td>{access}</td>'
            f'<td class="obs-date">{_e(r["last_received"])}</td><td class="obs-date">{_e(r["next_review"])}</td><td>{_flags_html(r)}</td></tr>')
    return head + "".join(rows) + "</tbody></table>"


def summary_html(frame: pd.DataFrame, cfg: Config, audience: str, today: dt.date | str | None = None, quarter: str = "") -> str:
    """Counts of records, partners and overdue records, and who the page is for, in plain words."""
    today = _today(today)
    n_review, n_refresh = int(frame["review_overdue"].sum()), int(frame["refresh_overdue"].sum())
    withheld = int(frame.attrs.get("withheld", 0))
    synthetic = ('<p class="obs-synthetic"><strong>Synthetic data</strong>: every partner and dataset of this demo county is '
                 'invented for demonstration; the records show realistic charter terms, not real agreements.</p>') if cfg.synthetic else ""
    lines = [f"{len(frame)} datasets shared by {frame['partner'].nunique()} partners; "
             f"{int((frame['audience'] == 'public').sum())} open to the public.",
             f"{n_review} overdue for their charter review and {n_refresh} overdue for a data refresh on {today.isoformat()}."]
    if withheld:
        lines.append(f"{withheld} further {'dataset is' if withheld == 1 else 'datasets are'} shared under the charter with a narrower "
                     f"audience than this one ({_e(audience)}) and {'is' if withheld == 1 else 'are'} not listed here.")
    pack = f" · quarterly pack {_e(quarter)}" if quarter else ""
    return (f"<h1>{_e(cfg.label)}: data catalogue</h1><p class='obs-meta'>Information-sharing charter · audience: {_e(audience)} · "
            f"as at {today.isoformat()}{pack}</p>{synthetic}<ul>" + "".join(f"<li>{x}</li>" for x in lines) + "</ul>")


def partner_table_html(frame: pd.DataFrame) -> str:
    """Datasets per partner by classification, with the number overdue."""
    t = pd.crosstab(frame["partner_name"], frame["classification"]).reindex(columns=[c for c in CLASSIFICATIONS if c in set(frame["classification"])])
    t["overdue"] = frame.assign(o=frame["review_overdue"] | frame["refresh_overdue"]).groupby("partner_name")["o"].sum()
    t = t.rename_axis(index="Partner", columns=None).reset_index()
    return t.to_html(index=False, classes="obs-catalogue", escape=True)


def overdue_html(frame: pd.DataFrame) -> str:
    """The records overdue for review or refresh, or a sentence saying there are none."""
    f = frame[frame["review_overdue"] | frame["refresh_overdue"]]
    if f.empty:
        return "<p>No record is overdue for review or for a data refresh.</p>"
    t = pd.DataFrame({"Dataset": f["title"], "Partner": f["partner_name"], "Next review": f["next_review"],
                      "Last received": f["last_received"], "Updated": f["update_frequency"],
                      "Flags": [", ".join(n for n, on in (("review overdue", a), ("refresh overdue", b)) if on)
                                for a, b in zip(f["review_overdue"], f["refresh_overdue"])]})
    return t.to_html(index=False, classes="obs-catalogue", escape=True)


def _select(name: str, options: list[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(label)}</option>' for label, v in options)
    return f'<label>{name.capitalize()} <select id="obs-{name}">{opts}</select></label>'


def catalogue_html(frame: pd.DataFrame, cfg: Config, audience: str = "public", today: dt.date | str | None = None) -> str:
    """A self-contained page (no external scripts or styles) listing the records, filterable by text,
    partner, theme and classification, with overdue records flagged."""
    opts = filter_options(frame)
    filters = ("<div class='obs-filters'><label>Search <input type='search' id='obs-q' placeholder='title, indicator, partner…'></label>"
               + "".join(_select(k, opts[k]) for k in ("partner", "theme", "classification"))
               + "<label><input type='checkbox' id='obs-flagged'> overdue only</label>"
               + f"<span><span id='obs-count'>{len(frame)}</span> of {len(frame)} datasets</span></div>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(cfg.label)}: data catalogue</title><style>{_PAGE_CSS}{_CSS}</style></head><body>"
            + summary_html(frame, cfg, audience, today) + filters + records_html(frame)
            + "<p class='obs-muted'>Also available: <a href='catalogue.csv'>catalogue.csv</a> and "
              "<a href='catalogue.jsonld'>catalogue.jsonld</a> (W3C DCAT).</p>"
            + f"<script>{_JS}</script></body></html>")


def catalogue_widget(config: Config | str = "demo", audience: str = "public", today: dt.date | str | None = None):
    """An ipywidgets search-and-filter view of the catalogue for a Voila dashboard: a text search and
    partner, theme and classification dropdowns redraw an ``ipywidgets.HTML`` table (never an
    ``Output`` widget). The widgets are reachable as ``.children`` and, by name, ``.controls``."""
    import ipywidgets as w

    cfg = config if isinstance(config, Config) else load_config(config)
    frame = catalogue_frame(cfg, audience, today)
    opts = filter_options(frame)
    wide = {"description_width": "initial"}
    controls = {
        "text": w.Text(placeholder="title, indicator, partner…", description="Search", style=wide),
        "partner": w.Dropdown(options=opts["partner"], value="", description="Partner", style=wide),
        "theme": w.Dropdown(options=opts["theme"], value="", description="Theme", style=wide),
        "classification": w.Dropdown(options=opts["classification"], value="", description="Classification", style=wide),
        "flagged_only": w.Checkbox(value=False, description="overdue only", indent=False),
    }
    note = " · <strong>synthetic data</strong>" if cfg.synthetic else ""
    count, table = w.HTML(), w.HTML()

    def redraw(_=None):
        shown = filter_catalogue(frame, **{k: c.value for k, c in controls.items()})
        count.value = f"<p>{_e(cfg.label)}: {len(shown)} of {len(frame)} datasets · audience: {_e(audience)}{note}</p>"
        table.value = style_html() + records_html(shown)

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    box = w.VBox([w.HBox([controls["text"], controls["partner"]]),
                  w.HBox([controls["theme"], controls["classification"], controls["flagged_only"]]), count, table])
    box.controls, box.table, box.frame = controls, table, frame
    return box


# --------------------------------------------------------------------------- DCAT

OBS = "urn:x-observatory:terms:"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "obs": OBS,
}
ACCESS_RIGHTS = {"public": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
                 "partners": "http://publications.europa.eu/resource/authority/access-right/RESTRICTED",
                 "named partners": "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"}
FREQUENCY_URIS = {f: f"http://purl.org/cld/freq/{f}" for f in ("annual", "quarterly", "monthly", "weekly", "irregular")}


def _typed(value: str, kind: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{kind}"}


def _temporal(text: str) -> dict[str, Any]:
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", text)]
    years += [int(a[:2] + b) for a, b in re.findall(r"(?<!\d)(\d{4})/(\d{2})(?!\d)", text)]
    out: dict[str, Any] = {"@type": "dct:PeriodOfTime", "rdfs:label": text}
    if years:
        out["dcat:startDate"] = _typed(str(min(years)), "gYear")
        out["dcat:endDate"] = _typed(str(max(years)), "gYear")
    return out


def catalogue_jsonld(frame: pd.DataFrame, cfg: Config, audience: str = "public", today: dt.date | str | None = None) -> dict[str, Any]:
    """The catalogue as a dcat:Catalog of dcat:Dataset in JSON-LD with an inline @context (no network
    needed to read it). Withheld fields are left out, as in the HTML."""
    today = _today(today)
    base = f"urn:x-observatory:{cfg.name}:"
    partners = read_partners()
    publisher = _catalogue_publisher(cfg, partners)
    datasets = []
    for r in frame.to_dict("records"):
        d: dict[str, Any] = {
            "@id": f"{base}dataset:{r['id']}", "@type": "dcat:Dataset", "dct:identifier": r["id"],
            "dct:title": r["title"], "dct:description": r["description"],
            "dct:publisher": {"@id": f"{base}partner:{r['partner']}", "@type": "foaf:Agent",
                              "foaf:name": r["partner_name"], "dct:type": r["partner_type"]},
            "dct:license": ({"@id": r["licence_url"]} if r["licence_url"] else {}) | {"@type": "dct:LicenseDocument", "rdfs:label": r["licence"]},
            "dct:accessRights": {"@id": ACCESS_RIGHTS[r["audience"]], "@type": "dct:RightsStatement", "rdfs:label": r["access"]},
            "dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": r["attribution"]},
            "dct:temporal": _temporal(r["time_coverage"]),
            "dct:spatial": {"@type": "dct:Location", "rdfs:label": cfg.county["name"], "dct:identifier": cfg.county["code"]},
            "dct:modified": _typed(r["last_received"], "date"),
            "dct:accrualPeriodicity": ({"@id": FREQUENCY_URIS[r["update_frequency"]]} if r["update_frequency"] in FREQUENCY_URIS
                                       else {"@type": "dct:Frequency", "rdfs:label": r["update_frequency"]}),
            "dcat:keyword": [theme_title(t) for t in r["themes"].split("; ") if t],
            "obs:classification": r["classification"], "obs:audience": r["audience"],
            "obs:nextReview": _typed(r["next_review"], "date"),
            "obs:reviewOverdue": r["review_overdue"], "obs:refreshOverdue": r["refresh_overdue"],
            "obs:lawfulBasis": r["lawful_basis"], "obs:agreement": r["agreement"], "obs:personalData": r["personal_data"],
            "obs:retention": r["retention"], "obs:synthetic": r["synthetic"],
            "obs:geographyLevel": r["geography_level"], "obs:geographyVintage": r["geography_vintage"],
            "obs:indicator": [i for i in r["indicators"].split("; ") if i],
            "obs:alsoSupplies": [i for i in r["also_supplies"].split("; ") if i],
        }
        if r["named_partners"]:
            d["obs:namedPartner"] = [{"@id": f"{base}partner:{p}"} for p in r["named_partners"].split("; ")]
        if r["source"]:
            d["dct:provenance"] = {"@type": "dct:ProvenanceStatement", "rdfs:label": r["source"]}
        if r["source_url"]:
            d["dcat:landingPage"] = {"@id": r["source_url"]}
        if r["available"]:
            contact = {"@type": "vcard:Kind", "vcard:fn": r["steward"]}
            c = r["contact"].strip()
            if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", c):
                contact["vcard:hasEmail"] = {"@id": f"mailto:{c}"}
            elif c.startswith(("http://", "https://")):
                contact["vcard:hasURL"] = {"@id": c}
            else:
                contact["vcard:note"] = c
            d["dcat:contactPoint"] = contact
            d["obs:dpia"] = r["dpia"]
            d["obs:qualityNotes"] = r["quality_notes"]
        datasets.append(d)
    return {
        "@context": CONTEXT, "@id": f"{base}catalogue", "@type": "dcat:Catalog",
        "dct:title": f"{cfg.label}: data catalogue",
        "dct:description": f"Datasets shared under the information-sharing charter for {cfg.label}, as published to audience '{audience}'.",
        "dct:publisher": {"@id": f"{base}partner:{publisher}", "@type": "foaf:Agent", "foaf:name": partners["name"].get(publisher, publisher)},
        "dct:issued": _typed(today.isoformat(), "date"), "obs:audience": audience, "obs:synthetic": cfg.synthetic,
        "dcat:dataset": datasets,
    }


def _catalogue_publisher(cfg: Config, partners: pd.DataFrame) -> str:
    """The partner hosting the observatory: ``catalogue_publisher`` in config.yaml, else the county council."""
    if cfg.raw.get("catalogue_publisher"):
        return str(cfg.raw["catalogue_publisher"])
    county = partners[(partners["type"] == "county council") & (partners["synthetic"] == cfg.synthetic)]
    return str(county.index[0]) if len(county) else "observatory"


# --------------------------------------------------------------------------- build and command

def build_catalogue(config: Config | str, out_dir: Path | str, audience: str = "public",
                    today: dt.date | str | None = None) -> dict[str, Path]:
    """Validate, then write ``catalogue.html``, ``catalogue.csv`` and ``catalogue.jsonld`` for ``audience``
    into ``out_dir``; returns their paths by kind (html, csv, jsonld). Raises ValidationError."""
    cfg = config if isinstance(config, Config) else load_config(config)
    validate_catalogue(cfg).raise_if_problems()
    frame = catalogue_frame(cfg, audience, today)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "catalogue.html", "csv": out / "catalogue.csv", "jsonld": out / "catalogue.jsonld"}
    paths["html"].write_text(catalogue_html(frame, cfg, audience, today), encoding="utf-8")
    frame.to_csv(paths["csv"], index=False)
    paths["jsonld"].write_text(json.dumps(catalogue_jsonld(frame, cfg, audience, today), indent=1, ensure_ascii=False), encoding="utf-8")
    return paths


NOTEBOOK = resource_notebook("data_catalogue")


def run_catalogue_notebook(cfg: Config, out: Path, audience: str = "public", today: dt.date | str | None = None,
                           notebook: Path = NOTEBOOK) -> dict[str, Path]:
    """Run the data-catalogue notebook with papermill into ``out`` and render it to HTML without code
    cells; the notebook itself writes the exports. Returns every path written by kind."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    executed = out / "data_catalogue.ipynb"
    params = {"config": str(cfg.dir), "audience": audience, "out_dir": str(out), "today": _today(today).isoformat() if today else ""}
    papermill.execute_notebook(str(notebook), str(executed), parameters=params, cwd=str(notebook.parent),
                               progress_bar=False, kernel_name="python3")
    body, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(
        nbformat.read(executed, as_version=4))
    page = out / "data_catalogue.html"
    page.write_text(re.sub(r'<script src="https?://[^"]*">\s*</script>', "", body), encoding="utf-8")  # no CDN: works offline
    return {"notebook": executed, "report": page, "html": out / "catalogue.html", "csv": out / "catalogue.csv",
            "jsonld": out / "catalogue.jsonld"}


def pack_jobs(plan: Any, profiles: Any = None) -> list:
    """The quarterly pack's data-catalogue job (called by ``observatory.publish.plan``): the notebook for the
    pack's audience, writing its exports to ``<pack>/catalogue/``. Rebuilt when the catalogue, the partner
    register, the indicators or the date (the review flags) change."""
    import hashlib

    from observatory.publish.engine import Job

    cfg, today = plan.config, dt.date.today().isoformat()
    h = hashlib.sha256()
    for part in (catalogue_file(cfg).read_bytes(), partners_file().read_bytes(), cfg.indicators_file.read_bytes(),
                 plan.audience.encode(), today.encode()):
        h.update(part)
        h.update(b"\0")
    out = Path(plan.pack_dir) / "catalogue"
    return [Job(name="data-catalogue", notebook=NOTEBOOK, title=f"{cfg.label}: data catalogue", group="Data catalogue",
                depends=h.hexdigest(), parameters={"config": str(cfg.dir), "audience": plan.audience, "out_dir": str(out), "today": today,
                            "quarter": plan.quarter, "exports_href": "../catalogue/"},
                outputs=("catalogue/catalogue.html", "catalogue/catalogue.csv", "catalogue/catalogue.jsonld"))]


def _print_problems(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    err = Console(stderr=True)
    err.print(f"[bold red]catalogue failed[/]: {len(report)} problem(s); nothing was written.")
    t = Table("file", "row", "column", "reason")
    for p in report:
        t.add_row(p.file, "" if p.row is None else str(p.row), p.column or "", p.reason)
    err.print(t)


def _opt(default: Any, *names: str, help: str) -> Any:
    try:
        import typer

        return typer.Option(default, *names, help=help)
    except ImportError:  # pragma: no cover
        return default


def catalogue_cli(
    config: str = _opt("demo", "--config", "-c", help="Configuration name (demo, warwickshire) or folder."),
    out: Path | None = _opt(None, "--out", "-o", help="Output folder (default build/catalogue/<config>)."),
    audience: str = _opt("public", "--audience", "-a", help="public | partners | partner:<id>"),
    today: str = _opt("", "--today", help="Date for the review flags (YYYY-MM-DD; default today)."),
) -> int:
    """Validate the data catalogue, run notebooks/data_catalogue.ipynb and write the HTML, CSV and DCAT exports."""
    import typer
    from rich.console import Console

    cfg = load_config(config)
    try:
        check_audience(audience)
        _today(today)
    except ValueError as e:
        Console(stderr=True).print(f"[bold red]catalogue failed[/]: {e}")
        raise typer.Exit(2)
    report = validate_catalogue(cfg)
    if report:
        _print_problems(report)
        raise typer.Exit(1)
    folder = Path(out) if out else build_dir() / "catalogue" / cfg.name
    paths = run_catalogue_notebook(cfg, folder, audience, today or None)
    Console().print(f"catalogue of {cfg.label} for audience {audience}: " + ", ".join(str(p) for p in paths.values()))
    return 0


__all__ = ["load_catalogue", "validate_catalogue", "validate_partners", "allowed_datasets", "attributions",
           "attribution_frame", "write_attributions", "supplying_datasets", "audience_allows", "check_audience", "review_flags",
           "read_partners", "catalogue_frame", "filter_catalogue", "filter_options", "records_html", "catalogue_widget", "style_html", "catalogue_html",
           "catalogue_jsonld", "build_catalogue", "run_catalogue_notebook", "catalogue_cli", "ValidationError"]
