"""Census 2021 long tables (one row per area × category: ``lsoa21_code``, a total column,
a category column, ``n``, ``prop``) → one proportion per area and indicator.

Options: ``indicators`` (``{indicator_id: [category, …]}``: numerator = the sum of ``n`` over the listed
categories, denominator = the area's total; default: one indicator per category, named
``<category column>_<category>``), ``category_column`` (default: the one text column that is neither
the code, a name nor a number), ``total_column`` (default: the column starting ``total_``/``all_``),
``count_column`` (default ``n``), ``period`` (default "2021"), ``vintage`` (default "2021"),
``multiplier`` (value = numerator / denominator × multiplier, default 100).
Checked: every count is at most its total, an area has one total, every listed category exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from observatory.errors import Report
from observatory.ingest.adapters import ROW, Extract, register
from observatory.ingest.adapters._common import (
    AreaTable,
    area_reader,
    empty_frame,
    finish,
    period_sort_key,
    slug,
    snake,
    to_number,
)

CODE_COLUMNS = [
    "lsoa21_code",
    "lsoa_code",
    "lsoa21cd",
    "msoa21_code",
    "msoa21cd",
    "oa21_code",
    "oa21cd",
    "ltla21_code",
    "ltla22_code",
    "geography_code",
    "area_code",
    "lsoa11_code",
    "msoa11_code",
]
COUNT_COLUMNS = ["n", "count", "observation", "obs_value", "value"]
AREA_TYPES = {"lsoa": "lsoa", "msoa": "msoa", "ltla": "district", "lad": "district"}


def _numeric_looking(values: pd.Series) -> bool:
    sample = values.head(200).str.strip()
    sample = sample[sample != ""]
    return len(sample) > 0 and bool(pd.to_numeric(sample, errors="coerce").notna().all())


def _category_column(t: AreaTable, options: Mapping[str, Any], skip: set) -> str | None:
    """The column naming each row's category: option ``category_column``, else the one text column left
    (not a name, a percentage or numbers); a problem reported when it cannot be told."""
    report, file, table, columns = t.report, t.file, t.table, t.columns
    category_col = options.get("category_column")
    if category_col is None and not report:
        candidates = [
            c
            for c in columns
            if c not in skip
            and not snake(c).endswith(("_name", "_nm", "name"))
            and snake(c) not in ("prop", "percent", "percentage")
            and not _numeric_looking(table[c])
        ]
        if len(candidates) == 1:
            category_col = candidates[0]
        else:
            report.add(
                file,
                1,
                None,
                "unknown header variant: cannot tell the category column"
                + (f" among {', '.join(repr(c) for c in candidates)}" if candidates else "")
                + "; set option category_column",
                code="unknown-layout",
            )
    elif category_col is not None and category_col not in columns:
        report.add(file, 1, str(category_col), f"missing required column {str(category_col)!r}", code="missing-column")
    return category_col


def _indicator_groups(
    options: Mapping[str, Any], known: set[str], category_col: str, file: str, report: Report
) -> dict[str, list[str]]:
    """Indicator id → the categories it sums: option ``indicators``, else one indicator per category."""
    wanted = options.get("indicators")
    if wanted:
        groups = {str(k): [str(c).strip() for c in (v if isinstance(v, (list, tuple)) else [v])] for k, v in dict(wanted).items()}
        for ind, cats in groups.items():
            for c in cats:
                if c not in known:
                    report.add(
                        file,
                        None,
                        category_col,
                        f"indicator {ind}: category {c!r} not found in column "
                        f"{category_col!r} (found: {', '.join(sorted(known))})",
                        code="unknown-category",
                    )
    else:
        prefix = str(options.get("indicator_prefix") or snake(category_col))
        groups = {}
        for c in sorted(known - {""}):
            ind = f"{prefix}_{slug(c)}"
            while ind in groups:
                ind += "_"
            groups[ind] = [c]
    return groups


@register("census")
@area_reader(CODE_COLUMNS, "lsoa21_code", "or another area code column")
def read(t: AreaTable, options: Mapping[str, Any]) -> Extract:
    """Read a Census long table into proportions (numerator, denominator) per area."""
    report, file, table, columns, by_snake, code_col = t.report, t.file, t.table, t.columns, t.by_snake, t.code_col
    count_col = options.get("count_column") or next((by_snake[c] for c in COUNT_COLUMNS if c in by_snake), None)
    if count_col is None or count_col not in columns:
        report.add(file, 1, str(count_col or "n"), f"missing required column {str(count_col or 'n')!r}", code="missing-column")
    total_col = options.get("total_column") or next(
        (c for c in columns if snake(c).startswith(("total_", "all_")) or snake(c) == "total"), None
    )
    if total_col is None or total_col not in columns:
        name = str(total_col or "total_households")
        report.add(file, 1, name, f"missing required column {name!r}", code="missing-column")
    category_col = _category_column(t, options, {code_col, count_col, total_col})
    if report:
        return Extract(empty_frame(), report)

    rows = table[ROW]
    codes = table[code_col].str.strip()
    categories = table[category_col].str.strip()
    n, _ = to_number(table[count_col], rows, file, count_col, report, options.get("thousands"))
    total, _ = to_number(table[total_col], rows, file, total_col, report, options.get("thousands"))
    over = n > total
    for r, a, b in zip(rows[over], n[over], total[over]):
        report.add(file, int(r), count_col, f"count {a:g} is greater than the total {b:g}", code="count-exceeds-denominator")
    totals = pd.DataFrame({"code": codes, "total": total, ROW: rows})
    several = totals.groupby("code")["total"].nunique() > 1
    for code in several[several].index:
        r = totals.loc[totals["code"] == code, ROW].iloc[0]
        report.add(file, int(r), total_col, f"area {code} has more than one total", code="duplicate-key")
    empty = codes == ""
    if empty.any():
        report.add_rows(file, rows[empty].tolist(), code_col, f"empty {code_col}", code="missing-value")

    groups = _indicator_groups(options, set(categories), category_col, file, report)

    base = pd.DataFrame({"area_code": codes, "category": categories, "n": n, "total": total, ROW: rows})[~empty]
    first = base.groupby("area_code", sort=False).agg(denominator=("total", "first"), **{ROW: (ROW, "min")})
    parts = []
    for ind, cats in groups.items():
        sel = base[base["category"].isin(cats)]
        numerator = sel.groupby("area_code", sort=False)["n"].agg(lambda s: s.sum(min_count=1))
        part = first.join(numerator.rename("numerator"), how="left").reset_index()
        part["indicator_id"] = ind
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if parts else empty_frame()
    with np.errstate(divide="ignore", invalid="ignore"):
        multiplier = float(options.get("multiplier", 100))
        frame["value"] = np.where(frame["denominator"] > 0, frame["numerator"] / frame["denominator"] * multiplier, np.nan)
    period = str(options.get("period", "2021"))
    frame["period"] = period
    frame["period_sort"] = int(options.get("period_sort") or period_sort_key(period) or 0)
    kind = snake(code_col)
    frame["area_type"] = next((t for k, t in AREA_TYPES.items() if kind.startswith(k)), "")
    frame["vintage"] = str(options.get("vintage", "2021"))
    frame = frame.sort_values([ROW, "indicator_id"], kind="stable")
    return Extract(finish(frame, t.path, options), report)
