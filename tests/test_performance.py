"""Forecasts, the three exception rules, governance levels, quarter-on-quarter changes and spend against need."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from observatory.performance import exceptions as perf

FY = [f"{y}/{(y + 1) % 100:02d}" for y in range(2019, 2025)]


def series(
    indicator: str,
    area: str,
    values,
    *,
    area_type: str = "locality",
    half_width=None,
    county=None,
    polarity: str = "low_is_good",
    vs_county: str = "similar",
    vs_england: str = "similar",
    trend: str = "no significant change",
    district: str = "D1",
    theme: str = "safer_communities",
    england=None,
    value_type: str = "score",
) -> pd.DataFrame:
    """A profile-like series over financial years 2019/20 onwards."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    hw = np.full(n, np.nan) if half_width is None else np.broadcast_to(np.asarray(half_width, dtype=float), (n,))
    county = np.full(n, np.nan) if county is None else np.broadcast_to(np.asarray(county, dtype=float), (n,))
    england = np.full(n, np.nan) if england is None else np.broadcast_to(np.asarray(england, dtype=float), (n,))
    return pd.DataFrame(
        {
            "indicator_id": indicator,
            "title": f"Indicator {indicator}",
            "theme": theme,
            "unit": "%",
            "polarity": polarity,
            "value_type": value_type,
            "multiplier": 1.0,
            "dataset": "d",
            "area_code": area,
            "area_name": f"Area {area}",
            "area_type": area_type,
            "district_code": area if area_type == "district" else ("" if area_type == "county" else district),
            "period": FY[:n],
            "period_sort": [int(p[:4]) * 10000 for p in FY[:n]],
            "value": values,
            "lower95": values - hw,
            "upper95": values + hw,
            "county_value": county,
            "england_value": england,
            "vs_county": vs_county,
            "vs_england": vs_england,
            "trend_judgement": trend,
            "gap_to_county": values - county,
        }
    )


def targets(*rows) -> pd.DataFrame:
    cols = [
        "indicator_id",
        "area_code",
        "area_type",
        "target_value",
        "target_period",
        "target_period_sort",
        "direction",
        "theme_group",
        "owner",
        "note",
    ]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


# ---------------------------------------------------------------- forecasts


def _independent(t, y, w, t0, w0, level=0.95):
    """WLS by numpy's least squares on sqrt-weighted rows; the prediction interval from textbook formulas."""
    X = np.c_[np.ones_like(t), t]
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    resid = y - X @ beta
    s2 = (w * resid**2).sum() / (len(y) - 2)
    cov = s2 * np.linalg.inv((X * w[:, None]).T @ X)
    x0 = np.array([1.0, t0])
    pred = x0 @ beta
    half = sps.t.ppf((1 + level) / 2, len(y) - 2) * np.sqrt(x0 @ cov @ x0 + s2 / w0)
    return pred, pred - half, pred + half, beta[1]


def test_forecast_matches_an_independent_weighted_least_squares():
    y = np.array([30.0, 27.5, 29.0, 25.0, 24.2, 22.9])  # six periods: the last five are used
    hw = np.array([2.0, 1.5, 3.0, 1.0, 2.5, 1.8])
    s = pd.concat([series("a", "L1", y, half_width=hw), series("b", "L1", y[:5] * 2)])  # b has no limits: OLS
    at = pd.DataFrame({"indicator_id": ["a", "b"], "area_code": "L1", "target_period_sort": [20270000, 20260000]})
    got = perf.forecast(s, at).set_index("indicator_id")

    t = np.arange(2020, 2025, dtype=float)
    w = 1 / ((2 * hw[1:]) / 3.92) ** 2
    pred, lo, hi, slope = _independent(t, y[1:], w, 2027.0, w[-1])
    a = got.loc["a"]
    assert a["method"] == "weighted least squares" and a["n_points"] == 5 and a["first_period"] == "2020/21"
    np.testing.assert_allclose(
        [a["forecast"], a["forecast_lower"], a["forecast_upper"], a["slope"]], [pred, lo, hi, slope], rtol=1e-9
    )

    t = np.arange(2019, 2024, dtype=float)
    pred, lo, hi, slope = _independent(t, y[:5] * 2, np.ones(5), 2026.0, 1.0)
    b = got.loc["b"]
    assert b["method"] == "ordinary least squares"
    np.testing.assert_allclose(
        [b["forecast"], b["forecast_lower"], b["forecast_upper"], b["slope"]], [pred, lo, hi, slope], rtol=1e-9
    )


def test_forecast_needs_four_points_before_the_target():
    s = series("a", "L1", [10, 11, 12, 13, 14, 15], half_width=1)
    at = pd.DataFrame({"indicator_id": ["a", "a", "zz"], "area_code": "L1", "target_period_sort": [20230000, 20220000, 20260000]})
    got = perf.forecast(s, at)
    assert got.loc[0, "n_points"] == 4 and np.isfinite(got.loc[0, "forecast"])  # 2019..2022 only
    assert got.loc[1, "n_points"] == 3 and np.isnan(got.loc[1, "forecast"])
    assert got.loc[1, "note"].startswith("not enough data") and got.loc[2, "note"].startswith("not enough data")


def test_periods_become_years_with_quarters_read_as_quarters():
    got = perf.period_years([20190000, 20240700, 20240300, 20240300], ["2019/20", "Jul 2024", "2024 Q3", "Mar 2024"])
    np.testing.assert_allclose(got, [2019.0, 2024.5, 2024.5, 2024 + 2 / 12])


def test_targets_are_classified_by_where_the_interval_lies():
    noise = np.array([0.3, -0.3, 0.2, -0.2, 0.1, -0.1])
    falling = series("a", "L1", 30 - 2 * np.arange(6) + noise, half_width=1.0)  # about 20 in 2024/25, 16 in 2026/27
    rising = series("h", "L1", 50 + np.arange(6) + noise, half_width=1.0, polarity="high_is_good")
    s = pd.concat([falling, rising])
    t = targets(
        ("a", "L1", "locality", 19.0, "2026/27", 20260000, "decrease", "", "owner", ""),  # easily met
        ("a", "L1", "locality", 16.0, "2026/27", 20260000, "decrease", "", "owner", ""),  # on the line
        ("a", "L1", "locality", 10.0, "2026/27", 20260000, "decrease", "", "owner", ""),  # far below
        ("h", "L1", "locality", 50.0, "2026/27", 20260000, "maintain", "", "owner", ""),  # at least (polarity)
        ("h", "L1", "locality", 55.0, "2023/24", 20230000, "increase", "", "owner", ""),  # observed 54.1: missed
        ("a", "L1", "locality", 25.0, "2022/23", 20220000, "decrease", "", "owner", ""),
    )  # observed 23.8: met
    got = perf.assess_targets(t, s)
    assert got["status"].astype(str).tolist() == ["on track", "at risk", "off track", "on track", "missed", "met"]
    assert got["bound"].tolist() == ["at most"] * 3 + ["at least"] * 2 + ["at most"]
    np.testing.assert_allclose(got.loc[3, "forecast"], 57.0, atol=0.5)


# ---------------------------------------------------------------- exception rules


def test_off_track_lists_only_targets_that_miss():
    s = pd.concat(
        [
            series("a", "L1", [30, 28.2, 26.1, 24, 21.8, 20.1], half_width=0.8),
            series("a", "L2", [30, 28.2, 26.1, 24, 21.8, 20.1], half_width=0.8),
        ]
    )
    t = targets(
        ("a", "L1", "locality", 10.0, "2026/27", 20260000, "decrease", "stronger_communities", "Ms Lead", ""),
        ("a", "L2", "locality", 25.0, "2026/27", 20260000, "decrease", "stronger_communities", "Ms Lead", ""),
    )
    e = perf.off_track(perf.assess_targets(t, s))
    assert e["area_code"].tolist() == ["L1"]
    row = e.iloc[0]
    assert row["rule"] == "off_track" and row["theme_group"] == "stronger_communities" and row["owner"] == "Ms Lead"
    assert "target of at most 10.0% for 2026/27" in row["why"] and "latest 20.1% in 2024/25" in row["why"]


def test_red_red_needs_both_worse_and_worsening():
    rows = pd.concat(
        [
            series("a", "L1", [5, 6, 7, 8, 9, 10], half_width=0.5, county=6, vs_county="worse", trend="worsening"),
            series("a", "L2", [5, 6, 7, 8, 9, 10], half_width=0.5, county=6, vs_county="worse", trend="no significant change"),
            series("a", "L3", [5, 6, 7, 8, 9, 10], half_width=0.5, county=6, vs_county="similar", trend="worsening"),
            series(
                "a",
                "C",
                [5, 6, 7, 8, 9, 10],
                area_type="county",
                half_width=0.2,
                england=6,
                vs_county="not compared",
                vs_england="worse",
                trend="worsening",
            ),
            series("a", "E", [5, 6, 7, 8, 9, 10], area_type="england", vs_county="worse", trend="worsening"),
            series(
                "n",
                "L1",
                [5, 6, 7, 8, 9, 10],
                half_width=0.5,
                county=60,
                vs_county="worse",
                trend="worsening",
                value_type="count",
            ),  # a count is not comparable with the county's
        ]
    )
    e = perf.red_red(rows, county_name="Mini County")
    assert sorted(e["area_code"]) == ["C", "L1"]
    by = e.set_index("area_code")
    assert by.loc["C", "benchmark"] == "England" and by.loc["L1", "benchmark"] == "Mini County"
    assert "10.0% in 2024/25 (95% CI 9.5% to 10.5%) is significantly worse than Mini County (6.0%)" in by.loc["L1", "why"]


def test_gap_widening_on_the_worse_side_only():
    county = np.full(6, 20.0)
    rows = pd.concat(
        [
            series("a", "L1", [21, 22, 23.1, 24, 25.2, 26], half_width=0.4, county=county),  # low is good: worse, widening
            series("a", "L2", [19, 18, 16.9, 16, 14.8, 14], half_width=0.4, county=county),  # better and pulling away
            series("a", "L3", [21, 20.6, 21.3, 20.8, 21.1, 20.9], half_width=0.4, county=county),  # steady gap
            series("a", "L4", [21, 22, 23.1, 24, 25.2, 26], half_width=6.0, county=county),  # too imprecise to tell
            series("h", "L5", [19, 18, 16.9, 16, 14.8, 14], county=county, polarity="high_is_good"),  # no limits: OLS
        ]
    )
    e = perf.gap_widening(rows, county_name="Mini County")
    assert sorted(e["area_code"]) == ["L1", "L5"]
    l1 = e.set_index("area_code").loc["L1"]
    assert "went from +2.0 in 2020/21 to +6.0 in 2024/25" in l1["why"] and "weighted least squares" in l1["why"]
    assert "ordinary least squares" in e.set_index("area_code").loc["L5", "why"]


def _quarter(worsening: bool, l2_worse: bool) -> pd.DataFrame:
    steady = [9.8, 10.2, 9.9, 10.1, 10.0, 10.0]  # a steady gap: only the red-red rule can fire
    return pd.concat(
        [
            series(
                "a",
                "L1",
                steady,
                half_width=0.5,
                county=6,
                vs_county="worse",
                trend="worsening" if worsening else "no significant change",
            ),
            series(
                "a",
                "L2",
                steady,
                half_width=0.5,
                county=6,
                vs_county="worse" if l2_worse else "similar",
                trend="worsening",
                district="D2",
            ),
            series("a", "C", [6] * 6, area_type="county", half_width=0.1, county=6, vs_county="not compared"),
        ]
    )


def test_a_resolved_exception_moves_to_resolved_across_two_quarters(tmp_path):
    q1 = perf.for_level(perf.find_exceptions(_quarter(worsening=True, l2_worse=False)), "board")
    folder = tmp_path / "pack-2025Q2" / "downloads"
    perf.write_exceptions(q1, folder, "board")
    previous = perf.read_exceptions(perf.find_previous(tmp_path / "pack-2025Q2", "board"))
    q2 = perf.for_level(perf.find_exceptions(_quarter(worsening=False, l2_worse=True)), "board")
    new, resolved, still = perf.diff_exceptions(q2, previous)
    assert resolved["area_code"].tolist() == ["L1"] and resolved["rule"].tolist() == ["red_red"]
    assert new["area_code"].tolist() == ["L2"] and still.empty
    q3 = q2.copy()
    new, resolved, still = perf.diff_exceptions(q3, q2)
    assert new.empty and resolved.empty and still["area_code"].tolist() == ["L2"]
    new, resolved, still = perf.diff_exceptions(q2, None)
    assert len(new) == 1 and resolved.empty


def test_levels_select_their_own_exceptions():
    rows = pd.concat(
        [
            series("a", "L1", [5, 6, 7, 8, 9, 10], half_width=0.5, county=6, vs_county="worse", trend="worsening"),
            series(
                "b",
                "L2",
                [5, 6, 7, 8, 9, 10],
                half_width=0.5,
                county=6,
                vs_county="worse",
                trend="worsening",
                district="D2",
                theme="children_young_people",
            ),
            series(
                "b",
                "D2",
                [5, 6, 7, 8, 9, 10],
                area_type="district",
                half_width=0.5,
                county=6,
                vs_county="worse",
                trend="worsening",
                theme="children_young_people",
            ),
        ]
    )
    e = perf.find_exceptions(rows)
    assert set(perf.for_level(e, "board")["area_code"]) == {"L1", "L2", "D2"}
    assert set(perf.for_level(e, "theme:children_young_people")["area_code"]) == {"L2", "D2"}
    assert set(perf.for_level(e, "district:D2")["area_code"]) == {"L2", "D2"}
    assert (perf.for_level(e, "district:D2")["level"] == "district:D2").all()
    with pytest.raises(ValueError):
        perf.parse_level("theme:not_a_theme")


def test_spend_against_need_flags_underfunded_areas():
    need = pd.DataFrame(
        {
            "area_code": ["A", "B", "C"],
            "area_name": ["A", "B", "C"],
            "district_code": ["D1", "D1", "D2"],
            "population": [1000.0, 1000.0, 2000.0],
            "score": [40.0, 10.0, 15.0],
        }
    )
    need["need"] = need["population"] * need["score"]
    need["need_share"] = need["need"] / need["need"].sum()  # 0.5, 0.125, 0.375
    alloc = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "A"],
            "area_type": "locality",
            "period": ["2025/26", "2025/26", "2025/26", "2024/25"],
            "amount": [400.0, 200.0, 400.0, 9e9],
            "fund": "ABG",
            "period_sort": [20250000, 20250000, 20250000, 20240000],
        }
    )
    s = perf.spend_against_need(alloc, need).set_index("area_code")
    np.testing.assert_allclose(s["funding_share"], [0.4, 0.2, 0.4])
    assert s["under_funded"].tolist() == [True, False, False]  # 0.4 < 0.9 × 0.5; C: 0.4 ≥ 0.9 × 0.375
    d = perf.spend_against_need(
        alloc,
        need.groupby("district_code", as_index=False)
        .agg(need_share=("need_share", "sum"))
        .rename(columns={"district_code": "area_code"}),
        area_type="district",
        localities=need,
    )
    np.testing.assert_allclose(d.set_index("area_code")["funding_share"], [0.6, 0.4])
