"""What the localities dashboard draws: the map, the pack's comparison views, a locality's details, the download.

The views are the pack's own renderers (``present.views``: compare areas, inequalities by deprivation
decile, the population pyramid), called on the dashboard's audience-filtered figures, so a dashboard and a
pack show the same thing. The map is an offline Leaflet document in an iframe (``present.maps``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from markupsafe import escape

from observatory._core.vocab import COMPARISON_TITLES
from observatory.apps.address import benchmark_rows, data_uri, decile_table, pyramid_table, view_table
from observatory.apps.dashboard_data import COLOUR_BY, LEVELS, NO_LOCALITY, DashboardData, _keep, value_classes
from observatory.apps.paths import PACKS_PATH, latest_pack, packs_root, profile_in_pack
from observatory.config import Config
from observatory.metadata.catalogue import attribution_frame, attributions, supplying_datasets
from observatory.present import charts, views
from observatory.present.maps import choropleth, map_iframe
from observatory.present.palette import COMPARISON_COLOURS
from observatory.present.report import SUPPRESSION_THRESHOLD, LocalityProfile
from observatory.present.templating import Markup, render_macro

VIEWS = {"map": "Map", "compare": "Compare areas", "inequalities": "Inequalities", "pyramid": "Population pyramid"}
"""The dashboard's views: the map, and the pack's views of the chosen indicator and locality."""
PACKS_URL_ENV = "OBSERVATORY_PACKS_URL"
PACKS_DIR_ENV = "OBSERVATORY_PACKS_DIR"
MISSING = "no data or suppressed"
_MAP_CACHE_SIZE = 24
NO_SII = {
    "county": "There is no slope index of inequality by county decile for {period}.",
    "national": "There is no slope index of inequality by national decile for {period}.",
}
"""What the inequalities view says where the chosen period has no SII (the profile table computes too few)."""
_NOUNS = {"map": "map", "compare": "comparison", "inequalities": "chart", "pyramid": "pyramid"}

__all__ = ["VIEWS", "DashboardViews", "section"]


def _has_sii(sii: dict | None) -> bool:
    return bool(sii) and pd.notna(sii.get("value"))


def section(name: str, *args) -> Markup:
    """One piece of the dashboard's HTML (``dashboard_sections.html.j2``)."""
    return render_macro("dashboard_sections.html.j2", name, *args)


class DashboardViews(DashboardData):
    """The dashboard's drawings for one configuration and audience; ``packs_url`` is where ``packs_dir`` is served."""

    def __init__(
        self,
        config: Config | str = "demo",
        audience: str = "public",
        *,
        packs_dir: Path | str | None = None,
        packs_url: str | None = None,
        map_height: int = 520,
        **data: Any,
    ):
        """``data``: ``store`` and ``profiles`` (see ``DashboardData``)."""
        super().__init__(config, audience, **data)
        self.packs_dir = Path(packs_dir or os.environ.get(PACKS_DIR_ENV) or packs_root(self.config))
        if packs_url is None:
            base = os.environ.get("VOILA_BASE_URL", "/")
            packs_url = os.environ.get(PACKS_URL_ENV, f"{base.rstrip('/')}/{PACKS_PATH}")
        self.packs_url = packs_url
        self.map_height = int(map_height)
        self._maps: OrderedDict[tuple, str] = OrderedDict()
        self._locality_profiles: dict[str, LocalityProfile] = {}

    # ---- the map -------------------------------------------------------------------------------
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
        return _keep(self._maps, key, lambda: self._draw(*key), _MAP_CACHE_SIZE)

    def _draw(self, indicator_id: str, period: str, level: str, colour_by: str, locality: str, area: str) -> str:
        if colour_by not in COLOUR_BY:
            raise ValueError(f"colour_by must be one of {list(COLOUR_BY)}, not {colour_by!r}")
        ind = self.indicators.loc[indicator_id]
        gdf = self.map_frame(indicator_id, period, level)
        title, unit = str(ind["title"]), str(ind["unit"] or "")
        legend_title = f"{title}{f' ({unit})' if unit else ''}, {period}"
        tooltip = {"area_name": "Locality" if level == "locality" else "Small area"}
        if level == "small_area":
            tooltip["locality_name"] = "Locality"
        tooltip.update(
            {
                "value_text": "Value",
                "limits_text": "95% confidence interval",
                "vs_county_text": f"Compared with {self.county_name}",
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
        outline = self.boundaries("county")
        highlight = None
        if area and level == "small_area" and area in set(gdf["area_code"]):
            highlight = area
        elif locality and level == "locality" and locality in set(gdf["area_code"]):
            highlight = locality
        elif locality:
            chosen = self.boundaries("locality")
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

    # ---- the pack's views ----------------------------------------------------------------------
    def compare_html(self, indicator_id: str, period: str, locality: str = NO_LOCALITY) -> Markup:
        """Every locality ranked for the indicator in ``period``: bars, 95% whiskers, county and England lines, words."""
        ind = self.indicators.loc[indicator_id]
        if ind["value_type"] == "count":
            return section("view_prompt", f"{ind['title']} is a count: areas of different sizes are not ranked.")
        unit = str(ind["unit"] or "")
        chart = views.compare_chart(
            self.compare_frame(indicator_id, period),
            title=f"{ind['title']} ({period})",
            unit=unit,
            county=(self.county_name, self.benchmark(indicator_id, period, "county")),
            england=("England", self.benchmark(indicator_id, period, "england")),
            highlight=locality or None,
            key=f"dashboard-{indicator_id}",
        )
        return section("view_panel", f"Compare localities: {ind['title']}", self._chosen_words(locality), chart)

    def inequalities_html(self, indicator_id: str, period: str) -> Markup:
        """The indicator in ``period`` by county deprivation decile with the SII line and its interval, then by national
        decile where those differ; in words where the period has no SII."""
        title = str(self.indicators.loc[indicator_id, "title"])
        found = self.deciles(indicator_id, period)
        if found is None:
            return section(
                "view_prompt", f"{title} cannot be shown by deprivation decile in {period}: it needs small-area values."
            )
        shown, words = [], []
        for deciles_of, got in (("county", found), ("national", self.national_deciles(indicator_id, period))):
            if got is None:
                continue
            view, sii = got
            named = f"{view.title} ({view.period})" + (", national deciles" if deciles_of == "national" else "")
            shown.append(
                views.decile_chart(view.frame, title=named, unit=view.unit, sii=sii, deciles_of=deciles_of, key=indicator_id)
            )
            if not _has_sii(sii):
                words.append(NO_SII[deciles_of].format(period=period))
        return section("view_panel", f"Inequalities in {self.county_name}: {title}", " ".join(words), Markup("").join(shown))

    def pyramid_html(self, locality: str) -> Markup:
        """The locality's population by age and sex, with the county's as an outline."""
        if not locality:
            return section("view_prompt", "Choose a locality to see its population pyramid against the county.")
        name = self._profile(locality).area.name
        pop = self.population(locality) if self.population_allowed() else pd.DataFrame(columns=["area"])
        if not len(pop) or pop["area"].sum() <= 0:
            return section("view_prompt", f"No population by age and sex is available for {name}.")
        chart = views.pyramid_chart(pop, area=name, county=self.county_name, key=f"dashboard-{locality}")
        return section("view_panel", f"Population of {name} by age and sex", "", chart)

    def view_html(self, view: str, indicator_id: str, period: str, locality: str = NO_LOCALITY) -> Markup:
        """One of the pack's views (``VIEWS`` other than the map) for the current choices."""
        if view == "compare":
            return self.compare_html(indicator_id, period, locality)
        if view == "inequalities":
            return self.inequalities_html(indicator_id, period)
        if view == "pyramid":
            return self.pyramid_html(locality)
        raise ValueError(f"view must be one of {list(VIEWS)[1:]}, not {view!r}")

    def _chosen_words(self, locality: str) -> str:
        return f"{self._profile(locality).area.name} is picked out in bold." if locality else ""

    # ---- a locality's details ------------------------------------------------------------------
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
            return section("no_trend", str(ind["title"]), prof.area.name)
        p = self.profiles.profiles
        bench = {}
        for name, kind in ((self.county_name, "county"), ("England", "england")):
            b = p[(p["indicator_id"] == indicator_id) & (p["area_type"] == kind)][["period", "value"]]
            if len(b):
                bench[name] = b
        chart = charts.trend_chart(s, title=str(ind["title"]), benchmark=bench, unit=str(ind["unit"] or ""), name=prof.area.name)
        return section("trend", prof.area.name, chart)

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
        return section("pack_link", href, self._profile(locality).area.name, str(quarter))

    def details_html(self, locality: str, indicator_id: str) -> str:
        """Spine chart, trend and pack link of one locality; a prompt when none is chosen."""
        if not locality:
            return section("prompt")
        prof = self._profile(locality)
        try:
            spine = prof.spine_html()
        except KeyError:  # no indicator the audience may see has data for this locality
            return section("no_data", prof.area.name)
        return Markup("").join([self.pack_link_html(locality), spine, self.trend_html(locality, indicator_id)])

    def header_html(self) -> str:
        return section("header", self.county_name, self.config.label, len(self.localities), self.audience, self.config.synthetic)

    def sources_html(self, indicator_id: str) -> str:
        ds = {str(self.indicators.loc[indicator_id, "dataset"])}
        return section("sources", SUPPRESSION_THRESHOLD, attributions(self.config, ds))

    # ---- the download --------------------------------------------------------------------------
    def view_download(
        self, view: str, indicator_id: str, period: str, level: str, locality: str
    ) -> tuple[pd.DataFrame, set, str]:
        """The figures behind one view as a plain table, the datasets they come from, and a file name stem."""
        ind = self.indicators.loc[indicator_id]
        title, unit, datasets = str(ind["title"]), str(ind["unit"] or ""), {str(ind["dataset"])}
        stem = f"{self.config.name}-{indicator_id}-{period}-{level if view == 'map' else view}"
        if view == "compare":
            table = view_table(self.map_frame(indicator_id, period, "locality"), title, period, unit)
            bench = {
                n: self.benchmark(indicator_id, period, k) for n, k in ((self.county_name, "county"), ("England", "england"))
            }
            return pd.concat([table, benchmark_rows(bench, title, period, unit)], ignore_index=True), datasets, stem
        if view == "inequalities":
            found = self.deciles(indicator_id, period)
            if found is None:
                return pd.DataFrame(), datasets, stem
            national = self.national_deciles(indicator_id, period)
            tables = [decile_table(*found)] + ([decile_table(*national, deciles_of="national")] if national else [])
            return pd.concat(tables, ignore_index=True), datasets, stem
        if view == "pyramid":
            pop = self.population(locality) if locality and self.population_allowed() else pd.DataFrame()
            name = self._profile(locality).area.name if len(pop) else ""
            table = pyramid_table(pop, name, self.county_name) if len(pop) else pd.DataFrame()
            pop_sets = supplying_datasets(self.config, {self.config.population_indicator})
            return table, pop_sets, f"{self.config.name}-population-{locality}"
        return view_table(self.map_frame(indicator_id, period, level), title, period, unit), datasets, stem

    def download_links(self, view: str, indicator_id: str, period: str, level: str, locality: str) -> Markup:
        """Links to the figures of one view as CSV and XLSX, each carrying the source and licence."""
        table, ds, stem = self.view_download(view, indicator_id, period, level, locality)
        if table.empty:
            return section("view_prompt", "This view has no figures to download.")
        source = "; ".join(attributions(self.config, ds))
        stem = stem.replace(" ", "_").replace("/", "-")
        links = [
            (f"{stem}.{kind}", data_uri(table, source, attribution_frame(self.config, ds), kind), label)
            for kind, label in (("csv", "CSV"), ("xlsx", "Excel"))
        ]
        return section("downloads", links, len(table), _NOUNS[view])
