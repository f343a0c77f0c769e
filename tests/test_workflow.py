"""The analyst's workflow end to end, on a copy of the demo configuration: a partner's messy file →
proposals marked for review → refused while markers remain → completed → applied and ingested →
the pack for one locality shows the new indicator in its profile, its downloads and the catalogue."""

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
from typer.testing import CliRunner

from observatory.cli import app as observatory_app
from observatory.cli.add_dataset import command as add_dataset_cli

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
PARTNER = Path(__file__).parent / "fixtures" / "partner"
XLSX = PARTNER / "social_prescribing.xlsx"
LOCALITY = "ZL01"
sys.path.insert(0, str(PARTNER))
import make_partner_files as fixture  # noqa: E402

pytestmark = pytest.mark.xdist_group("packs")

add_dataset = typer.Typer()
add_dataset.command("add-dataset")(add_dataset_cli)
add_dataset.command("version")(lambda: None)  # two commands, so "add-dataset" is named on the command line as in `observatory`


def run(app: typer.Typer, args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(app, [str(a) for a in args])
    return r.exit_code, " ".join(r.output.split())


def expected_locality_values() -> pd.DataFrame:
    """Referrals per 100 adults of the locality, per period, from the generator and the demo lookups (plain pandas)."""
    lookup = pd.read_csv(DEMO / "lookups" / "small_area_lookup.csv", dtype=str)
    loc = pd.read_csv(DEMO / "localities.csv", dtype=str)
    wards = set(lookup.loc[lookup["small_area_code"].isin(loc.loc[loc["locality_code"] == LOCALITY, "area_code"]), "ward_code"])
    rows = [{"period": p, "n": v[0], "d": v[1]} for w in fixture.figures() if w["code"] in wards for p, v in w["values"].items()]
    t = pd.DataFrame(rows).groupby("period").sum()
    assert not ((t["n"] > 0) & (t["n"] < 5)).any()
    return t.assign(value=t["n"] / t["d"] * 100)


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    d = tmp_path_factory.mktemp("workflow")
    cfg = d / "demo"
    shutil.copytree(DEMO, cfg, ignore=shutil.ignore_patterns("proposals"))
    return d, cfg


def test_partner_file_to_a_rebuilt_pack(workflow):
    d, cfg = workflow
    proposal = d / "proposal"
    store = d / "store"

    # 1. inspect and propose: nothing ingested, everything inferred marked
    code, out = run(add_dataset, ["add-dataset", XLSX, "--config", cfg, "--out", proposal])
    assert code == 0, out
    assert "Nothing was ingested" in out and "row 109 'Total' is a total row" in out
    assert {"catalogue.yaml", "indicators.csv", "source.yaml", "README.md", "proposal.json", "social-prescribing.csv"} <= {
        p.name for p in proposal.iterdir()
    }
    record = yaml.safe_load((proposal / "catalogue.yaml").read_text())[0]
    assert record["review"] and record["description"].startswith("TODO")
    assert not store.exists()

    # 2. apply refuses while markers remain, naming them, and changes nothing
    before = {p: p.read_bytes() for p in (cfg / "config.yaml", cfg / "catalogue.yaml", cfg / "indicators.csv")}
    code, out = run(add_dataset, ["add-dataset", XLSX, "--config", cfg, "--apply", proposal, "--store", store])
    assert code == 1, out
    for field in ("description", "audience", "licence", "theme", "polarity", "Unknown / no fixed abode"):
        assert field in out, field
    assert {p: p.read_bytes() for p in before} == before and not store.exists()

    # 3. the analyst completes the records
    cat = proposal / "catalogue.yaml"
    text = re.sub(r"- review:.*?\n  id:", "- id:", cat.read_text(), flags=re.S)
    for k, v in {
        "title": "Social prescribing referrals (synthetic)",
        "description": "Adults referred to social prescribing link workers, by ward of residence.",
        "steward": "Data lead, Demo Community Action (synthetic)",
        "contact": "data@demo-voluntary.example",
        "classification": "open",
        "audience": "public",
        "lawful_basis": "Not required (aggregate counts)",
        "agreement": "Demo County information-sharing charter, schedule 6 (synthetic)",
        "dpia": "not required",
        "licence": "Open Government Licence v3.0",
        "attribution": "Demo Community Action referrals (synthetic)",
        "retention": "5 years",
    }.items():
        text = re.sub(rf"^  {k}: .*$", f"  {k}: {v}", text, flags=re.M)
    cat.write_text(text)
    inds = pd.read_csv(proposal / "indicators.csv", dtype=str, keep_default_na=False)
    inds.loc[0, ["title", "theme", "polarity", "definition", "review"]] = [
        "Adults referred to social prescribing",
        "healthier_communities_older_people",
        "no_judgement",
        "Referrals in the year per 100 adults registered with a GP practice.",
        "",
    ]
    inds.to_csv(proposal / "indicators.csv", index=False)
    source = proposal / "source.yaml"
    source.write_text(re.sub(r"^review:.*", "review: []\n", source.read_text(), flags=re.S | re.M))
    indicator = inds.loc[0, "id"]

    # 4. apply: appended and ingested
    code, out = run(add_dataset, ["add-dataset", XLSX, "--config", cfg, "--apply", proposal, "--store", store])
    assert code == 0, out
    assert f"added dataset social-prescribing with indicator(s) {indicator}" in out
    assert indicator in (cfg / "indicators.csv").read_text() and "id: social-prescribing" in (cfg / "catalogue.yaml").read_text()

    # 5. the pack for one locality
    packs = d / "packs"
    code, out = run(
        observatory_app,
        [
            "build",
            "--quiet",
            "--config",
            cfg,
            "--localities",
            LOCALITY,
            "--quarter",
            "2025Q3",
            "--out",
            packs,
            "--store",
            store,
            "--jobs",
            "1",
        ],
    )
    assert code == 0, out
    pack = packs / "2025Q3"
    html = (pack / "html" / f"profile-{LOCALITY}.html").read_text()
    assert "Adults referred to social prescribing" in html
    assert "Demo Community Action referrals (synthetic)" in html  # the attribution from the new record
    expected = expected_locality_values()
    for name in (f"profile-{LOCALITY}.csv", f"profile-{LOCALITY}.xlsx"):
        f = pack / "downloads" / name
        frame = (
            pd.read_csv(f) if f.suffix == ".csv" else pd.read_excel(f, sheet_name="data", header=3)
        )  # gptables: title rows above
        mine = frame[frame["indicator_id"] == indicator].set_index("period")
        assert sorted(mine.index) == ["2022/23", "2023/24", "2024/25"], name
        for period, e in expected.iterrows():
            assert mine.loc[period, "numerator"] == e["n"] and mine.loc[period, "denominator"] == e["d"]
            assert mine.loc[period, "value"] == pytest.approx(e["value"], rel=1e-9)
            assert mine.loc[period, "lower95"] < e["value"] < mine.loc[period, "upper95"]
    manifest = json.loads((pack / "manifest.json").read_text())
    assert [(o["name"], o["status"]) for o in manifest["outputs"]] == [(f"profile-{LOCALITY}", "ok")]

    # 6. the catalogue knows the dataset and publishes it
    from observatory.metadata.catalogue import load_catalogue
    from observatory.present.catalogue_page import build_catalogue

    record = load_catalogue(cfg).loc["social-prescribing"]
    assert record["indicators"] == [indicator] and record["partner"] == "demo-voluntary"
    exports = build_catalogue(cfg, d / "catalogue", today="2026-11-22")
    published = pd.read_csv(exports["csv"]).set_index("id")
    assert published.loc["social-prescribing", "indicators"] == indicator
    assert published.loc["social-prescribing", "themes"] == "healthier_communities_older_people"
    jsonld = json.loads(exports["jsonld"].read_text())
    assert "social-prescribing" in {ds["dct:identifier"] for ds in jsonld["dcat:dataset"]}
