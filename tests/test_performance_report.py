"""The exception report end to end: the report model, its page, its downloads, what an audience may see, the notebook."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import papermill as pm
import pytest
from nbconvert import HTMLExporter

from observatory._core.settings import checkout_root, data_dir
from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.performance import exceptions as perf
from observatory.present.exception_page import open_exception_page, open_exception_report
from observatory.store import Store


@pytest.fixture
def mini_report_config(mini_config, tmp_path):
    """The mini county with six years of smoking: Northtown (ML01) rising, the others flat; and targets."""
    cfg = load_config(mini_config)
    extra = tmp_path / "years.csv"
    rows = ["indicator_id,area_code,period,numerator,denominator"]
    codes = ["Z01000001", "Z01000002", "Z01000003", "Z01000004", "Z01000005", "Z01000006"]
    for k, year in enumerate(range(2019, 2025)):
        for i, code in enumerate(codes):
            num = 400 + 60 * k if i < 2 else 300
            rows.append(f"smoking,{code},{year},{num},2000")
            rows.append(f"crime,{code},{year},{200 + 40 * k},4000")
    extra.write_text("\n".join(rows) + "\n")
    (mini_config / "values.csv").write_text(
        "indicator_id,area_code,period,numerator,denominator,value\n"
        + "".join(f"population,{c},2023,,,{1500 + 10 * i}\nimd_score,{c},2019,,,{10 + 5 * i}\n" for i, c in enumerate(codes))
    )
    (mini_config / "targets.csv").write_text(
        "indicator_id,area_code,area_type,target_value,target_period,direction,theme_group,owner,note,illustrative\n"
        "smoking,ML01,locality,15,2026/27,decrease,,Health lead,,true\n"
        "smoking,ML02,locality,16,2026/27,decrease,,Health lead,,true\n"
        "crime,ML03,locality,40,2026/27,decrease,,Safety lead,,true\n"
    )
    (mini_config / "allocations.csv").write_text(
        "area_code,area_type,period,amount,fund\nML01,locality,2025/26,100,Grant\nML02,locality,2025/26,100,Grant\n"
        "ML03,locality,2025/26,100,Grant\n"
    )
    store = Store(tmp_path / "store")
    ingest(cfg, store, files=[("tidy", extra, {"dataset": "mini-survey"})])
    return cfg, store


def test_exception_report_end_to_end(mini_report_config, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_BUILD_DIR", str(tmp_path / "build"))
    cfg, store = mini_report_config
    page = open_exception_page(cfg, "2025Q3", "board", "public", store.path)
    r = page.report
    e = r.exceptions
    assert "crime" not in set(e["indicator_id"]) and "crime" not in set(r.assessed["indicator_id"])  # partners only
    off = e[e["rule"] == "off_track"]
    assert off["area_code"].tolist() == ["ML01"]
    widening = set(e.loc[e["rule"] == "gap_widening", "area_code"])
    assert "ML01" in widening and not widening & {"ML02", "ML03"}  # ML02 and ML03 are better than the county
    status = r.assessed.set_index("area_code")["status"].astype(str)
    assert status["ML01"] == "off track" and status["ML02"] == "on track"
    spend = r.spend.set_index("area_code")
    assert spend.loc["ML03", "under_funded"] and not spend.loc["ML01", "under_funded"]  # ML03 is the most deprived
    html = page.html()
    assert "Illustrative targets" in html and "Northtown" in html and "Recorded crime" not in html
    assert "Synthetic data" in html and "Exception report: County-wide partnership board" in html
    files = page.write_downloads(tmp_path / "pack" / "downloads")
    assert [f.name for f in files] == ["exceptions-board.csv", "exceptions-board.xlsx", "exceptions-board-attribution.csv"]
    assert pd.read_excel(files[1], sheet_name=None).keys() >= {
        "Cover",
        "Contents",
        "Notes",
        "exceptions",
        "new",
        "resolved",
        "targets",
    }
    assert 'href="../downloads/exceptions-board.xlsx"' in page.section("downloads")

    partners = open_exception_page(cfg, "2025Q4", "district:Z07000002", "partners", store.path, previous=tmp_path / "pack")
    assert "crime" in set(partners.report.assessed["indicator_id"])
    assert set(partners.report.exceptions["district_code"]) <= {"Z07000002"}
    changes = partners.section("changes")
    assert partners.report.previous_exceptions is None and "no exceptions-district-Z07000002.csv" in changes
    assert str(tmp_path) not in changes  # the pack's name, never a path of the build machine
    snapshot = open_exception_report(cfg, "2025Q4", "board", "public", store.path, previous=store.path)
    new, resolved, still = snapshot.changes  # last quarter recomputed from a store snapshot: the same data
    assert new.empty and resolved.empty and len(still) == len(e)


def test_a_report_without_disclosure_control_gives_no_figures(mini_report_config):
    cfg, store = mini_report_config
    with pytest.raises(ValueError, match="disclosure control"):
        _ = perf.ExceptionReport(cfg, "2025Q3", "board", "public", store.path).exceptions


RESTRICTED = ("crime", "Recorded crime", "mini-police", "per 1000", "Police funding")


def _download_text(files) -> str:
    sheets = pd.read_excel(files[1], sheet_name=None, dtype=str)
    return files[0].read_text() + "".join(s.to_csv() for s in sheets.values())


def test_nothing_of_a_restricted_dataset_reaches_a_public_report(mini_report_config, tmp_path, monkeypatch):
    """The police dataset is for partners: its indicator's id, title and figures stay out of every public output,
    including a risk linked to it and last quarter's exceptions that name it."""
    monkeypatch.setenv("OBSERVATORY_BUILD_DIR", str(tmp_path / "build"))
    cfg, store = mini_report_config
    (cfg.dir / "risks.csv").write_text(
        "id,title,theme,owner,likelihood,impact,score,mitigation,linked_indicator\n"
        "R1,Police funding reduced,safer_communities,Board,4,4,16,Share patrols,crime\n"
        "R2,Grant ends,stronger_communities,Board,4,5,20,Bid again,\n"
    )
    last = tmp_path / "pack-2025Q2" / "downloads"
    last.mkdir(parents=True)
    pd.DataFrame(
        [
            {
                "level": "board",
                "rule": "red_red",
                "rule_title": perf.RULES["red_red"],
                "indicator_id": "crime",
                "indicator": "Recorded crime",
                "area_code": "ML01",
                "area_name": "Northtown",
                "value": 71.5,
                "why": "71.5 per 1000 in 2023 is significantly worse than Mini County.",
            }
        ]
    ).to_csv(last / "exceptions-board.csv", index=False)

    partners = open_exception_page(cfg, "2025Q3", "board", "partners", store.path, previous=last.parent)
    partners.write_downloads(tmp_path / "partners")
    assert "crime" in set(partners.report.risks["linked_indicator"])  # the fixture does reach the partners' report
    assert "crime" in set(partners.report.changes[1]["indicator_id"])

    public = open_exception_page(cfg, "2025Q3", "board", "public", store.path, previous=last.parent)
    files = public.write_downloads(tmp_path / "public")
    assert public.report.risks["id"].tolist() == ["R2"]
    outputs = {"html": str(public.html()), "downloads": _download_text(files)}
    for where, text in outputs.items():
        for word in RESTRICTED:
            assert word not in text, f"{word!r} of the partners-only dataset is in the public {where}"


PUBLISHED_MUST_NOT = re.compile(r"papermill|observatory\.[a-z_]+\.[a-z_]|\.ipynb\b|(?<![\w.])/(?:tmp|work|root|home|usr)/")


def _executed_html(out, tmp_path, parameters: dict) -> str:
    pm.execute_notebook(
        str(perf.NOTEBOOK), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path), parameters=parameters
    )
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nbformat.read(out, as_version=4))
    return body


# ---------------------------------------------------------------- the demo county and the notebook

DEMO = data_dir() / "demo"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """The demo county ingested into a fresh store, with the profile cache in a temporary build folder."""
    if not (DEMO / "config.yaml").exists() or not (DEMO / "targets.csv").exists():
        pytest.skip("the demo county has not been generated")
    build = tmp_path_factory.mktemp("build")
    mp = pytest.MonkeyPatch()
    mp.setenv("OBSERVATORY_BUILD_DIR", str(build))
    store = Store(build / "store")
    ingest(load_config("demo"), store)
    yield store
    mp.undo()


def test_exception_jobs_cover_board_themes_and_districts(mini_config):
    jobs = perf.exception_jobs(load_config(mini_config), "2025Q3", previous="/packs/2025Q2")
    assert [j["name"] for j in jobs][:2] == ["exceptions-board", "exceptions-theme-children_young_people"]
    assert len(jobs) == 1 + 6 + 2
    assert jobs[-1]["parameters"]["level"] == "district:Z07000002" and jobs[-1]["group"] == "exceptions"
    assert set(jobs[0]["parameters"]) == {"config", "quarter", "level", "audience", "store", "pack_dir", "previous"}


def test_demo_targets_give_every_status_and_underfunded_localities(demo_store):
    r = open_exception_report(load_config("demo"), "2025Q3", "board", "partners", demo_store.path)
    counts = r.assessed["status"].astype(str).value_counts()
    assert counts.get("on track", 0) >= 3 and counts.get("at risk", 0) >= 3 and counts.get("off track", 0) >= 3
    assert 1 <= int(r.spend["under_funded"].sum()) <= 3
    assert set(r.exceptions["rule"]) == set(perf.RULES)
    assert not set(r.data["dataset"]) - r.allowed_datasets


def test_exception_notebook_runs_for_the_board_and_a_district(demo_store, tmp_path):
    """Both levels render for a partnership board reader: no developer-facing text, no path of the build machine."""
    district = perf.exception_jobs(load_config("demo"), "2025Q3")[-1]["parameters"]["level"]
    pack, previous = tmp_path / "pack", tmp_path / "pack-2025Q2"
    previous.mkdir()  # last quarter's pack without this level's table: "not compared" must not name its path
    for level in ("board", district):
        body = _executed_html(
            tmp_path / f"{perf.level_slug(level)}.ipynb",
            tmp_path,
            {
                "config": "demo",
                "quarter": "2025Q3",
                "level": level,
                "audience": "partners",
                "store": str(demo_store.path),
                "pack_dir": str(pack),
                "previous": str(previous),
            },
        )
        assert "Exception report:" in body and "Since last quarter" in body and "zero-based" in body
        assert "open_exception_page" not in body and "display(HTML(" not in body
        assert not PUBLISHED_MUST_NOT.findall(body), PUBLISHED_MUST_NOT.findall(body)[:5]
        for path in (tmp_path, demo_store.path, checkout_root(), data_dir()):
            assert str(path) not in body
        assert (pack / "downloads" / f"exceptions-{perf.level_slug(level)}.csv").exists()
    board = pd.read_csv(pack / "downloads" / "exceptions-board.csv")
    assert set(board["level"]) == {"board"} and len(board) > 0
