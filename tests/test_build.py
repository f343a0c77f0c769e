"""`observatory build`: the quarterly pack end to end — files, no code in HTML, manifest, failure isolation, incremental."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_mini_config
from typer.testing import CliRunner

from observatory.cli import app
from observatory.publish.plan import current_quarter

pytestmark = pytest.mark.xdist_group("packs")
CODE_MARKERS = (
    'class="highlight',
    "jp-CodeMirrorEditor",
    'class="jp-InputPrompt',
    "open_profile(",
    "from observatory",
    "display(HTML",
)


def _html_has_no_code(path: Path) -> None:
    text = re.sub(r"<style.*?</style>", "", path.read_text(), flags=re.S)
    for marker in CODE_MARKERS:
        assert marker not in text, f"{path.name} shows code ({marker!r})"


def _build(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["build", "--quiet", *args])
    return r.exit_code, " ".join(r.output.split())


@pytest.fixture(scope="module")
def mini_pack(tmp_path_factory):
    d = tmp_path_factory.mktemp("build")
    cfg = make_mini_config(d / "mini", empty_locality=True)
    args = ["--config", str(cfg), "--quarter", "2025Q3", "--out", str(d / "packs"), "--store", str(d / "store"), "--jobs", "2"]
    code, out = _build(args)
    return d, cfg, args, code, out


def test_failed_locality_is_reported_and_the_others_build(mini_pack):
    d, _cfg, _args, code, out = mini_pack
    assert code == 1, out
    assert "FAILED profile-ML04" in out and "no profile data for locality 'ML04'" in out
    pack = d / "packs" / "2025Q3"
    for good in ("ML01", "ML02", "ML03"):
        assert (pack / "html" / f"profile-{good}.html").exists()
        assert (pack / "downloads" / f"profile-{good}.csv").exists()
    index = (pack / "index.html").read_text()
    assert "profile-ML04" in index and "failed" in index.lower()
    assert re.search(r'href="notebooks/profile-ML04\.ipynb"', index), "index links the failed notebook"
    manifest = json.loads((pack / "manifest.json").read_text())
    statuses = {o["name"]: o["status"] for o in manifest["outputs"]}
    assert statuses["profile-ML04"] == "failed" and statuses["profile-ML01"] == "ok"


def test_pack_files_manifest_and_no_code(mini_pack):
    d, _cfg, _args, _code, _out = mini_pack
    pack = d / "packs" / "2025Q3"
    manifest = json.loads((pack / "manifest.json").read_text())
    for o in manifest["outputs"]:
        assert {"name", "parameters", "depends", "notebook_sha256", "package_version", "status", "files"} <= set(o), o.keys()
        assert o["parameters"].get("quarter") == "2025Q3"
    assert manifest["build"]["config"] == "mini" and manifest["build"]["audience"] == "public"
    for html in (pack / "html").glob("*.html"):
        _html_has_no_code(html)
    with zipfile.ZipFile(d / "packs" / "2025Q3.zip") as z:
        names = set(z.namelist())
    assert {
        "2025Q3/manifest.json",
        "2025Q3/index.html",
        "2025Q3/downloads/profile-ML01.xlsx",
        "2025Q3/html/profile-ML01.html",
    } <= names


def test_second_build_executes_nothing_and_one_change_rebuilds_only_its_dependants(mini_pack):
    d, cfg, args, _code, _out = mini_pack
    # make ML04 buildable so the pack is whole, then rebuild: only ML04 (and what shows it) runs
    extra = d / "ml04.csv"
    extra.write_text(
        "indicator_id,area_code,period,numerator,denominator\nsmoking,Z01000007,2022,30,200\nsmoking,Z01000007,2023,31,200\n"
    )
    sources = cfg / "config.yaml"
    sources.write_text(sources.read_text() + "  - {id: ml04, adapter: tidy, file: " + str(extra) + ", dataset: mini-survey}\n")
    code, out = _build(args)
    assert code == 0, out
    manifest = json.loads((d / "packs" / "2025Q3" / "manifest.json").read_text())
    assert {o["name"]: o["status"] for o in manifest["outputs"]}["profile-ML04"] == "ok"
    code, out = _build(args)
    assert code == 0, out
    assert "0 built" in out and "0 failed" in out, out
    # rename one locality: its profile and the county overview show the name, the others do not
    before = {o["name"]: o["built_at"] for o in json.loads((d / "packs" / "2025Q3" / "manifest.json").read_text())["outputs"]}
    loc = cfg / "localities.csv"
    loc.write_text(loc.read_text().replace("Southtown", "Southtown and Marsh"))
    code, out = _build(args)
    assert code == 0, out
    manifest = json.loads((d / "packs" / "2025Q3" / "manifest.json").read_text())
    built = {o["name"] for o in manifest["outputs"] if o["built_at"] != before[o["name"]]}
    assert "2 built" in out, out
    assert "profile-ML02" in built and "profile-ML01" not in built and "profile-ML03" not in built, built


def test_one_locality_only(tmp_path):
    cfg = make_mini_config(tmp_path / "mini")
    code, out = _build(
        [
            "--config",
            str(cfg),
            "--quarter",
            "2025Q4",
            "--out",
            str(tmp_path / "packs"),
            "--store",
            str(tmp_path / "store"),
            "--localities",
            "ML02",
            "--jobs",
            "1",
        ]
    )
    assert code == 0, out
    html = sorted(p.name for p in (tmp_path / "packs" / "2025Q4" / "html").glob("*.html"))
    assert html == ["profile-ML02.html"]


def test_unknown_locality_is_a_usage_error(tmp_path):
    cfg = make_mini_config(tmp_path / "mini")
    code, out = _build(
        ["--config", str(cfg), "--out", str(tmp_path / "p"), "--store", str(tmp_path / "s"), "--localities", "ZZ99"]
    )
    assert code == 2 and "unknown locality code" in out


def test_current_quarter_is_the_last_complete_one():
    import datetime as dt

    assert current_quarter(dt.date(2026, 11, 22)) == "2026Q3"
    assert current_quarter(dt.date(2026, 2, 1)) == "2025Q4"


PLANTED_ID = "planted_restricted_indicator"
PLANTED_TITLE = "Planted restricted indicator"
PLANTED_DATASET = "demo-planted-restricted"


def plant_restricted_dataset(demo_copy: Path) -> None:
    """Add an OFFICIAL-SENSITIVE dataset shared with one named partner only, with data for every small area."""
    import yaml

    codes = pd.read_csv(demo_copy / "lookups" / "small_area_lookup.csv")["small_area_code"]
    rows = ["indicator_id,area_code,period,period_sort,numerator,denominator"]
    rows += [f"{PLANTED_ID},{c},2024/25,20240000,{40 + i % 17},{900 + i % 50}" for i, c in enumerate(codes)]
    (demo_copy / "sources" / "planted.csv").write_text("\n".join(rows) + "\n")
    with open(demo_copy / "indicators.csv", "a") as f:
        f.write(
            f"{PLANTED_ID},{PLANTED_TITLE},safer_communities,%,proportion,100,low_is_good,{PLANTED_DATASET},annual,Planted by the enforcement test,\n"
        )
    config = yaml.safe_load((demo_copy / "config.yaml").read_text())
    config["sources"].append({"id": "planted", "adapter": "tidy", "file": "sources/planted.csv", "dataset": PLANTED_DATASET})
    (demo_copy / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    catalogue = yaml.safe_load((demo_copy / "catalogue.yaml").read_text())
    records = catalogue["datasets"] if isinstance(catalogue, dict) else catalogue
    template = dict(next(r for r in records if r.get("audience") == "named partners"))
    template.update(
        {
            "id": PLANTED_DATASET,
            "title": "Planted restricted dataset (synthetic)",
            "indicators": [PLANTED_ID],
            "classification": "OFFICIAL-SENSITIVE",
            "audience": "named partners",
            "named_partners": ["demo-police"],
            "partner": "demo-health",
        }
    )
    template.pop("also_supplies", None)
    records.append(template)
    (demo_copy / "catalogue.yaml").write_text(yaml.safe_dump(catalogue, sort_keys=False, allow_unicode=True))


def _pack_text(pack: Path) -> dict[str, str]:
    """Every file of a pack as text; XLSX workbooks are read through their XML parts."""
    texts = {}
    for f in pack.rglob("*"):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                texts[str(f)] = " ".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml"))
        else:
            texts[str(f)] = f.read_bytes().decode("utf-8", "ignore")
    return texts


@pytest.fixture(scope="module")
def planted_demo(tmp_path_factory):
    import shutil

    d = tmp_path_factory.mktemp("demo")
    copy = d / "demo"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "demo", copy)
    plant_restricted_dataset(copy)
    code, out = _build(["--config", str(copy), "--quarter", "2025Q3", "--out", str(d / "packs"), "--store", str(d / "store")])
    return d, copy, code, out


@pytest.mark.slow
def test_demo_pack_has_every_profile_and_download(planted_demo):
    d, _copy, code, out = planted_demo
    assert code == 0, out
    pack = d / "packs" / "2025Q3"
    localities = pd.read_csv(Path(__file__).resolve().parents[1] / "data/demo/localities.csv")["locality_code"].unique()
    assert len(localities) == 23
    for code_ in localities:
        html = pack / "html" / f"profile-{code_}.html"
        assert html.exists(), code_
        _html_has_no_code(html)
        assert "Synthetic data" in html.read_text()
        for ext in ("csv", "xlsx"):
            assert (pack / "downloads" / f"profile-{code_}.{ext}").exists()
    for name in ("county-overview", "data-catalogue", "exceptions-board"):
        assert (pack / "html" / f"{name}.html").exists(), name
        _html_has_no_code(pack / "html" / f"{name}.html")
    index = (pack / "index.html").read_text()
    assert all(f"profile-{c}" in index for c in localities)
    manifest = json.loads((pack / "manifest.json").read_text())
    assert len(manifest["outputs"]) >= 24 and all(o["status"] == "ok" for o in manifest["outputs"])
    # no CDN: the pack's pages work on a council network with no internet access
    for html in (pack / "html").glob("*.html"):
        assert not re.search(r"<script[^>]+src=[\"']https?://", html.read_text()), html.name


@pytest.mark.slow
def test_restricted_dataset_appears_nowhere_in_a_public_pack(planted_demo):
    d, copy, code, out = planted_demo
    assert code == 0, out
    from observatory.store import Store

    assert PLANTED_ID in set(Store(d / "store").read(columns=["indicator_id"])["indicator_id"]), "the planted data was ingested"
    leaks = {
        path: needle
        for path, text in _pack_text(d / "packs" / "2025Q3").items()
        for needle in (PLANTED_ID, PLANTED_TITLE)
        if needle in text
    }
    assert leaks == {}, f"restricted dataset leaked into the public pack: {leaks}"
    # the named partner's pack shows it
    code, out = _build(
        [
            "--config",
            str(copy),
            "--quarter",
            "2025Q3",
            "--out",
            str(d / "packs"),
            "--store",
            str(d / "store"),
            "--audience",
            "partner:demo-police",
            "--localities",
            "ZL01",
        ]
    )
    assert code == 0, out
    partner = d / "packs" / "2025Q3-partner-demo-police"
    assert PLANTED_TITLE in (partner / "html" / "profile-ZL01.html").read_text()
    assert PLANTED_ID in (partner / "downloads" / "profile-ZL01.csv").read_text()


@pytest.mark.slow
@pytest.mark.warwickshire
def test_warwickshire_pack_builds_on_the_real_data(tmp_path, shared_data):
    code, out = _build(
        ["--config", "warwickshire", "--quarter", "2025Q3", "--out", str(tmp_path / "packs"), "--store", str(tmp_path / "store")]
    )
    assert code == 0, out
    pack = tmp_path / "packs" / "2025Q3"
    localities = pd.read_csv(Path(__file__).resolve().parents[1] / "data/warwickshire/localities.csv")["locality_code"].unique()
    for name in [f"profile-{c}" for c in localities] + [
        "county-overview",
        "data-catalogue",
        "exceptions-board",
        "exceptions-district-E07000222",
    ]:
        _html_has_no_code(pack / "html" / f"{name}.html")
    ken = (pack / "html" / "profile-WA-KEN.html").read_text()
    assert "Kenilworth" in ken and "Index of Multiple Deprivation" in ken and "Synthetic data" not in ken
    assert "Open Government Licence" in ken  # attribution from the catalogue
    d = pd.read_csv(pack / "downloads" / "profile-NW-WEST.csv")
    assert len(d) > 0 and d["value"].notna().any()
    manifest = json.loads((pack / "manifest.json").read_text())
    assert (
        len(manifest["outputs"]) == len(localities) + 2 + 12
    )  # + overview, catalogue; board, 6 themes, 5 districts and all(o["status"] == "ok" for o in manifest["outputs"])


def test_the_command_starts_the_workers_before_it_imports_pandas(tmp_path):
    """``observatory build`` starts a first build's workers before the planning code imports pandas (about 0.4 s
    of one idle core); a request it would refuse starts none, and the build then gives the reason."""
    code = (
        "import sys\n"
        "from observatory.publish.early import workers_for\n"
        "import observatory.cli\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'geopandas', 'papermill') if m in sys.modules)\n"
        f"pool = workers_for('demo', '2026Q3', out={str(tmp_path)!r}, jobs_n=1)\n"
        "print(heavy, len(pool.live), 'pandas' in sys.modules)\n"
        "pool.close()\n"
        f"print([workers_for('demo', q, out={str(tmp_path)!r}) for q in ('2026Q5', '26Q3')])\n"
        f"print(workers_for('demo', '2026Q3', out={str(tmp_path)!r}, jobs_n=0))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[] 1 False", "[None, None]", "None"]


def test_workers_start_while_planning_only_when_the_pack_will_run_notebooks(tmp_path):
    """A first build (no pack there yet) or a forced one starts its workers before planning, sized to the jobs it
    may have; a rebuild (which may have nothing to run) and a pack another build holds start none early."""
    from observatory.publish.early import early_workers
    from observatory.publish.lock import pack_lock

    target = tmp_path / "pack"
    pool = early_workers(target, 3, ["ML01", "ML02"], force=False)
    try:
        assert pool is not None and len(pool.live) == 2 and pool.settings["warm_up"]
    finally:
        pool.close()
    (target / "manifest.json").write_text("{}")
    assert early_workers(target, 2, None, force=False) is None
    with pack_lock(target):
        assert early_workers(target, 2, None, force=True) is None
    forced = early_workers(target, 1, None, force=True)
    try:
        assert forced is not None and len(forced.live) == 1
    finally:
        forced.close()


def test_a_second_plan_of_the_same_inputs_is_read_from_the_build_cache(tmp_path, monkeypatch):
    """A deleted pack rebuilt from the same inputs is planned from the cache (no profile table, geography or
    store read); new inputs, a changed boundary file or ``--force`` plan again."""
    from observatory.config import load_config
    from observatory.publish import plan as planning
    from observatory.store import Store

    monkeypatch.setenv("OBSERVATORY_BUILD_DIR", str(tmp_path / "build"))
    cfg = load_config(make_mini_config(tmp_path / "mini"))
    store = Store(tmp_path / "store")
    planning.sync_store(cfg, store, progress=False)
    out = tmp_path / "packs"
    pack = planning.Plan(cfg, "2025Q3", "public", store, planning.pack_dir(cfg, "2025Q3", "public", out))

    def inputs() -> str:
        return planning.inputs_digest(cfg, "2025Q3", "public", None, store, out)

    jobs, contents = planning.planned(pack, None, inputs())
    assert {j.name for j in jobs} >= {"county-overview", "profile-ML01", "data-catalogue"} and contents

    def refuse(*_args, **_kwargs):
        raise AssertionError("planned again")

    real_plan_jobs = planning.plan_jobs
    monkeypatch.setattr(planning, "plan_jobs", refuse)
    assert planning.planned(pack, None, inputs()) == (jobs, contents)
    # the same inputs planned into another folder: the cached plan, with that folder in its parameters
    elsewhere = planning.Plan(cfg, "2025Q3", "public", store, tmp_path / "copy" / "2025Q3")
    moved, _ = planning.planned(elsewhere, None, inputs())
    monkeypatch.setattr(planning, "plan_jobs", real_plan_jobs)
    assert moved == planning.plan_jobs(elsewhere, None)
    assert all(j.parameters["pack_dir"] == str(tmp_path / "copy" / "2025Q3") for j in moved if "pack_dir" in j.parameters)
    monkeypatch.setattr(planning, "plan_jobs", refuse)
    with pytest.raises(AssertionError, match="planned again"):
        planning.planned(pack, None, inputs(), force=True)
    boundaries = next(f for f in planning.geography_files(cfg) if f.suffix != ".csv")  # the small areas' shapes
    stat = boundaries.stat()
    os.utime(boundaries, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(AssertionError, match="planned again"):
        planning.planned(pack, None, inputs())
    monkeypatch.setattr(planning, "plan_jobs", real_plan_jobs)
    again, _ = planning.planned(pack, None, inputs())
    assert again == jobs  # the same shapes: the same digests, planned afresh
    targets = cfg.local_path("targets.csv")
    targets.write_text("indicator_id,area_code,target,by_period,direction\n")
    monkeypatch.setattr(planning, "plan_jobs", refuse)
    with pytest.raises(AssertionError, match="planned again"):
        planning.planned(pack, None, inputs())
