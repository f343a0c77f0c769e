"""`observatory add-dataset`: inspecting messy partner files, the proposals, and applying them all or nothing.

The expected figures come from the fixture generator (tests/fixtures/partner/make_partner_files.py) and
the demo county's lookup files, read here with plain pandas, never from the module under test.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
import yaml
from conftest import make_mini_config
from typer.testing import CliRunner

from observatory.cli.add_dataset import command as add_dataset_cli
from observatory.errors import ValidationError
from observatory.ingest import adapters as sources
from observatory.onboarding.partner_file import apply_proposal, check_proposal, inspect_file, name_key, propose_dataset
from observatory.onboarding.yaml_edits import insert_source as _insert_source
from observatory.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
PARTNER = Path(__file__).parent / "fixtures" / "partner"
XLSX = PARTNER / "social_prescribing.xlsx"
CSV = PARTNER / "social_prescribing.csv"
TODAY = "2026-11-22"
sys.path.insert(0, str(PARTNER))
import make_partner_files as fixture  # noqa: E402


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    """The generator's figures, one row per ward and period, with the ward's locality and district."""
    rows = [
        {"ward_code": w["code"], "period": p, "referrals": v[0], "adults": v[1]}
        for w in fixture.figures()
        for p, v in w["values"].items()
    ]
    t = pd.DataFrame(rows)
    lookup = pd.read_csv(DEMO / "lookups" / "small_area_lookup.csv", dtype=str)
    loc = pd.read_csv(DEMO / "localities.csv", dtype=str)[["area_code", "locality_code"]]
    sa = lookup.merge(loc, left_on="small_area_code", right_on="area_code")
    wards = sa.drop_duplicates("ward_code")[["ward_code", "locality_code", "district_code"]]
    return t.merge(wards, on="ward_code")


@pytest.fixture(scope="module")
def proposals(tmp_path_factory):
    d = tmp_path_factory.mktemp("proposals")
    return {
        "xlsx": propose_dataset(XLSX, "demo", d / "xlsx", today=TODAY),
        "csv": propose_dataset(CSV, "demo", d / "csv", today=TODAY),
    }


def demo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "demo"
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns("proposals"))
    return dest


def complete(folder: Path, **changes: str) -> None:
    """Do what the analyst does: fill every TODO, accept the inferred fields, clear the review markers."""
    cat = folder / "catalogue.yaml"
    text = re.sub(r"- review:.*?\n  id:", "- id:", cat.read_text(), flags=re.S)
    fill = {
        "description": "Referrals to social prescribing link workers by the ward of the person referred.",
        "steward": "Data lead, Demo Community Action (synthetic)",
        "contact": "data@demo-voluntary.example",
        "classification": "open",
        "audience": "public",
        "lawful_basis": "Not required (aggregate counts)",
        "agreement": "Demo County information-sharing charter, schedule 6 (synthetic)",
        "dpia": "not required",
        "licence": "Open Government Licence v3.0",
        "attribution": "Demo Community Action (synthetic)",
        "retention": "5 years",
        **changes,
    }
    for k, v in fill.items():
        text = re.sub(rf"^  {k}: .*$", f"  {k}: {v}", text, flags=re.M)
    cat.write_text(text)
    ind = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    ind["theme"] = "healthier_communities_older_people"
    ind["polarity"] = "no_judgement"
    ind["definition"] = "Referrals in the year per adult registered with a GP practice."
    ind["review"] = ""
    ind.to_csv(folder / "indicators.csv", index=False)
    src = folder / "source.yaml"
    src.write_text(re.sub(r"^review:.*", "review: []\n", src.read_text(), flags=re.S | re.M))


# --------------------------------------------------------------------------- inspection


def test_names_match_ignoring_case_punctuation_and_ward_suffix():
    assert name_key("Avonmere St Annes") == name_key("Avonmere St Anne's") == name_key("AVONMERE SAINT ANNE'S")
    assert name_key("Pellincote Ward") == name_key("pellincote")
    assert name_key("Thistlecombe  castle") == name_key("Thistlecombe Castle")
    assert name_key("Mill & Wharf") == name_key("Mill and Wharf")
    assert name_key("Brackleigh Central") != name_key("Brackleigh Heath")


def test_xlsx_title_merged_header_names_total_and_notes():
    ins = inspect_file(XLSX, "demo")
    assert ins.problems.ok, str(ins.problems)
    assert ins.format == "xlsx" and ins.sheet == "Referrals by ward"
    assert ins.title.startswith("Demo Community Action (synthetic): social prescribing referrals by ward")
    assert ins.header_rows == [4, 5]
    assert {"A4:A5", "B4:C4", "D4:E4", "F4:G4"} <= set(ins.merged)
    assert ins.layout == "wide" and ins.periods == ["2022/23", "2023/24", "2024/25"]
    assert ins.measures == ["Referrals", "Adults registered"]
    assert ins.areas.kind == "name" and ins.areas.area_type == "ward" and ins.areas.vintage == "2022"
    wards = {
        f["properties"]["name"]: f["properties"]["code"]
        for f in json.loads((DEMO / "boundaries" / "wards.geojson").read_text())["features"]
    }
    assert len(set(ins.areas.matched.values())) == len(wards) == 102
    for real, messy in fixture.MESSY_NAMES.items():
        assert ins.areas.matched[messy] == wards[real], messy
        assert messy in ins.areas.normalised
    assert ins.areas.unmatched == [(108, "Unknown / no fixed abode")]
    assert ins.totals == [(109, "Total")]
    assert [(r, k) for r, k, _t in ins.dropped if k == "note"] == [(111, "note"), (112, "note")]
    assert ins.thousands == ","
    assert ins.suppressed == {"*": 4, "<5": 8}
    assert any("total row" in n for n in ins.notes) and any("unmatched" in n for n in ins.notes)


def test_csv_cp1252_semicolons_long_layout_and_all_areas_rows():
    assert CSV.read_bytes().count(b"\x96") == 1  # the en dash, in Windows-1252
    ins = inspect_file(CSV, "demo")
    assert ins.problems.ok, str(ins.problems)
    assert (ins.encoding, ins.delimiter) == ("cp1252", ";")
    assert ins.title == "Demo Community Action (synthetic) \u2013 social prescribing referrals by ward"
    assert ins.header_rows == [3] and ins.layout == "long"
    assert ins.period_column.header == "Period" and ins.area_column.header == "Ward name"
    assert [label for _r, label in ins.totals] == ["All areas"] * 3
    assert [r for r, _l in ins.totals] == [310, 311, 312]
    assert not ins.areas.unmatched


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_converted_figures_equal_the_partners(proposals, truth, kind):
    p = proposals[kind]
    assert p.mode == "converted"
    data = pd.read_csv(p.folder / p.data_file, dtype={"area_code": str, "period": str, "value_note": str}, keep_default_na=False)
    (ind,) = p.indicators
    assert (data["indicator_id"] == ind).all()
    wards = data[data["area_code"].str.startswith("Z05")].merge(
        truth, left_on=["area_code", "period"], right_on=["ward_code", "period"]
    )
    assert len(wards) == 102 * 3
    small = wards["referrals"].between(1, 4)
    assert (wards.loc[small, "value_note"] == "suppressed").all() and (wards.loc[small, "numerator"] == "").all()
    shown = wards[~small]
    assert (shown["numerator"].astype(float) == shown["referrals"]).all()
    assert (wards["denominator"].astype(float) == wards["adults"]).all()
    assert int(small.sum()) == 12


def test_locality_district_and_county_rows_are_sums_of_their_wards(proposals, truth):
    p = proposals["xlsx"]
    data = pd.read_csv(p.folder / p.data_file, dtype=str, keep_default_na=False)
    for level in ("locality_code", "district_code"):
        expected = truth.groupby([level, "period"]).agg(
            n=("referrals", "sum"), d=("adults", "sum"), small=("referrals", lambda s: bool(((s > 0) & (s < 5)).any()))
        )
        got = data[data["area_code"].isin(expected.index.get_level_values(0))].set_index(["area_code", "period"])
        assert len(got) == len(expected)
        for (code, period), e in expected.iterrows():
            row = got.loc[(code, period)]
            if e.small:  # a suppressed ward leaves the sum suppressed
                assert row["numerator"] == "" and row["value_note"].startswith("suppressed"), (code, period)
            else:
                assert float(row["numerator"]) == e.n, (code, period)
            assert float(row["denominator"]) == e.d
    county = data[data["area_code"] == "Z10000001"].set_index("period")
    unknown = dict(zip(fixture.PERIODS, [7, 9, 12]))  # referrals with no ward count in the county's total
    for period, g in truth.groupby("period"):
        assert float(county.loc[period, "numerator"]) == g["referrals"].sum() + unknown[period]
        assert float(county.loc[period, "denominator"]) == g["adults"].sum()


def test_proposal_marks_inferred_fields_and_todos(proposals):
    p = proposals["xlsx"]
    record = yaml.safe_load((p.folder / "catalogue.yaml").read_text())[0]
    assert record["id"] == "social-prescribing" and record["partner"] == "demo-voluntary"
    assert {"id", "title", "partner", "geography_level", "time_coverage", "update_frequency", "indicators"} <= set(
        record["review"]
    )
    assert record["geography_level"] == "ward" and record["geography_vintage"] == "2022"
    assert record["time_coverage"] == "2022/23-2024/25" and record["update_frequency"] == "annual"
    for field in ("description", "classification", "audience", "licence", "attribution", "retention"):
        assert record[field].startswith("TODO"), field
    from observatory.metadata.catalogue import OPTIONAL, REQUIRED

    assert set(REQUIRED) <= set(record) and set(record) <= set(REQUIRED) | set(OPTIONAL) | {"review"}
    inds = pd.read_csv(p.folder / "indicators.csv", dtype=str, keep_default_na=False)
    row = inds.iloc[0]
    assert row["value_type"] == "proportion" and row["multiplier"] == "100" and row["unit"] == "%"
    assert row["theme"].startswith("TODO") and row["polarity"].startswith("TODO")
    assert "value_type" in row["review"] and row["dataset"] == "social-prescribing"
    source = yaml.safe_load((p.folder / "source.yaml").read_text())
    assert source["adapter"] == "tidy" and source["file"] == "sources/social-prescribing.csv"
    assert any("Unknown / no fixed abode" in r for r in source["review"])
    readme = (p.folder / "README.md").read_text()
    assert "Nothing has been ingested" in readme and "row 109 'Total' is a total row" in readme
    meta = json.loads((p.folder / "proposal.json").read_text())
    assert meta["file"] == XLSX.name and meta["mode"] == "converted"


def test_check_names_every_marker(proposals):
    report = check_proposal(proposals["xlsx"].folder)
    fields = {(p.file, p.column) for p in report}
    for f in ("description", "classification", "audience", "id", "partner", "time_coverage"):
        assert ("catalogue.yaml", f) in fields, f
    assert ("indicators.csv", "theme") in fields and ("indicators.csv", "review") in fields
    assert ("source.yaml", "review") in fields
    description = next(p for p in report if p.column == "description")
    lines = (proposals["xlsx"].folder / "catalogue.yaml").read_text().splitlines()
    assert lines[description.row - 1].startswith("  description: 'TODO")


def test_a_tidy_looking_file_is_read_as_it_is_with_adapter_options(tmp_path):
    lookup = pd.read_csv(DEMO / "lookups" / "small_area_lookup.csv", dtype=str)
    codes = lookup["small_area_code"].tolist()
    lines = ["Demo Fire and Rescue Service (synthetic): home fire safety visits", "LSOA code,Year,Visits,Households"]
    for i, c in enumerate(codes):
        lines += [f'{c},2023,{i % 17},"{1000 + 7 * i:,}"', f"{c},2024,{i % 13},{1010 + 7 * i}"]
    path = tmp_path / "fire_visits.csv"
    path.write_text("\n".join(lines) + "\n")
    p = propose_dataset(path, "demo", tmp_path / "prop", today=TODAY)
    assert p.mode == "direct"
    source = yaml.safe_load((p.folder / "source.yaml").read_text())
    opts = source["options"]
    assert opts["header_row"] == 2 and opts["thousands"] == "," and opts["vintage"] == "2021"
    assert opts["columns"] == {"LSOA code": "area_code", "Year": "period", "Visits": "numerator", "Households": "denominator"}
    assert not (p.folder / "fire-visits.csv").exists()
    e = sources.read("tidy", path, opts)
    assert e.report.ok
    f = e.frame.set_index(["area_code", "period"])
    assert f.loc[(codes[20], "2023"), "denominator"] == 1140 and f.loc[(codes[20], "2024"), "numerator"] == 20 % 13
    assert len(f) == 2 * len(codes) and (f["indicator_id"] == p.indicators[0]).all()


def _two_vintage_config(tmp_path: Path) -> Path:
    """The mini configuration with an older 2011 vintage: Z01900005 split into Z01000005 and Z01000006 in 2021."""
    folder = make_mini_config(tmp_path / "mini")
    old = json.loads((folder / "small_areas.geojson").read_text())
    feats = [f for f in old["features"] if f["properties"]["code"] not in ("Z01000005", "Z01000006")]
    merged = {
        "type": "Feature",
        "properties": {"code": "Z01900005", "name": "Mini 003 (2011)"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[-1.48, 52.3], [-1.47, 52.3], [-1.47, 52.32], [-1.48, 52.32], [-1.48, 52.3]]],
        },
    }
    (folder / "small_areas_2011.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats + [merged]}))
    rows = (
        ["lsoa11,lsoa21,change"]
        + [f"Z0100000{i},Z0100000{i},U" for i in range(1, 5)]
        + ["Z01900005,Z01000005,S", "Z01900005,Z01000006,S"]
    )
    (folder / "lsoa11_lsoa21.csv").write_text("\n".join(rows) + "\n")
    text = (
        (folder / "config.yaml")
        .read_text()
        .replace(
            "  wards:\n",
            '  other_vintages:\n    - {type: lsoa, vintage: "2011", boundaries: small_areas_2011.geojson, code: code, name: name,\n'
            "       lookup: {file: lsoa11_lsoa21.csv, from: lsoa21, to: lsoa11, change: change}}\n  wards:\n",
            1,
        )
    )
    (folder / "config.yaml").write_text(text)
    return folder


@pytest.mark.parametrize(
    "codes,vintage,problem",
    [
        (["Z01000001", "Z01000002", "Z01900005"], "2011", False),
        (["Z01000001", "Z01000005", "Z01000006"], "2021", False),
        (["Z01000001", "Z01000002", "Z01000003"], "2021", False),
        (["Z01000001", "Z01900005", "Z01000006"], "2021", True),
    ],
)
def test_small_area_code_vintage(tmp_path, codes, vintage, problem):
    folder = _two_vintage_config(tmp_path)
    path = tmp_path / "codes.csv"
    path.write_text("LSOA,Period,Count\n" + "".join(f"{c},2024,{10 + i}\n" for i, c in enumerate(codes)))
    ins = inspect_file(path, folder)
    assert ins.areas.kind == "code" and ins.areas.area_type == "lsoa"
    assert ins.areas.vintage == vintage
    assert bool(ins.problems) is problem, str(ins.problems)
    if problem:
        assert "mixed" in str(ins.problems)
    if codes == ["Z01000001", "Z01000002", "Z01000003"]:
        assert any("same in the 2011 and 2021" in n for n in ins.notes)


def test_the_fixtures_are_what_the_generator_writes(tmp_path):
    from openpyxl import load_workbook

    x, c = fixture.write_all(tmp_path)
    assert c.read_bytes() == CSV.read_bytes()
    a, b = load_workbook(x), load_workbook(XLSX)
    assert [[v for v in r] for r in a.active.iter_rows(values_only=True)] == [
        [v for v in r] for r in b.active.iter_rows(values_only=True)
    ]
    assert sorted(map(str, a.active.merged_cells.ranges)) == sorted(map(str, b.active.merged_cells.ranges))


# --------------------------------------------------------------------------- applying


def test_apply_refuses_while_markers_remain_and_changes_nothing(tmp_path):
    cfg = demo_copy(tmp_path)
    before = {p.name: p.read_bytes() for p in (cfg / "config.yaml", cfg / "catalogue.yaml", cfg / "indicators.csv")}
    p = propose_dataset(XLSX, cfg, today=TODAY)
    assert p.folder == cfg / "proposals" / "social-prescribing"
    with pytest.raises(ValidationError) as e:
        apply_proposal(p.folder, cfg, file=XLSX, store=tmp_path / "store")
    assert {"description", "audience", "partner"} <= {q.column for q in e.value.report}
    assert {p.name: p.read_bytes() for p in (cfg / "config.yaml", cfg / "catalogue.yaml", cfg / "indicators.csv")} == before
    assert not (tmp_path / "store").exists() and not (cfg / "sources" / "social-prescribing.csv").exists()


def test_cli_refusal_names_the_fields(tmp_path):
    cfg = demo_copy(tmp_path)
    app = typer.Typer()
    app.command("add-dataset-cli")(add_dataset_cli)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["add-dataset-cli", str(XLSX), "--config", str(cfg), "--out", str(tmp_path / "prop")])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "Nothing was ingested" in out and "total row" in out
    r = CliRunner().invoke(
        app,
        [
            "add-dataset-cli",
            str(XLSX),
            "--config",
            str(cfg),
            "--apply",
            str(tmp_path / "prop"),
            "--store",
            str(tmp_path / "store"),
        ],
    )
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "refused" in out and "description" in out and "classification" in out


def test_apply_refuses_another_file_than_the_one_inspected(tmp_path):
    cfg = demo_copy(tmp_path)
    p = propose_dataset(XLSX, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    with pytest.raises(ValidationError, match="is not the file that was inspected"):
        apply_proposal(p.folder, cfg, file=CSV, store=tmp_path / "store")


def test_failed_ingest_restores_every_file_exactly(tmp_path):
    cfg = demo_copy(tmp_path)
    store = Store(tmp_path / "store")
    from observatory.ingest.pipeline import ingest

    ingest(cfg, store, sources_ids=["population"])
    store_before = store.values_path.read_bytes()
    files = [cfg / "config.yaml", cfg / "catalogue.yaml", cfg / "indicators.csv"]
    before = {p: p.read_bytes() for p in files}
    p = propose_dataset(XLSX, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    data = p.folder / p.data_file
    data.write_text(data.read_text().replace(",Z05000001,2022/23,22,", ",Z05000001,2022/23,-22,", 1))
    assert "-22" in data.read_text()
    with pytest.raises(ValidationError, match="negative count"):
        apply_proposal(p.folder, cfg, file=XLSX, store=store.path)
    assert {p: p.read_bytes() for p in files} == before
    assert not (cfg / "sources" / "social-prescribing.csv").exists()
    assert store.values_path.read_bytes() == store_before


def test_apply_appends_records_keeps_comments_and_follows_a_renamed_indicator(tmp_path):
    cfg = demo_copy(tmp_path)
    p = propose_dataset(CSV, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    ind = pd.read_csv(p.folder / "indicators.csv", dtype=str, keep_default_na=False)
    ind["id"] = "social_prescribing_rate"
    ind.to_csv(p.folder / "indicators.csv", index=False)
    cat = p.folder / "catalogue.yaml"
    cat.write_text(cat.read_text().replace("indicators: [social_prescribing_referrals]", "indicators: [social_prescribing_rate]"))
    config_before = (cfg / "config.yaml").read_text()
    done = apply_proposal(p.folder, cfg, file=CSV, store=tmp_path / "store")
    assert done["indicators"] == ["social_prescribing_rate"] and done["added"] == 102 * 3 + 23 * 3 + 5 * 3 + 3
    config_after = (cfg / "config.yaml").read_text()
    assert config_after.startswith(config_before.rstrip("\n"))  # comments and every existing line kept
    from observatory.config import load_config

    fresh = load_config(cfg)
    assert fresh.source("social-prescribing").file == (cfg / "sources" / "social-prescribing.csv").resolve()
    values = Store(tmp_path / "store").read(indicators=["social_prescribing_rate"])
    assert set(values["area_type"]) == {"ward", "locality", "district", "county"}
    assert values.loc[values["area_code"] == "ZL01", "dataset_id"].eq("social-prescribing").all()
    from observatory.metadata.catalogue import load_catalogue

    assert load_catalogue(fresh).loc["social-prescribing", "indicators"] == ["social_prescribing_rate"]


def test_insert_source_in_config_and_in_a_sources_file():
    entry = {"id": "new", "adapter": "tidy", "file": "sources/new.csv", "dataset": "new", "options": {}}
    config = "name: x\n# the sources\nsources:\n  - id: a  # first\n    adapter: tidy\n\n# trailing comment\nother: 1\n"
    out = _insert_source(config, entry, own_file=False)
    parsed = yaml.safe_load(out)
    assert [s["id"] for s in parsed["sources"]] == ["a", "new"] and parsed["other"] == 1
    assert "# first" in out and "# trailing comment" in out
    own = "# sources of x\n- id: a\n  adapter: tidy\n"
    assert [s["id"] for s in yaml.safe_load(_insert_source(own, entry, own_file=True))] == ["a", "new"]
    none = _insert_source("name: x\n", entry, own_file=False)
    assert [s["id"] for s in yaml.safe_load(none)["sources"]] == ["new"]


def test_apply_keeps_the_data_in_the_configuration_when_the_data_root_is_elsewhere(tmp_path):
    cfg = demo_copy(tmp_path)
    root = tmp_path / "shared"
    root.mkdir()
    for sub in ("boundaries", "lookups", "sources"):
        shutil.move(str(cfg / sub), str(root / sub))
    (cfg / "config.yaml").write_text((cfg / "config.yaml").read_text().replace('data_root: "."', 'data_root: "../shared"'))
    listing = sorted(p.name for p in (root / "sources").iterdir())
    p = propose_dataset(XLSX, cfg, tmp_path / "prop", today=TODAY)
    complete(p.folder)
    apply_proposal(p.folder, cfg, file=XLSX, store=tmp_path / "store")
    assert sorted(p.name for p in (root / "sources").iterdir()) == listing  # nothing written into the data root
    assert (cfg / "sources" / "social-prescribing.csv").exists()
    entry = yaml.safe_load((cfg / "config.yaml").read_text())["sources"][-1]
    assert entry["file"] == "../demo/sources/social-prescribing.csv"


def test_a_file_without_known_areas_is_refused_with_its_reason(tmp_path):
    path = tmp_path / "elsewhere.csv"
    path.write_text("Town,Year,Visits\nSpringfield,2024,12\nShelbyville,2024,7\n")
    with pytest.raises(ValidationError, match="no column holds area codes or names"):
        propose_dataset(path, "demo", tmp_path / "prop")
    assert not (tmp_path / "prop").exists()
