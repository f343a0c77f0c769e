"""Hostile and careless input at ingest (issue 16): a clear problem with a code, never a traceback, nothing written.

Each failure mode has its own fixture in ``tests/fixtures/ingest/hostile``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from test_ingest import _snapshot
from typer.testing import CliRunner

from observatory import store as store_module
from observatory.cli import app
from observatory.config import load_config
from observatory.errors import ValidationError
from observatory.ingest.pipeline import ingest
from observatory.store import Store

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "ingest" / "hostile"


@pytest.fixture
def store(tmp_path, mini_config) -> Store:
    ingest(load_config(mini_config), s := Store(tmp_path / "store"))
    return s


def _refused(mini_config, store, name, adapter="tidy", **options):
    before = _snapshot(store)
    with pytest.raises(ValidationError) as e:
        ingest(load_config(mini_config), store, sources_ids=[], files=[(adapter, HOSTILE / name, {"dataset": "t", **options})])
    assert _snapshot(store) == before, "a refused ingest leaves the store as it was"
    return e.value.report


def _cli(*args):
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), f"traceback: {r.exception!r}"
    return r


# ---- (1) binary or undecodable files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["binary.csv", "undecodable.csv"])
def test_unreadable_file_is_a_problem_naming_the_file(store, mini_config, name):
    report = _refused(mini_config, store, name)
    assert report.codes == {"unreadable-file"}
    assert [p.file for p in report] == [name]


@pytest.mark.parametrize("name", ["binary.csv", "undecodable.csv"])
def test_unreadable_file_in_validate_and_ingest_commands(store, mini_config, name):
    before = _snapshot(store)
    for command in (
        ["validate", "--config", mini_config, "-f", HOSTILE / name],
        ["ingest", "--config", mini_config, "--store", store.path, "--source", "values", "-f", HOSTILE / name],
    ):
        r = _cli(*command)
        assert r.exit_code == 1, r.output
        assert name in r.output and "unreadable-file" in r.output
    assert _snapshot(store) == before


def test_unreadable_configured_source(mini_config, tmp_path):
    (mini_config / "values.csv").write_bytes((HOSTILE / "binary.csv").read_bytes())
    r = _cli("ingest", "--config", mini_config, "--store", tmp_path / "fresh")
    assert r.exit_code == 1 and "values.csv" in r.output and "unreadable-file" in r.output
    assert not (tmp_path / "fresh" / "values.parquet").exists()


# ---- (2) a field far over any sane length ------------------------------------------------------------------------


def test_field_too_long_is_reported_with_row_and_column(store, mini_config):
    report = _refused(mini_config, store, "field_too_long.csv")
    too_long = sorted((p.row, p.column) for p in report if p.code == "field-too-long")
    assert too_long == [(3, "denominator"), (4, "period")]


# ---- (10) formula-like text refused at ingest ----------------------------------------------------------------------


def test_formula_like_labels_are_refused(store, mini_config):
    report = _refused(mini_config, store, "formula_like.csv")
    found = sorted((p.row, p.column) for p in report if p.code == "formula-like-text")
    assert found == [(3, "period"), (4, "category"), (5, "value_note")]
    assert all(p.code == "formula-like-text" for p in report), "a negative zero count is a number, not a formula"


# ---- missing and suppressed markers shared with partner files ------------------------------------------------------


def test_partner_markers_are_missing_or_suppressed(store, mini_config):
    counts = ingest(
        load_config(mini_config), store, sources_ids=[], files=[("tidy", HOSTILE / "partner_markers.csv", {"dataset": "t"})]
    )
    assert counts["added"] == 4
    v = store.read(indicators=["smoking"]).set_index("area_code")
    v = v[v["period"] == "2024"]
    assert v.loc[["Z01000002", "Z01000003", "Z01000004"], "numerator"].isna().all()
    assert v.loc["Z01000003", "value_note"] == "suppressed"


# ---- (13) external areas: only codes that exist --------------------------------------------------------------------


def _with_register(mini_config: Path, register: Path | None) -> None:
    cfg = yaml.safe_load((mini_config / "config.yaml").read_text())
    if register:
        cfg["geography"]["national_register"] = str(register)
    (mini_config / "config.yaml").write_text(yaml.safe_dump(cfg))


FINGERTIPS = {"indicators": {90366: "smoking"}, "external_areas": "keep"}


def test_external_area_unknown_to_the_national_register_is_refused(store, mini_config):
    _with_register(mini_config, HOSTILE / "register.csv")
    report = _refused(mini_config, store, "fingertips_external_areas.csv", adapter="fingertips", **FINGERTIPS)
    assert [(p.code, p.row, p.column) for p in report] == [("unknown-area", 4, "area_code")]
    assert "E07999999" in report.problems[0].reason


def test_external_areas_in_the_register_are_kept_with_their_level(store, mini_config, tmp_path):
    _with_register(mini_config, HOSTILE / "register.csv")
    good = tmp_path / "good.csv"
    good.write_text("".join(line for line in (HOSTILE / "fingertips_external_areas.csv").open() if "E07999999" not in line))
    ingest(load_config(mini_config), store, sources_ids=[], files=[("fingertips", good, {"dataset": "t", **FINGERTIPS})])
    v = store.read(indicators=["smoking"]).set_index("area_code")
    assert v.loc["E10000031", "area_type"] == "county"


def test_without_a_register_the_gss_prefix_decides(store, mini_config):
    counts = ingest(
        load_config(mini_config),
        store,
        sources_ids=[],
        files=[("fingertips", HOSTILE / "fingertips_external_areas.csv", {"dataset": "t", **FINGERTIPS})],
    )
    assert counts["added"] == 3  # England, E10000031 and E07999999, for 2024
    v = store.read(indicators=["smoking"]).set_index("area_code")
    assert v.loc["E07999999", "area_type"] == "district"


@pytest.mark.warwickshire
def test_warwickshire_reads_the_england_register_in_place(shared_data):
    from observatory.geo.areas import Geography

    geo = Geography(load_config("warwickshire"))
    assert {"E07000218", "E10000031", "E12000005"} <= set(geo.national_codes)
    assert "E07999999" not in set(geo.national_codes)


# ---- (16) --config naming a folder that does not exist -------------------------------------------------------------


@pytest.mark.parametrize("command", [["ingest"], ["validate"], ["store"]])
def test_missing_configuration_folder_exits_2(tmp_path, command):
    r = _cli(*command, "--config", tmp_path / "no-such-folder")
    assert r.exit_code == 2
    assert "no-such-folder" in r.output and "Traceback" not in r.output


# ---- (17) ingest into a read-only store ----------------------------------------------------------------------------


def test_read_only_store_is_refused_and_left_unchanged(store, mini_config, monkeypatch):
    before = _snapshot(store)
    if os.geteuid() == 0:  # root writes through permission bits: fail the write as a read-only folder would

        def refuse(path, data):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(store_module, "write_atomic", refuse)
    else:
        store.path.chmod(0o555)
    try:
        r = _cli(
            "ingest",
            "--config",
            mini_config,
            "--store",
            store.path,
            "--source",
            "values",
            "-f",
            HOSTILE / "partner_markers.csv",
            "--dataset",
            "t",
        )
    finally:
        store.path.chmod(0o755)
    assert r.exit_code == 1
    assert "store-not-writable" in r.output
    assert _snapshot(store) == before
