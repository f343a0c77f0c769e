"""observatory.stats.methods against independently computed values: published examples, textbook formulas written
differently, scipy distributions and brute-force regressions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from observatory.stats import methods

LEVELS = {"95": 0.95, "998": 0.998}


def z(level: float) -> float:
    return stats.norm.ppf(1 - (1 - level) / 2)


# --- proportions -----------------------------------------------------------------------------------------------


def wilson_centre_form(x: float, n: float, level: float) -> tuple[float, float]:
    """Wilson's interval written as centre +/- half-width (Newcombe 1998, method 3)."""
    q = z(level)
    p = x / n
    centre = (p + q * q / (2 * n)) / (1 + q * q / n)
    half = q * math.sqrt(p * (1 - p) / n + q * q / (4 * n * n)) / (1 + q * q / n)
    return centre - half, centre + half


def test_wilson_matches_the_centre_and_half_width_form():
    rng = np.random.default_rng(11)
    n = rng.integers(1, 5000, 200).astype(float)
    x = np.floor(rng.uniform(0, 1, 200) * (n + 1))
    result = methods.proportion_ci(x, n, 100)
    for label, level in LEVELS.items():
        expected = np.array([wilson_centre_form(a, b, level) for a, b in zip(x, n)]) * 100
        np.testing.assert_allclose(result[f"lower{label}"], expected[:, 0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(result[f"upper{label}"], expected[:, 1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["value"], x / n * 100)


@pytest.mark.parametrize(
    "x, n, lower, upper",
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_reproduces_newcombes_published_intervals(x, n, lower, upper):
    result = methods.proportion_ci([x], [n])
    assert round(result["lower95"][0], 4) == lower
    assert round(result["upper95"][0], 4) == upper


def test_proportion_edges_zero_and_all():
    result = methods.proportion_ci([0, 12], [12, 12])
    assert result["lower95"][0] == 0 and result["lower998"][0] == 0
    assert result["upper95"][1] == pytest.approx(1) and result["upper998"][1] == pytest.approx(1)
    assert 0 < result["upper95"][0] < result["upper998"][0] < 1
    assert 0 < result["lower998"][1] < result["lower95"][1] < 1
    assert (result["note"] == "").all()


def test_proportion_numerator_above_denominator_names_the_rows():
    numerator = pd.Series([1, 9, 3, 12], index=["E01", "E02", "E03", "E04"])
    denominator = pd.Series([5, 8, 3, 10], index=numerator.index)
    with pytest.raises(ValueError, match=r"numerator is greater than denominator at rows E02, E04"):
        methods.proportion_ci(numerator, denominator)


def test_proportion_numerator_above_denominator_names_the_group():
    frame = pd.DataFrame({"locality": ["North", "North", "South"], "x": [5, 1, 9], "n": [10, 10, 4]})
    with pytest.raises(ValueError, match="in groups South"):
        methods.proportion_ci("x", "n", data=frame, group_by="locality")


def test_proportion_zero_or_missing_denominator_is_na_with_a_reason():
    result = methods.proportion_ci([0, 3, np.nan], [0, np.nan, 10])
    assert result[["value", "lower95", "upper95", "lower998", "upper998"]].isna().all().all()
    assert list(result["note"]) == ["denominator is zero", "numerator or denominator missing", "numerator or denominator missing"]


def test_proportion_negative_numerator_is_an_error():
    with pytest.raises(ValueError, match="negative"):
        methods.proportion_ci([-1], [5])


def test_proportion_grouped_sums_then_computes_one_row_per_group():
    frame = pd.DataFrame({"area": ["b", "a", "b", "a"], "x": [1, 2, 3, 4], "n": [10, 20, 30, 40]})
    result = methods.proportion_ci("x", "n", 100, data=frame, group_by="area")
    assert list(result["area"]) == ["a", "b"]
    assert list(result["x"]) == [6, 4] and list(result["n"]) == [60, 40]
    lower, upper = wilson_centre_form(6, 60, 0.95)
    assert result["lower95"][0] == pytest.approx(lower * 100) and result["upper95"][0] == pytest.approx(upper * 100)
    assert set(result["statistic"]) == {"percentage"} and set(result["method"]) == {"Wilson"}
    assert set(result["confidence"]) == {"95%, 99.8%"}


def test_proportion_frame_without_groups_keeps_the_index():
    frame = pd.DataFrame({"x": [1, 2], "n": [4, 4]}, index=["p", "q"])
    result = methods.proportion_ci("x", "n", data=frame)
    assert list(result.index) == ["p", "q"]
    assert list(result.columns) == methods.RESULT_COLUMNS


# --- rates -----------------------------------------------------------------------------------------------------


def exact_by_root_finding(x: int, level: float) -> tuple[float, float]:
    """Exact Poisson limits by solving the Poisson tail equations, without the chi-squared shortcut."""
    alpha = 1 - level
    lower = 0.0 if x == 0 else optimize.brentq(lambda mu: stats.poisson.sf(x - 1, mu) - alpha / 2, 1e-12, 100)
    upper = optimize.brentq(lambda mu: stats.poisson.cdf(x, mu) - alpha / 2, 1e-12, 200)
    return lower, upper


def byars_literal(x: float, level: float) -> tuple[float, float]:
    q = z(level)
    return (
        x * (1 - 1 / (9 * x) - q / (3 * math.sqrt(x))) ** 3,
        (x + 1) * (1 - 1 / (9 * (x + 1)) + q / (3 * math.sqrt(x + 1))) ** 3,
    )


def test_rate_uses_exact_limits_below_ten():
    counts = np.arange(10, dtype=float)
    result = methods.rate_ci(counts, np.full(10, 50_000.0), 100_000)
    assert set(result["method"]) == {"Exact"}
    for label, level in LEVELS.items():
        expected = np.array([exact_by_root_finding(int(c), level) for c in counts]) * 2
        np.testing.assert_allclose(result[f"lower{label}"], expected[:, 0], rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(result[f"upper{label}"], expected[:, 1], rtol=1e-7)


def test_rate_uses_byars_from_ten_and_byars_stays_close_to_exact():
    counts = np.array([10, 11, 57, 250, 1999], dtype=float)
    result = methods.rate_ci(counts, np.full(5, 1000.0), 1000)
    assert set(result["method"]) == {"Byars"}
    for label, level in LEVELS.items():
        literal = np.array([byars_literal(c, level) for c in counts])
        np.testing.assert_allclose(result[f"lower{label}"], literal[:, 0], rtol=1e-12)
        np.testing.assert_allclose(result[f"upper{label}"], literal[:, 1], rtol=1e-12)
        exact = np.array([exact_by_root_finding(int(c), level) for c in counts[:3]])
        tolerance = 0.002 if label == "95" else 0.016  # Fingertips guidance: Byar's within 0.2% at 95%
        np.testing.assert_allclose(literal[:3], exact, rtol=tolerance)


def test_rate_method_switches_at_ten():
    result = methods.rate_ci([9, 10], [100, 100], 100)
    assert list(result["method"]) == ["Exact", "Byars"]
    assert list(result["value"]) == [9, 10]
    assert set(result["statistic"]) == {"rate per 100"}


def test_rate_zero_denominator_is_na_and_negative_count_an_error():
    result = methods.rate_ci([3, 4], [0, 10])
    assert np.isnan(result["value"][0]) and result["note"][0] == "denominator is zero"
    with pytest.raises(ValueError, match="negative"):
        methods.rate_ci([-2], [10])


# --- directly standardised rates -------------------------------------------------------------------------------

ESP = {
    "0-4": 5000,
    "5-9": 5500,
    "10-14": 5500,
    "15-19": 5500,
    "20-24": 6000,
    "25-29": 6000,
    "30-34": 6500,
    "35-39": 7000,
    "40-44": 7000,
    "45-49": 7000,
    "50-54": 7000,
    "55-59": 6500,
    "60-64": 6000,
    "65-69": 5500,
    "70-74": 5000,
    "75-79": 4000,
    "80-84": 2500,
    "85-89": 1500,
    "90+": 1000,
}


def dsr_by_hand(deaths: dict, population: dict, level: float, multiplier=100_000) -> tuple[float, float, float]:
    """Dobson's method written out band by band: DSR = sum(w r)/sum(w), var = sum((w/n)^2 x)/sum(w)^2."""
    total_weight = sum(ESP.values())
    rate = sum(ESP[b] * deaths[b] / population[b] for b in ESP) / total_weight
    variance = sum((ESP[b] / population[b]) ** 2 * deaths[b] for b in ESP) / total_weight**2
    observed = sum(deaths.values())
    lower_o, upper_o = byars_literal(observed, level)
    factor = math.sqrt(variance / observed)
    return (
        rate * multiplier,
        (rate + factor * (lower_o - observed)) * multiplier,
        (rate + factor * (upper_o - observed)) * multiplier,
    )


@pytest.fixture
def age_data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for area in ["Rugby", "Warwick", "Tiny"]:
        for band in ESP:
            deaths = int(rng.integers(0, 60)) if area != "Tiny" else int(band in ("85-89", "90+")) * 4
            rows.append({"area": area, "age": band, "deaths": deaths, "pop": int(rng.integers(500, 9000))})
    return pd.DataFrame(rows)


def test_dsr_matches_a_band_by_band_calculation(age_data):
    result = methods.dsr(age_data, "deaths", "pop", "age", "area").set_index("area")
    for area in ["Rugby", "Warwick"]:
        rows = age_data[age_data["area"] == area]
        deaths, population = dict(zip(rows["age"], rows["deaths"])), dict(zip(rows["age"], rows["pop"]))
        for label, level in LEVELS.items():
            value, lower, upper = dsr_by_hand(deaths, population, level)
            assert result.loc[area, "value"] == pytest.approx(value, rel=1e-12)
            assert result.loc[area, f"lower{label}"] == pytest.approx(lower, rel=1e-12)
            assert result.loc[area, f"upper{label}"] == pytest.approx(upper, rel=1e-12)
    assert result.loc["Rugby", "total_count"] == age_data.loc[age_data["area"] == "Rugby", "deaths"].sum()
    assert set(result["method"]) == {"Dobson"} and set(result["statistic"]) == {"dsr per 100000"}


def test_dsr_joins_the_standard_by_band_not_by_position(age_data):
    ordered = methods.dsr(age_data, "deaths", "pop", "age", "area")
    shuffled = age_data.sample(frac=1, random_state=3)
    relabelled = shuffled.assign(age=shuffled["age"].map(lambda b: "90 and over" if b == "90+" else f"Age {b}"))
    for variant in (shuffled, relabelled):
        pd.testing.assert_frame_equal(methods.dsr(variant, "deaths", "pop", "age", "area"), ordered)


def test_dsr_total_count_under_ten_is_na_with_a_note(age_data):
    result = methods.dsr(age_data, "deaths", "pop", "age", "area").set_index("area")
    assert result.loc["Tiny", "total_count"] == 8
    assert np.isnan(result.loc["Tiny", ["value", "lower95", "upper95", "lower998", "upper998"]].astype(float)).all()
    assert result.loc["Tiny", "note"] == "total count under 10"
    assert result.loc["Rugby", "note"] == ""


def test_dsr_unknown_age_band_is_named(age_data):
    broken = age_data.copy()
    broken.loc[3, "age"] = "95+"
    with pytest.raises(ValueError, match=r"age bands not in the standard population: \['95\+'\]"):
        methods.dsr(broken, "deaths", "pop", "age", "area")


def test_dsr_missing_age_band_names_group_and_band(age_data):
    broken = age_data[~((age_data["area"] == "Warwick") & (age_data["age"] == "40-44"))]
    with pytest.raises(ValueError, match=r"missing.*Warwick: \['40-44'\]"):
        methods.dsr(broken, "deaths", "pop", "age", "area")


def test_dsr_with_another_standard_given_as_a_mapping():
    data = pd.DataFrame({"age": ["young", "old"], "x": [30, 70], "n": [1000, 500]})
    result = methods.dsr(data, "x", "n", "age", standard={"young": 3, "old": 1}, multiplier=1000)
    assert result["value"][0] == pytest.approx((3 * 30 / 1000 + 1 * 70 / 500) / 4 * 1000)


def test_esp2013_file_has_the_19_published_bands():
    esp = methods.european_standard_population()
    assert list(esp.index) == list(ESP)
    assert esp.to_dict() == {k: float(v) for k, v in ESP.items()}
    assert esp.sum() == 100_000


# --- indirect standardisation ----------------------------------------------------------------------------------


def test_isr_ratio_and_rate_against_hand_values():
    observed, expected = np.array([4.0, 40.0]), np.array([5.0, 32.0])
    ratio = methods.isr(observed, expected, refvalue=100)
    assert list(ratio["method"]) == ["Exact", "Byars"]
    assert ratio["value"].tolist() == pytest.approx([80, 125])
    low, up = exact_by_root_finding(4, 0.95)
    assert ratio["lower95"][0] == pytest.approx(low / 5 * 100, rel=1e-7)
    assert ratio["upper95"][0] == pytest.approx(up / 5 * 100, rel=1e-7)
    low, up = byars_literal(40, 0.998)
    assert ratio["lower998"][1] == pytest.approx(low / 32 * 100)
    assert ratio["upper998"][1] == pytest.approx(up / 32 * 100)
    rate = methods.isr(observed, expected, reference_rate=250.0)
    assert rate["value"].tolist() == pytest.approx([200, 312.5])
    assert set(rate["statistic"]) == {"indirectly standardised rate per 100000"}


def test_expected_counts_join_reference_rates_by_band():
    reference = pd.DataFrame({"age_band": ["65-69", "70-74", "75+"], "count": [10, 30, 90], "population": [1000, 1000, 1000]})
    local = pd.DataFrame(
        {
            "area": ["a", "a", "a", "b"],
            "band": ["75 plus", "65-69", "70 - 74", "65-69"],
            "pop": [200, 100, 300, 50],
            "obs": [25, 1, 9, 3],
        }
    )
    result = methods.expected_counts(local, "pop", "band", reference, "area", count_col="obs").set_index("area")
    assert result.loc["a", "expected"] == pytest.approx(200 * 0.09 + 100 * 0.01 + 300 * 0.03)
    assert result.loc["b", "expected"] == pytest.approx(0.5)
    assert result.loc["a", "observed"] == 35
    with pytest.raises(ValueError, match=r"not in the reference: \['85\+'\]"):
        methods.expected_counts(local.assign(band=["85+", "65-69", "70-74", "65-69"]), "pop", "band", reference)


# --- means -----------------------------------------------------------------------------------------------------


def test_mean_ci_matches_scipy_t_interval():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"g": np.repeat(["a", "b", "c"], [7, 30, 1]), "v": rng.normal(50, 8, 38)})
    result = methods.mean_ci("v", data=frame, group_by="g").set_index("g")
    for group in ["a", "b"]:
        values = frame.loc[frame["g"] == group, "v"]
        for label, level in LEVELS.items():
            low, high = stats.t.interval(level, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
            assert result.loc[group, f"lower{label}"] == pytest.approx(low, rel=1e-12)
            assert result.loc[group, f"upper{label}"] == pytest.approx(high, rel=1e-12)
        assert result.loc[group, "sd"] == pytest.approx(values.std(ddof=1))
    assert np.isnan(result.loc["c", "lower95"]) and result.loc["c", "note"] == "fewer than 2 values"
    assert result.loc["c", "value"] == pytest.approx(frame["v"].iloc[-1])


def test_mean_ci_of_an_array_skips_missing_values():
    result = methods.mean_ci([1.0, 2.0, np.nan, 6.0])
    assert result["n"][0] == 3 and result["value"][0] == 3.0
    assert set(result["method"]) == {"Student's t"}


# --- slope index of inequality ---------------------------------------------------------------------------------


@pytest.fixture
def deciles() -> pd.DataFrame:
    """The example data of PHEindicatormethods' phe_sii documentation."""
    return pd.DataFrame(
        {
            "area": ["Area1"] * 10 + ["Area2"] * 10,
            "decile": list(range(1, 11)) * 2,
            "population": [
                7291,
                7997,
                6105,
                7666,
                5790,
                6934,
                5918,
                5974,
                7147,
                7534,
                21675,
                20065,
                19750,
                24713,
                20112,
                19618,
                22408,
                19752,
                18939,
                19312,
            ],
            "value": [
                75.9,
                78.3,
                83.8,
                83.6,
                80.5,
                81.1,
                81.7,
                84.2,
                80.6,
                86.3,
                70.5,
                71.6,
                72.5,
                73.5,
                73.1,
                76.2,
                78.7,
                80.6,
                80.9,
                80,
            ],
            "lower": [
                72.7,
                75.3,
                80.9,
                80.2,
                77.1,
                78,
                79,
                81.4,
                75.8,
                83.2,
                70.1,
                71.1,
                72,
                73.1,
                72.7,
                75.7,
                78.2,
                80.1,
                80.4,
                79.5,
            ],
            "upper": [
                79.1,
                81.4,
                86.8,
                87.1,
                83.8,
                84.2,
                84.4,
                86.9,
                85.4,
                89.4,
                71,
                72.1,
                73.2,
                73.7,
                75.8,
                78.8,
                79.8,
                81.2,
                81.3,
                80.9,
            ],
            "se": [
                1.64,
                1.58,
                1.51,
                1.78,
                1.7,
                1.56,
                1.37,
                1.4,
                2.43,
                1.57,
                0.23,
                0.26,
                0.3,
                0.16,
                0.79,
                0.78,
                0.4,
                0.28,
                0.23,
                0.35,
            ],
        }
    )


def ranks_by_loop(population: list[float]) -> list[float]:
    total, cumulative, ranks = sum(population), 0.0, []
    for p in population:
        ranks.append((cumulative + p / 2) / total)
        cumulative += p
    return ranks


def test_sii_is_the_population_weighted_regression_slope(deciles):
    result = methods.sii(deciles, "value", "population", "decile", "area", se_col="se").set_index("area")
    for area in ["Area1", "Area2"]:
        rows = deciles[deciles["area"] == area]
        share = rows["population"] / rows["population"].sum()
        slope, intercept = np.polyfit(ranks_by_loop(list(rows["population"])), rows["value"], 1, w=np.sqrt(share))
        assert result.loc[area, "value"] == pytest.approx(slope, rel=1e-9)
        assert result.loc[area, "rii"] == pytest.approx((intercept + slope) / intercept, rel=1e-9)
        assert result.loc[area, "n_quantiles"] == 10


def test_sii_simulated_limits_agree_with_the_normal_theory_limits(deciles):
    """For untransformed values the SII is linear in the decile values, so its exact distribution is normal."""
    result = methods.sii(deciles, "value", "population", "decile", "area", se_col="se", repetitions=40_000, seed=7).set_index(
        "area"
    )
    for area in ["Area1", "Area2"]:
        rows = deciles[deciles["area"] == area]
        share = (rows["population"] / rows["population"].sum()).to_numpy()
        rank = np.array(ranks_by_loop(list(rows["population"])))
        centre = (share * rank).sum()
        weights = share * (rank - centre) / (share * (rank - centre) ** 2).sum()
        sd = math.sqrt(((weights * rows["se"].to_numpy()) ** 2).sum())
        sii = result.loc[area, "value"]
        for label, level in LEVELS.items():
            tolerance = (0.02 if label == "95" else 0.05) * z(level) * sd
            assert result.loc[area, f"lower{label}"] == pytest.approx(sii - z(level) * sd, abs=tolerance)
            assert result.loc[area, f"upper{label}"] == pytest.approx(sii + z(level) * sd, abs=tolerance)


def test_sii_limits_from_confidence_limits_and_seed_reproducibility(deciles):
    first = methods.sii(deciles, "value", "population", "decile", "area", lower_col="lower", upper_col="upper", seed=3)
    again = methods.sii(deciles, "value", "population", "decile", "area", lower_col="lower", upper_col="upper", seed=3)
    pd.testing.assert_frame_equal(first, again)
    other = methods.sii(deciles, "value", "population", "decile", "area", lower_col="lower", upper_col="upper", seed=4)
    assert not np.allclose(first["lower95"], other["lower95"])
    assert (first["lower998"] < first["lower95"]).all() and (first["lower95"] < first["value"]).all()
    assert (first["value"] < first["upper95"]).all() and (first["upper95"] < first["upper998"]).all()
    assert (first["rii_lower95"] < first["rii"]).all() and (first["rii"] < first["rii_upper95"]).all()


def test_sii_rates_and_proportions_are_simulated_on_log_and_logit_scales(deciles):
    as_rates = methods.sii(
        deciles, "value", "population", "decile", "area", lower_col="lower", upper_col="upper", value_type="rate"
    )
    linear = methods.sii(deciles, "value", "population", "decile", "area", lower_col="lower", upper_col="upper")
    np.testing.assert_allclose(as_rates["value"], linear["value"])
    assert not np.allclose(as_rates["lower95"], linear["lower95"])
    proportions = deciles.assign(value=deciles["value"] / 100, lower=deciles["lower"] / 100, upper=deciles["upper"] / 100)
    as_props = methods.sii(
        proportions,
        "value",
        "population",
        "decile",
        "area",
        lower_col="lower",
        upper_col="upper",
        value_type="proportion",
        multiplier=100,
    )
    np.testing.assert_allclose(as_props["value"], linear["value"], rtol=1e-9)
    assert (as_props["lower95"] < as_props["value"]).all() and (as_props["value"] < as_props["upper95"]).all()


def test_sii_negative_multiplier_inverts_the_rii(deciles):
    plain = methods.sii(deciles, "value", "population", "decile", "area", se_col="se")
    flipped = methods.sii(deciles, "value", "population", "decile", "area", se_col="se", multiplier=-1)
    np.testing.assert_allclose(flipped["value"], -plain["value"])
    np.testing.assert_allclose(flipped["rii"], 1 / plain["rii"])


def test_sii_group_with_too_few_quantiles_is_na_with_a_note(deciles):
    sparse = deciles[~((deciles["area"] == "Area2") & (deciles["decile"] > 4))]
    result = methods.sii(sparse, "value", "population", "decile", "area", se_col="se").set_index("area")
    assert np.isnan(result.loc["Area2", "value"]) and result.loc["Area2", "n_quantiles"] == 4
    assert result.loc["Area2", "note"] == "fewer than 5 quantiles with usable data"
    assert not np.isnan(result.loc["Area1", "value"]) and result.loc["Area1", "note"] == ""


@pytest.mark.parametrize(
    "counts",
    [
        [3.0, np.nan, 0.0, 12.0, 3.0, 9.0],  # whole counts with a gap: limits looked up in a table of counts
        [3.0, np.nan, 0.0, 12.0, 3.0, 9.5],  # a fractional count: limits computed row by row
        [3.0, np.nan, 0.0, 12.0, 3.0, 5e6],  # a count above the table's reach
    ],
)
def test_rate_limits_are_the_same_whichever_way_they_are_computed(counts):
    counts = np.array(counts)
    result = methods.rate_ci(counts, np.full(len(counts), 1000.0), 1000)
    assert list(result["method"])[:5] == ["Exact", "Byars", "Exact", "Byars", "Exact"]
    assert result.loc[1, ["value", "lower95", "upper998"]].isna().all()
    for row in (0, 2, 4):
        for label, level in LEVELS.items():
            lower, upper = exact_by_root_finding(int(counts[row]), level)
            assert result.loc[row, f"lower{label}"] == pytest.approx(lower, rel=1e-7, abs=1e-9)
            assert result.loc[row, f"upper{label}"] == pytest.approx(upper, rel=1e-7)
    for label, level in LEVELS.items():
        assert result.loc[3, f"lower{label}"] == pytest.approx(byars_literal(12.0, level)[0], rel=1e-12)


# --- distributions without scipy.stats ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.998, 0.8])
def test_chi_squared_and_t_quantiles_are_scipy_stats_own_bit_for_bit(level):
    from observatory.stats.limits import chi2_quantile, t_quantile

    counts = np.concatenate([np.arange(0, 3000, dtype=float), [1e4, 1e5, 1e6, 3.5e6]])
    df = 2 * counts + 2
    for q in ((1 - level) / 2, 1 - (1 - level) / 2):
        assert np.array_equal(chi2_quantile(q, df), stats.chi2.ppf(q, df))
        assert np.array_equal(t_quantile(q, df), stats.t.ppf(q, df))
    assert np.isnan(t_quantile(0.975, np.array([0.0, -1.0]))).all() and np.isnan(chi2_quantile(0.975, np.array([0.0]))).all()


def test_the_statistics_do_not_import_scipy_stats():
    import subprocess
    import sys

    code = "import sys, observatory.stats, observatory.performance.forecasts; print('scipy.stats' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
