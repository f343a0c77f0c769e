"""Shared adapter machinery: line numbers, strict numbers, period sort keys, the retrying fetch."""

from __future__ import annotations

import urllib.error

import pandas as pd
import pytest

from observatory.errors import Report
from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW
from observatory.ingest.adapters._common import (
    DownloadError,
    fetch,
    period_sort,
    period_sort_key,
    read_table,
    to_number,
    write_atomic,
)


@pytest.mark.parametrize(
    "label, key",
    [
        ("2019", 20190000),
        ("2019/20", 20190000),
        ("2015 - 17", 20150000),
        ("2024 Q3", 20240300),
        ("2024-07", 20240700),
        ("2024-07-15", 20240715),
        ("2019/20 Q1", 20190100),
        ("Mar 2024", 20240300),
        ("2018/19 - 20/21", 20180000),
        ("Q3 2024", 20240300),
        ("mid-2020", 20200000),
        ("whenever", None),
        ("", None),
    ],
)
def test_period_sort_key(label, key):
    assert period_sort_key(label) == key


def test_period_sort_over_a_column_keeps_the_index():
    s = pd.Series(["2019", "x", "2024 Q3"], index=[5, 6, 7])
    out = period_sort(s)
    assert out.index.tolist() == [5, 6, 7]
    assert out.iloc[0] == 20190000 and pd.isna(out.iloc[1]) and out.iloc[2] == 20240300


def test_to_number_collects_every_offender_with_its_row():
    report = Report()
    text = pd.Series(["1.5", " 2 ", "NA", "", "-", "..", "*", "<5", "c", "x", "abc", "1,296", "1e3", "inf"])
    rows = pd.Series(range(2, 2 + len(text)))
    values, suppressed = to_number(text, rows, "f.csv", "value", report)
    assert values.iloc[0] == 1.5 and values.iloc[1] == 2.0 and values.iloc[12] == 1000.0
    assert values.iloc[2:11].isna().all() and values.iloc[11:12].isna().all()
    assert suppressed.tolist() == [False] * 6 + [True] * 4 + [False] * 4
    assert [(p.row, p.column, p.reason) for p in report] == [
        (12, "value", "unparseable number 'abc'"),
        (13, "value", "unparseable number '1,296' (declare thousands=',' if intended)"),
        (15, "value", "unparseable number 'inf'"),
    ]


def test_to_number_with_declared_thousands():
    report = Report()
    values, _ = to_number(pd.Series(["1,296", "12,345.5", "987", "1,2,3"]), pd.Series([2, 3, 4, 5]), "f", "v", report, ",")
    assert values.iloc[:3].tolist() == [1296.0, 12345.5, 987.0]
    assert [(p.row, p.reason) for p in report] == [(5, "unparseable number '1,2,3'")]


def test_to_number_reports_only_the_first_fifty_then_a_count():
    report = Report()
    to_number(pd.Series(["bad"] * 60), pd.Series(range(2, 62)), "f", "v", report)
    assert len(report) == 51
    assert report.problems[-1].row is None and "10 more rows" in report.problems[-1].reason


def test_csv_line_numbers_with_quoted_breaks_and_blank_lines(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text('a,b\n"one\ntwo",1\n\nthree,2\n"x\n\ny",3\n')
    table = read_table(f, {}, Report())
    assert table["a"].tolist() == ["one\ntwo", "three", "x\n\ny"]
    assert table[ROW].tolist() == [2, 5, 6]


def test_csv_header_row_option_and_plain_rows(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("Title of the table\n\na,b\n1,2\n3,4\n")
    table = read_table(f, {"header_row": 3}, Report())
    assert table[ROW].tolist() == [4, 5] and table["b"].tolist() == ["2", "4"]


def test_csv_ragged_rows_short_padded_long_reported(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a,b,c\n1,2\n3,4,5,6\n")
    report = Report()
    table = read_table(f, {}, report)
    assert table["c"].tolist() == ["", "5"]
    assert [(p.row, p.reason) for p in report] == [(3, "row has 4 fields but the header has 3")]


def test_csv_cp1252_fallback(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes("name,value\nCaf\xe9,1\n".encode("cp1252"))
    assert read_table(f, {}, Report())["name"].tolist() == ["Café"]


def test_xlsx_rows_are_sheet_rows(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws["A3"], ws["B3"] = "a", "b"
    ws["A4"], ws["B4"] = "x", 2019
    ws["A6"], ws["B6"] = "y", 1.5
    wb.save(tmp_path / "t.xlsx")
    table = read_table(tmp_path / "t.xlsx", {"header_row": 3, "sheet": "data"}, Report())
    assert table[ROW].tolist() == [4, 6]
    assert table["b"].tolist() == ["2019", "1.5"]
    report = Report()
    read_table(tmp_path / "t.xlsx", {"sheet": "nope"}, report)
    assert report.problems[0].reason == "no sheet 'nope' (sheets: data)"


def test_corrupt_workbook_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "t.xlsx").write_text("not a zip")
    report = Report()
    assert len(read_table(tmp_path / "t.xlsx", {}, report)) == 0
    assert report.problems[0].reason.startswith("cannot read the workbook: BadZipFile")


def test_missing_file_raises_with_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_table(tmp_path / "nope.csv", {}, Report())


def test_registry_knows_every_adapter():
    assert {"tidy", "fingertips", "deprivation", "population", "census"} <= set(sources.names())


def _http_error(code):
    return urllib.error.HTTPError("https://x", code, "err", {}, None)


def test_fetch_retries_server_errors_with_backoff():
    calls, waits = [], []

    def opener(url, body, timeout):
        calls.append(url)
        if len(calls) < 3:
            raise _http_error(503)
        return b"ok"

    assert fetch("https://x/a", opener=opener, retries=3, backoff=0.5, sleep=waits.append) == b"ok"
    assert len(calls) == 3 and waits == [0.5, 1.0]


def test_fetch_gives_up_after_retries_and_fails_fast_on_client_errors():
    waits = []

    def down(url, body, timeout):
        raise _http_error(500)

    with pytest.raises(DownloadError, match="after 3 attempts"):
        fetch("https://x/a", opener=down, retries=2, backoff=1, sleep=waits.append)
    assert waits == [1, 2]

    calls = []

    def missing(url, body, timeout):
        calls.append(url)
        raise _http_error(404)

    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch("https://x/a", opener=missing, sleep=waits.append)
    assert len(calls) == 1


def test_write_atomic_leaves_no_partial_file(tmp_path):
    out = write_atomic(tmp_path / "sub" / "f.csv", b"a,b\n")
    assert out.read_bytes() == b"a,b\n"
    assert [p.name for p in out.parent.iterdir()] == ["f.csv"]
