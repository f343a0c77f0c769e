"""Benchmarks computed from the national data: England from all LSOAs, a region from its LSOAs."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.national import england as E
from observatory.national.store import benchmark_rows, lsoa_table


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return benchmark_rows()


def test_england_and_region_benchmarks_are_computed_not_typed(rows):
    d = lsoa_table()
    eng = rows[(rows["area_type"] == "england")].set_index("indicator_id")["value"]
    w = d["population"]
    assert eng["imd_score"] == pytest.approx((d["IMD_score"] * w).sum() / w.sum())
    assert eng["imd_proportion_most_deprived_10"] == pytest.approx((d["IMD_rank"] <= 3375.5).mean())
    hh = pd.read_csv(E.england_dir() / E.HOUSEHOLD_DEPRIVATION)
    share = hh.loc[hh["households_number_deprivation_dimensions"] >= 2, "count"].sum() / hh["count"].sum() * 100
    assert eng["households_deprived_2plus"] == pytest.approx(share)
    wm = d[d["RGN24CD"] == "E12000005"]
    got = rows[(rows["area_code"] == "E12000005") & (rows["indicator_id"] == "imd_score")]["value"].iloc[0]
    assert got == pytest.approx((wm["IMD_score"] * wm["population"]).sum() / wm["population"].sum())
    assert set(rows["area_type"]) == {"locality", "district", "county", "region", "england"}
    assert rows.loc[rows["area_type"] != "locality", "value"].notna().all()
    # Rugby against MHCLG's published File 10 (approximate population): extent 0.0375, average score 14.059
    rugby = rows[rows["area_code"] == "E07000220"].set_index("indicator_id")["value"]
    assert rugby["imd_extent"] == pytest.approx(0.0375, abs=0.002) and rugby["imd_score"] == pytest.approx(14.059, rel=0.01)


@pytest.mark.parametrize("county", ["E10000011", "E08000011", "E09000001"])  # a county, a metropolitan and a London borough
def test_authority_aggregates_match_an_independent_computation(rows, county):
    d = lsoa_table()
    mine = d[d["UTLA24CD"] == county]
    at_county = rows[(rows["area_code"] == county) & (rows["area_type"] == "county")]  # a unitary is its own district too
    got = at_county.set_index("indicator_id")["value"]
    w = mine["population"]
    assert got["health_score"] == pytest.approx((mine["Health_score"] * w).sum() / w.sum(), rel=1e-12)
    assert got["imd_proportion_most_deprived_10"] == pytest.approx((mine["IMD_rank"] <= 0.1 * E.N_LSOAS).mean(), rel=1e-12)
    msoa = mine["MSOA21CD"].iloc[0]
    m = mine[mine["MSOA21CD"] == msoa]
    at_msoa = rows[(rows["area_code"] == msoa) & (rows["area_type"] == "locality")].set_index("indicator_id")
    assert at_msoa.loc["crime_score", "value"] == pytest.approx(
        (m["Crime_score"] * m["population"]).sum() / m["population"].sum()
    )
    assert "crime_extent" not in at_msoa.index and "imd_extent" in at_msoa.index  # summary measures: the IMD only
    # households deprived in 1+ dimensions, summed from the published LSOA counts, with Wilson score limits
    hh = pd.read_csv(E.england_dir() / E.HOUSEHOLD_DEPRIVATION)
    hh = hh[hh["lsoa21_code"].isin(mine["LSOA21CD"])]
    x = hh.loc[hh["households_number_deprivation_dimensions"] >= 1, "count"].sum()
    n = hh["count"].sum()
    z, p = 1.959963984540054, x / n
    centre, half = (p + z**2 / (2 * n)) / (1 + z**2 / n), z * (p * (1 - p) / n + z**2 / (4 * n**2)) ** 0.5 / (1 + z**2 / n)
    row = at_county[at_county["indicator_id"] == "households_deprived_1plus"].iloc[0]
    assert (row["numerator"], row["denominator"]) == (x, n)
    assert row["value"] == pytest.approx(100 * p)
    assert (row["lower95"], row["upper95"]) == pytest.approx((100 * (centre - half), 100 * (centre + half)))
