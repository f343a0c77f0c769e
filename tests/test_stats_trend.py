"""observatory.stats.trend against Fingertips' published test cases and a literal, loop-by-loop transcription of
Fingertips' TrendMarkerCalculator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatory.stats.trend import recent_trend

CRITICAL = 9.54953570608324

# Fingertips' own unit-test data (TrendMarkerCalculatorTest): chi-squared 46.77 by WLS, 47.9 for proportions.
SET1 = pd.DataFrame(
    {
        "numerator": [1367, 1332, 1199, 1023, 994],
        "denominator": [44701, 44064, 42811, 41527, 40299],
        "value": [30.6, 30.2, 28, 24.6, 24.67],
        "lower95": [28.98, 28.63, 26.44, 23.15, 23.16],
        "upper95": [32.25, 31.9, 29.64, 26.19, 26.25],
        "period_sort": [2018, 2017, 2016, 2015, 2014],
    }
)
SET2 = pd.DataFrame(
    {
        "numerator": [209, 213, 213, 239, 210],
        "denominator": [1017, 1087, 1119, 1117, 1139],
        "value": [20.5506, 19.5952, 19.0349, 21.3966, 18.4372],
        "lower95": [18.1803, 17.3444, 16.8421, 19.0918, 16.2925],
        "upper95": [23.1427, 22.0602, 21.4394, 23.8975, 20.7941],
        "period_sort": [2014, 2015, 2016, 2017, 2018],
    }
)


def series(frame: pd.DataFrame, name: str, value_type: str, polarity: str = "low_is_good") -> pd.DataFrame:
    return frame.assign(indicator_id=name, value_type=value_type, polarity=polarity)


def fingertips_literal(points: list[dict], proportion: bool) -> tuple[float, bool, float]:
    """Transcription of TrendMarkerCalculator: returns chi2, significant, direction (+1/-1)."""
    points = sorted(points, key=lambda p: p["period_sort"])[-5:]
    slope_sum = 0
    if proportion:
        denom_sum = count_sum = count_year = denom_year = denom_year2 = 0.0
        logs = {}
        for counter, p in enumerate(points, start=1):
            logs[counter] = math.log(p["numerator"] / (p["denominator"] - p["numerator"]))
            denom_sum += p["denominator"]
            count_year += p["numerator"] * counter
            count_sum += p["numerator"]
            denom_year += p["denominator"] * counter
            denom_year2 += p["denominator"] * counter**2
        numerator = denom_sum * (denom_sum * count_year - count_sum * denom_year) ** 2
        chi2 = numerator / (count_sum * (denom_sum - count_sum) * (denom_sum * denom_year2 - denom_year**2))
        direction = 1.0 if denom_sum * count_year - count_sum * denom_year > 0 else -1.0
        sum_ti = {0: 15, 1: 14, 2: 13, 3: 12, 4: 11, 5: 10}
        n_sum_ti2 = {0: 275, 1: 216, 2: 204, 3: 184, 4: 156, 5: 120}
        for check in range(6):
            value_sum = sum(v for k, v in logs.items() if check == 0 or k != check)
            multiplied = sum(v * k for k, v in logs.items() if check == 0 or k != check)
            multiplied *= 5 if check == 0 else 4
            slope = (multiplied - value_sum * sum_ti[check]) / (n_sum_ti2[check] - sum_ti[check] ** 2)
            slope_sum += -1 if slope < 0 else 1
    else:
        values = {}
        for counter, p in enumerate(points, start=1):
            divisor = ((p["upper95"] - p["lower95"]) / 3.92) ** 2
            values[counter] = (
                1 / divisor,
                p["value"] * counter / divisor,
                counter / divisor,
                p["value"] / divisor,
                counter**2 / divisor,
            )
        chi2 = direction = 0.0
        for check in range(6):
            s = [sum(v[i] for k, v in values.items() if check == 0 or k != check) for i in range(5)]
            slope = (s[0] * s[1] - s[2] * s[3]) / (s[0] * s[4] - s[2] ** 2)
            slope_sum += -1 if slope < 0 else 1
            if check == 0:
                beta = math.sqrt(s[0] / (s[0] * s[4] - s[2] ** 2))
                chi2, direction = (slope / beta) ** 2, math.copysign(1, slope)
    return chi2, abs(slope_sum) == 6 and chi2 > CRITICAL, direction


def test_fingertips_published_cases():
    frame = pd.concat(
        [series(SET1, "wls_increasing", "dsr"), series(SET2, "wls_flat", "crude_rate"), series(SET1, "proportion", "proportion")]
    )
    result = recent_trend(frame, ["indicator_id"]).set_index("indicator_id")
    assert round(result.loc["wls_increasing", "statistic"], 2) == 46.77
    assert round(result.loc["proportion", "statistic"], 2) == 47.9
    assert result.loc["wls_increasing", "trend"] == "increasing"
    assert result.loc["proportion", "trend"] == "increasing"
    assert result.loc["wls_flat", "trend"] == "no significant change"
    assert result.loc["proportion", "method"] == "chi-squared test for trend"
    assert result.loc["wls_flat", "method"] == "weighted least squares"


def test_many_series_agree_with_the_literal_transcription():
    rng = np.random.default_rng(8)
    rows = []
    for g in range(300):
        proportion = g % 2 == 0
        base, drift = rng.uniform(0.05, 0.5), rng.normal(0, 0.02)
        for year in rng.permutation(np.arange(2012, 2012 + 7)):
            n = float(rng.integers(200, 5000))
            p = min(max(base + drift * (year - 2012), 0.01), 0.95)
            x = float(rng.binomial(int(n), p))
            value = x / n * 100
            half = rng.uniform(0.5, 3)
            rows.append(
                {
                    "indicator_id": f"i{g}",
                    "period_sort": int(year),
                    "numerator": x,
                    "denominator": n,
                    "value": value,
                    "lower95": value - half,
                    "upper95": value + half * rng.uniform(0.8, 1.2),
                    "value_type": "proportion" if proportion else "dsr",
                    "polarity": "high_is_good",
                }
            )
    frame = pd.DataFrame(rows)
    result = recent_trend(frame, ["indicator_id"]).set_index("indicator_id")
    outcomes = set()
    for name, group in frame.groupby("indicator_id"):
        proportion = group["value_type"].iloc[0] == "proportion"
        chi2, significant, direction = fingertips_literal(group.to_dict("records"), proportion)
        expected = ("increasing" if direction > 0 else "decreasing") if significant else "no significant change"
        assert result.loc[name, "statistic"] == pytest.approx(chi2, rel=1e-9)
        assert result.loc[name, "trend"] == expected
        outcomes.add(expected)
    assert outcomes == {"increasing", "decreasing", "no significant change"}


def test_fewer_than_five_usable_points_cannot_be_calculated():
    short = series(SET1.iloc[:4], "short", "dsr")
    gappy = series(SET1.assign(lower95=[28.98, np.nan, 26.44, 23.15, 23.16]), "gappy", "dsr")
    result = recent_trend(pd.concat([short, gappy]), ["indicator_id"]).set_index("indicator_id")
    assert (result["trend"] == "cannot be calculated").all()
    assert (result["trend_judgement"] == "cannot be calculated").all()
    assert result.loc["short", "n_points"] == 4 and result.loc["short", "note"] == "fewer than 5 points"
    assert np.isnan(result.loc["short", "statistic"])


def test_only_the_last_five_points_are_used():
    old_years = SET2.assign(
        period_sort=SET2["period_sort"] - 5,
        value=[90, 80, 70, 60, 50],
        lower95=[89, 79, 69, 59, 49],
        upper95=[91, 81, 71, 61, 51],
    )
    long = series(pd.concat([old_years, SET2]), "long", "dsr")
    result = recent_trend(long, ["indicator_id"])
    only_recent = recent_trend(series(SET2, "long", "dsr"), ["indicator_id"])
    assert result["statistic"][0] == pytest.approx(only_recent["statistic"][0])
    assert result["n_points"][0] == 5


def test_proportion_of_zero_or_one_cannot_be_calculated():
    frame = pd.DataFrame(
        {
            "numerator": [5, 3, 1, 1, 2],
            "denominator": [5, 5, 5, 4, 4],
            "value": [100, 60, 20, 25, 50],
            "period_sort": range(2012, 2017),
        }
    )
    result = recent_trend(series(frame, "p", "proportion"), ["indicator_id"])
    assert result["trend"][0] == "cannot be calculated"
    assert result["note"][0] == "a proportion of 0 or 1 among the points"


@pytest.mark.parametrize(
    "polarity, judgement", [("high_is_good", "improving"), ("low_is_good", "worsening"), ("no_judgement", "increasing")]
)
def test_judgement_follows_polarity(polarity, judgement):
    result = recent_trend(series(SET1, "x", "dsr", polarity), ["indicator_id"])
    assert result["trend"][0] == "increasing"
    assert result["trend_judgement"][0] == judgement


def test_constant_value_type_and_polarity_and_default_keys():
    frame = SET1.assign(indicator_id="a", area_code="E1", sex="Persons", age="All ages", category="")
    result = recent_trend(frame, value_type="proportion", polarity="low_is_good")
    assert list(result.columns[:5]) == ["indicator_id", "area_code", "sex", "age", "category"]
    assert result["trend_judgement"][0] == "worsening"


def test_slope_is_the_change_in_value_per_period():
    steady = pd.DataFrame(
        {
            "value": [10.0, 12, 14, 16, 18],
            "lower95": [9.0, 11, 13, 15, 17],
            "upper95": [11.0, 13, 15, 17, 19],
            "period_sort": range(5),
        }
    )
    result = recent_trend(series(steady, "s", "crude_rate", "high_is_good"), ["indicator_id"])
    assert result["slope"][0] == pytest.approx(2.0)
    assert result["trend_judgement"][0] == "improving"


def test_row_order_does_not_change_any_result():
    """Series in runs (the store's order), shuffled, reversed or split into several runs: the same results, bit for bit."""
    rng = np.random.default_rng(5)
    n_series, periods = 400, 7
    gid = np.repeat(np.arange(n_series), periods)
    den = rng.integers(100, 5000, len(gid)).astype(float)
    num = rng.binomial(den.astype(np.int64), 0.2).astype(float)
    num[rng.random(len(gid)) < 0.05] = np.nan
    value = num / den * 100
    frame = pd.DataFrame(
        {
            "indicator_id": np.where(gid % 2 == 0, "P", "R") + (gid % 7).astype(str),
            "area_code": (gid // 7).astype(str),
            "period_sort": np.tile(np.arange(periods), n_series),
            "numerator": num,
            "denominator": den,
            "value": value,
            "lower95": value * 0.9,
            "upper95": value * 1.1,
            "value_type": np.where(gid % 2 == 0, "proportion", "crude_rate"),
            "polarity": "low_is_good",
        }
    )
    keys = ["indicator_id", "area_code"]
    expected = recent_trend(frame.sort_values(keys + ["period_sort"]), keys)
    split = pd.concat([frame.iloc[::2], frame.iloc[1::2]])
    for variant in (frame, frame.sample(frac=1, random_state=1), frame.iloc[::-1], split):
        pd.testing.assert_frame_equal(recent_trend(variant, keys), expected, check_exact=True)


def test_series_over_several_kernel_chunks_agree_with_the_literal_transcription(monkeypatch):
    """More series than one kernel call takes (trend.CHUNK, made small here), each checked: the chunks join up."""
    monkeypatch.setattr("observatory.stats.trend.CHUNK", 37)
    rng = np.random.default_rng(11)
    n_series, periods = 400, 5
    gid = np.repeat(np.arange(n_series), periods)
    proportion = gid % 3 != 0
    den = rng.integers(200, 5000, len(gid)).astype(float)
    level = rng.uniform(0.05, 0.5, n_series)[gid] * (
        1 + rng.normal(0, 0.05, n_series)[gid] * np.tile(np.arange(periods), n_series)
    )
    num = rng.binomial(den.astype(np.int64), np.clip(level, 0.01, 0.95)).astype(float)
    value = num / den * 100
    half = rng.uniform(0.5, 3, len(gid))
    frame = pd.DataFrame(
        {
            "indicator_id": gid.astype(str),
            "period_sort": np.tile(np.arange(2015, 2015 + periods), n_series),
            "numerator": num,
            "denominator": den,
            "value": value,
            "lower95": value - half,
            "upper95": value + half,
            "value_type": np.where(proportion, "proportion", "dsr"),
            "polarity": "high_is_good",
        }
    )
    result = recent_trend(frame, ["indicator_id"]).set_index("indicator_id")
    for g in range(n_series):  # every series, so every chunk boundary is crossed
        group = frame.iloc[g * periods : (g + 1) * periods]
        chi2, significant, direction = fingertips_literal(group.to_dict("records"), bool(proportion[g * periods]))
        expected = ("increasing" if direction > 0 else "decreasing") if significant else "no significant change"
        assert result.loc[str(g), "statistic"] == pytest.approx(chi2, rel=1e-9)
        assert result.loc[str(g), "trend"] == expected


def test_series_arriving_as_runs_give_the_results_of_any_other_order():
    """Every row usable and each series one run in period order (how the store holds them, read without sorting):
    the same results, bit for bit, as the shuffled rows, and with float periods."""
    rng = np.random.default_rng(21)
    lengths = rng.choice([3, 5, 5, 6, 8], 300)  # some too short, some longer than the five points used
    gid = np.repeat(np.arange(len(lengths)), lengths)
    period = np.concatenate([2010 + np.arange(k) for k in lengths])
    den = rng.integers(100, 5000, len(gid)).astype(float)
    num = rng.binomial(den.astype(np.int64), rng.uniform(0.05, 0.5, len(lengths))[gid] * (1 + 0.04 * (period - 2010)))
    value = num / den * 100
    frame = pd.DataFrame(
        {
            "indicator_id": np.where(gid % 2 == 0, "P", "R") + (gid % 9).astype(str),
            "area_code": pd.array((gid // 9).astype(str), dtype="string"),
            "period_sort": period,
            "numerator": num.astype(float),
            "denominator": den,
            "value": value,
            "lower95": value * 0.95,
            "upper95": value * 1.05,
            "value_type": pd.Categorical(np.where(gid % 2 == 0, "proportion", "crude_rate")),
            "polarity": pd.Categorical(np.where(gid % 3 == 0, "high_is_good", "low_is_good")),
        }
    )
    keys = ["indicator_id", "area_code"]
    runs = recent_trend(frame, keys)
    assert set(runs["trend"]) == {"increasing", "no significant change", "cannot be calculated"}
    for variant in (frame.sample(frac=1, random_state=2), frame.assign(period_sort=frame["period_sort"].astype(float))):
        pd.testing.assert_frame_equal(recent_trend(variant, keys), runs, check_exact=True)


def test_unstable_and_rare_significant_trends_agree_with_the_literal_transcription(monkeypatch):
    """Strong trends a single point reverses (chi-squared above the critical value, yet not significant) among many
    flat series: chunks where most series are over the critical value and chunks where few are, each checked."""
    monkeypatch.setattr("observatory.stats.trend.CHUNK", 20)
    rng = np.random.default_rng(3)
    rising, reversed_first = [10.0, 11, 12, 13, 30], [14.0, 10, 10, 10, 30]
    shapes = [rising, reversed_first] * 15 + [[10.0 + rng.normal(0, 0.3) for _ in range(5)] for _ in range(150)]
    shapes[100], shapes[140] = rising, reversed_first  # rare ones among the flat
    rows = []
    for g, shape in enumerate(shapes):
        for t, level in enumerate(shape):
            den = 1e6  # fine steps: no flat series has a leave-one-out slope of exactly zero, which rounding would decide
            for kind in ("proportion", "dsr"):
                num = float(round(den * level / 100))
                value = num / den * 100 if kind == "proportion" else level
                rows.append(
                    {
                        "indicator_id": f"{kind}{g}",
                        "period_sort": 2015 + t,
                        "numerator": num,
                        "denominator": den,
                        "value": value,
                        "lower95": value - 0.5,
                        "upper95": value + 0.5,
                        "value_type": kind,
                        "polarity": "high_is_good",
                    }
                )
    frame = pd.DataFrame(rows).sort_values(["indicator_id", "period_sort"], kind="stable")
    result = recent_trend(frame, ["indicator_id"]).set_index("indicator_id")
    unstable = 0
    for name, group in frame.groupby("indicator_id"):
        chi2, significant, direction = fingertips_literal(group.to_dict("records"), name.startswith("proportion"))
        expected = ("increasing" if direction > 0 else "decreasing") if significant else "no significant change"
        assert result.loc[name, "statistic"] == pytest.approx(chi2, rel=1e-9)
        assert result.loc[name, "trend"] == expected, name
        unstable += chi2 > CRITICAL and not significant
    assert unstable >= 4 * 16  # reversed series of both kinds, in busy chunks and among the flat


def test_a_series_results_do_not_depend_on_the_series_computed_with_it():
    """The kernels add each series' points in point order whatever the batch: one series alone, or among others, gives
    the same bits, for many points and values of very different sizes (where the order of addition shows)."""
    from observatory.stats.trend import proportion_trend, wls_trend

    rng = np.random.default_rng(9)
    points = 24
    values = rng.normal(0, 1, (6, points)) * 10.0 ** rng.integers(-6, 12, (6, points))
    weights = 10.0 ** rng.integers(-8, 8, (6, points))
    n = rng.integers(10, 10**9, (6, points)).astype(float)
    x = np.floor(n * rng.uniform(0.01, 0.99, (6, points)))
    together = wls_trend(values, weights), proportion_trend(x / n, x, n)
    for row in range(6):
        alone = (
            wls_trend(values[row : row + 1], weights[row : row + 1]),
            proportion_trend((x / n)[row : row + 1], x[row : row + 1], n[row : row + 1]),
        )
        for batch, single in zip(together, alone):
            for a, b in zip(batch, single):
                np.testing.assert_array_equal(a[row : row + 1], b)
