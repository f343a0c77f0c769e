"""A partner's new file, from inspection to ingestion: ``observatory add-dataset``.

Partners send spreadsheets shaped for people: a title above the header, merged header cells, ward
names instead of codes, a total row, suppressed counts, thousands separators, semicolons and
Windows encodings. :func:`inspect_file` reads such a file and says what it found;
:func:`propose_dataset` writes *proposals* for the analyst to review — a catalogue record, indicator
definitions, a source entry and the partner's figures as a tidy table — with everything it inferred
marked for review and everything it could not infer left as ``TODO``. It never guesses silently and
never ingests. :func:`apply_proposal` refuses while any marker remains; once the analyst has
completed the records it appends them to the configuration and ingests the source, all or nothing.

Why a converted tidy table rather than adapter options: the ``tidy`` adapter reads files that are
already one row per area and period with codes (its options rename columns, skip title rows and
declare thousands separators and vintages). Ward names, wide period columns, total rows and
semicolons need more than renaming, so for such files the proposal carries the converted figures
(every row traceable to its line in the partner's file) and the source entry reads that. A file the
adapter can read as it is gets a source entry with the options it needs instead, checked by reading
it with them.

Ward figures: the observatory aggregates from small areas, so figures supplied for wards would not
reach locality profiles. When every ward of a locality (district, county) lies wholly within it and
is in the file, the proposal adds the locality's (district's, county's) figures as the sums of its
wards' counts; a suppressed ward count leaves the sum suppressed. See docs/analyst.md.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd
import typer
import yaml

from observatory.config import Config, load_config
from observatory._core.vocab import AreaType, Polarity, Theme, ValueType
from observatory.errors import Report, ValidationError
from observatory.publish.runner import sha256_file
from observatory.ingest.adapters._common import cell_text

if TYPE_CHECKING:
    from observatory.geo.areas import Geography

MISSING = {"", "NA", "N/A", "n/a", "NaN", "-", "..", ":"}
SUPPRESSED = {"*", "c", "x", "C", "X", "~"}
SUPPRESSED_RE = re.compile(r"^<\s*\d+$")
NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
PERIOD_RE = re.compile(
    r"^(?:FY\s*)?(?:(?:19|20)\d{2}(?:\s*[/-]\s*\d{2}(?:\d{2})?)?(?:\s*Q[1-4])?"
    r"|Q[1-4]\s*(?:19|20)\d{2}(?:\s*/\s*\d{2})?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d{2})$", re.I)
PERIOD_IN_TEXT = re.compile(r"(?<![\d/])((?:19|20)\d{2}\s*/\s*\d{2}(?!\d)|(?:19|20)\d{2}(?:\s*Q[1-4])?)(?![\d/])", re.I)
PERIOD_HEADER = re.compile(r"\b(period|year|date|quarter|month|time)\b", re.I)
TOTAL_RE = re.compile(r"^\s*(?:grand\s+)?total\b|^\s*all\s+(?:areas|wards|lsoas|small areas|localities|districts|residents)\b"
                      r"|^\s*(?:county|district|overall)\s+total\b", re.I)
DENOMINATOR_HINTS = re.compile(r"population|registered|residents|denominator|eligible|households|pupils|people|persons|"
                               r"adults|children|list size|base|cohort|total", re.I)
DELIMITERS = (",", ";", "\t", "|")
TODO = "TODO"
MARKER_RE = re.compile(r"\bTODO\b")
PROPOSAL_FILES = ("README.md", "catalogue.yaml", "indicators.csv", "source.yaml", "proposal.json")
INDICATOR_FIELDS = ["id", "title", "theme", "unit", "value_type", "multiplier", "polarity", "dataset", "frequency", "definition"]
TIDY_COLUMNS = ["indicator_id", "area_code", "period", "numerator", "denominator", "value", "value_note", "source_row"]
NAMED_TYPES = (AreaType.WARD.value, AreaType.LOCALITY.value, AreaType.DISTRICT.value)


# --------------------------------------------------------------------------- what was found

@dataclass
class Column:
    """One column of the partner's table: its header parts and the role it was given."""

    index: int
    header: str
    measure: str
    period: str = ""
    role: str = "ignored"  # area | period | measure | ignored


@dataclass
class Areas:
    """How the geography column was read: codes or names of which area type and vintage."""

    column: str = ""
    kind: str = ""  # code | name
    area_type: str = ""
    vintage: str = ""
    matched: dict[str, str] = field(default_factory=dict)  # text in the file → area code
    normalised: dict[str, str] = field(default_factory=dict)  # text matched only after ignoring case and punctuation
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, text) left out
    names: dict[str, str] = field(default_factory=dict)  # code → name in the geography


@dataclass
class Inspection:
    """What :func:`inspect_file` found in a partner's file; ``notes`` says it in words, ``problems`` what stops a proposal."""

    path: Path
    format: str
    config_name: str = ""
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    title: str = ""
    header_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    layout: str = ""  # long | wide | single
    periods: list[str] = field(default_factory=list)
    period_from_title: bool = False
    areas: Areas = field(default_factory=Areas)
    thousands: str | None = None
    suppressed: dict[str, int] = field(default_factory=dict)
    totals: list[tuple[int, str]] = field(default_factory=list)
    dropped: list[tuple[int, str, str]] = field(default_factory=list)  # (row, kind, text)
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)  # _row, area_text, area_code, period, measure, number, suppressed, whole
    total_cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    problems: Report = field(default_factory=Report)

    @property
    def measures(self) -> list[str]:
        seen: list[str] = []
        for c in self.columns:
            if c.role == "measure" and c.measure not in seen:
                seen.append(c.measure)
        return seen

    @property
    def area_column(self) -> Column | None:
        return next((c for c in self.columns if c.role == "area"), None)

    @property
    def period_column(self) -> Column | None:
        return next((c for c in self.columns if c.role == "period"), None)


# --------------------------------------------------------------------------- reading the grid

def _text(v: Any) -> str:
    """A worksheet cell as the adapters read it, trimmed; dates as YYYY-MM-DD."""
    text = cell_text(v)
    return text[:10] if isinstance(v, (dt.datetime, dt.date)) else text.strip()


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    """The delimiter giving the most lines with the same number (> 1) of fields among the first lines."""
    lines = [ln for ln in text.splitlines()[:60] if ln.strip()]
    best, score = ",", -1
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        s = counts.count(mode) * 1000 + mode
        if s > score:
            best, score = d, s
    return best


def _read_csv_grid(path: Path) -> tuple[list[tuple[int, list[str]]], str, str]:
    text, encoding = _decode(path.read_bytes())
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid, line = [], 0
    for rec in reader:
        start, line = line + 1, reader.line_num
        grid.append((start, [v.strip() for v in rec]))
    return grid, encoding, delimiter


def _read_xlsx_grid(path: Path, sheet: str | int | None) -> tuple[list[tuple[int, list[str]]], list[Any], str, list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = next((w for w in wb.worksheets if w.max_row > 1 or w.max_column > 1), wb.worksheets[0])
        elif isinstance(sheet, int) or str(sheet).isdigit():
            ws = wb.worksheets[int(sheet)]
        else:
            ws = wb[str(sheet)]
        grid = [(i, [_text(v) for v in values]) for i, values in enumerate(ws.iter_rows(values_only=True), start=1)]
        merged = list(ws.merged_cells.ranges)
        return grid, merged, ws.title, names
    finally:
        wb.close()


def _is_number(s: str) -> bool:
    return bool(NUMBER_RE.match(s) or THOUSANDS_RE.match(s))


def _is_data_like(s: str) -> bool:
    return _is_number(s) or s in SUPPRESSED or bool(SUPPRESSED_RE.match(s))


def _is_period(s: str) -> bool:
    return bool(PERIOD_RE.match(s.strip()))


def _normal_period(s: str) -> str:
    s = re.sub(r"^FY\s*", "", s.strip(), flags=re.I)
    m = re.match(r"^((?:19|20)\d{2})\s*[/-]\s*(\d{2}(?:\d{2})?)$", s)
    if m:
        tail = m.group(2)[-2:]
        return f"{m.group(1)}/{tail}"
    return re.sub(r"\s+", " ", s)


# --------------------------------------------------------------------------- geography

def name_key(text: str) -> str:
    """A place name reduced for matching: case, punctuation, '&'/'and', 'Saint'/'St' and a trailing 'ward' ignored."""
    t = str(text).casefold().replace("&", " and ").strip()
    t = re.sub(r"\s+ward$", "", t)
    t = re.sub(r"\bsaint\b", "st", t)
    return re.sub(r"[^0-9a-z]", "", t)


class _Gazetteer:
    """The configuration's areas by code and by reduced name, per area type and vintage."""

    def __init__(self, geo: Geography):
        self.geo = geo
        areas = geo.areas
        self.by_code: dict[str, list[tuple[str, str]]] = {}
        for code, t, v in zip(areas["code"], areas["type"], areas["vintage"]):
            self.by_code.setdefault(code.upper(), []).append((t, v))
        self.names: dict[tuple[str, str], dict[str, list[str]]] = {}
        self.exact: dict[tuple[str, str], dict[str, str]] = {}
        self.code_names = areas.drop_duplicates("code").set_index("code")["name"].to_dict()
        named = areas[areas["type"].isin(NAMED_TYPES) | ((areas["type"] == geo.small_area_type) & (areas["vintage"] == geo.vintage))]
        for (t, v), g in named.groupby(["type", "vintage"]):
            keyed: dict[str, list[str]] = {}
            for code, name in zip(g["code"], g["name"]):
                keyed.setdefault(name_key(name), []).append(code)
            self.names[(t, v)] = keyed
            self.exact[(t, v)] = dict(zip(g["name"], g["code"]))

    def score(self, values: list[str]) -> tuple[int, str, str, str]:
        """(matches, kind, area type, vintage) of the best reading of ``values`` as codes or names."""
        best = (0, "", "", "")
        types: dict[tuple[str, str], int] = {}
        for v in values:
            for t, vin in self.by_code.get(v.upper(), []):
                types[(t, vin)] = types.get((t, vin), 0) + 1
        for (t, vin), n in types.items():
            if n > best[0]:
                best = (n, "code", t, vin)
        for (t, vin), keyed in self.names.items():
            n = sum(1 for v in values if len(keyed.get(name_key(v), [])) == 1)
            if n > best[0]:
                best = (n, "name", t, vin)
        return best


def _code_vintage(values: list[str], gaz: _Gazetteer, area_type: str, primary: str) -> tuple[str, list[str], str]:
    """The vintage of small-area codes: the one holding codes no other vintage has; (vintage, problems, note)."""
    vintages: dict[str, set[str]] = {}
    for v in values:
        for t, vin in gaz.by_code.get(v.upper(), []):
            if t == area_type:
                vintages.setdefault(vin, set()).add(v.upper())
    if len(vintages) <= 1:
        return next(iter(vintages), primary), [], ""
    exclusive = {vin: codes - set().union(*(c for w, c in vintages.items() if w != vin)) for vin, codes in vintages.items()}
    having = [vin for vin, codes in exclusive.items() if codes]
    if len(having) == 1:
        vin = having[0]
        return vin, [], f"{len(exclusive[vin])} codes exist only in the {vin} vintage, so the codes are read as {area_type.upper()} {vin}"
    if not having:
        return primary, [], (f"every code is the same in the {' and '.join(sorted(vintages))} vintages; "
                             f"read as {area_type.upper()} {primary}, the vintage localities are defined on")
    examples = "; ".join(f"{vin}: {', '.join(sorted(exclusive[vin])[:3])}" for vin in sorted(having))
    return primary, [f"codes of several vintages are mixed ({examples}): ask the partner for one vintage"], ""


# --------------------------------------------------------------------------- inspection

def _header_block(grid: list[tuple[int, list[str]]], merged: list[Any]) -> tuple[int, int, list[list[str]]]:
    """(first, last) indexes in ``grid`` of the header rows and the header cells with merged cells filled across."""
    filled = {i: list(cells) for i, (_r, cells) in enumerate(grid[:60])}
    row_index = {r: i for i, (r, _c) in enumerate(grid[:60])}
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
    raw = {i: cells for i, (_r, cells) in enumerate(grid[:60])}

    def block_end(i: int) -> int:
        end = i
        first = next(j for j, c in enumerate(raw[i]) if c)
        while end + 1 in raw:
            nxt = raw[end + 1]
            texts = [c for c in nxt if c]
            if not texts or any(_is_data_like(c) for c in texts):
                break
            if not (first >= len(nxt) or not nxt[first] or (end + 1, first) in vertical):
                break
            end += 1
        return end

    start = end = None
    for i in sorted(raw):
        texts = [c for c in raw[i] if c]
        if len(texts) < 2 or any(_is_data_like(c) for c in texts):
            continue
        e = block_end(i)
        after = next((raw[k] for k in range(e + 1, len(raw)) if any(raw[k])), [])
        if any(_is_data_like(c) for c in after if c):
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


def _columns(rows: list[list[str]]) -> list[Column]:
    n = max(len(r) for r in rows)
    out = []
    for j in range(n):
        parts: list[str] = []
        for r in rows:
            c = r[j] if j < len(r) else ""
            if c and (not parts or parts[-1] != c):
                parts.append(c)
        periods = [p for p in parts if _is_period(p)]
        others = [p for p in parts if not _is_period(p)]
        period = _normal_period(periods[0]) if len(periods) == 1 else ""
        measure = " ".join(others) if others else ("" if period else f"column {j + 1}")
        out.append(Column(j, " | ".join(parts) or f"column {j + 1}", measure or "value", period))
    return out


def inspect_file(path: Path | str, config: Config | str = "demo", *, sheet: str | int | None = None,
                 geography: Geography | None = None) -> Inspection:
    """Read a partner's CSV or XLSX and say how it is laid out: encoding, delimiter, header rows (merged
    cells), geography column (codes of which type and vintage, or names resolved to codes), periods,
    measures, suppressed cells, thousands separators, and total and note rows to leave out."""
    from observatory.geo.areas import Geography

    path = Path(path)
    cfg = config if isinstance(config, Config) else load_config(config)
    geo = geography or Geography(cfg)
    fmt = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv"
    ins = Inspection(path=path, format=fmt, config_name=cfg.name)
    merged: list[Any] = []
    if fmt == "xlsx":
        grid, merged, ins.sheet, ins.sheets = _read_xlsx_grid(path, sheet)
        ins.notes.append(f"Excel workbook; read sheet '{ins.sheet}'" + (f" (sheets: {', '.join(ins.sheets)})" if len(ins.sheets) > 1 else ""))
    else:
        grid, ins.encoding, ins.delimiter = _read_csv_grid(path)
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
        ins.notes.append(f"CSV, {names[ins.delimiter]}-delimited, encoding {ins.encoding}")
    file = path.name
    start, end, header = _header_block(grid, merged)
    if start < 0:
        ins.problems.add(file, None, None, "no header row found: expected a row of column names above the figures")
        return ins
    ins.header_rows = [grid[i][0] for i in range(start, end + 1)]
    above = [(r, " ".join(c for c in cells if c)) for r, cells in grid[:start] if any(cells)]
    ins.title = " — ".join(t for _r, t in above)
    if above:
        where = f"row {above[0][0]}" if len(above) == 1 else f"rows {above[0][0]}–{above[-1][0]}"
        ins.notes.append(f"title above the header ({where}): \"{ins.title}\"")
    top, bottom = ins.header_rows[0], ins.header_rows[-1]
    ins.merged = [str(r.coord) for r in merged if r.min_row <= bottom and r.max_row >= 1]
    header_merges = [str(r.coord) for r in sorted(merged, key=lambda r: (r.min_row, r.min_col)) if top <= r.min_row <= bottom]
    ins.notes.append(f"header on row{'s' if top != bottom else ''} {top}{f'–{bottom}' if top != bottom else ''}"
                     + (f", merged cells {', '.join(header_merges)}" if header_merges else ""))
    ins.columns = _columns(header)
    width = len(ins.columns)
    body = [(r, (cells + [""] * width)[:width]) for r, cells in grid[end + 1:]]

    # rows: blank, total, note, data
    data_rows: list[tuple[int, list[str]]] = []
    singles: list[tuple[int, list[str]]] = []
    for r, cells in body:
        texts = [c for c in cells if c]
        if not texts:
            continue
        label = next((c for c in cells if c and not _is_data_like(c)), "")
        if label and TOTAL_RE.search(label):
            ins.totals.append((r, label))
            ins.dropped.append((r, "total", label))
            data_rows.append((r, cells))  # kept aside below
            continue
        if len(texts) == 1 and not _is_data_like(texts[0]):
            singles.append((r, cells))
            continue
        data_rows.append((r, cells))
    total_set = {r for r, _ in ins.totals}

    # column roles: measures (mostly numbers), period, area
    plain = [(r, c) for r, c in data_rows if r not in total_set]
    for col in ins.columns:
        values = [cells[col.index] for _r, cells in plain if cells[col.index]]
        if not values:
            continue
        if all(_is_period(v) for v in values) and (PERIOD_HEADER.search(col.header) or any(not _is_number(v) for v in values)):
            col.role = "period"
        elif PERIOD_HEADER.search(col.header) and all(_is_period(v) for v in values):
            col.role = "period"
        elif sum(_is_data_like(v) or v in MISSING for v in values) >= 0.8 * len(values) and any(_is_number(v) for v in values):
            col.role = "measure"
    gaz = _Gazetteer(geo)
    best, best_col = (0, "", "", ""), None
    for col in ins.columns:
        if col.role != "ignored":
            continue
        values = sorted({cells[col.index] for _r, cells in plain if cells[col.index]})
        s = gaz.score(values)
        if s[0] > best[0] or (s[0] == best[0] and s[0] and s[1] == "code" and best[1] == "name"):
            best, best_col = s, col
    if best_col is None or best[0] == 0:
        ins.problems.add(file, None, None, f"no column holds area codes or names of {cfg.label}'s geography "
                         "(small areas, wards, localities or districts)")
        return ins
    best_col.role = "area"
    areas = Areas(column=best_col.header, kind=best[1], area_type=best[2], vintage=best[3])
    values = [cells[best_col.index] for _r, cells in plain if cells[best_col.index]]
    if areas.kind == "code" and areas.area_type == geo.small_area_type:
        areas.vintage, vproblems, vnote = _code_vintage(values, gaz, areas.area_type, geo.vintage)
        for p in vproblems:
            ins.problems.add(file, None, best_col.header, p)
        if vnote:
            ins.notes.append(vnote)
    # single-cell rows naming an area are data rows without figures; the rest are notes
    for r, cells in singles:
        if _resolve(cells[best_col.index], areas, gaz):
            data_rows.append((r, cells))
        else:
            ins.dropped.append((r, "note", next(c for c in cells if c)))
    data_rows.sort(key=lambda x: x[0])
    for r, cells in data_rows:
        if r in total_set:
            continue
        text = cells[best_col.index]
        code = _resolve(text, areas, gaz)
        if code:
            areas.matched[text] = code
            exact = text.upper() == code.upper() or gaz.code_names.get(code) == text
            if not exact:
                areas.normalised[text] = code
        else:
            areas.unmatched.append((r, text))
    areas.names = {c: gaz.code_names.get(c, c) for c in set(areas.matched.values())}
    ins.areas = areas
    what = {"code": "codes", "name": "names"}[areas.kind]
    kind_label = f"{areas.vintage + ' ' if areas.vintage else ''}{areas.area_type.upper() if areas.area_type == geo.small_area_type else areas.area_type}"
    ins.notes.append(f"geography: column '{best_col.header}' holds {kind_label} {what} of {cfg.label}; "
                     f"{len(areas.matched)} distinct areas matched"
                     + (f" ({len(areas.normalised)} only after ignoring case and punctuation: "
                        + "; ".join(f"'{t}' → {c} {areas.names[c]}" for t, c in list(areas.normalised.items())[:8])
                        + ("…" if len(areas.normalised) > 8 else "") + ")" if areas.normalised else ""))
    if areas.unmatched:
        ins.notes.append("unmatched areas, left out: " + "; ".join(f"row {r} '{t}'" for r, t in areas.unmatched))
    known_type = [a for a in geo.areas["type"].unique()]
    if areas.area_type not in known_type:
        ins.problems.add(file, None, best_col.header, f"area type {areas.area_type!r} is not in the geography")

    # periods and layout
    period_col = ins.period_column
    measure_cols = [c for c in ins.columns if c.role == "measure"]
    if not measure_cols:
        ins.problems.add(file, None, None, "no column of figures found")
        return ins
    if period_col is not None:
        ins.layout = "long"
        periods = {_normal_period(cells[period_col.index]) for _r, cells in plain if cells[period_col.index]}
        ins.notes.append(f"one row per area and period: periods in column '{period_col.header}'")
    elif any(c.period for c in measure_cols):
        ins.layout = "wide"
        periods = {c.period for c in measure_cols if c.period}
        missing = [c.header for c in measure_cols if not c.period]
        if missing:
            ins.problems.add(file, None, missing[0], f"columns {', '.join(missing)} have no period in their header")
        ins.notes.append("one column per period and measure: periods from the header")
    else:
        ins.layout = "single"
        found = PERIOD_IN_TEXT.findall(ins.title)
        periods = {_normal_period(found[0])} if len(set(found)) == 1 else set()
        ins.period_from_title = bool(periods)
        ins.notes.append(f"one period for the whole file: {'taken from the title' if periods else 'not found (TODO)'}")
    from observatory.ingest.adapters._common import period_sort_key

    ins.periods = sorted(periods, key=lambda p: (period_sort_key(p) or 0, p))

    # the cells
    records = []
    total_records = []
    markers: dict[str, int] = {}
    unparsed: list[tuple[int, str, str]] = []
    thousands = False
    for r, cells in data_rows:
        is_total = r in total_set
        text = cells[best_col.index]
        code = areas.matched.get(text, "")
        if not is_total and not code:
            continue
        period_row = _normal_period(cells[period_col.index]) if period_col is not None and cells[period_col.index] else ""
        for col in measure_cols:
            raw = cells[col.index]
            number, sup = np.nan, False
            if raw in MISSING:
                pass
            elif raw in SUPPRESSED or SUPPRESSED_RE.match(raw):
                sup = True
                if not is_total:
                    markers[raw] = markers.get(raw, 0) + 1
            elif NUMBER_RE.match(raw):
                number = float(raw)
            elif THOUSANDS_RE.match(raw):
                number, thousands = float(raw.replace(",", "")), True
            else:
                unparsed.append((r, col.header, raw))
            period = col.period if ins.layout == "wide" else (period_row if ins.layout == "long" else (ins.periods[0] if ins.periods else ""))
            rec = {"_row": r, "area_text": text, "area_code": code, "period": period, "measure": col.measure,
                   "number": number, "suppressed": sup, "raw": raw}
            (total_records if is_total else records).append(rec)
    cols = ["_row", "area_text", "area_code", "period", "measure", "number", "suppressed", "raw"]
    ins.cells = pd.DataFrame(records, columns=cols)
    ins.total_cells = pd.DataFrame(total_records, columns=cols)
    ins.suppressed = markers
    ins.thousands = "," if thousands else None
    for r, header_, raw in unparsed[:20]:
        ins.problems.add(file, r, header_, f"not a number: {raw!r}")
    if len(unparsed) > 20:
        ins.problems.add(file, None, None, f"not a number (and {len(unparsed) - 20} more cells)")
    kinds = []
    for m in ins.measures:
        nums = ins.cells.loc[ins.cells["measure"] == m, "number"].dropna()
        whole = bool(len(nums)) and bool((nums == np.floor(nums)).all())
        kinds.append(f"'{m}' ({'counts' if whole else 'values with decimals'})")
    ins.notes.append("figures: " + ", ".join(kinds) + (" — thousands separated by ','" if thousands else ""))
    if ins.periods:
        ins.notes.append(f"periods: {', '.join(ins.periods)}")
    if markers:
        ins.notes.append("suppressed cells: " + ", ".join(f"'{k}' × {v}" for k, v in sorted(markers.items())))
    for r, label in ins.totals:
        ins.notes.append(f"row {r} '{label}' is a total row: left out of the areas")
    notes = [(r, t) for r, k, t in ins.dropped if k == "note"]
    if notes:
        ins.notes.append("notes below the table, left out: " + "; ".join(f"row {r} \"{t}\"" for r, t in notes))
    dup = ins.cells.duplicated(["area_code", "period", "measure"], keep=False)
    if dup.any():
        d = ins.cells[dup].sort_values(["area_code", "_row"])
        for code, g in d.groupby("area_code"):
            ins.problems.add(file, int(g["_row"].iloc[-1]), best_col.header,
                             f"area {code} appears more than once for the same period (rows {', '.join(map(str, sorted(set(g['_row']))))})")
    return ins


def _resolve(text: str, areas: Areas, gaz: _Gazetteer) -> str:
    text = text.strip()
    if not text:
        return ""
    if areas.kind == "code":
        hits = gaz.by_code.get(text.upper(), [])
        return text.upper() if any(t == areas.area_type and (not areas.vintage or v == areas.vintage) for t, v in hits) else ""
    key = (areas.area_type, areas.vintage)
    exact = gaz.exact.get(key, {}).get(text)
    if exact:
        return exact
    codes = gaz.names.get(key, {}).get(name_key(text), [])
    return codes[0] if len(codes) == 1 else ""


# --------------------------------------------------------------------------- proposals

@dataclass
class IndicatorProposal:
    id: str
    numerator: str
    denominator: str = ""
    value_type: str = ValueType.COUNT.value
    multiplier: float = 1
    unit: str = "count"
    title: str = ""


@dataclass
class Proposal:
    """What :func:`propose_dataset` wrote: the folder, the dataset id, its indicators and how the source reads."""

    folder: Path
    dataset: str
    indicators: list[str]
    mode: str  # converted | direct
    data_file: str
    inspection: Inspection
    todo: dict[str, list[str]]
    review: dict[str, list[str]]

    def apply_command(self, config: str) -> str:
        """The command that applies this proposal, with paths relative to the working folder where possible."""
        return f"observatory add-dataset {_rel(self.inspection.path)} --config {config} --apply {_rel(self.folder)}"

    def describe(self, config: str | None = None) -> str:
        lines = [f"Inspected {self.inspection.path.name}:"] + [f"  - {n}" for n in self.inspection.notes]
        if self.inspection.problems:
            lines += ["Problems (fix the file or the proposal before applying):"] + [f"  - {p}" for p in self.inspection.problems]
        lines.append(f"Proposed dataset {self.dataset!r} with indicator(s) {', '.join(self.indicators)} in {_rel(self.folder)}"
                     f" ({'the tidy adapter reads the file as it is' if self.mode == 'direct' else 'figures converted to ' + self.data_file}):")
        for f in ("catalogue.yaml", "indicators.csv", "source.yaml"):
            if self.todo.get(f):
                lines.append(f"  {f}: to complete (TODO): {', '.join(self.todo[f])}")
            if self.review.get(f):
                lines.append(f"  {f}: to check (inferred or left out): {'; '.join(self.review[f])}")
        lines.append("Nothing was ingested. Complete the TODOs and delete each review marker, then apply:")
        lines.append(f"  {self.apply_command(config or self.inspection.config_name)}")
        return "\n".join(lines)


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _slug(text: str, sep: str = "-", limit: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", sep, str(text).casefold()).strip(sep)
    return s[:limit].strip(sep) or "partner"


def _unique(base: str, taken: Iterable[str], sep: str) -> str:
    taken = set(taken)
    if base not in taken:
        return base
    i = 2
    while f"{base}{sep}{i}" in taken:
        i += 1
    return f"{base}{sep}{i}"


def _pair_measures(ins: Inspection, taken_ids: set[str], prefix: str = "") -> list[IndicatorProposal]:
    """Numerator/denominator pairs where one measure reads as a denominator, else one indicator per measure."""
    measures = ins.measures
    cells = ins.cells
    wide = cells.pivot_table(index=["area_code", "period"], columns="measure", values="number", aggfunc="first")
    whole = {m: bool(((s := cells.loc[cells["measure"] == m, "number"].dropna()) == np.floor(s)).all()) for m in measures}
    den = ""
    if len(measures) >= 2:
        hinted = [m for m in measures if DENOMINATOR_HINTS.search(m)]
        if len(hinted) == 1:
            den = hinted[0]
        else:
            covering = [m for m in measures if m in wide and all(
                ((wide[m] >= wide[o]) | wide[m].isna() | wide[o].isna()).all() for o in measures if o != m and o in wide)]
            den = covering[0] if len(covering) == 1 else ""
    out = []
    for m in measures:
        if m == den:
            continue
        ident = _unique(_slug(f"{prefix} {m}" if prefix and _slug(prefix, "_") not in _slug(m, "_") else m, "_", 48), taken_ids, "_")
        taken_ids.add(ident)
        if den:
            both = wide[[m, den]].dropna() if m in wide and den in wide else pd.DataFrame(columns=[m, den])
            if len(both) and (both[m] <= both[den]).all():
                out.append(IndicatorProposal(ident, m, den, ValueType.PROPORTION.value, 100, "%",
                                             f"{m} as a percentage of {den.lower()}"))
            else:
                out.append(IndicatorProposal(ident, m, den, ValueType.CRUDE_RATE.value, 1000, "per 1,000",
                                             f"{m} per 1,000 {den.lower()}"))
        elif whole.get(m, False):
            out.append(IndicatorProposal(ident, m, "", ValueType.COUNT.value, 1, "count", m))
        else:
            out.append(IndicatorProposal(ident, m, "", ValueType.SCORE.value, 1, TODO + ": unit", m))
    return out


def _frequency(periods: list[str]) -> str:
    if len(periods) < 2:
        return ""
    if all(re.search(r"Q[1-4]", p) for p in periods):
        return "quarterly"
    if all(re.match(r"^(?:19|20)\d{2}-\d{2}$", p) or re.match(r"^[A-Za-z]{3}", p) for p in periods):
        return "monthly"
    if all(re.match(r"^(?:19|20)\d{2}(?:/\d{2})?$", p) for p in periods):
        return "annual"
    return ""


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
            frame = frame.join(den[["number", "suppressed"]].rename(columns={"number": "den", "suppressed": "den_sup"}), how="outer")
        else:
            frame["den"], frame["den_sup"] = np.nan, False
        for (code, period), r in frame.iterrows():
            sup = _true(r["suppressed"]) or _true(r["den_sup"])
            is_value = ind.value_type in (ValueType.SCORE.value, ValueType.MEAN.value)
            rows.append({"indicator_id": ind.id, "area_code": code, "period": period,
                         "numerator": np.nan if is_value else r["number"], "denominator": r["den"],
                         "value": r["number"] if is_value else np.nan,
                         "value_note": "suppressed" if sup else "", "source_row": int(line.get((code, period), 0))})
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def _true(v: Any) -> bool:
    return False if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v)


def ward_parents(tidy: pd.DataFrame, ins: Inspection, geo: Geography, cfg: Config,
                 indicators: list[IndicatorProposal]) -> tuple[pd.DataFrame, list[str]]:
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
    for level, area_type in (("locality", AreaType.LOCALITY.value), ("district", AreaType.DISTRICT.value), ("county", AreaType.COUNTY.value)):
        col = f"{level}_code"
        split = h.groupby("ward_code")[col].nunique()
        if (split > 1).any():
            notes.append(f"{int((split > 1).sum())} wards straddle {level} boundaries: no {level} figures derived (the "
                         f"observatory aggregates from small areas; ask the partner for small-area figures)")
            continue
        members = h.drop_duplicates("ward_code").groupby(col)["ward_code"].apply(set)
        complete = [p for p, wards in members.items() if p and wards <= present]
        incomplete = [p for p, wards in members.items() if p and not wards <= present]
        if level == "county" and ins.totals and not incomplete:
            county = _county_from_total(tidy, ins, cfg, {i.id: i for i in indicators})
            if county is not None:
                parts.append(county)
                notes.append(f"every ward of the county is in the file, so the county's figures ({cfg.county['code']}) are "
                             f"taken from the partner's total row (row {', '.join(str(r) for r, _ in ins.totals)})")
                continue
        if incomplete:
            notes.append(f"{len(incomplete)} {_plural(level, len(incomplete))} not derived: some of their wards are "
                         f"not in the file ({', '.join(incomplete[:5])}{'…' if len(incomplete) > 5 else ''})")
        if not complete:
            continue
        m = tidy.merge(h.drop_duplicates("ward_code")[["ward_code", col]], left_on="area_code", right_on="ward_code")
        m = m[m[col].isin(complete)]
        g = m.groupby(["indicator_id", col, "period"], sort=True)
        agg = g.agg(numerator=("numerator", lambda s: s.sum() if s.notna().all() else np.nan),
                    denominator=("denominator", lambda s: s.sum() if s.notna().all() else np.nan),
                    wards=("area_code", "nunique"), suppressed=("value_note", lambda s: (s == "suppressed").any()),
                    source_row=("source_row", "min")).reset_index()
        agg = agg.rename(columns={col: "area_code"})
        agg["value"] = np.nan
        agg["value_note"] = np.where(agg["suppressed"], "suppressed: a ward's count is suppressed",
                                     "sum of " + agg["wards"].astype(str) + " wards")
        agg["source_row"] = pd.NA
        parts.append(agg[TIDY_COLUMNS])
        notes.append(f"{len(complete)} {_plural(level, len(complete))}: every ward lies within one {level}, "
                     f"so {level} figures are the sums of their wards' counts (a suppressed ward leaves the sum suppressed)")
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TIDY_COLUMNS)
    return out, notes


def _plural(word: str, n: int) -> str:
    return word if n == 1 else (word[:-1] + "ies" if word.endswith("y") else word + "s")


def _county_from_total(tidy: pd.DataFrame, ins: Inspection, cfg: Config, indicators: dict[str, IndicatorProposal]) -> pd.DataFrame | None:
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
            den = t[(t["period"] == period) & (t["measure"] == meta.denominator)]["number"] if meta.denominator else pd.Series(dtype=float)
            n = float(num.iloc[0]) if len(num) else np.nan
            d = float(den.iloc[0]) if len(den) else np.nan
            known = g.loc[g["period"] == period, "numerator"].sum()
            if np.isnan(n) or n < known:
                return None
            rows.append({"indicator_id": ind_id, "area_code": cfg.county["code"], "period": period, "numerator": n,
                         "denominator": d, "value": np.nan, "value_note": "the partner's total row",
                         "source_row": int(t.loc[t["period"] == period, "_row"].min())})
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def _direct_options(ins: Inspection, inds: list[IndicatorProposal]) -> dict[str, Any] | None:
    """Options for the tidy adapter to read the partner's file as it is, or None when it cannot."""
    simple = (len(ins.header_rows) == 1 and not ins.totals and not any(k == "note" for _r, k, _t in ins.dropped)
              and ins.areas.kind == "code" and not ins.areas.unmatched and ins.layout in ("long", "single") and len(inds) == 1
              and not ins.problems and (ins.format == "xlsx" or ins.delimiter == ","))
    if not simple or (ins.layout == "single" and not ins.periods):
        return None
    ind = inds[0]
    area, period = ins.area_column, ins.period_column
    columns = {area.header: "area_code"}
    if period is not None:
        columns[period.header] = "period"
    for c in ins.columns:
        if c.role == "measure":
            if c.measure == ind.numerator:
                columns[c.header] = "value" if ind.value_type in (ValueType.SCORE.value, ValueType.MEAN.value) else "numerator"
            elif c.measure == ind.denominator:
                columns[c.header] = "denominator"
    opts: dict[str, Any] = {"header_row": ins.header_rows[0]} if ins.header_rows[0] != 1 else {}
    if ins.format == "xlsx" and len(ins.sheets) > 1:
        opts["sheet"] = ins.sheet
    if ins.encoding not in ("", "utf-8", "utf-8-sig"):
        opts["encoding"] = ins.encoding
    opts["columns"] = columns
    opts["indicator"] = ind.id
    if period is None:
        opts["period"] = ins.periods[0]
    if ins.thousands:
        opts["thousands"] = ins.thousands
    if _small_area_vintage(ins):
        opts["vintage"] = _small_area_vintage(ins)
    return opts


def _small_area_vintage(ins: Inspection) -> str:
    """The vintage of small-area codes (the ``vintage`` option), or "" for other area types."""
    a = ins.areas
    return a.vintage if a.kind == "code" and a.area_type not in NAMED_TYPES and a.area_type != AreaType.COUNTY.value else ""


def _check_direct(path: Path, options: dict[str, Any], expected_rows: int) -> bool:
    from observatory.ingest import adapters as sources

    try:
        extract = sources.read("tidy", path, options)
    except Exception:  # noqa: BLE001 - any failure means: convert instead
        return False
    return not extract.report and len(extract.frame) == expected_rows


def _partner_guess(title: str, cfg: Config) -> str:
    from observatory.metadata.catalogue import read_partners

    partners = read_partners()
    partners = partners[partners["synthetic"] == cfg.synthetic]
    text = name_key(title)
    hits = [pid for pid, name in zip(partners["id"], partners["name"])
            if name_key(re.sub(r"\(.*?\)", "", name)) and name_key(re.sub(r"\(.*?\)", "", name)) in text]
    return hits[0] if len(hits) == 1 else ""


def _yaml_value(v: Any) -> str:
    if isinstance(v, (dt.date, bool, int, float)) or v is None:
        return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()
    if isinstance(v, list):
        return yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    return yaml.safe_dump(str(v), default_style=None, width=10_000, allow_unicode=True).strip().removesuffix("...").strip()


def _record_text(record: dict[str, Any], comments: dict[str, str], review: list[str], header: str) -> str:
    lines = [header, "- review:   # inferred by add-dataset: check each field below, then delete its line here"]
    lines += [f"    - {f}" for f in review] if review else ["    []"]
    for k, v in record.items():
        c = comments.get(k)
        lines.append(f"  {k}: {_yaml_value(v)}" + (f"   # {c}" if c else ""))
    return "\n".join(lines) + "\n"


def propose_dataset(path: Path | str, config: Config | str = "demo", out: Path | str | None = None, *,
                    name: str | None = None, sheet: str | int | None = None, today: dt.date | str | None = None) -> Proposal:
    """Inspect a partner's file and write proposals for the analyst to review into ``out``
    (default ``data/<config>/proposals/<name>/``): ``catalogue.yaml`` (the record, inferred fields listed
    under ``review:``, unknown ones ``TODO``), ``indicators.csv`` (inferred fields listed in its ``review``
    column), ``source.yaml`` (the source entry), the converted tidy data when the file needs converting,
    ``README.md`` (what was found) and ``proposal.json`` (the file's digest). Nothing is ingested."""
    from observatory.metadata.catalogue import load_catalogue
    from observatory.geo.areas import Geography
    from observatory.metadata.indicators import read_indicators

    path = Path(path)
    cfg = config if isinstance(config, Config) else load_config(config)
    today = dt.date.fromisoformat(today) if isinstance(today, str) else (today or dt.date.today())
    geo = Geography(cfg)
    ins = inspect_file(path, cfg, sheet=sheet, geography=geo)
    if ins.cells.empty:
        ins.problems.raise_if_problems()
        raise ValidationError(Report([_problem(path.name, "no figures for known areas could be read from the file")]))
    catalogue = load_catalogue(cfg, validate=False)
    existing_inds = read_indicators(cfg.indicators_file)
    dataset = _unique(_slug(name or path.stem), set(catalogue.index), "-")
    folder = Path(out) if out else cfg.dir / "proposals" / dataset
    folder.mkdir(parents=True, exist_ok=True)

    inds = _pair_measures(ins, set(existing_inds.index), dataset)
    tidy = tidy_frame(ins, inds)
    derived_notes: list[str] = []
    if ins.areas.area_type == AreaType.WARD.value:
        parents, derived_notes = ward_parents(tidy, ins, geo, cfg, inds)
        tidy = pd.concat([tidy, parents], ignore_index=True) if len(parents) else tidy
    ins.notes.extend(derived_notes)

    frequency = _frequency(ins.periods)
    options = _direct_options(ins, inds)
    mode = "direct" if options is not None and _check_direct(path, options, len(tidy)) else "converted"
    data_name = f"{dataset}{path.suffix.lower()}" if mode == "direct" else f"{dataset}.csv"
    if mode == "converted":
        options = {"vintage": _small_area_vintage(ins)} if _small_area_vintage(ins) else {}
        if ins.layout == "single" and not ins.periods:
            options["period"] = f"{TODO}: the period these figures cover, e.g. 2024/25"
            tidy = tidy.drop(columns="period")
        written = tidy.copy()
        for c in ("numerator", "denominator", "value"):
            written[c] = written[c].map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
        written["source_row"] = written["source_row"].map(lambda v: "" if pd.isna(v) else str(int(v)))
        written.to_csv(folder / data_name, index=False)

    # indicators.csv
    review_inds: list[str] = []
    ind_rows = []
    for ind in inds:
        inferred = ["id", "title", "unit", "value_type", "multiplier"] + (["frequency"] if frequency else [])
        ind_rows.append({
            "id": ind.id, "title": ind.title, "theme": f"{TODO}: theme", "unit": ind.unit, "value_type": ind.value_type,
            "multiplier": f"{ind.multiplier:g}", "polarity": f"{TODO}: polarity", "dataset": dataset,
            "frequency": frequency or f"{TODO}: frequency",
            "definition": f"{TODO}: definition (numerator '{ind.numerator}'" + (f", denominator '{ind.denominator}'" if ind.denominator else "")
                          + f", from {path.name})",
            "review": "; ".join(inferred)})
        review_inds.append(f"{ind.id}: {', '.join(inferred)}")
    pd.DataFrame(ind_rows, columns=INDICATOR_FIELDS + ["review"]).to_csv(folder / "indicators.csv", index=False)

    # catalogue.yaml
    partner = _partner_guess(ins.title, cfg)
    level = ins.areas.area_type
    coverage = (f"{ins.periods[0]}-{ins.periods[-1]}" if len(ins.periods) > 1 else (ins.periods[0] if ins.periods else f"{TODO}: time coverage"))
    quality = [f"Received as {path.name}."]
    if ins.suppressed:
        quality.append("The partner suppresses small counts (" + ", ".join(f"'{k}'" for k in sorted(ins.suppressed)) + ").")
    if ins.areas.kind == "name":
        quality.append(f"Areas supplied as {ins.areas.area_type} names and matched to codes by add-dataset.")
    if ins.areas.unmatched:
        quality.append(f"{len(ins.areas.unmatched)} row(s) for areas outside the geography left out ("
                       + "; ".join(f"'{t}'" for _r, t in ins.areas.unmatched[:3]) + ").")
    if len(tidy) and (tidy["area_code"].map(dict(zip(geo.areas["code"], geo.areas["type"]))) != ins.areas.area_type).any():
        quality.append(f"Figures for larger areas were derived from the {ins.areas.area_type}s by add-dataset (see its README).")
    vintage = ins.areas.vintage or f"{TODO}: vintage of the area codes"
    record: dict[str, Any] = {
        "id": dataset,
        "title": (ins.title.split(" — ")[0] if ins.title else f"{TODO}: title"),
        "description": f"{TODO}: what the dataset holds, who collects it and how",
        "partner": partner or f"{TODO}: partner id from data/partners.yaml",
        "steward": f"{TODO}: the partner's data steward (role, organisation)",
        "contact": f"{TODO}: contact e-mail or web address",
        "classification": f"{TODO}: open | OFFICIAL | OFFICIAL-SENSITIVE",
        "audience": f"{TODO}: public | partners | named partners",
        "lawful_basis": f"{TODO}: lawful basis for sharing",
        "agreement": f"{TODO}: information-sharing agreement (schedule, version)",
        "personal_data": False,
        "dpia": f"{TODO}: DPIA reference, or 'not required'",
        "geography_level": level,
        "geography_vintage": vintage,
        "time_coverage": coverage,
        "update_frequency": frequency or f"{TODO}: annual | quarterly | monthly | weekly | census | periodic | irregular | one-off",
        "last_received": today,
        "next_review": today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29) else today + dt.timedelta(days=365),
        "licence": f"{TODO}: licence or terms of use",
        "attribution": f"{TODO}: attribution statement to print with the figures",
        "retention": f"{TODO}: how long the data are kept",
        "quality_notes": " ".join(quality),
    }
    if cfg.synthetic:
        record["synthetic"] = True
    record["source"] = f"{path.name} (received {today.isoformat()}; inspected by observatory add-dataset)"
    record["files"] = [f"sources/{data_name}"]
    record["indicators"] = [i.id for i in inds]
    review_record = ["id", "title", "personal_data", "geography_level", "geography_vintage", "time_coverage", "last_received",
                     "next_review", "quality_notes", "indicators"]
    if partner:
        review_record.insert(2, "partner")
    if frequency:
        review_record.insert(7, "update_frequency")
    review_record = [f for f in review_record if not (isinstance(record.get(f), str) and MARKER_RE.search(record[f]))]
    comments = {"classification": "information-sharing charter classification", "audience": "who may see outputs built on it",
                "personal_data": "true if any row describes a person", "partner": "an id from data/partners.yaml"}
    header = (f"# Proposed catalogue record for {path.name}, written by `observatory add-dataset` on {today.isoformat()}.\n"
              "# Complete every TODO, check every field listed under review: and delete it from that list.\n"
              "# Fields are described in docs/catalogue.md; `--apply` appends this record to the configuration's catalogue.")
    (folder / "catalogue.yaml").write_text(_record_text(record, comments, review_record, header), encoding="utf-8")

    # source.yaml
    source_review = [f"unmatched area: row {r} '{t}' is left out (fix the file and re-run, or delete this line to accept)"
                     for r, t in ins.areas.unmatched]
    source_review += [f"problem: {p}" for p in ins.problems]
    if ins.period_from_title:
        source_review.append(f"period {ins.periods[0]!r} was taken from the title: check it")
    source = {"id": dataset, "title": record["title"], "adapter": "tidy", "file": f"sources/{data_name}", "dataset": dataset,
              "options": options}
    text = (f"# Proposed source entry for config.yaml's sources: (add-dataset --apply appends it).\n"
            f"# {'The tidy adapter reads the partner file as it is, with these options.' if mode == 'direct' else f'The tidy adapter reads {data_name}: the partner figures converted to the tidy value table.'}\n")
    text += yaml.safe_dump(source, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None)
    text += "review:   # delete each line once resolved\n" + ("".join(f"  - {yaml.safe_dump(x, width=10_000).strip().removesuffix('...').strip()}\n" for x in source_review) if source_review else "  []\n")
    (folder / "source.yaml").write_text(text, encoding="utf-8")

    meta = {"file": path.name, "sha256": sha256_file(path), "config": cfg.name, "created": today.isoformat(), "mode": mode,
            "data": data_name, "dataset": dataset, "indicators": [i.id for i in inds], "sheet": ins.sheet}
    (folder / "proposal.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    todo = {"catalogue.yaml": [f for f, v in record.items() if isinstance(v, str) and MARKER_RE.search(v)],
            "indicators.csv": [f"{i.id} {c}" for i in inds for c, v in ind_rows[inds.index(i)].items()
                               if c != "review" and MARKER_RE.search(str(v))],
            "source.yaml": [k for k, v in options.items() if MARKER_RE.search(str(v))]}
    review = {"catalogue.yaml": review_record, "indicators.csv": review_inds, "source.yaml": source_review}
    proposal = Proposal(folder, dataset, [i.id for i in inds], mode, data_name, ins, todo, review)
    _write_readme(proposal, cfg, record, inds, today)
    return proposal


def _problem(file: str, reason: str, row: int | None = None, column: str | None = None):
    from observatory.errors import Problem

    return Problem(file, row, column, reason)


def _write_readme(proposal: Proposal, cfg: Config, record: dict, inds: list[IndicatorProposal], today: dt.date) -> None:
    folder, path, ins, mode, data_name = proposal.folder, proposal.inspection.path, proposal.inspection, proposal.mode, proposal.data_file
    lines = [f"# Proposal: {record['id']} from {path.name}", "",
             f"Written by `observatory add-dataset` on {today.isoformat()} for the configuration `{cfg.name}` ({cfg.label}).",
             "**Nothing has been ingested.** Review the files here, complete every `TODO`, delete each review marker once "
             "checked, then apply:", "",
             f"    {proposal.apply_command(cfg.name)}", "",
             "`--apply` refuses while any marker remains. It appends the record to the catalogue, the indicators to "
             "indicators.csv and the source to the configuration's sources, copies the data into `sources/`, and ingests "
             "it; if anything fails, every file is restored exactly as it was.", "", "## What was found", ""]
    lines += [f"- {n}" for n in ins.notes]
    if ins.problems:
        lines += ["", "## Problems", ""] + [f"- {p}" for p in ins.problems]
    lines += ["", "## Files", "",
              "- `catalogue.yaml`: the catalogue record. Fields listed under `review:` were inferred; fields saying `TODO` "
              "could not be.",
              "- `indicators.csv`: one row per proposed indicator; its `review` column lists inferred fields (empty it once checked).",
              "- `source.yaml`: the source entry and its `review:` list (unmatched areas, problems)."]
    if mode == "converted":
        lines.append(f"- `{data_name}`: the partner's figures as the tidy value table (`source_row` is the line in {path.name}).")
    else:
        lines.append(f"- no converted data: the tidy adapter reads {path.name} as it is with the options in `source.yaml`.")
    lines += ["- `proposal.json`: the file's digest, so that `--apply` uses the file that was inspected.", "",
              "## Indicators", ""]
    for i in inds:
        lines.append(f"- `{i.id}`: {i.title} — {i.value_type}, multiplier {i.multiplier:g}, unit {i.unit}"
                     + (f" (numerator '{i.numerator}', denominator '{i.denominator}')" if i.denominator else f" ('{i.numerator}')"))
    lines += ["", "Themes: " + ", ".join(t.value for t in Theme) + ".",
              "Polarity: " + ", ".join(p.value for p in Polarity) + ".",
              "Value types: " + ", ".join(v.value for v in ValueType) + ".", "", "## To complete or review", ""]
    for f in ("catalogue.yaml", "indicators.csv", "source.yaml"):
        if proposal.todo.get(f):
            lines.append(f"- `{f}`, to complete (`TODO`): " + ", ".join(proposal.todo[f]))
        if proposal.review.get(f):
            lines.append(f"- `{f}`, to check (inferred or left out): " + "; ".join(proposal.review[f]))
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- checking and applying

def _read_proposal(folder: Path) -> tuple[dict, list[dict[str, Any]], list[dict[str, int]], pd.DataFrame, dict[str, Any], dict[str, int]]:
    from observatory.metadata.catalogue import _parse

    meta = json.loads((folder / "proposal.json").read_text())
    records, lines = _parse(folder / "catalogue.yaml")
    inds = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    source_text = (folder / "source.yaml").read_text()
    source = yaml.safe_load(source_text) or {}
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


def check_proposal(folder: Path | str) -> Report:
    """Every marker left in a proposal: ``TODO`` values and non-empty ``review`` lists, each with its file,
    line and field. Empty when the analyst has completed the records."""
    folder = Path(folder)
    report = Report()
    for f in ("catalogue.yaml", "indicators.csv", "source.yaml", "proposal.json"):
        if not (folder / f).exists():
            report.add(f, None, None, f"missing from the proposal folder {folder}")
    if report:
        return report
    _meta, records, lines, inds, source, source_lines = _read_proposal(folder)
    if len(records) != 1 or not isinstance(records[0], dict):
        report.add("catalogue.yaml", None, None, "the proposal must hold exactly one catalogue record")
        return report
    record, where = records[0], lines[0]
    for f in record.get("review") or []:
        report.add("catalogue.yaml", where.get(str(f), where.get("review")), str(f), f"field {f!r} is still marked for review: check its "
                   "value, then delete it from the review list")
    for k, v in record.items():
        if k != "review":
            for m in _markers(v):
                report.add("catalogue.yaml", where.get(k, where[""]), k, f"field {k!r} is still to complete: {m}")
    for i, row in enumerate(inds.to_dict("records"), start=2):
        if str(row.get("review", "")).strip():
            report.add("indicators.csv", i, "review", f"indicator {row.get('id')}: still marked for review: {row['review']} "
                       "(empty the review column once checked)")
        for k, v in row.items():
            if k != "review" and MARKER_RE.search(str(v)):
                report.add("indicators.csv", i, k, f"indicator {row.get('id')}: field {k!r} is still to complete: {v}")
    for item in source.get("review") or []:
        report.add("source.yaml", source_lines.get("review"), "review", f"still marked for review: {item}")
    for k, v in source.items():
        if k != "review":
            for m in _markers(v):
                report.add("source.yaml", source_lines.get(k), k, f"field {k!r} is still to complete: {m}")
    order = {"catalogue.yaml": 0, "indicators.csv": 1, "source.yaml": 2}
    report.problems.sort(key=lambda p: (order.get(p.file, 3), p.row or 0))
    return report


def _sources_target(cfg: Config) -> Path:
    s = cfg.raw.get("sources")
    return cfg.local_path(s) if isinstance(s, str) else cfg.dir / "config.yaml"


def _insert_source(text: str, entry: dict[str, Any], own_file: bool) -> str:
    """``text`` (config.yaml, or a sources file holding a bare list) with ``entry`` appended to its sources list,
    comments and layout kept."""
    dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None)
    lines = text.splitlines(keepends=True)
    if text and not text.endswith("\n"):
        lines[-1] += "\n"
    if own_file:
        start, stop = -1, len(lines)
    else:
        start = next((i for i, ln in enumerate(lines) if re.match(r"^sources\s*:\s*(#.*)?$", ln)), None)
        if start is None:
            if any(re.match(r"^sources\s*:", ln) for ln in lines):
                raise ValueError("config.yaml's sources: is written inline; write it as a block list to add a source")
            return "".join(lines) + "\nsources:\n" + _indent(dumped, "  ")
        stop = next((i for i in range(start + 1, len(lines)) if re.match(r"^[^\s#-]", lines[i])), len(lines))
    items = [ln for ln in lines[start + 1:stop] if re.match(r"^\s*- ", ln)]
    indent = re.match(r"^(\s*)-", items[0]).group(1) if items else ("" if own_file else "  ")
    end = stop
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:end]) + _indent(dumped, indent) + "".join(lines[end:])


def _indent(text: str, indent: str) -> str:
    return "".join(indent + ln if ln.strip() else ln for ln in text.splitlines(keepends=True))


def apply_proposal(folder: Path | str, config: Config | str = "demo", *, file: Path | str | None = None,
                   store: Path | str | None = None) -> dict[str, Any]:
    """Append a completed proposal to the configuration and ingest it, all or nothing.

    Refuses (ValidationError naming every file, line and field) while markers remain, when ``file`` is not
    the file that was inspected, or when ids clash with the configuration. Then appends the record to the
    catalogue, the indicators to indicators.csv and the source to the sources list, copies the data into
    the configuration's ``sources/`` folder, validates the catalogue and ingests the new source into
    ``store`` (default the configuration's store). If any step fails every file is restored byte for byte
    and the store is left as it was. Returns what was added and the ingest counts."""
    from observatory.metadata.catalogue import catalogue_file, validate_catalogue
    from observatory.metadata.indicators import read_indicators
    from observatory.ingest.pipeline import ingest
    from observatory.store import Store

    folder = Path(folder)
    cfg = config if isinstance(config, Config) else load_config(config)
    report = check_proposal(folder)
    report.raise_if_problems()
    meta, records, _lines, inds, source, _sl = _read_proposal(folder)
    record = {k: v for k, v in records[0].items() if k != "review"}
    source = {k: v for k, v in source.items() if k != "review"}
    if file is not None:
        digest = sha256_file(file)
        if digest != meta["sha256"]:
            report.add(Path(file).name, None, None, f"is not the file that was inspected ({meta['file']}): it changed "
                       "since; run add-dataset on it again")
    if meta.get("config") not in (cfg.name,):
        report.add("proposal.json", None, "config", f"the proposal was made for configuration {meta.get('config')!r}, not {cfg.name!r}")
    existing = read_indicators(cfg.indicators_file)
    cat_path = catalogue_file(cfg)
    from observatory.metadata.catalogue import _records

    known_datasets = {str(r.get("id")) for r in _records(cat_path) if isinstance(r, dict)} if cat_path.exists() else set()
    rid = str(record.get("id", ""))
    if rid in known_datasets:
        report.add("catalogue.yaml", None, "id", f"dataset {rid!r} is already in {cat_path.name}")
    for i, ind in enumerate(inds["id"], start=2):
        if ind in existing.index:
            report.add("indicators.csv", i, "id", f"indicator {ind!r} is already in {cfg.indicators_file.name}")
    if str(source.get("dataset")) != rid:
        report.add("source.yaml", None, "dataset", f"source dataset {source.get('dataset')!r} is not the record's id {rid!r}")
    for i, d in enumerate(inds["dataset"], start=2):
        if d != rid:
            report.add("indicators.csv", i, "dataset", f"indicator {inds['id'].iloc[i - 2]}: dataset {d!r} is not the record's id {rid!r}")
    if any(s.id == source.get("id") for s in cfg.sources):
        report.add("source.yaml", None, "id", f"source {source.get('id')!r} is already in the configuration")
    renamed = {}
    if len(inds) == len(meta["indicators"]):
        renamed = {old: new for old, new in zip(meta["indicators"], inds["id"]) if old != new}
    else:
        report.add("indicators.csv", None, "id", f"the proposal had {len(meta['indicators'])} indicator(s); rows may be "
                   "edited but not added or removed (run add-dataset again)")
    data_src = folder / meta["data"] if meta["mode"] == "converted" else (Path(file) if file else None)
    if data_src is None or not data_src.exists():
        report.add(meta["data"], None, None, "the data to ingest is missing" + ("" if file else ": give the partner's file"))
    target = cfg.local_path(source["file"]) if source.get("file") else None  # in the configuration's folder, never the data root
    if target is not None:
        source["file"] = Path(os.path.relpath(target, cfg.data_root.resolve())).as_posix()  # entries are relative to the data root
    if target is None:
        report.add("source.yaml", None, "file", "the source entry needs a file (sources/<name>.csv)")
    elif target.exists():
        report.add("source.yaml", None, "file", f"{target} already exists")
    report.raise_if_problems()

    sources_path = _sources_target(cfg)
    saved = {p: (p.read_bytes() if p.exists() else None) for p in (cat_path, cfg.indicators_file, sources_path, target)}
    created_dirs = [d for d in (target.parent,) if not d.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if meta["mode"] == "converted":
            data = pd.read_csv(data_src, dtype=str, keep_default_na=False)
            if renamed:
                data["indicator_id"] = data["indicator_id"].map(lambda v: renamed.get(v, v))
            data.to_csv(target, index=False)
        else:
            shutil.copyfile(data_src, target)
            opts = dict(source.get("options") or {})
            if renamed and opts.get("indicator") in renamed:
                opts["indicator"] = renamed[opts["indicator"]]
                source["options"] = opts
        cat_text = cat_path.read_text() if cat_path.exists() else ""
        sep = "" if not cat_text or cat_text.endswith("\n\n") else ("\n" if cat_text.endswith("\n") else "\n\n")
        body = "".join(f"  {k}: {_yaml_value(v)}\n" for k, v in record.items())
        cat_path.write_text(cat_text + sep + "- " + body[2:], encoding="utf-8")
        ind_text = cfg.indicators_file.read_text(encoding="utf-8-sig")
        header = next(csv.reader([ind_text.splitlines()[0]]))
        rows = inds.drop(columns=[c for c in ("review",) if c in inds.columns])
        rows = rows.reindex(columns=header, fill_value="")
        buf = io.StringIO()
        rows.to_csv(buf, index=False, header=False, lineterminator="\n")
        cfg.indicators_file.write_text(ind_text + ("" if ind_text.endswith("\n") else "\n") + buf.getvalue(), encoding="utf-8")
        own = sources_path != cfg.dir / "config.yaml"
        sources_path.write_text(_insert_source(sources_path.read_text(), source, own), encoding="utf-8")
        fresh = load_config(cfg.dir)
        if not any(s.id == source["id"] for s in fresh.sources):
            raise ValidationError(Report([_problem(sources_path.name, "the source entry could not be added to the sources list")]))
        validate_catalogue(fresh).raise_if_problems()
        st = Store(store or fresh.store_dir())
        counts = ingest(fresh, st, sources_ids=[source["id"]])
    except BaseException:
        for p, content in saved.items():
            if content is None:
                p.unlink(missing_ok=True)
            else:
                p.write_bytes(content)
        for d in created_dirs:
            if d.exists() and not any(d.iterdir()):
                d.rmdir()
        raise
    return {"dataset": rid, "indicators": list(inds["id"]), "source": source["id"], "file": str(target),
            "store": str(st.path), **counts}


# --------------------------------------------------------------------------- command

def add_dataset_cli(
    file: Path = typer.Argument(..., help="The partner's CSV or XLSX file.", exists=True, dir_okay=False),
    config: str = typer.Option("demo", "--config", "-c", help="Configuration name (demo, warwickshire) or folder."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Proposal folder (default data/<config>/proposals/<name>/)."),
    name: str | None = typer.Option(None, "--name", "-n", help="Dataset id to propose (default: from the file name)."),
    sheet: str | None = typer.Option(None, "--sheet", help="XLSX sheet name or 0-based index (default: the first with data)."),
    apply: Path | None = typer.Option(None, "--apply", help="Apply this completed proposal folder: append the records and ingest."),
    store: Path | None = typer.Option(None, "--store", help="Store directory for --apply (default build/store/<config>)."),
) -> None:
    """Inspect a partner's file and propose a catalogue record, indicators and a source for review.

    With --apply FOLDER, add the completed proposal to the configuration and ingest it (all or nothing).
    """
    from rich.console import Console

    console, err = Console(), Console(stderr=True)

    def fail(e: ValidationError, what: str) -> None:
        err.print(f"[bold red]{what}[/]: {len(e.report)} problem(s); nothing was changed.")
        for p in e.report:
            err.print(f"  {p}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1)

    cfg = load_config(config)
    if apply is not None:
        try:
            done = apply_proposal(apply, cfg, file=file, store=store)
        except ValidationError as e:
            fail(e, "add-dataset refused")
        except (ValueError, KeyError, FileNotFoundError) as e:
            err.print(f"[bold red]add-dataset refused[/]: {e}; nothing was changed.")
            raise typer.Exit(2)
        console.print(f"added dataset {done['dataset']} with indicator(s) {', '.join(done['indicators'])} to {cfg.label}; "
                      f"data in {_rel(Path(done['file']))}; ingested into {_rel(Path(done['store']))}: {done['added']} added, "
                      f"{done['replaced']} replaced, {done['unchanged']} unchanged", highlight=False, soft_wrap=True)
        return
    try:
        proposal = propose_dataset(file, cfg, out, name=name, sheet=int(sheet) if sheet and sheet.isdigit() else sheet)
    except ValidationError as e:
        fail(e, "add-dataset could not read the file")
    console.print(proposal.describe(config), highlight=False, soft_wrap=True)


__all__ = ["inspect_file", "propose_dataset", "check_proposal", "apply_proposal", "add_dataset_cli", "Inspection", "Proposal",
           "name_key", "tidy_frame", "ward_parents"]
