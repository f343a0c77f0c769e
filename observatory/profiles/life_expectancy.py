"""Life expectancy at birth for every locality, district and the county, by sex, from deaths by age band.

Deaths (``life_expectancy.deaths`` in ``config.yaml``, default ``deaths``) and the configuration's population,
both by sex and five-year age band (0-4 ... 90+) on the small areas, are summed over the latest ``years``
(default 3) years both cover and over each area's small areas (a band with no deaths row has no deaths); ``stats.life_expectancy`` gives the value and its
limits (Chiang II, Silcocks), NA with the reason when the 95% interval is wider than 20 years. The gap is between
the most and the least deprived locality (by the IoD average score), with a 95% interval from the two standard
errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.config import Config
from observatory.geo.areas import Geography
from observatory.stats.life_expectancy import life_expectancy
from observatory.stats.methods import z_value
from observatory.store import Store

BANDS = (*(f"{a}-{a + 4}" for a in range(0, 90, 5)), "90+")
LEVELS = ("locality", "district", "county")
SEXES = ("Male", "Female")


def life_expectancy_settings(cfg: Config) -> tuple[str, int]:
    """The deaths indicator and the number of latest years pooled."""
    given = cfg.raw.get("life_expectancy") or {}
    return str(given.get("deaths", "deaths")), int(given.get("years", 3))


def _by_band(store: Store, geo: Geography, indicator: str, periods: list[str] | None = None) -> pd.DataFrame:
    rows = store.read(indicators=[indicator], area_types=[geo.small_area_type])
    rows = rows[rows["sex"].isin(SEXES) & rows["age"].isin(BANDS) & rows["vintage"].isin(["", geo.vintage])]
    if periods is not None:
        rows = rows[rows["period"].isin(periods)]
    return rows[["area_code", "period", "sex", "age", "value"]].astype({"value": float})


def life_expectancy_at_birth(cfg: Config, store: Store | None = None, geo: Geography | None = None) -> pd.DataFrame:
    """One row per area and sex: ``value``, ``lower95``... , ``se``, ``period`` (first-last year), ``note``
    (empty without deaths by age and sex)."""
    geo = geo or Geography(cfg)
    store = store or Store(cfg.store_dir())
    indicator, years = life_expectancy_settings(cfg)
    deaths = _by_band(store, geo, indicator)
    pops = _by_band(store, geo, cfg.population_indicator, sorted(set(deaths["period"])))
    periods = sorted(set(deaths["period"]) & set(pops["period"]))[-years:]
    if not periods:
        return pd.DataFrame()
    keys = ["area_code", "sex", "age"]
    d = deaths[deaths["period"].isin(periods)].groupby(keys)["value"].sum().rename("deaths")
    p = pops[pops["period"].isin(periods)].groupby(keys)["value"].sum().rename("population")
    both = pd.concat([d, p], axis=1).reset_index()
    both["deaths"] = both["deaths"].fillna(0.0)  # a band with a population and no deaths row: no deaths
    parts = []
    for level in LEVELS:
        m = geo.membership(level)
        f = both.merge(m, left_on="area_code", right_on="small_area_code")
        f = f.groupby(["code", "name", "sex", "age"], as_index=False)[["deaths", "population"]].sum()
        out = life_expectancy(f, "deaths", "population", "age", ["code", "name", "sex"], age_contents=BANDS, le_age="0-4")
        parts.append(out.assign(area_type=level))
    out = pd.concat(parts, ignore_index=True).rename(columns={"code": "area_code", "name": "area_name"})
    out["se"] = (out["upper95"] - out["lower95"]) / (2 * z_value(0.95))
    out["period"] = periods[0] if len(periods) == 1 else f"{periods[0]}-{periods[-1]}"
    return out.drop(columns="age")


def deprivation_gap(le: pd.DataFrame, scores: pd.Series) -> pd.DataFrame:
    """Per sex: life expectancy in the most and least deprived localities (``scores`` by locality code, higher
    is more deprived), the gap (least minus most deprived) and its 95% interval."""
    loc = le[(le["area_type"] == "locality") & le["area_code"].isin(scores.index)]
    rows = []
    for sex in SEXES:
        s = loc[loc["sex"] == sex].set_index("area_code")
        ranked = scores[scores.index.isin(s.index)].sort_values()
        if len(ranked) < 2:
            continue
        least, most = s.loc[ranked.index[0]], s.loc[ranked.index[-1]]
        gap = least["value"] - most["value"]
        half = z_value(0.95) * np.hypot(least["se"], most["se"])
        rows.append(
            {
                "sex": sex,
                "most_deprived": most["area_name"],
                "most_deprived_value": most["value"],
                "least_deprived": least["area_name"],
                "least_deprived_value": least["value"],
                "gap": gap,
                "lower95": gap - half,
                "upper95": gap + half,
            }
        )
    return pd.DataFrame(rows)
