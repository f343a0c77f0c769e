"""IoD local summary measures: a hand-computed example, and MHCLG's published IoD2025 district summaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatory.stats.iod import iod_summary

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
ENGLAND = SHARED / "england"
FILE10 = SHARED / "warwickshire" / "district" / "iod2025_district_summaries_lad24.csv"


def test_worked_example_typed_in_from_the_definitions():
    # N = 100 LSOAs nationally. A: ranks 5, 20, 50, 90; C: the 10% line falls inside its second LSOA.
    f = pd.DataFrame(
        {
            "area": ["A"] * 4 + ["C"] * 3 + ["D"],
            "score": [40, 30, 20, 10, 9, 8, 7, 5],
            "rank": [5, 20, 50, 90, 1, 2, 3, 60],
            "population": [100, 200, 300, 400, 10, 90, 900, np.nan],
        }
    )
    out = iod_summary(f, "area", n_national=100).set_index("area")
    a, c, d = out.loc["A"], out.loc["C"], out.loc["D"]
    assert a["average_score"] == pytest.approx(20.0)
    assert a["average_rank"] == pytest.approx(45.5)  # reversed ranks 96, 81, 51, 11
    assert a["proportion_most_deprived_10"] == 0.25
    assert a["extent"] == pytest.approx(0.2)  # 100 × 1 + 200 × 0.5 (rank 20 = halfway down the slide)
    assert a["local_concentration"] == pytest.approx(96.0)
    assert c["average_rank"] == pytest.approx(98.11)
    assert c["extent"] == 1.0
    assert c["local_concentration"] == pytest.approx((10 * 100 + 90 * 99) / 100)  # 99.1
    assert np.isnan(d["average_score"]) and np.isnan(d["extent"]) and "lack a score, rank or population" in d["note"]
    assert d["proportion_most_deprived_10"] == 0.0  # a count: needs no population
    assert a["note"] == "" and a["n_lsoas"] == 4


@pytest.fixture(scope="module")
def england_imd() -> pd.DataFrame:
    lk = pd.read_csv(ENGLAND / "lsoa21_msoa21_lad24_utla24_rgn24_england.csv", usecols=["LSOA21CD", "LAD24CD"])
    s = pd.read_csv(
        ENGLAND / "iod2025_scores_ranks_deciles_lsoa21_england.csv",
        usecols=["lsoa21_code", "IMD_score", "IMD_rank", "Income_score"],
    )
    u = pd.read_csv(
        ENGLAND / "iod2025_underlying_indicators_lsoa21_england.csv", usecols=["lsoa21_code", "income_domain_numerator"]
    )
    d = lk.merge(s, left_on="LSOA21CD", right_on="lsoa21_code").merge(u, on="lsoa21_code")
    d["population"] = d["income_domain_numerator"] / d["Income_score"]  # approximate income-domain population
    return d


def test_matches_published_iod2025_district_summaries(england_imd):
    """File 10 values for Warwickshire's five districts. The population is approximate (see module docstring),
    so the tolerances are the approximation's, stated here; the count-based proportion must match exactly."""
    pub = pd.read_csv(FILE10).set_index("ltla24_code")
    out = iod_summary(england_imd, "LAD24CD", score="IMD_score", rank="IMD_rank", n_national=33755).set_index("LAD24CD")
    got = out.loc[pub.index]
    assert (
        got["proportion_most_deprived_10"].round(4).tolist()
        == pub["imd_proportion_of_lso_as_in_most_deprived_10_percent_nationally"].tolist()
    )
    np.testing.assert_allclose(got["average_score"], pub["imd_average_score"], rtol=0.01)
    np.testing.assert_allclose(got["average_rank"], pub["imd_average_rank"], rtol=0.01)
    np.testing.assert_allclose(got["extent"], pub["imd25_extent"], atol=0.002)
    np.testing.assert_allclose(got["local_concentration"], pub["imd25_local_concentration"], rtol=0.005)
    # the ordering MHCLG publish (rank of average score) is reproduced exactly among the five
    assert list(got["average_score"].rank()) == list(pub["imd_average_score"].rank())
