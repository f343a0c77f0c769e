"""The figures behind the comparison views, taken from the profile table and the store (publishable only).

- :func:`locality_values`: every locality's latest value of one indicator, with its comparison with the county.
- :func:`decile_values`: an indicator by county deprivation decile, and the SII the profile table computed.
- :func:`population_by_age`: a locality's and the county's people by sex and age band, from the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory.geo.areas import Geography
from observatory.present.disclosure import SUPPRESSION_THRESHOLD, publishable
from observatory.profiles.table import Profiles, deprivation_deciles
from observatory.stats.methods import proportion_ci, rate_ci
from observatory.store import Store

__all__ = ["IndicatorView", "locality_values", "decile_values", "population_by_age"]


@dataclass
class IndicatorView:
    """One indicator's rows for a view and the words around them."""

    indicator_id: str
    title: str
    unit: str
    period: str
    frame: pd.DataFrame
    county: float = float("nan")
    england: float = float("nan")
    region: float = float("nan")


def locality_values(profiles: Profiles, indicator_id: str) -> IndicatorView | None:
    """Every locality's latest value of ``indicator_id``, small counts suppressed (None without data)."""
    p = profiles.level("locality", indicator_id)
    if p.empty or p["value_type"].iloc[0] == "count":
        return None
    p = publishable(p, profiles.config)
    frame = pd.DataFrame(
        {
            "area_code": p["area_code"],
            "area_name": p["area_name"],
            "value": p["value"],
            "lower95": p["lower95"],
            "upper95": p["upper95"],
            "comparison": p["vs_county"],
            "suppressed": p["suppressed"].astype(bool),
        }
    ).reset_index(drop=True)
    first = p.iloc[0]
    return IndicatorView(
        indicator_id,
        str(first["title"]),
        str(first["unit"]),
        str(first["period"]),
        frame,
        float(first["county_value"]),
        float(first["england_value"]),
        float(first.get("region_value", np.nan)),
    )


def decile_values(profiles: Profiles, indicator_id: str, deprivation: str) -> tuple[IndicatorView, dict] | None:
    """``indicator_id`` in each county deprivation decile of its latest period with an SII, and that SII.

    Proportions and crude rates are summed per decile (Wilson and Byar limits, as ``stats.gap.sii_by_decile``
    does); other values are population-weighted means without limits. A decile whose count is 1 to the
    disclosure threshold is left out.
    """
    gaps = profiles.gaps
    gaps = gaps[(gaps["indicator_id"] == indicator_id) & gaps["sii"].notna()] if "sii" in gaps else gaps.iloc[0:0]
    if gaps.empty:
        return None
    last = gaps.loc[gaps["period_sort"].idxmax()]
    geo: Geography = profiles.geography
    deciles = deprivation_deciles(profiles.profiles, geo, deprivation)
    p = profiles.profiles
    sa = p[(p["indicator_id"] == indicator_id) & (p["area_type"] == geo.small_area_type) & (p["period"] == last["period"])]
    if sa.empty or deciles.empty:
        return None
    codes = sa["area_code"]
    for vintage in sa["vintage"].unique():
        if vintage and vintage != geo.vintage:
            m = sa["vintage"] == vintage
            codes = codes.where(~m, geo.to_primary(sa.loc[m, "area_code"], vintage))
    sa = sa.assign(decile=codes.map(deciles).to_numpy())
    sa = sa[sa["decile"].notna()]
    kind, multiplier = sa["value_type"].iloc[0], float(sa["multiplier"].iloc[0])
    population = sa.groupby("decile")["denominator"].sum(min_count=1)
    if kind in ("proportion", "crude_rate"):
        method = proportion_ci if kind == "proportion" else rate_ci
        d = method("numerator", "denominator", multiplier, data=sa, group_by="decile")
        counts = sa.groupby("decile")["numerator"].sum().reindex(d["decile"]).to_numpy()
        d.loc[(counts > 0) & (counts <= SUPPRESSION_THRESHOLD), ["value", "lower95", "upper95"]] = np.nan
    else:
        weight = sa["denominator"].where(sa["denominator"] > 0).fillna(1.0)
        grouped = sa.assign(_w=weight, _wv=weight * sa["value"]).groupby("decile")
        d = pd.DataFrame({"value": grouped["_wv"].sum() / grouped["_w"].sum()}).reset_index()
        d["lower95"] = d["upper95"] = np.nan
        population = grouped["_w"].sum()
    d["population"] = d["decile"].map(population).fillna(0).to_numpy()
    view = IndicatorView(
        indicator_id,
        str(last["title"]),
        str(last["unit"]),
        str(last["period"]),
        d[["decile", "value", "lower95", "upper95", "population"]],
    )
    return view, {"value": last["sii"], "lower95": last["sii_lower95"], "upper95": last["sii_upper95"]}


def population_by_age(store: Store, geo: Geography, indicator_id: str, locality: str) -> pd.DataFrame:
    """People by ``sex`` (Male, Female) and ``age`` band in the locality (``area``) and the county (``county``),
    from the latest period of the store's small-area population; empty without an age and sex breakdown."""
    pop = store.read(
        [indicator_id], [geo.small_area_type], columns=["area_code", "vintage", "period_sort", "sex", "age", "value"]
    )
    pop = pop[pop["sex"].isin(["Male", "Female"]) & pop["age"].fillna("").ne("") & (pop["vintage"] == geo.vintage)]
    if pop.empty:
        return pd.DataFrame(columns=["sex", "age", "area", "county"])
    pop = pop[pop["period_sort"] == pop["period_sort"].max()]
    h = geo.hierarchy
    pop = pop[pop["area_code"].isin(h["small_area_code"])]
    mine = pop["area_code"].isin(h.loc[h["locality_code"] == locality, "small_area_code"])
    county = pop.groupby(["sex", "age"])["value"].sum().rename("county")
    area = pop[mine].groupby(["sex", "age"])["value"].sum().rename("area")
    return pd.concat([area, county], axis=1).fillna(0).reset_index()
