"""Polarity and "not compared" agree with the publisher: every Fingertips export in the Warwickshire bundle, row by
row, compared with England in the workbench's words and in Fingertips' own ("Compared to England value or
percentiles")."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from observatory._core.vocab import Polarity
from observatory.config import load_config
from observatory.ingest.adapters.fingertips import POLARITY_NAMES, check_indicators, published_comparisons, source_judgements
from observatory.ingest.pipeline import ingest
from observatory.metadata.indicators import read_indicators, validate_indicators
from observatory.profiles.table import benchmark_comparison, compute_profiles
from observatory.store import Store

CONFIG = Path(__file__).resolve().parents[1] / "data" / "warwickshire"
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire"
pytestmark = pytest.mark.skipif(not BUNDLE.is_dir(), reason="the Warwickshire bundle is not present")
FINGERTIPS = [s for s in yaml.safe_load((CONFIG / "sources.yaml").read_text()) if s["adapter"] == "fingertips"]


@pytest.fixture(scope="module")
def indicators():
    return read_indicators(CONFIG / "indicators.csv")


def _published(spec) -> pd.DataFrame:
    return published_comparisons(BUNDLE / spec["file"], {"dataset": spec["dataset"], **(spec.get("options") or {})})


@pytest.fixture(scope="module")
def published():
    return pd.concat([_published(s).assign(source=s["id"]) for s in FINGERTIPS], ignore_index=True)


@pytest.mark.parametrize("spec", FINGERTIPS, ids=[s["id"] for s in FINGERTIPS])
def test_every_published_england_comparison_is_ours_row_by_row(spec, indicators):
    rows = _published(spec)
    rows = rows[(rows["area_code"] != "E92000001") & (rows["compared_to_england"] != "")]
    assert len(rows), "the export has Warwickshire rows compared with England"
    meta = indicators.loc[rows["indicator_id"], ["polarity", "comparison", "value_type"]].set_index(rows.index)
    ours = benchmark_comparison(pd.concat([rows, meta], axis=1), "england_value")
    disagree = rows.assign(ours=ours)[ours != rows["compared_to_england"].to_numpy()]
    assert disagree.empty, disagree[["indicator_id", "area_code", "period", "age", "compared_to_england", "ours"]].to_string()


def test_the_bundle_covers_every_wording(published):
    said = set(published.loc[published["area_code"] != "E92000001", "compared_to_england"])
    assert {"better", "similar", "higher", "not compared"} <= said


def test_indicator_metadata_agrees_with_the_sources_judgements(published, indicators):
    judgements = source_judgements(published)
    assert judgements.loc["self_harm_admissions_10_24", "polarity"] == "no_judgement"
    assert judgements.loc["campylobacter_rate", "polarity"] == "low_is_good"
    assert judgements.loc["ex_smokers_gpps", "comparison"] == "not_compared"
    report = check_indicators(indicators, judgements)
    assert report.ok, str(report)


def test_a_judged_polarity_where_the_source_says_higher_is_reported(published, indicators):
    wrong = indicators.copy()
    wrong.loc["self_harm_admissions_10_14", "polarity"] = "low_is_good"  # what the workbench used to say
    wrong.loc["campylobacter_rate", "polarity"] = "high_is_good"
    report = check_indicators(wrong, source_judgements(published))
    assert report.codes == {"polarity-disagrees-with-source"} and len(report) == 2
    assert {p.reason.split(":")[0] for p in report} == {"indicator self_harm_admissions_10_14", "indicator campylobacter_rate"}


def test_comparisons_made_where_the_source_makes_none_are_reported(published, indicators):
    wrong = indicators.copy()
    wrong.loc["ex_smokers_aps", "comparison"] = "ci_overlap"
    report = check_indicators(wrong, source_judgements(published))
    assert report.codes == {"comparison-disagrees-with-source"} and len(report) == 1


def test_not_compared_indicators_are_never_compared():
    frame = pd.DataFrame(
        {
            "value": [30.0, 30.0],
            "lower95": [29.0, 29.0],
            "upper95": [31.0, 31.0],
            "england_value": [20.0, 20.0],
            "polarity": ["no_judgement"] * 2,
            "comparison": ["ci_overlap", "not_compared"],
            "value_type": ["proportion"] * 2,
        }
    )
    assert list(benchmark_comparison(frame, "england_value")) == ["higher", "not compared"]


def test_fingertips_api_polarity_names_are_our_polarities():
    assert set(POLARITY_NAMES.values()) <= {p.value for p in Polarity}
    assert POLARITY_NAMES["bob - blue orange blue"] == "no_judgement"


def test_unknown_comparison_method_has_a_code():
    frame = pd.read_csv(CONFIG / "indicators.csv", dtype=str, keep_default_na=False).head(2)
    frame.loc[1, "comparison"] = "quintiles"
    assert set(validate_indicators(frame).codes) == {"unknown-comparison"}


def test_the_profile_tables_say_what_fingertips_says(tmp_path, published):
    """End to end: ingested into a store, through the profile computation, county and district rows as published."""
    cfg = load_config(CONFIG)
    store = Store(tmp_path / "store")
    ingest(cfg, store)
    profiles = compute_profiles(cfg, store, sii_repetitions=50)["profiles"]
    ours = profiles[profiles["area_type"].isin(["county", "district"])]
    theirs = published[(published["area_code"] != "E92000001") & (published["compared_to_england"] != "")]
    both = ours.merge(theirs, on=["indicator_id", "area_code", "period", "sex", "age"], suffixes=("", "_published"))
    assert len(both) >= 60  # every headline row of the exports
    assert (both["vs_england"] == both["compared_to_england"]).all(), both[both["vs_england"] != both["compared_to_england"]]
