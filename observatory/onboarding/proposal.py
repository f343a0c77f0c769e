"""Proposals for the analyst to review: a catalogue record, indicator definitions, a source entry and,
when the file needs converting, the partner's figures as the tidy value table.

Everything inferred is marked for review and everything that could not be inferred is left ``TODO``;
nothing is ingested. A file the tidy adapter can read as it is gets a source entry with the options it
needs instead of a converted copy, checked by reading it with them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from observatory._core.digests import sha256_file
from observatory._core.files import write_atomic
from observatory._core.spreadsheets import neutralise
from observatory._core.vocab import AreaType, ValueType
from observatory.config import Config, load_config
from observatory.errors import Report, ValidationError
from observatory.geo.areas import Geography
from observatory.ingest import adapters
from observatory.metadata.catalogue import load_catalogue, read_partners
from observatory.metadata.indicators import read_indicators
from observatory.onboarding.figures import (
    TODO,
    IndicatorProposal,
    frequency,
    origin_columns,
    pair_measures,
    slug,
    tidy_frame,
    unique,
    ward_parents,
)
from observatory.onboarding.gazetteer import NAMED_TYPES, name_key
from observatory.onboarding.inspection import Inspection, inspect_file
from observatory.onboarding.proposal_text import catalogue_text, readme_text, relative, source_text

MARKER_RE = re.compile(r"\bTODO\b")
INDICATOR_FIELDS = ["id", "title", "theme", "unit", "value_type", "multiplier", "polarity", "dataset", "frequency", "definition"]


@dataclass
class Proposal:
    """What :func:`propose_dataset` wrote: the folder, the dataset id, its indicators and how the source reads."""

    folder: Path
    dataset: str
    indicators: list[str]
    mode: str  # converted | direct
    data_file: str
    inspection: Inspection
    todo: dict[str, list[str]]
    review: dict[str, list[str]]

    def apply_command(self, config: str) -> str:
        """The command that applies this proposal, with paths relative to the working folder where possible."""
        return f"observatory add-dataset {relative(self.inspection.path)} --config {config} --apply {relative(self.folder)}"

    def describe(self, config: str | None = None) -> str:
        """What was found and proposed, and the command to apply it: what ``add-dataset`` prints."""
        lines = [f"Inspected {self.inspection.path.name}:"] + [f"  - {n}" for n in self.inspection.notes]
        if self.inspection.problems:
            lines += ["Problems (fix the file or the proposal before applying):"] + [f"  - {p}" for p in self.inspection.problems]
        lines.append(
            f"Proposed dataset {self.dataset!r} with indicator(s) {', '.join(self.indicators)} in {relative(self.folder)}"
            f" ({'the tidy adapter reads the file as it is' if self.mode == 'direct' else 'figures converted to ' + self.data_file}):"
        )
        for f in ("catalogue.yaml", "indicators.csv", "source.yaml"):
            if self.todo.get(f):
                lines.append(f"  {f}: to complete (TODO): {', '.join(self.todo[f])}")
            if self.review.get(f):
                lines.append(f"  {f}: to check (inferred or left out): {'; '.join(self.review[f])}")
        lines.append("Nothing was ingested. Complete the TODOs and delete each review marker, then apply:")
        lines.append(f"  {self.apply_command(config or self.inspection.config_name)}")
        return "\n".join(lines)


def small_area_vintage(ins: Inspection) -> str:
    """The vintage of small-area codes (the ``vintage`` option), or "" for other area types."""
    a = ins.areas
    return a.vintage if a.kind == "code" and a.area_type not in NAMED_TYPES and a.area_type != AreaType.COUNTY.value else ""


def direct_options(ins: Inspection, inds: list[IndicatorProposal]) -> dict[str, Any] | None:
    """Options for the tidy adapter to read the partner's file as it is, or None when it cannot."""
    simple = (
        len(ins.header_rows) == 1
        and not ins.totals
        and not any(k == "note" for _r, k, _t in ins.dropped)
        and ins.areas.kind == "code"
        and not ins.areas.unmatched
        and ins.layout in ("long", "single")
        and len(inds) == 1
        and not ins.problems
        and (ins.format == "xlsx" or ins.delimiter == ",")
    )
    if not simple or (ins.layout == "single" and not ins.periods):
        return None
    ind = inds[0]
    area, period = ins.area_column, ins.period_column
    columns = {area.header: "area_code"}
    if period is not None:
        columns[period.header] = "period"
    for c in ins.columns:
        if c.role == "measure":
            if c.measure == ind.numerator:
                columns[c.header] = "value" if ind.value_type in (ValueType.SCORE.value, ValueType.MEAN.value) else "numerator"
            elif c.measure == ind.denominator:
                columns[c.header] = "denominator"
    opts: dict[str, Any] = {"header_row": ins.header_rows[0]} if ins.header_rows[0] != 1 else {}
    if ins.format == "xlsx" and len(ins.sheets) > 1:
        opts["sheet"] = ins.sheet
    if ins.encoding not in ("", "utf-8", "utf-8-sig"):
        opts["encoding"] = ins.encoding
    opts["columns"] = columns
    opts["indicator"] = ind.id
    if period is None:
        opts["period"] = ins.periods[0]
    if ins.thousands:
        opts["thousands"] = ins.thousands
    if small_area_vintage(ins):
        opts["vintage"] = small_area_vintage(ins)
    return opts


def _reads_directly(path: Path, options: dict[str, Any], expected_rows: int) -> bool:
    try:
        extract = adapters.read("tidy", path, options)
    except Exception:  # noqa: BLE001 - any failure means: convert instead
        return False
    return not extract.report and len(extract.frame) == expected_rows


def _partner_guess(title: str, cfg: Config) -> str:
    partners = read_partners()
    partners = partners[partners["synthetic"] == cfg.synthetic]
    text = name_key(title)
    hits = [
        pid
        for pid, name in zip(partners["id"], partners["name"])
        if name_key(re.sub(r"\(.*?\)", "", name)) and name_key(re.sub(r"\(.*?\)", "", name)) in text
    ]
    return hits[0] if len(hits) == 1 else ""


def _inspected(path: Path, cfg: Config, sheet: str | int | None, geo: Geography) -> Inspection:
    """The inspection of ``path``; ValidationError when no proposal can be made from it."""
    ins = inspect_file(path, cfg, sheet=sheet, geography=geo)
    if ins.fatal:
        raise ValidationError(ins.problems)
    if ins.cells.empty:
        ins.problems.raise_if_problems()
        report = Report()
        report.add(ins.where, None, None, "no figures for known areas could be read from the file", "no-known-areas")
        raise ValidationError(report)
    return ins


def _converted(tidy: pd.DataFrame, ins: Inspection, options: dict[str, Any]) -> pd.DataFrame:
    """The tidy table as written for the tidy adapter: numbers as text, an unknown single period left to the analyst."""
    if ins.layout == "single" and not ins.periods:
        options["period"] = f"{TODO}: the period these figures cover, e.g. 2024/25"
        tidy = tidy.drop(columns="period")
    written = tidy.copy()
    for c in ("numerator", "denominator", "value"):
        written[c] = written[c].map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
    written["source_row"] = written["source_row"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return written


def _indicator_rows(inds: list[IndicatorProposal], dataset: str, freq: str, path: Path) -> tuple[list[dict], list[str]]:
    rows, review = [], []
    for ind in inds:
        inferred = ["id", "title", "unit", "value_type", "multiplier"] + (["frequency"] if freq else [])
        rows.append(
            {
                "id": ind.id,
                "title": ind.title,
                "theme": f"{TODO}: theme",
                "unit": ind.unit,
                "value_type": ind.value_type,
                "multiplier": f"{ind.multiplier:g}",
                "polarity": f"{TODO}: polarity",
                "dataset": dataset,
                "frequency": freq or f"{TODO}: frequency",
                "definition": f"{TODO}: definition (numerator '{neutralise(ind.numerator)}'"
                + (f", denominator '{neutralise(ind.denominator)}'" if ind.denominator else "")
                + f", from {path.name})",
                "review": "; ".join(inferred),
            }
        )
        review.append(f"{ind.id}: {', '.join(inferred)}")
    return rows, review


def _quality(ins: Inspection, tidy: pd.DataFrame, geo: Geography, path: Path) -> str:
    quality = [f"Received as {path.name}."]
    if ins.suppressed:
        quality.append("The partner suppresses small counts (" + ", ".join(f"'{k}'" for k in sorted(ins.suppressed)) + ").")
    if ins.areas.kind == "name":
        quality.append(f"Areas supplied as {ins.areas.area_type} names and matched to codes by add-dataset.")
    if ins.areas.unmatched:
        quality.append(
            f"{len(ins.areas.unmatched)} row(s) for areas outside the geography left out ("
            + "; ".join(f"'{t}'" for _r, t in ins.areas.unmatched[:3])
            + ")."
        )
    if len(tidy) and (tidy["area_code"].map(dict(zip(geo.areas["code"], geo.areas["type"]))) != ins.areas.area_type).any():
        quality.append(f"Figures for larger areas were derived from the {ins.areas.area_type}s by add-dataset (see its README).")
    return " ".join(quality)


def _record(ins: Inspection, cfg: Config, dataset: str, freq: str, today: dt.date, quality: str) -> dict[str, Any]:
    """The proposed catalogue record: inferred fields filled, the others ``TODO``."""
    coverage = (
        f"{ins.periods[0]}-{ins.periods[-1]}"
        if len(ins.periods) > 1
        else (ins.periods[0] if ins.periods else f"{TODO}: time coverage")
    )
    partner = _partner_guess(ins.title, cfg)
    record: dict[str, Any] = {
        "id": dataset,
        "title": (neutralise(ins.title.split(" — ")[0]) if ins.title else f"{TODO}: title"),
        "description": f"{TODO}: what the dataset holds, who collects it and how",
        "partner": partner or f"{TODO}: partner id from data/partners.yaml",
        "steward": f"{TODO}: the partner's data steward (role, organisation)",
        "contact": f"{TODO}: contact e-mail or web address",
        "classification": f"{TODO}: open | OFFICIAL | OFFICIAL-SENSITIVE",
        "audience": f"{TODO}: public | partners | named partners",
        "lawful_basis": f"{TODO}: lawful basis for sharing",
        "agreement": f"{TODO}: information-sharing agreement (schedule, version)",
        "personal_data": False,
        "dpia": f"{TODO}: DPIA reference, or 'not required'",
        "geography_level": ins.areas.area_type,
        "geography_vintage": ins.areas.vintage or f"{TODO}: vintage of the area codes",
        "time_coverage": coverage,
        "update_frequency": freq or f"{TODO}: annual | quarterly | monthly | weekly | census | periodic | irregular | one-off",
        "last_received": today,
        "next_review": today.replace(year=today.year + 1)
        if not (today.month == 2 and today.day == 29)
        else today + dt.timedelta(days=365),
        "licence": f"{TODO}: licence or terms of use",
        "attribution": f"{TODO}: attribution statement to print with the figures",
        "retention": f"{TODO}: how long the data are kept",
        "quality_notes": quality,
    }
    if cfg.synthetic:
        record["synthetic"] = True
    return record


def _record_review(record: dict[str, Any], freq: str) -> list[str]:
    review = [
        "id",
        "title",
        "personal_data",
        "geography_level",
        "geography_vintage",
        "time_coverage",
        "last_received",
        "next_review",
        "quality_notes",
        "indicators",
    ]
    if not MARKER_RE.search(str(record["partner"])):
        review.insert(2, "partner")
    if freq:
        review.insert(7, "update_frequency")
    return [f for f in review if not (isinstance(record.get(f), str) and MARKER_RE.search(record[f]))]


def propose_dataset(
    path: Path | str,
    config: Config | str = "demo",
    out: Path | str | None = None,
    *,
    name: str | None = None,
    sheet: str | int | None = None,
    today: dt.date | str | None = None,
) -> Proposal:
    """Inspect a partner's file and write proposals for the analyst to review into ``out``
    (default ``data/<config>/proposals/<name>/``): ``catalogue.yaml`` (the record, inferred fields listed
    under ``review:``, unknown ones ``TODO``), ``indicators.csv`` (inferred fields listed in its ``review``
    column), ``source.yaml`` (the source entry), the converted tidy data when the file needs converting,
    ``README.md`` (what was found) and ``proposal.json`` (the file's digest). Nothing is ingested."""
    path = Path(path)
    cfg = config if isinstance(config, Config) else load_config(config)
    today = dt.date.fromisoformat(today) if isinstance(today, str) else (today or dt.date.today())
    geo = Geography(cfg)
    ins = _inspected(path, cfg, sheet, geo)
    dataset = unique(slug(name or path.stem), set(load_catalogue(cfg, validate=False).index), "-")
    folder = Path(out) if out else cfg.dir / "proposals" / dataset
    inds = pair_measures(ins, set(read_indicators(cfg.indicators_file).index), dataset)
    tidy = tidy_frame(ins, inds)
    if ins.areas.area_type == AreaType.WARD.value:
        parents, derived_notes = ward_parents(tidy, ins, geo, cfg, inds)
        tidy = pd.concat([tidy, parents], ignore_index=True) if len(parents) else tidy
        ins.notes.extend(derived_notes)
    freq = frequency(ins.periods)
    options = direct_options(ins, inds)
    mode = "direct" if options is not None and _reads_directly(path, options, len(tidy)) else "converted"
    data_name = f"{dataset}{path.suffix.lower()}" if mode == "direct" else f"{dataset}.csv"
    folder.mkdir(parents=True, exist_ok=True)
    if mode == "converted":
        options = {"vintage": small_area_vintage(ins)} if small_area_vintage(ins) else {}
        written = _converted(tidy, ins, options)
        write_atomic(folder / data_name, lambda tmp: written.to_csv(tmp, index=False))

    ind_rows, review_inds = _indicator_rows(inds, dataset, freq, path)
    frame = pd.DataFrame(ind_rows, columns=INDICATOR_FIELDS + ["review"])
    write_atomic(folder / "indicators.csv", lambda tmp: frame.to_csv(tmp, index=False))
    record = _record(ins, cfg, dataset, freq, today, _quality(ins, tidy, geo, path))
    record["source"] = f"{path.name} (received {today.isoformat()}; inspected by observatory add-dataset)"
    record["files"] = [f"sources/{data_name}"]
    record["indicators"] = [i.id for i in inds]
    review_record = _record_review(record, freq)
    write_atomic(folder / "catalogue.yaml", catalogue_text(record, review_record, path.name, today))
    source_review = [
        f"unmatched area: row {r} '{t}' is left out (fix the file and re-run, or delete this line to accept)"
        for r, t in ins.areas.unmatched
    ]
    source_review += [f"problem [{p.code}]: {p}" for p in ins.problems]
    if ins.period_from_title:
        source_review.append(f"period {ins.periods[0]!r} was taken from the title: check it")
    source = {
        "id": dataset,
        "title": record["title"],
        "adapter": "tidy",
        "file": f"sources/{data_name}",
        "dataset": dataset,
        "options": options,
    }
    write_atomic(folder / "source.yaml", source_text(source, source_review, mode, data_name))
    meta = {
        "file": path.name,
        "sha256": sha256_file(path),
        "config": cfg.name,
        "created": today.isoformat(),
        "mode": mode,
        "data": data_name,
        "dataset": dataset,
        "indicators": [i.id for i in inds],
        "sheet": ins.sheet,
        "where": ins.where,
        "columns": origin_columns(ins, inds),
    }
    write_atomic(folder / "proposal.json", json.dumps(meta, indent=1) + "\n")
    todo = {
        "catalogue.yaml": [f for f, v in record.items() if isinstance(v, str) and MARKER_RE.search(v)],
        "indicators.csv": [
            f"{row['id']} {c}" for row in ind_rows for c, v in row.items() if c != "review" and MARKER_RE.search(str(v))
        ],
        "source.yaml": [k for k, v in options.items() if MARKER_RE.search(str(v))],
    }
    review = {"catalogue.yaml": review_record, "indicators.csv": review_inds, "source.yaml": source_review}
    proposal = Proposal(folder, dataset, [i.id for i in inds], mode, data_name, ins, todo, review)
    write_atomic(folder / "README.md", readme_text(proposal, cfg, record, inds, today))
    return proposal


__all__ = ["Proposal", "propose_dataset", "direct_options", "small_area_vintage", "MARKER_RE"]
