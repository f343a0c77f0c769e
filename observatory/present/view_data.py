"""The figures behind the comparison views, taken from the profile table and the store (publishable only).

- :func:`locality_values`: every locality's latest value of one indicator, with its comparison with the county.
- :func:`decile_values`: an indicator by county deprivation decile (latest or chosen period), and the SII the profile
  table computed.
- :func:`population_by_age`: a locality's and the county's people by sex and age band, from the store.
- :func:`shared_data`: what every locality's profile of one pack shares (the profile table, the audience's
  datasets, every locality's publishable rows, the ranked compare frames, the county and England series,
  web geometry, the small-area population), computed once per configuration, inputs digest and audience and
  kept in the process: a warm kernel building 23 profiles computes it once, a fresh kernel each time.
  :meth:`SharedData.once` keeps whatever else the pages compute alike for these inputs (the county's decile
  views, the store's rows of an indicator, the IoD summary measures, life expectancy, attributions).

The cache holds at most :data:`SHARED_SIZE` entries (least recently used dropped first). Its key is the
configuration's folder and name, ``profiles.table.inputs_digest`` (the store's content hash, the
configuration, indicator and locality files and the statistics code) and the catalogue file's digest
(audiences and disclosure rules), and the audience. The quarter is not part of it: nothing shared depends on
it. A changed store (or catalogue) gives a new key, so it is never served stale; geometry and lookup files
named by ``config.yaml`` are read once per key. :func:`shared_cache_info` counts hits and misses;
:func:`clear_shared_cache` empties it.

:func:`exception_basis` is its sibling for the exception reports: what every governance level's report
shares (the profile rows the audience may see, targets and forecasts, every level's exceptions, risks, spend
against need), built on the shared data and kept under its key plus the targets, allocations and risks
files' digest, so the pack's 2nd to 12th reports in a kernel filter it instead of computing it again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from observatory._core.digests import digest_files
from observatory.config import Config
from observatory.geo.areas import Area, Geography
from observatory.metadata.catalogue import (
    allowed_datasets,
    attribution_frame,
    attributions,
    catalogue_file,
    partners_file,
    supplying_datasets,
)
from observatory.performance.basis import ExceptionBasis
from observatory.performance.targets import allocations_file, risks_file, targets_file
from observatory.present.disclosure import SUPPRESSION_THRESHOLD, publishable
from observatory.profiles.table import Profiles, deprivation_deciles, inputs_digest, load_profiles
from observatory.stats.methods import proportion_ci, rate_ci
from observatory.store import Store

T = TypeVar("T")

__all__ = [
    "IndicatorView",
    "SharedData",
    "locality_values",
    "decile_values",
    "population_by_age",
    "shared_data",
    "exception_basis",
    "shared_cache_info",
    "clear_shared_cache",
]


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


VIEW_FIELDS = ("indicator_id", "title", "unit", "period", "county", "england", "region")


def slope_view_table(found: tuple[IndicatorView, dict | None] | None) -> pd.DataFrame:
    """A view and its slope (SII), or None, as one table whose ``attrs`` hold the rest: what
    ``Profiles.derived`` keeps in Parquet. :func:`slope_view_from_table` reads it back."""
    if found is None:
        table = pd.DataFrame()
        table.attrs = {"none": True}
        return table
    view, slope = found
    table = view.frame.copy()
    table.attrs = {"none": False, "slope": slope, **{f: getattr(view, f) for f in VIEW_FIELDS}}
    return table


def slope_view_from_table(table: pd.DataFrame) -> tuple[IndicatorView, dict | None] | None:
    """What :func:`slope_view_table` was given."""
    meta = dict(table.attrs)
    if meta.get("none", True):
        return None
    frame = table.copy()
    frame.attrs = {}
    fields = {f: meta[f] for f in VIEW_FIELDS}
    for f in ("county", "england", "region"):
        fields[f] = float("nan") if fields[f] is None else float(fields[f])
    return IndicatorView(frame=frame, **fields), meta["slope"]


def locality_values(profiles: Profiles, indicator_id: str) -> IndicatorView | None:
    """Every locality's latest value of ``indicator_id``, small counts suppressed (None without data)."""
    p = profiles.level("locality", indicator_id)
    if p.empty or p["value_type"].iloc[0] == "count":
        return None
    return _indicator_view(indicator_id, publishable(p, profiles.config))


def _indicator_view(indicator_id: str, p: pd.DataFrame) -> IndicatorView:
    """The view of one indicator's publishable latest locality rows."""
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


def decile_values(
    profiles: Profiles, indicator_id: str, deprivation: str, deciles: pd.Series | None = None, period: str | None = None
) -> tuple[IndicatorView, dict] | None:
    """``indicator_id`` in each county deprivation decile of its latest period with an SII (or of ``period``, whose
    SII is NaN where the profile table has none), and that SII; None without small-area values.

    Proportions and crude rates are summed per decile (Wilson and Byar limits, as ``stats.gap.sii_by_decile``
    does); other values are population-weighted means without limits. A decile whose count is 1 to the
    disclosure threshold is left out.
    """
    gaps = profiles.gaps
    gaps = gaps[(gaps["indicator_id"] == indicator_id) & gaps["sii"].notna()] if "sii" in gaps else gaps.iloc[0:0]
    if period is not None:
        gaps = gaps[gaps["period"].astype(str) == str(period)]
    elif gaps.empty:
        return None
    last = gaps.loc[gaps["period_sort"].idxmax()] if len(gaps) else None
    when = str(period) if period is not None else str(last["period"])
    geo: Geography = profiles.geography
    deciles = deprivation_deciles(profiles.profiles, geo, deprivation) if deciles is None else deciles  # or national
    p = profiles.profiles
    p = p[(p["indicator_id"] == indicator_id) & (p["area_type"] == geo.small_area_type)]
    sa = p[p["period"].astype(str) == when]
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
    first = sa.iloc[0] if last is None else last
    view = IndicatorView(
        indicator_id, str(first["title"]), str(first["unit"]), when, d[["decile", "value", "lower95", "upper95", "population"]]
    )
    if last is None:
        return view, {"value": np.nan, "lower95": np.nan, "upper95": np.nan}
    return view, {"value": last["sii"], "lower95": last["sii_lower95"], "upper95": last["sii_upper95"]}


def population_by_age(
    store: Store, geo: Geography, indicator_id: str, locality: str, sexes: tuple[str, ...] = ("Male", "Female")
) -> pd.DataFrame:
    """People by ``sex`` (Male, Female) and ``age`` band in the locality (``area``) and the county (``county``),
    from the latest period of the store's small-area population; empty without an age and sex breakdown."""
    return _by_age(_county_population(store, geo, indicator_id, sexes), geo, locality)


def _county_population(
    store: Store, geo: Geography, indicator_id: str, sexes: tuple[str, ...] = ("Male", "Female")
) -> pd.DataFrame:
    """The county's small areas' latest population by sex and age band (empty without that breakdown)."""
    pop = store.read(
        [indicator_id], [geo.small_area_type], columns=["area_code", "vintage", "period_sort", "sex", "age", "value"]
    )
    pop = pop[pop["sex"].isin(sexes) & pop["age"].fillna("").ne("") & (pop["vintage"] == geo.vintage)]
    if pop.empty:
        return pop
    pop = pop[pop["period_sort"] == pop["period_sort"].max()]
    return pop[pop["area_code"].isin(geo.hierarchy["small_area_code"])]


def _by_age(pop: pd.DataFrame, geo: Geography, locality: str) -> pd.DataFrame:
    if pop.empty:
        return pd.DataFrame(columns=["sex", "age", "area", "county"])
    h = geo.hierarchy
    mine = pop["area_code"].isin(h.loc[h["locality_code"] == locality, "small_area_code"])
    county = pop.groupby(["sex", "age"])["value"].sum().rename("county")
    area = pop[mine].groupby(["sex", "age"])["value"].sum().rename("area")
    return pd.concat([area, county], axis=1).fillna(0).reset_index()


@dataclass
class SharedData:
    """What every locality's profile of one configuration, inputs digest and audience shares, each part computed
    on first use and then kept: build it with :func:`shared_data` (cached) or directly (not cached)."""

    config: Config
    profiles: Profiles
    allowed: frozenset[str]
    store: Store
    key: tuple = ()
    _views: dict[str, IndicatorView | None] = field(default_factory=dict, repr=False)
    _boundaries: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    _supplying: dict[frozenset[str], frozenset[str]] = field(default_factory=dict, repr=False)
    _once: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def once(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()``, computed on the first call with ``key`` and then kept: for what every page built from these
        inputs computes alike. What it returns is shared by those pages, so they must not change it."""
        if key not in self._once:
            self._once[key] = make()
        return self._once[key]

    @cached_property
    def localities(self) -> pd.DataFrame:
        """Every period of every allowed indicator for every locality, publishable (suppression works within an
        indicator, period and district, so one locality's rows are those its district's peers would give)."""
        p = self.profiles.profiles
        p = p[(p["area_type"] == "locality") & p["dataset"].isin(self.allowed)]
        return publishable(p, self.config)

    @cached_property
    def _latest_by_indicator(self) -> dict[str, pd.DataFrame]:
        latest = self.localities[self.localities["latest"]]
        return {str(ind): g for ind, g in latest.groupby("indicator_id", sort=False)}

    def locality_values(self, indicator_id: str) -> IndicatorView | None:
        """:func:`locality_values` of an allowed indicator, computed once."""
        if indicator_id not in self._views:
            p = self._latest_by_indicator.get(indicator_id)
            empty = p is None or p.empty or p["value_type"].iloc[0] == "count"
            self._views[indicator_id] = None if empty else _indicator_view(indicator_id, p)
        return self._views[indicator_id]

    @cached_property
    def _benchmarks(self) -> dict[tuple[str, str], pd.DataFrame]:
        p = self.profiles.profiles
        p = p[p["area_type"].isin(["county", "region", "england"])]
        return {(str(i), str(k)): g[["period", "value"]] for (i, k), g in p.groupby(["indicator_id", "area_type"], sort=False)}

    def benchmark(self, indicator_id: str, area_type: str) -> pd.DataFrame | None:
        """The ``period`` and ``value`` of an indicator's county, region or England rows (None without any)."""
        return self._benchmarks.get((indicator_id, area_type))

    def web_boundaries(self, level: str) -> gpd.GeoDataFrame:
        """``Geography.web_boundaries(level)``, simplified once (a copy: callers may filter and merge it)."""
        if level not in self._boundaries:
            self._boundaries[level] = self.profiles.geography.web_boundaries(level)
        return self._boundaries[level].copy()

    @cached_property
    def _areas(self) -> dict[str, Area]:
        first = self.profiles.geography.areas.drop_duplicates("code")
        return {r.code: Area(r.code, r.name, r.type, r.vintage) for r in first.itertuples(index=False)}

    def area(self, code: str) -> Area:
        """``Geography.area(code)`` from a lookup built once."""
        if code not in self._areas:
            return self.profiles.geography.area(code)  # raises its KeyError
        return self._areas[code]

    def _partners(self) -> str:
        return digest_files([partners_file()])  # the partner register: not part of the key

    def attribution(self, datasets: set[str]) -> pd.DataFrame:
        """``metadata.catalogue.attribution_frame`` of ``datasets``, computed once per set and partner register."""
        key = ("attribution frame", frozenset(datasets), self._partners())
        return self.once(key, lambda: attribution_frame(self.config, datasets))

    def attributions(self, datasets: set[str]) -> list[str]:
        """``metadata.catalogue.attributions`` of ``datasets``, computed once per set and partner register."""
        key = ("attributions", frozenset(datasets), self._partners())
        return list(self.once(key, lambda: attributions(self.config, datasets)))

    def supplying_datasets(self, indicators: set[str]) -> set[str]:
        """``metadata.catalogue.supplying_datasets`` of ``indicators``, computed once per set."""
        key = frozenset(indicators)
        if key not in self._supplying:
            self._supplying[key] = frozenset(supplying_datasets(self.config, key))
        return set(self._supplying[key])

    @cached_property
    def _population(self) -> pd.DataFrame:
        return _county_population(self.store, self.profiles.geography, self.config.population_indicator)

    def population_by_age(self, locality: str) -> pd.DataFrame:
        """:func:`population_by_age` of the configuration's population indicator, the store read once."""
        return _by_age(self._population, self.profiles.geography, locality)


SHARED_SIZE = 4
_SHARED: OrderedDict[tuple, SharedData] = OrderedDict()
_STATS = {"hits": 0, "misses": 0}


def shared_data(config: Config, store: Path | str | Store | None = None, audience: str = "public") -> SharedData:
    """The :class:`SharedData` of a configuration, store and audience, from the process's cache when the
    inputs digest (store content included) and the catalogue are those it was computed from."""
    st = store if isinstance(store, Store) else Store(store or config.store_dir())
    key = (
        str(config.dir),
        config.name,
        str(st.path),
        inputs_digest(config, st),
        digest_files([catalogue_file(config)]),
        audience,
    )
    if key in _SHARED:
        _STATS["hits"] += 1
        _SHARED.move_to_end(key)
        return _SHARED[key]
    _STATS["misses"] += 1
    found = SharedData(config, load_profiles(config, st), frozenset(allowed_datasets(config, audience)), st, key)
    _SHARED[key] = found
    while len(_SHARED) > SHARED_SIZE:
        _SHARED.popitem(last=False)
    return found


_BASES: OrderedDict[tuple, ExceptionBasis] = OrderedDict()
_BASIS_STATS = {"hits": 0, "misses": 0}


def exception_basis(config: Config, store: Path | str | Store | None = None, audience: str = "public") -> ExceptionBasis:
    """The :class:`~observatory.performance.basis.ExceptionBasis` every exception report of a configuration,
    store and audience shares, from the process's cache when the shared data's key and the targets,
    allocations and risks files are those it was computed from. Its profile rows are the shared data's, with
    the profiles' disclosure control (the catalogue's rules)."""
    shared = shared_data(config, store, audience)
    key = (shared.key, digest_files([targets_file(config), allocations_file(config), risks_file(config)]))
    if key in _BASES:
        _BASIS_STATS["hits"] += 1
        _BASES.move_to_end(key)
        return _BASES[key]
    _BASIS_STATS["misses"] += 1
    found = ExceptionBasis(config, shared.profiles, shared.allowed, partial(publishable, rules=config), shared.localities)
    _BASES[key] = found
    while len(_BASES) > SHARED_SIZE:
        _BASES.popitem(last=False)
    return found


def shared_cache_info() -> dict[str, int]:
    """Hits, misses and entries of the shared-data cache of this process, and of the exception bases
    (``exception_hits``, ``exception_misses``, ``exception_entries``)."""
    exceptions = {f"exception_{k}": v for k, v in _BASIS_STATS.items()}
    return {**_STATS, "entries": len(_SHARED), "size": SHARED_SIZE, **exceptions, "exception_entries": len(_BASES)}


def clear_shared_cache() -> None:
    """Forget every shared entry and exception basis, and the counts."""
    _SHARED.clear()
    _BASES.clear()
    _STATS.update(hits=0, misses=0)
    _BASIS_STATS.update(hits=0, misses=0)
