"""Validation of the catalogue and the partner register: every problem, with the YAML line, field and a stable code.

The checks of single field values (allowed classifications, audiences and frequencies, dates, booleans,
web addresses) are declared as a pandera schema over the records; the checks that join records to the
partner register, the indicators and the sources are written out below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from observatory._core.vocab import FREQUENCIES
from observatory.config import Config, load_config
from observatory.errors import Report
from observatory.metadata._checks import ABSENT, POSITION, allowed, check_rows, given, rule
from observatory.metadata.catalogue.records import (
    AUDIENCES,
    CLASSIFICATIONS,
    OPTIONAL,
    PARTNER_TYPES,
    REQUIRED,
    _date,
    _list,
    _parse,
    catalogue_file,
    partner_rows,
    partners_file,
    read_catalogue,
    read_partners,
)
from observatory.metadata.indicators import read_indicators

NO_AGREEMENT = re.compile(r"^\s*(none\b|not (needed|required)|n/?a\s*$|-?\s*$)", re.IGNORECASE)
"""Agreement text that names no agreement (acceptable only for public, openly licensed data)."""

DISCLOSURE_FIELDS = ("suppression_threshold", "rounding_base")
"""A record's own disclosure terms (``observatory.profiles.disclosure``): counts 1 to ``suppression_threshold``
withheld (default 5), published counts rounded to a multiple of ``rounding_base``. Both optional whole numbers."""


def _whole_number(v: Any) -> bool:
    return v is ABSENT or v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)


FIELD_VALUES = pa.DataFrameSchema(
    {
        "classification": pa.Column(checks=allowed(CLASSIFICATIONS, "unknown-classification"), nullable=True),
        "audience": pa.Column(checks=allowed(AUDIENCES, "unknown-audience"), nullable=True),
        "update_frequency": pa.Column(checks=allowed(FREQUENCIES, "unknown-frequency"), nullable=True),
        **{
            f: pa.Column(
                checks=rule(
                    lambda v: not given(v) or _date(v) is not None, "bad-date", "{field} {value!r} is not a date (YYYY-MM-DD)"
                ),
                nullable=True,
            )
            for f in ("last_received", "next_review")
        },
        **{
            f: pa.Column(
                checks=rule(
                    lambda v: v is ABSENT or isinstance(v, bool), "not-boolean", "{field} must be true or false, not {value!r}"
                ),
                nullable=True,
            )
            for f in ("personal_data", "synthetic")
        },
        "licence_url": pa.Column(
            checks=rule(
                lambda v: not given(v) or str(v).startswith(("http://", "https://")),
                "bad-licence-url",
                "licence_url {value!r} is not a web address",
            ),
            nullable=True,
        ),
        "suppression_threshold": pa.Column(
            checks=rule(
                _whole_number, "bad-suppression-threshold", "suppression_threshold {value!r} is not a whole number of at least 1"
            ),
            nullable=True,
        ),
        "rounding_base": pa.Column(
            checks=rule(_whole_number, "bad-rounding-base", "rounding_base {value!r} is not a whole number of at least 1"),
            nullable=True,
        ),
    }
)


def validate_partners(path: Path | None = None) -> Report:
    """Problems in the partner register: missing id or name, duplicate ids, unknown partner types."""
    path = path or partners_file()
    report = Report()
    seen: set[str] = set()
    for i, p in enumerate(partner_rows(path), start=1):
        pid = p.get("id")
        if not pid or not p.get("name"):
            report.add(path.name, None, "id", f"partner {i} needs an id and a name", "partner-without-id")
        if pid in seen:
            report.add(path.name, None, "id", f"partner id {pid!r} is registered twice", "duplicate-partner")
        seen.add(pid)
        if p.get("type") not in PARTNER_TYPES:
            report.add(
                path.name,
                None,
                "type",
                f"partner {pid}: type {p.get('type')!r} is not one of {', '.join(PARTNER_TYPES)}",
                "unknown-partner-type",
            )
    return report


class _Records:
    """The records of one catalogue file with the line of each field, and the problems found so far."""

    def __init__(self, file: str, records: list[Any], lines: list[dict[str, int]], report: Report):
        self.file, self.records, self.lines, self.report = file, records, lines, report

    def line(self, i: int, field: str | None) -> int | None:
        at = self.lines[i] if i < len(self.lines) else {"": None}
        return at.get(field, at[""]) if field else at[""]

    def rid(self, i: int) -> str:
        r = self.records[i]
        return str(r.get("id") or f"record {i + 1}") if isinstance(r, dict) else f"record {i + 1}"

    def add(self, i: int, field: str | None, reason: str, code: str) -> None:
        self.report.add(self.file, self.line(i, field), field, f"dataset {self.rid(i)}: {reason}", code)

    def mappings(self):
        return [(i, r) for i, r in enumerate(self.records) if isinstance(r, dict)]


def validate_catalogue(cfg: Config, indicators: pd.DataFrame | None = None) -> Report:
    """Every problem with the catalogue: missing fields, unknown partner, bad classification, audience,
    frequency or date, indicators without a record, records naming indicators that do not exist or
    come from another dataset, and sources whose dataset has no record. Rows are lines of the YAML file."""
    path = catalogue_file(cfg)
    report = Report()
    if not path.exists():
        report.add(path.name, None, None, f"catalogue file {path} is missing", "missing-catalogue")
        return report
    try:
        records, lines = _parse(path)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        report.add(
            path.name, mark.line + 1 if mark else None, None, f"not valid YAML: {getattr(e, 'problem', e)}", "invalid-yaml"
        )
        return report
    report.extend(validate_partners())
    partners = read_partners()
    inds = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    cat = _Records(path.name, records, lines, report)
    seen = _fields(cat)
    _field_values(cat)
    _terms(cat, cfg, partners)
    _indicator_links(cat, cfg, inds)
    _supplier_audiences(cat, inds)
    _unlisted_indicators(cat, cfg, inds, seen)
    _sources(report, cfg, seen)
    return report


def _fields(cat: _Records) -> dict[str, int]:
    """Records that are not mappings, required fields missing, unknown fields, duplicate ids; returns id → position."""
    seen: dict[str, int] = {}
    for i, r in enumerate(cat.records):
        if not isinstance(r, dict):
            cat.report.add(
                cat.file, cat.line(i, None), None, f"record {i + 1} is not a mapping of field: value", "record-not-mapping"
            )
            continue
        for f in REQUIRED:
            if f not in r or r[f] is None or (isinstance(r[f], str) and not r[f].strip()):
                cat.add(i, f, f"required field {f!r} is missing or empty", "missing-field")
        for f in r:
            if f not in REQUIRED and f not in OPTIONAL and f not in DISCLOSURE_FIELDS:
                cat.add(i, f, f"unknown field {f!r} (fields: see docs/catalogue.md)", "unknown-field")
        rid = cat.rid(i)
        if rid in seen:
            cat.add(i, "id", f"id {rid!r} is also record {seen[rid] + 1}", "duplicate-dataset")
        seen.setdefault(rid, i)
    return seen


def _field_values(cat: _Records) -> None:
    """The declared checks of single values (FIELD_VALUES), addressed to the line of the field."""
    rows = cat.mappings()
    frame = pd.DataFrame({f: pd.Series([r.get(f, ABSENT) for _i, r in rows], dtype=object) for f in FIELD_VALUES.columns})
    frame[POSITION] = [i for i, _r in rows]
    check_rows(frame, FIELD_VALUES, cat.file, lambda i, field: (cat.line(i, field), f"dataset {cat.rid(i)}"), cat.report)


def _terms(cat: _Records, cfg: Config, partners: pd.DataFrame) -> None:
    """The sharing terms: partners registered, named partners agree with the audience, sensitive data kept
    from the public, personal data with a DPIA, restricted data under an agreement, synthetic records marked."""
    for i, r in cat.mappings():
        partner = r.get("partner")
        if partner and partner not in partners.index:
            cat.add(i, "partner", f"partner {partner!r} is not in the partner register (data/partners.yaml)", "unknown-partner")
        if r.get("audience") == "named partners":
            named = r.get("named_partners") or []
            if not named or not isinstance(named, list):
                cat.add(i, "named_partners", "audience 'named partners' needs a named_partners list", "named-partners-missing")
            for p in named if isinstance(named, list) else []:
                if p not in partners.index:
                    cat.add(i, "named_partners", f"named partner {p!r} is not in the partner register", "unknown-named-partner")
        elif r.get("named_partners"):
            cat.add(
                i,
                "named_partners",
                f"named_partners is given but the audience is {r.get('audience')!r}, not 'named partners'",
                "named-partners-unexpected",
            )
        if r.get("audience") == "public" and r.get("classification") == "OFFICIAL-SENSITIVE":
            cat.add(i, "audience", "OFFICIAL-SENSITIVE data cannot have a public audience", "sensitive-data-public")
        restricted = r.get("audience") in ("partners", "named partners")
        if restricted and given(r.get("agreement")) and NO_AGREEMENT.match(str(r["agreement"])):
            cat.add(
                i,
                "agreement",
                f"a dataset restricted to {r['audience']} needs a sharing agreement, not {r['agreement']!r}",
                "restricted-without-agreement",
            )
        if r.get("personal_data") is True and str(r.get("dpia", "")).strip().lower() in ("", "not required", "none", "n/a"):
            cat.add(i, "dpia", "personal data needs a DPIA reference", "dpia-missing")
        if partner in partners.index and bool(partners.loc[partner, "synthetic"]) and r.get("synthetic") is not True:
            cat.add(
                i, "synthetic", f"partner {partner!r} is synthetic, so the record needs synthetic: true", "synthetic-not-marked"
            )
        if r.get("synthetic") is True and not cfg.synthetic:
            cat.add(i, "synthetic", f"a synthetic record in the real configuration {cfg.name!r}", "synthetic-in-real-config")


def _indicator_links(cat: _Records, cfg: Config, inds: pd.DataFrame) -> None:
    """Each record's ``indicators`` and ``also_supplies`` exist and name (or do not name) the record as their dataset."""
    name = Path(cfg.indicators_file).name
    for i, r in cat.mappings():
        rid, listed = cat.rid(i), r.get("indicators")
        if listed is not None and not isinstance(listed, list):
            cat.add(i, "indicators", "indicators must be a list (use [] for none)", "indicators-not-list")
            continue
        for ind in _list(r.get("also_supplies")):
            if ind not in inds.index:
                cat.add(i, "also_supplies", f"indicator {ind!r} does not exist in {name}", "unknown-indicator")
            elif inds.loc[ind, "dataset"] == rid:
                cat.add(
                    i,
                    "also_supplies",
                    f"indicator {ind!r} is derived from this dataset: list it under indicators",
                    "supplies-own-indicator",
                )
        for ind in listed or []:
            if ind not in inds.index:
                cat.add(i, "indicators", f"indicator {ind!r} does not exist in {name}", "unknown-indicator")
            elif inds.loc[ind, "dataset"] != rid:
                cat.add(
                    i,
                    "indicators",
                    f"indicator {ind!r} names dataset {inds.loc[ind, 'dataset']!r} as its source",
                    "indicator-of-other-dataset",
                )


def _supplier_audiences(cat: _Records, inds: pd.DataFrame) -> None:
    """A record supplying periods of another dataset's indicator may not be more restricted than that dataset."""
    rank = {a: n for n, a in enumerate(AUDIENCES)}
    audience_of = {str(r.get("id")): r.get("audience") for _i, r in cat.mappings()}
    for i, r in cat.mappings():
        if r.get("audience") not in rank:
            continue
        for ind in _list(r.get("also_supplies")):
            owner = inds.loc[ind, "dataset"] if ind in inds.index else None
            if audience_of.get(owner) in rank and rank[r["audience"]] > rank[audience_of[owner]]:
                cat.add(
                    i,
                    "also_supplies",
                    f"supplies indicator {ind!r}, shown to audience {audience_of[owner]!r}, "
                    f"but its own audience is {r['audience']!r}",
                    "supplier-audience-narrower",
                )


def _unlisted_indicators(cat: _Records, cfg: Config, inds: pd.DataFrame, seen: dict[str, int]) -> None:
    """Every indicator's dataset has a record, and that record lists it."""
    listed_all = {ind for _i, r in cat.mappings() if isinstance(r.get("indicators"), list) for ind in r["indicators"]}
    for ind, row in inds.iterrows():
        if row["dataset"] not in seen:
            cat.report.add(
                Path(cfg.indicators_file).name,
                None,
                "dataset",
                f"indicator {ind}: dataset {row['dataset']!r} has no catalogue record",
                "unknown-dataset",
            )
        elif ind not in listed_all:
            cat.add(
                seen[row["dataset"]], "indicators", f"does not list indicator {ind!r} derived from it", "indicator-not-listed"
            )


def _sources(report: Report, cfg: Config, seen: dict[str, int]) -> None:
    """Every configured source names a dataset with a record."""
    try:
        sources = cfg.sources
    except (ValueError, FileNotFoundError, yaml.YAMLError) as e:
        report.add("config.yaml", None, "sources", f"sources cannot be read: {e}", "sources-unreadable")
        return
    for s in sources:
        if s.dataset not in seen:
            report.add(
                "config.yaml", None, "sources", f"source {s.id}: dataset {s.dataset!r} has no catalogue record", "unknown-dataset"
            )


def load_catalogue(config: Config | str = "demo", validate: bool = True) -> pd.DataFrame:
    """Catalogue records of a configuration, indexed by dataset id (validated unless told not to)."""
    cfg = config if isinstance(config, Config) else load_config(config)
    if validate:
        validate_catalogue(cfg).raise_if_problems()
    return read_catalogue(cfg)
