"""The generic tidy adapter: good CSV/XLSX files and each failure mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from observatory._core.vocab import VALUE_COLUMNS
from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def problems(extract):
    return [(p.file, p.row, p.column, p.reason) for p in extract.report]


def test_good_file_defaults_markers_and_period_sort():
    e = sources.read("tidy", FIXTURES / "tidy_good.csv", {"dataset": "demo-survey", "vintage": "2011"})
    assert e.report.ok
    f = e.frame.set_index("area_code")
    assert list(e.frame.columns) == [c for c in VALUE_COLUMNS if c in e.frame.columns] + [ROW]
    assert f.loc["E01031005", ["numerator", "denominator", "value", "lower95", "upper95"]].tolist() == [12, 100, 12.0, 6.9, 19.9]
    assert f.loc["E01031005", "age"] == "18+ yrs"
    assert f.loc["E01031006", ["sex", "age", "category"]].tolist() == ["Persons", "All ages", ""]
    assert f.loc["E01031006", "value_note"] == "suppressed" and np.isnan(f.loc["E01031006", "numerator"])
    assert f.loc["E01031007", "value_note"] == "suppressed"
    assert f.loc["E01031008", "category"] == "Routine and manual"
    assert np.isnan(f.loc["E01031009", ["numerator", "denominator", "value"]].astype(float)).all()
    assert f.loc["E01031009", "value_note"] == ""
    assert f.loc["E01031010", "value_note"] == "estimate withheld"  # a given note is kept
    assert f["period_sort"].tolist() == [20190000, 20190000, 20150000, 20240300, 20240700, 20240300]
    assert (f["area_type"] == "lsoa").all() and (f["vintage"] == "2011").all()
    assert (f["dataset_id"] == "demo-survey").all() and (f["source_file"] == "tidy_good.csv").all()
    assert e.frame[ROW].tolist() == [2, 3, 4, 5, 6, 7]


def test_missing_required_column():
    e = sources.read("tidy", FIXTURES / "tidy_missing_column.csv")
    assert problems(e) == [("tidy_missing_column.csv", 1, "area_code", "missing required column 'area_code'")]
    assert e.frame.empty


def test_unparseable_thousands_unless_declared():
    e = sources.read("tidy", FIXTURES / "tidy_thousands.csv")
    assert sorted(problems(e)) == [
        ("tidy_thousands.csv", 2, "denominator", "unparseable number '1,296' (declare thousands=',' if intended)"),
        ("tidy_thousands.csv", 2, "value", "unparseable number '1,296' (declare thousands=',' if intended)"),
        ("tidy_thousands.csv", 4, "value", "unparseable number '12,345.5' (declare thousands=',' if intended)"),
    ]
    ok = sources.read("tidy", FIXTURES / "tidy_thousands.csv", {"thousands": ","})
    assert ok.report.ok
    assert ok.frame["value"].tolist() == [1296.0, 987.0, 12345.5]


def test_bad_numbers_and_periods_all_reported_with_rows():
    e = sources.read("tidy", FIXTURES / "tidy_bad_number.csv")
    assert problems(e) == [
        ("tidy_bad_number.csv", 3, "value", "unparseable number 'abc'"),
        ("tidy_bad_number.csv", 4, "value", "unparseable number '1.2.3'"),
        ("tidy_bad_number.csv", 5, "period", "cannot derive period_sort from period 'whenever'; add a period_sort column"),
    ]
    assert e.frame["area_code"].tolist() == ["E01031005", "E01031006", "E01031007"]


def test_unknown_header_variant():
    e = sources.read("tidy", FIXTURES / "tidy_unknown_header.csv")
    assert len(e.report) == 1
    p = e.report.problems[0]
    assert (p.file, p.row, p.column) == ("tidy_unknown_header.csv", 1, None)
    assert p.reason.startswith("unknown header variant")


def test_columns_rename_and_constants():
    opts = {"columns": {"geo": "area_code", "val": "value"}, "indicator": "rural", "period": "2011"}
    e = sources.read("tidy", FIXTURES / "tidy_unknown_header.csv", opts)
    assert e.report.ok
    assert e.frame["area_code"].tolist() == ["E01031005"] and e.frame["value"].tolist() == [12.5]
    assert e.frame["indicator_id"].tolist() == ["rural"] and e.frame["period"].tolist() == ["2011"]


def test_recode_maps_labels_and_flags_unmapped(tmp_path):
    f = tmp_path / "ruc.csv"
    f.write_text("code,class\nE01000001,Urban\nE01000002,Rural\nE01000003,Suburban\n")
    e = sources.read(
        "tidy",
        f,
        {
            "columns": {"code": "area_code", "class": "value"},
            "indicator": "rural",
            "period": "2021",
            "recode": {"value": {"Urban": 0, "Rural": 100}},
        },
    )
    assert e.frame["value"].tolist()[:2] == [0.0, 100.0]
    assert problems(e) == [("ruc.csv", 4, "class", "unparseable number 'Suburban'")]


def test_indicator_mapping(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("indicator_id,area_code,period,value\nA1,E01000001,2020,1\nB2,E01000001,2020,2\n")
    e = sources.read("tidy", f, {"indicators": {"A1": "smoking"}})
    assert e.frame["indicator_id"].tolist() == ["smoking", "B2"]


def test_xlsx_with_sheet_and_header_row(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "notes"
    ws = wb.create_sheet("values")
    ws.append(["Published by the county"])
    ws.append(["Indicator_ID", "Area_Code", "Period", "Value"])
    ws.append(["smoking", "E01031005", 2019, 12.25])
    ws.append([None, None, None, None])
    ws.append(["smoking", "E01031006", "2019/20", "*"])
    wb.save(tmp_path / "t.xlsx")
    e = sources.read("tidy", tmp_path / "t.xlsx", {"sheet": "values", "header_row": 2})
    assert e.report.ok
    assert e.frame[ROW].tolist() == [3, 5]
    assert e.frame["period"].tolist() == ["2019", "2019/20"]
    assert e.frame["value"].iloc[0] == 12.25 and e.frame["value_note"].iloc[1] == "suppressed"


def test_given_period_sort_must_be_whole(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("indicator_id,area_code,period,period_sort,value\na,E01000001,Winter,20191200,1\na,E01000002,X,2019.5,1\n")
    e = sources.read("tidy", f)
    assert e.frame["period_sort"].tolist() == [20191200]
    assert problems(e) == [
        ("t.csv", 3, "period_sort", "period_sort is not a whole number"),
        ("t.csv", 3, "period", "cannot derive period_sort from period 'X'; add a period_sort column"),
    ]


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        sources.read("tidy", tmp_path / "absent.csv")
