"""The IoD local summary measures for any area built from LSOAs (MHCLG's "local authority district summaries").

Definitions as in the English Indices of Deprivation technical report (File 10), for one domain at a time:

- ``average_score``: population-weighted mean of the LSOA scores.
- ``average_rank``: population-weighted mean of the LSOA ranks, with the ranks *reversed* as MHCLG do for
  this measure (the most deprived LSOA counts as rank N, the least deprived as 1), so a higher average
  rank means a more deprived area — as in the published File 10.
- ``proportion_most_deprived_10``: share of the area's LSOAs (a count, not population-weighted) in the
  most deprived 10% nationally (rank <= 10% of N).
- ``extent``: the population-weighted share of LSOAs in the most deprived 30% nationally, with weight 1 up
  to the 10% point falling linearly to 0 at the 30% point (the sliding scale).
- ``local_concentration``: population-weighted mean (reversed) rank of the area's most deprived LSOAs that
  together hold exactly 10% of its population (the LSOA straddling the 10% line counts for the part needed).

The population is the caller's: MHCLG use the IoD population denominators. Where those are not supplied
(IoD2025 here), ``income numerator / income score`` recovers each LSOA's income-domain population only
approximately; say so in the ``population_note`` argument, which is carried into every row's ``method``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MEASURES = ("average_score", "average_rank", "proportion_most_deprived_10", "extent", "local_concentration")
METHOD = "MHCLG IoD local summary measures (technical report, File 10 definitions)"


def _reason(n: int, pop: float, bad: int) -> str:
    if n == 0:
        return "no LSOAs in the area"
    if bad:
        return f"{bad} LSOA(s) lack a score, rank or population"
    if not pop > 0:
        return "population is zero"
    return ""


def iod_summary(
    frame: pd.DataFrame,
    group_by: str | Sequence[str],
    *,
    score: str = "score",
    rank: str = "rank",
    population: str = "population",
    n_national: int | None = None,
    population_note: str = "",
) -> pd.DataFrame:
    """One row per group: the five summary measures, ``n_lsoas``, ``population``, ``method`` and ``note``.

    ``frame`` holds one row per LSOA of one domain (score, national rank with 1 = most deprived, population).
    ``n_national`` is the number of LSOAs ranked nationally (default: the largest rank in ``frame``; pass it
    whenever ``frame`` is not the whole of England). A group with a missing value or no population gets NA
    for every measure and the reason in ``note`` (the proportion in the most deprived 10% needs no population).
    """
    keys = [group_by] if isinstance(group_by, str) else list(group_by)
    n = int(n_national if n_national is not None else frame[rank].max())
    f = frame[keys + [score, rank, population]].copy()
    s, r, w = (f[c].astype(float).to_numpy() for c in (score, rank, population))
    rev = n + 1 - r  # MHCLG's reversed rank: most deprived = N
    q = r / n
    f["_w"] = w
    f["_ws"] = w * s
    f["_wr"] = w * rev
    f["_top10"] = (r <= 0.1 * n).astype(float)
    f["_we"] = w * np.clip((0.3 - q) / 0.2, 0.0, 1.0)
    f["_bad"] = (np.isnan(s) | np.isnan(r) | np.isnan(w)).astype(int)
    f["_rank_nan"] = np.isnan(r).astype(int)
    g = f.groupby(keys, sort=True, dropna=False)
    out = g.agg(
        n_lsoas=(rank, "size"),
        population=("_w", "sum"),
        ws=("_ws", "sum"),
        wr=("_wr", "sum"),
        top10=("_top10", "sum"),
        we=("_we", "sum"),
        bad=("_bad", "sum"),
        rank_nan=("_rank_nan", "sum"),
    )
    out["average_score"] = out["ws"] / out["population"]
    out["average_rank"] = out["wr"] / out["population"]
    out["proportion_most_deprived_10"] = np.where(out["rank_nan"] == 0, out["top10"] / out["n_lsoas"], np.nan)
    out["extent"] = out["we"] / out["population"]
    out["local_concentration"] = _local_concentration(f.assign(_rev=rev), keys)
    out["note"] = [_reason(int(a), float(b), int(c)) for a, b, c in zip(out["n_lsoas"], out["population"], out["bad"])]
    blank = out["note"] != ""
    out.loc[blank, ["average_score", "average_rank", "extent", "local_concentration"]] = np.nan
    out.loc[blank, "population"] = np.nan
    out["method"] = METHOD + (f"; population: {population_note}" if population_note else "")
    return out.reset_index()[keys + list(MEASURES) + ["n_lsoas", "population", "method", "note"]]


def _local_concentration(f: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Population-weighted reversed rank of each group's most deprived LSOAs holding 10% of its population."""
    f = f.sort_values(keys + ["_rev"], ascending=[True] * len(keys) + [False], kind="stable")
    g = f.groupby(keys, sort=True, dropna=False)["_w"]
    target = 0.1 * g.transform("sum")
    before = g.cumsum() - f["_w"]
    take = np.clip(target - before, 0.0, f["_w"])
    f = f.assign(_take=take, _tr=take * f["_rev"])
    agg = f.groupby(keys, sort=True, dropna=False)[["_take", "_tr"]].sum()
    return agg["_tr"] / agg["_take"].where(agg["_take"] > 0)
