"""The live dashboard's payload and light kernel: nothing an audience may not see is in its payload, a kernel reading it
imports none of the heavy libraries, a changed store rebuilds it, a served map restyles in place, the pool is sized."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_dashboard import choose, mini_store, profiles  # noqa: F401  (the shared module fixtures)

from observatory.apps.dashboard import SERVED_ENV, LocalitiesDashboard
from observatory.apps.payload import PAYLOAD_ENV, Payload
from observatory.apps.payload_build import write_payload
from observatory.apps.serve import kernel_cap, voila_environment
from observatory.apps.voila_server import MAX_KERNELS, pool_config
from observatory.ingest.pipeline import ingest
from observatory.metadata.catalogue import allowed_datasets, read_catalogue, visible_indicators
from observatory.metadata.indicators import load_indicators

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("geopandas", "shapely", "pyproj", "scipy", "matplotlib", "folium", "branca", "mapclassify", "sklearn", "statsmodels")
"""What a dashboard kernel must never import: the geography, statistics and plotting stack."""
TABLES = ("pandas", "numpy", "pyarrow")
"""What it imports only for the one view drawn in the kernel (compare areas) and for a download."""


@pytest.fixture(scope="module")
def demo_payloads(demo_store, tmp_path_factory) -> dict[str, Path]:
    """The demo county's payload for the public and for partners (the catalogue keeps a dataset from each)."""
    cfg, store = demo_store
    out = tmp_path_factory.mktemp("payloads")
    return {a: write_payload(cfg, a, out / a, store=store, reuse=False)["folder"] for a in ("public", "partners")}


def _texts(folder: Path):
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            yield p, p.read_text(encoding="utf-8")


@pytest.mark.parametrize("audience", ["public", "partners"])
def test_the_payload_holds_nothing_its_audience_may_not_see_not_even_by_id(demo_payloads, demo_store, audience):
    cfg, _store = demo_store
    restricted = set(read_catalogue(cfg)["id"].astype(str)) - set(allowed_datasets(cfg, audience))
    only_theirs = set(load_indicators(cfg)["id"].astype(str)) - set(visible_indicators(cfg, audience))
    assert restricted and only_theirs, f"the demo catalogue keeps some datasets from {audience}"
    words = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(restricted | only_theirs))) + r")(?![\w-])")
    folder = demo_payloads[audience]
    found = [(p.relative_to(folder).as_posix(), m[0]) for p, text in _texts(folder) for m in [words.search(text)] if m]
    assert found == []
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["audience"] == audience and {i["dataset"] for i in meta["indicators"]} <= set(allowed_datasets(cfg, audience))
    paths = [str(demo_store[1].path), str(ROOT), str(Path.home()) + "/"]
    assert [(p.name, w) for p, text in _texts(folder) for w in paths if w in text] == []  # no machine path either


def test_suppressed_figures_are_blank_in_the_payload(demo_payloads):
    suppressed = 0
    for path in (demo_payloads["partners"] / "maps").glob("*.json"):
        for level in json.loads(path.read_text())["levels"].values():
            rows = level["rows"]
            for i, hidden in enumerate(rows["suppressed"]):
                if hidden:
                    suppressed += 1
                    assert (rows["value"][i], rows["lower95"][i], rows["upper95"][i]) == (None, None, None)
                    assert rows["value_text"][i] == "suppressed" and rows["vs_county_text"][i] == "suppressed"
    assert suppressed, "the demo suppresses some small counts"


KERNEL = """
import json, sys
import observatory as obs
d = obs.LocalitiesDashboard(config="mini", audience="public")
seen = {"start": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY + TABLES)}
d.theme.value = "healthier_communities_older_people"
d.indicator.value = "smoking"
d.level.value = "small_area"
d.colour_by.value = "vs_county"
d.locality.value = "ML02"
for view in ("inequalities", "pyramid", "map"):
    d.view_choice.value = view
seen["map, details, inequalities, pyramid"] = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY + TABLES)
d.view_choice.value = "compare"
d.download.click()
seen["compare, download"] = sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in HEAVY)
seen["drawn"] = ["obs-bar" in d.panel.value, "xlsx" in d.downloads.value, "Southtown" in d.details.value]
print(json.dumps(seen))
"""


def test_a_kernel_reading_the_payload_imports_none_of_the_heavy_libraries(mini_store, tmp_path):  # noqa: F811
    cfg, store = mini_store
    folder = write_payload(cfg, "public", tmp_path / "payload", store=store)["folder"]
    env = {**os.environ, PAYLOAD_ENV: str(folder), "OBSERVATORY_CONFIG": "mini", "PYTHONPATH": str(ROOT)}
    code = f"HEAVY = {HEAVY!r}\nTABLES = {TABLES!r}\n" + KERNEL
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["start"] == [] and seen["map, details, inequalities, pyramid"] == []  # not even pandas, numpy, pyarrow
    assert seen["compare, download"] == [] and seen["drawn"] == [True, True, True]  # pandas only, once compared


def test_a_changed_store_rebuilds_the_payload_and_an_unchanged_one_is_kept(mini_store, tmp_path):  # noqa: F811
    from conftest import make_mini_config

    from observatory.config import load_config
    from observatory.store import Store

    cfg = load_config(make_mini_config(tmp_path / "mini"))
    store = Store(tmp_path / "store")
    ingest(cfg, store)
    out = tmp_path / "payload"
    first = write_payload(cfg, "public", out, store=store)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = write_payload(cfg, "public", out, store=store)
    assert not first["reused"] and again["reused"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "indicator_id,area_code,period,numerator,denominator\n"
        + "".join(f"smoking,Z0100000{i},2025,9,100\n" for i in range(1, 7))
    )
    ingest(cfg, store, files=[("tidy", extra, {"dataset": "mini-survey"})])
    changed = write_payload(cfg, "public", out, store=store)
    assert not changed["reused"]
    periods = {i["id"]: i["periods"] for i in json.loads((out / "meta.json").read_text())["indicators"]}
    assert periods["smoking"][0] == "2025"


def test_a_served_dashboard_reads_the_servers_payload_only_for_its_own_audience(mini_store, tmp_path, monkeypatch):  # noqa: F811
    cfg, store = mini_store
    partners = write_payload(cfg, "partners", tmp_path / "partners", store=store)["folder"]
    monkeypatch.setenv(PAYLOAD_ENV, str(partners))
    monkeypatch.setenv("OBSERVATORY_CONFIG", str(cfg.dir))
    served = LocalitiesDashboard(str(cfg.dir), "partners")
    assert served.payload.folder == partners and "crime" in served.indicators
    public = LocalitiesDashboard(str(cfg.dir), "public", store=store.path)  # another audience: never the partners' payload
    assert public.payload.folder is None and "crime" not in public.indicators
    with pytest.raises(ValueError):
        LocalitiesDashboard(cfg, "public", payload=Payload(partners))


def _style(d: LocalitiesDashboard) -> dict:
    found = re.search(r'data-obs-map-style="([^"]*)"', d.map_style.value)
    assert found, d.map_style.value
    import html

    return json.loads(html.unescape(found.group(1)))


def test_a_served_map_is_restyled_in_place_and_drawn_again_only_for_other_areas(profiles):  # noqa: F811
    d = LocalitiesDashboard(profiles.config, "public", profiles=profiles, restyle=True)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    drawn, before = d.map.value, _style(d)
    d.theme.value = "stronger_communities"  # IMD score, 2019
    after = _style(d)
    assert d.map.value == drawn  # the same areas: no new document, only a new style for the page to hand over
    assert after["version"] > before["version"] and after["fills"] != before["fills"]
    assert "IMD score (score), 2019" in after["legend"] and after["frame_title"] == "Map of localities: IMD score, 2019"
    d.locality.value = "ML02"
    assert d.map.value == drawn and _style(d)["highlight"] == "ML02"
    d.level.value = "small_area"  # other areas: a new document, showing the newest style
    assert d.map.value != drawn and f'"version":{_style(d)["version"]}' in html_document(d.map.value)
    assert len(_style(d)["fills"]) == 6
    assert LocalitiesDashboard(profiles.config, "public", profiles=profiles).map_style.value == ""  # in a notebook: redrawn


def html_document(iframe: str) -> str:
    import html

    return html.unescape(re.search(r'srcdoc="([^"]*)"', iframe).group(1))


def test_the_pool_is_sized_to_the_visitors_and_the_kernel_cap_leaves_room_for_them(tmp_path):
    assert kernel_cap(4) == MAX_KERNELS and kernel_cap(20) == 42  # the pool, as many visitors, their refills, the catalogue
    assert kernel_cap(4, 30) == 30
    with pytest.raises(ValueError):
        kernel_cap(10, 11)  # every kernel pooled: no visitor would get one
    pools = pool_config(20).VoilaKernelManager.kernel_pools_config
    assert pools["localities.ipynb"]["pool_size"] == 20 and pools["default"]["pool_size"] == 1
    env = voila_environment("demo", "partners", max_kernels=42, pool=20, payload=tmp_path)
    assert env["OBSERVATORY_POOL"] == "20" and env[PAYLOAD_ENV] == str(tmp_path.resolve()) and env[SERVED_ENV] == "1"
