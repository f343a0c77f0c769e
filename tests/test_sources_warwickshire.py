"""Every source the Warwickshire configuration ingests reads with zero problems and the expected rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml

from observatory._core.vocab import KEY
from observatory.ingest import adapters as sources

CONFIG = Path(__file__).resolve().parents[1] / "data" / "warwickshire"
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire"
SPECS = yaml.safe_load((CONFIG / "sources.yaml").read_text())
pytestmark = pytest.mark.skipif(not BUNDLE.is_dir(), reason="the Warwickshire bundle is not present")

LSOA11, LSOA21 = 339, 354
# expected rows: areas × indicators (× age bands) — from PROVENANCE.md and the options in sources.yaml
EXPECTED = {
    "iod2019_scores": LSOA11 * 3,
    "iod2019_deciles": LSOA11 * 8,
    "iod2019_idaci_idaopi": LSOA11 * 2,
    "iod2019_underlying": LSOA11 * 8,
    "iod2019_population_denominators": LSOA11 * 5,
    "iod2025_domains": LSOA21 * 16,
    "iod2025_subdomains": LSOA21 * 6,
    "iod2025_underlying": LSOA21 * 14,
    "population_mid2020": LSOA11 * 20,
    "population_census2021": LSOA21,
    "census2021_household_deprivation": LSOA21,
    "census2021_tenure": LSOA21 * 3,
    "census2021_overcrowding": LSOA21,
    "census2021_disability": LSOA21,
    "census2021_ethnicity": LSOA21,
    "ruc2011": LSOA11,
    "ruc2021": LSOA21,
    "fingertips_pm25_new": 81,
    "fingertips_pm25_old": 41,
    "fingertips_alcohol_treatment": 3,
    "fingertips_opiate_treatment": 3,
    "fingertips_campylobacter": 70,
    "fingertips_cyp_mental_health": 20,
    "fingertips_suicide": 10,
    "fingertips_tobacco": 14,
}


def read(spec):
    return sources.read(spec["adapter"], BUNDLE / spec["file"], {"dataset": spec["dataset"], **(spec.get("options") or {})})


@pytest.fixture(scope="module")
def extracts():
    return {s["id"]: read(s) for s in SPECS}


def test_every_source_is_listed_once_with_the_required_keys():
    ids = [s["id"] for s in SPECS]
    assert len(ids) == len(set(ids)) and set(ids) == set(EXPECTED)
    for s in SPECS:
        assert {"id", "adapter", "file", "dataset", "options"} <= set(s), s["id"]
        assert (BUNDLE / s["file"]).is_file(), s["file"]


@pytest.mark.parametrize("source_id", sorted(EXPECTED))
def test_source_reads_without_problems(extracts, source_id):
    e = extracts[source_id]
    assert e.report.ok, str(e.report)
    assert len(e.frame) == EXPECTED[source_id]
    assert e.frame["value"].notna().any()


def test_indicators_are_all_defined_and_used(extracts):
    with open(CONFIG / "indicators.csv", newline="") as f:
        defined = {r["id"] for r in csv.DictReader(f)}
    used = set().union(*(set(e.frame["indicator_id"]) for e in extracts.values()))
    assert used == defined


def test_no_key_is_supplied_twice(extracts):
    frame = pd.concat([e.frame for e in extracts.values()], ignore_index=True)
    assert not frame.duplicated(KEY).any()


def test_population_source_matches_the_configuration(extracts):
    config = yaml.safe_load((CONFIG / "config.yaml").read_text())
    source = config["population"]["source"]
    pop = extracts[source].frame
    assert set(pop["indicator_id"]) == {config["population"].get("indicator", "population")}
    assert pop.loc[pop["age"] == "All ages", "value"].sum() == 583786


def test_rural_share_is_a_flag_per_lsoa(extracts):
    for source_id, n_rural in (("ruc2011", 61 + 47), ("ruc2021", 4 + 54 + 8 + 39)):
        values = extracts[source_id].frame["value"]
        assert set(values) == {0.0, 100.0} and (values == 100).sum() == n_rural
