"""The partner's figures as indicators: numerator/denominator pairs, the tidy value table, ward sums.

A pair is a proportion when the numerator never exceeds its denominator and a crude rate when it
routinely does (events per population); a pair where only a few counts exceed their denominator is
neither: each such cell is a ``count-exceeds-denominator`` problem, never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.spreadsheets import neutralise
from observatory._core.vocab import AreaType, ValueType
from observatory.config import Config
from observatory.geo.areas import Geography
from observatory.onboarding.inspection import Inspection

TODO = "TODO"
TIDY_COLUMNS = ["indicator_id", "area_code", "period", "numerator", "denominator", "value", "value_note", "source_row"]
DENOMINATOR_HINTS = re.compile(
    r"population|registered|residents|denominator|eligible|households|pupils|people|persons|"
    r"adults|children|list size|base|cohort|total",
    re.I,
)
COUNT_OF_PEOPLE = re.compile(r"\bcount\b|\bnumber of\b|\bdenominator\b", re.I)
RATE_SHARE = 0.1
"""A pair is read as a rate (events per population) only when more than this share of its numerators exceed the denominator."""


@dataclass
class IndicatorProposal:
    id: str
    numerator: str
    denominator: str = ""
    value_type: str = ValueType.COUNT.value
    multiplier: float = 1
    unit: str = "count"
    title: str = ""


def slug(text: str, sep: str = "-", limit: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", sep, str(text).casefold()).strip(sep)
    return s[:limit].strip(sep) or "partner"


def unique(base: str, taken: Iterable[str], sep: str) -> str:
    taken = set(taken)
    if base not in taken:
        return base
    i = 2
    while f"{base}{sep}{i}" in taken:
        i += 1
    return f"{base}{sep}{i}"


def _denominator(measures: list[str], wide: pd.DataFrame) -> str:
    """The measure that reads as the others' denominator: named so, or never smaller than the others."""
    if len(measures) < 2:
        return ""
    named = [m for m in measures if re.search(r"\bdenominator\b", m, re.IGNORECASE)]
    if len(named) == 1:
        return named[0]
    hinted = [m for m in measures if DENOMINATOR_HINTS.search(m)]
    if len(hinted) == 1:
        return hinted[0]
    covering = [
        m
        for m in measures
        if m in wide
        and all(((wide[m] >= wide[o]) | wide[m].isna() | wide[o].isna()).all() for o in measures if o != m and o in wide)
    ]
    return covering[0] if len(covering) == 1 else ""


def _over_denominator(ins: Inspection, m: str, den: str, both: pd.DataFrame) -> bool:
    """True when ``m`` is a count of people among ``den`` some of whose counts exceed it: each such cell a problem."""
    over = both[both[m] > both[den]]
    if over.empty or (len(over) > RATE_SHARE * len(both) and not (COUNT_OF_PEOPLE.search(m) or COUNT_OF_PEOPLE.search(den))):
        return False
    where = ins.cells[ins.cells["measure"] == m].set_index(["area_code", "period"])
    for (code, period), r in over.iterrows():
        cell = where.loc[(code, period)]
        ins.problems.add(
            ins.where,
            int(cell["_row"]),
            str(cell["column"]),
            f"{m} {r[m]:g} is greater than its denominator {den} {r[den]:g} (area {code}, {period})",
            "count-exceeds-denominator",
        )
    return True


def pair_measures(ins: Inspection, taken_ids: set[str], prefix: str = "") -> list[IndicatorProposal]:
    """Numerator/denominator pairs where one measure reads as a denominator, else one indicator per measure."""
    measures, cells = ins.measures, ins.cells
    wide = cells.pivot_table(index=["area_code", "period"], columns="measure", values="number", aggfunc="first")
    whole = {m: bool(((s := cells.loc[cells["measure"] == m, "number"].dropna()) == np.floor(s)).all()) for m in measures}
    den = _denominator(measures, wide)
    out = []
    for m in measures:
        if m == den:
            continue
        ident = unique(slug(f"{prefix} {m}" if prefix and slug(prefix, "_") not in slug(m, "_") else m, "_", 48), taken_ids, "_")
        taken_ids.add(ident)
        label = neutralise(m)
        if den:
            both = wide[[m, den]].dropna() if m in wide and den in wide else pd.DataFrame(columns=[m, den])
            if len(both) and ((both[m] <= both[den]).all() or _over_denominator(ins, m, den, both)):
                out.append(
                    IndicatorProposal(
                        ident, m, den, ValueType.PROPORTION.value, 100, "%", f"{label} as a percentage of {den.lower()}"
                    )
                )
            else:
                out.append(
                    IndicatorProposal(
                        ident, m, den, ValueType.CRUDE_RATE.value, 1000, "per 1,000", f"{label} per 1,000 {den.lower()}"
                    )
                )
        elif whole.get(m, False):
            out.append(IndicatorProposal(ident, m, "", ValueType.COUNT.value, 1, "count", label))
        else:
            out.append(IndicatorProposal(ident, m, "", ValueType.SCORE.value, 1, TODO + ": unit", label))
    return out


def frequency(periods: list[str]) -> str:
    """annual, quarterly or monthly from the period labels; "" when they do not say."""
    if len(periods) < 2:
        return ""
    if all(re.search(r"Q[1-4]", p) for p in periods):
        return "quarterly"
    if all(re.match(r"^(?:19|20)\d{2}-\d{2}$", p) or re.match(r"^[A-Za-z]{3}", p) for p in periods):
        return "monthly"
    if all(re.match(r"^(?:19|20)\d{2}(?:/\d{2})?$", p) for p in periods):
        return "annual"
    return ""


def origin_columns(ins: Inspection, indicators: list[IndicatorProposal]) -> dict[str, dict[str, dict[str, str]]]:
    """For each indicator, the partner's column header of its numerator, denominator or value in each period."""
    by_measure = ins.cells.drop_duplicates(["measure", "period"]).set_index(["measure", "period"])["column"].to_dict()
    out: dict[str, dict[str, dict[str, str]]] = {}
    for ind in indicators:
        first = "value" if ind.value_type in (ValueType.SCORE.value, ValueType.MEAN.value) else "numerator"
        parts = {first: ind.numerator, **({"denominator": ind.denominator} if ind.denominator else {})}
        out[ind.id] = {col: {p: h for (m, p), h in by_measure.items() if m == measure} for col, measure in parts.items()}
    return out


def tidy_frame(ins: Inspection, indicators: list[IndicatorProposal]) -> pd.DataFrame:
    """The partner's figures as rows of the tidy value table, one per indicator, area and period;
    ``source_row`` is the line of the partner's file each row came from."""
    cells = ins.cells
    rows = []
    if cells.empty:
        return pd.DataFrame(columns=TIDY_COLUMNS)
    keyed = cells.set_index(["area_code", "period", "measure"])
    line = cells.groupby(["area_code", "period"])["_row"].min()
    for ind in indicators:
        num = keyed.xs(ind.numerator, level="measure")
        frame = pd.DataFrame({"number": num["number"], "suppressed": num["suppressed"]})
        if ind.denominator:
            den = keyed.xs(ind.denominator, level="measure")
            frame = frame.join(
                den[["number", "suppressed"]].rename(columns={"number": "den", "suppressed": "den_sup"}), how="outer"
            )
        else:
            frame["den"], frame["den_sup"] = np.nan, False
        for (code, period), r in frame.iterrows():
            sup = _true(r["suppressed"]) or _true(r["den_sup"])
            is_value = ind.value_type in (ValueType.SCORE.value, ValueType.MEAN.value)
            rows.append(
                {
                    "indicator_id": ind.id,
                    "area_code": code,
                    "period": period,
                    "numerator": np.nan if is_value else r["number"],
                    "denominator": r["den"],
                    "value": r["number"] if is_value else np.nan,
                    "value_note": "suppressed" if sup else "",
                    "source_row": int(line.get((code, period), 0)),
                }
            )
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def _true(v: Any) -> bool:
    return False if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v)


def _plural(word: str, n: int) -> str:
    return word if n == 1 else (word[:-1] + "ies" if word.endswith("y") else word + "s")


def _sum_wards(tidy: pd.DataFrame, h: pd.DataFrame, col: str, complete: list[str]) -> pd.DataFrame:
    """Rows for the parents in ``complete``: the sums of their wards' counts (suppressed when a ward's is)."""
    m = tidy.merge(h.drop_duplicates("ward_code")[["ward_code", col]], left_on="area_code", right_on="ward_code")
    m = m[m[col].isin(complete)]
    g = m.groupby(["indicator_id", col, "period"], sort=True)
    agg = g.agg(
        numerator=("numerator", lambda s: s.sum() if s.notna().all() else np.nan),
        denominator=("denominator", lambda s: s.sum() if s.notna().all() else np.nan),
        wards=("area_code", "nunique"),
        suppressed=("value_note", lambda s: (s == "suppressed").any()),
        source_row=("source_row", "min"),
    ).reset_index()
    agg = agg.rename(columns={col: "area_code"})
    agg["value"] = np.nan
    agg["value_note"] = np.where(
        agg["suppressed"], "suppressed: a ward's count is suppressed", "sum of " + agg["wards"].astype(str) + " wards"
    )
    agg["source_row"] = pd.NA
    return agg[TIDY_COLUMNS]


def ward_parents(
    tidy: pd.DataFrame, ins: Inspection, geo: Geography, cfg: Config, indicators: list[IndicatorProposal]
) -> tuple[pd.DataFrame, list[str]]:
    """Locality, district and county rows summed from ward rows, where every ward of the parent lies within
    it and is in the file; the county from the partner's total row when the file lists every ward of the county.
    Returns the rows and sentences saying what was done."""
    notes: list[str] = []
    h = geo.hierarchy[["ward_code", "locality_code", "district_code", "county_code"]].drop_duplicates()
    h = h[h["ward_code"] != ""]
    if h.empty or tidy.empty:
        return pd.DataFrame(columns=TIDY_COLUMNS), notes
    present = set(tidy["area_code"])
    parts = []
    for level in (AreaType.LOCALITY.value, AreaType.DISTRICT.value, AreaType.COUNTY.value):
        col = f"{level}_code"
        split = h.groupby("ward_code")[col].nunique()
        if (split > 1).any():
            notes.append(
                f"{int((split > 1).sum())} wards straddle {level} boundaries: no {level} figures derived (the "
                f"observatory aggregates from small areas; ask the partner for small-area figures)"
            )
            continue
        members = h.drop_duplicates("ward_code").groupby(col)["ward_code"].apply(set)
        complete = [p for p, wards in members.items() if p and wards <= present]
        incomplete = [p for p, wards in members.items() if p and not wards <= present]
        if level == AreaType.COUNTY.value and ins.totals and not incomplete:
            county = _county_from_total(tidy, ins, cfg, {i.id: i for i in indicators})
            if county is not None:
                parts.append(county)
                notes.append(
                    f"every ward of the county is in the file, so the county's figures ({cfg.county['code']}) are "
                    f"taken from the partner's total row (row {', '.join(str(r) for r, _ in ins.totals)})"
                )
                continue
        if incomplete:
            notes.append(
                f"{len(incomplete)} {_plural(level, len(incomplete))} not derived: some of their wards are "
                f"not in the file ({', '.join(incomplete[:5])}{'…' if len(incomplete) > 5 else ''})"
            )
        if complete:
            parts.append(_sum_wards(tidy, h, col, complete))
            notes.append(
                f"{len(complete)} {_plural(level, len(complete))}: every ward lies within one {level}, "
                f"so {level} figures are the sums of their wards' counts (a suppressed ward leaves the sum suppressed)"
            )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TIDY_COLUMNS)
    return out, notes


def _county_from_total(
    tidy: pd.DataFrame, ins: Inspection, cfg: Config, indicators: dict[str, IndicatorProposal]
) -> pd.DataFrame | None:
    t = ins.total_cells
    if t.empty or t.duplicated(["period", "measure"]).any():
        return None
    rows = []
    for ind_id, g in tidy.groupby("indicator_id"):
        meta = indicators.get(ind_id)
        if meta is None:
            return None
        for period in sorted(set(g["period"])):
            num = t[(t["period"] == period) & (t["measure"] == meta.numerator)]["number"]
            den = (
                t[(t["period"] == period) & (t["measure"] == meta.denominator)]["number"]
                if meta.denominator
                else pd.Series(dtype=float)
            )
            n = float(num.iloc[0]) if len(num) else np.nan
            d = float(den.iloc[0]) if len(den) else np.nan
            known = g.loc[g["period"] == period, "numerator"].sum()
            if np.isnan(n) or n < known:
                return None
            rows.append(
                {
                    "indicator_id": ind_id,
                    "area_code": cfg.county["code"],
                    "period": period,
                    "numerator": n,
                    "denominator": d,
                    "value": np.nan,
                    "value_note": "the partner's total row",
                    "source_row": int(t.loc[t["period"] == period, "_row"].min()),
                }
            )
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)
