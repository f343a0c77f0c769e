"""Locality profiles: every indicator for every area, with limits, benchmark comparisons, trend and the gap.

One computation for the whole configuration, cached by the hash of its inputs, so each locality's
notebook only reads its slice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from observatory._core.digests import digest_files, sha256_json
from observatory._core.files import write_atomic
from observatory._core.settings import build_dir, package_version
from observatory._core.vocab import NOT_COMPARED, THEME_TITLES, Theme
from observatory.config import Config, load_config
from observatory.geo.areas import Geography
from observatory.metadata.indicators import NOT_COMPARED as NOT_COMPARED_METHOD
from observatory.metadata.indicators import read_indicators
from observatory.profiles.aggregate import aggregate
from observatory.profiles.weights import split_shares_indicator, weightings
from observatory.stats.compare import compare, quintiles
from observatory.stats.gap import gap_summary, gap_trend, sii_by_decile
from observatory.stats.trend import recent_trend
from observatory.store import Store

LEVELS = ("small_area", "locality", "district", "county")
HEADLINE_AGES = ("All ages", "All ages (standardised)", "")
SERIES = ["indicator_id", "area_code", "vintage"]


_PACKAGE = Path(__file__).resolve().parents[1]
_CODE = [
    *sorted((_PACKAGE / "profiles").glob("*.py")),
    *sorted((_PACKAGE / "geo").glob("*.py")),
    _PACKAGE / "metadata" / "indicators.py",
    _PACKAGE / "store.py",
    *sorted((_PACKAGE / "stats").glob("*.py")),
]


def inputs_digest(cfg: Config, store: Store) -> str:
    """Hash of everything the profile table depends on: its inputs and the code that computes it."""
    return sha256_json(
        {
            "version": package_version(),
            "code": digest_files(_CODE),  # a fix to the statistics must not be hidden by a cached table
            "store": store.digest(),
            "configuration": digest_files([cfg.indicators_file, cfg.localities_file, cfg.dir / "config.yaml"]),
        }
    )[:20]


def _headline(agg: pd.DataFrame) -> pd.DataFrame:
    """One breakdown per indicator: no category, Persons where present, all ages where present."""
    a = agg[agg["category"].fillna("") == ""]
    rank = np.where(a["sex"].isin(["Persons", ""]), 0, 1) * 10 + np.where(a["age"].isin(HEADLINE_AGES), 0, 1)
    a = a.assign(_rank=rank)
    best = a.groupby("indicator_id")["_rank"].transform("min")
    a = a[a["_rank"] == best]
    # within the best rank, the most common (sex, age) pair for the indicator
    pair = a["sex"].astype(str) + "|" + a["age"].astype(str)
    common = a.assign(_pair=pair).groupby("indicator_id")["_pair"].agg(lambda s: s.value_counts().index[0])
    a = a[pair == a["indicator_id"].map(common)]
    return a.drop(columns="_rank")


def benchmark_comparison(frame: pd.DataFrame, benchmark: str, level: str = "95") -> np.ndarray:
    """Each row's comparison with the benchmark value in column ``benchmark``, in Fingertips' words.

    better/similar/worse by the row's polarity (higher/similar/lower without judgement) from its confidence
    limits (``level`` "both": the 95% and 99.8% variant); "not compared" for counts (a locality's count is not
    comparable with a county's), for indicators whose ``comparison`` is ``not_compared`` and wherever a value,
    limit or benchmark is missing.
    """
    extra = (frame["lower998"], frame["upper998"]) if level == "both" else ()
    words = (
        compare(frame["value"], frame["lower95"], frame["upper95"], frame[benchmark], frame["polarity"], *extra, level=level)
        .astype(str)
        .to_numpy()
    )
    never = (frame["value_type"] == "count").to_numpy(dtype=bool, copy=True)
    if "comparison" in frame.columns:
        never |= (frame["comparison"] == NOT_COMPARED_METHOD).to_numpy(dtype=bool)
    return np.where(never, NOT_COMPARED, words)


def compute_profiles(cfg: Config, store: Store, sii_repetitions: int = 2000) -> dict[str, pd.DataFrame]:
    """The profile table, the gap summary and the gap trends for a configuration."""
    geo = Geography(cfg)
    inds = read_indicators(cfg.indicators_file)
    values = store.read()
    values = values[
        values["indicator_id"].isin(inds.index)
    ]  # indicators since removed from the metadata stay in the store, unshown
    if cfg.raw.get("national_store"):  # the shared England store: this authority's small areas, England and its region
        keep = {*geo.small_areas["area_code"], cfg.england["code"], (cfg.raw.get("region") or {}).get("code")}
        values = values[values["area_code"].isin(keep)]
    by_dataset, _default = weightings(cfg, inds)
    agg = _headline(
        aggregate(
            values,
            geo,
            inds,
            levels=LEVELS,
            population_indicator=cfg.population_indicator,
            weights=by_dataset,
            split_shares=split_shares_indicator(cfg),
        )
    )
    agg = (
        agg[agg["indicator_id"] != cfg.population_indicator].copy()
        if (inds.loc[inds.index == cfg.population_indicator, "value_type"] == "count").all()
        else agg
    )
    h = geo.hierarchy
    names = geo.areas.drop_duplicates("code").set_index("code")["name"]
    agg["area_name"] = agg["area_code"].map(names).fillna(agg["area_code"])
    loc_district = h.drop_duplicates("locality_code").set_index("locality_code")["district_code"]
    sa_parent = h.set_index("small_area_code")
    agg["locality_code"] = np.where(
        agg["area_type"] == "locality", agg["area_code"], agg["area_code"].map(sa_parent["locality_code"]).fillna("")
    )
    agg["district_code"] = np.select(
        [agg["area_type"] == "district", agg["area_type"] == "locality"],
        [agg["area_code"], agg["area_code"].map(loc_district).fillna("")],
        agg["area_code"].map(sa_parent["district_code"]).fillna(""),
    )
    # small areas on another vintage: their parents come from the primary code
    other = (agg["area_type"] == geo.small_area_type) & (agg["vintage"] != geo.vintage) & (agg["locality_code"] == "")
    if other.any():
        for vintage in agg.loc[other, "vintage"].unique():
            m = other & (agg["vintage"] == vintage)
            primary = geo.to_primary(agg.loc[m, "area_code"], vintage)
            agg.loc[m, "locality_code"] = primary.map(sa_parent["locality_code"]).fillna("").to_numpy()
            agg.loc[m, "district_code"] = primary.map(sa_parent["district_code"]).fillna("").to_numpy()

    meta = inds[["title", "theme", "unit", "value_type", "multiplier", "polarity", "comparison", "dataset"]]
    agg = agg.join(meta, on="indicator_id")
    agg["theme_title"] = agg["theme"].map({t.value: THEME_TITLES[t] for t in Theme})
    period_key = ["indicator_id", "period", "sex"]

    def bench(area_filter: pd.Series, name: str, on: list[str]) -> pd.DataFrame:
        b = agg[area_filter][on + ["value", "lower95", "upper95"]]
        b = b.drop_duplicates(on)
        return b.rename(columns={"value": f"{name}_value", "lower95": f"{name}_lower95", "upper95": f"{name}_upper95"})

    county = bench(agg["area_type"] == "county", "county", period_key)
    england = bench(agg["area_type"] == "england", "england", period_key)
    district = bench(agg["area_type"] == "district", "district", period_key + ["area_code"]).rename(
        columns={"area_code": "district_code"}
    )
    region = bench(agg["area_type"] == "region", "region", period_key)
    agg = (
        agg.merge(county, on=period_key, how="left")
        .merge(england, on=period_key, how="left")
        .merge(region, on=period_key, how="left")
    )
    agg = agg.merge(district, on=period_key + ["district_code"], how="left")
    agg.loc[agg["area_type"] == "district", ["district_value", "district_lower95", "district_upper95"]] = np.nan
    for name in ("district", "county", "region", "england"):
        agg[f"vs_{name}"] = benchmark_comparison(agg, f"{name}_value")
    agg["vs_county_998"] = benchmark_comparison(agg, "county_value", level="both")
    counts = agg["value_type"] == "count"
    agg["gap_to_county"] = (agg["value"] - agg["county_value"]).where(~counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["relative_gap"] = np.where(agg["county_value"] != 0, agg["value"] / agg["county_value"], np.nan)

    # trend per series
    t = recent_trend(agg, group_by=SERIES + ["sex"], period_col="period_sort")
    agg = agg.merge(
        t[SERIES + ["sex", "trend", "trend_judgement"]].astype({"trend": str, "trend_judgement": str}),
        on=SERIES + ["sex"],
        how="left",
    )

    # peers: localities, per indicator and period
    loc = agg["area_type"] == "locality"
    q = quintiles(agg.loc[loc, "value"], agg.loc[loc, "polarity"], groups=agg.loc[loc, ["indicator_id", "period"]])
    agg["quintile"] = pd.array([pd.NA] * len(agg), dtype="Int64")
    agg.loc[loc, "quintile"] = q["quintile"].to_numpy()
    agg["quintile_label"] = ""
    agg.loc[loc, "quintile_label"] = q["quintile_label"].astype(str).to_numpy()
    peers = agg[loc].groupby(["indicator_id", "period"])["value"].describe()[["min", "25%", "75%", "max"]]
    peers.columns = ["peer_min", "peer_q25", "peer_q75", "peer_max"]
    agg = agg.merge(peers.reset_index(), on=["indicator_id", "period"], how="left")
    latest = agg[loc].groupby("indicator_id")["period_sort"].max()
    agg["latest"] = agg["period_sort"] == agg["indicator_id"].map(latest)

    # narrowing the gap
    locs = agg[loc]
    summary = gap_summary(locs[["indicator_id", "period", "period_sort", "area_code", "value", "polarity"]])
    range_trend = gap_trend(summary.assign(value=summary["range"]), lower_col=None, upper_col=None)
    sii = _sii(agg, geo, cfg, inds, sii_repetitions)
    if len(sii):
        sii_trend = gap_trend(sii.rename(columns={"value": "sii_value"}).assign(value=lambda d: d["sii_value"]))
        sii_trend = sii_trend.rename(columns={c: f"sii_{c}" for c in sii_trend.columns if c != "indicator_id"})
    else:
        sii_trend = pd.DataFrame(columns=["indicator_id"])
    trends = range_trend.rename(columns={c: f"range_{c}" for c in range_trend.columns if c != "indicator_id"})
    trends = trends.merge(sii_trend, on="indicator_id", how="left")
    if len(sii):
        summary = summary.merge(
            sii[["indicator_id", "period", "value", "lower95", "upper95", "rii"]].rename(
                columns={"value": "sii", "lower95": "sii_lower95", "upper95": "sii_upper95"}
            ),
            on=["indicator_id", "period"],
            how="left",
        )
    summary = summary.join(meta[["title", "theme", "unit"]], on="indicator_id")
    trends = trends.join(meta[["title", "theme", "unit", "polarity"]], on="indicator_id")
    for col in ("polarity",):
        summary[col] = summary[col].astype(str)
    return {
        "profiles": agg.reset_index(drop=True),
        "gaps": summary.reset_index(drop=True),
        "gap_trends": trends.reset_index(drop=True),
    }


def deprivation_deciles(agg: pd.DataFrame, geo: Geography, indicator: str) -> pd.Series:
    """County deprivation deciles of the primary small areas (1 = most deprived), from the latest deprivation score."""
    s = agg[(agg["indicator_id"] == indicator) & (agg["area_type"] == geo.small_area_type)]
    if s.empty:
        return pd.Series(dtype="Int64")
    s = s[s["period_sort"] == s["period_sort"].max()]
    codes = s["area_code"]
    if (s["vintage"] != geo.vintage).any():
        v = s["vintage"].iloc[0]
        codes = geo.to_primary(codes, v) if v != geo.vintage else codes
        s = s.assign(area_code=codes.to_numpy()).groupby("area_code", as_index=False)["value"].mean()
    ranks = s["value"].rank(ascending=False, method="first")
    decile = np.ceil(ranks * 10 / len(s)).astype(int)
    return pd.Series(decile.to_numpy(), index=s["area_code"].to_numpy())


def _sii(agg: pd.DataFrame, geo: Geography, cfg: Config, inds: pd.DataFrame, repetitions: int) -> pd.DataFrame:
    dep_indicator = cfg.raw.get("deprivation_indicator", "imd_score")
    deciles = deprivation_deciles(agg, geo, dep_indicator)
    if deciles.empty:
        return pd.DataFrame()
    sa = agg[(agg["area_type"] == geo.small_area_type) & (agg["indicator_id"] != dep_indicator)].copy()
    primary = sa["area_code"]
    for v in sa["vintage"].unique():
        if v and v != geo.vintage:
            m = sa["vintage"] == v
            primary = primary.where(~m, geo.to_primary(sa.loc[m, "area_code"], v))
    sa["decile"] = primary.map(deciles)
    sa = sa[sa["decile"].notna()]
    pop = sa["denominator"].where(sa["denominator"] > 0)
    sa["population"] = pop.fillna(1.0)
    parts = []
    for vt, g in sa.groupby("value_type"):
        kind = vt if vt in ("proportion", "crude_rate") else None
        if vt == "dsr":
            continue  # DSR by decile needs age bands per decile: not reported
        for m, gg in g.groupby("multiplier"):
            try:
                parts.append(
                    sii_by_decile(
                        gg,
                        group_by=("indicator_id", "period", "period_sort"),
                        value_type=kind,
                        multiplier=m if kind else 1,
                        repetitions=repetitions,
                        seed=1,
                    )
                )
            except (ValueError, KeyError):
                continue
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass
class Profiles:
    """The cached profile tables of one configuration, with handy slices for notebooks and dashboards."""

    config: Config
    profiles: pd.DataFrame
    gaps: pd.DataFrame
    gap_trends: pd.DataFrame
    digest: str

    @cached_property
    def geography(self) -> Geography:
        return Geography(self.config)

    def derived(self, name: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """``make()``, a table computed from this table's inputs (``name`` says from which, if more: the IoD
        summary measures name their source files' digest), cached beside it as Parquet: a build's kernels
        read it in milliseconds instead of each computing it (0.2-0.4 s each for the IoD summary measures and
        life expectancy). Computed each time when the table is not a cached one (no digest)."""
        if not self.digest:
            return make()
        path = cache_dir(self.config) / self.digest / f"{DERIVED}{name}.parquet"
        if path.exists():
            return pd.read_parquet(path)
        table = make()
        write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False))
        return table

    def latest(self, area_code: str) -> pd.DataFrame:
        """The latest value of every indicator for one area, with comparisons and trend."""
        p = self.profiles
        return p[(p["area_code"] == area_code) & p["latest"]].sort_values(["theme", "indicator_id"]).reset_index(drop=True)

    def series(self, indicator_id: str, area_code: str) -> pd.DataFrame:
        p = self.profiles
        return (
            p[(p["indicator_id"] == indicator_id) & (p["area_code"] == area_code)]
            .sort_values("period_sort")
            .reset_index(drop=True)
        )

    def level(self, area_type: str, indicator_id: str | None = None, latest: bool = True) -> pd.DataFrame:
        p = self.profiles[self.profiles["area_type"] == area_type]
        if indicator_id:
            p = p[p["indicator_id"] == indicator_id]
        return p[p["latest"]] if latest else p

    def small_areas(self, locality_code: str, indicator_id: str) -> pd.DataFrame:
        p = self.profiles
        return p[
            (p["locality_code"] == locality_code)
            & (p["area_type"] == self.geography.small_area_type)
            & (p["indicator_id"] == indicator_id)
        ]


DERIVED = "derived-"


def cache_dir(cfg: Config) -> Path:
    return build_dir() / "cache" / cfg.name


def load_profiles(config: Config | str = "demo", store: Store | Path | str | None = None, *, refresh: bool = False) -> Profiles:
    """The profile tables for a configuration, computed once per input digest and cached as Parquet."""
    cfg = config if isinstance(config, Config) else load_config(config)
    st = store if isinstance(store, Store) else Store(store or cfg.store_dir())
    digest = inputs_digest(cfg, st)
    folder = cache_dir(cfg) / digest
    names = ("profiles", "gaps", "gap_trends")
    if refresh or not all((folder / f"{n}.parquet").exists() for n in names):
        for old in folder.glob(f"{DERIVED}*.parquet"):  # computed from what is being computed again
            old.unlink()
        tables = compute_profiles(cfg, st)
        for n in names:  # written aside then renamed: a concurrent reader never sees half a file
            write_atomic(folder / f"{n}.parquet", lambda tmp, t=tables[n]: t.to_parquet(tmp, index=False))
        write_atomic(folder / "inputs.json", json.dumps({"store": str(st.path), "digest": digest}))
    tables = {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}
    return Profiles(cfg, tables["profiles"], tables["gaps"], tables["gap_trends"], digest)
