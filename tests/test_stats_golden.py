"""Golden-value tests: observatory's statistics against PHEindicatormethods' independently computed test workbooks.

The expected values are data carried over from the R package's tests/testthat workbooks and CSV files (see
tests/fixtures/phe/README.md). Every comparison is against those files, never against observatory itself, and each
states its tolerance. Where observatory deliberately differs from the R package, the test says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatory.stats.dsr_nonindependent import dsr_nonindependent
from observatory.stats.funnels import funnel_limits, funnel_points, funnel_significance
from observatory.stats.life_expectancy import life_expectancy
from observatory.stats.methods import byars_limits, dsr, expected_counts, isr, mean_ci, proportion_ci, rate_ci, sii, wilson_limits

PHE = Path(__file__).parent / "fixtures" / "phe"
LIMITS = ["lower95", "upper95", "lower998", "upper998"]
R_LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
# The workbooks hold full double precision (Excel or R output), so 1e-9 relative is a like-for-like check; 1e-6 is
# used where the expected values were typed with 8-10 significant figures.
EXACT = 1e-9


def fixture(name: str) -> pd.DataFrame:
    return pd.read_csv(PHE / name)


def assert_close(actual, expected, rel: float = EXACT, abs_: float = 0.0, what: str = "") -> None:
    """Equal within tolerance, with NA expected exactly where the workbook has NA."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, what
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=f"NA pattern differs: {what}")
    both = ~np.isnan(expected)
    allowed = abs_ + rel * np.abs(expected)
    gap = np.abs(actual - expected)
    assert (gap[both] <= np.broadcast_to(allowed, gap.shape)[both]).all(), (
        f"{what}: got {actual[both]}, expected {expected[both]}, allowed {np.broadcast_to(allowed, gap.shape)[both]}"
    )


def _fix_band_typo(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The DSR/ISR workbook labels the 55-59 band "55-69"; the R tests attach the standard by position, so it is
    55-59. Observatory joins by band key, so the label is corrected here."""
    out = frame.copy()
    out[column] = out[column].replace("55-69", "55-59")
    return out


# --- Byar's and Wilson limits (testdata_Byars_Wilson.xlsx) -------------------------------------------------------


def test_byars_and_wilson_limits():
    table = fixture("byars_wilson.csv")
    for row in table.itertuples():
        level = {"95%": 0.95, "99.8%": 0.998}[row.confidence]
        if row.method == "Byars":
            lower, upper = byars_limits(np.array([row.x]), level)
        else:
            lower, upper = wilson_limits(np.array([row.x]), np.array([row.n]), level)
        assert_close(upper, [row.uppercl], what=f"{row.method} upper x={row.x}")
        if np.isnan(row.lowercl):
            # Deliberate difference: R's byars_lower() turns a negative lower limit into NA; observatory's helper
            # returns the formula's value. rate_ci() never uses Byar's method below 10 events, so no result shows it.
            assert lower[0] < 0
        else:
            assert_close(lower, [row.lowercl], what=f"{row.method} lower x={row.x}")


# --- proportions and crude rates (testdata_Proportion.xlsx, testdata_Rate.xlsx) -----------------------------------

UNGROUPED = [
    (proportion_ci, "proportion.csv", 1),
    (proportion_ci, "proportion.csv", 100),
    (rate_ci, "rate.csv", 100),
    (rate_ci, "rate.csv", 100000),
]


@pytest.mark.parametrize("calc, name, multiplier", UNGROUPED)
def test_proportions_and_rates(calc, name, multiplier):
    table = fixture(name)
    table = table[table["multiplier"] == multiplier]
    result = calc("Numerator", "Denominator", multiplier, data=table)
    for mine, theirs in zip(["value", *LIMITS], ["value", *R_LIMITS]):
        assert_close(result[mine], table[theirs], what=f"{name} {mine} x{multiplier}")
    assert set(result["statistic"]) == set(table["statistic"])
    known = table["value"].notna().to_numpy()
    assert list(result["method"][known]) == list(table["method"][known])


@pytest.mark.parametrize("calc, name", [(proportion_ci, "proportion"), (rate_ci, "rate")])
def test_proportions_and_rates_grouped(calc, name):
    """R groups the whole sheet by Area, summing numerators and denominators over both multiplier blocks
    (each area appears twice, except Area12 in the rates sheet); the grouped results use the default multiplier."""
    table = fixture(f"{name}.csv")
    expected = fixture(f"{name}_grouped_results.csv").set_index("Area")
    result = calc("Numerator", "Denominator", data=table, group_by="Area").set_index("Area")
    result = result.loc[expected.index]
    for mine, theirs in [("value", "value"), ("lower95", "lowercl"), ("upper95", "uppercl")]:
        assert_close(result[mine], expected[theirs], what=f"grouped {name} {mine}")


# --- means (testdata_Mean.xlsx) ----------------------------------------------------------------------------------


def test_means():
    data = fixture("mean_data.csv")
    expected = fixture("mean_results.csv").set_index("area")
    grouped = mean_ci("values", data=data, group_by="area").set_index("area")
    overall = mean_ci("values", data=data).set_axis(["No grouping"])
    result = pd.concat([grouped, overall]).loc[expected.index]
    assert_close(result["n"], expected["value_count"], what="mean n")
    assert_close(result["sd"], expected["stdev"], what="mean sd")
    for mine, theirs in zip(["value", *LIMITS], ["value", *R_LIMITS]):
        assert_close(result[mine], expected[theirs], what=f"mean {mine}")


# --- directly standardised rates (testdata_DSR_ISR.xlsx) ---------------------------------------------------------


@pytest.mark.parametrize("multiplier", [10000, 100000])
def test_dsr_esp2013(multiplier):
    data = _fix_band_typo(fixture("dsr_multiarea.csv"), "ageband")
    expected = fixture("dsr_results.csv")
    expected = expected[expected["statistic"].str.endswith(f"per {multiplier}") | expected["value"].isna()]
    expected = expected[expected["area"].isin(data["area"])].drop_duplicates("area").set_index("area")
    result = dsr(data, "count", "pop", "ageband", group_by="area", multiplier=multiplier).set_index("area")
    result = result.loc[expected.index]
    assert_close(result["total_count"], expected["total_count"], what="dsr total_count")
    assert_close(result["total_pop"], expected["total_pop"], what="dsr total_pop")
    for mine, theirs in zip(["value", *LIMITS], ["value", *R_LIMITS]):
        assert_close(result[mine], expected[theirs], what=f"dsr {mine} per {multiplier}")
    assert result.loc["testdata_tiny", "note"] == "total count under 10"


@pytest.mark.parametrize("multiplier", [10000, 100000])
def test_dsr_own_standard_1976(multiplier):
    """The 1976 ESP with an 85+ top band, supplied as the standard."""
    data = _fix_band_typo(fixture("dsr_1976.csv"), "Age Band")
    expected = fixture("dsr_results.csv")
    expected = expected[(expected["area"] == "testdata_1976") & expected["statistic"].str.endswith(f"per {multiplier}")].iloc[0]
    result = dsr(data, "count", "pop", "Age Band", standard=data[["Age Band", "esp1976"]], multiplier=multiplier).iloc[0]
    for mine, theirs in [
        ("total_count", "total_count"),
        ("total_pop", "total_pop"),
        ("value", "value"),
        ("lower95", "lower95_0cl"),
        ("upper95", "upper95_0cl"),
    ]:
        assert_close([result[mine]], [expected[theirs]], what=f"dsr 1976 {mine}")
    # The workbook's 99.8% limits for this row are ten times the value (7659 against a rate of 859 per 10,000):
    # the R tests never compare them (type = "standard", one confidence level), so they are not a golden value.
    assert expected["lower99_8cl"] > 5 * expected["value"]
    assert result["lower998"] < result["value"] < result["upper998"]


def test_dsr_nonindependent_events():
    """The sheet is wide (people with 1, 2, 3, 4 events per band); R pivots it longer, as here. R also drops the
    f4 column for three areas where it is empty or zero, which changes nothing. Values typed to 8 decimals."""
    wide = _fix_band_typo(fixture("dsr_nonindependent.csv"), "ageband")
    long = wide.drop(columns="count").melt(id_vars=["area", "ageband", "pop"], var_name="freq", value_name="persons")
    long["freq"] = long["freq"].str[1:].astype(int)
    expected = fixture("dsr_results.csv")
    expected = expected[expected["area"].isin(long["area"])].set_index("area")
    result = dsr_nonindependent(long, "persons", "pop", "ageband", "freq", group_by="area").set_index("area")
    result = result.loc[expected.index]
    assert_close(result["total_count"], expected["total_count"], what="events")
    assert_close(result["total_pop"], expected["total_pop"], what="population")
    for mine, theirs in zip(["value", *LIMITS], ["value", *R_LIMITS]):
        assert_close(result[mine], expected[theirs], rel=1e-9, what=f"non-independent dsr {mine}")
    assert set(result["method"]) == set(expected["method"])
    # Same events counted as independent would give narrower limits.
    events = long.assign(events=long["persons"].fillna(0) * long["freq"]).groupby(["area", "ageband", "pop"])
    plain = dsr(events["events"].sum().reset_index(), "events", "pop", "ageband", group_by="area").set_index("area")
    assert plain.loc["testdata_nonind_big", "upper95"] < result.loc["testdata_nonind_big", "upper95"]


# --- indirectly standardised rates and ratios (testdata_DSR_ISR.xlsx) --------------------------------------------


def _isr_inputs() -> tuple[pd.DataFrame, float]:
    data = _fix_band_typo(fixture("dsr_multiarea.csv"), "ageband")
    ref = _fix_band_typo(fixture("isr_refdata.csv"), "Age Band")
    ref = ref.rename(columns={"Age Band": "age_band", "refcount": "count", "refpop": "population"})
    sums = expected_counts(data, "pop", "ageband", ref, group_by="area", count_col="count")
    return sums, ref["count"].sum() / ref["population"].sum()


@pytest.mark.parametrize("statistic", ["rate per 100000", "rate per 1000", "ratio x 1", "ratio x 100"])
def test_isr(statistic):
    sums, crude = _isr_inputs()
    expected = fixture("isr_results.csv")
    expected = expected[
        (expected["statistic"] == f"indirectly standardised {statistic}") & expected["area"].isin(sums["area"])
    ].set_index("area")
    scale = float(statistic.rsplit(" ", 1)[1])
    if statistic.startswith("rate"):
        result = isr("observed", "expected", reference_rate=crude * scale, multiplier=scale, data=sums, group_by="area")
    else:
        result = isr("observed", "expected", refvalue=scale, data=sums, group_by="area")
    result = result.set_index("area").loc[expected.index]
    assert_close(result["observed"], expected["observed"], what="isr observed")
    assert_close(result["expected"], expected["expected"], what="isr expected")
    for mine, theirs in zip(["value", *LIMITS], ["value", *R_LIMITS]):
        assert_close(result[mine], expected[theirs], what=f"isr {mine} {statistic}")
    assert list(result["method"]) == list(expected["method"])


# --- slope index of inequality (testdata_SII.xlsx) ---------------------------------------------------------------

SII_CASES = {  # first workbook row of each 20-row test block: (value_type, multiplier)
    "default (e.g. life expectancy) - default parameters": ("other", 1),
    "rate (e.g. infant mortality) - default parameters": ("rate", 1),
    "proportion (e.g. child obesity) - default parameters": ("proportion", 1),
    "proportion - testing multiplier (x 100)": ("proportion", 100),
    "proportion - testing multiplier (x -100)": ("proportion", -100),
}


@pytest.mark.parametrize("description", list(SII_CASES))
def test_sii(description):
    """The SII and RII are deterministic and must match closely. Their limits come from simulation with R's random
    numbers in the workbook and numpy's here, so they are compared within 2% of the 95% interval's width (the Monte
    Carlo error of a 2.5th percentile from 100,000 draws is about 0.1% of it)."""
    value_type, multiplier = SII_CASES[description]
    table = fixture("sii.csv")
    block = table[table["TestDescription"] == description]
    expected = block.dropna(subset=["sii"]).set_index("Area")
    result = sii(
        block,
        "Value",
        "Population",
        "Quantile",
        group_by="Area",
        lower_col="LowerCL",
        upper_col="UpperCL",
        value_type=value_type,
        multiplier=multiplier,
        repetitions=100_000,
        seed=1,
    ).set_index("Area")
    result = result.loc[expected.index]
    assert_close(result["value"], expected["sii"], rel=1e-9, what="sii")
    assert_close(result["rii"], expected["rii"], rel=1e-9, what="rii")
    for prefix, column in (("", "sii"), ("rii_", "rii")):
        width = (expected[f"{column}_uppercl_1"] - expected[f"{column}_lowercl_1"]).to_numpy()
        for side in ("lower", "upper"):
            assert_close(
                result[f"{prefix}{side}95"],
                expected[f"{column}_{side}cl_1"],
                rel=0,
                abs_=0.02 * width,
                what=f"{prefix}{side}95 {description}",
            )


# --- life expectancy (numbers from testLifeExpectancy.R) ---------------------------------------------------------


def test_life_expectancy_at_every_age():
    """Values are typed to 8 decimals (abs 1e-7). The limits in this answer were made with z = 1.96 (PHE's Excel
    life expectancy calculator), where observatory, like the R function, uses z = 1.959964; the gap is 0.000036 x SE,
    under 6e-6 years here, so they are compared to 1e-5 (the R test itself compares to 4 decimal places)."""
    table = fixture("life_expectancy.csv")
    shuffled = table.sample(frac=1, random_state=3)
    result = life_expectancy(shuffled, "deaths", "pops", "startage")
    assert list(result["startage"]) == [str(a) for a in table["startage"]]
    assert_close(result["value"], table["value"], rel=0, abs_=1e-7, what="life expectancy")
    assert_close(result["lower95"], table["lowercl"], rel=0, abs_=1e-5, what="life expectancy lower 95%")
    assert_close(result["upper95"], table["uppercl"], rel=0, abs_=1e-5, what="life expectancy upper 95%")
    assert_close(result["pops_used"], table["pops_used"], what="pops_used")
    assert_close(result["dths_used"], table["dths_used"], what="dths_used")
    chosen = life_expectancy(table, "deaths", "pops", "startage", le_age=[5, 25])
    assert list(chosen["statistic"]) == ["life expectancy at 5", "life expectancy at 25"]
    assert_close(chosen["value"], table["value"].iloc[[2, 6]], rel=0, abs_=1e-7, what="le_age")


def test_life_expectancy_wide_intervals_and_suppressed_group():
    """Area 2's values from age 40 have 95% intervals wider than 20 years: NA, limits kept. Area 1 has more deaths
    than people at 90+, so every value and limit is NA. These answers use the exact z. Values and interval midpoints
    agree to abs 1e-7 (8 decimals typed); the half-widths (z x SE) to rel 1e-7: they differ by up to 8e-9 of the
    SE (5e-6 years on a half-width of 610), more than the typed precision, so the tolerance is on the SE's scale."""
    table = fixture("life_expectancy_wide_ci.csv")
    result = life_expectancy(table, "deaths", "pops", "startage", group_by="area")
    assert_close(result["value"], table["value"], rel=0, abs_=1e-7, what="wide-ci value")
    for name, combine in (("midpoint", np.add), ("half-width", np.subtract)):
        mine = combine(result["upper95"], result["lower95"]) / 2
        theirs = combine(table["upper95"], table["lower95"]) / 2
        assert_close(mine, theirs, rel=1e-7, abs_=1e-7, what=f"wide-ci {name}")
    notes = result.groupby("area", observed=True)["note"].agg(lambda s: set(map(str, s)))
    assert notes["Area 1"] == {"more deaths than population in an age band"}
    assert notes["Area 2"] == {"", "95% confidence interval wider than 20 years"}


def _le_case(change: str) -> pd.DataFrame:
    """testLifeExpectancy.R's suppression cases, each a change to its df1 data."""
    table = fixture("life_expectancy.csv")[["startage", "pops", "deaths"]].copy()
    if change == "negative deaths":
        table.loc[3, "deaths"] = -5
    elif change == "zero population":
        table.loc[5, "pops"] = 0
    elif change == "deaths above population":
        table.loc[18, "pops"] = 119
    elif change == "missing band":
        table = table.iloc[:-1]
    elif change == "low population":
        table["pops"] = 100
        table["deaths"] = 50
    return table


@pytest.mark.parametrize(
    "change, note",
    [
        ("negative deaths", "negative deaths in an age band"),
        ("zero population", "population zero or less in an age band"),
        ("deaths above population", "more deaths than population in an age band"),
        ("missing band", "age bands missing or repeated"),
        ("low population", "total population 5,000 or less"),
    ],
)
def test_life_expectancy_suppression(change, note):
    """The R tests expect only NAs in value and limits for each of these (the package warns and returns NA)."""
    result = life_expectancy(_le_case(change), "deaths", "pops", "startage")
    assert result[["value", *LIMITS]].isna().all().all()
    assert set(result["note"]) == {note}


# --- funnel plots (testdata_funnel_*.csv) ------------------------------------------------------------------------

FUNNEL_SIDES = [("lower95", "lower_2s"), ("upper95", "upper_2s"), ("lower998", "lower_3s"), ("upper998", "upper_3s")]


@pytest.mark.parametrize(
    "name, subset", [("funnel_prop_outputs.csv", None), ("funnel_prop_outputs_with_axis_variation.csv", 31000)]
)
def test_funnel_limits_proportions(name, subset):
    """Closed-form Wilson inversion; the expected CSVs are written with 6-8 decimals (abs 1e-6 on a % scale)."""
    data = fixture("funnel_prop_inputs.csv")
    if subset is not None:
        data = data[data["denominator"] < subset]
    expected = fixture(name)
    result = funnel_limits(data, "numerator", "denominator", statistic="proportion", multiplier=100)
    assert_close(result["population"], expected["Population"], rel=0, what="funnel x axis")
    for mine, theirs in zip([*LIMITS, "baseline"], expected.columns[1:]):
        assert_close(result[mine], expected[theirs], rel=0, abs_=1e-6, what=f"proportion funnel {mine}")


def _bisection_tolerance(x, mean):
    """PHEindicatormethods finds each Poisson mean by bisecting v = mean / (1 + x + mean) until the step is under
    1e-7; observatory takes it from the chi-squared quantile. The R value can be off by up to 1e-7 in v, that is
    1e-7 x (1 + x + mean)^2 / (1 + x) in the mean (up to 5e-5 relative for the smallest 99.8% means)."""
    x, mean = np.asarray(x, dtype=float), np.asarray(mean, dtype=float)
    return 1e-7 * (1 + x + mean) ** 2 / (1 + x) + 1e-9 * mean


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_funnel_limits_ratios(ratio_type):
    data = fixture("funnel_ratio_inputs.csv")
    expected = fixture("funnel_ratio_outputs.csv")
    result = funnel_limits(data, "obs", "expected", statistic="ratio", multiplier=100, ratio_type=ratio_type)
    x = result["observed_events"]
    assert_close(x, expected["Observed_events"], rel=0, what="funnel x axis")
    assert set(result["statistic"]) == {f"ratio ({ratio_type})"}
    for mine, theirs in FUNNEL_SIDES:
        mean = expected[f"{theirs}_exp_events"]
        assert_close(result[f"{mine}_expected"], mean, rel=0, abs_=_bisection_tolerance(x, mean), what=mine)
        # limit = x / mean (less 1, or times 100), so the mean's relative error carries over to the ratio.
        ratio_error = x / mean * _bisection_tolerance(x, mean) / mean * (1 if ratio_type == "count" else 100)
        assert_close(result[mine], expected[f"{theirs}_{ratio_type}"], rel=1e-8, abs_=ratio_error, what=f"ratio funnel {mine}")


def _rate_funnel_case(case: int) -> tuple[pd.DataFrame, dict]:
    """The three rate cases of testFunnels.R: DSRs; crude with one area cut to 5 events; crude with one area at 0
    events, its population given, and the smaller areas left out."""
    data = fixture("funnel_rate_input_funnels.csv")
    top = data["ev"] == data["ev"].max()
    if case == 1:
        return data, {"rate_type": "dsr"}
    if case == 2:
        return data.assign(ev=np.where(top, 5, data["ev"])), {"rate_type": "crude"}
    data = data[["ev", "rate"]].assign(pop=1e5 * data["ev"] / data["rate"])
    data = data.assign(rate=np.where(top, 0, data["rate"]), ev=np.where(top, 0, data["ev"]))
    return data[data["pop"] > data["pop"].max() / 2], {"rate_type": "crude", "denominator": "pop"}


@pytest.mark.parametrize(
    "case, name", [(1, "funnel_rate_outputs.csv"), (2, "funnel_rate_outputs_2.csv"), (3, "funnel_rate_outputs_3.csv")]
)
def test_funnel_limits_rates(case, name):
    data, options = _rate_funnel_case(case)
    expected = fixture(name)
    result = funnel_limits(data, "ev", rate="rate", multiplier=1e5, statistic="rate", years_of_data=3, **options)
    x = result["events"]
    assert_close(x, expected["Events"], rel=0, what="funnel x axis")
    assert_close(result["baseline"], expected["baseline"], rel=1e-8, what="baseline")
    assert list(result["statistic"].unique()) == list(expected["statistic"].unique())
    average = expected["baseline"].iloc[0] / 1e5
    for mine, theirs in FUNNEL_SIDES:
        # population (one year) = mean / average / years, so the bisection error carries over in proportion.
        mean = expected[f"{theirs}_population_1_year"] * average * 3
        relative = _bisection_tolerance(x, mean) / mean + 1e-8
        assert_close(
            result[f"{mine}_population"],
            expected[f"{theirs}_population_1_year"],
            rel=relative,
            what=f"rate funnel {mine} population",
        )
        assert_close(result[mine], expected[f"{theirs}_limit"], rel=relative, what=f"rate funnel {mine}")


def test_funnel_significance_proportions_and_ratios():
    proportions = fixture("funnel_prop_inputs.csv")
    result = funnel_significance(proportions, "numerator", "denominator", statistic="proportion")
    assert list(result["significance"].astype(str)) == list(proportions["significance"])
    ratios = fixture("funnel_ratio_inputs.csv")
    result = funnel_significance(ratios, "obs", "expected", statistic="ratio")
    assert list(result["significance"].astype(str)) == list(ratios["significance"])


@pytest.mark.parametrize(
    "rate, rate_type, multiplier, column",
    [
        ("rate_dsr", "dsr", 1e5, "dsr_per_100000_with_0"),
        ("rate_dsr", "dsr", 100, "dsr_per_100_with_0"),
        ("rate_dsr", "dsr", 1e5, "dsr_per_100000_without_0"),
        ("rate_dsr", "dsr", 100, "dsr_per_100_without_0"),
        ("rate_crude_per_100000", "crude", 1e5, "crude_per_100000_with_0"),
        ("rate_crude_per_100", "crude", 100, "crude_per_100_with_0"),
        ("rate_crude_per_100000", "crude", 1e5, "crude_per_100000_without_0"),
        ("rate_crude_per_100", "crude", 100, "crude_per_100_without_0"),
    ],
)
def test_funnel_significance_rates(rate, rate_type, multiplier, column):
    data = fixture("funnel_rate_dsr_inputs.csv")
    if column.endswith("without_0"):
        data = data[data["count"] != 0]
    result = funnel_significance(data, "count", "pop", rate, statistic="rate", rate_type=rate_type, multiplier=multiplier)
    assert list(result["significance"].astype(str)) == list(data[column])


@pytest.mark.parametrize(
    "rate_type, change, years, suffix", [("dsr", 5, 3, ""), ("crude", None, 3, "_crude"), ("crude", 0, 5, "_crude_with_denom")]
)
def test_funnel_points(rate_type, change, years, suffix):
    """testFunnels.R's three cases; the derived denominators are written with 4 decimals (abs 1e-4)."""
    data = fixture("funnel_rate_input_funnels.csv")
    if change is not None:
        data = data.assign(ev=np.where(data["ev"] == data["ev"].max(), change, data["ev"]))
    denominator = "pop" if suffix.endswith("denom") else None
    result = funnel_points(
        data[["ev", "rate", "pop"]], "ev", "rate", denominator, rate_type=rate_type, years_of_data=years, multiplier=1e5
    )
    assert_close(result["rate_chart"], data[f"rate_chart{suffix}"], rel=0, what="rate_chart")
    assert_close(
        result["denominator_derived"], data[f"denominator_derived{suffix}"], rel=0, abs_=1e-4, what="denominator_derived"
    )
