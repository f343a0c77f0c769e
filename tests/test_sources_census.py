"""The Census 2021 adapter: categories summed into proportions, checks, failure modes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire" / "lsoa21"
needs_bundle = pytest.mark.skipif(not BUNDLE.is_dir(), reason="the Warwickshire bundle is not present")
SOCIAL = ["Social rented: Rents from council or Local Authority", "Social rented: Other social rented"]


def problems(extract):
    return [(p.file, p.row, p.column, p.reason) for p in extract.report]


def test_listed_categories_are_summed_over_the_total():
    e = sources.read("census", FIXTURES / "census_tenure.csv", {"indicators": {"social_rented": SOCIAL}, "dataset": "ts054"})
    assert e.report.ok
    f = e.frame.set_index("area_code")
    assert f.loc["E01031005", ["numerator", "denominator"]].tolist() == [149, 682]
    assert f.loc["E01031005", "value"] == pytest.approx(149 / 682 * 100)
    assert f.loc["E01031006", ["numerator", "denominator"]].tolist() == [101, 697]
    assert f.loc["E01031005", ROW] == 2 and f.loc["E01031006", ROW] == 6
    assert (f["period"] == "2021").all() and (f["vintage"] == "2021").all() and (f["area_type"] == "lsoa").all()
    assert (f["dataset_id"] == "ts054").all()


def test_default_one_indicator_per_category():
    e = sources.read("census", FIXTURES / "census_tenure.csv")
    assert sorted(set(e.frame["indicator_id"])) == [
        "tenure_owned_owns_outright",
        "tenure_private_rented_private_landlord_or_letting_agency",
        "tenure_social_rented_other_social_rented",
        "tenure_social_rented_rents_from_council_or_local_authority",
    ]
    missing = e.frame[
        (e.frame["indicator_id"] == "tenure_social_rented_other_social_rented") & (e.frame["area_code"] == "E01031006")
    ]
    assert missing["numerator"].isna().all()  # no such category row for that area


def test_counts_over_total_bad_numbers_and_two_totals():
    e = sources.read("census", FIXTURES / "census_bad.csv", {"indicators": {"social_rented": SOCIAL}})
    assert problems(e) == [
        ("census_bad.csv", 4, "n", "unparseable number 'abc'"),
        ("census_bad.csv", 3, "n", "count 700 is greater than the total 682"),
        ("census_bad.csv", 5, "total_households", "area E01031006 has more than one total"),
    ]


def test_unknown_category():
    e = sources.read("census", FIXTURES / "census_tenure.csv", {"indicators": {"council": ["Council rented"]}})
    assert len(e.report) == 1
    p = e.report.problems[0]
    assert (p.row, p.column) == (None, "tenure")
    assert p.reason.startswith("indicator council: category 'Council rented' not found in column 'tenure' (found: Owned")


def test_category_column_cannot_be_guessed():
    e = sources.read("census", FIXTURES / "census_ambiguous.csv")
    assert problems(e) == [
        (
            "census_ambiguous.csv",
            1,
            None,
            "unknown header variant: cannot tell the category column among 'sex', 'age_band'; set option category_column",
        )
    ]
    ok = sources.read("census", FIXTURES / "census_ambiguous.csv", {"category_column": "sex"})
    assert ok.report.ok and ok.frame["indicator_id"].tolist() == ["sex_female"]


def test_missing_total_column():
    e = sources.read("census", FIXTURES / "census_missing_total.csv")
    assert problems(e) == [("census_missing_total.csv", 1, "total_households", "missing required column 'total_households'")]


@needs_bundle
def test_real_household_deprivation_two_or_more_dimensions():
    cats = [
        "Household is deprived in two dimensions",
        "Household is deprived in three dimensions",
        "Household is deprived in four dimensions",
    ]
    e = sources.read("census", BUNDLE / "census2021_household_deprivation_lsoa21.csv", {"indicators": {"deprived_2plus": cats}})
    assert e.report.ok and len(e.frame) == 354
    raw = pd.read_csv(BUNDLE / "census2021_household_deprivation_lsoa21.csv")
    assert e.frame["denominator"].sum() == 253279  # PROVENANCE: county households
    assert e.frame["numerator"].sum() == raw.loc[raw["deprivation_dimensions"].isin(cats), "n"].sum()
