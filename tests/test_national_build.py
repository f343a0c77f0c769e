"""The national build on a two-worker Dask LocalCluster: three unlike authorities, then an incremental re-run."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from observatory.national.build import build_authorities

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]
# a county with districts (its districts as localities), a metropolitan borough, a London borough (MSOAs)
THREE = {"E10000011": ("East Sussex", 5), "E08000011": ("Knowsley", 20), "E09000001": ("City of London", 1)}
REGIONS = {"E10000011": "E12000008", "E08000011": "E12000002", "E09000001": "E12000007"}
REGION_NAMES = {"E10000011": "South East", "E08000011": "North West", "E09000001": "London"}


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    root = tmp_path_factory.mktemp("national-build")
    mp = pytest.MonkeyPatch()
    mp.setenv("OBSERVATORY_BUILD_DIR", str(root / "build"))  # the cluster's workers inherit it
    kw = dict(
        executor="dask",
        workers=2,
        localities="districts",
        quarter="2026Q3",
        out=root / "packs",
        configs=root / "configs",
        store=root / "store",
        progress=False,
    )
    first = build_authorities(list(THREE), **kw)
    second = build_authorities(list(THREE), **kw)
    yield root, first, second
    mp.undo()


def _pack(root, code):
    pack = root / "packs" / code / "2026Q3"
    return pack, json.loads((pack / "manifest.json").read_text())


def test_three_unlike_authorities_build_with_benchmarks(national):
    root, first, _ = national
    assert [r.code for r in first] == sorted(THREE) and all(r.ok for r in first), [r.summary for r in first]
    for code, (name, n_localities) in THREE.items():
        pack, manifest = _pack(root, code)
        profiles = sorted((pack / "downloads").glob("profile-*[0-9].csv"))
        assert len(profiles) == n_localities
        assert {"county-overview", "data-catalogue"} <= {o["name"] for o in manifest["outputs"]}
        assert all(o["status"] == "ok" for o in manifest["outputs"])
        for page in ("county-overview", profiles[0].stem):  # the overview and each profile draw a map
            html = (pack / "html" / f"{page}.html").read_text()
            assert name in html and "L.map" in html
        region = REGION_NAMES[code]  # the region is shown where England is: theme tables, compare views' lines
        assert f"<th>{region}</th>" in (pack / "html" / f"{profiles[0].stem}.html").read_text()
        overview = (pack / "html" / "county-overview.html").read_text()
        assert re.search(rf"\. {region} -?[\d.]+\. England -?[\d.]+\.", overview)
        p = pd.read_csv(profiles[0]).set_index("indicator_id")
        assert p.loc["imd_score", "value"] > 0 and p.loc["imd_score", "england_value"] == pytest.approx(21.916, abs=0.01)
        assert p.loc["households_deprived_2plus", "vs_england"] in {"better", "worse", "similar"}
        single = code[:3] in ("E08", "E09")
        assert p["district_value"].isna().all() == single  # no district level for single-tier authorities
    cache = next((root / "build" / "cache").glob("city-of-london/*/profiles.parquet"))
    t = pd.read_parquet(cache)
    assert (t["region_value"].notna() & (t["indicator_id"] == "imd_score")).any()
    assert set(t["area_type"]) >= {"england", "region", "county", "locality"} and "district" not in set(t["area_type"])


def test_second_run_rebuilds_nothing(national):
    _, _, second = national
    assert all(r.ok for r in second)
    assert all("0 built" in r.summary or "up to date" in r.summary for r in second), [r.summary for r in second]
