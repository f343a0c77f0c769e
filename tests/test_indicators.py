"""Indicator metadata (indicators.csv): the declared table checks, one failure mode each, with its code, row and column."""

from __future__ import annotations

from io import StringIO

import pandas as pd
import pytest

from observatory._core.vocab import FREQUENCIES
from observatory.errors import ValidationError
from observatory.metadata.indicators import indicator, read_indicators, validate_indicators

HEADER = "id,title,theme,unit,value_type,multiplier,polarity,dataset,frequency,definition"
GOOD = [
    "smoking,Adults who smoke,healthier_communities_older_people,%,proportion,100,low_is_good,mini-survey,annual,Smokers",
    "crime,Recorded crime,safer_communities,per 1000,crude_rate,1000,low_is_good,mini-police,annual,All crime",
]


def _table(*rows: str, header: str = HEADER) -> pd.DataFrame:
    return pd.read_csv(StringIO("\n".join([header, *rows]) + "\n"), dtype=str, keep_default_na=False)


def test_a_good_table_has_no_problems():
    assert validate_indicators(_table(*GOOD)).problems == []


FAILURES = {
    # name: (second row, code, column, words in the reason)
    "unknown theme": (GOOD[1].replace("safer_communities", "safety"), "unknown-theme", "theme", ["crime", "'safety'"]),
    "unknown value type": (GOOD[1].replace("crude_rate", "rate"), "unknown-value-type", "value_type", ["'rate' is not one of"]),
    "unknown polarity": (GOOD[1].replace("low_is_good", "lower"), "unknown-polarity", "polarity", ["'lower'"]),
    "unknown frequency": (GOOD[1].replace(",annual,", ",yearly,"), "unknown-frequency", "frequency", ["'yearly'"]),
    "zero multiplier": (GOOD[1].replace(",1000,", ",0,"), "bad-multiplier", "multiplier", ["'0' is not a positive number"]),
    "text multiplier": (GOOD[1].replace(",1000,", ",lots,"), "bad-multiplier", "multiplier", ["'lots'"]),
    "empty title": (GOOD[1].replace("Recorded crime", ""), "empty-value", "title", ["indicator crime", "title is empty"]),
    "duplicate id": (GOOD[0], "duplicate-indicator", "id", ["'smoking' is defined more than once"]),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_each_failure_has_its_code_row_and_column(name):
    row, code, column, words = FAILURES[name]
    report = validate_indicators(_table(GOOD[0], row), "indicators.csv")
    hits = [p for p in report if p.code == code]
    assert hits, f"expected {code!r}; got:\n{report}"
    (p,) = hits
    assert (p.file, p.row, p.column) == ("indicators.csv", 3, column)
    assert all(w in p.reason for w in words), p.reason


def test_every_problem_is_collected_at_once():
    bad = GOOD[1].replace("safer_communities", "safety").replace("low_is_good", "lower")
    assert validate_indicators(_table(GOOD[0], bad)).codes == {"unknown-theme", "unknown-polarity"}


def test_missing_columns_are_reported_each():
    report = validate_indicators(_table("x,y", header="id,title"))
    assert report.codes == {"missing-column"}
    assert {p.column for p in report} == {"theme", "unit", "value_type", "multiplier", "polarity", "dataset", "frequency"}


def test_unknown_aggregation():
    report = validate_indicators(_table(GOOD[0] + ",average", header=HEADER + ",aggregation"))
    assert report.codes == {"unknown-aggregation"}


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_indicator_frequencies_are_the_one_vocabulary(frequency):
    assert validate_indicators(_table(GOOD[0].replace(",annual,", f",{frequency},"))).problems == []


def test_read_indicators_raises_with_the_report_and_defaults_aggregation(tmp_path):
    path = tmp_path / "indicators.csv"
    path.write_text("\n".join([HEADER, *GOOD]) + "\n")
    frame = read_indicators(path)
    assert frame.loc["smoking", "multiplier"] == 100.0 and frame.loc["crime", "aggregation"] == "sum"
    assert indicator(frame, "crime").theme_title
    path.write_text("\n".join([HEADER, GOOD[0], GOOD[1].replace("crude_rate", "rate")]) + "\n")
    with pytest.raises(ValidationError) as e:
        read_indicators(path)
    assert e.value.report.codes == {"unknown-value-type"}
