"""Small-area population estimates, wide (one row per area) → long rows of counts by age band.

Two layouts:

* single year of age (ONS SAPE: ``LSOA Code``/``lsoa11_code``, ``All Ages``/``total_population``,
  ``0`` … ``89``, ``90+``): one row per area for each ESP 2013 five-year band (``0-4`` … ``85-89``,
  ``90+``), the single years summed, plus an ``All ages`` row from the total column. An area whose
  single years do not sum to its total is reported.
* IoD2019 File 6 population denominators (``Total population: mid 2015 (excluding prisoners)``,
  ``Dependent Children aged 0-15``, ``Population aged 16-59``, ``Older population aged 60 and over``,
  ``Working age population 18-59/64``): ages ``All ages``, ``0-15``, ``16-59``, ``60+``, ``18-59/64``;
  0-15 + 16-59 + 60+ must equal the total. Its numbers carry thousands separators ("1,296"):
  declare ``thousands: ","``.

* one total per area (option ``total_column``, e.g. ``total_residents`` of a Census 2021 table): an
  ``All ages`` row per area. Long tables repeat the total on every category row of an area: the repeats
  must agree (``total-mismatch`` otherwise) and give one row. This is how Census 2021 usual residents per
  LSOA 2021 become the population of the 2021 areas.

Counts go to both ``value`` and ``numerator``. Options: ``period`` (required), ``indicator``
(default ``population``), ``sex`` (default Persons), ``vintage`` (else from the code column), ``thousands``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from observatory.ingest.adapters import ROW, Extract, register
from observatory.ingest.adapters._common import (
    AreaTable,
    area_reader,
    empty_frame,
    finish,
    set_fixed_period,
    snake,
    to_number,
)
from observatory.ingest.adapters.deprivation import vintage_of

CODE_COLUMNS = [
    "lsoa_code",
    "lsoa11_code",
    "lsoa21_code",
    "lsoa_code_2011",
    "lsoa_code_2021",
    "lsoa_2021_code",
    "lsoa_2011_code",
    "lsoa11cd",
    "lsoa21cd",
    "area_codes",
    "area_code",
    "msoa11_code",
    "msoa21_code",
    "msoa_code",
    "oa11_code",
    "oa21_code",
]
TOTAL_COLUMNS = ["total_population", "all_ages", "total", "population", "all_persons"]
BANDS = [(f"{a}-{a + 4}", list(range(a, a + 5))) for a in range(0, 90, 5)]
FILE6 = {  # snake-case fragment → age label
    "total_population": "All ages",
    "aged_0_15": "0-15",
    "aged_16_59": "16-59",
    "60_and_over": "60+",
    "working_age_population": "18-59/64",
}


def _age_columns(columns: list[str]) -> dict[str, str]:
    """Single-year columns by label ``"0"`` … ``"89"``, ``"90+"`` (accepting ``"Age 5"``, ``"90 and over"``)."""
    found = {}
    for c in columns:
        key = snake(c).removeprefix("age_").removeprefix("aged_")
        if str(c).strip().endswith("+") and key == "90" or key in ("90_and_over", "90_plus", "90_over"):
            found["90+"] = c
        elif key.isdigit():
            found[str(int(key))] = c
    return found


@register("population")
@area_reader(CODE_COLUMNS, "LSOA Code", "or lsoa11_code, lsoa21_code")
def read(t: AreaTable, options: Mapping[str, Any]) -> Extract:
    """Read a small-area population file into counts by age band."""
    report, file, table, columns, by_snake, code_col = t.report, t.file, t.table, t.columns, t.by_snake, t.code_col
    if options.get("period") is None:
        report.add(
            file, None, None, "option 'period' is required (the estimates' reference year, e.g. \"2020\")", code="missing-option"
        )
    if options.get("total_column") is not None and code_col is not None and not report:
        return _totals(table, code_col, str(options["total_column"]), t.path, options, report)
    file6 = {label: next((c for c in columns if frag in snake(c)), None) for frag, label in FILE6.items()}
    ages = _age_columns(columns)
    if code_col is not None and not ages and not any(file6.values()):
        report.add(
            file,
            1,
            None,
            "unknown header variant: neither single years of age (0 … 89, 90+) nor IoD population denominators found",
            code="unknown-layout",
        )
    if report:
        return Extract(empty_frame(), report)

    thousands = options.get("thousands")
    rows = table[ROW]
    codes = table[code_col].str.strip()
    counts: dict[str, pd.Series] = {}
    if ages:
        total_col = next((by_snake[c] for c in TOTAL_COLUMNS if c in by_snake), None)
        expected = [str(a) for a in range(90)] + ["90+"]
        for label in expected:
            if label not in ages:
                report.add(file, 1, label, f"missing required column {label!r}", code="missing-column")
        if total_col is None:
            report.add(file, 1, "All Ages", "missing required column 'All Ages' (or total_population)", code="missing-column")
        if report:
            return Extract(empty_frame(), report)
        single = {a: to_number(table[ages[a]], rows, file, ages[a], report, thousands)[0] for a in expected}
        total = to_number(table[total_col], rows, file, total_col, report, thousands)[0]
        summed = sum(single.values())
        off = (summed != total) & summed.notna() & total.notna()
        for r, s, whole in zip(rows[off], summed[off], total[off]):
            report.add(
                file, int(r), total_col, f"single years of age sum to {s:g}, not the total {whole:g}", code="total-mismatch"
            )
        counts["All ages"] = total
        for label, years in BANDS:
            counts[label] = sum(single[str(y)] for y in years)
        counts["90+"] = single["90+"]
    else:
        missing = [label for label, c in file6.items() if c is None]
        for label in missing:
            report.add(
                file, 1, label, f"missing required column for ages {label!r} (IoD population denominators)", code="missing-column"
            )
        if missing:
            return Extract(empty_frame(), report)
        for label, c in file6.items():
            counts[label] = to_number(table[c], rows, file, c, report, thousands)[0]
        parts = counts["0-15"] + counts["16-59"] + counts["60+"]
        off = (parts != counts["All ages"]) & parts.notna() & counts["All ages"].notna()
        for r, s, whole in zip(rows[off], parts[off], counts["All ages"][off]):
            report.add(
                file,
                int(r),
                file6["All ages"],
                f"ages 0-15, 16-59 and 60+ sum to {s:g}, not the total {whole:g}",
                code="total-mismatch",
            )

    empty = codes == ""
    if empty.any():
        report.add_rows(file, rows[empty].tolist(), code_col, f"empty {code_col}", code="missing-value")
    parts = []
    for label, values in counts.items():
        keep = values.notna() & ~empty
        parts.append(pd.DataFrame({"area_code": codes[keep], "age": label, "value": values[keep], ROW: rows[keep]}))
    return _finish(pd.concat(parts, ignore_index=True), code_col, t.path, options, report)


def _totals(table: pd.DataFrame, code_col: str, total_col: str, path: Path, options: Mapping[str, Any], report) -> Extract:
    """One ``All ages`` count per area from a total column (repeated totals of a long table must agree)."""
    file = path.name
    if total_col not in table.columns:
        report.add(file, 1, total_col, f"missing required column {total_col!r}", code="missing-column")
        return Extract(empty_frame(), report)
    codes = table[code_col].str.strip()
    total = to_number(table[total_col], table[ROW], file, total_col, report, options.get("thousands"))[0]
    empty = codes == ""
    if empty.any():
        report.add_rows(file, table.loc[empty, ROW].tolist(), code_col, f"empty {code_col}", code="missing-value")
    frame = pd.DataFrame({"area_code": codes, "age": "All ages", "value": total, ROW: table[ROW]})[~empty & total.notna()]
    spread = frame.groupby("area_code")["value"].agg(["min", "max"])
    for code, r in spread[spread["min"] != spread["max"]].iterrows():
        first = int(frame.loc[frame["area_code"] == code, ROW].iloc[0])
        report.add(
            file,
            first,
            total_col,
            f"area {code} has totals from {r['min']:g} to {r['max']:g}: one total per area",
            code="total-mismatch",
        )
    return _finish(frame.drop_duplicates("area_code"), code_col, path, options, report)


def _finish(frame: pd.DataFrame, code_col: str, path: Path, options: Mapping[str, Any], report) -> Extract:
    """The long rows with their indicator, sex, period, area type and vintage."""
    file = path.name
    frame = frame.reset_index(drop=True)
    frame["numerator"] = frame["value"]
    frame["indicator_id"] = str(options.get("indicator", "population"))
    frame["sex"] = str(options.get("sex", "Persons"))
    if not set_fixed_period(frame, options, file, report):
        return Extract(empty_frame(), report)
    kind = snake(code_col)
    frame["area_type"] = "msoa" if "msoa" in kind else "lsoa" if "lsoa" in kind else ""
    frame["vintage"] = str(options["vintage"]) if options.get("vintage") is not None else vintage_of(code_col)
    frame = frame.sort_values([ROW], kind="stable").reset_index(drop=True)
    return Extract(finish(frame, path, options), report)
