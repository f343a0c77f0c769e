"""A locality's profile: its headline, spine chart, small-area map, comparisons, pyramid, trends, tables and
downloads, as HTML that renders without a kernel (markup in the ``profile_sections`` template)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from observatory._core.vocab import THEME_TITLES, Theme
from observatory.config import Config, load_config
from observatory.present import charts, views
from observatory.present.breakdowns import age_profile, inequality_views, locality_deprivation_lines
from observatory.present.disclosure import SUPPRESSION_THRESHOLD
from observatory.present.pages import definition_href
from observatory.present.palette import DEPRIVATION_COLOURS
from observatory.present.sections import (
    figure,
    localities_chart,
    map_with_table,
    profile_section,
    region_name,
    resolve,
    shared_for,
    together,
)
from observatory.present.spreadsheets import write_tables
from observatory.present.strings import python_strings
from observatory.present.summary_measures import (
    deprivation_for,
    deprivation_section,
    life_expectancy_for,
    life_expectancy_section,
)
from observatory.present.templating import Markup
from observatory.present.view_data import SharedData
from observatory.profiles.aggregate import LIMITS
from observatory.profiles.table import Profiles
from observatory.store import Store

TREND_COLUMNS = ("period", "period_sort", "value", "lower95", "upper95", "suppressed")
DOWNLOAD_COLUMNS = [
    *("indicator_id", "title", "theme", "unit", "area_code", "area_name", "area_type", "period"),
    *("numerator", "denominator", *LIMITS, "statistic", "method", "aggregation"),
    *("district_value", "county_value", "england_value", "vs_district", "vs_county", "vs_england"),
    *("trend", "trend_judgement", "gap_to_county", "quintile_label", "suppressed", "note", "dataset_id"),
]  # suppression_note is never published: it narrows the hidden values


def headline(latest: pd.DataFrame, area_name: str, benchmark_name: str) -> list[str]:
    """The profile's summary in plain words (text, escaped where it is shown), generated from the data."""
    read = ("title", "unit", "value", "county_value", "polarity", "vs_county", "trend_judgement", "relative_gap")
    latest = latest[[c for c in read if c in latest.columns]]  # filtered below many times: only what is read
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
        pairs = [(r.title, *together((r.value, r.county_value), r.unit)) for r in worse.itertuples()]
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
        here, there = together((w.value, w.county_value), w.unit)
        lines.append(
            f"The widest gap to {benchmark_name} is in {w.title}: {here} here against {there} "
            f"({abs(w._bad - 1) * 100:.0f}% {'higher' if w.value > w.county_value else 'lower'})."
        )
    elif not len(worse):
        lines.append(f"No indicator is significantly worse than {benchmark_name}.")
    return lines


@python_strings
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
        resolve(self)

    @cached_property
    def shared(self) -> SharedData:
        return shared_for(self)

    @cached_property
    def area(self):
        return self.shared.area(self.locality)

    @cached_property
    def district(self):
        codes = self.data["district_code"].dropna() if len(self.data) else []
        return self.shared.area(codes.iloc[0]) if len(codes) and codes.iloc[0] else None  # single tier: none

    def _allowed(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["dataset"].isin(self.allowed_datasets)]

    @cached_property
    def data(self) -> pd.DataFrame:
        """Every period of every allowed indicator for the locality, publishable."""
        p = self.shared.localities  # publishable among the district's peers
        loc = p[p["area_code"] == self.locality]
        if loc.empty:
            raise KeyError(f"no profile data for locality {self.locality!r} in {self.config.name}")
        return loc.reset_index(drop=True)

    @cached_property
    def latest(self) -> pd.DataFrame:
        return self.data[self.data["latest"]].sort_values(["theme", "title"]).reset_index(drop=True)

    def title_html(self) -> Markup:
        return profile_section(
            "title",
            self.area.name,
            self.district.name if self.district else "",
            self.config.label,
            self.quarter,
            self.audience,
            self.config.synthetic,
        )

    def headline_html(self) -> Markup:
        return profile_section("headline", headline(self.latest, self.area.name, self.config.county["name"]))

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
        return profile_section("spine", self.area.name, self.config.county["name"], charts.comparison_legend(), spines)

    def map_html(self, height: int = 420) -> Markup:
        geo = self.profiles.geography
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        members = geo.hierarchy.loc[geo.hierarchy["locality_code"] == self.locality, "small_area_code"]
        sa = self.shared.web_boundaries("small_area")
        sa = sa[sa["area_code"].isin(members)]
        scores = self.shared.once(("small area scores", dep), lambda: self._small_area_scores(dep))  # every locality's
        sa = sa.merge(scores[["area_code", "value"]], on="area_code", how="left")
        outline = self.shared.web_boundaries("locality")
        outline = outline[outline["area_code"] == self.locality]
        title = scores["title"].iloc[0] if len(scores) else dep
        tooltip = {"area_name": "Small area", "area_code": "Code", "value": title}
        options = dict(tooltip_fields=tooltip, colours=DEPRIVATION_COLOURS, outline=outline, height=height)
        caption = f"Small areas of {self.area.name}: {title}"
        iframe, table = map_with_table(sa, title, caption, "Small area", map_title=f"{self.area.name}: {title}", **options)
        return profile_section("small_area_map", iframe, table)

    def _small_area_scores(self, indicator_id: str) -> pd.DataFrame:
        """The latest ``indicator_id`` of every small area of the geography's vintage (code, value, title)."""
        geo, scores = self.profiles.geography, self.profiles.profiles
        scores = scores[
            (scores["indicator_id"] == indicator_id)
            & (scores["area_type"] == geo.small_area_type)
            & scores["latest"]
            & (scores["vintage"] == geo.vintage)
        ]
        return scores[["area_code", "value", "title"]]

    def key_indicators(self, n: int = 6) -> list[str]:
        """The indicators a reader most needs to see among the peers: significantly worse than the county first
        (widest relative gap first), then the rest of the judged indicators by their gap, ``n`` at most."""
        return self._ranked_indicators[:n]

    @cached_property
    def _ranked_indicators(self) -> list[str]:
        latest = self.latest[["indicator_id", "value_type", "suppressed", "polarity", "vs_county", "relative_gap"]]
        latest = latest[(latest["value_type"] != "count") & ~latest["suppressed"].astype(bool)]
        judged = latest[(latest["polarity"] != "no_judgement") & latest["vs_county"].isin(["better", "similar", "worse"])]
        bad = np.where(judged["polarity"] == "low_is_good", judged["relative_gap"], 1 / judged["relative_gap"])
        ranked = judged.assign(_worse=(judged["vs_county"] == "worse").astype(int), _bad=bad)
        ranked = ranked.sort_values(["_worse", "_bad"], ascending=False, na_position="last")
        return ranked["indicator_id"].tolist()

    def compare_html(self, indicators: list[str] | None = None) -> Markup:
        """The locality among every locality of the county, for its key indicators (bars ranked, whiskers, words)."""
        county = self.config.county["name"]
        shown = []
        for ind in indicators or self.key_indicators():
            view = self.shared.locality_values(ind) if ind in set(self.latest["indicator_id"]) else None
            if view is not None:
                shown.append(
                    localities_chart(
                        view, county, f"{self.locality}-{ind}", highlight=self.locality, region=region_name(self.config)
                    )
                )
        return profile_section("compare", self.area.name, county, shown)

    def inequalities_html(self, indicators: list[str] | None = None) -> Markup:
        """The locality's key indicators by deprivation decile (the deciles its small areas are in marked among the
        county's) and, where the data has them, by sex and age band against the county's same groups."""
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        store = Store(self.store or self.config.store_dir())
        chosen = [i for i in indicators or self.key_indicators() if i in set(self.latest["indicator_id"])]
        shown = [
            c for i in chosen for c in inequality_views(self.profiles, store, i, dep, locality=self.locality, shared=self.shared)
        ]
        lines = locality_deprivation_lines(self.profiles, dep, self.locality, shared=self.shared)
        return profile_section("inequalities", self.area.name, self.config.county["name"], lines, shown)

    def pyramid_html(self) -> Markup:
        """The locality's population by age and sex against the county's (empty without that breakdown)."""
        pop = self.shared.population_by_age(self.locality)
        chart = (
            views.pyramid_chart(pop, area=self.area.name, county=self.config.county["name"], key=self.locality)
            if pop["area"].sum() > 0
            else None
        )
        if chart is None:  # no sex in the data (Warwickshire's estimates): the age profile of all persons
            store = Store(self.store or self.config.store_dir())
            chart = age_profile(store, self.profiles.geography, self.config, self.locality, self.area.name)
        return profile_section("pyramid", chart)

    def trends_html(self, only_notable: bool = False) -> Markup:
        trends = []
        latest = self.latest
        if only_notable:
            latest = latest[latest["trend_judgement"].isin(["worsening", "improving"]) | (latest["vs_county"] == "worse")]
        drawn = [c for c in TREND_COLUMNS if c in self.data.columns]  # the columns a trend chart reads
        series = {str(i): g for i, g in self.data[["indicator_id", *drawn]].groupby("indicator_id", sort=False)}
        for r in latest[["indicator_id", "title", "unit"]].itertuples():
            s = series[str(r.indicator_id)]
            bench = {}
            for name, kind in (
                (self.config.county["name"], "county"),
                (region_name(self.config), "region"),
                ("England", "england"),
            ):
                b = self.shared.benchmark(r.indicator_id, kind)
                if b is not None and len(b):
                    bench[name] = b
            trends.append(charts.trend_chart(s, title=r.title, benchmark=bench, unit=r.unit))
        return profile_section("trends", trends)

    def theme_tables_html(self) -> Markup:
        cols = {
            "title": "Indicator",
            "period": "Period",
            "numerator": "Count",
            "value": "Value",
            "lower95": "Lower 95%",
            "upper95": "Upper 95%",
            "county_value": "County",
            "region_value": region_name(self.config),
            "england_value": "England",
            "vs_county": "Compared with county",
            "trend_judgement": "Recent trend",
        }
        cols = {c: title for c, title in cols.items() if title}  # a region only in a national configuration
        figures = [c for c in ("value", "lower95", "upper95", "county_value", "region_value", "england_value") if c in cols]
        themes = []
        read = list(dict.fromkeys(["indicator_id", "title", "suppressed", "numerator", *figures, *cols]))
        for theme, g in self.latest.groupby("theme", sort=True):
            rows = []
            for r in g[read].to_dict("records"):  # only the columns shown: a record of every column is slow
                hidden = bool(r["suppressed"])
                text = dict(zip(figures, together([r[c] for c in figures])))
                text["numerator"] = figure(r["numerator"], decimals=0)
                for c in ("numerator", "value", "lower95", "upper95"):
                    text[c] = "*" if hidden else text[c]
                rows.append([text.get(c, "" if pd.isna(r[c]) else r[c]) for c in cols])
                rows[-1][0] = {"href": definition_href(r["indicator_id"]), "text": r["title"]}
            themes.append({"title": THEME_TITLES[Theme(theme)], "columns": list(cols.values()), "rows": rows})
        return profile_section("theme_tables", themes, SUPPRESSION_THRESHOLD)

    def _with_parents(self) -> list[str]:
        return [c for c in (self.locality, self.district.code if self.district else None, self.config.county["code"]) if c]

    def deprivation_html(self) -> Markup:
        """The IoD local summary measures of the locality, its district and the county."""
        return deprivation_section(deprivation_for(self, self.shared), self.area.name, self._with_parents())

    def life_expectancy_html(self) -> Markup:
        """Life expectancy at birth by sex in the locality, its district and the county."""
        return life_expectancy_section(life_expectancy_for(self, self.shared), self.area.name, self._with_parents())

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
            attribution=self.shared.attribution(self.datasets()),
        )

    def datasets(self) -> set[str]:
        """Every dataset whose values this profile shows (all periods), for attribution."""
        return self.shared.supplying_datasets(set(self.data["indicator_id"])) & set(self.allowed_datasets)

    def attributions(self) -> list[str]:
        return self.shared.attributions(self.datasets())

    def attribution_html(self) -> Markup:
        return profile_section("sources", self.attributions())


@python_strings
def open_profile(
    config: str | Config, locality: str, quarter: str, audience: str = "public", store: str | None = None
) -> LocalityProfile:
    """A locality's profile for one audience: its data, headline, spine chart, map, tables, trends and downloads."""
    cfg = config if isinstance(config, Config) else load_config(config)
    return LocalityProfile(cfg, locality, quarter, audience, Path(store) if store else None)
