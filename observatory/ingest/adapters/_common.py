"""What every source adapter shares: strict numbers, period sort keys, area types, and the shape of the rows
handed back. Reading a file is :mod:`observatory.ingest.readers`; HTTP is :mod:`observatory.ingest.fetch._http`.

Conventions (all adapters):

* ``_row`` is the 1-based line in the file where the record starts (header = line 1 unless ``header_row``
  says otherwise); for XLSX it is the sheet row.
* Numbers are parsed strictly: the missing markers of :mod:`observatory._core.markers` (``"NA"``, ``""``,
  ``"-"``, ``".."``, ``":"``, ``"n/a"`` …) are missing; suppression markers (``"*"``, ``"c"``, ``"x"``, ``"~"``,
  ``"<5"`` and any ``"<n"``) are missing with ``value_note = "suppressed"``; anything else that is not a plain
  number is a problem (``bad-number``), reported with its row. Thousands separators are accepted only when the
  option ``thousands`` declares them.
* Rows whose key cannot be built (no indicator, area, period or sortable period) are reported *and*
  left out of the frame; rows with an unparseable number are reported and kept with the number missing.
  Either way the report is not empty, so ingestion refuses the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from observatory._core.files import write_atomic  # noqa: F401  (re-export: the fetch clients' old import)
from observatory._core.markers import MISSING, SUPPRESSED, SUPPRESSED_PATTERN
from observatory._core.numbers import NUMBER_PATTERN
from observatory._core.vocab import VALUE_COLUMNS, gss_prefix_types
from observatory.errors import Report
from observatory.ingest.adapters import Extract
from observatory.ingest.fetch._http import DownloadError, Opener, fetch, urllib_opener  # noqa: F401  (re-export)
from observatory.ingest.readers import PROBLEMS_PER_COLUMN, ROW, cell_text, empty_table, read_table  # noqa: F401

UNREADABLE = frozenset({"unreadable-file", "empty-file", "unknown-sheet"})
MISSING_MARKERS = sorted(MISSING)
SUPPRESSED_MARKERS = sorted(SUPPRESSED)

DEFAULTS = {"sex": "Persons", "age": "All ages", "category": "", "value_note": "", "vintage": "", "area_type": ""}
NUMBER_COLUMNS = [c for c, t in VALUE_COLUMNS.items() if t == "float64"]


# ---------------------------------------------------------------- column names


def norm(name: str) -> str:
    """A header name reduced to lower-case letters and digits, for matching spelling variants."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def snake(name: str) -> str:
    """A header name in lower snake case: ``"LSOA code (2011)"`` → ``"lsoa_code_2011"``."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", str(name).lower())).strip("_")


def slug(text: str) -> str:
    return snake(text)[:60] or "blank"


# ---------------------------------------------------------------- numbers


def _thousands_pattern(sep: str) -> str:
    s = re.escape(sep)
    return rf"^[+-]?\d{{1,3}}(?:{s}\d{{3}})+(?:\.\d*)?$"


def to_number(
    text: pd.Series, rows: pd.Series, file: str, column: str, report: Report, thousands: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Strictly parse a text column: (float64 values, True where a suppression marker stood).

    Every offending cell is reported with its row (the first 50 per column one by one, then a count).
    """
    if pd.api.types.is_float_dtype(text.dtype):
        return text.astype("float64"), pd.Series(False, index=text.index)
    arr = pa.array(text.astype(pd.StringDtype(na_value=np.nan)), from_pandas=True)
    arr = pc.fill_null(arr, "")
    try:  # fast path: a clean column casts in one pass
        values = pc.cast(pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr), pa.float64())
        if pc.all(pc.is_finite(values)).as_py() is not False:
            return (
                pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64"),
                pd.Series(False, index=text.index),
            )
    except pa.ArrowInvalid:
        pass
    arr = pc.utf8_trim_whitespace(arr)
    missing = pc.is_in(arr, value_set=pa.array(MISSING_MARKERS))
    suppressed = pc.or_(pc.is_in(arr, value_set=pa.array(SUPPRESSED_MARKERS)), pc.match_substring_regex(arr, SUPPRESSED_PATTERN))
    ok = pc.match_substring_regex(arr, NUMBER_PATTERN)
    clean = arr
    if thousands:
        grouped = pc.match_substring_regex(arr, _thousands_pattern(thousands))
        clean = pc.if_else(grouped, pc.replace_substring(arr, thousands, ""), arr)
        ok = pc.or_(ok, grouped)
    values = pc.cast(pc.if_else(ok, clean, pa.scalar(None, pa.string())), pa.float64())
    bad = pc.invert(pc.or_(pc.or_(ok, missing), suppressed))
    out = pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    sup = pd.Series(suppressed.to_numpy(zero_copy_only=False), index=text.index, dtype=bool)
    if pc.any(bad).as_py():
        mask = bad.to_numpy(zero_copy_only=False)
        offenders = arr.filter(bad).to_pylist()[:PROBLEMS_PER_COLUMN]
        bad_rows = rows.to_numpy()[mask]
        for r, v in zip(bad_rows[:PROBLEMS_PER_COLUMN], offenders):
            report.add(file, int(r), column, _number_reason(v, thousands), "bad-number")
        if len(bad_rows) > PROBLEMS_PER_COLUMN:
            report.add(
                file, None, column, f"unparseable numbers (and {len(bad_rows) - PROBLEMS_PER_COLUMN} more rows)", "bad-number"
            )
    return out, sup


def _number_reason(value: str, thousands: str | None) -> str:
    for sep in (",", ".", " ", "'"):
        if sep != thousands and re.match(_thousands_pattern(sep), value):
            return f"unparseable number {value!r} (declare thousands={sep!r} if intended)"
    return f"unparseable number {value!r}"


# ---------------------------------------------------------------- periods

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_ISO = re.compile(r"^((?:19|20)\d{2})-(\d{2})(?:-(\d{2}))?$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_QUARTER = re.compile(r"\bQ([1-4])\b", re.I)
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.I)


def period_sort_key(label: str) -> int | None:
    """Fingertips-style sortable start of a period label, or None when the label holds no year.

    ``"2019"`` and ``"2019/20"`` → 20190000, ``"2015 - 17"`` → 20150000, ``"2024 Q3"`` → 20240300,
    ``"2024-07"`` → 20240700, ``"Mar 2024"`` → 20240300. ``YYYY-MM`` is read as a month: write ranges
    with spaces (``"2010 - 11"``) as Fingertips does. A range of months that is a whole calendar or financial
    year (``"Jan 2021 - Dec 2021"``, ``"Apr 2020 - Mar 2021"``) takes its year's key, as ``"2021"`` and
    ``"2020/21"`` do; other ranges of months take the key of their first month.
    """
    s = str(label).strip()
    m = _ISO.match(s)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)) * 10000 + int(m.group(2)) * 100 + int(m.group(3) or 0)
    y = _YEAR.search(s)
    if not y:
        return None
    head = s[: y.start()]
    month = _MONTH.search(head) if head.strip() else None
    if month:
        start = _MONTHS[month.group(1).lower()]
        return int(y.group(1)) * 10000 + (0 if _whole_year(start, int(y.group(1)), s[y.end() :]) else start * 100)
    q = _QUARTER.search(s[y.end() :]) or _QUARTER.search(head)
    return int(y.group(1)) * 10000 + (int(q.group(1)) * 100 if q else 0)


def _whole_year(start: int, year: int, rest: str) -> bool:
    """True when ``rest`` (the label after its first year) closes a 12-month range begun in January or April."""
    end = re.match(r"^\s*(?:-|–|to)\s*" + _MONTH.pattern + r"\s*((?:19|20)\d{2})\s*$", rest, re.IGNORECASE)
    if not end or start not in (1, 4):
        return False
    months = (int(end.group(2)) - year) * 12 + _MONTHS[end.group(1).lower()] - start + 1
    return months == 12


def period_sort(periods: pd.Series) -> pd.Series:
    """``period_sort_key`` over a column (computed once per distinct label), as float64; NaN where none."""
    return map_number(periods, lambda u: period_sort_key(u) if u else None)


# ---------------------------------------------------------------- output


def _encode(values: pd.Series) -> tuple[pa.Array, list[str]]:
    arr = pa.array(values.astype(pd.StringDtype(na_value=np.nan)), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(pc.fill_null(arr, ""))
    return encoded.indices, encoded.dictionary.to_pylist()


def map_text(values: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """``func`` applied once per distinct value of a text column, in Arrow (fast on long, repetitive columns)."""
    indices, uniques = _encode(values)
    mapped = pa.array([func(u) for u in uniques], pa.large_string())
    decoded = pa.DictionaryArray.from_arrays(indices, mapped).dictionary_decode()
    return pd.Series(pd.arrays.ArrowStringArray(decoded), index=values.index).astype("string")


def map_number(values: pd.Series, func: Callable[[str], float | None]) -> pd.Series:
    """``func`` applied once per distinct value of a text column; float64, NaN where it gives None."""
    indices, uniques = _encode(values)
    mapped = np.array([np.nan if (v := func(u)) is None else v for u in uniques], dtype="float64")
    return pd.Series(
        mapped[indices.to_numpy(zero_copy_only=False)] if len(uniques) else np.full(len(values), np.nan),
        index=values.index,
        dtype="float64",
    )


def area_type_from_code(codes: pd.Series) -> pd.Series:
    """Area type from the GSS code prefix (``""`` when unknown)."""
    types = gss_prefix_types()
    return map_text(codes, lambda c: types.get(c[:3], ""))


def constant(value: str, index: pd.Index) -> pd.Series:
    """A text column holding one value, built without a Python list per row."""
    arr = pa.repeat(pa.scalar(str(value), pa.large_string()), len(index))
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index).astype("string")


def require_text(
    frame: pd.DataFrame, columns: Iterable[str], file: str, report: Report, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Report rows where a key column is empty, and leave them out."""
    keep = pd.Series(True, index=frame.index)
    for c in columns:
        empty = frame[c].isna() | (frame[c].astype("string").str.strip() == "")
        if empty.any():
            label = (labels or {}).get(c, c)
            add_rows(report, file, frame.loc[empty, ROW], label, f"empty {label}", "missing-value")
            keep &= ~empty
    return frame[keep]


def unreadable(report: Report) -> bool:
    """True when the file could not be read as a table at all: nothing more to say about its columns."""
    return bool(report.codes & UNREADABLE)


def add_rows(report: Report, file: str, rows: Iterable[int], column: str | None, reason: str, code: str = "invalid") -> None:
    report.add_rows(file, [int(r) for r in rows], column, reason, limit=PROBLEMS_PER_COLUMN, code=code)


def finish(frame: pd.DataFrame, path: Path, options: Mapping[str, Any]) -> pd.DataFrame:
    """Rows in the store's column order and dtypes, with defaults, ``dataset_id``, ``source_file`` and ``_row``."""
    out = {}
    for col, dtype in VALUE_COLUMNS.items():
        if col in frame.columns:
            s = frame[col]
        elif col == "dataset_id":
            s = constant(options.get("dataset") or "", frame.index)
        elif col == "source_file":
            s = constant(path.name, frame.index)
        elif col == "vintage" and options.get("vintage") is not None:
            s = constant(options["vintage"], frame.index)
        elif col in DEFAULTS:
            s = constant(DEFAULTS[col], frame.index)
        else:
            continue
        if dtype == "string":
            s = s.astype("string").fillna(DEFAULTS.get(col, ""))
            if DEFAULTS.get(col):
                s = s.mask(s.str.strip() == "", DEFAULTS[col])
        elif dtype == "int64":
            s = s.astype("int64")
        else:
            s = s.astype("float64")
        out[col] = s
    out[ROW] = frame[ROW].astype("int64")
    return pd.DataFrame(out).reset_index(drop=True)


def empty_frame() -> pd.DataFrame:
    return empty_table()


@dataclass
class AreaTable:
    """A source file read as text, with its columns indexed by snake_case name and its area-code column found."""

    file: str
    table: pd.DataFrame
    columns: list[str]
    by_snake: dict[str, str]
    code_col: str | None
    report: Report
    path: Path


def read_area_table(
    path: Path, options: Mapping[str, Any], code_columns: Sequence[str], expected: str, alternatives: str
) -> AreaTable:
    """Read ``path`` and find its area-code column among ``code_columns`` (snake_case names); a missing one is
    reported as ``expected`` (the name users know) with its ``alternatives``."""
    report = Report()
    file = Path(path).name
    table = read_table(path, options, report)
    if unreadable(report):
        return AreaTable(file, table, [], {}, None, report, Path(path))
    columns = [c for c in table.columns if c != ROW]
    by_snake = {snake(c): c for c in columns}
    code_col = next((by_snake[c] for c in code_columns if c in by_snake), None)
    if code_col is None:
        report.add(file, 1, expected, f"missing required column {expected!r} ({alternatives})", code="missing-column")
    return AreaTable(file, table, columns, by_snake, code_col, report, Path(path))


def area_reader(
    code_columns: Sequence[str], expected: str, alternatives: str
) -> Callable[[Callable[[AreaTable, Mapping[str, Any]], Extract]], Callable[[Path, Mapping[str, Any]], Extract]]:
    """Turn ``read(table, options)`` into an adapter's ``read(path, options)``: the file is read and its area-code
    column found (:func:`read_area_table`); a file that cannot be read gives an empty extract with its problems."""

    def wrap(parse: Callable[[AreaTable, Mapping[str, Any]], Extract]) -> Callable[[Path, Mapping[str, Any]], Extract]:
        @functools.wraps(parse)
        def read(path: Path, options: Mapping[str, Any]) -> Extract:
            t = read_area_table(path, options, code_columns, expected, alternatives)
            if unreadable(t.report):
                return Extract(empty_frame(), t.report)
            return parse(t, options)

        return read

    return wrap


def set_fixed_period(frame: pd.DataFrame, options: Mapping[str, Any], file: str, report: Report) -> bool:
    """Give every row the file's one period (option ``period``) and its sortable form; False, with the
    problem reported, when ``period_sort`` can be neither derived from it nor found in the options."""
    frame["period"] = str(options["period"])
    sort = options.get("period_sort") or period_sort_key(str(options["period"]))
    if sort is None:
        report.add(
            file,
            None,
            None,
            f"cannot derive period_sort from period {options['period']!r}; set option period_sort",
            code="bad-period",
        )
        return False
    frame["period_sort"] = int(sort)
    return True
