"""The figures the localities dashboard shows to one audience: indicators, periods and each view's publishable rows.

What the audience may see is decided by the catalogue (``for_audience``), small counts stay suppressed
(``publishable``, with the catalogue's own thresholds), and the last few frames are kept so a choice
seen before redraws at once. The widgets are in ``apps.dashboard``, the drawing in ``apps.dashboard_views``.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd

from observatory._core.numbers import format_number
from observatory._core.vocab import COMPARISON_TITLES, NOT_COMPARED, Theme
from observatory.config import Config, load_config
from observatory.geo.areas import simplify_for_web
from observatory.metadata.catalogue import allowed_datasets, check_audience, supplying_datasets
from observatory.present.breakdowns import NATIONAL_DECILE, national_decile_values
from observatory.present.classes import class_labels, quantile_classes
from observatory.present.figures import decimals_for
from observatory.present.palette import comparison_title, sequential
from observatory.present.report import publishable
from observatory.present.view_data import IndicatorView, decile_values, population_by_age
from observatory.profiles.table import Profiles, load_profiles
from observatory.store import Store

LEVELS = {"locality": "Localities", "small_area": "Small areas"}
COLOUR_BY = {"value": "Value", "vs_county": "Compared with county", "vs_england": "Compared with England"}
NO_LOCALITY = ""
COMPARABLE_NOT = {"–", "suppressed", COMPARISON_TITLES[NOT_COMPARED]}
"""Comparison words that compare nothing: shading by them would draw an all-grey map."""
_FRAMES_KEPT = 8
Folder = Store | Path | str | None

__all__ = ["COLOUR_BY", "LEVELS", "NO_LOCALITY", "DashboardData", "for_audience", "value_classes"]


def value_classes(values: pd.Series, k: int = 5, decimals: int = 1) -> tuple[pd.Series, dict[str, str]]:
    """Quantile classes of ``values`` as legend labels ("lowest – upper") and their colours, light to dark.

    The maps' classes (``present.classes``: mapclassify's quantiles in numpy, so a dashboard kernel never
    imports mapclassify). Missing values get no class. Labels gain decimals until they are distinct and no
    class reads the same figure at both ends.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    classes, bounds = quantile_classes(numbers.to_numpy(), k)
    if not bounds.size:
        return pd.Series([None] * len(values), index=values.index, dtype=object), {}
    labels = class_labels(numbers.min(), bounds, decimals)
    shown = pd.Series([labels[c] if c >= 0 else None for c in classes], index=values.index, dtype=object)
    return shown, dict(zip(labels, sequential(len(bounds))))


def for_audience(profiles: Profiles, allowed: set[str]) -> Profiles:
    """The profile rows a dashboard shows to an audience: allowed datasets; localities, small areas, county, England."""
    p = profiles.profiles
    kinds = {"locality", profiles.geography.small_area_type, "county", "england"}
    table = p[p["dataset"].isin(allowed) & p["area_type"].isin(kinds)].reset_index(drop=True)
    slim = Profiles(profiles.config, table, profiles.gaps, profiles.gap_trends, profiles.digest)
    slim.__dict__["geography"] = profiles.geography
    return slim


def _comparison_label(v) -> str:
    if isinstance(v, str) and v == "suppressed":
        return "suppressed"
    return comparison_title(v)


def _release_memory() -> None:
    """Hand freed table memory back to the system: each open page has its own kernel."""
    gc.collect()
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass


def _keep(cache: OrderedDict, key: tuple, make, size: int = _FRAMES_KEPT):
    """``cache[key]``, made by ``make()`` when missing; the oldest entries beyond ``size`` dropped."""
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = make()
        while len(cache) > size:
            cache.popitem(last=False)
    return cache[key]


class DashboardData:
    """The publishable figures of one configuration for one audience, as the dashboard's views read them."""

    def __init__(self, config: Config | str, audience: str = "public", *, store: Folder = None, profiles: Profiles | None = None):
        self.config = config if isinstance(config, Config) else load_config(config)
        self.audience = check_audience(audience)
        self.allowed = allowed_datasets(self.config, self.audience)
        self.store_path = store.path if isinstance(store, Store) else Path(store) if store else None
        self.profiles = for_audience(profiles or load_profiles(self.config, store), self.allowed)
        if profiles is None:
            _release_memory()
        self._frames: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()
        self._boundary_cache: dict[tuple[str, str], gpd.GeoDataFrame] = {}
        self._populations: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self.localities = self.profiles.geography.localities()

    @property
    def table(self) -> pd.DataFrame:
        """Profile rows the audience may see (see :func:`for_audience`)."""
        return self.profiles.profiles

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """The indicators with locality values the audience may see: id, title, theme, unit, dataset, value type."""
        loc = self.table[self.table["area_type"] == "locality"]
        order = {t.value: i for i, t in enumerate(Theme)}
        ind = loc.drop_duplicates("indicator_id")[["indicator_id", "title", "theme", "unit", "dataset", "value_type"]]
        ind = ind.assign(_t=ind["theme"].map(order)).sort_values(["_t", "title"]).drop(columns="_t")
        return ind.set_index("indicator_id", drop=False)

    @cached_property
    def county_name(self) -> str:
        return self.profiles.geography.county.name

    def periods(self, indicator_id: str) -> list[str]:
        """The indicator's periods at locality level, newest first."""
        loc = self.table[(self.table["area_type"] == "locality") & (self.table["indicator_id"] == indicator_id)]
        return loc.drop_duplicates("period").sort_values("period_sort", ascending=False)["period"].astype(str).tolist()

    def boundaries(self, level: str, vintage: str = "") -> gpd.GeoDataFrame:
        """Web boundaries of the localities, small areas (of ``vintage``) or the county."""
        key = (level, vintage)
        if key not in self._boundary_cache:
            geo = self.profiles.geography
            if level == "small_area" and vintage and vintage != geo.vintage:
                self._boundary_cache[key] = simplify_for_web(geo.other_vintage_areas[vintage])
            else:
                self._boundary_cache[key] = geo.web_boundaries(level)[["area_code", "area_name", "geometry"]]
        return self._boundary_cache[key]

    def map_frame(self, indicator_id: str, period: str, level: str = "locality") -> gpd.GeoDataFrame:
        """Areas at ``level`` with the publishable value, limits, comparisons and trend for one indicator and period
        (the last few kept: the shading choices, the map, the comparison and the download read the same frame)."""
        key = (indicator_id, str(period), level)
        return _keep(self._frames, key, lambda: self._map_frame(*key)).copy()

    def comparable(self, indicator_id: str, period: str, level: str = "locality") -> list[str]:
        """The ``COLOUR_BY`` choices that shade something: "value", and each benchmark some area is compared with."""
        gdf = self.map_frame(indicator_id, period, level)
        return ["value"] + [k for k in ("vs_county", "vs_england") if (~gdf[f"{k}_text"].isin(COMPARABLE_NOT)).any()]

    def _map_frame(self, indicator_id: str, period: str, level: str) -> gpd.GeoDataFrame:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {list(LEVELS)}, not {level!r}")
        geo = self.profiles.geography
        kind = "locality" if level == "locality" else geo.small_area_type
        t = self.table
        rows = t[(t["indicator_id"] == indicator_id) & (t["period"].astype(str) == str(period)) & (t["area_type"] == kind)]
        vintage = ""
        if level == "small_area" and len(rows):
            vintages = rows["vintage"].astype(str)
            vintage = geo.vintage if (vintages == geo.vintage).any() else vintages.mode().iloc[0]
            rows = rows[vintages == vintage]
        pub = publishable(rows, self.config) if len(rows) else rows.assign(suppressed=pd.Series(dtype=bool))
        keep = ["area_code", "value", "lower95", "upper95", "vs_county", "vs_england", "trend_judgement", "suppressed"]
        gdf = self.boundaries(level, vintage).merge(pub[[*keep, "locality_code"]], on="area_code", how="left")
        unit = self.indicators.loc[indicator_id, "unit"] if indicator_id in self.indicators.index else ""
        sup = gdf["suppressed"].fillna(False).astype(bool)
        places = decimals_for(gdf["value"])
        gdf.attrs["decimals"] = places
        gdf["value_text"] = [("suppressed" if s else format_number(v, places, unit)) for v, s in zip(gdf["value"], sup)]
        gdf["limits_text"] = [
            "–" if s or pd.isna(lo) or pd.isna(hi) else f"{format_number(lo, places, unit)} to {format_number(hi, places, unit)}"
            for lo, hi, s in zip(gdf["lower95"], gdf["upper95"], sup)
        ]
        for name in ("vs_county", "vs_england"):
            gdf[f"{name}_text"] = [
                "suppressed" if s else "–" if pd.isna(v) else _comparison_label(c)
                for c, v, s in zip(gdf[name], gdf["value"], sup)
            ]
        gdf["trend_text"] = gdf["trend_judgement"].fillna("–").astype(str).replace({"nan": "–", "": "–"})
        names = {a.code: a.name for a in self.localities}
        gdf["locality_name"] = gdf["locality_code"].map(names).fillna("")
        return gdf

    # ---- the comparison views' figures ---------------------------------------------------------
    def benchmark(self, indicator_id: str, period: str, area_type: str) -> float:
        """The county's or England's value of one indicator in one period (NaN when there is none)."""
        t = self.table
        rows = t[(t["indicator_id"] == indicator_id) & (t["period"].astype(str) == str(period)) & (t["area_type"] == area_type)]
        return float(rows["value"].iloc[0]) if len(rows) and pd.notna(rows["value"].iloc[0]) else float("nan")

    def compare_frame(self, indicator_id: str, period: str) -> pd.DataFrame:
        """Every locality's publishable value, limits and comparison with the county (``views.COMPARE_COLUMNS``)."""
        f = self.map_frame(indicator_id, period, "locality")
        frame = pd.DataFrame(f.drop(columns="geometry")).rename(columns={"vs_county": "comparison"})
        frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
        return frame

    @property
    def deprivation(self) -> str:
        """The indicator whose small-area values rank the county's deprivation deciles."""
        return str(self.config.raw.get("deprivation_indicator", "imd_score"))

    def deciles(self, indicator_id: str, period: str | None = None) -> tuple[IndicatorView, dict] | None:
        """The indicator by county deprivation decile and its SII, as the pack shows it: in ``period`` (its SII NaN
        where the profile table has none), or by default the latest period with an SII."""
        if indicator_id == self.deprivation:
            return None
        return decile_values(self.profiles, indicator_id, self.deprivation, period=period)

    def national_deciles(self, indicator_id: str, period: str | None = None) -> tuple[IndicatorView, dict | None] | None:
        """The indicator by national deprivation decile and its SII, where those deciles differ from the county's."""
        if indicator_id in (self.deprivation, NATIONAL_DECILE):
            return None
        return national_decile_values(self.profiles, indicator_id, self.deprivation, period=period)

    def population_allowed(self) -> bool:
        """May this audience see the population by age and sex (its dataset allowed by the catalogue)?"""
        supplying = supplying_datasets(self.config, {self.config.population_indicator})
        return bool(supplying) and supplying <= set(self.allowed)

    def population(self, locality: str) -> pd.DataFrame:
        """People by sex and age band in ``locality`` (``area``) and the county (``county``); empty without them."""

        def read() -> pd.DataFrame:
            store = Store(self.store_path or self.config.store_dir())
            return population_by_age(store, self.profiles.geography, self.config.population_indicator, locality)

        return _keep(self._populations, (locality,), read)
