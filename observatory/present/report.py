"""The sections of a locality profile and of the county overview, as HTML that renders without a kernel.

Notebooks stay thin: each cell displays one section built here, where it is tested.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.present import charts
from observatory.config import Config, load_config
from observatory.profiles.table import Profiles, load_profiles
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.stats.disclosure import suppress

SUPPRESSION_THRESHOLD = 5
DOWNLOAD_COLUMNS = ["indicator_id", "title", "theme", "unit", "area_code", "area_name", "area_type", "period",
                    "numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998", "statistic",
                    "method", "aggregation", "district_value", "county_value", "england_value", "vs_district",
                    "vs_county", "vs_england", "trend", "trend_judgement", "gap_to_county", "quintile_label",
                    "suppressed", "note", "dataset_id"]  # suppression_note is never published: it narrows the hidden values
COUNTED = {"proportion", "crude_rate", "count", "dsr", "isr"}


def publishable(frame: pd.DataFrame, threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """Small counts suppressed (primary and secondary, within each indicator, period and parent area)."""
    f = frame.copy()
    counted = f["value_type"].isin(COUNTED)
    parent = f["district_code"].where(f["area_type"] == "locality", f.get("locality_code", ""))
    f["_parent"] = parent.fillna("")
    part = f[counted]
    done = suppress(part, "numerator", threshold=threshold, group_cols=["indicator_id", "period", "area_type", "_parent"],
                    derived_cols=["value", "lower95", "upper95", "lower998", "upper998", "numerator", "gap_to_county", "relative_gap"])
    f["suppressed"] = False
    f["suppression_note"] = ""
    for c in done.columns:
        f.loc[counted, c] = done[c].to_numpy()
    f.loc[f["suppressed"].astype(bool), ["vs_district", "vs_county", "vs_england", "vs_county_998"]] = "suppressed"
    return f.drop(columns="_parent")


def write_tables(frame: pd.DataFrame, folder: Path | str, stem: str, config: Config, datasets: set[str]) -> list[Path]:
    """A download as CSV and XLSX, each carrying the attributions of the datasets it uses
    (a sheet in the workbook, a ``-attribution.csv`` beside the CSV)."""
    from observatory.metadata.catalogue import attribution_frame, write_attributions

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    frame.to_csv(csv, index=False)
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
        frame.to_excel(xw, sheet_name="data", index=False)
        attribution_frame(config, datasets).to_excel(xw, sheet_name="attribution", index=False)
    return [csv, xlsx, write_attributions(folder / f"{stem}-attribution.csv", config, datasets)]


def _fmt(v: float, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v):
        return "–"
    return f"{v:,.1f}{'%' if unit == '%' else ''}"


def headline(latest: pd.DataFrame, area_name: str, benchmark_name: str) -> list[str]:
    """The profile's summary in plain words, generated from the data."""
    judged = latest[latest["polarity"] != "no_judgement"]
    worse = judged[judged["vs_county"] == "worse"]
    better = judged[judged["vs_county"] == "better"]
    worsening = latest[latest["trend_judgement"] == "worsening"]
    improving = latest[latest["trend_judgement"] == "improving"]
    n = int(latest["value"].notna().sum())
    lines = [f"{html.escape(area_name)} has data for {n} indicators. Compared with {html.escape(benchmark_name)}, "
             f"{len(worse)} {'is' if len(worse) == 1 else 'are'} significantly worse and {len(better)} significantly better."]
    if len(worse):
        lines.append("Significantly worse than " + html.escape(benchmark_name) + ": " + "; ".join(
            f"{html.escape(r.title)} ({_fmt(r.value, r.unit)} against {_fmt(r.county_value, r.unit)})" for r in worse.itertuples()) + ".")
    if len(worsening):
        lines.append("Getting worse over the last five periods: " + "; ".join(html.escape(t) for t in worsening["title"]) + ".")
    if len(improving):
        lines.append("Improving: " + "; ".join(html.escape(t) for t in improving["title"]) + ".")
    gap = judged.assign(_bad=np.where(judged["polarity"] == "low_is_good", judged["relative_gap"], 1 / judged["relative_gap"]))
    gap = gap[np.isfinite(gap["_bad"]) & (gap["vs_county"] == "worse")]
    if len(gap):
        w = gap.sort_values("_bad", ascending=False).iloc[0]
        lines.append(f"The widest gap to {html.escape(benchmark_name)} is in {html.escape(w.title)}: "
                     f"{_fmt(w.value, w.unit)} here against {_fmt(w.county_value, w.unit)} "
                     f"({abs(w._bad - 1) * 100:.0f}% {'higher' if w.value > w.county_value else 'lower'}).")
    elif not len(worse):
        lines.append(f"No indicator is significantly worse than {html.escape(benchmark_name)}.")
    return lines


def _resolve(report) -> None:
    """Load a report's profiles and the datasets its audience may see, unless given."""
    if report.profiles is None:
        report.profiles = load_profiles(report.config, report.store)
    if report.allowed_datasets is None:
        from observatory.metadata.catalogue import allowed_datasets

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
        return self.profiles.geography.area(self.data["district_code"].dropna().iloc[0]) if len(self.data) else None

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
        return publishable(peers)[lambda d: d["area_code"] == self.locality].reset_index(drop=True)

    @cached_property
    def latest(self) -> pd.DataFrame:
        return self.data[self.data["latest"]].sort_values(["theme", "title"]).reset_index(drop=True)

    def title_html(self) -> str:
        synthetic = ('<p class="obs-synthetic"><strong>Synthetic data</strong>: this demo county and every figure in it '
                     'are generated for demonstration; they describe no real place.</p>') if self.config.synthetic else ""
        return (f"<h1>{html.escape(self.area.name)} locality profile</h1>"
                f"<p>{html.escape(self.district.name if self.district else '')} · {html.escape(self.config.label)} · "
                f"quarter {html.escape(self.quarter)} · audience: {html.escape(self.audience)}</p>{synthetic}")

    def headline_html(self) -> str:
        items = "".join(f"<li>{line}</li>" for line in headline(self.latest, self.area.name, self.config.county["name"]))
        return f"<h2>Summary</h2><ul class='obs-headline'>{items}</ul>"

    def spine_frame(self) -> pd.DataFrame:
        l = self.latest[self.latest["value_type"] != "count"]  # a locality's count has no county benchmark
        return pd.DataFrame({
            "indicator_id": l["indicator_id"], "title": l["title"], "period": l["period"], "count": l["numerator"],
            "value": l["value"], "benchmark": l["county_value"], "peer_min": l["peer_min"], "peer_q25": l["peer_q25"],
            "peer_q75": l["peer_q75"], "peer_max": l["peer_max"], "polarity": l["polarity"], "comparison": l["vs_county"],
            "suppressed": l["suppressed"].astype(bool)})

    def spine_html(self) -> str:
        parts = [f"<h2>Spine chart: {html.escape(self.area.name)} against the range of {html.escape(self.config.county['name'])}'s localities</h2>",
                 charts.comparison_legend()]
        spine = self.spine_frame()
        for theme, g in spine.join(self.latest.loc[spine.index, ["theme"]]).groupby("theme", sort=True):
            parts.append(charts.spine_chart(g.drop(columns="theme"), title=THEME_TITLES[Theme(theme)]))
        return "".join(parts)

    def map_html(self, height: int = 420) -> str:
        from observatory.present.maps import choropleth, map_iframe

        geo = self.profiles.geography
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        members = geo.hierarchy.loc[geo.hierarchy["locality_code"] == self.locality, "small_area_code"]
        sa = geo.web_boundaries("small_area")
        sa = sa[sa["area_code"].isin(members)]
        scores = self.profiles.profiles
        scores = scores[(scores["indicator_id"] == dep) & (scores["area_type"] == geo.small_area_type)
                        & scores["latest"] & (scores["vintage"] == geo.vintage)]
        sa = sa.merge(scores[["area_code", "value"]], on="area_code", how="left")
        outline = geo.web_boundaries("locality")
        outline = outline[outline["area_code"] == self.locality]
        title = scores["title"].iloc[0] if len(scores) else dep
        m = choropleth(sa, "value", title=f"{self.area.name}: {title}", legend_title=title,
                       tooltip_fields={"area_name": "Small area", "area_code": "Code", "value": title},
                       colours=["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"], outline=outline, height=height)
        return f"<h2>Small areas by deprivation</h2>{map_iframe(m)}"

    def trends_html(self, only_notable: bool = False) -> str:
        parts = ["<h2>Trends</h2><p>Values with 95% confidence intervals; dashed lines are the county and England.</p>"]
        latest = self.latest
        if only_notable:
            latest = latest[latest["trend_judgement"].isin(["worsening", "improving"]) | (latest["vs_county"] == "worse")]
        p = self.profiles.profiles
        for r in latest.itertuples():
            s = self.data[self.data["indicator_id"] == r.indicator_id]
            bench = {}
            for name, kind in ((self.config.county["name"], "county"), ("England", "england")):
                b = p[(p["indicator_id"] == r.indicator_id) & (p["area_type"] == kind)][["period", "value"]]
                if len(b):
                    bench[name] = b
            parts.append(f"<div class='obs-trend'>{charts.trend_chart(s, title=r.title, benchmark=bench, unit=r.unit)}</div>")
        return "".join(parts)

    def theme_tables_html(self) -> str:
        parts = ["<h2>Indicators by theme</h2>"]
        cols = {"title": "Indicator", "period": "Period", "numerator": "Count", "value": "Value", "lower95": "Lower 95%",
                "upper95": "Upper 95%", "county_value": "County", "england_value": "England", "vs_county": "Compared with county",
                "trend_judgement": "Recent trend"}
        for theme, g in self.latest.groupby("theme", sort=True):
            t = g[list(cols)].rename(columns=cols).copy()
            sup = g["suppressed"].astype(bool).to_numpy()
            for c in ("Count", "Value", "Lower 95%", "Upper 95%"):
                t[c] = [("*" if s else _fmt(v)) for v, s in zip(t[c], sup)]
            for c in ("County", "England"):
                t[c] = t[c].map(_fmt)
            parts.append(f"<h3>{html.escape(THEME_TITLES[Theme(theme)])}</h3>" + t.to_html(index=False, escape=True, classes="obs-table"))
        parts.append(f"<p class='obs-note'>* suppressed: counts of 1–{SUPPRESSION_THRESHOLD} are not published, nor any figure from which they could be recovered.</p>")
        return "".join(parts)

    def download_frame(self) -> pd.DataFrame:
        d = self.data.copy()
        d["area_name"] = self.area.name
        return d[[c for c in DOWNLOAD_COLUMNS if c in d.columns]].sort_values(["theme", "indicator_id", "period"])

    def write_downloads(self, folder: Path | str) -> list[Path]:
        """CSV and XLSX of the data behind the profile, with attributions."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        frame = self.download_frame()
        return write_tables(frame, folder, f"profile-{self.locality}", self.config, self.datasets())

    def datasets(self) -> set[str]:
        """Every dataset whose values this profile shows (all periods), for attribution."""
        from observatory.metadata.catalogue import supplying_datasets

        return supplying_datasets(self.config, set(self.data["indicator_id"])) & set(self.allowed_datasets)

    def attributions(self) -> list[str]:
        from observatory.metadata.catalogue import attributions

        return attributions(self.config, self.datasets())

    def attribution_html(self) -> str:
        items = "".join(f"<li>{html.escape(a)}</li>" for a in self.attributions())
        return f"<h2>Sources and attribution</h2><ul>{items}</ul>"


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

    def title_html(self) -> str:
        synthetic = ('<p class="obs-synthetic"><strong>Synthetic data</strong>: this demo county is generated for '
                     'demonstration and describes no real place.</p>') if self.config.synthetic else ""
        return (f"<h1>{html.escape(self.config.county['name'])}: narrowing the gap</h1>"
                f"<p>{html.escape(self.config.label)} · quarter {html.escape(self.quarter)} · audience: {html.escape(self.audience)}</p>{synthetic}")

    def summary_html(self) -> str:
        g = self.gaps
        col = "sii_gap_trend" if "sii_gap_trend" in g.columns else "range_gap_trend"
        trend = g[col].fillna(g["range_gap_trend"]).astype(str)
        narrowing = g[trend == "narrowing"]["title"].tolist()
        widening = g[trend == "widening"]["title"].tolist()
        n_localities = len(self.profiles.geography.localities())
        lines = [f"{len(g)} indicators compared across {n_localities} localities."]
        lines.append(f"Gaps narrowing significantly: {'; '.join(map(html.escape, narrowing)) or 'none'}.")
        lines.append(f"Gaps widening significantly: {'; '.join(map(html.escape, widening)) or 'none'}.")
        names = self.profiles.geography.areas.drop_duplicates("code").set_index("code")["name"]
        widest = g.dropna(subset=["ratio"]).sort_values("ratio", ascending=False).head(3)
        for r in widest.itertuples():
            if isinstance(r.worst_area, str) and r.worst_area:
                lines.append(f"{html.escape(r.title)}: {html.escape(str(names.get(r.worst_area, r.worst_area)))} is {r.ratio:.1f} times "
                             f"{html.escape(str(names.get(r.best_area, r.best_area)))}.")
        return "<h2>Summary</h2><ul>" + "".join(f"<li>{x}</li>" for x in lines) + "</ul>"

    def gap_table_html(self) -> str:
        g = self.gaps
        names = self.profiles.geography.areas.drop_duplicates("code").set_index("code")["name"]
        t = pd.DataFrame({
            "Theme": g["theme"].map(lambda t: THEME_TITLES[Theme(t)]), "Indicator": g["title"], "Period": g["period"],
            "Best locality": g["best_area"].map(names).fillna(""), "Worst locality": g["worst_area"].map(names).fillna(""),
            "Range": g["range"].map(_fmt), "Ratio worst/best": g["ratio"].map(lambda v: "–" if pd.isna(v) else f"{v:.2f}"),
            "SII": g["sii"].map(_fmt) if "sii" in g else "–",
            "Gap trend": g.get("sii_gap_trend", g["range_gap_trend"]).fillna(g["range_gap_trend"]).astype(str)})
        return "<h2>The gap between localities, by indicator</h2>" + t.to_html(index=False, escape=True, classes="obs-table")

    def map_html(self, indicator_id: str | None = None, height: int = 480) -> str:
        from observatory.present.maps import choropleth, map_iframe

        geo = self.profiles.geography
        dep = indicator_id or self.config.raw.get("deprivation_indicator", "imd_score")
        p = self.profiles.level("locality", dep)
        p = p[p["dataset"].isin(self.allowed_datasets)]
        loc = geo.web_boundaries("locality").merge(p[["area_code", "value", "vs_county"]], on="area_code", how="left")
        title = p["title"].iloc[0] if len(p) else dep
        m = choropleth(loc, "value", title=f"Localities: {title}", legend_title=title,
                       tooltip_fields={"area_name": "Locality", "value": title, "vs_county": "Compared with county"},
                       outline=geo.web_boundaries("county"), height=height)
        return f"<h2>Localities</h2>{map_iframe(m)}"

    def download_frame(self) -> pd.DataFrame:
        return self.gaps

    def datasets(self) -> set[str]:
        from observatory.metadata.catalogue import supplying_datasets

        return supplying_datasets(self.config, set(self.gaps["indicator_id"])) & set(self.allowed_datasets)

    def write_downloads(self, folder: Path | str) -> list[Path]:
        return write_tables(self.download_frame(), folder, "county-gaps", self.config, self.datasets())

    def attribution_html(self) -> str:
        from observatory.metadata.catalogue import attributions

        items = "".join(f"<li>{html.escape(a)}</li>" for a in attributions(self.config, self.datasets()))
        return f"<h2>Sources and attribution</h2><ul>{items}</ul>"


def open_profile(config: str | Config, locality: str, quarter: str, audience: str = "public", store: str | None = None) -> LocalityProfile:
    """A locality's profile for one audience: its data, headline, spine chart, map, tables, trends and downloads."""
    cfg = config if isinstance(config, Config) else load_config(config)
    return LocalityProfile(cfg, locality, quarter, audience, Path(store) if store else None)
