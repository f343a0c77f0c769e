"""The population adapter: single-year estimates → ESP bands, IoD denominators, failure modes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire" / "lsoa11"
needs_bundle = pytest.mark.skipif(not BUNDLE.is_dir(), reason="the Warwickshire bundle is not present")
BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]


def problems(extract):
    return [(p.file, p.row, p.column, p.reason) for p in extract.report]


def fixture_row(name, code):
    with open(FIXTURES / name, newline="") as f:
        return next(r for r in csv.DictReader(f) if code in r.values())


def test_single_years_summed_into_esp_bands():
    e = sources.read("population", FIXTURES / "population_syoa.csv", {"period": "2020", "dataset": "ons-sape-mid2020"})
    f = e.frame[e.frame["area_code"] == "E01031005"].set_index("age")
    raw = fixture_row("population_syoa.csv", "E01031005")
    assert list(f.index) == ["All ages"] + BANDS
    assert f.loc["All ages", "value"] == int(raw["total_population"])
    assert f.loc["0-4", "value"] == sum(int(raw[str(a)]) for a in range(5))
    assert f.loc["85-89", "value"] == sum(int(raw[str(a)]) for a in range(85, 90))
    assert f.loc["90+", "value"] == int(raw["90+"])
    assert (f["numerator"] == f["value"]).all()
    assert (f["indicator_id"] == "population").all() and (f["vintage"] == "2011").all() and (f["area_type"] == "lsoa").all()
    assert (f[ROW] == 2).all() and f["period_sort"].iloc[0] == 20200000


def test_total_disagreeing_with_single_years_is_reported():
    e = sources.read("population", FIXTURES / "population_syoa.csv", {"period": "2020"})
    raw = fixture_row("population_syoa.csv", "E01031007")
    years = sum(int(raw[a]) for a in [str(a) for a in range(90)] + ["90+"])
    assert problems(e) == [
        (
            "population_syoa.csv",
            4,
            "total_population",
            f"single years of age sum to {years}, not the total {int(raw['total_population'])}",
        )
    ]


def test_official_sape_layout():
    e = sources.read(
        "population",
        FIXTURES / "population_sape_official.csv",
        {"period": "2021", "vintage": "2021", "indicator": "population_2021"},
    )
    assert e.report.ok
    assert set(e.frame["indicator_id"]) == {"population_2021"} and (e.frame["vintage"] == "2021").all()
    assert len(e.frame) == 20


def test_file6_denominators_need_declared_thousands():
    bad = sources.read("population", FIXTURES / "population_file6.csv", {"period": "2015"})
    assert problems(bad) == [
        (
            "population_file6.csv",
            2,
            "Total population: mid 2015 (excluding prisoners)",
            "unparseable number '1,296' (declare thousands=',' if intended)",
        ),
        (
            "population_file6.csv",
            3,
            "Total population: mid 2015 (excluding prisoners)",
            "unparseable number '1,504' (declare thousands=',' if intended)",
        ),
    ]
    e = sources.read("population", FIXTURES / "population_file6.csv", {"period": "2015", "thousands": ","})
    assert e.report.ok
    f = e.frame[e.frame["area_code"] == "E01031005"].set_index("age")["value"]
    assert f.to_dict() == {"All ages": 1296, "0-15": 273, "16-59": 695, "60+": 328, "18-59/64": 781}


def test_missing_single_year_column():
    e = sources.read("population", FIXTURES / "population_missing_age.csv", {"period": "2020"})
    assert problems(e) == [("population_missing_age.csv", 1, "37", "missing required column '37'")]


def test_unknown_header_variant_and_missing_period():
    e = sources.read("population", FIXTURES / "population_unknown_header.csv", {"period": "2020"})
    assert len(e.report) == 1 and e.report.problems[0].reason.startswith("unknown header variant")
    e = sources.read("population", FIXTURES / "population_syoa.csv")
    assert problems(e) == [
        ("population_syoa.csv", None, None, "option 'period' is required (the estimates' reference year, e.g. \"2020\")")
    ]


@needs_bundle
def test_real_mid2020_totals():
    e = sources.read("population", BUNDLE / "population_mid2020_syoa_lsoa11.csv", {"period": "2020"})
    assert e.report.ok and len(e.frame) == 339 * 20
    f = e.frame
    assert f.loc[f["age"] == "All ages", "value"].sum() == 583786  # PROVENANCE: Warwickshire total
    assert f.loc[f["age"] != "All ages", "value"].sum() == 583786
    assert f.loc[(f["area_code"] == "E01031005") & (f["age"] == "All ages"), "value"].item() == 1487


@needs_bundle
def test_real_file6():
    e = sources.read(
        "population", BUNDLE / "iod2019_file6_population_denominators_mid2015_lsoa11.csv", {"period": "2015", "thousands": ","}
    )
    assert e.report.ok and len(e.frame) == 339 * 5
    assert e.frame.loc[(e.frame["area_code"] == "E01031005") & (e.frame["age"] == "All ages"), "value"].item() == 1380


@pytest.mark.skipif(not (BUNDLE.parent / "lsoa21").is_dir(), reason="the Warwickshire bundle is not present")
def test_one_total_per_area_from_a_long_census_table():
    path = BUNDLE.parent / "lsoa21" / "census2021_ethnicity_lsoa21.csv"
    e = sources.read("population", path, {"period": "2021", "total_column": "total_residents", "indicator": "residents"})
    assert e.report.ok
    assert len(e.frame) == 354 and set(e.frame["age"]) == {"All ages"} and set(e.frame["vintage"]) == {"2021"}
    assert e.frame["value"].sum() == 596_762  # Census 2021 residents of the county (PROVENANCE.md)


def test_totals_that_disagree_within_an_area_are_reported(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("lsoa21_code,total_residents,group,n\nE01031005,1614,a,4\nE01031005,1615,b,5\nE01031006,900,a,1\n")
    e = sources.read("population", path, {"period": "2021", "total_column": "total_residents"})
    assert [(p.row, p.column, p.code) for p in e.report] == [(2, "total_residents", "total-mismatch")]
