"""The exception report as a page: an :class:`~observatory.performance.report.ExceptionReport` rendered from
``exception_sections.html.j2`` (one macro per section) for the notebook and the pack.

Python passes values (figures already written for people); the markup lives in the templates. The notebook
calls one entry point, :func:`open_exception_page`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from observatory._core.numbers import format_number
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.config import Config, load_config
from observatory.metadata.catalogue import check_audience
from observatory.performance.forecasts import MIN_POINTS, STATUSES
from observatory.performance.levels import level_slug, parse_level
from observatory.performance.report import HIGH_RISK, ExceptionReport
from observatory.performance.rules import RULES, with_unit
from observatory.performance.spend import NEED_TOLERANCE
from observatory.present.pages import definition_href
from observatory.present.spreadsheets import write_tables
from observatory.present.strings import python_strings
from observatory.present.templating import render, render_macro
from observatory.present.view_data import exception_basis
from observatory.stats.trend import CHI2_CRITICAL, POINTS

SECTIONS = ("title", "summary", "exceptions", "changes", "targets", "finance", "risks", "downloads", "method", "attribution")
TEMPLATE = "exception_sections.html.j2"


def _cell(v) -> str | dict:
    if isinstance(v, dict):  # a link: {"href", "text"}
        return v
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _defined(ids: pd.Series, titles: pd.Series) -> list[dict]:
    """Indicator titles as links to their definition pages (the report is a page of the pack's ``html/``)."""
    return [{"href": definition_href(str(i)), "text": str(t)} for i, t in zip(ids, titles)]


def table(frame: pd.DataFrame) -> dict:
    """A frame as the template's table: column names and rows of text."""
    return {
        "columns": [str(c) for c in frame.columns],
        "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _exception_table(frame: pd.DataFrame) -> dict:
    """One row per indicator and area (in the frame's order), its rules and reasons together, in rule order."""
    order = {r: i for i, r in enumerate(RULES)}
    columns = ["indicator", "area_code", "indicator_id", "area_name", "rule", "rule_title", "why", "owner"]
    records = frame[columns].to_dict("records")  # a few rows: plain Python, not a grouped aggregation
    keys = list(dict.fromkeys((r["indicator"], r["area_code"]) for r in records))
    grouped: dict[tuple, list[dict]] = {k: [] for k in keys}
    for r in sorted(records, key=lambda r: order.get(r["rule"], len(order))):  # stable: unknown rules last
        grouped[r["indicator"], r["area_code"]].append(r)

    def first(rows: list[dict], column: str):
        return next((r[column] for r in rows if pd.notna(r[column])), np.nan)

    links = _defined([first(g, "indicator_id") for g in grouped.values()], [indicator for indicator, _code in grouped])
    rows = [
        [
            link,
            _cell(first(g, "area_name")),
            "; ".join(r["rule_title"] for r in g),
            " ".join(r["why"] for r in g),
            "; ".join(dict.fromkeys(r["owner"] for r in g if r["owner"])),
        ]
        for link, g in zip(links, grouped.values(), strict=True)
    ]
    return {"columns": ["Indicator", "Area", "Rules", "Why", "Owner"], "rows": rows}


def _by_theme(frame: pd.DataFrame) -> list[dict]:
    return [
        {"heading": THEME_TITLES[Theme(theme)], "table": _exception_table(g)}
        for theme, g in frame.groupby("theme_group", sort=True)
    ]


def _spend_table(frame: pd.DataFrame, what: str) -> dict:
    return table(
        pd.DataFrame(
            {
                what: frame["area_name"],
                "Funding": frame["amount"].map(lambda v: f"£{format_number(v, 0)}"),
                "Share of funding": frame["funding_share"].map(lambda v: format_number(100 * v, 1, "%")),
                "Share of need": frame["need_share"].map(lambda v: format_number(100 * v, 1, "%")),
                "Funding ÷ need": frame["funding_to_need"].map(lambda v: format_number(v, 2)),
                "Below need": np.where(frame["under_funded"], "yes", ""),
            }
        )
    )


@python_strings
@dataclass
class ExceptionPage:
    """The sections of one exception report, each rendered on its own or all together."""

    report: ExceptionReport
    downloads: list[str] = field(default_factory=list)

    def title(self) -> dict:
        r = self.report
        return {
            "level_title": r.level_title,
            "label": r.config.label,
            "quarter": r.quarter,
            "audience": r.audience,
            "synthetic": bool(r.config.synthetic),
            "illustrative": r.illustrative,
        }

    def summary(self) -> dict:
        r, e = self.report, self.report.exceptions
        new, resolved, still = r.changes
        lines = [
            f"Zero-based exception report: only what is off track is listed. {len(e)} exception"
            f"{'' if len(e) == 1 else 's'} this quarter"
            + (
                f" ({len(new)} new, {len(still)} still open; {len(resolved)} resolved since last quarter)."
                if r.previous_exceptions is not None
                else " (no previous quarter to compare with)."
            )
        ]
        lines += [f"{title}: {int((e['rule'] == rule).sum())}." for rule, title in RULES.items()]
        t = r.level_targets
        if len(t):
            counts = t["status"].astype(str).value_counts()
            lines.append("Targets: " + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in STATUSES if counts.get(s, 0)) + ".")
        if len(r.spend) and r.spend["under_funded"].any():
            lines.append("Funding below share of need: " + "; ".join(r.spend.loc[r.spend["under_funded"], "area_name"]) + ".")
        return {"lines": lines}

    def exceptions(self) -> dict:
        e = self.report.exceptions
        if e.empty:
            return {"groups": [], "localities": None}
        if parse_level(self.report.level)[0] != "board":
            return {"groups": _by_theme(e), "localities": None}
        loc = e[e["area_type"] == "locality"]
        summary = None
        if len(loc):
            s = (
                loc.groupby(["theme_title", "indicator", "rule_title"], sort=True)
                .agg(
                    n=("area_code", "size"),
                    areas=("area_name", lambda a: "; ".join(sorted(a))),
                    indicator_id=("indicator_id", "first"),
                )
                .reset_index()
            )
            s["indicator"] = _defined(s.pop("indicator_id"), s["indicator"])
            s.columns = ["Theme", "Indicator", "Rule", "Localities", "Which"]
            summary = table(s)
        return {"groups": _by_theme(e[e["area_type"] != "locality"]), "localities": summary}

    def changes(self) -> dict:
        r = self.report
        if r.previous_exceptions is None:
            why = (
                f"no exceptions-{level_slug(r.level)}.csv was found in last quarter's pack ({r.previous_name})"
                if r.previous
                else "no previous quarter's report was given"
            )
            return {"compared": False, "why_not": why, "groups": []}
        groups = []
        for title, frame in zip(("New", "Resolved", "Still open"), r.changes):
            t = pd.DataFrame(
                {
                    "Indicator": _defined(frame["indicator_id"], frame["indicator"]),
                    "Area": frame["area_name"],
                    "Rule": frame["rule_title"],
                }
            )
            groups.append({"title": title, "count": len(frame), "table": table(t) if len(frame) else None})
        return {"compared": True, "why_not": "", "groups": groups}

    def targets(self) -> dict:
        t = self.report.level_targets
        if t.empty:
            return {"any": False, "at_risk": None}
        w = t[t["status"].astype(str) == "at risk"]
        at_risk = (
            table(
                pd.DataFrame(
                    {
                        "Indicator": _defined(w["indicator_id"], w["title"]),
                        "Area": w["area_name"],
                        "Target": [
                            f"{b} {with_unit(v, u)} by {p}"
                            for b, v, u, p in zip(w["bound"], w["target_value"], w["unit"], w["target_period"])
                        ],
                        "Forecast": [
                            f"{with_unit(f, u)} ({with_unit(lo, u)} to {with_unit(hi, u)})"
                            for f, lo, hi, u in zip(w["forecast"], w["forecast_lower"], w["forecast_upper"], w["unit"])
                        ],
                        "Owner": w["owner"],
                    }
                )
            )
            if len(w)
            else None
        )
        return {"any": True, "at_risk": at_risk}

    def finance(self) -> dict:
        s, d = self.report.spend, self.report.spend_districts
        if s.empty:
            return {"localities": None}
        return {
            "period": str(s["period"].iloc[0]),
            "tolerance": f"{NEED_TOLERANCE:.0%}",
            "localities": _spend_table(s, "Locality"),
            "districts": _spend_table(d, "District") if len(d) else None,
        }

    def risks(self) -> dict:
        r = self.report.risks
        if r.empty:
            return {"table": None}
        t = pd.DataFrame(
            {
                "Risk": r["id"] + " " + r["title"],
                "Owner": r["owner"],
                "Likelihood": r["likelihood"],
                "Impact": r["impact"],
                "Score": r["score"],
                "Mitigation": r["mitigation"],
                "Linked exception": np.where(r["linked_exception"], "yes", ""),
            }
        )
        which = (
            "Every risk this theme group owns."
            if parse_level(self.report.level)[0] == "theme"
            else f"Risks scoring {HIGH_RISK} or more (likelihood × impact), and risks linked to an indicator with an "
            "exception at this level."
        )
        return {"table": table(t), "which": which}

    def method(self) -> dict:
        return {"rules": RULES, "points": POINTS, "min_points": MIN_POINTS, "chi2": f"{CHI2_CRITICAL:.2f}"}

    def attribution(self) -> dict:
        return {"statements": self.report.attributions}

    def section(self, name: str) -> Markup:
        """One section's HTML (``title``, ``summary``, ... as in :data:`SECTIONS`)."""
        return render_macro(TEMPLATE, name, self._context(name))

    def _context(self, name: str) -> dict:
        return {"files": self.downloads} if name == "downloads" else getattr(self, name)()

    def html(self, sections: tuple[str, ...] = SECTIONS) -> Markup:
        """The report's sections in reading order, as one piece of HTML."""
        return render("exception_report.html.j2", order=list(sections), sections={s: self._context(s) for s in sections})

    def write_downloads(self, folder: Path | str) -> list[Path]:
        """The report's CSV and XLSX, linked from the page's downloads section."""
        r = self.report
        used = set(r.data.loc[r.data["indicator_id"].isin(r.exceptions["indicator_id"]), "dataset"])
        files = write_tables(
            r.download_frame(),
            folder,
            f"exceptions-{level_slug(r.level)}",
            r.config,
            used,
            quarter=r.quarter,
            title=f"{r.level_title}: exceptions, {r.quarter}",
            sheets=r.download_sheets(),
            sheet="exceptions",
        )
        self.downloads = [f.name for f in files]
        return files


@python_strings
def open_exception_report(
    config: str | Config,
    quarter: str,
    level: str = "board",
    audience: str = "public",
    store: str | Path | None = None,
    previous: str | Path | None = None,
) -> ExceptionReport:
    """The report model of one level and audience, small counts suppressed as on every published page (by
    the catalogue's rules); what every level shares comes from the process's :func:`exception_basis`."""
    cfg = config if isinstance(config, Config) else load_config(config)
    check_audience(audience)
    st = Path(store) if store else None
    basis = exception_basis(cfg, st, audience)
    return ExceptionReport(cfg, quarter, level, audience, st, previous or None, basis=basis)


def open_exception_page(*args: Any, **kwargs: Any) -> ExceptionPage:
    """The exception report of one governance level for one audience, ready to display (the notebook's entry
    point); it takes the arguments of :func:`open_exception_report`."""
    return ExceptionPage(open_exception_report(*args, **kwargs))
