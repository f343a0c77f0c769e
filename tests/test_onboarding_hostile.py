"""`add-dataset` given hostile or careless files and killed part-way (issue 16: items 2, 4, 5, 7, 10).

Each failure mode has its own fixture; tests assert problem codes and where they point in the partner's file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_partner_file import CSV, DEMO, PARTNER, TODAY, XLSX, complete, demo_copy

from observatory.errors import ValidationError
from observatory.onboarding import apply as apply_module
from observatory.onboarding import apply_proposal, inspect_file, propose_dataset
from observatory.store import Store

FINGERTIPS = PARTNER / "fingertips_download.csv"
CODES = pd.read_csv(DEMO / "lookups" / "small_area_lookup.csv", dtype=str)["small_area_code"].tolist()


def _refused(path: Path, tmp_path: Path) -> ValidationError:
    with pytest.raises(ValidationError) as e:
        propose_dataset(path, "demo", tmp_path / "prop", today=TODAY)
    assert not (tmp_path / "prop").exists()
    return e.value


def test_a_field_far_over_any_sane_length_is_reported_with_its_row_and_column(tmp_path):
    path = tmp_path / "long_field.csv"
    path.write_text("LSOA code,Year,Visits\n" + f"{CODES[0]},2024,3\n" + f'{CODES[1]},2024,"{"x" * 200_000}"\n')
    e = _refused(path, tmp_path)
    (p,) = [p for p in e.report if p.code == "field-too-long"]
    assert (p.file, p.row, p.column) == ("long_field.csv", 3, "Visits")


@pytest.mark.parametrize(
    "name,data",
    [
        ("binary.csv", bytes(range(256)) * 40),
        ("zipped.csv", b"PK\x03\x04" + b"\x00" * 64),
        ("broken.xlsx", b"not a workbook at all"),
    ],
)
def test_an_unreadable_file_is_named_with_what_is_wrong(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    e = _refused(path, tmp_path)
    assert e.report.codes == {"unreadable-file"} and next(iter(e.report)).file == name


def test_a_fingertips_download_points_to_the_fingertips_adapter(tmp_path):
    e = _refused(FINGERTIPS, tmp_path)
    assert e.report.codes == {"fingertips-layout"}
    assert "fingertips adapter" in str(e.report)


def test_a_count_above_its_denominator_is_never_accepted(tmp_path):
    path = tmp_path / "screening.csv"
    rows = [f"{c},2024,{10 + i},{500 + i}" for i, c in enumerate(CODES[:20])]
    rows[7] = f"{CODES[7]},2024,5000,1000"
    path.write_text("LSOA code,Year,Count of people screened,Denominator\n" + "\n".join(rows) + "\n")
    ins = inspect_file(path, "demo")
    p = propose_dataset(path, "demo", tmp_path / "prop", today=TODAY)
    (problem,) = [q for q in p.inspection.problems if q.code == "count-exceeds-denominator"]
    assert (problem.file, problem.row, problem.column) == ("screening.csv", 9, "Count of people screened")
    inds = pd.read_csv(p.folder / "indicators.csv", dtype=str, keep_default_na=False)
    assert inds.loc[0, "value_type"] == "proportion"  # not a rate per 1,000 that would store 5000 per 1,000
    assert "count-exceeds-denominator" in (p.folder / "source.yaml").read_text()  # a review marker: apply refuses
    assert ins.problems.ok


def test_formula_like_headers_are_flagged_and_neutralised(tmp_path):
    path = tmp_path / "hostile.csv"
    rows = [f"{c},2024,{i % 7}" for i, c in enumerate(CODES[:10])]
    path.write_text('LSOA code,Year,"=HYPERLINK(""http://evil.example"",""Visits"")"\n' + "\n".join(rows) + "\n")
    p = propose_dataset(path, "demo", tmp_path / "prop", today=TODAY)
    assert "formula-like-text" in p.inspection.problems.codes
    title = pd.read_csv(p.folder / "indicators.csv", dtype=str, keep_default_na=False).loc[0, "title"]
    assert title.startswith("'=HYPERLINK")


def test_apply_errors_name_the_partners_file_sheet_row_and_column(tmp_path):
    cfg = demo_copy(tmp_path)
    p = propose_dataset(XLSX, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    data = p.folder / p.data_file
    data.write_text(data.read_text().replace(",Z05000001,2022/23,22,", ",Z05000001,2022/23,-22,", 1))
    with pytest.raises(ValidationError) as e:
        apply_proposal(p.folder, cfg, file=XLSX, store=tmp_path / "store")
    (problem,) = [q for q in e.value.report if "negative" in q.reason]
    assert problem.file == "social_prescribing.xlsx, sheet 'Referrals by ward'" and p.data_file not in str(e.value.report)
    source_row = int(
        pd.read_csv(p.folder / p.data_file, dtype=str)
        .query("area_code == 'Z05000001' and period == '2022/23'")["source_row"]
        .iloc[0]
    )
    assert problem.row == source_row and "2022/23" in problem.column and "Referrals" in problem.column


def test_the_catalogues_comments_and_order_survive_an_apply(tmp_path):
    cfg = demo_copy(tmp_path)
    before = (cfg / "catalogue.yaml").read_text()
    p = propose_dataset(CSV, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    apply_proposal(p.folder, cfg, file=CSV, store=tmp_path / "store")
    after = (cfg / "catalogue.yaml").read_text()
    assert after.startswith(before.rstrip("\n"))  # every comment, record and line kept, in order
    assert "\n\n- id: social-prescribing\n" in after


def _state(cfg: Path, store: Path) -> tuple[bool, bool]:
    """(configuration new, store new)."""
    config_new = (
        "social-prescribing" in (cfg / "catalogue.yaml").read_text() and "social-prescribing" in (cfg / "config.yaml").read_text()
    )
    s = Store(store)
    store_new = s.exists() and len(s.read(indicators=["social_prescribing_referrals"])) > 0
    return config_new, store_new


@pytest.mark.parametrize("step", ["staged", "switched catalogue.yaml", "switched indicators.csv", "validated"])
def test_a_failure_between_steps_leaves_everything_old_and_a_rerun_succeeds(tmp_path, monkeypatch, step):
    cfg = demo_copy(tmp_path)
    files = {f: (cfg / f).read_bytes() for f in ("config.yaml", "catalogue.yaml", "indicators.csv")}
    p = propose_dataset(CSV, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)

    def fail(name):
        if name == step:
            raise RuntimeError(f"injected at {name}")

    monkeypatch.setattr(apply_module, "_step", fail)
    with pytest.raises(RuntimeError):
        apply_proposal(p.folder, cfg, file=CSV, store=tmp_path / "store")
    assert {f: (cfg / f).read_bytes() for f in files} == files and _state(cfg, tmp_path / "store") == (False, False)
    assert not (cfg / "sources" / "social-prescribing.csv").exists() and not (cfg / apply_module.PENDING).exists()
    monkeypatch.setattr(apply_module, "_step", lambda name: None)
    apply_proposal(p.folder, cfg, file=CSV, store=tmp_path / "store")
    assert _state(cfg, tmp_path / "store") == (True, True)


KILLER = """
import os, signal, sys
from observatory.onboarding import apply as a
def step(name):
    if name == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)
a._step = step
a.apply_proposal(sys.argv[2], sys.argv[3], file=sys.argv[4], store=sys.argv[5])
"""


@pytest.mark.parametrize(
    "step", ["staged", "switched indicators.csv", "switched social-prescribing.csv", "validated", "ingested"]
)
def test_a_killed_apply_is_old_or_pending_and_a_rerun_finishes_it(tmp_path, step):
    cfg = demo_copy(tmp_path)
    store = tmp_path / "store"
    p = propose_dataset(CSV, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run(
        [sys.executable, "-c", KILLER, step, str(p.folder), str(cfg), str(CSV), str(store)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr
    pending = (cfg / apply_module.PENDING / "plan.json").exists()
    assert pending or _state(cfg, store) == (False, False)  # before the commit point nothing changed
    done = apply_proposal(p.folder, cfg, file=CSV, store=store)
    assert done["finished"] is pending
    assert _state(cfg, store) == (True, True) and not (cfg / apply_module.PENDING).exists()
    clean = demo_copy(tmp_path / "clean")
    q = propose_dataset(CSV, clean, tmp_path / "clean-prop", today=TODAY)
    complete(q.folder)
    apply_proposal(q.folder, clean, file=CSV, store=tmp_path / "clean-store")
    for f in ("config.yaml", "catalogue.yaml", "indicators.csv", "sources/social-prescribing.csv"):
        assert (cfg / f).read_bytes() == (clean / f).read_bytes(), f
    assert len(Store(store).read()) == len(Store(tmp_path / "clean-store").read())


def test_proposal_json_records_the_partners_columns(tmp_path):
    p = propose_dataset(XLSX, "demo", tmp_path / "prop", today=TODAY)
    meta = json.loads((p.folder / "proposal.json").read_text())
    assert meta["where"] == "social_prescribing.xlsx, sheet 'Referrals by ward'"
    assert set(meta["columns"][p.indicators[0]]) == {"numerator", "denominator"}
    shutil.rmtree(p.folder)
