"""The county overview: narrowing the gap between localities (summary, gap table, map, comparisons, inequalities
by deprivation decile and downloads), as HTML that renders without a kernel (``overview_sections`` template)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from observatory._core.numbers import format_number
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.config import Config
from observatory.metadata.catalogue import attributions, supplying_datasets
from observatory.present.breakdowns import inequality_views
from observatory.present.disclosure import publishable
from observatory.present.funnel import funnel_chart
from observatory.present.pages import definition_href
from observatory.present.sections import (
    localities_chart,
    map_with_table,
    overview_section,
    own_figure,
    profile_section,
    region_name,
    resolve,
    shared_for,
)
from observatory.present.spreadsheets import write_tables
from observatory.present.strings import python_strings
from observatory.present.summary_measures import (
    deprivation_for,
    deprivation_section,
    life_expectancy_for,
    life_expectancy_section,
    locality_scores,
)
from observatory.present.templating import Markup
from observatory.present.view_data import SharedData
from observatory.profiles.table import Profiles
from observatory.store import Store


@python_strings
@dataclass
class CountyOverview:
    """Narrowing the gap across the county: every indicator's spread between localities and its direction."""

    config: Config
    quarter: str
    audience: str = "public"
    store: Path | None = None
    profiles: Profiles | None = None
    allowed_datasets: set[str] | None = None

    def __post_init__(self):
        resolve(self)

    @cached_property
    def shared(self) -> SharedData:
        return shared_for(self)

    @cached_property
    def gaps(self) -> pd.DataFrame:
        inds = self.profiles.profiles.drop_duplicates("indicator_id").set_index("indicator_id")["dataset"]
        g = self.profiles.gaps
        g = g[g["indicator_id"].map(inds).isin(self.allowed_datasets)]
        latest = g.groupby("indicator_id")["period_sort"].transform("max")
        g = g[g["period_sort"] == latest]
        t = self.profiles.gap_trends
        cols = ["indicator_id", "range_gap_trend"] + (["sii_gap_trend"] if "sii_gap_trend" in t.columns else [])
        return g.merge(t[cols], on="indicator_id", how="left").sort_values(["theme", "title"]).reset_index(drop=True)

    def title_html(self) -> Markup:
        return overview_section(
            "title", self.config.county["name"], self.config.label, self.quarter, self.audience, self.config.synthetic
        )

    def summary_html(self) -> Markup:
        g = self.gaps
        col = "sii_gap_trend" if "sii_gap_trend" in g.columns else "range_gap_trend"
        trend = g[col].fillna(g["range_gap_trend"]).astype(str)
        narrowing = g[trend == "narrowing"]["title"].tolist()
        widening = g[trend == "widening"]["title"].tolist()
        n_localities = len(self.profiles.geography.localities())
        lines = [f"{len(g)} indicators compared across {n_localities} localities."]
        lines.append(f"Gaps narrowing significantly: {'; '.join(narrowing) or 'none'}.")
        lines.append(f"Gaps widening significantly: {'; '.join(widening) or 'none'}.")
        names = self.profiles.geography.areas.drop_duplicates("code").set_index("code")["name"]
        widest = g.dropna(subset=["ratio"]).sort_values("ratio", ascending=False).head(3)
        for r in widest.itertuples():
            if isinstance(r.worst_area, str) and r.worst_area:
                lines.append(
                    f"{r.title}: {names.get(r.worst_area, r.worst_area)} is {r.ratio:.1f} times "
                    f"{names.get(r.best_area, r.best_area)}."
                )
        return overview_section("summary", lines)

    def gap_table_html(self) -> Markup:
        g = self.gaps
        names = self.profiles.geography.areas.drop_duplicates("code").set_index("code")["name"]
        t = pd.DataFrame(
            {
                "Theme": g["theme"].map(lambda t: THEME_TITLES[Theme(t)]),
                "Indicator": g["title"],
                "Period": g["period"],
                "Best locality": g["best_area"].map(names).fillna(""),
                "Worst locality": g["worst_area"].map(names).fillna(""),
                "Range": g["range"].map(own_figure),
                "Ratio worst/best": g["ratio"].map(lambda v: format_number(v, 2)),
                "SII": g["sii"].map(own_figure) if "sii" in g else "–",
                "Gap trend": g.get("sii_gap_trend", g["range_gap_trend"]).fillna(g["range_gap_trend"]).astype(str),
            }
        )
        t["Indicator"] = [{"href": definition_href(i), "text": title} for i, title in zip(g["indicator_id"], g["title"])]
        return overview_section("gap_table", list(t.columns), t.astype(object).where(t.notna(), "").to_numpy().tolist())

    def map_html(self, indicator_id: str | None = None, height: int = 480) -> Markup:
        geo = self.profiles.geography
        dep = indicator_id or self.config.raw.get("deprivation_indicator", "imd_score")
        p = self.profiles.level("locality", dep)
        p = p[p["dataset"].isin(self.allowed_datasets)]
        p = publishable(p, self.config) if len(p) else p
        loc = geo.web_boundaries("locality").merge(
            p[["area_code", "value", "lower95", "upper95", "vs_county"]], on="area_code", how="left"
        )
        title = p["title"].iloc[0] if len(p) else dep
        tooltip = {"area_name": "Locality", "value": title, "vs_county": "Compared with county"}
        unit = p["unit"].iloc[0] if len(p) else ""
        options = dict(tooltip_fields=tooltip, outline=geo.web_boundaries("county"), height=height)
        iframe, table = map_with_table(loc, title, f"Localities: {title}", "Locality", unit, **options)
        return overview_section("locality_map", iframe, table)

    def indicators(self) -> pd.DataFrame:
        """The overview's indicators (not counts), by theme and title, with their dataset allowed."""
        p = self.profiles.level("locality")
        p = p[p["dataset"].isin(self.allowed_datasets) & (p["value_type"] != "count")]
        return p.drop_duplicates("indicator_id").sort_values(["theme", "title"])[["indicator_id", "title", "theme"]]

    def compare_html(self, indicators: list[str] | None = None) -> Markup:
        """Every locality ranked for each indicator (all of them unless ``indicators``), grouped by theme."""
        county = self.config.county["name"]
        chosen = self.indicators()
        if indicators is not None:
            chosen = chosen[chosen["indicator_id"].isin(indicators)]
        themes = []
        for theme, g in chosen.groupby("theme", sort=True):
            shown = []
            for ind in g["indicator_id"]:
                view = self.shared.locality_values(ind)
                if view is not None:
                    shown.append(localities_chart(view, county, f"overview-{ind}", region=region_name(self.config)))
            themes.append({"title": THEME_TITLES[Theme(theme)], "charts": shown})
        return overview_section("compare", county, themes)

    def inequalities_html(self, indicators: list[str] | None = None) -> Markup:
        """Each indicator by county deprivation decile, with its slope index of inequality and interval."""
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        chosen = self.indicators()
        chosen = chosen[chosen["indicator_id"] != dep]
        if indicators is not None:
            chosen = chosen[chosen["indicator_id"].isin(indicators)]
        store = Store(self.store or self.config.store_dir())
        shown = [
            chart
            for ind in chosen["indicator_id"]
            for chart in inequality_views(self.profiles, store, ind, dep, shared=self.shared)
        ]
        return overview_section("inequalities", self.config.county["name"], shown)

    @cached_property
    def deprivation(self) -> pd.DataFrame:
        """The IoD local summary measures of every locality, district and the county."""
        return deprivation_for(self, self.shared)

    def deprivation_html(self) -> Markup:
        return deprivation_section(self.deprivation, self.config.county["name"])

    def life_expectancy_html(self) -> Markup:
        """Life expectancy at birth by sex in every area, and the gap between the most and least deprived localities."""
        le = life_expectancy_for(self, self.shared)
        return life_expectancy_section(le, self.config.county["name"], scores=locality_scores(self.deprivation))

    def funnel_indicator(self) -> str | None:
        """The indicator of the funnel chart: ``funnel_indicator`` in config.yaml, else the first proportion (by theme
        and title) with a count and a denominator for every locality."""
        given = self.config.raw.get("funnel_indicator")
        if given:
            return given
        p = self.profiles.level("locality")
        p = p[p["dataset"].isin(self.allowed_datasets) & (p["value_type"] == "proportion")]
        full = p.groupby("indicator_id")[["numerator", "denominator"]].apply(lambda g: bool(g.notna().all().all()))
        chosen = self.indicators()
        chosen = chosen[chosen["indicator_id"].isin(full[full].index)]
        return chosen["indicator_id"].iloc[0] if len(chosen) else None

    def funnel_html(self, indicator_id: str | None = None) -> Markup:
        """The localities on a funnel plot of one indicator (proportion or rate), the county value at its centre."""
        ind = indicator_id or self.funnel_indicator()
        p = self.profiles.level("locality", ind) if ind else pd.DataFrame()
        p = p[p["dataset"].isin(self.allowed_datasets)] if len(p) else p
        counted = p[p["numerator"].notna() & (p["denominator"] > 0)] if len(p) else p
        hidden = publishable(counted, self.config)["suppressed"].astype(bool).to_numpy() if len(counted) else []
        # the limits and each point's position use every locality's counts, so the centre is the county value;
        # a locality whose figures are suppressed is not drawn nor listed
        shown = counted.assign(shown=~pd.Series(hidden, index=counted.index, dtype=bool))
        if shown["shown"].sum() < 2:
            return overview_section("funnel", None, 0)
        first = shown.iloc[0]
        chart = funnel_chart(
            shown[["area_name", "numerator", "denominator", "value", "shown"]].reset_index(drop=True),
            title=f"{first['title']} ({first['period']})",
            unit=str(first["unit"]),
            value_type=str(first["value_type"]),
            multiplier=float(first["multiplier"]),
            polarity=str(first["polarity"]),
            centre_name=self.config.county["name"],
            x_title="Events" if first["value_type"] != "proportion" else "Denominator",
            key=str(ind),
        )
        return overview_section("funnel", chart, len(p) - int(shown["shown"].sum()))

    def download_frame(self) -> pd.DataFrame:
        return self.gaps

    def datasets(self) -> set[str]:
        return supplying_datasets(self.config, set(self.gaps["indicator_id"])) & set(self.allowed_datasets)

    def write_downloads(self, folder: Path | str) -> list[Path]:
        return write_tables(
            self.download_frame(),
            folder,
            "county-gaps",
            self.config,
            self.datasets(),
            quarter=self.quarter,
            title=f"{self.config.county['name']}: the gap between localities, {self.quarter}",
        )

    def attribution_html(self) -> Markup:
        return profile_section("sources", attributions(self.config, self.datasets()))
