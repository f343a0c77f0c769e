"""Inequalities beyond the county deciles: national deprivation deciles, and breakdowns by sex and by age.

- :func:`national_deciles`: the IoD's own national decile of each primary small area (e.g. ``imd_decile``).
- :func:`national_decile_values`: an indicator by national decile with its SII, when those differ from the county's.
- :func:`breakdown_values`: an indicator in the county (or a locality) by sex or by age band, each group compared
  with England's (or the county's) same group.
- :func:`locality_deciles`, :func:`locality_deprivation_lines`: the deciles of a locality's small areas, in words.
- :func:`inequality_views`: every inequalities chart of one indicator, as the overview (or a locality's profile) shows them.
- :func:`age_profile`: a locality's people by age against the county's, where the population has no sex.

Given the process's :class:`~observatory.present.view_data.SharedData` (``shared``, that of the profiles and
the store passed), what does not depend on the locality (the deciles, the county's decile views, the store's rows
of an indicator) is computed once for every page built from the same inputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import pandas as pd

from observatory._core.digests import sha256_bytes
from observatory.config import Config
from observatory.geo.areas import Geography
from observatory.present import views
from observatory.present.disclosure import SUPPRESSION_THRESHOLD
from observatory.present.templating import Markup
from observatory.present.view_data import (
    IndicatorView,
    SharedData,
    decile_values,
    population_by_age,
    slope_view_from_table,
    slope_view_table,
)
from observatory.profiles.table import Profiles, deprivation_deciles
from observatory.stats.compare import compare
from observatory.stats.methods import proportion_ci, rate_ci, sii
from observatory.store import Store

__all__ = [
    *("age_profile", "national_deciles", "national_decile_values", "breakdown_values", "inequality_views"),
    *("locality_deciles", "locality_deprivation_lines", "NATIONAL_DECILE", "MOST_DEPRIVED"),
]

NATIONAL_DECILE = "imd_decile"
TOTALS = {"sex": {"Persons", ""}, "age": {"All ages", ""}}
BY_WORDS = {"sex": "sex", "age": "age band"}
MOST_DEPRIVED = 2
"""The deciles counted as the most deprived in a locality's summary: 1 and 2, the most deprived 20%."""
T = TypeVar("T")


def _once(shared: SharedData | None, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, kept in ``shared`` under ``key`` when given."""
    return make() if shared is None else shared.once(key, make)


def _derived(
    profiles: Profiles, name: tuple[str, ...], make: Callable[[], tuple[IndicatorView, dict | None] | None]
) -> tuple[IndicatorView, dict | None] | None:
    """``make()``, a decile view and its SII, kept in the profile table's cache (``Profiles.derived``): computed
    once per inputs for every process that draws it (a build's kernels, the dashboards, Lab)."""
    plain = "-".join(name)
    key = plain if re.fullmatch(r"[\w.-]+", plain) else sha256_bytes(plain.encode())[:24]
    return slope_view_from_table(profiles.derived(key, lambda: slope_view_table(make())))


def national_deciles(profiles: Profiles, national: str = NATIONAL_DECILE) -> pd.Series:
    """The national decile (1 = most deprived 10% of England) of each primary small area, from the latest
    edition of ``national``; an area of another vintage takes the median decile of the areas it maps to."""
    geo = profiles.geography
    p = profiles.profiles
    s = p[(p["indicator_id"] == national) & (p["area_type"] == geo.small_area_type) & p["value"].notna()]
    if s.empty:
        return pd.Series(dtype="Int64")
    s = s[s["period_sort"] == s["period_sort"].max()]
    codes = s["area_code"]
    for vintage in s["vintage"].unique():
        if vintage and vintage != geo.vintage:
            m = s["vintage"] == vintage
            codes = codes.where(~m, geo.to_primary(s.loc[m, "area_code"], vintage))
    deciles = s.assign(area_code=codes.to_numpy()).groupby("area_code")["value"].median()
    return np.floor(deciles + 0.5).astype(int)


def locality_deciles(
    profiles: Profiles, deprivation: str, locality: str, national: str | None = None, shared: SharedData | None = None
) -> pd.Series:
    """The county decile (or, with ``national``, the national decile) of each of ``locality``'s primary small
    areas that has one."""
    deciles = _national_deciles(profiles, national, shared) if national else _county_deciles(profiles, deprivation, shared)
    return deciles.reindex(_members(profiles.geography, locality, shared)).dropna().astype(int)


def _members(geo: Geography, locality: str, shared: SharedData | None) -> np.ndarray:
    """The codes of the locality's small areas."""
    h = geo.hierarchy
    return _once(shared, ("members", locality), lambda: h.loc[h["locality_code"] == locality, "small_area_code"].to_numpy())


def locality_deprivation_lines(
    profiles: Profiles, deprivation: str, locality: str, national: str = NATIONAL_DECILE, shared: SharedData | None = None
) -> list[str]:
    """How many of the locality's small areas are in the county's most deprived 20%, and in England's, in words."""
    geo = profiles.geography
    name, county = geo.area(locality).name, profiles.config.county["name"]
    lines = []
    for within, of in ((f"{county}'s", None), ("England's", national)):
        deciles = locality_deciles(profiles, deprivation, locality, of, shared)
        if len(deciles):
            n = int((deciles <= MOST_DEPRIVED).sum())
            verb = "is" if n == 1 else "are"
            lines.append(f"{n} of {name}'s {len(deciles)} small areas {verb} in {within} most deprived {MOST_DEPRIVED * 10}%.")
    return lines


def _sii(frame: pd.DataFrame, kind: str, multiplier: float) -> dict | None:
    """The SII across the deciles of ``frame`` (decile values with limits, as ``decile_values`` gives them)."""
    if kind not in ("proportion", "crude_rate"):
        return None
    scale = multiplier if kind == "proportion" else 1.0
    d = frame.assign(_g=1, **{c: frame[c] / scale for c in ("value", "lower95", "upper95")})
    r = sii(
        d,
        "value",
        "population",
        "decile",
        ["_g"],
        lower_col="lower95",
        upper_col="upper95",
        value_type="proportion" if kind == "proportion" else "rate",
        multiplier=scale,
    ).iloc[0]
    return {k: float(r[k]) for k in ("value", "lower95", "upper95")}


def _county_deciles(profiles: Profiles, deprivation: str, shared: SharedData | None) -> pd.Series:
    geo = profiles.geography
    return _once(shared, ("county deciles", deprivation), lambda: deprivation_deciles(profiles.profiles, geo, deprivation))


def _national_deciles(profiles: Profiles, national: str, shared: SharedData | None) -> pd.Series:
    return _once(shared, ("national deciles", national), lambda: national_deciles(profiles, national))


def national_decile_values(
    profiles: Profiles,
    indicator_id: str,
    deprivation: str,
    national: str = NATIONAL_DECILE,
    period: str | None = None,
    shared: SharedData | None = None,
) -> tuple[IndicatorView, dict | None] | None:
    """``indicator_id`` by national deprivation decile, with its SII (None where it cannot be computed); None
    without national deciles or where every small area's national decile is its county decile (``period``: as
    ``decile_values``)."""
    nat = _national_deciles(profiles, national, shared)
    county = _county_deciles(profiles, deprivation, shared)
    both = nat.index.intersection(county.index)
    if nat.empty or (len(both) and (nat[both].to_numpy() == county[both].to_numpy()).all()):
        return None
    found = decile_values(profiles, indicator_id, deprivation, deciles=nat, period=period)
    if found is None:
        return None
    view = found[0]
    meta = profiles.profiles.loc[profiles.profiles["indicator_id"] == indicator_id].iloc[0]
    return view, _sii(view.frame, str(meta["value_type"]), float(meta["multiplier"]))


def _groups(rows: pd.DataFrame, by: str, kind: str, multiplier: float) -> pd.DataFrame:
    """Each group's value and 95% limits: summed counts where the rows have them, else the rows' own values."""
    counted = rows["numerator"].notna() & rows["denominator"].gt(0)
    if counted.any() and kind != "count":
        method = proportion_ci if kind == "proportion" else rate_ci
        d = method("numerator", "denominator", multiplier, data=rows[counted], group_by=by)
        counts = rows[counted].groupby(by)["numerator"].sum().reindex(d[by]).to_numpy()
        return d.assign(suppressed=(counts > 0) & (counts <= SUPPRESSION_THRESHOLD))[
            [by, "value", "lower95", "upper95", "suppressed"]
        ]
    g = rows.groupby(by, as_index=False)[["value", "lower95", "upper95"]].first()
    return g.assign(suppressed=False)


def _latest_by(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """The rows in groups of ``by`` (no totals), of the latest period."""
    rows = rows[~rows[by].fillna("").isin(TOTALS[by])]
    return rows[rows["period_sort"] == rows["period_sort"].max()] if len(rows) else rows


def breakdown_values(
    profiles: Profiles,
    store: Store,
    indicator_id: str,
    by: str,
    locality: str | None = None,
    shared: SharedData | None = None,
) -> IndicatorView | None:
    """The county's latest ``indicator_id`` by ``by`` ("sex" or "age"), each group compared with England's
    same group (the frame has ``views.COMPARE_COLUMNS``, groups youngest or alphabetical first); None
    without two groups or for counts. Small counts are suppressed. With ``locality``: that locality's small
    areas, each group compared with the county's same group."""
    p = profiles.profiles
    meta = _once(shared, ("first row", indicator_id), lambda: p.loc[p["indicator_id"] == indicator_id].head(1))
    if meta.empty or meta["value_type"].iloc[0] == "count":
        return None
    kind, multiplier, polarity = str(meta["value_type"].iloc[0]), float(meta["multiplier"].iloc[0]), meta["polarity"].iloc[0]
    geo = profiles.geography

    def split() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
        rows = _latest_by(_once(shared, ("rows", indicator_id), lambda: store.read([indicator_id])), by)
        small = rows[(rows["area_type"] == geo.small_area_type) & rows["area_code"].isin(geo.hierarchy["small_area_code"])]
        county = small if len(small) else rows[rows["area_type"] == "county"]
        return small, county, rows[rows["area_type"] == "england"], str(rows["period"].iloc[0]) if len(rows) else ""

    small, county, england, period = _once(shared, ("rows by", indicator_id, by), split)
    if not period:
        return None
    here, there = county, england
    if locality is not None:
        here, there = small[small["area_code"].isin(_members(geo, locality, shared))], county
    if here[by].nunique() < 2:
        return None
    here = _groups(here, by, kind, multiplier)
    same_group = _once(
        shared,
        ("groups by", indicator_id, by, locality is None),
        lambda: _groups(there, by, kind, multiplier).set_index(by)["value"],
    )
    here = here.assign(_order=here[by].map(views._age_start) if by == "age" else 0).sort_values(["_order", by])
    here.loc[here["suppressed"], ["value", "lower95", "upper95"]] = np.nan
    benchmark = here[by].map(same_group).astype(float)
    frame = pd.DataFrame(
        {
            "area_code": here[by].astype(str),
            "area_name": here[by].astype(str),
            "value": here["value"],
            "lower95": here["lower95"],
            "upper95": here["upper95"],
            "comparison": compare(here["value"], here["lower95"], here["upper95"], benchmark, polarity).to_numpy(),
            "suppressed": here["suppressed"].astype(bool),
        }
    ).reset_index(drop=True)
    return IndicatorView(indicator_id, str(meta["title"].iloc[0]), str(meta["unit"].iloc[0]), period, frame)


def inequality_views(
    profiles: Profiles,
    store: Store | None,
    indicator_id: str,
    deprivation: str,
    national: str = NATIONAL_DECILE,
    locality: str | None = None,
    shared: SharedData | None = None,
) -> list[Markup]:
    """One indicator's inequalities: by county decile, by national decile where those differ, by sex and by age.
    With ``locality``: the deciles its small areas are in marked, and its own groups against the county's."""
    if indicator_id in (deprivation, national):
        return []  # deprivation by deprivation says nothing
    name = profiles.geography.area(locality).name if locality else ""
    shown = []
    for deciles_of, found in (
        (
            "county",
            _once(
                shared,
                ("county decile values", indicator_id, deprivation),
                lambda: _derived(
                    profiles,
                    ("county-deciles", indicator_id, deprivation),
                    lambda: decile_values(profiles, indicator_id, deprivation, _county_deciles(profiles, deprivation, shared)),
                ),
            ),
        ),
        (
            "national",
            _once(
                shared,
                ("national decile values", indicator_id, deprivation, national),
                lambda: _derived(
                    profiles,
                    ("national-deciles", indicator_id, deprivation, national),
                    lambda: national_decile_values(profiles, indicator_id, deprivation, national, shared=shared),
                ),
            ),
        ),
    ):
        if found is not None:
            view, slope = found
            title = f"{view.title} ({view.period})" + (", national deciles" if deciles_of == "national" else "")
            of = national if deciles_of == "national" else None
            mine = locality_deciles(profiles, deprivation, locality, of, shared) if locality else None
            marked = (name, mine.value_counts().to_dict()) if locality else None
            chart = views.decile_chart(
                view.frame, title=title, unit=view.unit, sii=slope, deciles_of=deciles_of, key=indicator_id, marked=marked
            )
            shown.append(chart)
    for by in ("sex", "age") if store is not None and store.exists() else ():
        view = breakdown_values(profiles, store, indicator_id, by, locality, shared)
        if view is not None:
            words = BY_WORDS[by]
            against = profiles.config.county["name"] if locality else "England"
            title = f"{view.title} ({view.period}) by {words}" + (f": {name}" if locality else "")
            chart = views.compare_chart(
                view.frame,
                title=title,
                unit=view.unit,
                county=(f"{against}, the same {words}", math.nan),
                key=f"{by}-{indicator_id}",
                ranked=False,
                heading=f"Compared with {against}",
            )
            shown.append(chart)
    return shown


def age_profile(store: Store, geo: Geography, config: Config, locality: str, area: str) -> Markup | None:
    """The locality's population by age band, all persons, against the county's (None without age bands)."""
    pop = population_by_age(store, geo, config.population_indicator, locality, sexes=("Persons",))
    pop = pop[pop["age"].map(views._age_start) < math.inf]
    if pop["age"].nunique() < 2 or pop["area"].sum() <= 0:
        return None
    return views.age_profile_chart(pop, area=area, county=config.county["name"], key=locality)
