"""The sections of a locality profile and of the county overview, as HTML that renders without a kernel.

Notebooks stay thin: each cell displays one section built here, where it is tested. The markup is in the
``profile_sections`` and ``overview_sections`` templates; this module chooses the figures and their decimals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.numbers import format_number
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.config import Config, load_config
from observatory.metadata.catalogue import (
    allowed_datasets,
    attributions,
    supplying_datasets,
)
from observatory.present import charts, views
from observatory.present.disclosure import COUNTED, SUPPRESSION_THRESHOLD, publishable  # noqa: F401 (re-exported)
from observatory.present.figures import decimals_for
from observatory.present.maps import choropleth, map_iframe
from observatory.present.pages import definition_href
from observatory.present.palette import DEPRIVATION_COLOURS
from observatory.present.spreadsheets import write_tables
from observatory.present.templating import Markup, render_macro
from observatory.present.view_data import decile_values, locality_values, population_by_age
from observatory.profiles.table import Profiles, load_profiles
from observatory.store import Store

DOWNLOAD_COLUMNS = [
    "indicator_id",
    "title",
    "theme",
    "unit",
    "area_code",
    "area_name",
    "area_type",
    "period",
    "numerator",
    "denominator",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "statistic",
    "method",
    "aggregation",
    "district_value",
    "county_value",
    "england_value",
    "vs_district",
    "vs_county",
    "vs_england",
    "trend",
    "trend_judgement",
    "gap_to_county",
    "quintile_label",
    "suppressed",
    "note",
    "dataset_id",
]  # suppression_note is never published: it narrows the hidden values


def _region(config) -> str:
    return (config.raw.get("region") or {}).get("name", "")


def _figure(v: Any, unit: str = "", decimals: int = 1) -> str:
    """One figure for people: ``format_number`` with the unit's per cent sign."""
    return format_number(v, decimals, unit)


def _together(values: Iterable[Any], unit: str = "") -> list[str]:
    """Figures shown side by side (a value and its benchmark), with the decimals that tell them apart."""
    values = list(values)
    places = decimals_for(values)
    return [_figure(v, unit, places) for v in values]


def headline(latest: pd.DataFrame, area_name: str, benchmark_name: str) -> list[str]:
    """The profile's summary in plain words (text, escaped where it is shown), generated from the data."""
    judged = latest[latest["polarity"] != "no_judgement"]
    worse = judged[judged["vs_county"] == "worse"]
    better = judged[judged["vs_county"] == "better"]
    worsening = latest[latest["trend_judgement"] == "worsening"]
    improving = latest[latest["trend_judgement"] == "improving"]
    n = int(latest["value"].notna().sum())
    lines = [
        f"{area_name} has data for {n} indicators. Compared with {benchmark_name}, "
        f"{len(worse)} {'is' if len(worse) == 1 else 'are'} significantly worse and {len(better)} significantly better."
    ]
    if len(worse):
        pairs = [(r.title, *_together((r.value, r.county_value), r.unit)) for r in worse.itertuples()]
        lines.append(
            f"Significantly worse than {benchmark_name}: "
            + "; ".join(f"{title} ({here} against {there})" for title, here, there in pairs)
            + "."
        )
    if len(worsening):
        lines.append("Getting worse over the last five periods: " + "; ".join(worsening["title"]) + ".")
    if len(improving):
        lines.append("Improving: " + "; ".join(improving["title"]) + ".")
    gap = judged.assign(_bad=np.where(judged["polarity"] == "low_is_good", judged["relative_gap"], 1 / judged["relative_gap"]))
    gap = gap[np.isfinite(gap["_bad"]) & (gap["vs_county"] == "worse")]
    if len(gap):
        w = gap.sort_values("_bad", ascending=False).iloc[0]
        here, there = _together((w.value, w.county_value), w.unit)
        lines.append(
            f"The widest gap to {benchmark_name} is in {w.title}: {here} here against {there} "
            f"({abs(w._bad - 1) * 100:.0f}% {'higher' if w.value > w.county_value else 'lower'})."
        )
    elif not len(worse):
        lines.append(f"No indicator is significantly worse than {benchmark_name}.")
    return lines


def _own_figure(v: Any) -> str:
    """A figure shown on its own (a range, an SII): decimals from its own size."""
    return _figure(v, decimals=decimals_for([v]))


def _profile(section: str, *args: Any) -> Markup:
    return render_macro("profile_sections.html.j2", section, *args)


def _overview(section: str, *args: Any) -> Markup:
    return render_macro("overview_sections.html.j2", section, *args)


def _resolve(report) -> None:
    """Load a report's profiles and the datasets its audience may see, unless given."""
    if report.profiles is None:
        report.profiles = load_profiles(report.config, report.store)
    if report.allowed_datasets is None:
        report.allowed_datasets = allowed_datasets(report.config, report.audience)


@dataclass
class LocalityProfile:
    """Everything a locality's profile shows, for one audience."""

    config: Config
    locality: str
    quarter: str
    audience: str = "public"
    store: Path | None = None
    profiles: Profiles | None = None
    allowed_datasets: set[str] | None = field(default=None)

    def __post_init__(self):
        _resolve(self)

    @cached_property
    def area(self):
        return self.profiles.geography.area(self.locality)

    @cached_property
    def district(self):
        codes = self.data["district_code"].dropna() if len(self.data) else []
        return self.profiles.geography.area(codes.iloc[0]) if len(codes) and codes.iloc[0] else None  # single tier: none

    def _allowed(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["dataset"].isin(self.allowed_datasets)]

    @cached_property
    def data(self) -> pd.DataFrame:
        """Every period of every allowed indicator for the locality, publishable."""
        p = self._allowed(self.profiles.profiles)
        loc = p[p["area_code"] == self.locality]
        if loc.empty:
            raise KeyError(f"no profile data for locality {self.locality!r} in {self.config.name}")
        district = loc["district_code"].iloc[0]
        peers = p[(p["area_type"] == "locality") & (p["district_code"] == district)]
        return publishable(peers, self.config)[lambda d: d["area_code"] == self.locality].reset_index(drop=True)

    @cached_property
    def latest(self) -> pd.DataFrame:
        return self.data[self.data["latest"]].sort_values(["theme", "title"]).reset_index(drop=True)

    def title_html(self) -> Markup:
        return _profile(
            "title",
            self.area.name,
            self.district.name if self.district else "",
            self.config.label,
            self.quarter,
            self.audience,
            self.config.synthetic,
        )

    def headline_html(self) -> Markup:
        return _profile("headline", headline(self.latest, self.area.name, self.config.county["name"]))

    def spine_frame(self) -> pd.DataFrame:
        latest = self.latest[self.latest["value_type"] != "count"]  # a locality's count has no county benchmark
        columns = {
            "indicator_id": "indicator_id",
            "title": "title",
            "period": "period",
            "count": "numerator",
            "value": "value",
            "benchmark": "county_value",
            "peer_min": "peer_min",
            "peer_q25": "peer_q25",
            "peer_q75": "peer_q75",
            "peer_max": "peer_max",
            "polarity": "polarity",
            "comparison": "vs_county",
        }
        frame = pd.DataFrame({name: latest[source] for name, source in columns.items()})
        return frame.assign(suppressed=latest["suppressed"].astype(bool))

    def spine_html(self) -> Markup:
        spine = self.spine_frame()
        spines = [
            charts.spine_chart(g.drop(columns="theme"), title=THEME_TITLES[Theme(theme)])
            for theme, g in spine.join(self.latest.loc[spine.index, ["theme"]]).groupby("theme", sort=True)
        ]
        return _profile("spine", self.area.name, self.config.county["name"], charts.comparison_legend(), spines)

    def map_html(self, height: int = 420) -> Markup:
        geo = self.profiles.geography
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        members = geo.hierarchy.loc[geo.hierarchy["locality_code"] == self.locality, "small_area_code"]
        sa = geo.web_boundaries("small_area")
        sa = sa[sa["area_code"].isin(members)]
        scores = self.profiles.profiles
        scores = scores[
            (scores["indicator_id"] == dep)
            & (scores["area_type"] == geo.small_area_type)
            & scores["latest"]
            & (scores["vintage"] == geo.vintage)
        ]
        sa = sa.merge(scores[["area_code", "value"]], on="area_code", how="left")
        outline = geo.web_boundaries("locality")
        outline = outline[outline["area_code"] == self.locality]
        title = scores["title"].iloc[0] if len(scores) else dep
        m = choropleth(
            sa,
            "value",
            title=f"{self.area.name}: {title}",
            legend_title=title,
            tooltip_fields={"area_name": "Small area", "area_code": "Code", "value": title},
            colours=DEPRIVATION_COLOURS,
            outline=outline,
            height=height,
        )
        table = views.map_table(
            sa, caption=f"Small areas of {self.area.name}: {title}", value_title=title, area_title="Small area"
        )
        return _profile("small_area_map", map_iframe(m), table)

    def key_indicators(self, n: int = 6) -> list[str]:
        """The indicators a reader most needs to see among the peers: significantly worse than the county first
        (widest relative gap first), then the rest of the judged indicators by their gap, ``n`` at most."""
        latest = self.latest[(self.latest["value_type"] != "count") & ~self.latest["suppressed"].astype(bool)]
        judged = latest[(latest["polarity"] != "no_judgement") & latest["vs_county"].isin(["better", "similar", "worse"])]
        bad = np.where(judged["polarity"] == "low_is_good", judged["relative_gap"], 1 / judged["relative_gap"])
        ranked = judged.assign(_worse=(judged["vs_county"] == "worse").astype(int), _bad=bad)
        ranked = ranked.sort_values(["_worse", "_bad"], ascending=False, na_position="last")
        return ranked["indicator_id"].head(n).tolist()

    def compare_html(self, indicators: list[str] | None = None) -> Markup:
        """The locality among every locality of the county, for its key indicators (bars ranked, whiskers, words)."""
        county = self.config.county["name"]
        shown = []
        for ind in indicators or self.key_indicators():
            view = locality_values(self.profiles, ind) if ind in set(self.latest["indicator_id"]) else None
            if view is not None:
                shown.append(
                    views.compare_chart(
                        view.frame,
                        title=f"{view.title} ({view.period})",
                        unit=view.unit,
                        county=(county, view.county),
                        england=("England", view.england),
                        region=(_region(self.config), view.region),
                        highlight=self.locality,
                        key=f"{self.locality}-{ind}",
                    )
                )
        return _profile("compare", self.area.name, county, shown)

    def pyramid_html(self) -> Markup:
        """The locality's population by age and sex against the county's (empty without that breakdown)."""
        store = Store(self.store or self.config.store_dir())
        pop = population_by_age(store, self.profiles.geography, self.config.population_indicator, self.locality)
        chart = (
            views.pyramid_chart(pop, area=self.area.name, county=self.config.county["name"], key=self.locality)
            if pop["area"].sum() > 0
            else None
        )
        return _profile("pyramid", chart)

    def trends_html(self, only_notable: bool = False) -> Markup:
        trends = []
        latest = self.latest
        if only_notable:
            latest = latest[latest["trend_judgement"].isin(["worsening", "improving"]) | (latest["vs_county"] == "worse")]
        p = self.profiles.profiles
        for r in latest.itertuples():
            s = self.data[self.data["indicator_id"] == r.indicator_id]
            bench = {}
            for name, kind in ((self.config.county["name"], "county"), (_region(self.config), "region"), ("England", "england")):
                b = p[(p["indicator_id"] == r.indicator_id) & (p["area_type"] == kind)][["period", "value"]]
                if len(b):
                    bench[name] = b
            trends.append(charts.trend_chart(s, title=r.title, benchmark=bench, unit=r.unit))
        return _profile("trends", trends)

    def theme_tables_html(self) -> Markup:
        cols = {
            "title": "Indicator",
            "period": "Period",
            "numerator": "Count",
            "value": "Value",
            "lower95": "Lower 95%",
            "upper95": "Upper 95%",
            "county_value": "County",
            "region_value": _region(self.config),
            "england_value": "England",
            "vs_county": "Compared with county",
            "trend_judgement": "Recent trend",
        }
        cols = {c: title for c, title in cols.items() if title}  # a region only in a national configuration
        figures = [c for c in ("value", "lower95", "upper95", "county_value", "region_value", "england_value") if c in cols]
        themes = []
        for theme, g in self.latest.groupby("theme", sort=True):
            rows = []
            for r in g.to_dict("records"):
                hidden = bool(r["suppressed"])
                text = dict(zip(figures, _together([r[c] for c in figures])))
                text["numerator"] = _figure(r["numerator"], decimals=0)
                for c in ("numerator", "value", "lower95", "upper95"):
                    text[c] = "*" if hidden else text[c]
                rows.append([text.get(c, "" if pd.isna(r[c]) else r[c]) for c in cols])
                rows[-1][0] = {"href": definition_href(r["indicator_id"]), "text": r["title"]}
            themes.append({"title": THEME_TITLES[Theme(theme)], "columns": list(cols.values()), "rows": rows})
        return _profile("theme_tables", themes, SUPPRESSION_THRESHOLD)

    def download_frame(self) -> pd.DataFrame:
        d = self.data.copy()
        d["area_name"] = self.area.name
        return d[[c for c in DOWNLOAD_COLUMNS if c in d.columns]].sort_values(["theme", "indicator_id", "period"])

    def write_downloads(self, folder: Path | str) -> list[Path]:
        """CSV and XLSX of the data behind the profile, with attributions."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        frame = self.download_frame()
        return write_tables(
            frame,
            folder,
            f"profile-{self.locality}",
            self.config,
            self.datasets(),
            quarter=self.quarter,
            title=f"{self.area.name} locality profile, {self.quarter}",
        )

    def datasets(self) -> set[str]:
        """Every dataset whose values this profile shows (all periods), for attribution."""
        return supplying_datasets(self.config, set(self.data["indicator_id"])) & set(self.allowed_datasets)

    def attributions(self) -> list[str]:
        return attributions(self.config, self.datasets())

    def attribution_html(self) -> Markup:
        return _profile("sources", self.attributions())


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
        _resolve(self)

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
        return _overview(
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
        return _overview("summary", lines)

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
                "Range": g["range"].map(_own_figure),
                "Ratio worst/best": g["ratio"].map(lambda v: format_number(v, 2)),
                "SII": g["sii"].map(_own_figure) if "sii" in g else "–",
                "Gap trend": g.get("sii_gap_trend", g["range_gap_trend"]).fillna(g["range_gap_trend"]).astype(str),
            }
        )
        t["Indicator"] = [{"href": definition_href(i), "text": title} for i, title in zip(g["indicator_id"], g["title"])]
        return _overview("gap_table", list(t.columns), t.astype(object).where(t.notna(), "").to_numpy().tolist())

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
        m = choropleth(
            loc,
            "value",
            title=f"Localities: {title}",
            legend_title=title,
            tooltip_fields={"area_name": "Locality", "value": title, "vs_county": "Compared with county"},
            outline=geo.web_boundaries("county"),
            height=height,
        )
        table = views.map_table(
            loc.rename(columns={"vs_county": "comparison"}),
            caption=f"Localities: {title}",
            value_title=title,
            unit=p["unit"].iloc[0] if len(p) else "",
            area_title="Locality",
        )
        return _overview("locality_map", map_iframe(m), table)

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
                view = locality_values(self.profiles, ind)
                if view is not None:
                    shown.append(
                        views.compare_chart(
                            view.frame,
                            title=f"{view.title} ({view.period})",
                            unit=view.unit,
                            county=(county, view.county),
                            england=("England", view.england),
                            region=(_region(self.config), view.region),
                            key=f"overview-{ind}",
                        )
                    )
            themes.append({"title": THEME_TITLES[Theme(theme)], "charts": shown})
        return _overview("compare", county, themes)

    def inequalities_html(self, indicators: list[str] | None = None) -> Markup:
        """Each indicator by county deprivation decile, with its slope index of inequality and interval."""
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        chosen = self.indicators()
        chosen = chosen[chosen["indicator_id"] != dep]
        if indicators is not None:
            chosen = chosen[chosen["indicator_id"].isin(indicators)]
        shown = []
        for ind in chosen["indicator_id"]:
            found = decile_values(self.profiles, ind, dep)
            if found is not None:
                view, sii = found
                shown.append(
                    views.decile_chart(
                        view.frame, title=f"{view.title} ({view.period})", unit=view.unit, sii=sii, deciles_of="county", key=ind
                    )
                )
        return _overview("inequalities", self.config.county["name"], shown)

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
        return _profile("sources", attributions(self.config, self.datasets()))


def open_profile(
    config: str | Config, locality: str, quarter: str, audience: str = "public", store: str | None = None
) -> LocalityProfile:
    """A locality's profile for one audience: its data, headline, spine chart, map, tables, trends and downloads."""
    cfg = config if isinstance(config, Config) else load_config(config)
    return LocalityProfile(cfg, locality, quarter, audience, Path(store) if store else None)
