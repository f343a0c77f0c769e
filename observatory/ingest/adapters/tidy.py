"""The generic adapter: a CSV or XLSX already shaped like the tidy value table (docs/configuration.md).

Options: ``columns`` (rename map from the file's names to ours), ``indicator`` / ``period`` / ``sex`` /
``age`` / ``category`` (a fixed value when the file has no such column), ``indicators`` (map the file's
indicator ids to ours), ``recode`` (``{column: {text: replacement}}`` applied before numbers are parsed,
e.g. a rural/urban class to 100/0), ``thousands``, ``vintage``, ``header_row``, ``sheet``, ``dataset``.
Column names match case-insensitively. ``period_sort`` is derived from the period label when absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.vocab import VALUE_COLUMNS
from observatory.errors import Report
from observatory.ingest.adapters import ROW, Extract, register
from observatory.ingest.adapters._common import (
    NUMBER_COLUMNS,
    add_rows,
    area_type_from_code,
    empty_frame,
    finish,
    map_text,
    period_sort,
    read_table,
    require_text,
    to_number,
    unreadable,
)

TEXT = ["indicator_id", "area_code", "area_type", "vintage", "period", "sex", "age", "category", "value_note"]
CONSTANTS = {"indicator_id": "indicator", "period": "period", "sex": "sex", "age": "age", "category": "category"}


@register("tidy")
def read(path: Path, options: Mapping[str, Any]) -> Extract:
    """Read a tidy CSV/XLSX into the value table's columns."""
    report = Report()
    file = Path(path).name
    table = read_table(path, options, report)
    if unreadable(report):
        return Extract(empty_frame(), report)
    header_row = int(options.get("header_row", 1))
    rename = {str(k): str(v) for k, v in dict(options.get("columns") or {}).items()}
    renamed = table.rename(columns=rename)
    by_lower = {str(c).strip().lower(): c for c in renamed.columns if c != ROW}
    found = {c: by_lower[c] for c in VALUE_COLUMNS if c in by_lower}
    original = {v: k for k, v in rename.items() if k in table.columns}
    label = {c: original.get(name, name) for c, name in found.items()}
    if len(table.columns) > 1 and not found:
        report.add(
            file,
            header_row,
            None,
            "unknown header variant: none of the tidy table's columns "
            "(indicator_id, area_code, period, value, …) found; map the file's names with the 'columns' option",
            code="unknown-layout",
        )
        return Extract(empty_frame(), report)
    for col in ("indicator_id", "area_code", "period"):
        if col not in found and not (col in CONSTANTS and options.get(CONSTANTS[col]) is not None):
            report.add(file, header_row, col, f"missing required column {col!r}", code="missing-column")
    if "value" not in found and "numerator" not in found:
        report.add(file, header_row, "value", "missing required column 'value' (or 'numerator')", code="missing-column")
    if report:
        return Extract(empty_frame(), report)

    frame = pd.DataFrame({ROW: renamed[ROW]}, index=renamed.index)
    for col in TEXT:
        if col in found:
            frame[col] = renamed[found[col]].str.strip()
        elif col in CONSTANTS and options.get(CONSTANTS[col]) is not None:
            frame[col] = str(options[CONSTANTS[col]])
    if options.get("indicators"):
        mapping = {str(k): str(v) for k, v in dict(options["indicators"]).items()}
        frame["indicator_id"] = map_text(frame["indicator_id"], lambda v: mapping.get(v, v))
    recode = {k: {str(a): str(b) for a, b in dict(v).items()} for k, v in dict(options.get("recode") or {}).items()}

    thousands = options.get("thousands")
    suppressed = pd.Series(False, index=frame.index)
    for col in NUMBER_COLUMNS:
        if col not in found:
            continue
        text = renamed[found[col]]
        if col in recode:
            text = map_text(text.str.strip(), lambda v, m=recode[col]: m.get(v, v))
        values, sup = to_number(text, renamed[ROW], file, label[col], report, thousands)
        frame[col] = values
        if col in ("value", "numerator"):
            suppressed |= sup
    note = frame["value_note"] if "value_note" in frame else pd.Series("", index=frame.index, dtype="string")
    frame["value_note"] = note.where(~(suppressed & (note.fillna("") == "")), "suppressed")

    frame = require_text(frame, [c for c in ("indicator_id", "area_code", "period") if c in frame], file, report, label)
    if "period_sort" in found:
        given, _ = to_number(renamed.loc[frame.index, found["period_sort"]], frame[ROW], file, label["period_sort"], report)
        derived = period_sort(frame["period"])
        sort = given.where(given.notna(), derived)
        fraction = sort.notna() & (sort != np.floor(sort))
        add_rows(report, file, frame.loc[fraction, ROW], label["period_sort"], "period_sort is not a whole number", "bad-period")
        sort = sort.where(~fraction)
    else:
        sort = period_sort(frame["period"])
    unknown = sort.isna()
    for p, rows in frame.loc[unknown, ROW].groupby(frame.loc[unknown, "period"]):
        add_rows(
            report,
            file,
            rows,
            label.get("period", "period"),
            f"cannot derive period_sort from period {p!r}; add a period_sort column",
            "bad-period",
        )
    frame = frame[~unknown]
    frame["period_sort"] = sort[~unknown].astype("int64")
    if "area_type" not in frame:
        frame["area_type"] = area_type_from_code(frame["area_code"])
    return Extract(finish(frame, Path(path), options), report)
