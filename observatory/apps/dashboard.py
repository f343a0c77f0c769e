"""The localities dashboard: a choropleth of the localities (or small areas) with each locality's spine and trend.

One widget app served by Voila (``dashboards/localities.ipynb`` only builds it). Pick a theme, an
indicator and a period; the map shades the localities, or the small areas, by value or by comparison
with the county or England. Choosing a locality in the dropdown outlines it on the map and shows its
spine chart, its trend for the indicator and a link to its profile in the newest pack for the same
audience. The map is an offline Leaflet document in an ``ipywidgets.HTML`` iframe: Voila sends a new
``value`` when a choice changes, and papermill or nbclient never see an ``Output`` widget with a large
payload. What the audience may see is decided by the catalogue, and small counts stay suppressed.

Clicking an area of the map does not select it: the map lives in a sandboxed iframe with no channel
back to the kernel, so the locality is chosen from the dropdown.
"""

from __future__ import annotations

import gc
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd
from markupsafe import escape

from observatory._core.numbers import format_number
from observatory._core.vocab import COMPARISON_TITLES, NOT_COMPARED, THEME_TITLES, Theme
from observatory.apps.address import View, data_uri, find_place, parse_view, search_options, view_table
from observatory.apps.paths import PACKS_PATH, latest_pack, packs_root, profile_in_pack
from observatory.config import Config, load_config
from observatory.geo.areas import simplify_for_web
from observatory.metadata.catalogue import allowed_datasets, attribution_frame, attributions, check_audience
from observatory.present import charts
from observatory.present.classes import class_labels, quantile_classes
from observatory.present.figures import decimals_for
from observatory.present.maps import choropleth, map_iframe
from observatory.present.palette import COMPARISON_COLOURS, comparison_title, sequential
from observatory.present.report import SUPPRESSION_THRESHOLD, LocalityProfile, publishable
from observatory.present.templating import Markup, render_macro
from observatory.profiles.table import Profiles, load_profiles

LEVELS = {"locality": "Localities", "small_area": "Small areas"}
COLOUR_BY = {"value": "Value", "vs_county": "Compared with county", "vs_england": "Compared with England"}
PACKS_URL_ENV = "OBSERVATORY_PACKS_URL"
PACKS_DIR_ENV = "OBSERVATORY_PACKS_DIR"
NO_LOCALITY = ""
MISSING = "no data or suppressed"
_MAP_CACHE_SIZE = 24
COMPARABLE_NOT = {"–", "suppressed", COMPARISON_TITLES[NOT_COMPARED]}
"""Comparison words that compare nothing: shading by them would draw an all-grey map."""


__all__ = ["LocalitiesDashboard", "decimals_for", "for_audience", "latest_pack", "profile_in_pack", "value_classes"]


def _number(v: float, unit: str = "", decimals: int = 1) -> str:
    return format_number(v, decimals, unit)


def _section(name: str, *args) -> Markup:
    return render_macro("dashboard_sections.html.j2", name, *args)


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


class LocalitiesDashboard:
    """Widgets and views of the localities dashboard for one configuration and audience.

    ``theme``, ``indicator``, ``period``, ``level``, ``colour_by`` and ``locality`` are the
    controls; ``map``, ``details`` and ``sources`` are ``ipywidgets.HTML`` outputs updated when a
    control changes; ``app`` is the whole layout. ``packs_url`` is where the server publishes
    ``packs_dir`` (default: the configuration's packs folder; see ``observatory.apps.serve``).
    """

    def __init__(
        self,
        config: Config | str = "demo",
        audience: str = "public",
        *,
        store: Path | str | None = None,
        profiles: Profiles | None = None,
        packs_dir: Path | str | None = None,
        packs_url: str | None = None,
        map_height: int = 520,
    ):
        import ipywidgets as w

        self.config = config if isinstance(config, Config) else load_config(config)
        self.audience = check_audience(audience)
        self.allowed = allowed_datasets(self.config, self.audience)
        self.profiles = for_audience(profiles or load_profiles(self.config, store), self.allowed)
        if profiles is None:
            _release_memory()
        self.packs_dir = Path(packs_dir or os.environ.get(PACKS_DIR_ENV) or packs_root(self.config))
        if packs_url is None:
            base = os.environ.get("VOILA_BASE_URL", "/")
            packs_url = os.environ.get(PACKS_URL_ENV, f"{base.rstrip('/')}/{PACKS_PATH}")
        self.packs_url = packs_url
        self.map_height = int(map_height)
        self._maps: OrderedDict[tuple, str] = OrderedDict()
        self._frames: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()
        self._area = NO_LOCALITY  # a small area found by search, outlined on the small-area map
        self._boundary_cache: dict[tuple[str, str], gpd.GeoDataFrame] = {}
        self._locality_profiles: dict[str, LocalityProfile] = {}
        self._holding = False

        geo = self.profiles.geography
        self.localities = geo.localities()
        themes = [t for t in Theme if t.value in set(self.indicators["theme"])]
        wide = {"description_width": "initial"}

        # at most this wide, never wider than the screen (a 390 px phone)
        def fits(width: str):
            return w.Layout(width="100%", max_width=width)

        self.theme = w.Dropdown(
            description="Theme", options=[(THEME_TITLES[t], t.value) for t in themes], style=wide, layout=fits("340px")
        )
        self.indicator = w.Dropdown(description="Indicator", options=[], style=wide, layout=fits("440px"))
        self.period = w.Dropdown(description="Period", options=[], style=wide, layout=fits("180px"))
        buttons = {"description_width": "initial", "button_width": "auto"}
        self.level = w.ToggleButtons(options=[(v, k) for k, v in LEVELS.items()], description="Areas", style=buttons)
        self.colour_by = w.ToggleButtons(options=[(v, k) for k, v in COLOUR_BY.items()], description="Shade by", style=buttons)
        self.locality = w.Dropdown(
            description="Locality",
            options=[("(choose a locality)", NO_LOCALITY)] + [(a.name, a.code) for a in self.localities],
            style=wide,
            layout=fits("340px"),
        )
        self._places = search_options([(a.code, a.name) for a in self.localities], geo.hierarchy)
        self.search = w.Combobox(
            description="Find a place",
            placeholder="locality or small area: name or code",
            options=list(self._places),
            ensure_option=False,
            continuous_update=False,
            style=wide,
            layout=fits("520px"),
        )
        self.found = w.HTML()
        self.view_link = w.HTML()
        self.download = w.Button(
            description="Download the figures of this view",
            layout=w.Layout(width="auto"),
            tooltip="CSV and Excel files of the values behind the map, with their source",
        )
        self.downloads = w.HTML()
        self.header = w.HTML(self.header_html())
        self.map = w.HTML(layout=w.Layout(width="100%"))
        self.details = w.HTML(layout=w.Layout(width="100%"))
        self.sources = w.HTML(layout=w.Layout(width="100%"))
        self.map.add_class("obs-map")
        self.details.add_class("obs-details")
        self.app = w.VBox(
            [
                self.header,
                w.HBox([self.search, self.found], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.theme, self.indicator, self.period], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.level, self.colour_by], layout=w.Layout(flex_flow="row wrap")),
                self.map,
                w.HBox(
                    [self.view_link, self.download, self.downloads], layout=w.Layout(flex_flow="row wrap", align_items="center")
                ),
                self.locality,
                self.details,
                self.sources,
            ],
            layout=w.Layout(width="100%", max_width="1100px"),
        )
        self.app.add_class("obs-localities-dashboard")

        with self._hold():
            self._fill_indicators()
        self.refresh()
        self.theme.observe(self._on_theme, "value")
        self.indicator.observe(self._on_indicator, "value")
        for widget in (self.period, self.level, self.colour_by):
            widget.observe(self._on_map_choice, "value")
        self.locality.observe(self._on_locality, "value")
        self.search.observe(self._on_search, "value")
        self.download.on_click(self._on_download)

    # ---- data ---------------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """Profile rows the audience may see (see :func:`for_audience`)."""
        return self.profiles.profiles

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """The indicators with locality values the audience may see: id, title, theme, unit, dataset."""
        loc = self.table[self.table["area_type"] == "locality"]
        order = {t.value: i for i, t in enumerate(Theme)}
        ind = loc.drop_duplicates("indicator_id")[["indicator_id", "title", "theme", "unit", "dataset"]]
        ind = ind.assign(_t=ind["theme"].map(order)).sort_values(["_t", "title"]).drop(columns="_t")
        return ind.set_index("indicator_id", drop=False)

    def periods(self, indicator_id: str) -> list[str]:
        """The indicator's periods at locality level, newest first."""
        loc = self.table[(self.table["area_type"] == "locality") & (self.table["indicator_id"] == indicator_id)]
        return loc.drop_duplicates("period").sort_values("period_sort", ascending=False)["period"].astype(str).tolist()

    def _boundaries(self, level: str, vintage: str = "") -> gpd.GeoDataFrame:
        cache = self._boundary_cache
        key = (level, vintage)
        if key not in cache:
            geo = self.profiles.geography
            if level == "small_area" and vintage and vintage != geo.vintage:
                cache[key] = simplify_for_web(geo.other_vintage_areas[vintage])
            else:
                cache[key] = geo.web_boundaries(level)[["area_code", "area_name", "geometry"]]
        return cache[key]

    def map_frame(self, indicator_id: str, period: str, level: str = "locality") -> gpd.GeoDataFrame:
        """Areas at ``level`` with the publishable value, limits, comparisons and trend for one indicator and period
        (the last few kept: the shading choices, the map and the download read the same frame)."""
        key = (indicator_id, str(period), level)
        if key not in self._frames:
            self._frames[key] = self._map_frame(*key)
            while len(self._frames) > 8:
                self._frames.popitem(last=False)
        return self._frames[key].copy()

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
        pub = publishable(rows) if len(rows) else rows.assign(suppressed=pd.Series(dtype=bool))
        keep = [
            "area_code",
            "value",
            "lower95",
            "upper95",
            "vs_county",
            "vs_england",
            "trend_judgement",
            "suppressed",
            "locality_code",
        ]
        gdf = self._boundaries(level, vintage).merge(pub[keep], on="area_code", how="left")
        unit = self.indicators.loc[indicator_id, "unit"] if indicator_id in self.indicators.index else ""
        sup = gdf["suppressed"].fillna(False).astype(bool)
        places = decimals_for(gdf["value"])
        gdf.attrs["decimals"] = places
        gdf["value_text"] = [("suppressed" if s else _number(v, unit, places)) for v, s in zip(gdf["value"], sup)]
        gdf["limits_text"] = [
            "–" if s or pd.isna(lo) or pd.isna(hi) else f"{_number(lo, unit, places)} to {_number(hi, unit, places)}"
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

    # ---- views --------------------------------------------------------------------------
    def map_html(
        self,
        indicator_id: str,
        period: str,
        level: str = "locality",
        colour_by: str = "value",
        locality: str = NO_LOCALITY,
        area: str = NO_LOCALITY,
    ) -> str:
        """The map for one choice of the controls, as an iframe (cached: a choice seen before redraws at once)."""
        key = (indicator_id, str(period), level, colour_by, locality, area)
        if key in self._maps:
            self._maps.move_to_end(key)
            return self._maps[key]
        out = self._draw(*key)
        self._maps[key] = out
        while len(self._maps) > _MAP_CACHE_SIZE:
            self._maps.popitem(last=False)
        return out

    def _draw(self, indicator_id: str, period: str, level: str, colour_by: str, locality: str, area: str) -> str:
        if colour_by not in COLOUR_BY:
            raise ValueError(f"colour_by must be one of {list(COLOUR_BY)}, not {colour_by!r}")
        ind = self.indicators.loc[indicator_id]
        gdf = self.map_frame(indicator_id, period, level)
        title = str(ind["title"])
        unit = str(ind["unit"] or "")
        legend_title = f"{title}{f' ({unit})' if unit else ''}, {period}"
        geo = self.profiles.geography
        tooltip = {"area_name": "Locality" if level == "locality" else "Small area"}
        if level == "small_area":
            tooltip["locality_name"] = "Locality"
        tooltip.update(
            {
                "value_text": "Value",
                "limits_text": "95% confidence interval",
                "vs_county_text": f"Compared with {geo.county.name}",
                "vs_england_text": "Compared with England",
                "trend_text": "Recent trend",
            }
        )
        if colour_by == "value":
            gdf["shade"], colours = value_classes(gdf["value"], decimals=gdf.attrs.get("decimals", 1))
        else:
            present = gdf["value"].notna()
            gdf["shade"] = gdf[f"{colour_by}_text"].where(present & (gdf[f"{colour_by}_text"] != "suppressed"))
            shown = set(gdf["shade"].dropna())
            colours = {COMPARISON_TITLES[k]: c for k, c in COMPARISON_COLOURS.items() if COMPARISON_TITLES[k] in shown}
            legend_title = f"{legend_title}: c{COLOUR_BY[colour_by][1:]}"
        outline = self._boundaries("county")
        highlight = None
        if area and level == "small_area" and area in set(gdf["area_code"]):
            highlight = area
        elif locality and level == "locality" and locality in set(gdf["area_code"]):
            highlight = locality
        elif locality:
            chosen = self._boundaries("locality")
            outline = pd.concat([outline, chosen[chosen["area_code"] == locality]], ignore_index=True)
            outline = gpd.GeoDataFrame(outline, geometry="geometry", crs=chosen.crs)
        m = choropleth(
            gdf,
            "shade",
            title=f"{LEVELS[level]}: {title}, {period}",
            legend_title=legend_title,
            tooltip_fields=tooltip,
            categorical=True,
            colours=colours,
            missing_label=MISSING,
            outline=outline,
            highlight=highlight,
            height=self.map_height,
            attribution=self.config.label,
        )
        frame = str(map_iframe(m))  # an iframe needs a title for a screen reader (WCAG 4.1.2)
        return Markup(
            frame.replace("<iframe ", f'<iframe title="{escape(f"Map of {LEVELS[level].lower()}: {title}, {period}")}" ', 1)
        )

    @cached_property
    def _county_name(self) -> str:
        return self.profiles.geography.county.name

    def _profile(self, locality: str) -> LocalityProfile:
        cache = self._locality_profiles
        if locality not in cache:
            cache[locality] = LocalityProfile(
                self.config, locality, quarter="", audience=self.audience, profiles=self.profiles, allowed_datasets=self.allowed
            )
        return cache[locality]

    def trend_html(self, locality: str, indicator_id: str) -> str:
        """The locality's trend for one indicator (suppressed periods left out) with the county and England."""
        prof = self._profile(locality)
        s = prof.data[prof.data["indicator_id"] == indicator_id]
        ind = self.indicators.loc[indicator_id]
        if s.empty:
            return _section("no_trend", str(ind["title"]), prof.area.name)
        p = self.profiles.profiles
        bench = {}
        for name, kind in ((self._county_name, "county"), ("England", "england")):
            b = p[(p["indicator_id"] == indicator_id) & (p["area_type"] == kind)][["period", "value"]]
            if len(b):
                bench[name] = b
        chart = charts.trend_chart(s, title=str(ind["title"]), benchmark=bench, unit=str(ind["unit"] or ""), name=prof.area.name)
        return _section("trend", prof.area.name, chart)

    def pack_link_html(self, locality: str) -> str:
        """A link to the locality's profile in the newest pack for this audience, or nothing when there is none."""
        found = latest_pack(self.config.name, self.audience, self.packs_dir)
        if not found:
            return ""
        folder, manifest = found
        rel = profile_in_pack(manifest, locality)
        if rel is None:
            return ""
        href = self.packs_url.rstrip("/") + "/" + "/".join((folder.name, *rel.split("/")))
        quarter = (manifest.get("build") or {}).get("quarter") or folder.name
        return _section("pack_link", href, self._profile(locality).area.name, str(quarter))

    def details_html(self, locality: str, indicator_id: str) -> str:
        """Spine chart, trend and pack link of one locality; a prompt when none is chosen."""
        if not locality:
            return _section("prompt")
        prof = self._profile(locality)
        try:
            spine = prof.spine_html()
        except KeyError:  # no indicator the audience may see has data for this locality
            return _section("no_data", prof.area.name)
        return Markup("").join([self.pack_link_html(locality), spine, self.trend_html(locality, indicator_id)])

    def header_html(self) -> str:
        return _section(
            "header", self._county_name, self.config.label, len(self.localities), self.audience, self.config.synthetic
        )

    def sources_html(self, indicator_id: str) -> str:
        ds = {str(self.indicators.loc[indicator_id, "dataset"])}
        return _section("sources", SUPPRESSION_THRESHOLD, attributions(self.config, ds))

    # ---- events -------------------------------------------------------------------------
    @contextmanager
    def _hold(self) -> Iterator[None]:
        held, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = held

    def _fill_indicators(self) -> None:
        ind = self.indicators[self.indicators["theme"] == self.theme.value]
        self.indicator.options = [(str(t), i) for i, t in zip(ind["indicator_id"], ind["title"])]
        self.indicator.value = ind["indicator_id"].iloc[0] if len(ind) else None
        self._fill_periods()

    def _fill_periods(self) -> None:
        periods = self.periods(self.indicator.value) if self.indicator.value else []
        self.period.options = periods
        self.period.value = periods[0] if periods else None
        self._fill_shading()

    def _fill_shading(self) -> None:
        """Offer only the shadings that compare something (never an all-grey "Not compared" map)."""
        if not self.indicator.value or self.period.value is None:
            return
        keep = self.comparable(self.indicator.value, self.period.value, self.level.value)
        chosen = self.colour_by.value if self.colour_by.value in keep else "value"
        options = [(COLOUR_BY[k], k) for k in keep]
        if list(self.colour_by.options) != options:
            self.colour_by.options = options
        self.colour_by.value = chosen

    def view(self) -> View:
        """The current choices, as an address carries them."""
        return View(
            locality=self.locality.value or "",
            area=self._area,
            indicator=self.indicator.value or "",
            period=str(self.period.value or ""),
            areas=self.level.value,
            shade=self.colour_by.value,
        )

    def apply_view(self, view: View | str) -> None:
        """Show the view an address asks for; choices it does not know are left as they are."""
        v = parse_view(view) if isinstance(view, str) else view
        with self._hold():
            if v.indicator in self.indicators.index:
                self.theme.value = self.indicators.loc[v.indicator, "theme"]
                self._fill_indicators()
                self.indicator.value = v.indicator
                self._fill_periods()
            if v.period in self.period.options:
                self.period.value = v.period
            if v.areas in LEVELS:
                self.level.value = v.areas
            self._fill_shading()
            if v.shade in dict(self.colour_by.options).values():
                self.colour_by.value = v.shade
            codes = {a.code for a in self.localities}
            if v.locality in codes:
                self.locality.value = v.locality
            found = find_place(v.area, self._places) if v.area else None
            self._area = found[1] if found and found[0] == self.locality.value else NO_LOCALITY
        self.refresh()

    def follow_address(self) -> None:
        """Under Voila, show the view the page's address asks for (waits for the visitor of a preheated kernel)."""
        if "VOILA_KERNEL_ID" not in os.environ and "VOILA_PREHEAT" not in os.environ:
            return
        from voila.utils import get_query_string  # start-up: only under Voila (~0.1 s)

        query = get_query_string() or ""
        if query:
            self.apply_view(query)

    def _on_theme(self, change) -> None:
        if self._holding:
            return
        with self._hold():
            self._fill_indicators()
        self.refresh()

    def _on_indicator(self, change) -> None:
        if self._holding:
            return
        with self._hold():
            self._fill_periods()
        self.refresh()

    def _on_map_choice(self, change) -> None:
        if self._holding:
            return
        if change["owner"] is not self.colour_by:
            with self._hold():
                self._fill_shading()
        self.refresh(details=False)

    def _on_locality(self, change) -> None:
        if not self._holding:
            self._area = NO_LOCALITY
            self.refresh()

    def _on_search(self, change) -> None:
        text = str(change["new"] or "")
        if not text.strip():
            self.found.value = ""
            return
        place = find_place(text, self._places)
        if place is None:
            self.found.value = _section("not_found", text)
            return
        locality, area = place
        self.found.value = ""
        with self._hold():
            self.locality.value = locality
            if area:
                self.level.value = "small_area"
                self._fill_shading()
        self._area = area
        self.refresh()

    def _on_download(self, _button=None) -> None:
        self.downloads.value = self.downloads_html()

    def downloads_html(self) -> str:
        """Links to the figures of the current view as CSV and XLSX, each carrying the source and licence."""
        ind_id, period, level = self.indicator.value, str(self.period.value), self.level.value
        ind = self.indicators.loc[ind_id]
        table = view_table(self.map_frame(ind_id, period, level), str(ind["title"]), period, str(ind["unit"] or ""))
        ds = {str(ind["dataset"])}
        source = "; ".join(attributions(self.config, ds))
        stem = f"{self.config.name}-{ind_id}-{period}-{level}".replace(" ", "_").replace("/", "-")
        links = [
            (f"{stem}.{kind}", data_uri(table, source, attribution_frame(self.config, ds), kind), label)
            for kind, label in (("csv", "CSV"), ("xlsx", "Excel"))
        ]
        return _section("downloads", links, len(table))

    def refresh(self, details: bool = True) -> None:
        """Redraw the map (and the locality's details) for the current choices."""
        indicator, period = self.indicator.value, self.period.value
        if not indicator or period is None:
            self.map.value = _section("no_indicator")
            self.details.value = ""
            return
        self.downloads.value = ""
        self.view_link.value = _section("view_link", self.view().query())
        try:
            self.map.value = self.map_html(
                indicator, period, self.level.value, self.colour_by.value, self.locality.value, self._area
            )
            if details:
                self.details.value = self.details_html(self.locality.value, indicator)
                self.sources.value = self.sources_html(indicator)
        except Exception as e:  # a page showing why is better than a silently stale one
            logging.getLogger(__name__).exception("dashboard refresh failed")
            self.details.value = _section("error", type(e).__name__, str(e))

    def show(self, follow_address: bool = True) -> None:
        """Display the dashboard (in a notebook or Voila), then show the view the page's address asks for."""
        from IPython.display import display

        display(self.app)
        if follow_address:
            self.follow_address()
