"""observatory.stats.gap: locality gaps from the county, spread between localities, SII by decile, gap trends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from observatory.stats import gap, methods


@pytest.fixture
def localities() -> pd.DataFrame:
    rows = []
    for indicator, values in {"smoking": [12.0, 20.0, 15.0, 20.0], "employment": [70.0, 80.0, 75.0, np.nan]}.items():
        for area, value in zip(["L1", "L2", "L3", "L4"], values):
            rows.append(
                {
                    "indicator_id": indicator,
                    "area_code": area,
                    "period": "2023",
                    "period_sort": 20230000,
                    "value": value,
                    "lower95": value - 1,
                    "upper95": value + 1,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def county() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator_id": ["smoking", "employment"],
            "area_code": "E10000031",
            "period": "2023",
            "period_sort": 20230000,
            "value": [16.0, 75.5],
            "lower95": [15.5, 75.0],
            "upper95": [16.5, 76.0],
        }
    )


POLARITY = {"smoking": "low_is_good", "employment": "high_is_good"}


def test_locality_gaps_against_the_county(localities, county):
    result = gap.locality_gaps(localities, county, POLARITY).set_index(["indicator_id", "area_code"])
    assert result.loc[("smoking", "L1"), "absolute_gap"] == pytest.approx(-4.0)
    assert result.loc[("smoking", "L1"), "relative_gap"] == pytest.approx(12 / 16)
    assert result.loc[("smoking", "L1"), "gap_direction"] == "better than county"
    assert result.loc[("smoking", "L2"), "gap_direction"] == "worse than county"
    assert result.loc[("employment", "L2"), "gap_direction"] == "better than county"
    assert result.loc[("employment", "L4"), "gap_direction"] == "not compared"
    assert result.loc[("smoking", "L3"), "comparison"] == "similar"
    assert result.loc[("smoking", "L2"), "comparison"] == "worse"
    neutral = gap.locality_gaps(localities, county, "no_judgement").set_index(["indicator_id", "area_code"])
    assert neutral.loc[("smoking", "L2"), "gap_direction"] == "higher than county"


def test_locality_gaps_refuses_two_county_areas_and_unknown_polarity(localities, county):
    with pytest.raises(ValueError, match="more than one area"):
        gap.locality_gaps(localities, pd.concat([county, county.assign(area_code="E10000032")]), POLARITY)
    with pytest.raises(ValueError, match="no polarity for indicators \\['employment'\\]"):
        gap.locality_gaps(localities, county, {"smoking": "low_is_good"})


def test_gap_summary_best_worst_range_and_ratio(localities):
    result = gap.gap_summary(localities, POLARITY).set_index("indicator_id")
    smoking = result.loc["smoking"]
    assert (smoking["best_area"], smoking["worst_area"]) == ("L1", "L2")  # L2 and L4 tie at 20: first code wins
    assert smoking["range"] == pytest.approx(8.0) and smoking["ratio"] == pytest.approx(20 / 12)
    assert smoking["n_areas"] == 4
    employment = result.loc["employment"]
    assert (employment["best_area"], employment["worst_area"]) == ("L2", "L1")
    assert employment["ratio"] == pytest.approx(70 / 80) and employment["n_areas"] == 3
    neutral = gap.gap_summary(localities, "no_judgement").set_index("indicator_id")
    assert pd.isna(neutral.loc["smoking", "best_area"])
    assert neutral.loc["smoking", "ratio"] == pytest.approx(20 / 12)


@pytest.fixture
def small_areas() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = []
    for period in ["2019", "2024"]:
        for lsoa in range(120):
            decile = lsoa % 10 + 1
            population = float(rng.integers(1200, 2200))
            rate = 0.30 - 0.015 * decile + rng.normal(0, 0.01)
            numerator = float(rng.binomial(int(population), rate))
            rows.append(
                {
                    "indicator_id": "smoking",
                    "period": period,
                    "lsoa": lsoa,
                    "decile": decile,
                    "population": population,
                    "numerator": numerator,
                    "denominator": population,
                    "value": numerator / population * 100,
                }
            )
    return pd.DataFrame(rows)


def test_sii_by_decile_from_counts_equals_sii_of_hand_aggregated_deciles(small_areas):
    result = gap.sii_by_decile(small_areas, value_type="proportion", multiplier=100, seed=1)
    by_hand = small_areas.groupby(["indicator_id", "period", "decile"], as_index=False)[["numerator", "denominator"]].sum()
    by_hand["value"] = by_hand["numerator"] / by_hand["denominator"]
    z = stats.norm.ppf(0.975)
    p, n = by_hand["value"], by_hand["denominator"]
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    by_hand["lower"], by_hand["upper"] = centre - half, centre + half
    expected = methods.sii(
        by_hand,
        "value",
        "denominator",
        "decile",
        ["indicator_id", "period"],
        lower_col="lower",
        upper_col="upper",
        value_type="proportion",
        multiplier=100,
        seed=1,
    )
    pd.testing.assert_frame_equal(result, expected, check_exact=False, rtol=1e-9)
    assert (result["value"] < 0).all()  # less deprived deciles smoke less


def test_sii_by_decile_from_values_uses_population_weighted_means(small_areas):
    result = gap.sii_by_decile(small_areas, seed=1)
    for period, rows in small_areas.groupby("period"):
        weighted = rows.groupby("decile").apply(lambda d: np.average(d["value"], weights=d["population"]), include_groups=False)
        population = rows.groupby("decile")["population"].sum()
        share = population / population.sum()
        rank = share.cumsum() - share / 2
        slope = np.polyfit(rank, weighted, 1, w=np.sqrt(share))[0]
        assert result.set_index("period").loc[period, "value"] == pytest.approx(slope, rel=1e-9)


def sii_series(values, half_widths, name="smoking") -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "indicator_id": name,
            "period_sort": np.arange(len(values)) + 2015,
            "value": values,
            "lower95": values - half_widths,
            "upper95": values + half_widths,
        }
    )


def test_gap_trend_narrowing_widening_and_flat():
    frame = pd.concat(
        [
            sii_series([-12, -10.5, -9, -7.6, -6], 0.5, "closing_negative"),
            sii_series([12, 10.5, 9, 7.6, 6], 0.5, "closing_positive"),
            sii_series([6, 7.6, 9, 10.5, 12], 0.5, "opening"),
            sii_series([8, 8.4, 7.7, 8.2, 7.9], 2.0, "flat"),
            sii_series([8, 7], 0.5, "short"),
        ]
    )
    result = gap.gap_trend(frame).set_index("indicator_id")["gap_trend"]
    assert result.to_dict() == {
        "closing_negative": "narrowing",
        "closing_positive": "narrowing",
        "opening": "widening",
        "flat": "no significant change",
        "short": "cannot be calculated",
    }


def test_gap_trend_weighted_statistic_is_the_wls_chi_squared():
    values, half = np.array([12, 10.5, 9.2, 7.6, 6.4]), np.array([1.0, 1.5, 0.8, 1.2, 2.0])
    result = gap.gap_trend(sii_series(values, half))
    t = np.arange(1, 6)
    weights = 1 / (2 * half / 3.92) ** 2
    fit = np.polyfit(t, values, 1, w=np.sqrt(weights), cov="unscaled")
    slope, variance = fit[0][0], fit[1][0, 0]
    assert result["slope"][0] == pytest.approx(slope, rel=1e-9)
    assert result["statistic"][0] == pytest.approx(slope**2 / variance, rel=1e-9)


def test_gap_trend_of_the_range_uses_ordinary_least_squares():
    summary = pd.DataFrame(
        {"indicator_id": "smoking", "period_sort": range(2015, 2021), "range": [11.0, 9.0, 8.02, 6.98, 6.01, 5.0]}
    )
    result = gap.gap_trend(summary, value_col="range", lower_col=None, upper_col=None)
    fit = stats.linregress(np.arange(1, 6), summary["range"].iloc[-5:])
    assert result["slope"][0] == pytest.approx(fit.slope)
    assert result["statistic"][0] == pytest.approx((fit.slope / fit.stderr) ** 2)
    assert (fit.slope / fit.stderr) ** 2 > stats.t.ppf(0.999, 3) ** 2
    assert result["gap_trend"][0] == "narrowing"
    noisy = summary.assign(range=[9.0, 8.1, 8.4, 7.2, 7.9, 6.9])
    assert gap.gap_trend(noisy, value_col="range", lower_col=None, upper_col=None)["gap_trend"][0] == "no significant change"
    assert result["method"][0] == "ordinary least squares"
