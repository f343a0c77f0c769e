"""Checking a proposal: every ``TODO`` and review marker left, with its file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from observatory._core.yaml_text import load_yaml
from observatory.errors import Report
from observatory.metadata.catalogue import _parse
from observatory.onboarding.proposal import MARKER_RE

PROPOSAL_FILES = ("catalogue.yaml", "indicators.csv", "source.yaml", "proposal.json")


def read_proposal(
    folder: Path,
) -> tuple[dict, list[dict[str, Any]], list[dict[str, int]], pd.DataFrame, dict[str, Any], dict[str, int]]:
    """(proposal.json, catalogue records, their field lines, indicators, source entry, its key lines)."""
    meta = json.loads((folder / "proposal.json").read_text())
    records, lines = _parse(folder / "catalogue.yaml")
    inds = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    source_text = (folder / "source.yaml").read_text()
    source = load_yaml(source_text) or {}
    source_lines = {}
    for i, ln in enumerate(source_text.splitlines(), start=1):
        m = re.match(r"^([A-Za-z_]+)\s*:", ln)
        if m:
            source_lines[m.group(1)] = i
    return meta, records, lines, inds, source, source_lines


def _markers(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if MARKER_RE.search(value) else []
    if isinstance(value, dict):
        return [m for v in value.values() for m in _markers(v)]
    if isinstance(value, list):
        return [m for v in value for m in _markers(v)]
    return []


def _check_record(report: Report, record: dict[str, Any], where: dict[str, int]) -> None:
    for f in record.get("review") or []:
        report.add(
            "catalogue.yaml",
            where.get(str(f), where.get("review")),
            str(f),
            f"field {f!r} is still marked for review: check its value, then delete it from the review list",
            "review-marker",
        )
    for k, v in record.items():
        if k != "review":
            for m in _markers(v):
                report.add(
                    "catalogue.yaml", where.get(k, where[""]), k, f"field {k!r} is still to complete: {m}", "still-to-complete"
                )


def check_proposal(folder: Path | str) -> Report:
    """Every marker left in a proposal: ``TODO`` values and non-empty ``review`` lists, each with its file,
    line and field. Empty when the analyst has completed the records."""
    folder = Path(folder)
    report = Report()
    for f in PROPOSAL_FILES:
        if not (folder / f).exists():
            report.add(f, None, None, f"missing from the proposal folder {folder}", "missing-proposal-file")
    if report:
        return report
    _meta, records, lines, inds, source, source_lines = read_proposal(folder)
    if len(records) != 1 or not isinstance(records[0], dict):
        report.add("catalogue.yaml", None, None, "the proposal must hold exactly one catalogue record", "one-record-expected")
        return report
    _check_record(report, records[0], lines[0])
    for i, row in enumerate(inds.to_dict("records"), start=2):
        if str(row.get("review", "")).strip():
            report.add(
                "indicators.csv",
                i,
                "review",
                f"indicator {row.get('id')}: still marked for review: {row['review']} (empty the review column once checked)",
                "review-marker",
            )
        for k, v in row.items():
            if k != "review" and MARKER_RE.search(str(v)):
                report.add(
                    "indicators.csv",
                    i,
                    k,
                    f"indicator {row.get('id')}: field {k!r} is still to complete: {v}",
                    "still-to-complete",
                )
    for item in source.get("review") or []:
        report.add("source.yaml", source_lines.get("review"), "review", f"still marked for review: {item}", "review-marker")
    for k, v in source.items():
        if k != "review":
            for m in _markers(v):
                report.add("source.yaml", source_lines.get(k), k, f"field {k!r} is still to complete: {m}", "still-to-complete")
    order = {"catalogue.yaml": 0, "indicators.csv": 1, "source.yaml": 2}
    report.problems.sort(key=lambda p: (order.get(p.file, 3), p.row or 0))
    return report
