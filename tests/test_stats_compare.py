"""observatory.stats.compare: Fingertips benchmark comparison, quintiles and colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory._core.vocab import Polarity
from observatory.present.palette import COLOURS, rag_colour
from observatory.stats.compare import compare, quintiles


@pytest.fixture
def intervals() -> pd.DataFrame:
    """Value 50 with 95% limits 45-55 and 99.8% limits 40-60, against benchmarks around it."""
    benchmark = [30, 42, 50, 58, 70, np.nan]
    return pd.DataFrame(
        {"value": 50.0, "lower95": 45.0, "upper95": 55.0, "lower998": 40.0, "upper998": 60.0, "benchmark": benchmark},
        index=list("abcdef"),
    )


def run(frame, polarity, level="95"):
    return compare(
        frame["value"],
        frame["lower95"],
        frame["upper95"],
        frame["benchmark"],
        polarity,
        frame["lower998"],
        frame["upper998"],
        level=level,
    ).tolist()


def test_high_is_good_at_95(intervals):
    assert run(intervals, Polarity.HIGH_IS_GOOD) == ["better", "better", "similar", "worse", "worse", "not compared"]


def test_low_is_good_at_95(intervals):
    assert run(intervals, "low_is_good") == ["worse", "worse", "similar", "better", "better", "not compared"]


def test_no_judgement_is_higher_or_lower(intervals):
    assert run(intervals, "no_judgement") == ["higher", "higher", "similar", "lower", "lower", "not compared"]


def test_99_8_needs_the_wider_interval_to_exclude_the_benchmark(intervals):
    assert run(intervals, "high_is_good", "99.8") == ["better", "similar", "similar", "similar", "worse", "not compared"]


def test_both_levels_grade_the_strength(intervals):
    assert run(intervals, "high_is_good", "both") == [
        "better (99.8%)",
        "better (95%)",
        "similar",
        "worse (95%)",
        "worse (99.8%)",
        "not compared",
    ]
    assert run(intervals, "no_judgement", "both") == [
        "higher (99.8%)",
        "higher (95%)",
        "similar",
        "lower (95%)",
        "lower (99.8%)",
        "not compared",
    ]


def test_missing_value_or_limit_is_not_compared():
    result = compare([np.nan, 10, 10], [1, np.nan, 9], [2, 12, 11], 5, "high_is_good")
    assert result.tolist() == ["not compared", "not compared", "better"]


def test_polarity_per_row_and_fingertips_names():
    result = compare(
        [10, 10, 10], [9, 9, 9], [11, 11, 11], [5, 5, 5], ["RAG - High is good", "RAG - Low is good", "BOB - Blue orange blue"]
    )
    assert result.tolist() == ["better", "worse", "higher"]


def test_unknown_polarity_is_named():
    with pytest.raises(ValueError, match="'up is good'"):
        compare([1], [0], [2], [1], "up is good")


def test_polarity_as_categorical_reads_the_categories_in_use():
    """A categorical polarity (as the store holds it) is read by category: a category no row uses need not be one."""
    polarity = pd.Categorical(
        ["RAG - High is good", "low_is_good", "no_judgement"],
        categories=["RAG - High is good", "low_is_good", "no_judgement", "up"],
    )
    expected = ["better", "worse", "higher"]
    assert compare([10, 10, 10], [9, 9, 9], [11, 11, 11], 5, pd.Series(polarity)).tolist() == expected
    with pytest.raises(ValueError, match="'up'"):
        compare([10, 10], [9, 9], [11, 11], 5, pd.Categorical(["up", "low_is_good"]))
    with pytest.raises(ValueError, match="missing"):
        compare([10, 10], [9, 9], [11, 11], 5, pd.Categorical(["low_is_good", None]))


def test_both_levels_agree_with_the_rule_row_by_row_for_every_combination():
    """Every arrangement of the two intervals about the benchmark (including reversed, infinite and missing limits),
    for each polarity, against the rule written out for one row."""
    limits = [np.nan, -np.inf, 0.0, 1.0, 2.0, np.inf]
    grid = np.array(np.meshgrid(limits, limits, limits, limits)).reshape(4, -1)
    names = {"high_is_good": ("better", "worse"), "low_is_good": ("worse", "better"), "no_judgement": ("higher", "lower")}

    def one_row(lower95, upper95, lower998, upper998, up, down):
        if np.isnan([lower95, upper95, lower998, upper998]).any():
            return "not compared"
        for lower, upper, level in ((lower998, upper998, "99.8%"), (lower95, upper95, "95%")):
            if lower > 1 or upper < 1:
                return f"{up if lower > 1 else down} ({level})"
        return "similar"

    for polarity, (up, down) in names.items():
        result = compare(np.ones(grid.shape[1]), grid[0], grid[1], 1.0, polarity, grid[2], grid[3], level="both")
        assert result.tolist() == [one_row(*column, up, down) for column in grid.T], polarity


def test_result_is_categorical_on_the_input_index(intervals):
    result = compare(intervals["value"], intervals["lower95"], intervals["upper95"], intervals["benchmark"], "high_is_good")
    assert isinstance(result.dtype, pd.CategoricalDtype)
    assert list(result.index) == list("abcdef")


def test_quintiles_rank_best_to_worst_by_polarity():
    values = np.arange(1.0, 11.0)
    high = quintiles(values, "high_is_good")
    assert high["quintile"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert high["quintile_label"].tolist()[::2] == ["worst", "worse", "middle", "better", "best"]
    low = quintiles(values, "low_is_good")
    assert low["quintile"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    neutral = quintiles(values, "no_judgement")
    assert neutral["quintile_label"].tolist()[::2] == ["lowest", "low", "middle", "high", "highest"]


def test_quintiles_ties_share_a_quintile_and_missing_gets_none():
    result = quintiles([3, 3, 3, 3, 1, 9, np.nan], "low_is_good")
    assert result["quintile"].iloc[:4].nunique() == 1
    assert result["quintile"].iloc[4] == 1 and result["quintile"].iloc[5] == 5
    assert result["quintile"].isna().tolist() == [False] * 6 + [True]


def test_quintiles_within_peer_groups():
    values = [1, 2, 3, 4, 5, 100, 200]
    groups = ["a"] * 5 + ["b"] * 2
    result = quintiles(values, "no_judgement", groups=groups)
    assert result["quintile"].tolist() == [1, 2, 3, 4, 5, 2, 4]


def test_rag_colours_are_fingertips_colours(intervals):
    colours = rag_colour(
        compare(intervals["value"], intervals["lower95"], intervals["upper95"], intervals["benchmark"], "high_is_good")
    )
    assert colours.tolist() == ["#92D050", "#92D050", "#FFC000", "#C00000", "#C00000", "#FFFFFF"]
    neutral = rag_colour(
        compare(intervals["value"], intervals["lower95"], intervals["upper95"], intervals["benchmark"], "no_judgement")
    )
    assert neutral.tolist()[0] == COLOURS["higher"] and neutral.tolist()[-2] == "#5555E6"
    with pytest.raises(ValueError, match="no colour"):
        rag_colour(["splendid"])
