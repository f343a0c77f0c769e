"""English Indices of Deprivation at LSOA level, wide (one row per LSOA) → one row per LSOA × indicator.

Reads the official MHCLG files (``LSOA code (2011)``, ``Index of Multiple Deprivation (IMD) Score``,
``… Rank (where 1 is most deprived)``, ``… Decile (where 1 is most deprived 10% of LSOAs)``,
``Income Score (rate)``, ``IDACI Score`` …) and the renamed copies in circulation (mySociety's
``lsoa``/``overall_local_score``/``income_score``/``original_decile``; humaniverse's ``lsoa21_code``,
``IMD_score``, ``Income_decile``, ``adult_skills_score`` …). Each recognised column is a *concept*
``<domain>_<score|rank|decile>``, and the concept's name is the default indicator id:

imd, income, employment, education, health, crime, housing_services, environment, idaci, idaopi,
and the sub-domains education_cyp, adult_skills, geographical_barriers, wider_barriers, indoors, outdoors.

Options: ``period`` (required, e.g. "2019"), ``vintage`` (else from the code column: "(2011)",
``lsoa11_``, ``lsoa21_``), ``indicators`` (a list of concepts to keep, or ``{concept: indicator_id}``),
``columns`` (``{any column: indicator_id}``, e.g. the underlying indicators), ``percent_scores``.

Scale: scores are stored as the official files give them. The rate domains (income, employment,
IDACI, IDAOPI) are proportions 0–1; mySociety publishes income and employment ×100, so set
``percent_scores: true`` for such a file and they are divided by 100. A rate-domain score above 1
without that option is reported. Empty cells produce no row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from observatory.ingest.adapters import ROW, Extract, register
from observatory.ingest.adapters._common import (
    AreaTable,
    area_reader,
    area_type_from_code,
    empty_frame,
    finish,
    set_fixed_period,
    snake,
    to_number,
)

DOMAINS = {
    "imd": ["index_of_multiple_deprivation_imd", "index_of_multiple_deprivation", "imd", "imd19", "imd25", "imd2019", "imd2025"],
    "income": ["income", "income_deprivation"],
    "employment": ["employment", "employment_deprivation"],
    "education": ["education_skills_and_training", "education_skills_training", "education"],
    "health": ["health_deprivation_and_disability", "health_deprivation_disability", "health"],
    "crime": ["crime"],
    "housing_services": ["barriers_to_housing_and_services", "housing_and_services", "housing_and_access", "barriers"],
    "environment": ["living_environment", "environment"],
    "idaci": ["income_deprivation_affecting_children_index_idaci", "income_deprivation_affecting_children_index", "idaci"],
    "idaopi": [
        "income_deprivation_affecting_older_people_idaopi",
        "income_deprivation_affecting_older_people_index_idaopi",
        "income_deprivation_affecting_older_people",
        "idaopi",
    ],
    "education_cyp": ["children_and_young_people", "children_young_people"],
    "adult_skills": ["adult_skills"],
    "geographical_barriers": ["geographical_barriers"],
    "wider_barriers": ["wider_barriers"],
    "indoors": ["indoors", "indoors_living_environment"],
    "outdoors": ["outdoors", "outdoors_living_environment"],
}
SPECIAL = {"overall_local_score": "imd_score", "original_decile": "imd_decile"}
RATE_DOMAINS = {"income", "employment", "idaci", "idaopi"}
MEASURES = ("score", "rank", "decile")
_SYNONYM = {s: d for d, names in DOMAINS.items() for s in names}
CODE_COLUMNS = [
    "lsoa_code_2011",
    "lsoa_code_2021",
    "lsoa11_code",
    "lsoa21_code",
    "lsoa11cd",
    "lsoa21cd",
    "lsoa_code",
    "lsoa",
    "area_code",
]


def concept(column: str) -> str | None:
    """The deprivation concept a column holds (``"imd_score"``, ``"income_decile"`` …), or None."""
    name = re.sub(r"\((?:where|rate)[^)]*\)", " ", str(column).lower())
    key = snake(name)
    if key in SPECIAL:
        return SPECIAL[key]
    parts = key.rsplit("_", 1)
    if len(parts) != 2 or parts[1] not in MEASURES:
        return None
    domain = re.sub(r"_(?:sub_?domain|domain)$", "", parts[0])
    d = _SYNONYM.get(domain)
    return f"{d}_{parts[1]}" if d else None


def vintage_of(column: str) -> str:
    key = snake(column)
    if "2011" in key or key.startswith("lsoa11"):
        return "2011"
    if "2021" in key or key.startswith("lsoa21"):
        return "2021"
    return ""


@register("deprivation")
@area_reader(CODE_COLUMNS, "LSOA code (2011)", "or lsoa11_code, lsoa21_code, lsoa")
def read(t: AreaTable, options: Mapping[str, Any]) -> Extract:
    """Read an Indices of Deprivation LSOA file into long rows, one per LSOA and indicator."""
    report, file, table, columns, code_col = t.report, t.file, t.table, t.columns, t.code_col
    if options.get("period") is None:
        report.add(file, None, None, "option 'period' is required (the Indices' edition, e.g. \"2019\")", code="missing-option")

    wanted = options.get("indicators")
    if isinstance(wanted, Mapping):
        selected = {str(k): str(v) for k, v in wanted.items()}
    elif wanted is not None:
        selected = {str(k): str(k) for k in wanted}
    else:
        selected = None
    picks: dict[str, tuple[str, str | None]] = {}  # column → (indicator id, concept)
    seen: dict[str, str] = {}
    for c in columns:
        k = concept(c)
        if k is None or k in seen or (selected is not None and k not in selected):
            continue
        seen[k] = c
        picks[c] = ((selected or {}).get(k, k), k)
    for c, ind in dict(options.get("columns") or {}).items():
        if c not in columns:
            report.add(file, 1, str(c), f"missing required column {str(c)!r}", code="missing-column")
        else:
            picks[c] = (str(ind), None)
    if selected is not None:
        for k in selected:
            if k not in seen:
                report.add(file, 1, None, f"no column for {k!r} in this file", code="missing-column")
    if code_col is not None and not picks and not report:
        report.add(
            file,
            1,
            None,
            "unknown header variant: no deprivation score, rank or decile column recognised; "
            "name the columns to read with the 'columns' option",
            code="unknown-layout",
        )
    if report:
        return Extract(empty_frame(), report)

    vintage = vintage_of(code_col)
    if options.get("vintage") is not None:
        if vintage and str(options["vintage"]) != vintage:
            report.add(
                file,
                1,
                code_col,
                f"option vintage {str(options['vintage'])!r} contradicts column {code_col!r}",
                code="wrong-vintage",
            )
        vintage = str(options["vintage"])
    codes = table[code_col].str.strip()
    empty = codes == ""
    if empty.any():
        report.add_rows(file, table.loc[empty, ROW].tolist(), code_col, f"empty {code_col}", code="missing-value")
    parts = []
    for c, (ind, k) in picks.items():
        values, sup = to_number(table[c], table[ROW], file, c, report, options.get("thousands"))
        if k and k.endswith("_score") and k.split("_score")[0] in RATE_DOMAINS:
            if options.get("percent_scores"):
                values = (values / 100).round(12)
            else:
                over = values > 1
                if over.any():
                    first = int(table.loc[over, ROW].iloc[0])
                    report.add(
                        file,
                        first,
                        c,
                        f"{k} above 1 ({values[over].iloc[0]:g}) in {int(over.sum())} rows: "
                        "a percentage? set percent_scores: true",
                        code="out-of-range",
                    )
        if k and k.endswith("_decile"):
            outside = values.notna() & ~values.isin(np.arange(1, 11))
            if outside.any():
                report.add_rows(file, table.loc[outside, ROW].tolist(), c, "decile outside 1–10", code="out-of-range")
        keep = (values.notna() | sup) & ~empty
        parts.append(
            pd.DataFrame(
                {
                    "indicator_id": ind,
                    "area_code": codes[keep],
                    "value": values[keep],
                    "value_note": np.where(sup[keep], "suppressed", ""),
                    ROW: table.loc[keep, ROW],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else empty_frame()
    if not set_fixed_period(frame, options, file, report):
        return Extract(empty_frame(), report)
    frame["area_type"] = "lsoa" if "lsoa" in snake(code_col) else area_type_from_code(frame["area_code"])
    frame["vintage"] = vintage
    return Extract(finish(frame, t.path, options), report)
