"""The ``england`` adapter: two tables of the England bundle (see its PROVENANCE.md) that the generic adapters cannot express.

Option ``table`` picks one. ``iod_population``: the IoD2025 underlying-indicators file → each LSOA's approximate income-domain population,
income-domain numerator / income score (option ``scores``: the scores file, relative to this file's folder). The
IoD2025 population denominators are not in the bundle, so this is an approximation, recorded in ``value_note``.

``household_deprivation``: Census 2021 TS011 in long form (``lsoa21_code``, ``households_number_deprivation_dimensions``
0–4, ``count``) → households deprived in at least 1 and at least 2 dimensions (numerator; denominator = all
households). Option ``indicators``: ``{indicator_id: minimum number of dimensions}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory.errors import Report
from observatory.ingest.adapters import ROW, Extract, register
from observatory.ingest.adapters._common import empty_frame, finish, read_table, to_number

APPROXIMATE = "approximate: income-domain numerator / income score"


def _columns(table: pd.DataFrame, needed: list[str], file: str, report: Report) -> bool:
    for c in needed:
        if c not in table.columns:
            report.add(file, 1, c, f"missing required column {c!r}", code="missing-column")
    return not report


def read_population(path: Path, options: Mapping[str, Any]) -> Extract:
    """Approximate income-domain population per LSOA 2021."""
    report, file = Report(), path.name
    u = read_table(path, options, report)
    scores_path = path.parent / str(options.get("scores", "iod2025_scores_ranks_deciles_lsoa21_england.csv"))
    s = read_table(scores_path, {}, report)
    if report or not (
        _columns(u, ["lsoa21_code", "income_domain_numerator"], file, report)
        and _columns(s, ["lsoa21_code", "Income_score"], scores_path.name, report)
    ):
        return Extract(empty_frame(), report)
    num, _ = to_number(u["income_domain_numerator"], u[ROW], file, "income_domain_numerator", report)
    score, _ = to_number(s["Income_score"], s[ROW], scores_path.name, "Income_score", report)
    rate = pd.Series(score.to_numpy(), index=s["lsoa21_code"]).reindex(u["lsoa21_code"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pop = np.where(rate > 0, num.to_numpy() / rate, np.nan)
    frame = pd.DataFrame(
        {
            "indicator_id": options.get("indicator", "population"),
            "area_code": u["lsoa21_code"],
            "area_type": "lsoa",
            "value": pop,
            "value_note": np.where(np.isnan(pop), "", APPROXIMATE),
            "period": str(options.get("period", "2025")),
            "period_sort": int(str(options.get("period", "2025"))) * 10000,
            ROW: u[ROW],
        }
    )
    return Extract(finish(frame[~np.isnan(pop)], path, {**options, "vintage": "2021"}), report)


def read_household_deprivation(path: Path, options: Mapping[str, Any]) -> Extract:
    """Households deprived in at least k dimensions (Census 2021 TS011), numerator and denominator per LSOA."""
    report, file = Report(), path.name
    t = read_table(path, options, report)
    dims_col = "households_number_deprivation_dimensions"
    if report or not _columns(t, ["lsoa21_code", dims_col, "count"], file, report):
        return Extract(empty_frame(), report)
    n, _ = to_number(t["count"], t[ROW], file, "count", report)
    dims, _ = to_number(t[dims_col], t[ROW], file, dims_col, report)
    if report:
        return Extract(empty_frame(), report)
    base = pd.DataFrame(
        {"area_code": t["lsoa21_code"].to_numpy(), "dims": dims.to_numpy(), "n": n.to_numpy(), ROW: t[ROW].to_numpy()}
    )
    total = base.groupby("area_code", sort=False).agg(denominator=("n", "sum"), **{ROW: (ROW, "min")})
    wanted = dict(options.get("indicators") or {"households_deprived_1plus": 1, "households_deprived_2plus": 2})
    parts = []
    for ind, k in wanted.items():
        num = base[base["dims"] >= int(k)].groupby("area_code", sort=False)["n"].sum()
        part = total.join(num.rename("numerator")).fillna({"numerator": 0.0}).reset_index()
        parts.append(part.assign(indicator_id=str(ind)))
    frame = pd.concat(parts, ignore_index=True)
    frame["value"] = np.where(frame["denominator"] > 0, frame["numerator"] / frame["denominator"] * 100, np.nan)
    frame = frame.assign(area_type="lsoa", period="2021", period_sort=20210000)
    return Extract(finish(frame, path, {**options, "vintage": "2021"}), report)


TABLES = {"iod_population": read_population, "household_deprivation": read_household_deprivation}


@register("england")
def read(path: Path, options: Mapping[str, Any]) -> Extract:
    """Read one of the England bundle's tables named by option ``table``."""
    table = options.get("table")
    if table not in TABLES:
        report = Report()
        report.add(path.name, None, None, f"option 'table' must be one of {', '.join(TABLES)}, not {table!r}", code="bad-option")
        return Extract(empty_frame(), report)
    return TABLES[table](path, options)
