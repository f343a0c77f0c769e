"""Make a live dashboard's payload (``apps.payload``) from the store: everything a kernel would otherwise compute.

For one configuration and audience: the indicators the catalogue lets the audience see (``for_audience``) and
their publishable figures (``publishable``: small counts suppressed) per period and level, each map's shading
and legend ready, the web geometry as GeoJSON text per level and vintage, the inequalities by deprivation
decile, each locality's spine chart, trends and population pyramid, the search suggestions and the sources.
Datasets the audience may not see are never read into it, not even by id. ``observatory serve`` writes it once
(:func:`write_payload`, reused while :func:`payload_digest` is unchanged); a notebook's dashboard makes each
file on first use (:class:`PayloadBuilder`). Runs where geopandas and the profile tables are at hand: never in
a dashboard's kernel.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from observatory._core.digests import digest_files, digest_tree, sha256_json
from observatory._core.files import write_atomic
from observatory._core.numbers import format_number
from observatory._core.resources import resource
from observatory._core.vocab import COMPARISON_TITLES, NOT_COMPARED, THEME_TITLES, Theme
from observatory.apps.address import search_options
from observatory.apps.payload import FORMAT, META, STAMP, Payload, payload_folder
from observatory.config import Config, load_config
from observatory.metadata.catalogue import (
    allowed_datasets,
    attribution_frame,
    attributions,
    catalogue_inputs,
    check_audience,
    supplying_datasets,
)
from observatory.present import charts, views
from observatory.present.breakdowns import NATIONAL_DECILE, national_decile_values
from observatory.present.classes import class_labels, quantile_classes
from observatory.present.figures import decimals_for
from observatory.present.palette import COMPARISON_COLOURS, MISSING_COLOUR, comparison_title, sequential
from observatory.present.report import SUPPRESSION_THRESHOLD, LocalityProfile, publishable
from observatory.present.templating import Markup, render_macro
from observatory.present.view_data import decile_values, population_by_age
from observatory.profiles.table import Profiles, inputs_digest, load_profiles
from observatory.store import Store

LEVELS = ("locality", "small_area")
MISSING = "no data or suppressed"
"""The legend's and tooltips' words for an area without a value to show."""
COMPARABLE_NOT = {"–", "suppressed", COMPARISON_TITLES[NOT_COMPARED]}
"""Comparison words that compare nothing: shading by them would draw an all-grey map."""
ROW_COLUMNS = (
    "area_code",
    "area_name",
    "locality_code",
    "locality_name",
    "value",
    "lower95",
    "upper95",
    "comparison",
    "suppressed",
    "value_text",
    "limits_text",
    "vs_county_text",
    "vs_england_text",
    "trend_text",
)
"""What a map file holds per area (``comparison`` is the raw comparison with the county, for the compare view)."""
NO_SII = {
    "county": "There is no slope index of inequality by county decile for {period}.",
    "national": "There is no slope index of inequality by national decile for {period}.",
}
"""What the inequalities view says where the chosen period has no SII (the profile table computes too few)."""

__all__ = ["PayloadBuilder", "for_audience", "payload_digest", "value_classes", "write_payload"]


def value_classes(values: pd.Series, k: int = 5, decimals: int = 1) -> tuple[pd.Series, dict[str, str]]:
    """Quantile classes of ``values`` as legend labels ("lowest – upper") and their colours, light to dark.

    The maps' classes (``present.classes``: mapclassify's quantiles in numpy). Missing values get no class.
    Labels gain decimals until they are distinct and no class reads the same figure at both ends.
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


def payload_digest(cfg: Config, store: Store, audience: str) -> str:
    """What a payload is made from: the profile table's inputs, the catalogue and partner register, the audience,
    the templates and the package's own code."""
    code = digest_tree(Path(__file__).resolve().parents[1])
    parts = [FORMAT, audience, inputs_digest(cfg, store), digest_files(catalogue_inputs(cfg)), digest_tree(resource("templates"))]
    return sha256_json([*parts, code])


def _plain(v: Any) -> Any:
    """A cell as JSON can carry it: NaN and NA become null, numpy numbers plain numbers."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return str(v)


def _columns(frame: pd.DataFrame, columns) -> dict[str, list]:
    return {c: [_plain(v) for v in frame[c].tolist()] for c in columns}


def _dumps(value: Any) -> str:
    """JSON safe to place inside an HTML ``<script>`` element as it is (``<``, ``>`` and ``&`` escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _comparison_label(v) -> str:
    if isinstance(v, str) and v == "suppressed":
        return "suppressed"
    return comparison_title(v)


class PayloadBuilder:
    """The payload of one configuration for one audience, file by file (:meth:`file`; :meth:`names` lists them)."""

    def __init__(self, config: Config | str, audience: str = "public", *, store=None, profiles: Profiles | None = None):
        self.config = config if isinstance(config, Config) else load_config(config)
        self.audience = check_audience(audience)
        self.allowed = allowed_datasets(self.config, self.audience)
        self.store_path = store.path if isinstance(store, Store) else Path(store) if store else self.config.store_dir()
        self.profiles = for_audience(profiles or load_profiles(self.config, Store(self.store_path)), self.allowed)
        self.geo = self.profiles.geography
        self.localities = self.geo.localities()
        self._boundaries: dict[str, Any] = {}
        self._published: dict[tuple[str, str | None], dict[tuple[str, str], pd.DataFrame]] = {}
        self._profiles: dict[str, LocalityProfile] = {}
        t = self.table
        slim = t[["indicator_id", "area_type", "vintage", "period", "period_sort", "value"]]
        self._rows = {str(k): g for k, g in slim.assign(period=slim["period"].astype(str)).groupby("indicator_id", sort=False)}

    # ---- what the payload holds ------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        return self.profiles.profiles

    @cached_property
    def _indicators(self) -> pd.DataFrame:
        loc = self.table[self.table["area_type"] == "locality"]
        order = {t.value: i for i, t in enumerate(Theme)}
        ind = loc.drop_duplicates("indicator_id")[["indicator_id", "title", "theme", "unit", "dataset", "value_type"]]
        ind = ind.assign(_t=ind["theme"].map(order)).sort_values(["_t", "title"]).drop(columns="_t")
        return ind.set_index("indicator_id", drop=False)

    def indicators(self) -> pd.DataFrame:
        """The indicators with locality values the audience may see, in theme then title order."""
        return self._indicators

    def periods(self, indicator_id: str) -> list[str]:
        """The indicator's periods at locality level, newest first."""
        rows = self._rows.get(str(indicator_id))
        if rows is None:
            return []
        loc = rows[rows["area_type"] == "locality"]
        return loc.drop_duplicates("period").sort_values("period_sort", ascending=False)["period"].tolist()

    def vintages(self) -> list[str]:
        """The small-area vintages other than the geography's own that some figure is in."""
        t = self.table
        found = set(t.loc[t["area_type"] == self.geo.small_area_type, "vintage"].astype(str))
        return sorted(v for v in found if v and v != self.geo.vintage and v in self.geo.other_vintage_areas)

    def names(self) -> Iterator[str]:
        """Every file of the payload."""
        yield META
        yield from self._geometry_names()
        for i, indicator in enumerate(self.indicators().index):
            for j in range(len(self.periods(indicator))):
                yield f"maps/{i}-{j}.json"
            yield f"deciles/{i}.json"
        for i in range(len(self.localities)):
            yield f"localities/{i}.json"

    def file(self, name: str) -> str:
        """One file's text (JSON)."""
        kind, _, rest = name.partition("/")
        if name == META:
            return _dumps(self.meta())
        if kind == "geometry":
            return self.geometry(rest.removesuffix(".json"))
        if kind == "maps":
            i, j = (int(x) for x in rest.removesuffix(".json").split("-"))
            indicator = str(self.indicators().index[i])
            return _dumps(self.map_file(indicator, self.periods(indicator)[j]))
        if kind == "deciles":
            return _dumps(self.deciles_file(str(self.indicators().index[int(rest.removesuffix(".json"))])))
        if kind == "localities":
            return _dumps(self.locality_file(self.localities[int(rest.removesuffix(".json"))].code))
        raise KeyError(f"no payload file {name!r}")

    # ---- meta ------------------------------------------------------------------------------------
    def _credits(self, datasets: set[str]) -> dict[str, Any]:
        sheet = attribution_frame(self.config, datasets)
        return {"attributions": attributions(self.config, datasets), "sheet": _columns(sheet, sheet.columns)}

    def population_allowed(self) -> bool:
        """May this audience see the population by age and sex (its datasets all allowed by the catalogue)?"""
        if "_population_allowed" not in self.__dict__:
            supplying = supplying_datasets(self.config, {self.config.population_indicator})
            self.__dict__["_population_allowed"] = bool(supplying) and supplying <= set(self.allowed)
        return self.__dict__["_population_allowed"]

    def meta(self) -> dict[str, Any]:
        ind = self.indicators()
        themes = [t.value for t in Theme if t.value in set(ind["theme"])]
        hierarchy = self.geo.hierarchy
        places = search_options([(a.code, a.name) for a in self.localities], hierarchy)
        allowed_population = self.population_allowed()
        population = {"allowed": allowed_population}
        if allowed_population:
            population["credits"] = self._credits(supplying_datasets(self.config, {self.config.population_indicator}))
        return {
            "format": FORMAT,
            "config": self.config.name,
            "label": self.config.label,
            "synthetic": bool(self.config.synthetic),
            "audience": self.audience,
            "county": self.geo.county.name,
            "localities": [[a.code, a.name] for a in self.localities],
            "themes": [[t, THEME_TITLES[Theme(t)]] for t in themes],
            "indicators": [
                {
                    "id": str(r.indicator_id),
                    "title": str(r.title),
                    "theme": str(r.theme),
                    "unit": "" if pd.isna(r.unit) else str(r.unit),
                    "dataset": str(r.dataset),
                    "value_type": str(r.value_type),
                    "periods": self.periods(r.indicator_id),
                }
                for r in ind.itertuples(index=False)
            ],
            "search": [[text, locality, area] for text, (locality, area) in places.items()],
            "credits": {str(ds): self._credits({str(ds)}) for ds in sorted(set(ind["dataset"].astype(str)))},
            "population": population,
            "threshold": SUPPRESSION_THRESHOLD,
            "missing": MISSING,
            "missing_colour": MISSING_COLOUR,
            "view_assets": str(views.assets()),
            "bounds": {
                name.removeprefix("geometry/").removesuffix(".json"): self._bounds(name) for name in self._geometry_names()
            },
        }

    # ---- geometry --------------------------------------------------------------------------------
    def _geometry_names(self) -> list[str]:
        return [f"geometry/{g}.json" for g in ("locality", "small_area", "county", *(f"small_area-{v}" for v in self.vintages()))]

    def boundaries(self, key: str):
        """Web boundaries (EPSG:4326) of ``locality``, ``small_area``, ``county`` or ``small_area-<vintage>``."""
        if key not in self._boundaries:
            if key.startswith("small_area-"):
                from observatory.geo.areas import simplify_for_web  # start-up: geopandas is loaded already (< 1 ms)

                gdf = simplify_for_web(self.geo.other_vintage_areas[key.split("-", 1)[1]])
            else:
                gdf = self.geo.web_boundaries(key)
            if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
                gdf = gdf.to_crs("EPSG:4326")
            self._boundaries[key] = gdf[["area_code", "area_name", "geometry"]].reset_index(drop=True)
        return self._boundaries[key]

    def geometry(self, key: str) -> str:
        """A level's areas as GeoJSON text: one feature per area, its id the area code, no properties."""
        gdf = self.boundaries(key)
        shapes = shapely.to_geojson(np.asarray(gdf.geometry.values, dtype=object))
        features = [
            f'{{"type":"Feature","id":{_dumps(str(code))},"properties":{{}},"geometry":{shape}}}'
            for code, shape in zip(gdf["area_code"].astype(str), shapes)
        ]
        return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"

    def _bounds(self, name: str) -> list[list[float]] | None:
        minx, miny, maxx, maxy = self.boundaries(name.removeprefix("geometry/").removesuffix(".json")).total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]] if np.isfinite([minx, miny, maxx, maxy]).all() else None

    # ---- a map's figures, shading and legend -------------------------------------------------------
    def _publishable(self, kind: str, vintage: str | None, indicator_id: str, period: str) -> pd.DataFrame:
        """The publishable rows of one indicator and period at one area type (and vintage). Suppression works within
        an indicator, period, area type and parent, so it runs once per area type and vintage for every map."""
        key = (kind, vintage)
        if key not in self._published:
            t = self.table
            rows = t[(t["area_type"] == kind) & ((t["vintage"].astype(str) == vintage) if vintage is not None else True)]
            keep = ["indicator_id", "period", "area_code", "locality_code", "value", "lower95", "upper95"]
            keep += ["vs_county", "vs_england", "trend_judgement"]
            pub = publishable(rows, self.config) if len(rows) else rows.assign(suppressed=pd.Series(dtype=bool))
            pub = pub[[*keep, "suppressed"]]
            groups = pub.assign(period=pub["period"].astype(str)).groupby(["indicator_id", "period"], sort=False)
            self._published[key] = {(str(i), str(p)): g for (i, p), g in groups}
        empty = pd.DataFrame(columns=["area_code", "locality_code", "value", "lower95", "upper95", "vs_county", "vs_england"])
        return self._published[key].get((str(indicator_id), str(period)), empty.assign(trend_judgement=None, suppressed=False))

    def map_frame(self, indicator_id: str, period: str, level: str) -> tuple[pd.DataFrame, str]:
        """The areas of ``level`` with the publishable value, limits, comparisons and trend of one indicator and period
        (areas without a figure kept, blank), and the geometry they are drawn on."""
        geo = self.geo
        kind = "locality" if level == "locality" else geo.small_area_type
        vintage, key = "", level
        if level == "small_area":
            t = self._rows.get(str(indicator_id))
            rows = t[(t["period"] == str(period)) & (t["area_type"] == kind)] if t is not None else []
            if len(rows):
                vintages = rows["vintage"].astype(str)
                vintage = geo.vintage if (vintages == geo.vintage).any() else vintages.mode().iloc[0]
            if vintage and vintage != geo.vintage:
                key = f"small_area-{vintage}"
        pub = self._publishable(kind, vintage if level == "small_area" else None, indicator_id, period)
        keep = ["area_code", "value", "lower95", "upper95", "vs_county", "vs_england", "trend_judgement", "suppressed"]
        gdf = pd.DataFrame(self.boundaries(key).drop(columns="geometry")).merge(
            pub[[*keep, "locality_code"]], on="area_code", how="left"
        )
        ind = self.indicators()
        unit = str(ind.loc[indicator_id, "unit"] or "") if indicator_id in ind.index else ""
        unit = "" if unit == "nan" else unit
        sup = gdf["suppressed"].fillna(False).astype(bool)
        gdf["value"] = pd.to_numeric(gdf["value"], errors="coerce").astype(float)
        places = decimals_for(gdf["value"])
        gdf.attrs["decimals"] = places
        gdf["suppressed"] = sup
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
        gdf["locality_code"] = gdf["locality_code"].fillna("")
        gdf["locality_name"] = gdf["locality_code"].map(names).fillna("")
        gdf["comparison"] = gdf["vs_county"]
        return gdf, key

    def shades(self, gdf: pd.DataFrame) -> dict[str, dict[str, list]]:
        """Each shading ("value", and by comparison with the county and England): every area's fill, the legend rows."""
        out = {}
        present = gdf["value"].notna()
        for colour_by in ("value", "vs_county", "vs_england"):
            if colour_by == "value":
                shade, colours = value_classes(gdf["value"], decimals=gdf.attrs.get("decimals", 1))
            else:
                texts = gdf[f"{colour_by}_text"]
                shade = texts.where(present & (texts != "suppressed"))
                shown = set(shade.dropna())
                colours = {COMPARISON_TITLES[k]: c for k, c in COMPARISON_COLOURS.items() if COMPARISON_TITLES[k] in shown}
            missing = shade.isna()
            fills = [MISSING_COLOUR if m else colours[s] for s, m in zip(shade, missing)]
            legend = [[colour, label] for label, colour in colours.items()] + (
                [[MISSING_COLOUR, MISSING]] if missing.any() else []
            )
            out[colour_by] = {"fills": fills, "legend": legend}
        return out

    @staticmethod
    def comparable(gdf: pd.DataFrame) -> list[str]:
        """The shadings that shade something: "value", and each benchmark some area is compared with (never an
        all-grey "Not compared" map)."""
        return ["value"] + [k for k in ("vs_county", "vs_england") if (~gdf[f"{k}_text"].isin(COMPARABLE_NOT)).any()]

    def _benchmark(self, indicator_id: str, period: str, area_type: str) -> float | None:
        t = self._rows.get(str(indicator_id))
        rows = t[(t["period"] == str(period)) & (t["area_type"] == area_type)] if t is not None else []
        return _plain(rows["value"].iloc[0]) if len(rows) else None

    def map_file(self, indicator_id: str, period: str) -> dict[str, Any]:
        """One indicator and period: per level the areas' figures, the geometry, each shading; county and England."""
        levels = {}
        for level in LEVELS:
            gdf, key = self.map_frame(indicator_id, period, level)
            levels[level] = {
                "geometry": key,
                "decimals": int(gdf.attrs["decimals"]),
                "rows": _columns(gdf, ROW_COLUMNS),
                "shades": self.shades(gdf),
                "comparable": self.comparable(gdf),
            }
        return {
            "indicator": indicator_id,
            "period": str(period),
            "county": self._benchmark(indicator_id, period, "county"),
            "england": self._benchmark(indicator_id, period, "england"),
            "levels": levels,
        }

    # ---- inequalities ------------------------------------------------------------------------------
    @property
    def deprivation(self) -> str:
        """The indicator whose small-area values rank the county's deprivation deciles."""
        return str(self.config.raw.get("deprivation_indicator", "imd_score"))

    @staticmethod
    def _decile_data(found) -> dict[str, Any] | None:
        if found is None:
            return None
        view, sii = found
        frame = view.frame[["decile", "value", "lower95", "upper95", "population"]]
        return {
            "title": str(view.title),
            "period": str(view.period),
            "unit": str(view.unit or ""),
            "frame": _columns(frame, frame.columns),
            "sii": None if sii is None else {k: _plain(sii.get(k)) for k in ("value", "lower95", "upper95")},
        }

    def deciles_file(self, indicator_id: str) -> dict[str, Any]:
        """Per period: the inequalities view drawn, and its figures by county (and national) deprivation decile."""
        out = {}
        title = str(self.indicators().loc[indicator_id, "title"])
        county_name = self.geo.county.name
        for period in self.periods(indicator_id):
            county = (
                None
                if indicator_id == self.deprivation
                else decile_values(self.profiles, indicator_id, self.deprivation, period=period)
            )
            national = None
            if county is not None and indicator_id != NATIONAL_DECILE:
                national = national_decile_values(self.profiles, indicator_id, self.deprivation, period=period)
            if county is None:
                words = f"{title} cannot be shown by deprivation decile in {period}: it needs small-area values."
                panel = render_macro("dashboard_sections.html.j2", "view_prompt", words)
            else:
                shown, words = [], []
                for deciles_of, got in (("county", county), ("national", national)):
                    if got is None:
                        continue
                    view, sii = got
                    named = f"{view.title} ({view.period})" + (", national deciles" if deciles_of == "national" else "")
                    shown.append(
                        views.decile_chart(
                            view.frame, title=named, unit=view.unit, sii=sii, deciles_of=deciles_of, key=indicator_id
                        )
                    )
                    if not (bool(sii) and pd.notna(sii.get("value"))):
                        words.append(NO_SII[deciles_of].format(period=period))
                heading = f"Inequalities in {county_name}: {title}"
                panel = render_macro("dashboard_sections.html.j2", "view_panel", heading, " ".join(words), Markup("").join(shown))
            out[str(period)] = {"panel": str(panel), "county": self._decile_data(county), "national": self._decile_data(national)}
        return out

    # ---- a locality ------------------------------------------------------------------------------
    def _profile(self, locality: str) -> LocalityProfile:
        if locality not in self._profiles:
            self._profiles[locality] = LocalityProfile(
                self.config, locality, quarter="", audience=self.audience, profiles=self.profiles, allowed_datasets=self.allowed
            )
        return self._profiles[locality]

    def population(self, locality: str) -> pd.DataFrame | None:
        """People by sex and age band in ``locality`` and the county, when the audience may see them and the store has
        them (None otherwise)."""
        if not self.population_allowed() or not self.store_path.exists():
            return None
        return population_by_age(Store(self.store_path), self.geo, self.config.population_indicator, locality)

    def _trend_benchmarks(self, indicator_id: str) -> dict[str, pd.DataFrame]:
        """The county's and England's values of an indicator in every period (the trend charts' lines)."""
        cache = self.__dict__.setdefault("_benchmarks", {})
        if indicator_id not in cache:
            rows, bench = self._rows.get(indicator_id), {}
            for name, kind in ((self.geo.county.name, "county"), ("England", "england")):
                b = rows[rows["area_type"] == kind][["period", "value"]] if rows is not None else []
                if len(b):
                    bench[name] = b
            cache[indicator_id] = bench
        return cache[indicator_id]

    def locality_file(self, locality: str) -> dict[str, Any]:
        """A locality's spine chart, its trend for every indicator, and its population by age (with the pyramid)."""
        name = {a.code: a.name for a in self.localities}[locality]
        prof = self._profile(locality)
        out: dict[str, Any] = {"code": locality, "name": name, "spine": None, "trends": {}, "pyramid": "", "population": None}
        try:
            out["spine"] = str(prof.spine_html())
        except KeyError:  # no indicator the audience may see has data for this locality
            pass
        if out["spine"] is not None:
            ind = self.indicators()
            mine = dict(tuple(prof.data.groupby("indicator_id", sort=False)))
            for indicator in ind.index:
                s = mine.get(indicator)
                title, unit = str(ind.loc[indicator, "title"]), str(ind.loc[indicator, "unit"] or "")
                if s is None or s.empty:
                    out["trends"][str(indicator)] = str(render_macro("dashboard_sections.html.j2", "no_trend", title, name))
                    continue
                bench = self._trend_benchmarks(str(indicator))
                chart = charts.trend_chart(s, title=title, benchmark=bench, unit="" if unit == "nan" else unit, name=name)
                out["trends"][str(indicator)] = str(render_macro("dashboard_sections.html.j2", "trend", name, chart))
        pop = self.population(locality)
        if pop is None or not len(pop) or pop["area"].sum() <= 0:
            words = f"No population by age and sex is available for {name}."
            out["pyramid"] = str(render_macro("dashboard_sections.html.j2", "view_prompt", words))
        else:
            chart = views.pyramid_chart(pop, area=name, county=self.geo.county.name, key=f"dashboard-{locality}")
            heading = f"Population of {name} by age and sex"
            out["pyramid"] = str(render_macro("dashboard_sections.html.j2", "view_panel", heading, "", chart))
            out["population"] = _columns(pop, ["sex", "age", "area", "county"])
        return out

    def payload(self) -> Payload:
        """This payload read file by file as it is asked for (in memory: a notebook's dashboard)."""
        return Payload(self.file)


def write_payload(
    config: Config | str,
    audience: str = "public",
    out: Path | str | None = None,
    *,
    store: Path | str | Store | None = None,
    profiles: Profiles | None = None,
    reuse: bool = True,
) -> dict[str, Any]:
    """Write the payload of ``config`` for ``audience`` into ``out`` (default ``apps.payload.payload_folder``),
    replacing what was there; with ``reuse``, a payload made from the same inputs is kept. Returns what is there."""
    t0 = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    audience = check_audience(audience)
    store_path = store.path if isinstance(store, Store) else Path(store) if store else cfg.store_dir()
    own = Path(store_path).resolve() == Path(cfg.store_dir()).resolve()
    out = Path(out) if out else payload_folder(cfg.name, audience, None if own else store_path)
    digest, stamp = payload_digest(cfg, Store(store_path), audience), out / STAMP
    if reuse and stamp.is_file() and json.loads(stamp.read_text()).get("digest") == digest and (out / META).is_file():
        return _summary(out, t0, reused=True)
    builder = PayloadBuilder(cfg, audience, store=store_path, profiles=profiles)
    fresh = out.with_name(out.name + ".new")
    if fresh.exists():
        shutil.rmtree(fresh)
    for name in builder.names():
        path = fresh / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, builder.file(name).encode("utf-8"))
    write_atomic(fresh / STAMP, json.dumps({"digest": digest}).encode("utf-8"))
    if out.exists():
        shutil.rmtree(out)
    fresh.rename(out)
    return _summary(out, t0, reused=False)


def _summary(out: Path, t0: float, reused: bool) -> dict[str, Any]:
    files = [p for p in out.rglob("*") if p.is_file() and p.name != STAMP]
    return {
        "folder": out,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "seconds": time.perf_counter() - t0,
        "reused": reused,
    }
