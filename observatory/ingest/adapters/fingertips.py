"""OHID Fingertips "data download" CSVs (the website export and the API's ``all_data/csv``), in the three
header spellings found in the wild:

* standard: ``Indicator ID``, ``Area Code``, ``Time period``, ``Lower CI 95.0 limit`` …
* R ``write.csv``: a leading unnamed row-number column, dotted names (``Indicator.ID``) and ``NA``;
* compact: ``IndicatorID``, ``AreaCode``, ``Timeperiod``, ``Lower_CI_95.0_limit`` …

Names are matched with spaces, dots, underscores and case ignored, so quirks such as ``AreaName``,
``Compared to parent value or percentiles`` or ``Column not used`` need nothing special; a header
with more names than the data rows have fields is padded; quoted line breaks are kept in the text.

Options: ``indicators`` (Fingertips ID → our indicator id; unmapped IDs become ``fingertips_<id>``),
``unmapped: drop`` (keep only mapped IDs), ``areas`` (keep only these area codes), ``vintage``, ``dataset``.
Count → ``numerator``, Denominator → ``denominator``, "Time period Sortable" → ``period_sort``
(derived from the label when absent), category = ``"<Category Type>: <Category>"`` or ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.vocab import area_type_of
from observatory.errors import Report
from observatory.ingest.adapters import ROW, Extract, register
from observatory.ingest.adapters._common import (
    add_rows,
    empty_frame,
    finish,
    map_text,
    norm,
    period_sort,
    read_table,
    require_text,
    to_number,
    unreadable,
)

# normalised header name → our column
FIELDS = {
    "indicatorid": "indicator_id",
    "indicatorname": "indicator_name",
    "areacode": "area_code",
    "areaname": "area_name",
    "areatype": "area_type_label",
    "sex": "sex",
    "age": "age",
    "categorytype": "category_type",
    "category": "category",
    "timeperiod": "period",
    "value": "value",
    "lowerci950limit": "lower95",
    "upperci950limit": "upper95",
    "lowerci998limit": "lower998",
    "upperci998limit": "upper998",
    "count": "numerator",
    "denominator": "denominator",
    "valuenote": "value_note",
    "timeperiodsortable": "period_sort",
    "comparedtoenglandvalueorpercentiles": "compared_to_england",
}
REQUIRED = {"indicatorid": "Indicator ID", "areacode": "Area Code", "timeperiod": "Time period", "value": "Value"}
SPELLINGS = {
    "standard": REQUIRED,
    "dotted": {"indicatorid": "Indicator.ID", "areacode": "Area.Code", "timeperiod": "Time.period", "value": "Value"},
    "compact": {"indicatorid": "IndicatorID", "areacode": "AreaCode", "timeperiod": "Timeperiod", "value": "Value"},
}
NUMBERS = ["value", "lower95", "upper95", "lower998", "upper998", "numerator", "denominator"]
TEXT = [
    "indicator_id",
    "area_code",
    "area_type_label",
    "sex",
    "age",
    "category_type",
    "category",
    "period",
    "value_note",
    "compared_to_england",
]
AREA_LABELS = {
    "england": "england",
    "country": "england",
    "region": "region",
    "county": "county",
    "countyua": "county",
    "countiesuas": "county",
    "uppertier": "county",
    "district": "district",
    "districtua": "district",
    "lowertier": "district",
    "msoa": "msoa",
    "ward": "ward",
    "lsoa": "lsoa",
}


def _variant(columns: list[str]) -> str:
    if any("." in c and " " not in c for c in columns if c.lower().startswith("indicator")):
        return "dotted"
    if any(" " in c for c in columns):
        return "standard"
    return "compact"


def _area_type(code: str, label: str) -> str:
    by_code = area_type_of(code)
    if by_code:
        return by_code
    key = norm(label)
    for prefix, kind in sorted(AREA_LABELS.items(), key=lambda kv: -len(kv[0])):
        if key.startswith(prefix):
            return kind
    return ""


@register("fingertips")
def read(path: Path, options: Mapping[str, Any]) -> Extract:
    """Read a Fingertips export into the value table's columns."""
    frame, report = _rows(path, options)
    return Extract(finish(frame, Path(path), options), report)


def _rows(path: Path, options: Mapping[str, Any]) -> tuple[pd.DataFrame, Report]:
    """The export's rows in our column names (before the store's columns are chosen), and the problems met."""
    report = Report()
    file = Path(path).name
    table = read_table(path, options, report)
    if unreadable(report):
        return empty_frame(), report
    columns = [c for c in table.columns if c != ROW]
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    present = [k for k in REQUIRED if k in by_norm]
    if not present:
        shown = ", ".join(repr(c) for c in columns[:6]) + (" …" if len(columns) > 6 else "")
        report.add(
            file,
            1,
            None,
            "unknown header variant: expected a Fingertips export with columns "
            f"'Indicator ID', 'Area Code', 'Time period', 'Value' (found {shown})",
            code="unknown-layout",
        )
        return empty_frame(), report
    spelling = SPELLINGS[_variant(columns)]
    for k in REQUIRED:
        if k not in by_norm:
            report.add(file, 1, spelling[k], f"missing required column {spelling[k]!r}", code="missing-column")
    if report:
        return empty_frame(), report

    src = {ours: by_norm[k] for k, ours in FIELDS.items() if k in by_norm}
    frame = pd.DataFrame({ROW: table[ROW]}, index=table.index)
    for col in TEXT:
        if col in src:
            text = table[src[col]].str.strip()
            frame[col] = text.mask(text == "NA", "")
    if options.get("areas"):
        keep = frame["area_code"].isin([str(a) for a in options["areas"]])
        frame, table = frame[keep], table[keep]

    suppressed = pd.Series(False, index=frame.index)
    for col in NUMBERS:
        if col in src:
            values, sup = to_number(table[src[col]], frame[ROW], file, src[col], report, options.get("thousands"))
            frame[col] = values
            if col in ("value", "numerator"):
                suppressed |= sup
    note = frame.get("value_note", pd.Series("", index=frame.index, dtype="string")).fillna("")
    frame["value_note"] = note.mask(suppressed & (note == ""), "suppressed")

    frame = require_text(
        frame, ["indicator_id", "area_code", "period"], file, report, {c: src[c] for c in ("indicator_id", "area_code", "period")}
    )
    mapping = {str(k).strip(): str(v) for k, v in dict(options.get("indicators") or {}).items()}
    ids = frame["indicator_id"].astype("string")
    if options.get("unmapped") == "drop":
        keep = ids.isin(list(mapping))
        frame, ids = frame[keep], ids[keep]
    frame["indicator_id"] = map_text(ids, lambda i: mapping.get(i, f"fingertips_{i}"))

    if "category" in frame:
        ctype = frame.get("category_type", pd.Series("", index=frame.index)).fillna("")
        cat = frame["category"].fillna("")
        frame["category"] = np.where(cat == "", "", np.where(ctype == "", cat, ctype + ": " + cat))
    label = frame.get("area_type_label", pd.Series("", index=frame.index)).fillna("")
    frame["area_type"] = map_text(frame["area_code"] + "\t" + label, lambda s: _area_type(*s.split("\t", 1)))

    derived = period_sort(frame["period"])
    if "period_sort" in src:
        given, _ = to_number(table.loc[frame.index, src["period_sort"]], frame[ROW], file, src["period_sort"], report)
        sort = given.where(given.notna(), derived)
    else:
        sort = derived
    unknown = sort.isna()
    for p, rows in frame.loc[unknown, ROW].groupby(frame.loc[unknown, "period"]):
        add_rows(report, file, rows, src["period"], f"cannot derive a sortable period from {p!r}", "bad-period")
    frame = frame[~unknown]
    frame["period_sort"] = sort[~unknown].astype("int64")
    return frame, report


# ---- the publisher's own judgement: polarity and comparability ------------------------------------------------------

ENGLAND = "E92000001"
POLARITY_NAMES = {
    "rag - low is good": "low_is_good",
    "rag - high is good": "high_is_good",
    "bob - blue orange blue": "no_judgement",
    "not applicable": "no_judgement",
}
"""Fingertips API metadata polarity names → our polarity."""
_WORDS = {
    "better": "better",
    "worse": "worse",
    "similar": "similar",
    "higher": "higher",
    "lower": "lower",
    "not compared": "not compared",
    "same": "similar",
}
_ROW_KEY = ["indicator_id", "period", "sex", "age", "category"]


def published_comparisons(path: Path, options: Mapping[str, Any]) -> pd.DataFrame:
    """Each row of an export with Fingertips' own comparison with England (``compared_to_england``: better,
    worse, similar, higher, lower, not compared, or ``""`` where the export has no such column or cell) beside
    the value, its 95% limits and the England value of the same indicator, period, sex, age and category."""
    frame, report = _rows(path, options)
    report.raise_if_problems()
    if "compared_to_england" not in frame.columns:
        frame["compared_to_england"] = ""
    words = frame["compared_to_england"].fillna("").str.strip().str.lower()
    frame["compared_to_england"] = words.map(_WORDS).fillna("")
    keep = _ROW_KEY + ["area_code", "area_type", "value", "lower95", "upper95", "compared_to_england"]
    for c in keep:
        if c not in frame.columns:
            frame[c] = "" if c in _ROW_KEY else np.nan
    frame = frame[keep].copy()
    for c in _ROW_KEY:
        frame[c] = frame[c].fillna("").astype(str)
    england = frame[frame["area_code"] == ENGLAND].drop_duplicates(_ROW_KEY).set_index(_ROW_KEY)["value"]
    frame["england_value"] = pd.MultiIndex.from_frame(frame[_ROW_KEY]).map(england.to_dict()).astype(float)
    return frame.reset_index(drop=True)


def source_judgements(published: pd.DataFrame) -> pd.DataFrame:
    """What the publisher's comparisons say about each indicator, from the rows compared with England.

    ``polarity``: ``low_is_good``/``high_is_good`` where a row is better or worse (the direction read from the
    value against England's), ``no_judgement`` where a row is higher or lower, ``""`` where only "similar" was
    said. ``comparison``: ``not_compared`` where every row that could have been compared (value, both limits and
    an England value) was published as "not compared", ``ci_overlap`` where any was compared, ``""`` when no
    row could be. Indexed by indicator id, with the number of rows that say so (``rows``).
    """
    rows = published[(published["area_code"] != ENGLAND) & (published["compared_to_england"] != "")]
    out = []
    for ind, g in rows.groupby("indicator_id", sort=True):
        judged = g[g["compared_to_england"].isin(["better", "worse"])]
        neutral = g[g["compared_to_england"].isin(["higher", "lower"])]
        comparable = g[g[["value", "lower95", "upper95", "england_value"]].notna().all(axis=1)]
        polarity = ""
        if len(judged):
            high = (judged["value"] > judged["england_value"]) == (judged["compared_to_england"] == "better")
            polarity = "high_is_good" if high.all() else "low_is_good" if (~high).all() else "contradictory"
        elif len(neutral):
            polarity = "no_judgement"
        comparison = ""
        if len(comparable):
            comparison = "not_compared" if (comparable["compared_to_england"] == "not compared").all() else "ci_overlap"
        out.append({"indicator_id": ind, "polarity": polarity, "comparison": comparison, "rows": len(g)})
    return pd.DataFrame(out, columns=["indicator_id", "polarity", "comparison", "rows"]).set_index("indicator_id")


def check_indicators(indicators: pd.DataFrame, judgements: pd.DataFrame, file: str = "indicators.csv") -> Report:
    """Where the indicator metadata disagrees with what the publisher's comparisons say: a polarity judged
    where Fingertips says higher/lower, none where it says better/worse, the opposite direction
    (``polarity-disagrees-with-source``), or comparisons made where Fingertips compares none
    (``comparison-disagrees-with-source``)."""
    report = Report()
    for ind, j in judgements.iterrows():
        if ind not in indicators.index:
            continue
        ours = indicators.loc[ind]
        comparison = ours.get("comparison", "") or "ci_overlap"
        if j["comparison"] and j["comparison"] != comparison:
            report.add(
                file,
                None,
                "comparison",
                f"indicator {ind}: comparison is {comparison!r} but the source's {j['rows']} rows say {j['comparison']!r}",
                code="comparison-disagrees-with-source",
            )
        if j["polarity"] and j["polarity"] != ours["polarity"] and comparison != "not_compared":
            report.add(
                file,
                None,
                "polarity",
                f"indicator {ind}: polarity is {ours['polarity']!r} but the source's comparisons imply {j['polarity']!r}",
                code="polarity-disagrees-with-source",
            )
    return report
