"""Reading a source table (CSV or XLSX) as text columns with the file's own line numbers.

Every adapter reads through :func:`read_table`. A file that is not a readable table (binary, undecodable,
a corrupt workbook) or holds a field far over any sane length is a problem in the report, never a
traceback: ``unreadable-file``, ``field-too-long``, ``empty-file``, ``too-many-fields``, ``unknown-sheet``.

A large CSV is read in chunks of whole records (:func:`csv_chunks`; the option :data:`CHUNK` names one), each
with the file's own line numbers, so a national-scale file is never held as text all at once.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from observatory.errors import Report

ROW = "_row"  # column carrying the 1-based line number in the source file, for error reports
PROBLEMS_PER_COLUMN = 50
MAX_FIELD = 10_000
"""Characters a field may hold: a label or number is never near this; a longer field is a broken or hostile file."""
SNIFF_BYTES = 1 << 16
TEXT = pd.StringDtype(na_value=np.nan)
CHUNK = "_chunk"
"""Option naming the :class:`Chunk` of a CSV to read (set by the ingest pipeline, never by a configuration)."""
CHUNK_BYTES = 1 << 26
"""Bytes of a CSV read at once: about two million tidy rows."""
_BYTE_ENCODINGS = {"utf-8", "cp1252", "iso8859-1", "iso8859-15", "ascii"}
"""Encodings in which a line break is the byte ``\\n`` and a quote the byte ``"``: a file in one can be cut into chunks."""


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
    if isinstance(options.get(CHUNK), Chunk):
        frame = _read_chunk(path, options[CHUNK], report)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path, header_row, options.get("sheet"), report)
    else:
        frame = _read_text(path, header_row, options.get("encoding"), report)
    check_field_lengths(frame, path.name, report)
    return frame


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({ROW: pd.Series([], dtype="int64")})


def _read_text(path: Path, header_row: int, encoding: str | None, report: Report) -> pd.DataFrame:
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if b"\0" in head:
        report.add(path.name, None, None, "cannot read the file: it holds binary data, not a CSV table", "unreadable-file")
        return empty_table()
    for enc in [encoding] if encoding else ["utf-8", "cp1252"]:
        try:
            return _read_csv(path, header_row, enc, report)
        except UnicodeDecodeError:
            continue
        except LookupError:
            report.add(path.name, None, None, f"cannot read the file: unknown encoding {enc!r}", "unreadable-file")
            return empty_table()
    tried = encoding or "UTF-8 or cp1252"
    report.add(
        path.name, None, None, f"cannot read the file: its text is not {tried} (set the option 'encoding')", "unreadable-file"
    )
    return empty_table()


def check_field_lengths(frame: pd.DataFrame, file: str, report: Report) -> None:
    """Report every field longer than :data:`MAX_FIELD` characters, with its row and column."""
    for col in frame.columns:
        if col == ROW:
            continue
        text = pa.array(frame[col], from_pandas=True)
        if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
            continue
        longest = pc.max(pc.binary_length(text)).as_py()  # bytes bound characters: one pass over the offsets
        if longest is None or longest <= MAX_FIELD:
            continue
        over = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_FIELD), False).to_numpy(zero_copy_only=False)
        if over.any():
            rows = frame.loc[over, ROW]
            report.add_rows(
                file,
                [int(r) for r in rows],
                col,
                f"field is longer than {MAX_FIELD:,} characters",
                limit=PROBLEMS_PER_COLUMN,
                code="field-too-long",
            )


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
    try:
        header, header_end = _read_header(path, header_row, encoding)
    except csv.Error as e:
        return _csv_error(path, header_row, e, report)
    if not header:
        report.add(path.name, header_row, None, "no header row: the file is empty", "empty-file")
        return empty_table()
    names = _dedupe(header)
    try:
        table = pacsv.read_csv(path, **_arrow_options(names, encoding, header_row))
    except pa.ArrowInvalid as e:
        if "utf8" in str(e).lower() and encoding.lower().startswith("utf"):
            raise UnicodeDecodeError(encoding, b"", 0, 1, str(e)) from None
        return _read_csv_slow(path, header_row, names, encoding, report)
    frame = _to_pandas(table)
    del table
    n = len(frame)
    if _count_lines(path) == header_end + n:
        frame[ROW] = np.arange(header_end + 1, header_end + n + 1, dtype="int64")
        return frame
    return _read_csv_slow(path, header_row, names, encoding, report)


def _arrow_options(names: list[str], encoding: str, skip_rows: int) -> dict[str, Any]:
    return {
        "read_options": pacsv.ReadOptions(skip_rows=skip_rows, column_names=names, encoding=encoding, block_size=1 << 24),
        "parse_options": pacsv.ParseOptions(newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    }


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Text columns; self_destruct frees each Arrow column as it is converted, so a table is not held twice."""
    return table.to_pandas(types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get, self_destruct=True, split_blocks=True)


def _csv_error(path: Path, line: int | None, error: csv.Error, report: Report) -> pd.DataFrame:
    return _csv_error_in(path.name, line, error, report)


def _csv_error_in(file: str, line: int | None, error: csv.Error, report: Report) -> pd.DataFrame:
    if "field larger than field limit" in str(error):
        report.add(file, line, None, f"a field is longer than {MAX_FIELD:,} characters", "field-too-long")
    else:
        report.add(file, line, None, f"cannot read the file as CSV: {error}", "unreadable-file")
    return empty_table()


def _read_csv_slow(path: Path, header_row: int, names: list[str], encoding: str, report: Report) -> pd.DataFrame:
    """Record by record, for files with quoted line breaks, blank lines or ragged rows."""
    with _text_stream(path, encoding) as f:
        reader = csv.reader(f)
        for _ in range(header_row):
            next(reader, None)
        return _read_records(reader, reader.line_num, 0, path.name, names, report)


def _read_records(reader, line: int, offset: int, file: str, names: list[str], report: Report) -> pd.DataFrame:
    """The records left in ``reader`` (physical line ``offset + reader.line_num``; ``line`` the last one read).

    Short rows are padded with empty fields (Fingertips exports omit trailing empty fields);
    long rows are reported and cut to the header's width.
    """
    width = len(names)
    records: list[list[str]] = []
    rows: list[int] = []
    long_rows: list[tuple[int, int]] = []
    try:
        for rec in reader:
            start, line = line + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            if len(rec) < width:
                rec = rec + [""] * (width - len(rec))
            elif len(rec) > width:
                if any(v.strip() for v in rec[width:]):
                    long_rows.append((offset + start, len(rec)))
                rec = rec[:width]
            records.append(rec)
            rows.append(offset + start)
    except csv.Error as e:
        return _csv_error_in(file, offset + line + 1, e, report)
    for r, k in long_rows[:PROBLEMS_PER_COLUMN]:
        report.add(file, r, None, f"row has {k} fields but the header has {width}", "too-many-fields")
    if len(long_rows) > PROBLEMS_PER_COLUMN:
        report.add(
            file,
            None,
            None,
            f"rows with more fields than the header (and {len(long_rows) - PROBLEMS_PER_COLUMN} more rows)",
            "too-many-fields",
        )
    return _frame(records, rows, names)


@dataclass(frozen=True)
class Chunk:
    """Whole records of a CSV: its bytes ``start`` to ``stop``, the first on physical line ``line``, over ``lines`` lines."""

    start: int
    stop: int
    line: int
    lines: int
    names: tuple[str, ...]
    encoding: str


def csv_chunks(path: Path, options: Mapping[str, Any], chunk_bytes: int = CHUNK_BYTES) -> Iterator[Chunk] | None:
    """The file's records as chunks of about ``chunk_bytes``, cut only at a line break outside quotes.

    None when the file must be read whole: a workbook, binary or undecodable text, no header, bare ``\\r``
    line breaks, or an encoding whose line breaks are not single bytes. Always at least one chunk otherwise.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") or not path.is_file():
        return None
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if b"\0" in head or head.count(b"\r") > head.count(b"\r\n"):
        return None
    encoding = options.get("encoding") or _detect_encoding(path)
    try:
        if encoding is None or codecs.lookup(encoding).name not in _BYTE_ENCODINGS:
            return None
        header_row = int(options.get("header_row", 1))
        header, header_end = _read_header(path, header_row, encoding)
    except (LookupError, UnicodeDecodeError, csv.Error):
        return None
    if not header:
        return None
    return _cut(path, _line_end(path, header_end), header_end + 1, tuple(_dedupe(header)), encoding, max(1, chunk_bytes))


def _detect_encoding(path: Path) -> str | None:
    """UTF-8 when the whole file decodes as UTF-8, else cp1252 when it decodes as that, else None."""
    for enc in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(enc)()
        try:
            with open(path, "rb") as f:
                while block := f.read(1 << 24):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    return None


def _line_end(path: Path, lines: int) -> int:
    """The byte offset just after the first ``lines`` line breaks (the end of the file if it has fewer)."""
    offset, end = 0, 0
    with open(path, "rb") as f:
        while lines and (block := f.read(SNIFF_BYTES)):
            at = -1
            while lines and (at := block.find(b"\n", at + 1)) >= 0:
                lines, end = lines - 1, offset + at + 1
            offset += len(block)
    return end if not lines else offset


def _cut(path: Path, start: int, line: int, names: tuple[str, ...], encoding: str, size: int) -> Iterator[Chunk]:
    end = path.stat().st_size
    with open(path, "rb") as f:
        while True:
            f.seek(start)
            data, want, cut = b"", size, -1
            while cut < 0:
                data += f.read(want - len(data))
                if start + len(data) >= end:
                    cut = len(data)
                    break
                cut = _safe_cut(data)
                want *= 2
            lines = data.count(b"\n", 0, cut) + (cut == len(data) and start + cut >= end and not data.endswith(b"\n"))
            yield Chunk(start, start + cut, line, int(lines), names, encoding)
            start, line = start + cut, line + int(lines)
            if start >= end:
                return


def _safe_cut(data: bytes) -> int:
    """The end of the last line of ``data`` that closes every quote it opened (-1 when none does)."""
    cut = data.rfind(b"\n") + 1
    while cut > 0 and data.count(b'"', 0, cut) % 2:
        cut = data.rfind(b"\n", 0, cut - 1) + 1
    return cut if cut > 0 else -1


def _read_chunk(path: Path, chunk: Chunk, report: Report) -> pd.DataFrame:
    """One chunk's records, each with its physical line in the file."""
    names = list(chunk.names)
    with open(path, "rb") as f:
        f.seek(chunk.start)
        data = f.read(chunk.stop - chunk.start)
    if not data.strip():
        return _frame([], [], names)
    try:
        table = pacsv.read_csv(pa.BufferReader(data), **_arrow_options(names, chunk.encoding, 0))
        if table.num_rows == chunk.lines:
            frame = _to_pandas(table)
            frame[ROW] = np.arange(chunk.line, chunk.line + len(frame), dtype="int64")
            return frame
        del table
    except pa.ArrowInvalid:
        pass
    reader = csv.reader(io.StringIO(data.decode(chunk.encoding), newline=""))
    return _read_records(reader, 0, chunk.line - 1, path.name, names, report)


def _frame(records: list[list[str]], rows: list[int], names: list[str]) -> pd.DataFrame:
    frame = (
        pd.DataFrame(records, columns=names, dtype=TEXT)
        if records
        else pd.DataFrame({n: pd.Series([], dtype=TEXT) for n in names})
    )
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


def _worksheet(wb, path: Path, sheet: Any, report: Report):
    if sheet is None:
        return wb.worksheets[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(wb.worksheets):
            return wb.worksheets[sheet]
        report.add(path.name, None, None, f"no sheet {sheet} (the workbook has {len(wb.worksheets)})", "unknown-sheet")
        return None
    if sheet in wb.sheetnames:
        return wb[sheet]
    report.add(path.name, None, None, f"no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})", "unknown-sheet")
    return None


def _read_xlsx(path: Path, header_row: int, sheet: Any, report: Report) -> pd.DataFrame:
    try:
        from openpyxl import load_workbook  # start-up: 0.2 s, only when a workbook is read

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a corrupt or mislabelled workbook is a problem with the file, not a crash
        report.add(path.name, None, None, f"cannot read the workbook: {type(e).__name__}: {e}", "unreadable-file")
        return empty_table()
    header: list[str] = []
    records: list[list[str]] = []
    rows: list[int] = []
    try:
        ws = _worksheet(wb, path, sheet, report)
        if ws is None:
            return empty_table()
        for i, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            if i < header_row:
                continue
            cells = [cell_text(v) for v in values]
            if i == header_row:
                header = cells
            elif any(c.strip() for c in cells):
                records.append(cells)
                rows.append(i)
    finally:
        wb.close()
    while header and not header[-1].strip() and not any(len(r) >= len(header) and r[len(header) - 1] for r in records):
        header.pop()
    if not header:
        report.add(path.name, header_row, None, "no header row: the sheet is empty", "empty-file")
        return empty_table()
    width = len(header)
    records = [(r + [""] * (width - len(r)))[:width] for r in records]
    return _frame(records, rows, _dedupe(header))
