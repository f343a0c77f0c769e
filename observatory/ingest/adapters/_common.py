"""What every source adapter shares: reading a table with its line numbers, strict numbers, period sort keys,
the shape of the rows handed back, and the HTTP fetch used by the download clients.

Conventions (all adapters):

* ``_row`` is the 1-based line in the file where the record starts (header = line 1 unless ``header_row``
  says otherwise); for XLSX it is the sheet row.
* Numbers are parsed strictly: ``"NA"``, ``""``, ``"-"``, ``".."`` (and ``"N/A"``, ``"NaN"``) are missing;
  suppression markers (``"*"``, ``"c"``, ``"x"``, ``"<5"`` and any ``"<n"``) are missing with
  ``value_note = "suppressed"``; anything else that is not a plain number is a problem, reported with its row.
  Thousands separators are accepted only when the option ``thousands`` declares them.
* Rows whose key cannot be built (no indicator, area, period or sortable period) are reported *and*
  left out of the frame; rows with an unparseable number are reported and kept with the number missing.
  Either way the report is not empty, so ingestion refuses the file.
"""
from __future__ import annotations

from dataclasses import dataclass

import csv
import io
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from observatory._core.vocab import VALUE_COLUMNS
from observatory.ingest.adapters import ROW
from observatory.errors import Report

MISSING = ["", "NA", "N/A", "NaN", "-", ".."]
SUPPRESSED = ["*", "c", "x", "C", "X"]
SUPPRESSED_PATTERN = r"^<\s*\d+$"
NUMBER_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
PROBLEMS_PER_COLUMN = 50

DEFAULTS = {"sex": "Persons", "age": "All ages", "category": "", "value_note": "", "vintage": "", "area_type": ""}
NUMBER_COLUMNS = [c for c, t in VALUE_COLUMNS.items() if t == "float64"]

AREA_PREFIXES = {
    "E92": "england", "E10": "county", "E06": "county", "E08": "county", "E09": "county", "E11": "county",
    "E07": "district", "E12": "region", "E01": "lsoa", "E02": "msoa", "E05": "ward",
}


# ---------------------------------------------------------------- reading tables

def read_table(path: Path, options: Mapping[str, Any], report: Report) -> pd.DataFrame:
    """The file as text columns (no nulls: empty cells are ``""``) plus ``_row``.

    CSV (any suffix but .xlsx/.xlsm) or XLSX; options ``header_row`` (1-based, default 1), ``sheet``
    (XLSX name or 0-based index), ``encoding`` (CSV, default UTF-8 with a cp1252 fallback).
    Raises FileNotFoundError when the file does not exist; everything else goes into ``report``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    header_row = int(options.get("header_row", 1))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, header_row, options.get("sheet"), report)
    encoding = options.get("encoding")
    try:
        return _read_csv(path, header_row, encoding or "utf-8", report)
    except UnicodeDecodeError:
        if encoding:
            raise
        return _read_csv(path, header_row, "cp1252", report)


def _dedupe(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = (n or "").strip().lstrip("\ufeff").strip() or f"Unnamed: {i}"
        if n in seen:
            seen[n] += 1
            n = f"{n}.{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def _text_stream(path: Path, encoding: str) -> io.TextIOWrapper:
    enc = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    return open(path, encoding=enc, newline="")


def _read_header(path: Path, header_row: int, encoding: str) -> tuple[list[str], int]:
    """The header fields and the physical line on which the header ends."""
    with _text_stream(path, encoding) as f:
        reader = csv.reader(f)
        header: list[str] = []
        for _ in range(header_row):
            header = next(reader, [])
        return header, reader.line_num


def _count_lines(path: Path) -> int:
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _read_csv(path: Path, header_row: int, encoding: str, report: Report) -> pd.DataFrame:
    header, header_end = _read_header(path, header_row, encoding)
    if not header:
        report.add(path.name, header_row, None, "no header row: the file is empty")
        return pd.DataFrame({ROW: pd.Series([], dtype="int64")})
    names = _dedupe(header)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=header_row, column_names=names, encoding=encoding,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as e:
        if "utf8" in str(e).lower() and encoding.lower().startswith("utf"):
            raise UnicodeDecodeError(encoding, b"", 0, 1, str(e)) from None
        return _read_csv_slow(path, header_row, names, encoding, report)
    # self_destruct frees each Arrow column as it is converted: a national-scale file is not held twice
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan),
                                          pa.large_string(): pd.StringDtype(na_value=np.nan)}.get,
                            self_destruct=True, split_blocks=True)
    del table
    n = len(frame)
    if _count_lines(path) == header_end + n:
        frame[ROW] = np.arange(header_end + 1, header_end + n + 1, dtype="int64")
        return frame
    return _read_csv_slow(path, header_row, names, encoding, report)


def _read_csv_slow(path: Path, header_row: int, names: list[str], encoding: str, report: Report) -> pd.DataFrame:
    """Record by record, for files with quoted line breaks, blank lines or ragged rows.

    Short rows are padded with empty fields (Fingertips exports omit trailing empty fields);
    long rows are reported and cut to the header's width.
    """
    width = len(names)
    records: list[list[str]] = []
    rows: list[int] = []
    long_rows: list[tuple[int, int]] = []
    with _text_stream(path, encoding) as f:
        reader = csv.reader(f)
        for _ in range(header_row):
            next(reader, None)
        line = reader.line_num
        for rec in reader:
            start, line = line + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            if len(rec) < width:
                rec = rec + [""] * (width - len(rec))
            elif len(rec) > width:
                if any(v.strip() for v in rec[width:]):
                    long_rows.append((start, len(rec)))
                rec = rec[:width]
            records.append(rec)
            rows.append(start)
    for r, k in long_rows[:PROBLEMS_PER_COLUMN]:
        report.add(path.name, r, None, f"row has {k} fields but the header has {width}")
    if len(long_rows) > PROBLEMS_PER_COLUMN:
        report.add(path.name, None, None, f"rows with more fields than the header (and {len(long_rows) - PROBLEMS_PER_COLUMN} more rows)")
    frame = pd.DataFrame(records, columns=names, dtype=pd.StringDtype(na_value=np.nan)) if records else \
        pd.DataFrame({n: pd.Series([], dtype=pd.StringDtype(na_value=np.nan)) for n in names})
    frame[ROW] = np.asarray(rows, dtype="int64")
    return frame


def cell_text(v: Any) -> str:
    """A spreadsheet cell as text: whole floats without '.0', booleans as TRUE/FALSE, midnight datetimes as dates."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if hasattr(v, "isoformat"):
        text = v.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(v)


def _read_xlsx(path: Path, header_row: int, sheet: Any, report: Report) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a corrupt or mislabelled workbook is a problem with the file, not a crash
        report.add(path.name, None, None, f"cannot read the workbook: {type(e).__name__}: {e}")
        return pd.DataFrame({ROW: pd.Series([], dtype="int64")})
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(wb.worksheets):
                report.add(path.name, None, None, f"no sheet {sheet} (the workbook has {len(wb.worksheets)})")
                return pd.DataFrame({ROW: pd.Series([], dtype="int64")})
            ws = wb.worksheets[sheet]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            report.add(path.name, None, None, f"no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})")
            return pd.DataFrame({ROW: pd.Series([], dtype="int64")})
        header: list[str] = []
        records: list[list[str]] = []
        rows: list[int] = []
        for i, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            if i < header_row:
                continue
            cells = [cell_text(v) for v in values]
            if i == header_row:
                header = cells
                continue
            if any(c.strip() for c in cells):
                records.append(cells)
                rows.append(i)
    finally:
        wb.close()
    while header and not header[-1].strip() and not any(len(r) >= len(header) and r[len(header) - 1] for r in records):
        header.pop()
    if not header:
        report.add(path.name, header_row, None, "no header row: the sheet is empty")
        return pd.DataFrame({ROW: pd.Series([], dtype="int64")})
    width = len(header)
    records = [(r + [""] * (width - len(r)))[:width] for r in records]
    names = _dedupe(header)
    frame = pd.DataFrame(records, columns=names, dtype=pd.StringDtype(na_value=np.nan)) if records else \
        pd.DataFrame({n: pd.Series([], dtype=pd.StringDtype(na_value=np.nan)) for n in names})
    frame[ROW] = np.asarray(rows, dtype="int64")
    return frame


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


def to_number(text: pd.Series, rows: pd.Series, file: str, column: str, report: Report,
              thousands: str | None = None) -> tuple[pd.Series, pd.Series]:
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
            return (pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64"),
                    pd.Series(False, index=text.index))
    except pa.ArrowInvalid:
        pass
    arr = pc.utf8_trim_whitespace(arr)
    missing = pc.is_in(arr, value_set=pa.array(MISSING))
    suppressed = pc.or_(pc.is_in(arr, value_set=pa.array(SUPPRESSED)), pc.match_substring_regex(arr, SUPPRESSED_PATTERN))
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
            report.add(file, int(r), column, _number_reason(v, thousands))
        if len(bad_rows) > PROBLEMS_PER_COLUMN:
            report.add(file, None, column, f"unparseable numbers (and {len(bad_rows) - PROBLEMS_PER_COLUMN} more rows)")
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
    with spaces (``"2010 - 11"``) as Fingertips does.
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
        return int(y.group(1)) * 10000 + _MONTHS[month.group(1).lower()] * 100
    q = _QUARTER.search(s[y.end():]) or _QUARTER.search(head)
    return int(y.group(1)) * 10000 + (int(q.group(1)) * 100 if q else 0)


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
    return pd.Series(mapped[indices.to_numpy(zero_copy_only=False)] if len(uniques) else np.full(len(values), np.nan),
                     index=values.index, dtype="float64")


def area_type_from_code(codes: pd.Series) -> pd.Series:
    """Area type from the GSS code prefix (``""`` when unknown)."""
    return map_text(codes, lambda c: AREA_PREFIXES.get(c[:3], ""))


def constant(value: str, index: pd.Index) -> pd.Series:
    """A text column holding one value, built without a Python list per row."""
    arr = pa.repeat(pa.scalar(str(value), pa.large_string()), len(index))
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index).astype("string")


def require_text(frame: pd.DataFrame, columns: Iterable[str], file: str, report: Report,
                 labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Report rows where a key column is empty, and leave them out."""
    keep = pd.Series(True, index=frame.index)
    for c in columns:
        empty = frame[c].isna() | (frame[c].astype("string").str.strip() == "")
        if empty.any():
            label = (labels or {}).get(c, c)
            add_rows(report, file, frame.loc[empty, ROW], label, f"empty {label}")
            keep &= ~empty
    return frame[keep]


def add_rows(report: Report, file: str, rows: Iterable[int], column: str | None, reason: str) -> None:
    report.add_rows(file, [int(r) for r in rows], column, reason, limit=PROBLEMS_PER_COLUMN)


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
    return pd.DataFrame({ROW: pd.Series([], dtype="int64")})


# ---------------------------------------------------------------- HTTP (the download clients)

USER_AGENT = "observatory/0.1 (county research observatory; open-data download; Python urllib)"
Opener = Callable[[str, "bytes | None", float], bytes]
"""A transport: ``opener(url, body, timeout) -> response bytes``; raises ``urllib.error.HTTPError`` on a status."""


class DownloadError(RuntimeError):
    """A download that failed after its retries, or an API that answered with an error."""


def urllib_opener(url: str, body: bytes | None = None, timeout: float = 60.0) -> bytes:
    """The default transport: urllib with a User-Agent; POSTs ``body`` form-encoded when given."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https URLs built here)
        return response.read()


def fetch(url: str, *, body: bytes | None = None, opener: Opener | None = None, timeout: float = 60.0,
          retries: int = 3, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> bytes:
    """GET (or POST ``body``) ``url``, retrying server errors (5xx), 429 and network failures with
    exponential backoff (``backoff``, 2×, 4× … seconds); client errors (4xx) fail at once."""
    opener = opener or urllib_opener
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            return opener(url, body, timeout)
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
            last = e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            last = e
        if attempt < retries:
            sleep(backoff * 2 ** attempt)
    raise DownloadError(f"{url}: failed after {retries + 1} attempts: {last}") from last


def write_atomic(dest: Path, data: bytes) -> Path:
    """Write ``data`` to ``dest`` through a temporary file, so a failed download never leaves half a file."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.write_bytes(data)
    tmp.replace(dest)
    return dest


@dataclass
class AreaTable:
    """A source file read as text, with its columns indexed by snake_case name and its area-code column found."""

    file: str
    table: pd.DataFrame
    columns: list[str]
    by_snake: dict[str, str]
    code_col: str | None
    report: Report


def read_area_table(path: Path, options: Mapping[str, Any], code_columns: Sequence[str], expected: str,
                    alternatives: str) -> AreaTable:
    """Read ``path`` and find its area-code column among ``code_columns`` (snake_case names); a missing one is
    reported as ``expected`` (the name users know) with its ``alternatives``."""
    report = Report()
    file = Path(path).name
    table = read_table(path, options, report)
    columns = [c for c in table.columns if c != ROW]
    by_snake = {snake(c): c for c in columns}
    code_col = next((by_snake[c] for c in code_columns if c in by_snake), None)
    if code_col is None:
        report.add(file, 1, expected, f"missing required column {expected!r} ({alternatives})")
    return AreaTable(file, table, columns, by_snake, code_col, report)


def set_fixed_period(frame: pd.DataFrame, options: Mapping[str, Any], file: str, report: Report) -> bool:
    """Give every row the file's one period (option ``period``) and its sortable form; False, with the
    problem reported, when ``period_sort`` can be neither derived from it nor found in the options."""
    frame["period"] = str(options["period"])
    sort = options.get("period_sort") or period_sort_key(str(options["period"]))
    if sort is None:
        report.add(file, None, None, f"cannot derive period_sort from period {options['period']!r}; set option period_sort")
        return False
    frame["period_sort"] = int(sort)
    return True
