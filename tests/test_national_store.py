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
