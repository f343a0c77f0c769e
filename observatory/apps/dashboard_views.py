"""What the localities dashboard draws: the map, the pack's comparison views, a locality's details, the download.

The map is an offline Leaflet document in an iframe (``apps.map_document``), drawn from the payload's ready
GeoJSON and each area's precomputed fill: a choice of indicator, period or shading gives a new style (cached per
choice), which a served page applies to the map it shows without drawing it again. The views are the pack's own
renderers (``present.views``): inequalities, the pyramid, the spine charts and trends come drawn in the payload;
"Compare areas", which picks out the chosen locality, is drawn here from the payload's figures. Only that view and
the downloads import pandas, on first use.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from observatory.apps.dashboard_data import COLOUR_BY, LEVELS, NO_LOCALITY, DashboardData
from observatory.apps.map_document import map_document, map_frame, map_style, script_json
from observatory.apps.paths import PACKS_PATH, latest_pack, packs_root, profile_in_pack
from observatory.present.templating import Markup, render_macro

VIEWS = {"map": "Map", "compare": "Compare areas", "inequalities": "Inequalities", "pyramid": "Population pyramid"}
"""The dashboard's views: the map, and the pack's views of the chosen indicator and locality."""
PACKS_URL_ENV = "OBSERVATORY_PACKS_URL"
PACKS_DIR_ENV = "OBSERVATORY_PACKS_DIR"
_STYLES_KEPT = 24
_NOUNS = {"map": "map", "compare": "comparison", "inequalities": "chart", "pyramid": "pyramid"}

__all__ = ["VIEWS", "DashboardViews", "section"]


def section(name: str, *args) -> Markup:
    """One piece of the dashboard's HTML (``dashboard_sections.html.j2``)."""
    return render_macro("dashboard_sections.html.j2", name, *args)


def _keep(cache: OrderedDict, key: tuple, make, size: int):
    """``cache[key]``, made by ``make()`` when missing; the oldest entries beyond ``size`` dropped."""
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = make()
        while len(cache) > size:
            cache.popitem(last=False)
    return cache[key]


class DashboardViews(DashboardData):
    """The dashboard's drawings for one configuration and audience; ``packs_url`` is where ``packs_dir`` is served."""

    def __init__(
        self,
        config: Any = "demo",
        audience: str = "public",
        *,
        packs_dir: Path | str | None = None,
        packs_url: str | None = None,
        map_height: int = 520,
        **data: Any,
    ):
        """``data``: ``store``, ``profiles`` and ``payload`` (see ``DashboardData``)."""
        super().__init__(config, audience, **data)
        found = packs_dir or os.environ.get(PACKS_DIR_ENV)
        if found is None and getattr(self, "config", None) is not None:  # made here from a configuration
            found = packs_root(self.config)
        self.packs_dir = Path(found) if found else None
        if packs_url is None:
            base = os.environ.get("VOILA_BASE_URL", "/")
            packs_url = os.environ.get(PACKS_URL_ENV, f"{base.rstrip('/')}/{PACKS_PATH}")
        self.packs_url = packs_url
        self.map_height = int(map_height)
        self._styles: OrderedDict[tuple, dict] = OrderedDict()
        self._version = 0

    # ---- the map -------------------------------------------------------------------------------
    def next_version(self) -> int:
        """A number above every map style handed out so far (a map applies only a newer style)."""
        self._version += 1
        return self._version

    def map_choice(
        self,
        indicator_id: str,
        period: str,
        level: str = "locality",
        colour_by: str = "value",
        locality: str = NO_LOCALITY,
        area: str = NO_LOCALITY,
    ) -> tuple[tuple[str, str], dict[str, Any]]:
        """The map for one choice of the controls: which document it is drawn in (the geometry, and the locality
        outlined on a map of other areas) and its style, without a version (cached: a choice seen before is at hand)."""
        if colour_by not in COLOUR_BY:
            raise ValueError(f"colour_by must be one of {list(COLOUR_BY)}, not {colour_by!r}")
        key = (indicator_id, str(period), level, colour_by, locality, area)
        return _keep(self._styles, key, lambda: self._choice(*key), _STYLES_KEPT)

    def _choice(self, indicator_id: str, period: str, level: str, colour_by: str, locality: str, area: str):
        ind = self.indicators[indicator_id]
        data = self.level_data(indicator_id, period, level)
        rows, shade = data["rows"], data["shades"][colour_by]
        codes = rows["area_code"]
        texts = ["area_name", *(["locality_name"] if level == "small_area" else []), "value_text", "limits_text"]
        texts += ["vs_county_text", "vs_england_text", "trend_text"]
        labels = ["Locality" if level == "locality" else "Small area", *(["Locality"] if level == "small_area" else [])]
        labels += ["Value", "95% confidence interval", f"Compared with {self.county_name}", "Compared with England"]
        labels.append("Recent trend")
        tips = {code: [rows[c][n] for c in texts] for n, code in enumerate(codes)}
        legend_title = f"{ind.title}{f' ({ind.unit})' if ind.unit else ''}, {period}"
        if colour_by != "value":
            legend_title = f"{legend_title}: c{COLOUR_BY[colour_by][1:]}"
        highlight, outline = None, ""
        if area and level == "small_area" and area in codes:
            highlight = area
        elif locality and level == "locality" and locality in codes:
            highlight = locality
        elif locality:
            outline = locality
        style = map_style(
            0,
            dict(zip(codes, shade["fills"])),
            tips,
            labels,
            legend_title=legend_title,
            legend_rows=[tuple(r) for r in shade["legend"]],
            title=f"{LEVELS[level]}: {ind.title}, {period}",
            frame_title=f"Map of {LEVELS[level].lower()}: {ind.title}, {period}",
            highlight=highlight,
        )
        return (data["geometry"], outline), style

    def map_document(self, document: tuple[str, str], style: dict[str, Any]) -> str:
        """The map document of ``document`` (geometry, locality outlined) showing ``style``."""
        geometry, outline = document
        lines = [self.payload.text("geometry/county.json")]
        if outline:
            localities = self.payload.json("geometry/locality.json")["features"]
            lines += [_feature_text(f) for f in localities if f["id"] == outline]
        return map_document(
            self.payload.text(f"geometry/{geometry}.json"),
            style,
            lines=lines,
            bounds=self.meta["bounds"].get(geometry),
            attribution=self.label,
            missing=self.meta["missing"],
            missing_colour=self.meta["missing_colour"],
        )

    def map_iframe(self, document: tuple[str, str], style: dict[str, Any]) -> Markup:
        """The map document in its iframe, titled for a screen reader (WCAG 4.1.2)."""
        return map_frame(self.map_document(document, style), self.map_height, style["frame_title"])

    def map_html(self, *choice: str, **named: str) -> Markup:
        """The map for one choice of the controls (the arguments of :meth:`map_choice`), as an iframe."""
        document, style = self.map_choice(*choice, **named)
        return self.map_iframe(document, dict(style, version=self.next_version()))

    # ---- the pack's views ----------------------------------------------------------------------
    def compare_html(self, indicator_id: str, period: str, locality: str = NO_LOCALITY) -> Markup:
        """Every locality ranked for the indicator in ``period``: bars, 95% whiskers, county and England lines, words."""
        ind = self.indicators[indicator_id]
        if ind.value_type == "count":
            return section("view_prompt", f"{ind.title} is a count: areas of different sizes are not ranked.")
        from observatory.present import views  # start-up: pandas, 0.5-0.8 s and ~95 MB, only once a comparison is shown

        chart = views.compare_chart(
            self.compare_frame(indicator_id, period),
            title=f"{ind.title} ({period})",
            unit=ind.unit,
            county=(self.county_name, self.benchmark(indicator_id, period, "county")),
            england=("England", self.benchmark(indicator_id, period, "england")),
            highlight=locality or None,
            key=f"dashboard-{indicator_id}",
        )
        return section("view_panel", f"Compare localities: {ind.title}", self._chosen_words(locality), chart)

    def inequalities_html(self, indicator_id: str, period: str) -> Markup:
        """The indicator in ``period`` by county deprivation decile with the SII line and its interval, then by national
        decile where those differ; in words where the period has no SII (drawn in the payload)."""
        return Markup(self.deciles_data(indicator_id, period)["panel"])

    def pyramid_html(self, locality: str) -> Markup:
        """The locality's population by age and sex, with the county's as an outline."""
        if not locality:
            return section("view_prompt", "Choose a locality to see its population pyramid against the county.")
        return Markup(self.locality_data(locality)["pyramid"])

    def view_html(self, view: str, indicator_id: str, period: str, locality: str = NO_LOCALITY) -> Markup:
        """One of the pack's views (``VIEWS`` other than the map) for the current choices."""
        if view == "compare":
            return self.compare_html(indicator_id, period, locality)
        if view == "inequalities":
            return self.inequalities_html(indicator_id, period)
        if view == "pyramid":
            return self.pyramid_html(locality)
        raise ValueError(f"view must be one of {list(VIEWS)[1:]}, not {view!r}")

    def view_assets(self) -> Markup:
        """The views' styles and table-sorting script (``present.views.assets``, kept in the payload)."""
        return Markup(self.meta["view_assets"])

    def _chosen_words(self, locality: str) -> str:
        return f"{self.locality_name(locality)} is picked out in bold." if locality else ""

    # ---- a locality's details ------------------------------------------------------------------
    def trend_html(self, locality: str, indicator_id: str) -> Markup:
        """The locality's trend for one indicator (suppressed periods left out) with the county and England."""
        return Markup(self.locality_data(locality)["trends"].get(indicator_id, ""))

    def pack_link_html(self, locality: str) -> str:
        """A link to the locality's profile in the newest pack for this audience, or nothing when there is none."""
        found = latest_pack(self.config_name, self.audience, self.packs_dir) if self.packs_dir else None
        if not found:
            return ""
        folder, manifest = found
        rel = profile_in_pack(manifest, locality)
        if rel is None:
            return ""
        href = self.packs_url.rstrip("/") + "/" + "/".join((folder.name, *rel.split("/")))
        quarter = (manifest.get("build") or {}).get("quarter") or folder.name
        return section("pack_link", href, self.locality_name(locality), str(quarter))

    def details_html(self, locality: str, indicator_id: str) -> str:
        """Spine chart, trend and pack link of one locality; a prompt when none is chosen."""
        if not locality:
            return section("prompt")
        found = self.locality_data(locality)
        if found["spine"] is None:  # no indicator the audience may see has data for this locality
            return section("no_data", found["name"])
        return Markup("").join([self.pack_link_html(locality), Markup(found["spine"]), self.trend_html(locality, indicator_id)])

    def header_html(self) -> str:
        return section("header", self.county_name, self.label, len(self.localities), self.audience, self.synthetic)

    def sources_html(self, indicator_id: str) -> str:
        credits = self.meta["credits"][self.indicators[indicator_id].dataset]
        return section("sources", self.meta["threshold"], credits["attributions"])

    # ---- the download --------------------------------------------------------------------------
    def view_download(self, view: str, indicator_id: str, period: str, level: str, locality: str) -> tuple[Any, dict, str]:
        """The figures behind one view as a plain table, the credits of their datasets (attribution lines and sheet),
        and a file name stem."""
        import pandas as pd

        from observatory.apps import downloads  # start-up: pandas, 0.5-0.8 s, only once a visitor downloads

        ind = self.indicators[indicator_id]
        credits = self.meta["credits"][ind.dataset]
        stem = f"{self.config_name}-{indicator_id}-{period}-{level if view == 'map' else view}"
        if view == "compare":
            table = downloads.view_table(self.map_frame(indicator_id, period, "locality"), ind.title, period, ind.unit)
            bench = {
                n: self.benchmark(indicator_id, period, k) for n, k in ((self.county_name, "county"), ("England", "england"))
            }
            rows = downloads.benchmark_rows(bench, ind.title, period, ind.unit)
            return pd.concat([table, rows], ignore_index=True), credits, stem
        if view == "inequalities":
            found = self.deciles_data(indicator_id, period)
            tables = [downloads.decile_table(*_decile_view(found["county"]))] if found["county"] else []
            if found["county"] and found["national"]:
                tables.append(downloads.decile_table(*_decile_view(found["national"]), deciles_of="national"))
            table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
            return table, credits, stem
        if view == "pyramid":
            pop = self.population(locality) if locality and self.population_allowed() else pd.DataFrame()
            table = downloads.pyramid_table(pop, self.locality_name(locality), self.county_name) if len(pop) else pop
            credits = self.meta["population"].get("credits") or {"attributions": [], "sheet": {}}
            return table, credits, f"{self.config_name}-population-{locality}"
        return downloads.view_table(self.map_frame(indicator_id, period, level), ind.title, period, ind.unit), credits, stem

    def download_links(self, view: str, indicator_id: str, period: str, level: str, locality: str) -> Markup:
        """Links to the figures of one view as CSV and XLSX, each carrying the source and licence."""
        import pandas as pd

        from observatory.apps import downloads  # start-up: pandas, 0.5-0.8 s, only once a visitor downloads

        table, credits, stem = self.view_download(view, indicator_id, period, level, locality)
        if table.empty:
            return section("view_prompt", "This view has no figures to download.")
        source = "; ".join(credits["attributions"])
        sheet = pd.DataFrame(credits["sheet"])
        stem = stem.replace(" ", "_").replace("/", "-")
        links = [
            (f"{stem}.{kind}", downloads.data_uri(table, source, sheet, kind), label)
            for kind, label in (("csv", "CSV"), ("xlsx", "Excel"))
        ]
        return section("downloads", links, len(table), _NOUNS[view])


def _feature_text(feature: dict) -> str:
    """One GeoJSON feature as text, safe inside a ``<script>`` element."""
    return str(script_json(feature))


def _decile_view(found: dict) -> tuple[SimpleNamespace, dict | None]:
    """A payload's deciles as ``downloads.decile_table`` reads them: a view (frame, title, period, unit) and its SII."""
    import pandas as pd

    frame = pd.DataFrame(found["frame"])
    for col in ("value", "lower95", "upper95", "population"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    sii = found["sii"]
    if sii is not None:
        sii = {k: (math.nan if v is None else v) for k, v in sii.items()}
    return SimpleNamespace(frame=frame, title=found["title"], period=found["period"], unit=found["unit"]), sii
