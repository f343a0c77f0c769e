"""The Indices of Deprivation adapter: official and renamed headers, scale, selection, failure modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW
from observatory.ingest.adapters.deprivation import concept

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire"
needs_bundle = pytest.mark.skipif(not BUNDLE.is_dir(), reason="the Warwickshire bundle is not present")


def problems(extract):
    return [(p.file, p.row, p.column, p.reason) for p in extract.report]


def value(frame, indicator, code):
    sel = frame[(frame["indicator_id"] == indicator) & (frame["area_code"] == code)]
    assert len(sel) == 1
    return sel.iloc[0]


@pytest.mark.parametrize(
    "column, expected",
    [
        ("Index of Multiple Deprivation (IMD) Score", "imd_score"),
        ("Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)", "imd_rank"),
        ("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)", "imd_decile"),
        ("Income Score (rate)", "income_score"),
        ("Income Domain Score", "income_score"),
        ("Employment Score (rate)", "employment_score"),
        ("Education, Skills and Training Score", "education_score"),
        ("Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)", "health_decile"),
        ("Barriers to Housing and Services Score", "housing_services_score"),
        ("Living Environment Rank (where 1 is most deprived)", "environment_rank"),
        ("Income Deprivation Affecting Children Index (IDACI) Score (rate)", "idaci_score"),
        ("IDACI Score", "idaci_score"),
        ("Income Deprivation Affecting Older People (IDAOPI) Score (rate)", "idaopi_score"),
        ("Children and Young People Sub-domain Score", "education_cyp_score"),
        ("Adult Skills Sub-domain Decile (where 1 is most deprived 10% of LSOAs)", "adult_skills_decile"),
        ("Outdoors Sub-domain Score", "outdoors_score"),
        ("overall_local_score", "imd_score"),
        ("original_decile", "imd_decile"),
        ("income_score", "income_score"),
        ("IMD_score", "imd_score"),
        ("Housing_and_Services_decile", "housing_services_decile"),
        ("Housing_and_Access_rank", "housing_services_rank"),
        ("children_and_young_people_score", "education_cyp_score"),
        ("UK_IMD_E_score", None),
        ("E_expanded_decile", None),
        ("income_domain_numerator", None),
        ("connectivity_score", None),
        ("LSOA code (2011)", None),
    ],
)
def test_concepts(column, expected):
    assert concept(column) == expected


def test_official_file():
    e = sources.read("deprivation", FIXTURES / "deprivation_good_official.csv", {"period": "2019", "dataset": "mhclg-iod2019"})
    assert e.report.ok, str(e.report)
    f = e.frame
    assert sorted(set(f["indicator_id"])) == sorted(
        [
            "imd_score",
            "imd_rank",
            "imd_decile",
            "income_score",
            "income_rank",
            "education_score",
            "idaci_score",
            "idaopi_score",
            "education_cyp_score",
        ]
    )
    r = value(f, "income_score", "E01031006")
    assert r["value"] == 0.162 and r[ROW] == 3
    assert (r["period"], r["period_sort"], r["vintage"], r["area_type"]) == ("2019", 20190000, "2011", "lsoa")
    assert value(f, "imd_decile", "E01031005")["value"] == 4
    assert (f["dataset_id"] == "mhclg-iod2019").all() and (f["sex"] == "Persons").all() and (f["age"] == "All ages").all()


def test_selection_with_renamed_ids_and_extra_columns():
    e = sources.read(
        "deprivation",
        FIXTURES / "deprivation_good_official.csv",
        {
            "period": "2019",
            "indicators": {"imd_score": "imd", "idaci_score": "idaci"},
            "columns": {"LSOA name (2011)": "name_as_number"},
        },
    )
    assert sorted(set(e.frame["indicator_id"])) == ["idaci", "imd"]
    assert [(p.row, p.column, p.reason) for p in e.report][:1] == [
        (2, "LSOA name (2011)", "unparseable number 'North Warwickshire 005A'")
    ]


def test_percent_scores_are_divided_and_required():
    opts = {"period": "2019", "vintage": "2011", "indicators": ["imd_score", "income_score", "employment_score"]}
    e = sources.read("deprivation", FIXTURES / "deprivation_percent.csv", {**opts, "percent_scores": True})
    assert e.report.ok
    assert value(e.frame, "income_score", "E01031005")["value"] == 0.151
    assert value(e.frame, "employment_score", "E01031006")["value"] == 0.13
    assert value(e.frame, "imd_score", "E01031005")["value"] == 25.887  # not a rate domain: unchanged
    bad = sources.read("deprivation", FIXTURES / "deprivation_percent.csv", opts)
    assert problems(bad) == [
        (
            "deprivation_percent.csv",
            2,
            "income_score",
            "income_score above 1 (15.1) in 2 rows: a percentage? set percent_scores: true",
        ),
        (
            "deprivation_percent.csv",
            2,
            "employment_score",
            "employment_score above 1 (11.6) in 2 rows: a percentage? set percent_scores: true",
        ),
    ]


def test_bad_numbers_deciles_and_empty_cells():
    e = sources.read("deprivation", FIXTURES / "deprivation_bad_numbers.csv", {"period": "2025"})
    assert problems(e) == [
        ("deprivation_bad_numbers.csv", 3, "IMD_score", "unparseable number 'abc'"),
        ("deprivation_bad_numbers.csv", 4, "IMD_score", "unparseable number '1,296' (declare thousands=',' if intended)"),
        ("deprivation_bad_numbers.csv", 3, "IMD_decile", "decile outside 1–10"),
    ]
    scores = e.frame[e.frame["indicator_id"] == "imd_score"]
    assert scores["area_code"].tolist() == ["E01031005"]  # empty cell: no row; bad cells: no row
    assert (e.frame["vintage"] == "2021").all()


def test_missing_code_column_and_period():
    e = sources.read("deprivation", FIXTURES / "deprivation_missing_code.csv")
    assert problems(e) == [
        (
            "deprivation_missing_code.csv",
            1,
            "LSOA code (2011)",
            "missing required column 'LSOA code (2011)' (or lsoa11_code, lsoa21_code, lsoa)",
        ),
        ("deprivation_missing_code.csv", None, None, "option 'period' is required (the Indices' edition, e.g. \"2019\")"),
    ]


def test_unknown_header_variant_and_missing_selected_concept():
    e = sources.read("deprivation", FIXTURES / "deprivation_unknown_header.csv", {"period": "2019"})
    assert len(e.report) == 1 and e.report.problems[0].reason.startswith("unknown header variant")
    sel = sources.read("deprivation", FIXTURES / "deprivation_percent.csv", {"period": "2019", "indicators": ["crime_score"]})
    assert problems(sel) == [("deprivation_percent.csv", 1, None, "no column for 'crime_score' in this file")]


def test_vintage_option_must_agree_with_the_code_column():
    e = sources.read("deprivation", FIXTURES / "deprivation_good_official.csv", {"period": "2019", "vintage": "2021"})
    assert problems(e) == [
        ("deprivation_good_official.csv", 1, "LSOA code (2011)", "option vintage '2021' contradicts column 'LSOA code (2011)'")
    ]


@needs_bundle
def test_mysociety_scores_match_file7_income_exactly():
    scores = sources.read(
        "deprivation",
        BUNDLE / "lsoa11/iod2019_imd_income_employment_scores_lsoa11.csv",
        {"period": "2019", "percent_scores": True, "indicators": ["income_score"]},
    ).frame
    official = sources.read(
        "deprivation",
        BUNDLE / "lsoa11/iod2019_income_idaci_idaopi_scores_lsoa11.csv",
        {"period": "2019", "indicators": ["income_score"]},
    ).frame
    assert len(scores) == len(official) == 339
    merged = scores.merge(official, on="area_code")
    assert (merged["value_x"] == merged["value_y"]).all()


@needs_bundle
def test_iod2025_domains_on_lsoa21():
    e = sources.read("deprivation", BUNDLE / "lsoa21/iod2025_domains_scores_ranks_deciles_lsoa21.csv", {"period": "2025"})
    assert e.report.ok and len(e.frame) == 354 * 24
    r = value(e.frame, "imd_score", "E01031005")
    assert r["value"] == 31.728 and r["vintage"] == "2021" and r[ROW] == 2
    assert value(e.frame, "income_score", "E01031006")["value"] == 0.246
