"""The committed Warwickshire localities: coverage, districts, contiguity, populations, published definitions."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire"
CSV = REPO / "data" / "warwickshire" / "localities.csv"
SCRIPT = REPO / "data" / "warwickshire" / "derive_localities.py"

COLUMNS = [
    "locality_code",
    "locality_name",
    "district_code",
    "district_name",
    "area_type",
    "area_code",
    "area_name",
    "source",
]
EXPECTED_PER_DISTRICT = {"E07000218": 3, "E07000219": 5, "E07000220": 4, "E07000221": 5, "E07000222": 6}
PREFIX = {"E07000218": "NW", "E07000219": "NB", "E07000220": "RU", "E07000221": "SA", "E07000222": "WA"}
KENILWORTH_WARDS = {"E05007542", "E05007555", "E05007553"}  # Abbey, St John's, Park Hill
STONELEIGH_WARD = "E05007556"
KENILWORTH_STONELEIGH_LSOAS = {"E01031308"}
NW_WEST_WARDS = {"E05007473", "E05007468", "E05007464", "E05007469"}
PROFILE = "Warwickshire Observatory Locality Profile January 2011"
KENILWORTH_URL = "https://docslib.org/doc/897947/locality-profile-january-2011-locality-name-kenilworth-district-warwick-district"
NW_WEST_URL = "https://docslib.org/doc/9527918/locality-profile-january-2011-locality-name-north-warwickshire-west-district-north-warwickshire"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared Warwickshire data not found at {SHARED}")


def load_script():
    """Import data/warwickshire/derive_localities.py (a script, not a package module)."""
    name = "warwickshire_derive_localities"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def localities() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def boundaries() -> gpd.GeoDataFrame:
    return gpd.read_file(SHARED / "boundaries/lsoa11_bgc_warwickshire.geojson").to_crs(27700)


@pytest.fixture(scope="module")
def bestfit() -> pd.Series:
    frame = pd.read_csv(SHARED / "lookups/derived_lsoa11_to_wd13_bestfit.csv", dtype=str)
    return frame.set_index("LSOA11CD").WD13CD


def members(localities: pd.DataFrame, code: str) -> set[str]:
    return set(localities.loc[localities.locality_code == code, "area_code"])


def test_columns_and_area_type(localities):
    assert list(localities.columns) == COLUMNS
    assert set(localities.area_type) == {"lsoa"}


def test_23_localities_with_one_name_and_district_each(localities):
    per_code = localities.groupby("locality_code")[["locality_name", "district_code", "district_name"]].nunique()
    assert len(per_code) == 23
    assert (per_code == 1).all().all()
    assert localities.locality_name.nunique() == 23


def test_code_scheme_names_the_district(localities):
    for code, district in localities[["locality_code", "district_code"]].drop_duplicates().itertuples(index=False):
        assert re.fullmatch(r"(NW|NB|RU|SA|WA)-[A-Z]{3,4}", code), code
        assert code.startswith(PREFIX[district] + "-"), code


def test_localities_per_district(localities):
    counts = localities.groupby("district_code").locality_code.nunique().to_dict()
    assert counts == EXPECTED_PER_DISTRICT


@needs_shared
def test_every_lsoa_once_and_in_boundaries(localities, boundaries):
    assert len(localities) == 339
    assert localities.area_code.is_unique
    names = boundaries.set_index("LSOA11CD").LSOA11NM
    assert set(localities.area_code) == set(names.index)
    assert (localities.set_index("area_code").area_name == names.loc[localities.area_code]).all()


@needs_shared
def test_districts_match_ons_lookup(localities):
    ons = pd.read_csv(SHARED / "lookups/lsoa11_ccg21_lad21.csv", dtype=str).set_index("LSOA11CD")
    joined = localities.join(ons[["LAD21CD", "LAD21NM"]], on="area_code")
    assert (joined.district_code == joined.LAD21CD).all()
    assert (joined.district_name == joined.LAD21NM).all()


@needs_shared
def test_each_locality_is_one_piece(localities, boundaries):
    geoms = boundaries.set_index("LSOA11CD").geometry
    for code, group in localities.groupby("locality_code"):
        union = geoms.loc[group.area_code].buffer(5).union_all()
        assert union.geom_type == "Polygon", f"{code} is in {len(union.geoms)} pieces"


@needs_shared
def test_populations_in_range(localities):
    pop = pd.read_csv(SHARED / "lsoa11/population_mid2020_syoa_lsoa11.csv", usecols=["lsoa11_code", "total_population"])
    joined = localities.merge(pop, left_on="area_code", right_on="lsoa11_code", validate="1:1")
    assert joined.total_population.sum() == 583_786
    totals = joined.groupby("locality_code").total_population.sum()
    assert totals.between(12_000, 40_000).all(), totals[~totals.between(12_000, 40_000)]


@needs_shared
def test_kenilworth_is_the_published_wards(localities, bestfit):
    whole_wards = set(bestfit[bestfit.isin(KENILWORTH_WARDS)].index)
    assert members(localities, "WA-KEN") == whole_wards | KENILWORTH_STONELEIGH_LSOAS
    assert set(bestfit.loc[sorted(KENILWORTH_STONELEIGH_LSOAS)]) == {STONELEIGH_WARD}


@needs_shared
def test_north_warwickshire_west_is_the_published_wards(localities, bestfit):
    assert members(localities, "NW-WEST") == set(bestfit[bestfit.isin(NW_WEST_WARDS)].index)
    assert set(bestfit.loc[sorted(members(localities, "NW-WEST"))]) == NW_WEST_WARDS


def test_sources(localities):
    sources = localities.groupby("locality_code").source.agg(set).to_dict()
    assert sources.pop("WA-KEN") == {f"{PROFILE} (Kenilworth); {KENILWORTH_URL}"}
    assert sources.pop("NW-WEST") == {f"{PROFILE} (North Warwickshire West); {NW_WEST_URL}"}
    assert all(s == {"provisional"} for s in sources.values())


@needs_shared
def test_script_reproduces_committed_csv(localities):
    derived = load_script().derive(SHARED)
    pd.testing.assert_frame_equal(derived.astype(str), localities, check_dtype=False)


# The script's own guards, on small synthetic inputs.


@pytest.fixture
def script():
    return load_script()


@pytest.fixture
def tiny_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "LSOA11CD": ["L1", "L2", "L3"],
            "LSOA11NM": ["a", "b", "c"],
            "WD13CD": ["W1", "W1", "W2"],
            "WD13NM": ["One", "One", "Two"],
            "LAD21CD": ["E07000218"] * 3,
            "total_population": [1, 2, 3],
        }
    )


def test_assign_maps_wards_to_lsoas(script, tiny_frame):
    locs = (
        script.Locality("NW-AAA", "A", "E07000218", {"W1": "One"}),
        script.Locality("NW-BBB", "B", "E07000218", {"W2": "Two"}),
    )
    out = script.assign(tiny_frame, locs)
    assert dict(zip(out.LSOA11CD, out.locality_code)) == {"L1": "NW-AAA", "L2": "NW-AAA", "L3": "NW-BBB"}


def test_assign_rejects_unassigned_lsoa(script, tiny_frame):
    locs = (script.Locality("NW-AAA", "A", "E07000218", {"W1": "One"}),)
    with pytest.raises(ValueError, match=r"LSOAs in no locality: \['L3'\]"):
        script.assign(tiny_frame, locs)


def test_assign_rejects_ward_in_two_localities(script, tiny_frame):
    locs = (
        script.Locality("NW-AAA", "A", "E07000218", {"W1": "One", "W2": "Two"}),
        script.Locality("NW-BBB", "B", "E07000218", {"W2": "Two"}),
    )
    with pytest.raises(ValueError, match="ward W2 in both NW-AAA and NW-BBB"):
        script.assign(tiny_frame, locs)


def test_assign_rejects_lsoa_claimed_twice(script, tiny_frame):
    locs = (
        script.Locality("NW-AAA", "A", "E07000218", {"W2": "Two"}, partial_wards={"W1": ("One", ("L1",))}),
        script.Locality("NW-BBB", "B", "E07000218", {"W1": "One"}),
    )
    with pytest.raises(ValueError, match="LSOA L1 in both NW-AAA and NW-BBB"):
        script.assign(tiny_frame, locs)


def test_assign_rejects_misnamed_ward(script, tiny_frame):
    locs = (script.Locality("NW-AAA", "A", "E07000218", {"W1": "One", "W2": "Too"}),)
    with pytest.raises(ValueError, match="ward W2 is 'Two', table says 'Too'"):
        script.assign(tiny_frame, locs)


def test_assign_rejects_partial_lsoa_from_another_ward(script, tiny_frame):
    locs = (script.Locality("NW-AAA", "A", "E07000218", {"W2": "Two"}, partial_wards={"W1": ("One", ("L1", "L3"))}),)
    with pytest.raises(ValueError, match="LSOA L3 is not in ward W1"):
        script.assign(tiny_frame, locs)


def test_assign_rejects_locality_across_districts(script, tiny_frame):
    frame = tiny_frame.assign(LAD21CD=["E07000218", "E07000218", "E07000219"])
    locs = (script.Locality("NW-AAA", "A", "E07000218", {"W1": "One", "W2": "Two"}),)
    with pytest.raises(ValueError, match=r"outside their locality's district: \['L3'\]"):
        script.assign(frame, locs)


def test_assign_rejects_code_without_district_prefix(script, tiny_frame):
    locs = (script.Locality("WA-AAA", "A", "E07000218", {"W1": "One", "W2": "Two"}),)
    with pytest.raises(ValueError, match="WA-AAA does not start with its district prefix"):
        script.assign(tiny_frame, locs)


def test_largest_remainder_allocation(script):
    assert script.largest_remainder_allocation({"a": 5, "b": 3, "c": 2}, 4) == {"a": 2, "b": 1, "c": 1}
    # Warwickshire mid-2020: quotas 2.58, 5.14, 4.36, 5.22, 5.71 of 23.
    pops = {"E07000218": 65_452, "E07000219": 130_373, "E07000220": 110_650, "E07000221": 132_402, "E07000222": 144_909}
    assert script.largest_remainder_allocation(pops, 23) == EXPECTED_PER_DISTRICT


@pytest.mark.parametrize(("gap", "parts"), [(0.0, 1), (2.0, 1), (20.0, 2)])
def test_connected_parts_tolerance(script, gap, parts):
    squares = gpd.GeoSeries([box(0, 0, 100, 100), box(100 + gap, 0, 200 + gap, 100)], crs=27700)
    assert script.connected_parts(squares, tolerance=5.0) == parts
