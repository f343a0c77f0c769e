"""Ingestion: every bad input is reported with file, row, column and reason, and the store is left byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import load_config
from observatory.errors import ValidationError
from observatory.geo.areas import Geography
from observatory.ingest.adapters._common import period_sort
from observatory.ingest.pipeline import check, ingest
from observatory.store import Store

BAD = Path(__file__).resolve().parent / "fixtures" / "ingest"


@pytest.fixture
def store(tmp_path, mini_config) -> Store:
    s = Store(tmp_path / "store")
    ingest(load_config(mini_config), s)
    return s


def _snapshot(store: Store) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(store.path.iterdir())}


def _ingest_bad(mini_config, store, name, **options):
    before = _snapshot(store)
    with pytest.raises(ValidationError) as e:
        ingest(load_config(mini_config), store, sources_ids=[], files=[("tidy", BAD / name, {"dataset": "t", **options})])
    assert _snapshot(store) == before, "a failed ingest must leave the store byte-for-byte as it was"
    return [str(p) for p in e.value.report]


def test_configuration_ingests_and_summarises(store):
    s = store.summary().set_index("indicator_id")
    assert s.loc["smoking", "rows"] == 13  # 6 areas x 2 years + England
    assert s.loc["crime", "areas"] == 6 and s.loc["crime", "periods"] == 2
    v = store.read(indicators=["smoking"])
    eng = v[v["area_code"] == "E92000001"].iloc[0]
    assert eng["area_type"] == "england" and eng["numerator"] == 5_000_000
    sa = v[v["area_code"] == "Z01000001"]
    assert set(sa["area_type"]) == {"lsoa"} and set(sa["vintage"]) == {"2021"}
    assert set(sa["period_sort"]) == {20220000, 20230000}


def test_reingesting_the_same_file_adds_no_duplicates(store, mini_config):
    before = _snapshot(store)
    counts = ingest(load_config(mini_config), store)
    assert counts["added"] == 0 and counts["replaced"] == 0 and counts["unchanged"] == len(store.read())
    assert _snapshot(store) == before


def test_new_period_is_added_and_revised_value_replaces(store, mini_config):
    n = len(store.read())
    counts = ingest(
        load_config(mini_config), store, sources_ids=[], files=[("tidy", BAD / "good_2024.csv", {"dataset": "mini-survey"})]
    )
    assert counts == {"added": 3, "replaced": 0, "unchanged": 0}
    revised = Path(store.path.parent / "revised.csv")
    revised.write_text("indicator_id,area_code,period,numerator,denominator\nsmoking,Z01000001,2024,25,150\n")
    counts = ingest(load_config(mini_config), store, sources_ids=[], files=[("tidy", revised, {"dataset": "mini-survey"})])
    assert counts == {"added": 0, "replaced": 1, "unchanged": 0}
    v = store.read(indicators=["smoking"])
    row = v[(v["area_code"] == "Z01000001") & (v["period"] == "2024")]
    assert len(row) == 1 and row["numerator"].iloc[0] == 25
    assert len(store.read()) == n + 3


def test_unknown_area_code(store, mini_config):
    assert _ingest_bad(mini_config, store, "unknown_area.csv") == [
        "unknown_area.csv, row 3, column 'area_code': unknown area code 'Z01999999': not in the mini geography"
    ]


def test_unknown_indicator(store, mini_config):
    assert _ingest_bad(mini_config, store, "unknown_indicator.csv") == [
        "unknown_indicator.csv, row 3, column 'indicator_id': unknown indicator 'obesity': not in the indicator metadata"
    ]


def test_numerator_greater_than_denominator(store, mini_config):
    assert _ingest_bad(mini_config, store, "numerator_over_denominator.csv") == [
        "numerator_over_denominator.csv, row 3, column 'numerator': numerator 160 is greater than denominator 150"
    ]


def test_negative_count(store, mini_config):
    assert _ingest_bad(mini_config, store, "negative_count.csv") == [
        "negative_count.csv, row 2, column 'numerator': negative count in numerator"
    ]


def test_duplicate_key(store, mini_config):
    assert _ingest_bad(mini_config, store, "duplicate_key.csv") == [
        "duplicate_key.csv, row 4, column 'area_code': duplicate key smoking / Z01000001 / 2024: also on row 2"
    ]


def test_unparseable_number_with_undeclared_thousands_separator(store, mini_config):
    problems = _ingest_bad(mini_config, store, "thousands_separator.csv")
    assert len(problems) == 1
    assert problems[0].startswith("thousands_separator.csv, row 3, column 'denominator': ")
    assert "1,296" in problems[0]


def test_declared_thousands_separator_is_accepted(store, mini_config):
    counts = ingest(
        load_config(mini_config),
        store,
        sources_ids=[],
        files=[("tidy", BAD / "thousands_separator.csv", {"dataset": "t", "thousands": ","})],
    )
    assert counts["added"] == 2
    v = store.read(indicators=["smoking"])
    assert v.loc[(v["area_code"] == "Z01000002") & (v["period"] == "2024"), "denominator"].iloc[0] == 1296


def test_missing_required_column(store, mini_config):
    problems = _ingest_bad(mini_config, store, "missing_column.csv")
    assert len(problems) == 1 and "missing_column.csv" in problems[0] and "'period'" in problems[0]


def test_every_problem_is_reported_at_once(store, mini_config, tmp_path):
    f = tmp_path / "many.csv"
    f.write_text(
        "indicator_id,area_code,period,numerator,denominator\n"
        "smoking,Z01999999,2024,20,150\nsmoking,Z01000002,2024,-1,150\nsmoking,Z01000003,2024,200,150\n"
    )
    before = _snapshot(store)
    with pytest.raises(ValidationError) as e:
        ingest(load_config(mini_config), store, sources_ids=[], files=[("tidy", f, {"dataset": "t"})])
    rows = sorted(p.row for p in e.value.report)
    assert rows == [2, 3, 4]
    assert _snapshot(store) == before


def test_cli_ingest_reports_problems_and_exits_non_zero(store, mini_config):
    before = _snapshot(store)
    r = CliRunner().invoke(
        app,
        [
            "ingest",
            "--config",
            str(mini_config),
            "--store",
            str(store.path),
            "--source",
            "values",
            "-f",
            str(BAD / "unknown_area.csv"),
            "--dataset",
            "t",
        ],
    )
    assert r.exit_code == 1
    assert "Z01999999" in r.output and "nothing was written" in r.output
    assert _snapshot(store) == before
    r = CliRunner().invoke(app, ["store", "--config", str(mini_config), "--store", str(store.path)])
    assert r.exit_code == 0 and "smoking" in r.output


def test_period_sort_follows_fingertips():
    s = period_sort(pd.Series(["2019", "2019/20", "2015 - 17", "2024 Q3", "2024-07"]))
    assert s.astype(int).tolist() == [20190000, 20190000, 20150000, 20240300, 20240700]


@pytest.mark.warwickshire
def test_wrong_vintage_is_named(shared_data):
    geo = Geography(load_config("warwickshire"))
    inds = pd.DataFrame({"value_type": ["score"]}, index=pd.Index(["imd_score"], name="id"))
    frame = pd.read_csv(BAD / "wrong_vintage_warwickshire.csv", dtype=str).assign(_row=[2, 3])
    checked = check(frame, "wrong_vintage_warwickshire.csv", geo, inds, vintage="2011")
    assert [str(p) for p in checked.report] == [
        "wrong_vintage_warwickshire.csv, row 3, column 'area_code': wrong vintage: E01035014 is a LSOA 2021 code, not 2011"
    ]
    ok = check(frame.iloc[:1], "x.csv", geo, inds, vintage="2011")
    assert ok.report.ok and ok.frame["vintage"].iloc[0] == "2011"


def test_unchanged_files_are_recognised_by_digest_and_not_read(store, mini_config, monkeypatch):
    import observatory.ingest.pipeline as pipeline

    def refuse(spec):
        raise AssertionError(f"{spec.file.name} was read although unchanged")

    monkeypatch.setattr(pipeline, "read_source", refuse)
    before = _snapshot(store)
    counts = ingest(load_config(mini_config), store)
    assert counts == {"added": 0, "replaced": 0, "unchanged": len(store.read())}
    assert _snapshot(store) == before


def test_a_changed_or_overwritten_file_is_read_again(store, mini_config, tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text("indicator_id,area_code,period,numerator,denominator\nsmoking,Z01000001,2024,20,150\n")
    files = [("tidy", extra, {"dataset": "mini-survey"})]
    assert ingest(load_config(mini_config), store, sources_ids=[], files=files)["added"] == 1
    assert ingest(load_config(mini_config), store, sources_ids=[], files=files) == {"added": 0, "replaced": 0, "unchanged": 1}
    other = tmp_path / "other.csv"  # another file replaces extra.csv's row: extra.csv's digest no longer speaks for it
    other.write_text("indicator_id,area_code,period,numerator,denominator\nsmoking,Z01000001,2024,25,150\n")
    ingest(load_config(mini_config), store, sources_ids=[], files=[("tidy", other, {"dataset": "mini-survey"})])
    assert ingest(load_config(mini_config), store, sources_ids=[], files=files)["replaced"] == 1
    v = store.read(indicators=["smoking"])
    assert v.loc[(v["area_code"] == "Z01000001") & (v["period"] == "2024"), "numerator"].tolist() == [20]
    extra.write_text("indicator_id,area_code,period,numerator,denominator\nsmoking,Z01000001,2024,21,150\n")
    assert ingest(load_config(mini_config), store, sources_ids=[], files=files)["replaced"] == 1
