"""The Fingertips adapter: the eight real exports in all three header variants, and each failure mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire" / "fingertips"
needs_bundle = pytest.mark.skipif(not BUNDLE.is_dir(), reason="the Warwickshire bundle is not present")

# rows per file, from PROVENANCE.md
ROWS = {
    "ons_sdg_391_93861_pm25_mortality_fraction_new_method.csv": 81,
    "ons_sdg_391_30101_pm25_mortality_fraction_old_method.csv": 41,
    "ons_sdg_351_93532_dependent_drinkers_not_in_treatment.csv": 3,
    "ons_sdg_351_93517_opiate_crack_users_not_in_treatment.csv": 3,
    "campylobacter_93356_countyua_2015_2017.csv": 70,
    "cyp_mental_health_countyua_west_midlands_export.csv": 20,
    "suicide_countyua_west_midlands_export.csv": 10,
    "tobacco_control_utla_2019_west_midlands_export.csv": 14,
}


def problems(extract):
    return [(p.file, p.row, p.column, p.reason) for p in extract.report]


def row(frame, **match):
    sel = frame
    for k, v in match.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{len(sel)} rows match {match}"
    return sel.iloc[0]


@needs_bundle
@pytest.mark.parametrize("name, n", sorted(ROWS.items()))
def test_real_exports_read_without_problems(name, n):
    e = sources.read("fingertips", BUNDLE / name)
    assert e.report.ok, str(e.report)
    assert len(e.frame) == n
    assert set(e.frame["area_code"]) <= {
        "E92000001",
        "E10000031",
        "E07000218",
        "E07000219",
        "E07000220",
        "E07000221",
        "E07000222",
    }
    assert e.frame["period_sort"].gt(20100000).all()


@needs_bundle
def test_standard_header_with_quoted_newline_and_short_rows():
    e = sources.read(
        "fingertips",
        BUNDLE / "campylobacter_93356_countyua_2015_2017.csv",
        {"indicators": {93356: "campylobacter_rate"}, "dataset": "ohid-fingertips-health-protection"},
    )
    r = row(e.frame, area_code="E10000031", period="2015", age="All ages")
    assert r["indicator_id"] == "campylobacter_rate" and r["area_type"] == "county"
    assert r["value"] == pytest.approx(88.4473341251476)
    assert (r["numerator"], r["denominator"]) == (490, 554002)
    assert r["lower95"] == pytest.approx(80.7883582156122) and r["upper95"] == pytest.approx(96.636683196973)
    assert r[ROW] == 46  # each record spans two lines: the name ends in a quoted line break
    assert r["dataset_id"] == "ohid-fingertips-health-protection"
    england = e.frame[(e.frame["area_code"] == "E92000001") & (e.frame["category"] != "")]
    assert england["category"].iloc[0] == ("County & UA deprivation deciles in England (IMD2015): Most deprived decile (IMD2015)")
    assert row(e.frame, area_code="E10000031", period="2015", age="0-9 yrs")["value"] == pytest.approx(120.9303787)


@needs_bundle
def test_r_write_csv_variant():
    e = sources.read("fingertips", BUNDLE / "ons_sdg_391_93861_pm25_mortality_fraction_new_method.csv")
    r = row(e.frame, area_code="E07000221", period="2018")
    assert r["indicator_id"] == "fingertips_93861" and r["area_type"] == "district"
    assert r["value"] == pytest.approx(6.42534376877121)
    assert np.isnan(r["lower95"]) and np.isnan(r["numerator"])
    assert r["age"] == "30+ yrs" and r["category"] == "" and r["value_note"] == ""
    assert r[ROW] == 26
    old = sources.read("fingertips", BUNDLE / "ons_sdg_391_30101_pm25_mortality_fraction_old_method.csv")
    assert row(old.frame, area_code="E10000031", period="2017")["value"] == pytest.approx(5.012355454)


@needs_bundle
def test_compact_variant_and_value_notes():
    e = sources.read("fingertips", BUNDLE / "cyp_mental_health_countyua_west_midlands_export.csv")
    r = row(e.frame, indicator_id="fingertips_91871", area_code="E10000031")
    assert r["value"] == pytest.approx(2.22645474845659) and (r["numerator"], r["denominator"]) == (1017, 45678)
    assert r["age"] == "Primary school age" and r["period"] == "2018" and r[ROW] == 21
    england = row(e.frame, indicator_id="fingertips_91146", area_code="E92000001")
    assert np.isnan(england["value"]) and england["numerator"] == pytest.approx(813128.352)
    assert england["value_note"] == "Value estimated"
    suicide = sources.read("fingertips", BUNDLE / "suicide_countyua_west_midlands_export.csv")
    s = row(suicide.frame, indicator_id="fingertips_41001", area_code="E10000031")
    assert (s["sex"], s["period"], s["period_sort"]) == ("Male", "2015 - 17", 20150000)


@needs_bundle
def test_all_quoted_variant_with_areaname_and_parent_comparison():
    e = sources.read(
        "fingertips",
        BUNDLE / "tobacco_control_utla_2019_west_midlands_export.csv",
        {"indicators": {"92304": "smoking_prevalence_gpps"}},
    )
    r = row(e.frame, indicator_id="smoking_prevalence_gpps", area_code="E10000031")
    assert r["value"] == pytest.approx(13.54) and r["lower95"] == pytest.approx(12.7793)
    assert np.isnan(r["numerator"]) and r["denominator"] == 7770
    assert r["period"] == "2019/20" and r["area_type"] == "county"
    assert set(e.frame["indicator_id"]) - {"smoking_prevalence_gpps"} == {
        "fingertips_92443",
        "fingertips_92534",
        "fingertips_92538",
        "fingertips_92306",
        "fingertips_92308",
        "fingertips_91547",
    }


@needs_bundle
def test_unmapped_drop_and_area_filter():
    e = sources.read(
        "fingertips",
        BUNDLE / "tobacco_control_utla_2019_west_midlands_export.csv",
        {"indicators": {92443: "smoking_prevalence_aps"}, "unmapped": "drop", "areas": ["E10000031"]},
    )
    assert e.frame[["indicator_id", "area_code"]].values.tolist() == [["smoking_prevalence_aps", "E10000031"]]


def test_bad_numbers_reported_at_the_record_start_line():
    e = sources.read("fingertips", FIXTURES / "fingertips_bad_numbers.csv")
    assert sorted(problems(e)) == [
        ("fingertips_bad_numbers.csv", 4, "Count", "unparseable number '1,296' (declare thousands=',' if intended)"),
        ("fingertips_bad_numbers.csv", 4, "Value", "unparseable number 'abc'"),
    ]
    sup = row(e.frame, age="0-9 yrs")
    assert sup["value_note"] == "suppressed" and np.isnan(sup["value"]) and sup[ROW] == 6
    assert len(e.frame) == 3


def test_missing_required_column_in_the_files_own_spelling():
    e = sources.read("fingertips", FIXTURES / "fingertips_missing_area_code.csv")
    assert problems(e) == [("fingertips_missing_area_code.csv", 1, "Area Code", "missing required column 'Area Code'")]
    dotted = sources.read("fingertips", FIXTURES / "fingertips_missing_dotted.csv")
    assert problems(dotted) == [("fingertips_missing_dotted.csv", 1, "Time.period", "missing required column 'Time.period'")]


def test_unknown_header_variant():
    e = sources.read("fingertips", FIXTURES / "fingertips_unknown_header.csv")
    assert len(e.report) == 1
    p = e.report.problems[0]
    assert (p.file, p.row, p.column) == ("fingertips_unknown_header.csv", 1, None)
    assert p.reason.startswith("unknown header variant: expected a Fingertips export")
    assert e.frame.empty
