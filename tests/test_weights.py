"""Population weights per dataset and split LSOAs, against the publishers' own aggregates.

References, none computed by the workbench: the IoD2019 MSOA scores aggregated with the IoD's File 6
denominators (humaniverse/IMD, ``msoa/iod2019_popweighted_scores_msoa11.csv``), MHCLG's IoD2025 File 10
district summaries (``district/iod2025_district_summaries_lad24.csv``) and ONS's LSOA 2011 → 2021 lookup.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SHARED

from observatory.config import load_config
from observatory.geo.areas import Geography
from observatory.ingest.pipeline import prepare
from observatory.metadata.indicators import read_indicators
from observatory.profiles.aggregate import aggregate
from observatory.profiles.weights import Weighting, small_area_weights, split_shares_indicator, weightings

pytestmark = [pytest.mark.warwickshire, pytest.mark.skipif(not SHARED.is_dir(), reason="the Warwickshire bundle is not present")]
CONFIG = ROOT / "data" / "warwickshire"
RUGBY = "E07000220"


@pytest.fixture(scope="module")
def warwickshire():
    cfg = load_config(CONFIG)
    geo, inds = Geography(cfg), read_indicators(cfg.indicators_file)
    checked = prepare(cfg.sources, geo, inds)
    assert checked.report.ok, str(checked.report)
    return cfg, geo, inds, checked.frame


@pytest.fixture(scope="module")
def msoa_localities(tmp_path_factory, warwickshire):
    """The Warwickshire configuration with each MSOA 2011 as a locality (so locality = MSOA aggregation)."""
    folder = tmp_path_factory.mktemp("msoa")
    raw = yaml.safe_load((CONFIG / "config.yaml").read_text())
    raw["data_root"] = str(SHARED)
    raw["geography"]["localities"] = "localities.csv"
    for name in ("indicators", "sources"):
        raw[name] = str(CONFIG / raw[name])
    (folder / "config.yaml").write_text(yaml.safe_dump(raw))
    lk = pd.read_csv(SHARED / "lookups" / "lsoa11_msoa11.csv")
    district = pd.read_csv(SHARED / "lookups" / "lsoa11_ccg21_lad21.csv").set_index("LSOA11CD")
    pd.DataFrame(
        {
            "locality_code": lk["msoa11_code"],
            "locality_name": lk["msoa11_name"],
            "district_code": lk["lsoa11_code"].map(district["LAD21CD"]),
            "district_name": lk["lsoa11_code"].map(district["LAD21NM"]),
            "area_type": "lsoa",
            "area_code": lk["lsoa11_code"],
            "area_name": lk["lsoa11_name"],
            "source": "ONS LSOA11 to MSOA11",
        }
    ).to_csv(folder / "localities.csv", index=False)
    cfg = load_config(folder)
    return cfg, Geography(cfg)


def _level(out, indicator, level, period):
    return out[(out.indicator_id == indicator) & (out.area_type == level) & (out.period == period)].set_index("area_code")


def test_iod2019_msoa_scores_reproduce_the_published_aggregation(warwickshire, msoa_localities):
    _cfg, _geo, inds, values = warwickshire
    cfg, geo = msoa_localities
    by_dataset, _default = weightings(cfg, inds)
    out = aggregate(values, geo, inds, levels=("locality",), weights=by_dataset, split_shares=split_shares_indicator(cfg))
    published = pd.read_csv(SHARED / "msoa" / "iod2019_popweighted_scores_msoa11.csv").set_index("msoa11_code")
    for ours, theirs in (("imd_score", "Score"), ("income_score", "Income_Score")):
        got = _level(out, ours, "locality", "2019")["value"]
        assert len(got) == 66
        assert got.to_numpy() == pytest.approx(published.loc[got.index, theirs].to_numpy(), rel=0, abs=1e-12), ours
    # employment is weighted by File 6's working-age column, as MHCLG's summaries do (humaniverse weights every
    # domain by the total population, so its Employment_Score is not the reference here): computed by hand
    file6 = pd.read_csv(SHARED / "lsoa11" / "iod2019_file6_population_denominators_mid2015_lsoa11.csv", thousands=",").set_index(
        "LSOA code (2011)"
    )
    working = file6["Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)"]
    scores = pd.read_csv(SHARED / "lsoa11" / "iod2019_imd_income_employment_scores_lsoa11.csv").set_index("lsoa")
    msoa = pd.read_csv(SHARED / "lookups" / "lsoa11_msoa11.csv").set_index("lsoa11_code")["msoa11_code"]
    expected = (scores["employment_score"] / 100 * working).groupby(msoa).sum() / working.groupby(msoa).sum()
    got = _level(out, "employment_score", "locality", "2019")
    assert got["value"].to_numpy() == pytest.approx(expected[got.index].to_numpy(), rel=1e-12)
    assert got["method"].iloc[0] == "population-weighted mean (IoD2019 mid-2015 denominators, aged 18-59/64)"
    # the mid-2020 estimates (the configuration's population) miss the published figures by up to ~0.6
    mid2020 = _level(aggregate(values, geo, inds, levels=("locality",)), "imd_score", "locality", "2019")["value"]
    worst = (mid2020 - published.loc[mid2020.index, "Score"]).abs().max()
    assert 0.3 < worst < 1.0


def test_district_imd2025_scores_against_mhclg_file10(warwickshire):
    cfg, geo, inds, values = warwickshire
    by_dataset, _default = weightings(cfg, inds)
    out = aggregate(values, geo, inds, levels=("district",), weights=by_dataset, split_shares=split_shares_indicator(cfg))
    file10 = pd.read_csv(SHARED / "district" / "iod2025_district_summaries_lad24.csv").set_index("ltla24_code")
    got = _level(out, "imd_score", "district", "2025")
    off = (got["value"] - file10.loc[got.index, "imd_average_score"]).abs()
    # File 10 weights by the IoD2025 mid-2022 denominators (not in the bundle); Census 2021 residents come within 0.15
    assert len(got) == 5 and off.max() < 0.15
    assert set(got["method"]) == {"population-weighted mean (Census 2021 usual residents)"}


def test_split_lsoas_share_their_parent_population(warwickshire):
    cfg, geo, _inds, values = warwickshire
    lookup = pd.read_csv(SHARED / "lookups" / "lsoa11_lsoa21_lad22.csv")
    splits = lookup[lookup["change_code"] == "S"]
    assert splits["lsoa11_code"].nunique() == 11 and len(splits) == 26
    parent = pd.read_csv(SHARED / "lsoa11" / "population_mid2020_syoa_lsoa11.csv").set_index("lsoa11_code")["total_population"]
    census = pd.read_csv(SHARED / "lsoa21" / "census2021_ethnicity_lsoa21.csv").drop_duplicates("lsoa21_code")
    census = census.set_index("lsoa21_code")["total_residents"]

    equal = small_area_weights(values, geo, "population").set_index(["vintage", "area_code"])
    shared = small_area_weights(values, geo, "population", shares_indicator="population_census2021")
    shared = shared.set_index(["vintage", "area_code"])
    for old, group in splits.groupby("lsoa11_code"):
        kids = [("2021", c) for c in group["lsoa21_code"]]
        assert equal.loc[kids, "weight"].to_numpy() == pytest.approx([parent[old] / len(kids)] * len(kids))
        expected = parent[old] * census[group["lsoa21_code"]] / census[group["lsoa21_code"]].sum()
        assert shared.loc[kids, "weight"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
        assert set(shared.loc[kids, "rule"]) == {"split: shared by population_census2021"}
    unchanged = lookup[lookup["change_code"] == "U"].iloc[0]
    assert shared.loc[("2021", unchanged["lsoa21_code"]), "weight"] == parent[unchanged["lsoa11_code"]]


def test_rugby_imd2025_moves_when_splits_are_apportioned(warwickshire):
    """Weighted by the mid-2020 LSOA 2011 estimates: each split area used to weigh its parent's whole population."""
    _cfg, geo, inds, values = warwickshire
    pop = pd.read_csv(SHARED / "lsoa11" / "population_mid2020_syoa_lsoa11.csv").set_index("lsoa11_code")["total_population"]
    imd = pd.read_csv(SHARED / "lsoa21" / "iod2025_domains_scores_ranks_deciles_lsoa21.csv").set_index("lsoa21_code")["IMD_score"]
    lookup = pd.read_csv(SHARED / "lookups" / "lsoa11_lsoa21_lad22.csv").set_index("lsoa21_code")
    census = pd.read_csv(SHARED / "lsoa21" / "census2021_ethnicity_lsoa21.csv").drop_duplicates("lsoa21_code")
    census = census.set_index("lsoa21_code")["total_residents"]
    rugby = lookup[lookup["ltla22_code"] == RUGBY]
    parent = rugby["lsoa11_code"]
    whole = parent.map(pop)
    share = census[rugby.index] / census[rugby.index].groupby(parent).transform("sum")
    apportioned = whole * share
    old = (imd[rugby.index] * whole).sum() / whole.sum()
    new = (imd[rugby.index] * apportioned).sum() / apportioned.sum()

    out = aggregate(values, geo, inds, levels=("district",), split_shares="population_census2021")
    got = _level(out, "imd_score", "district", "2025").loc[RUGBY]
    assert got["value"] == pytest.approx(new, rel=1e-12)
    assert abs(new - old) > 0.5  # the old rule was off by about 0.7 points in Rugby
    assert got["method"] == (
        "population-weighted mean (Resident population); split areas: parent's population shared by population_census2021"
    )


def test_weightings_configured_own_denominators_then_default(warwickshire):
    cfg, _geo, inds, _values = warwickshire
    by_dataset, default = weightings(cfg, inds)
    assert default == Weighting("population", "Resident population")
    assert by_dataset["mhclg-iod2019"].indicator == "population_iod2019"
    assert by_dataset["mhclg-iod2019"].age("idaci_score") == "0-15" and by_dataset["mhclg-iod2019"].age("imd_score") == "All ages"
    assert by_dataset["mhclg-iod2025"].indicator == "population_census2021"
    raw = dict(cfg.raw, population={"source": "population_mid2020", "indicator": "population"})
    bare = dataclasses.replace(cfg, raw=raw)
    own, _ = weightings(bare, inds)  # no weights configured: File 6 found as the dataset's own population source
    assert own["mhclg-iod2019"].indicator == "population_iod2019"
    assert own["mhclg-iod2019"].label.endswith("the dataset's own denominators")
    assert "mhclg-iod2025" not in own
