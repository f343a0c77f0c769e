"""The tidy value table's checks, declared as a pandera schema and run lazily through ``_core.tables``.

Each check has a stable code (its pandera ``name``) and a reason for people (its ``error``); a reason may
name the offending row's cells (``{value}`` is the checked cell, other names are the row's columns), filled in
after validation for the few rows reported. Every check is vectorised: the schema runs over national-scale
tables (11 million rows) at the cost of a few column passes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from observatory._core.numbers import NUMBER_PATTERN
from observatory._core.spreadsheets import FORMULA_START
from observatory._core.tables import check_frame
from observatory._core.vocab import ValueType
from observatory.errors import Problem, Report
from observatory.ingest.readers import ROW

FAILURES_PER_CHECK = 50
LABELS = ("indicator_id", "area_code", "period", "sex", "age", "category", "value_note")
"""Text the store keeps and outputs show: never formula-like."""
COUNTS = ("numerator", "denominator")
NUMBERS = ("numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998")
_FORMULA_START = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_START) + "]"


def formula_like(text: pd.Series) -> pd.Series:
    """True where a cell would be read by a spreadsheet as a formula (``=``, ``+``, ``-``, ``@`` … and not a number)."""
    arr = pyarrow.array(text.astype("string"), from_pandas=True)
    starts = pc.fill_null(pc.match_substring_regex(arr, _FORMULA_START), False)
    if not pc.any(starts).as_py():
        return pd.Series(False, index=text.index)
    number = pc.fill_null(pc.match_substring_regex(pc.utf8_trim_whitespace(arr), NUMBER_PATTERN), False)
    return pd.Series(pc.and_(starts, pc.invert(number)).to_numpy(zero_copy_only=False), index=text.index)


def _check(fn, name: str, error: str) -> pa.Check:
    return pa.Check(fn, name=name, error=error, ignore_na=False, n_failure_cases=FAILURES_PER_CHECK)


def _label_checks(column: str) -> list[pa.Check]:
    checks = [
        _check(
            lambda s: ~formula_like(s),
            "formula-like-text",
            "text {value!r} begins like a spreadsheet formula (=, +, -, @): refused, so no download can run it",
        )
    ]
    if column in ("indicator_id", "area_code", "period"):
        checks.append(_check(lambda s: s != "", "missing-value", f"{column.replace('_', ' ')} is empty"))
    return checks


def value_schema(frame: pd.DataFrame, indicators: pd.DataFrame) -> pa.DataFrameSchema:
    """The schema of completed tidy rows: labels, counts, proportions, limits, and the indicators they belong to.

    Checks that compare columns read the frame's other columns by index (the same rows, no copies).
    """
    value_type = (
        frame["indicator_id"].map(indicators["value_type"]).fillna("") if len(indicators) else pd.Series("", index=frame.index)
    )
    proportion = (value_type == ValueType.PROPORTION.value).to_numpy()
    den = frame["denominator"].to_numpy()
    value, lower, upper = (frame[c].to_numpy() for c in ("value", "lower95", "upper95"))
    noted = frame["value_note"].str.contains("suppress", case=False, regex=False).fillna(False).to_numpy(dtype=bool)
    known = pd.Index(indicators.index.astype(str))
    columns = {c: pa.Column(None, checks=_label_checks(c), required=True) for c in LABELS}
    columns["indicator_id"].checks.append(
        _check(lambda s: s.isin(known), "unknown-indicator", "unknown indicator {value!r}: not in the indicator metadata")
    )
    for c in NUMBERS:
        columns[c] = pa.Column("float64", required=True, nullable=True)
    for c in COUNTS:
        columns[c].checks.append(_check(lambda s: ~(s < 0), "negative-count", f"negative count in {c}"))
    columns["numerator"].checks.append(
        _check(
            lambda s: _aligned(s, ~(proportion & (s.to_numpy() > den))),
            "count-exceeds-denominator",
            "numerator {numerator:g} is greater than denominator {denominator:g}",
        )
    )
    columns["value"].checks += [
        _check(
            lambda s: _aligned(s, ~(np.isnan(value) & np.isnan(frame["numerator"].to_numpy()) & ~noted)),
            "missing-value",
            "no value and no numerator",
        ),
        _check(
            lambda s: _aligned(s, ~((lower > value + _slack(value)) | (upper < value - _slack(value)))),
            "value-outside-limits",
            "value {value:g} lies outside its 95% limits {lower95:g} to {upper95:g}",
        ),
    ]
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _aligned(column: pd.Series, ok: np.ndarray) -> pd.Series:
    return pd.Series(ok, index=column.index)


def _slack(value: np.ndarray) -> np.ndarray:
    """Rounding in published limits: a limit may pass its value by a part in a million."""
    return np.abs(value) * 1e-6 + 1e-9


def check_values(frame: pd.DataFrame, file: str, indicators: pd.DataFrame, report: Report) -> None:
    """Run :func:`value_schema` over ``frame``; every failure is added to ``report`` with its row and column."""
    found = check_frame(frame, value_schema(frame, indicators), file, row_column=ROW)
    report.extend(_fill(found, frame))


def _fill(found: Report, frame: pd.DataFrame) -> list[Problem]:
    """Reasons with the offending row's cells filled in (``{value}`` is the checked column's cell)."""
    wanted = [p for p in found if p.row is not None and "{" in p.reason]
    if not wanted:
        return list(found)
    positions = dict(zip([p.row for p in wanted], pd.Index(frame[ROW].to_numpy()).get_indexer([p.row for p in wanted])))
    out = []
    for p in found:
        pos = positions.get(p.row, -1) if p.row is not None and "{" in p.reason else -1
        if pos >= 0:
            cells = frame.iloc[pos].to_dict()
            cells["value"] = cells.get(p.column, cells.get("value"))
            try:
                p = Problem(p.file, p.row, p.column, p.reason.format(**cells), p.code)
            except (KeyError, ValueError, TypeError):
                pass
        out.append(p)
    return out
