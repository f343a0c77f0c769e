"""Reading a partner's file as a grid of text cells, and finding its header among title rows and merged cells.

A grid is a list of ``(line, cells)``: ``line`` is the 1-based row of the partner's file (a CSV record
spanning several lines is numbered by its first), so that every problem can name the partner's own row.
A file that cannot be read (binary, not a workbook, a cell far over any sane length) is reported with the
code ``unreadable-file`` or ``field-too-long``, never raised as a Python error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from observatory.errors import Report
from observatory.ingest.adapters._common import cell_text
from observatory.onboarding.cells import is_data_like, is_period, normal_period

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
FIELD_LIMIT = 10_000
"""The longest cell a partner's file may hold (characters): a label, a note or a figure is far shorter."""
HEADER_SCAN = 60

Grid = list[tuple[int, list[str]]]


@dataclass
class Column:
    """One column of the partner's table: its header parts and the role it was given."""

    index: int
    header: str
    measure: str
    period: str = ""
    role: str = "ignored"  # area | period | measure | ignored


@dataclass
class Sheet:
    """A partner's file read as a grid, with how it was read and the merged ranges of a worksheet."""

    grid: Grid
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    merged: tuple[Any, ...] = ()
    long_cells: tuple[tuple[int, int, int], ...] = ()  # (line, column index, length) of cells over FIELD_LIMIT


def _text(v: Any) -> str:
    """A worksheet cell as the adapters read it, trimmed; dates as YYYY-MM-DD."""
    text = cell_text(v)
    return text[:10] if isinstance(v, (dt.datetime, dt.date)) else text.strip()


def decode(data: bytes) -> tuple[str, str] | None:
    """The text and the encoding it was read with (UTF-8 with or without BOM, else Windows-1252), or None
    for data that is no text: NUL bytes, or bytes Windows-1252 does not define."""
    if b"\x00" in data[:65536]:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return None


def delimiter(text: str) -> str:
    """The delimiter giving the most lines with the same number (> 1) of fields among the first lines."""
    lines = [ln for ln in text.splitlines()[:HEADER_SCAN] if ln.strip()]
    best, score = ",", -1
    for d in DELIMITERS:
        counts = [len(r) for r in _records(lines, d)]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        s = counts.count(mode) * 1000 + mode
        if s > score:
            best, score = d, s
    return best


def _records(lines: Any, delim: str) -> list[list[str]]:
    """CSV records with Python's own field limit lifted: over-long cells are reported by length, not raised."""
    old = csv.field_size_limit(sys.maxsize)
    try:
        return list(csv.reader(lines, delimiter=delim))
    finally:
        csv.field_size_limit(old)


def read_csv(path: Path, report: Report) -> Sheet | None:
    """The grid of a delimited text file, or None (with ``unreadable-file``) when it is not text."""
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        report.add(
            path.name, None, None, "is a zip archive (an Excel workbook?), not a CSV: save it as .xlsx or .csv", "unreadable-file"
        )
        return None
    decoded = decode(data)
    if decoded is None:
        report.add(
            path.name,
            None,
            None,
            "is not a text file: it holds binary data or bytes of no known encoding "
            "(expected CSV in UTF-8 or Windows-1252, or an XLSX workbook)",
            "unreadable-file",
        )
        return None
    text, encoding = decoded
    delim = delimiter(text)
    old = csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        grid, line = [], 0
        for rec in reader:
            start, line = line + 1, reader.line_num
            grid.append((start, [v.strip() for v in rec]))
    finally:
        csv.field_size_limit(old)
    return _clip(Sheet(grid, encoding, delim))


def read_xlsx(path: Path, sheet: str | int | None, report: Report) -> Sheet | None:
    """The grid and merged ranges of one worksheet (the first with data unless ``sheet`` is given), or None."""
    try:
        wb = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        report.add(path.name, None, None, f"is not a readable Excel workbook ({type(e).__name__}: {e})", "unreadable-file")
        return None
    try:
        names = tuple(wb.sheetnames)
        if sheet is None:
            ws = next((w for w in wb.worksheets if w.max_row > 1 or w.max_column > 1), wb.worksheets[0])
        elif isinstance(sheet, int) or str(sheet).isdigit():
            if int(sheet) >= len(wb.worksheets):
                report.add(path.name, None, None, f"has no sheet {sheet} (sheets: {', '.join(names)})", "unknown-sheet")
                return None
            ws = wb.worksheets[int(sheet)]
        elif str(sheet) not in names:
            report.add(path.name, None, None, f"has no sheet {sheet!r} (sheets: {', '.join(names)})", "unknown-sheet")
            return None
        else:
            ws = wb[str(sheet)]
        grid = [(i, [_text(v) for v in values]) for i, values in enumerate(ws.iter_rows(values_only=True), start=1)]
        return _clip(Sheet(grid, sheet=ws.title, sheets=names, merged=tuple(ws.merged_cells.ranges)))
    finally:
        wb.close()


def _clip(sheet: Sheet) -> Sheet:
    """Cells over FIELD_LIMIT emptied (they are reported, with their line and column, once the header is known)."""
    long_cells = []
    for line, cells in sheet.grid:
        for j, c in enumerate(cells):
            if len(c) > FIELD_LIMIT:
                long_cells.append((line, j, len(c)))
                cells[j] = ""
    sheet.long_cells = tuple(long_cells)
    return sheet


def _fill_merged(grid: Grid, merged: tuple[Any, ...]) -> tuple[dict[int, list[str]], set[tuple[int, int]]]:
    """Header-area cells with each merged range's value written across its columns, and the cells a range covers below its top."""
    filled = {i: list(cells) for i, (_r, cells) in enumerate(grid[:HEADER_SCAN])}
    row_index = {r: i for i, (r, _c) in enumerate(grid[:HEADER_SCAN])}
    vertical: set[tuple[int, int]] = set()
    for rng in merged:
        top = row_index.get(rng.min_row)
        if top is None:
            continue
        value = filled[top][rng.min_col - 1] if rng.min_col - 1 < len(filled[top]) else ""
        for r in range(rng.min_row, rng.max_row + 1):
            i = row_index.get(r)
            if i is None:
                continue
            row = filled[i]
            row.extend([""] * (rng.max_col - len(row)))
            for c in range(rng.min_col, rng.max_col + 1):
                if r == rng.min_row:
                    row[c - 1] = value
                else:
                    vertical.add((i, c - 1))
    return filled, vertical


def _block_end(raw: dict[int, list[str]], i: int, vertical: set[tuple[int, int]]) -> int:
    """The last row of a header block starting at ``i``: rows of labels continuing the first label column."""
    end = i
    first = next(j for j, c in enumerate(raw[i]) if c)
    while end + 1 in raw:
        nxt = raw[end + 1]
        texts = [c for c in nxt if c]
        if not texts or any(is_data_like(c) for c in texts):
            break
        if not (first >= len(nxt) or not nxt[first] or (end + 1, first) in vertical):
            break
        end += 1
    return end


def header_block(grid: Grid, merged: tuple[Any, ...]) -> tuple[int, int, list[list[str]]]:
    """(first, last) indexes in ``grid`` of the header rows and the header cells with merged cells filled across."""
    filled, vertical = _fill_merged(grid, merged)
    raw = {i: cells for i, (_r, cells) in enumerate(grid[:HEADER_SCAN])}
    start = end = None
    for i in sorted(raw):
        texts = [c for c in raw[i] if c]
        if len(texts) < 2 or any(is_data_like(c) for c in texts):
            continue
        e = _block_end(raw, i, vertical)
        after = next((raw[k] for k in range(e + 1, len(raw)) if any(raw[k])), [])
        if any(is_data_like(c) for c in after if c):
            start, end = i, e
            break
    if start is None:
        return -1, -1, []
    first_col = next(j for j, c in enumerate(raw[start]) if c)
    rows = [list(filled[i]) for i in range(start, end + 1)]
    for row in rows[:-1]:  # a label over several columns, written once: carry it right
        last = ""
        for j, c in enumerate(row):
            if c:
                last = c
            elif last and j > first_col:
                row[j] = last
    return start, end, rows


def columns(rows: list[list[str]]) -> list[Column]:
    """One column per header position: its header parts joined, the measure it names and the period it names."""
    n = max(len(r) for r in rows)
    out = []
    for j in range(n):
        parts: list[str] = []
        for r in rows:
            c = r[j] if j < len(r) else ""
            if c and (not parts or parts[-1] != c):
                parts.append(c)
        periods = [p for p in parts if is_period(p)]
        others = [p for p in parts if not is_period(p)]
        period = normal_period(periods[0]) if len(periods) == 1 else ""
        measure = " ".join(others) if others else ("" if period else f"column {j + 1}")
        out.append(Column(j, " | ".join(parts) or f"column {j + 1}", measure or "value", period))
    return out
