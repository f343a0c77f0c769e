"""Aggregation: small areas → wards, localities, districts, county, with each statistic recomputed.

Counts and denominators are summed and the statistic and its limits recomputed (never an average of
rates); scores and means are population-weighted. Small-area data on another vintage is first mapped to
the vintage the localities are defined on. Every value records how it was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from observatory._core.vocab import ValueType
from observatory.geo.areas import Geography
from observatory.profiles.weights import Weighting, method_text, population_title, row_weights, small_area_weights
from observatory.stats.methods import dsr, european_standard_population, normalise_age_band, proportion_ci, rate_ci
from observatory.store import conform

GROUP = ["indicator_id", "area_code", "period", "period_sort", "sex", "age", "category"]
OUT = GROUP + [
    "area_type",
    "vintage",
    "numerator",
    "denominator",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "statistic",
    "method",
    "note",
    "aggregation",
    "n_small_areas",
    "dataset_id",
]
LIMITS = ["value", "lower95", "upper95", "lower998", "upper998"]


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("")


def compute(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Value and both limits for rows holding numerator/denominator (one row per group), by value type."""
    f = frame.reset_index(drop=True)
    vt = f["indicator_id"].map(indicators["value_type"]).fillna("")
    mult = f["indicator_id"].map(indicators["multiplier"]).astype(float).fillna(1.0).to_numpy()
    out = pd.DataFrame(index=f.index, columns=LIMITS + ["statistic", "method", "note"], dtype=object)
    for c in LIMITS:
        out[c] = np.nan
    out[["statistic", "method", "note"]] = ""
    for kind, func in (
        (ValueType.PROPORTION.value, proportion_ci),
        (ValueType.CRUDE_RATE.value, rate_ci),
        (ValueType.ISR.value, rate_ci),
    ):
        m = (vt == kind).to_numpy()
        if not m.any():
            continue
        res = func(f.loc[m, "numerator"].to_numpy(float), f.loc[m, "denominator"].to_numpy(float), 1)
        for c in LIMITS:
            out.loc[m, c] = res[c].to_numpy(float) * mult[m]
        out.loc[m, "statistic"] = [
            f"{'percentage' if mu == 100 and kind == 'proportion' else kind.replace('_', ' ')}"
            f"{'' if mu in (1, 100) else f' per {mu:,.0f}'}"
            for mu in mult[m]
        ]
        out.loc[m, "method"] = res["method"].astype(str).to_numpy()
        out.loc[m, "note"] = res["note"].astype(str).to_numpy()
    m = (vt == ValueType.COUNT.value).to_numpy()
    if m.any():
        x = f.loc[m, "numerator"].to_numpy(float)
        if "value" in f.columns:
            x = np.where(np.isnan(x), f.loc[m, "value"].to_numpy(float), x)
        res = rate_ci(x, np.ones_like(x), 1)
        for c in LIMITS:
            out.loc[m, c] = res[c].to_numpy(float)
        out.loc[m, "statistic"] = "count"
        out.loc[m, "method"] = res["method"].astype(str).to_numpy()
        out.loc[m, "note"] = res["note"].astype(str).to_numpy()
    for c in LIMITS:
        out[c] = out[c].astype(float)
    return out


def _published(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Rows at district/county/England etc. as supplied: recompute where only counts were given."""
    f = frame.reset_index(drop=True).copy()
    vt = f["indicator_id"].map(indicators["value_type"]).fillna("")
    need = f["value"].isna() & f["numerator"].notna() & vt.isin(["proportion", "crude_rate", "count", "isr"])
    f["statistic"] = ""
    f["method"] = "as published"
    f["note"] = _str(f.get("value_note", pd.Series("", index=f.index)))
    if need.any():
        res = compute(f[need], indicators)
        for c in LIMITS + ["statistic", "method", "note"]:
            f.loc[need, c] = res[c].to_numpy()
    f["aggregation"] = np.where(need, "computed from published counts", "as published")
    f["n_small_areas"] = 0
    return f


def _small_area_rows(values: pd.DataFrame, geo: Geography) -> pd.DataFrame:
    """Small-area rows with their code mapped to the primary vintage (``small_area_code``)."""
    sa = values[values["area_type"] == geo.small_area_type].copy()
    if sa.empty:
        sa["small_area_code"] = pd.Series(dtype="string")
        return sa
    sa["small_area_code"] = sa["area_code"]
    for vintage in sorted(set(sa["vintage"]) - {"", geo.vintage}):
        m = sa["vintage"] == vintage
        sa.loc[m, "small_area_code"] = geo.to_primary(sa.loc[m, "area_code"], vintage).to_numpy()
    return sa


def population_weights(values: pd.DataFrame, geo: Geography, indicator: str = "population") -> pd.Series:
    """All-ages population per primary small area (latest period): the configuration's default weights."""
    table = small_area_weights(values, geo, indicator)
    table = table[table["vintage"].isin(["", geo.vintage])]
    return table.set_index("area_code")["weight"]


def aggregate(
    values: pd.DataFrame,
    geo: Geography,
    indicators: pd.DataFrame,
    levels: Iterable[str] = ("small_area", "locality", "district", "county"),
    population_indicator: str = "population",
    weights: Mapping[str, Weighting] | None = None,
    split_shares: str | None = None,
) -> pd.DataFrame:
    """Every indicator at every requested level, with value, both limits and the method used.

    ``values`` are store rows (any area types); rows at levels the store already holds (district, county,
    England published by Fingertips, say) are passed through as published. Scores are weighted per dataset
    (``weights``: dataset id → :class:`Weighting`, others by ``population_indicator``); areas of a split
    share their parent's weight (:mod:`observatory.profiles.weights`).
    """
    values = conform(values)
    default = Weighting(population_indicator, population_title(indicators, population_indicator))
    sa = _small_area_rows(values, geo)
    weighted = sa["indicator_id"].map(indicators["aggregation"]).fillna("sum") == "population_weighted"
    if weighted.any():
        sa = sa.join(row_weights(sa[weighted], values, geo, weights or {}, default, split_shares))
    parts = []
    for level in levels:
        if level == "small_area":  # each small area on its own vintage and code
            rows = sa.assign(code=sa["area_code"], code_vintage=sa["vintage"])
        else:
            rows = sa.merge(geo.membership(level)[["small_area_code", "code"]], on="small_area_code", how="inner")
            rows["code_vintage"] = ""
        area_type = geo.small_area_type if level == "small_area" else level
        how = rows["indicator_id"].map(indicators["aggregation"]).fillna("sum")
        is_dsr = rows["indicator_id"].map(indicators["value_type"]) == ValueType.DSR.value
        parts.append(_sum_level(rows[(how == "sum") & ~is_dsr], indicators, area_type, level))
        if is_dsr.any():
            parts.append(_dsr_level(rows[is_dsr], indicators, area_type, level))
        if (how == "population_weighted").any():
            parts.append(_weighted_level(rows[how == "population_weighted"], area_type, level))
    published = values[values["area_type"] != geo.small_area_type]
    if len(published):
        parts.append(_published(published, indicators))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else pd.DataFrame(columns=OUT)
    for c in OUT:
        if c not in out.columns:
            out[c] = np.nan if c in LIMITS + ["numerator", "denominator"] else ""
    return out[OUT].reset_index(drop=True)


KEYS = ["indicator_id", "code", "code_vintage", "period", "period_sort", "sex", "age", "category"]


def _per_area(rows: pd.DataFrame, dropna: bool = True, **totals: tuple) -> pd.DataFrame:
    """One row per area and key: the named ``totals``, the number of small areas and the dataset."""
    g = rows.groupby(KEYS, observed=True, dropna=dropna, sort=False)
    return g.agg(**totals, n_small_areas=("small_area_code", "nunique"), dataset_id=("dataset_id", "first")).reset_index()


def _sum_level(rows: pd.DataFrame, indicators: pd.DataFrame, area_type: str, level: str) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame()
    is_count = rows["indicator_id"].map(indicators["value_type"]) == ValueType.COUNT.value
    num = rows["numerator"].where(rows["numerator"].notna() | ~is_count, rows["value"])
    r = rows.assign(numerator=num, _missing=num.isna())
    out = _per_area(
        r, dropna=False, numerator=("numerator", "sum"), denominator=("denominator", "sum"), _missing=("_missing", "sum")
    )
    res = compute(out, indicators)
    out = pd.concat([out, res], axis=1)
    missing = out.pop("_missing").to_numpy() > 0
    if level != "small_area":  # a small area with a missing or suppressed count makes the sum unreliable
        out.loc[missing, LIMITS + ["numerator"]] = np.nan
        out.loc[missing, "note"] = "a small area's count is missing or suppressed"
    else:
        out.loc[missing, LIMITS + ["numerator"]] = np.nan
    out["aggregation"] = "as supplied" if level == "small_area" else "sum of small-area counts"
    return out.rename(columns={"code": "area_code", "code_vintage": "vintage"}).assign(area_type=area_type)


def _dsr_level(rows: pd.DataFrame, indicators: pd.DataFrame, area_type: str, level: str) -> pd.DataFrame:
    band_keys = ["indicator_id", "code", "code_vintage", "period", "period_sort", "sex", "category", "age"]
    by_band = (
        rows.groupby(band_keys, observed=True, sort=False)
        .agg(
            count=("numerator", "sum"),
            pop=("denominator", "sum"),
            n_small_areas=("small_area_code", "nunique"),
            dataset_id=("dataset_id", "first"),
        )
        .reset_index()
    )
    by_band = by_band[by_band["age"].astype(str).str.lower() != "all ages"]
    group = ["indicator_id", "code", "code_vintage", "period", "period_sort", "sex", "category"]
    # an indicator covering part of the age range (e.g. under-75 mortality) is standardised to the
    # bands it covers, by key, never by padding absent bands with zeros
    esp = european_standard_population()
    parts = []
    for _ind, bands in by_band.groupby("indicator_id", sort=False):
        present = set(normalise_age_band(bands["age"]).dropna())
        parts.append(dsr(bands, "count", "pop", "age", group_by=group, multiplier=1, standard=esp[esp.index.isin(present)]))
    res = pd.concat(parts, ignore_index=True)
    mult = res["indicator_id"].map(indicators["multiplier"]).astype(float).to_numpy()
    for c in LIMITS:
        res[c] = res[c].to_numpy(float) * mult
    meta = (
        by_band.groupby(group, observed=True, sort=False)
        .agg(n_small_areas=("n_small_areas", "max"), dataset_id=("dataset_id", "first"))
        .reset_index()
    )
    res = res.merge(meta, on=group, how="left")
    res["statistic"] = [f"dsr per {m:,.0f}" for m in mult]
    res = res.rename(
        columns={"total_count": "numerator", "total_pop": "denominator", "code": "area_code", "code_vintage": "vintage"}
    )
    res["age"] = "All ages (standardised)"
    res["aggregation"] = "Dobson DSR of summed age-band counts"
    return res.assign(area_type=area_type)


def _weighted_level(rows: pd.DataFrame, area_type: str, level: str) -> pd.DataFrame:
    w = rows["denominator"].where(rows["denominator"] > 0, rows["_w"]).astype(float)
    r = rows.assign(_w=w, _wv=w * rows["value"], _wnan=w.isna() | rows["value"].isna())
    out = _per_area(
        r,
        _sw=("_w", "sum"),
        _swv=("_wv", "sum"),
        _nw=("_wnan", "sum"),
        _first=("value", "first"),
        _label=("_label", "first"),
        _rules=("_rule", lambda s: tuple(sorted(set(s)))),
    )
    first = out.pop("_first")
    out["value"] = first if level == "small_area" else np.where(out["_nw"] > 0, np.nan, out["_swv"] / out["_sw"])
    for c in LIMITS[1:]:
        out[c] = np.nan
    out["numerator"] = np.nan
    out["denominator"] = out["_sw"]
    out["statistic"] = "population-weighted mean" if level != "small_area" else "score"
    out["method"] = (
        "" if level == "small_area" else [method_text(label, rules) for label, rules in zip(out["_label"], out["_rules"])]
    )
    out["note"] = np.where(out["_nw"] > 0, "population weight missing for a small area", "")
    out["aggregation"] = "as supplied" if level == "small_area" else "population-weighted mean of small areas"
    out = out.drop(columns=["_sw", "_swv", "_nw", "_label", "_rules"])
    return out.rename(columns={"code": "area_code", "code_vintage": "vintage"}).assign(area_type=area_type)
