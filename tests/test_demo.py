"""The synthetic demo county: reproducible byte for byte, clearly synthetic, and shaped like a real county."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from scipy.stats import spearmanr

from observatory._core.vocab import Polarity, Theme, ValueType
from observatory.demo import generate

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
ENGLAND = "E92000001"
IMD_SCORE = "Index of Multiple Deprivation (IMD) Score"
IMD_COLUMNS = [
    "LSOA code (2021)",
    "LSOA name (2021)",
    "Local Authority District code (2024)",
    "Local Authority District name (2024)",
    IMD_SCORE,
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Score (rate)",
    "Employment Score (rate)",
]
ESP = [
    "0-4",
    "5-9",
    "10-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85-89",
    "90+",
]


def _csv(rel: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / rel, dtype=str, keep_default_na=False)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((DEMO / "config.yaml").read_text())


@pytest.fixture(scope="module")
def small_areas():
    import geopandas as gpd

    return gpd.read_file(DEMO / "boundaries" / "small_areas.geojson")


@pytest.fixture(scope="module")
def lookup() -> pd.DataFrame:
    return _csv("lookups/small_area_lookup.csv")


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return _csv("indicators.csv")


@pytest.fixture(scope="module")
def values(config) -> pd.DataFrame:
    """Every tidy source row, with numbers parsed and the value type joined on."""
    frames = [_csv(s["file"]).assign(_file=s["file"]) for s in config["sources"] if s["adapter"] == "tidy"]
    v = pd.concat(frames, ignore_index=True).fillna("")
    for c in ("numerator", "denominator", "value"):
        v[c] = pd.to_numeric(v[c].replace("", np.nan))
    v["period_sort"] = v["period_sort"].astype(int)
    return v


@pytest.fixture(scope="module")
def imd() -> pd.DataFrame:
    return pd.read_csv(DEMO / "sources" / "demo-imd.csv")


# ---- reproducibility and size --------------------------------------------------------------------
def test_regeneration_is_byte_identical(tmp_path):
    summary = generate(tmp_path)
    generated = set(_files(tmp_path))
    missing = generated - set(_files(DEMO))  # hand-written configuration (catalogue, targets) may sit beside them
    assert not missing, f"generated files not committed: {sorted(missing)}"
    different = [f for f in sorted(generated) if (DEMO / f).read_bytes() != (tmp_path / f).read_bytes()]
    assert different == [], f"committed demo files differ from the generator's output: {different}"
    assert summary["small_areas"] == 350 and summary["localities"] == 23 and summary["districts"] == 5


def test_a_different_seed_gives_different_data(tmp_path):
    generate(tmp_path, seed=7)
    assert (tmp_path / "sources" / "demo-imd.csv").read_bytes() != (DEMO / "sources" / "demo-imd.csv").read_bytes()


def test_files_stay_within_the_size_budget():
    sizes = {f: (DEMO / f).stat().st_size for f in _files(DEMO)}
    assert all(s < 3_000_000 for s in sizes.values()), {f: s for f, s in sizes.items() if s >= 3_000_000}
    assert sum(sizes.values()) < 10_000_000
    assert sizes["boundaries/small_areas.geojson"] < 600_000


# ---- labelled synthetic everywhere ---------------------------------------------------------------
def test_everything_says_synthetic(config, indicators):
    assert config["synthetic"] is True
    assert config["title"] == "Demo County (synthetic)" == config["county"]["name"]
    assert config["county"]["code"] == "Z10000001" and config["england"]["code"] == ENGLAND
    assert "synthetic" in (DEMO / "README.md").read_text().lower()
    assert all(s["dataset"].startswith("demo-") and "synthetic" in s["title"] for s in config["sources"])
    assert indicators["dataset"].str.startswith("demo-").all()
    assert (_csv("localities.csv")["source"] == "synthetic").all()


def test_the_configuration_loads_and_its_localities_validate():
    from observatory.config import load_config
    from observatory.geo.areas import Geography, read_localities, validate_localities

    cfg = load_config(DEMO)
    assert cfg.synthetic and cfg.data_root == DEMO.resolve()
    geo = Geography(cfg)
    report = validate_localities(read_localities(cfg.localities_file), geo)
    assert report.ok, str(report)
    for s in cfg.sources:
        assert s.file.exists(), s.file


# ---- geography ---------------------------------------------------------------------------------
def test_small_areas_are_a_valid_coverage_of_about_350_polygons(small_areas):
    assert 330 <= len(small_areas) <= 370
    assert small_areas["code"].is_unique and small_areas["code"].str.fullmatch(r"Z01\d{6}").all()
    assert small_areas["name"].str.fullmatch(r".+ \d{3}[A-Z]").all()
    geoms = small_areas.geometry.values
    assert (small_areas.geom_type == "Polygon").all() and small_areas.is_valid.all()
    assert shapely.coverage_is_valid(geoms)  # neighbours share borders exactly: no gaps in shared edges, no overlaps
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon"  # one county, no holes between areas
    assert abs(union.area - shapely.area(geoms).sum()) < 1e-9 * union.area  # no overlaps
    minx, miny, maxx, maxy = small_areas.total_bounds
    assert 50.5 < miny < maxy < 54 and -3 < minx < maxx < 0  # somewhere plausible in England


def test_coordinates_have_at_most_five_decimals():
    text = (DEMO / "boundaries" / "small_areas.geojson").read_text()
    assert not re.search(r"\d\.\d{6,}", text)


def test_lookup_covers_every_small_area_and_wards_nest_in_districts(small_areas, lookup):
    import geopandas as gpd

    assert sorted(lookup["small_area_code"]) == sorted(small_areas["code"])
    assert set(lookup.columns) == {
        "small_area_code",
        "small_area_name",
        "ward_code",
        "ward_name",
        "district_code",
        "district_name",
    }
    assert lookup.groupby("ward_code")["district_code"].nunique().max() == 1
    assert lookup["district_code"].nunique() == 5
    wards = gpd.read_file(DEMO / "boundaries" / "wards.geojson")
    assert 80 <= len(wards) <= 120 and set(wards["code"]) == set(lookup["ward_code"])
    assert wards.is_valid.all() and shapely.coverage_is_valid(wards.geometry.values)
    areas = pd.Series(shapely.area(small_areas.geometry.values), index=small_areas["code"])
    for code, geom in zip(wards["code"], wards.geometry):
        members = lookup.loc[lookup["ward_code"] == code, "small_area_code"]
        assert abs(geom.area - areas[members].sum()) < 1e-9


def test_23_contiguous_localities_each_in_one_district(small_areas, lookup):
    loc = _csv("localities.csv")
    assert list(loc.columns) == [
        "locality_code",
        "locality_name",
        "district_code",
        "district_name",
        "area_type",
        "area_code",
        "area_name",
        "source",
    ]
    assert sorted(loc["area_code"]) == sorted(small_areas["code"])  # every small area exactly once
    assert (loc["area_type"] == "lsoa").all()
    assert loc["locality_code"].nunique() == 23 and loc["locality_name"].nunique() == 23
    assert sorted(loc["locality_code"].unique()) == [f"ZL{i:02d}" for i in range(1, 24)]
    actual = loc["area_code"].map(lookup.set_index("small_area_code")["district_code"])
    assert (actual == loc["district_code"]).all()
    per_district = loc.groupby("district_code")["locality_code"].nunique()
    assert sorted(per_district) == [3, 4, 5, 5, 6]
    areas = small_areas.set_index("code").geometry
    for code, g in loc.groupby("locality_code"):
        assert g["district_code"].nunique() == 1
        assert shapely.union_all(areas[g["area_code"]].values).geom_type == "Polygon", f"{code} is not contiguous"
    names = set(loc["locality_name"]) | set(loc["district_name"])
    assert not names & {"Warwick", "Rugby", "Nuneaton and Bedworth", "Stratford-on-Avon", "North Warwickshire"}


# ---- indicators and values ----------------------------------------------------------------------
def test_at_least_30_indicators_across_all_six_themes(indicators):
    assert list(indicators.columns) == [
        "id",
        "title",
        "theme",
        "unit",
        "value_type",
        "multiplier",
        "polarity",
        "dataset",
        "frequency",
        "definition",
        "aggregation",
    ]
    assert len(indicators) >= 30 and indicators["id"].is_unique
    assert set(indicators["theme"]) == {t.value for t in Theme}
    assert set(indicators["value_type"]) <= {v.value for v in ValueType}
    assert {"proportion", "crude_rate", "dsr", "count", "mean", "score"} <= set(indicators["value_type"])
    assert set(indicators["polarity"]) <= {p.value for p in Polarity}
    pct = indicators[indicators["value_type"] == "proportion"]
    assert (pct["multiplier"] == "100").all()
    weighted = indicators[indicators["value_type"].isin(["score", "mean"])]
    assert (weighted["aggregation"] == "population_weighted").all()
    pop = indicators.set_index("id").loc["population"]
    assert (pop["value_type"], pop["theme"], pop["polarity"]) == ("count", "stronger_communities", "no_judgement")


def test_every_indicator_has_data_and_every_row_a_known_indicator(indicators, values, imd, config):
    tidy_ids = set(values["indicator_id"])
    assert tidy_ids <= set(indicators["id"])
    deprivation = {s["dataset"] for s in config["sources"] if s["adapter"] == "deprivation"}
    assert set(indicators["id"]) - tidy_ids == set(indicators.loc[indicators["dataset"].isin(deprivation), "id"])
    assert list(imd.columns) == IMD_COLUMNS


def test_six_or_more_annual_periods(values):
    assert values["period_sort"].nunique() >= 6
    periods = values[values["area_code"] != ENGLAND].groupby("indicator_id")["period"].nunique()
    assert (periods >= 6).sum() >= 25
    fy = values.loc[values["period"].str.contains("/"), ["period", "period_sort"]].drop_duplicates()
    assert (fy["period_sort"] == fy["period"].str[:4].astype(int) * 10000).all()


def test_counts_are_whole_and_numerators_never_exceed_denominators(values, indicators):
    for c in ("numerator", "denominator"):
        x = values[c].dropna()
        assert (x == np.round(x)).all() and (x >= 0).all()
    both = values.dropna(subset=["numerator", "denominator"])
    assert (both["numerator"] <= both["denominator"]).all()
    counts = values[values["indicator_id"].isin(indicators.loc[indicators["value_type"] == "count", "id"])]
    assert (counts["value"] == np.round(counts["value"])).all()


def test_small_counts_make_disclosure_control_matter(values):
    small = values[(values["area_code"] != ENGLAND) & values["numerator"].between(1, 5)]
    assert small["indicator_id"].nunique() >= 5
    assert len(small) > 1000


def test_england_benchmarks_for_most_indicators(values):
    england = values[values["area_code"] == ENGLAND]
    assert england["indicator_id"].nunique() >= 20
    local = values[values["area_code"] != ENGLAND].groupby("indicator_id")["denominator"].max()
    national = england.groupby("indicator_id")["denominator"].min().dropna()
    assert (national > 100 * local[national.index]).all()  # national scale


def test_population_by_sex_and_esp_band(values):
    pop = values[values["indicator_id"] == "population"]
    assert set(pop["sex"]) == {"Male", "Female"} and set(pop["age"]) == set(ESP)
    per_area = pop.groupby(["area_code", "period"])["value"].agg(["sum", "size"])
    assert (per_area["size"] == 38).all()
    assert per_area["sum"].between(900, 3500).all()
    assert 1400 < per_area["sum"].mean() < 1900  # LSOA-sized


def test_dsr_inputs_by_esp_band_under_75(values):
    m = values[values["indicator_id"] == "u75_mortality"]
    assert set(m["age"]) == set(ESP[:15])
    assert (m.groupby(["area_code", "period"]).size() == 15).all()
    england = m[m["area_code"] == ENGLAND]
    weights = np.array([5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000])
    for _, g in england.groupby("period"):
        g = g.set_index("age").loc[ESP[:15]]
        dsr = (g["numerator"] / g["denominator"] * weights).sum() / weights.sum() * 1e5
        assert 250 < dsr < 450  # England's under-75 mortality per 100,000, give or take


def _latest_rate(values: pd.DataFrame, indicator: str) -> pd.Series:
    v = values[(values["indicator_id"] == indicator) & (values["area_code"] != ENGLAND)]
    v = v[v["period_sort"] == v["period_sort"].max()].set_index("area_code")
    return v["numerator"] / v["denominator"]


def test_deprivation_gradient(values, imd):
    score = imd.set_index("LSOA code (2021)")[IMD_SCORE]
    assert 2 < score.min() and score.max() < 95
    for indicator, sign in (
        ("children_low_income", 1),
        ("adult_smoking", 1),
        ("claimant_rate", 1),
        ("employment_rate", -1),
        ("gcse_good_pass", -1),
    ):
        rate = _latest_rate(values, indicator)
        rho = spearmanr(score.reindex(rate.index), rate).statistic
        assert sign * rho > 0.5, (indicator, rho)
    rate = _latest_rate(values, "children_low_income")
    assert spearmanr(score.reindex(rate.index), rate).statistic > 0.8


def test_gaps_between_localities(values):
    loc = _csv("localities.csv").set_index("area_code")["locality_code"]
    v = values[(values["indicator_id"] == "children_low_income") & (values["area_code"] != ENGLAND)]
    v = v[v["period_sort"] == v["period_sort"].max()]
    by_locality = v.groupby(v["area_code"].map(loc))[["numerator", "denominator"]].sum()
    rate = by_locality["numerator"] / by_locality["denominator"]
    assert rate.max() / rate.min() > 2


def test_imd_ranks_and_deciles_agree_with_scores(imd):
    rank = imd["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"]
    decile = imd["Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"]
    assert rank.is_unique and rank.between(1, 33755).all()
    assert (np.diff(rank.to_numpy()[np.argsort(-imd[IMD_SCORE].to_numpy(), kind="stable")]) > 0).all()
    assert (decile == np.ceil(rank / 3375.5)).all()
    assert imd["Income Score (rate)"].between(0, 1).all() and imd["Employment Score (rate)"].between(0, 1).all()
