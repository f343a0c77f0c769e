"""Inspecting a partner's file: how it is laid out and what its figures are, said in words and as values.

:func:`inspect_file` never guesses silently: every reading it makes is a note, every obstacle a problem
with a stable code naming the partner's own file, sheet, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from observatory._core.markers import MISSING
from observatory._core.spreadsheets import looks_like_formula
from observatory.config import Config, load_config
from observatory.errors import Report
from observatory.geo.areas import Geography
from observatory.ingest.adapters._common import period_sort_key
from observatory.onboarding.cells import (
    PERIOD_HEADER,
    PERIOD_IN_TEXT,
    TOTAL_RE,
    is_data_like,
    is_figure,
    is_period,
    normal_period,
    read_figure,
)
from observatory.onboarding.gazetteer import Areas, Gazetteer
from observatory.onboarding.grid import DELIMITER_NAMES, Column, Sheet, columns, header_block, read_csv, read_xlsx

CELL_COLUMNS = ["_row", "area_text", "area_code", "period", "measure", "number", "suppressed", "raw", "column"]
FINGERTIPS_COLUMNS = (
    "indicator id",
    "indicator name",
    "area code",
    "area name",
    "area type",
    "time period",
    "value",
    "lower ci 95.0 limit",
    "upper ci 95.0 limit",
    "count",
    "denominator",
    "value note",
    "time period sortable",
    "compared to england value or percentiles",
)
FATAL = frozenset(
    {"unreadable-file", "unknown-sheet", "field-too-long", "no-header", "fingertips-layout", "no-area-column", "no-figures"}
)
"""Problem codes after which no proposal can be made (the others are listed in the proposal for review)."""


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
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per figure: CELL_COLUMNS
    total_cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    problems: Report = field(default_factory=Report)

    @property
    def where(self) -> str:
        """The partner's file as problems name it: its name, and the sheet of a workbook."""
        return f"{self.path.name}, sheet '{self.sheet}'" if self.format == "xlsx" and self.sheet else self.path.name

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

    @property
    def fatal(self) -> bool:
        return bool(self.problems.codes & FATAL)


def inspect_file(
    path: Path | str, config: Config | str = "demo", *, sheet: str | int | None = None, geography: Geography | None = None
) -> Inspection:
    """Read a partner's CSV or XLSX and say how it is laid out: encoding, delimiter, header rows (merged
    cells), geography column (codes of which type and vintage, or names resolved to codes), periods,
    measures, suppressed cells, thousands separators, and total and note rows to leave out."""
    path = Path(path)
    cfg = config if isinstance(config, Config) else load_config(config)
    fmt = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv"
    ins = Inspection(path=path, format=fmt, config_name=cfg.name)
    grid = _read(ins, sheet)
    if grid is None or not _locate_header(ins, grid):
        return ins
    geo = geography or Geography(cfg)
    width = len(ins.columns)
    body = [(r, (cells + [""] * width)[:width]) for r, cells in grid.grid if r > ins.header_rows[-1]]
    data_rows, singles = _split_rows(ins, body)
    plain = [(r, c) for r, c in data_rows if r not in {t for t, _ in ins.totals}]
    _assign_roles(ins, plain)
    gaz = Gazetteer(geo)
    if not _read_areas(ins, plain, gaz, geo, cfg):
        return ins
    data_rows += _area_singles(ins, singles, gaz)
    data_rows.sort(key=lambda x: x[0])
    _match_areas(ins, data_rows, gaz, geo, cfg)
    if not _read_periods(ins, plain):
        return ins
    _read_cells(ins, data_rows)
    _describe(ins)
    return ins


def _read(ins: Inspection, sheet: str | int | None) -> Sheet | None:
    """The grid of the partner's file, with a note of how it was read; None when it cannot be read."""
    if ins.format == "xlsx":
        grid = read_xlsx(ins.path, sheet, ins.problems)
        if grid is None:
            return None
        ins.sheet, ins.sheets = grid.sheet, list(grid.sheets)
        ins.notes.append(
            f"Excel workbook; read sheet '{ins.sheet}'" + (f" (sheets: {', '.join(ins.sheets)})" if len(ins.sheets) > 1 else "")
        )
    else:
        grid = read_csv(ins.path, ins.problems)
        if grid is None:
            return None
        ins.encoding, ins.delimiter = grid.encoding, grid.delimiter
        ins.notes.append(f"CSV, {DELIMITER_NAMES[ins.delimiter]}-delimited, encoding {ins.encoding}")
    return grid


def _locate_header(ins: Inspection, sheet: Sheet) -> bool:
    """The title rows, header rows and columns of the table; False (with a problem) when there is none or it
    is a Fingertips download or a cell is far too long."""
    grid, merged = sheet.grid, sheet.merged
    start, end, header = header_block(grid, merged)
    if start < 0:
        ins.problems.add(
            ins.where, None, None, "no header row found: expected a row of column names above the figures", "no-header"
        )
        return False
    ins.header_rows = [grid[i][0] for i in range(start, end + 1)]
    ins.columns = columns(header)
    for line, j, length in sheet.long_cells:
        header_ = ins.columns[j].header if j < len(ins.columns) else f"column {j + 1}"
        ins.problems.add(
            ins.where,
            line,
            header_,
            f"a cell of {length:,} characters: far over any label or figure (the limit is 10,000); is this the right file?",
            "field-too-long",
        )
    if sheet.long_cells or _fingertips(ins):
        return False
    above = [(r, " ".join(c for c in cells if c)) for r, cells in grid[:start] if any(cells)]
    ins.title = " — ".join(t for _r, t in above)
    if above:
        where = f"row {above[0][0]}" if len(above) == 1 else f"rows {above[0][0]}–{above[-1][0]}"
        ins.notes.append(f'title above the header ({where}): "{ins.title}"')
        if looks_like_formula(ins.title):
            ins.problems.add(
                ins.where,
                above[0][0],
                None,
                f"the title {ins.title[:40]!r} begins like a spreadsheet formula: "
                "it is proposed as the dataset's title with a leading quote (check it)",
                "formula-like-text",
            )
    top, bottom = ins.header_rows[0], ins.header_rows[-1]
    ins.merged = [str(r.coord) for r in merged if r.min_row <= bottom and r.max_row >= 1]
    header_merges = [str(r.coord) for r in sorted(merged, key=lambda r: (r.min_row, r.min_col)) if top <= r.min_row <= bottom]
    ins.notes.append(
        f"header on row{'s' if top != bottom else ''} {top}{f'–{bottom}' if top != bottom else ''}"
        + (f", merged cells {', '.join(header_merges)}" if header_merges else "")
    )
    return True


def _fingertips(ins: Inspection) -> bool:
    """True (with a ``fingertips-layout`` problem) when the header is that of a Fingertips download."""
    names = {c.header.strip().casefold() for c in ins.columns}
    found = [n for n in FINGERTIPS_COLUMNS if n in names]
    if len(found) < 8 or not {"indicator id", "area code", "time period", "value"} <= names:
        return False
    ins.problems.add(
        ins.where,
        ins.header_rows[-1],
        None,
        "is a Fingertips (OHID public health profiles) download: columns 'Indicator ID', 'Area Code', "
        "'Time period', 'Value', 'Count', 'Denominator'… Add it as a source read by the fingertips adapter "
        "(adapter: fingertips in the configuration's sources, indicators mapped by their Indicator ID) "
        "instead of add-dataset, which would read its columns as indicators",
        "fingertips-layout",
    )
    return True


def _split_rows(ins: Inspection, body: list[tuple[int, list[str]]]) -> tuple[list, list]:
    """Data rows (total rows among them, also noted in ``ins.totals``) and rows with a single label."""
    data_rows, singles = [], []
    for r, cells in body:
        texts = [c for c in cells if c]
        if not texts:
            continue
        label = next((c for c in cells if c and not is_data_like(c)), "")
        if label and TOTAL_RE.search(label):
            ins.totals.append((r, label))
            ins.dropped.append((r, "total", label))
            data_rows.append((r, cells))
        elif len(texts) == 1 and not is_data_like(texts[0]):
            singles.append((r, cells))
        else:
            data_rows.append((r, cells))
    return data_rows, singles


def _assign_roles(ins: Inspection, plain: list[tuple[int, list[str]]]) -> None:
    """Measures (columns mostly of numbers) and the period column, by their values and headers."""
    for col in ins.columns:
        values = [cells[col.index] for _r, cells in plain if cells[col.index]]
        if not values:
            continue
        periods = all(is_period(v) for v in values)
        if periods and (PERIOD_HEADER.search(col.header) or any(not is_figure(v) for v in values)):
            col.role = "period"
        elif sum(is_data_like(v) or v in MISSING for v in values) >= 0.8 * len(values) and any(is_figure(v) for v in values):
            col.role = "measure"
            if looks_like_formula(col.measure):
                ins.problems.add(
                    ins.where,
                    ins.header_rows[-1],
                    col.header,
                    f"the header {col.measure[:40]!r} begins like a "
                    "spreadsheet formula: it is proposed as an indicator title with a leading quote (check it)",
                    "formula-like-text",
                )


def _read_areas(ins: Inspection, plain: list, gaz: Gazetteer, geo: Geography, cfg: Config) -> bool:
    """The geography column: the one whose values best read as codes or names of known areas."""
    best, best_col = (0, "", "", ""), None
    for col in ins.columns:
        if col.role != "ignored":
            continue
        s = gaz.score(sorted({cells[col.index] for _r, cells in plain if cells[col.index]}))
        if s[0] > best[0] or (s[0] == best[0] and s[0] and s[1] == "code" and best[1] == "name"):
            best, best_col = s, col
    if best_col is None or best[0] == 0:
        ins.problems.add(
            ins.where,
            None,
            None,
            f"no column holds area codes or names of {cfg.label}'s geography (small areas, wards, localities or districts)",
            "no-area-column",
        )
        return False
    best_col.role = "area"
    ins.areas = Areas(column=best_col.header, kind=best[1], area_type=best[2], vintage=best[3])
    if ins.areas.kind == "code" and ins.areas.area_type == geo.small_area_type:
        values = [cells[best_col.index] for _r, cells in plain if cells[best_col.index]]
        ins.areas.vintage, problems, note = gaz.code_vintage(values, ins.areas.area_type, geo.vintage)
        for p in problems:
            ins.problems.add(ins.where, None, best_col.header, p, "mixed-vintages")
        if note:
            ins.notes.append(note)
    return True


def _area_singles(ins: Inspection, singles: list, gaz: Gazetteer) -> list:
    """Single-label rows naming an area (data rows without figures); the others are notes, left out."""
    keep, index = [], ins.area_column.index
    for r, cells in singles:
        if gaz.resolve(cells[index], ins.areas):
            keep.append((r, cells))
        else:
            ins.dropped.append((r, "note", next(c for c in cells if c)))
    return keep


def _match_areas(ins: Inspection, data_rows: list, gaz: Gazetteer, geo: Geography, cfg: Config) -> None:
    """Each row's area code (or the row left out as unmatched), with a note of how the areas were read."""
    areas, col, totals = ins.areas, ins.area_column, {r for r, _ in ins.totals}
    for r, cells in data_rows:
        if r in totals:
            continue
        text = cells[col.index]
        code = gaz.resolve(text, areas)
        if code:
            areas.matched[text] = code
            if not (text.upper() == code.upper() or gaz.code_names.get(code) == text):
                areas.normalised[text] = code
        else:
            areas.unmatched.append((r, text))
    areas.names = {c: gaz.code_names.get(c, c) for c in set(areas.matched.values())}
    what = {"code": "codes", "name": "names"}[areas.kind]
    type_label = areas.area_type.upper() if areas.area_type == geo.small_area_type else areas.area_type
    kind_label = f"{areas.vintage + ' ' if areas.vintage else ''}{type_label}"
    normalised = ""
    if areas.normalised:
        normalised = (
            f" ({len(areas.normalised)} only after ignoring case and punctuation: "
            + "; ".join(f"'{t}' → {c} {areas.names[c]}" for t, c in list(areas.normalised.items())[:8])
            + ("…" if len(areas.normalised) > 8 else "")
            + ")"
        )
    ins.notes.append(
        f"geography: column '{col.header}' holds {kind_label} {what} of {cfg.label}; "
        f"{len(areas.matched)} distinct areas matched" + normalised
    )
    if areas.unmatched:
        ins.notes.append("unmatched areas, left out: " + "; ".join(f"row {r} '{t}'" for r, t in areas.unmatched))
    if areas.area_type not in set(geo.areas["type"].unique()):
        ins.problems.add(
            ins.where, None, col.header, f"area type {areas.area_type!r} is not in the geography", "unknown-area-type"
        )


def _read_periods(ins: Inspection, plain: list) -> bool:
    """The layout (long, wide or a single period) and the periods; False when there is no column of figures."""
    period_col = ins.period_column
    measure_cols = [c for c in ins.columns if c.role == "measure"]
    if not measure_cols:
        ins.problems.add(ins.where, None, None, "no column of figures found", "no-figures")
        return False
    if period_col is not None:
        ins.layout = "long"
        periods = {normal_period(cells[period_col.index]) for _r, cells in plain if cells[period_col.index]}
        ins.notes.append(f"one row per area and period: periods in column '{period_col.header}'")
    elif any(c.period for c in measure_cols):
        ins.layout = "wide"
        periods = {c.period for c in measure_cols if c.period}
        missing = [c.header for c in measure_cols if not c.period]
        if missing:
            ins.problems.add(
                ins.where, None, missing[0], f"columns {', '.join(missing)} have no period in their header", "no-period"
            )
        ins.notes.append("one column per period and measure: periods from the header")
    else:
        ins.layout = "single"
        found = PERIOD_IN_TEXT.findall(ins.title)
        periods = {normal_period(found[0])} if len(set(found)) == 1 else set()
        ins.period_from_title = bool(periods)
        ins.notes.append(f"one period for the whole file: {'taken from the title' if periods else 'not found (TODO)'}")
    ins.periods = sorted(periods, key=lambda p: (period_sort_key(p) or 0, p))
    return True


def _read_cells(ins: Inspection, data_rows: list) -> None:
    """Every figure of a matched area (and of the total rows) as a row of ``ins.cells`` (``ins.total_cells``)."""
    records, total_records, markers, unparsed, thousands = [], [], {}, [], False
    period_col, area_index = ins.period_column, ins.area_column.index
    measure_cols = [c for c in ins.columns if c.role == "measure"]
    totals = {r for r, _ in ins.totals}
    for r, cells in data_rows:
        is_total, text = r in totals, cells[area_index]
        code = ins.areas.matched.get(text, "")
        if not is_total and not code:
            continue
        period_row = normal_period(cells[period_col.index]) if period_col is not None and cells[period_col.index] else ""
        for col in measure_cols:
            raw = cells[col.index]
            number, sup, sep, readable = read_figure(raw)
            thousands |= sep
            if sup and not is_total:
                markers[raw] = markers.get(raw, 0) + 1
            if not readable:
                unparsed.append((r, col.header, raw))
            period = (
                col.period
                if ins.layout == "wide"
                else (period_row if ins.layout == "long" else (ins.periods[0] if ins.periods else ""))
            )
            (total_records if is_total else records).append(
                {
                    "_row": r,
                    "area_text": text,
                    "area_code": code,
                    "period": period,
                    "measure": col.measure,
                    "number": number,
                    "suppressed": sup,
                    "raw": raw,
                    "column": col.header,
                }
            )
    ins.cells = pd.DataFrame(records, columns=CELL_COLUMNS)
    ins.total_cells = pd.DataFrame(total_records, columns=CELL_COLUMNS)
    ins.suppressed, ins.thousands = markers, ("," if thousands else None)
    for r, header_, raw in unparsed[:20]:
        ins.problems.add(ins.where, r, header_, f"not a number: {raw!r}", "not-a-number")
    if len(unparsed) > 20:
        ins.problems.add(ins.where, None, None, f"not a number (and {len(unparsed) - 20} more cells)", "not-a-number")


def _describe(ins: Inspection) -> None:
    """Notes on the figures, periods, suppressed cells and rows left out; a problem for an area given twice."""
    kinds = []
    for m in ins.measures:
        nums = ins.cells.loc[ins.cells["measure"] == m, "number"].dropna()
        whole = bool(len(nums)) and bool((nums == np.floor(nums)).all())
        kinds.append(f"'{m}' ({'counts' if whole else 'values with decimals'})")
    ins.notes.append("figures: " + ", ".join(kinds) + (" — thousands separated by ','" if ins.thousands else ""))
    if ins.periods:
        ins.notes.append(f"periods: {', '.join(ins.periods)}")
    if ins.suppressed:
        ins.notes.append("suppressed cells: " + ", ".join(f"'{k}' × {v}" for k, v in sorted(ins.suppressed.items())))
    for r, label in ins.totals:
        ins.notes.append(f"row {r} '{label}' is a total row: left out of the areas")
    notes = [(r, t) for r, k, t in ins.dropped if k == "note"]
    if notes:
        ins.notes.append("notes below the table, left out: " + "; ".join(f'row {r} "{t}"' for r, t in notes))
    dup = ins.cells.duplicated(["area_code", "period", "measure"], keep=False)
    if dup.any():
        d = ins.cells[dup].sort_values(["area_code", "_row"])
        for code, g in d.groupby("area_code"):
            ins.problems.add(
                ins.where,
                int(g["_row"].iloc[-1]),
                ins.areas.column,
                f"area {code} appears more than once for the same period (rows {', '.join(map(str, sorted(set(g['_row']))))})",
                "duplicate-area",
            )
