"""Profiles built in one process share what every locality needs, and exception reports what every level needs; a
changed store, catalogue or targets file is never served stale."""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.performance.report import ExceptionReport
from observatory.present.disclosure import publishable
from observatory.present.exception_page import open_exception_report
from observatory.present.report import open_profile
from observatory.present.strings import python_strings
from observatory.present.view_data import clear_shared_cache, locality_values, shared_cache_info
from observatory.store import Store

SMALL_AREAS = ["Z01000001", "Z01000002", "Z01000003", "Z01000004", "Z01000005", "Z01000006"]


def _smoking(path, period: str, numerators: list[int]) -> None:
    rows = ["indicator_id,area_code,period,numerator,denominator"]
    rows += [f"smoking,{code},{period},{n},200" for code, n in zip(SMALL_AREAS, numerators)]
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture
def smoking_store(mini_config, tmp_path):
    cfg = load_config(mini_config)
    first = tmp_path / "smoking-2024.csv"
    _smoking(first, "2024", [90, 95, 20, 20, 20, 20])
    store = Store(tmp_path / "store")
    ingest(cfg, store, files=[("tidy", first, {"dataset": "mini-survey"})])
    clear_shared_cache()
    yield cfg, store
    clear_shared_cache()


def test_a_second_locality_reuses_the_first_ones_shared_data(smoking_store):
    cfg, store = smoking_store
    first = open_profile(cfg, "ML01", "2025Q3", "public", str(store.path))
    first.compare_html()
    assert shared_cache_info()["misses"] == 1 and shared_cache_info()["hits"] == 0
    second = open_profile(cfg, "ML02", "2025Q3", "public", str(store.path))
    assert shared_cache_info()["misses"] == 1 and shared_cache_info()["hits"] == 1
    assert second.profiles is first.profiles and second.shared is first.shared
    assert second.shared.locality_values("smoking") is first.shared.locality_values("smoking")  # ranked once
    # the shared frame is the one each profile would compute on its own
    uncached = python_strings(locality_values)(second.profiles, "smoking")  # made as pages make it
    pd.testing.assert_frame_equal(second.shared.locality_values("smoking").frame, uncached.frame)
    assert "Northtown" in second.compare_html() or "Southtown" in second.compare_html()


def test_another_audience_is_its_own_entry(smoking_store):
    cfg, store = smoking_store
    public = open_profile(cfg, "ML01", "2025Q3", "public", str(store.path))
    partners = open_profile(cfg, "ML01", "2025Q3", "partners", str(store.path))
    assert shared_cache_info()["misses"] == 2
    assert "crime" in set(partners.data["indicator_id"]) and "crime" not in set(public.data["indicator_id"])


def test_a_changed_store_is_read_again(smoking_store, tmp_path):
    cfg, store = smoking_store
    before = open_profile(cfg, "ML02", "2025Q3", "public", str(store.path))
    old = before.latest.set_index("indicator_id").loc["smoking"]
    assert old["period"] == "2024" and old["value"] == pytest.approx(40 / 400 * old["multiplier"])
    newer = tmp_path / "smoking-2025.csv"
    _smoking(newer, "2025", [90, 95, 100, 100, 20, 20])
    ingest(cfg, store, files=[("tidy", newer, {"dataset": "mini-survey"})])
    after = open_profile(cfg, "ML02", "2025Q3", "public", str(store.path))
    assert shared_cache_info()["misses"] == 2
    new = after.latest.set_index("indicator_id").loc["smoking"]
    assert new["period"] == "2025" and new["value"] == pytest.approx(200 / 400 * new["multiplier"])
    assert "2025" in after.theme_tables_html()


def test_a_changed_catalogue_is_read_again(smoking_store):
    cfg, store = smoking_store
    open_profile(cfg, "ML01", "2025Q3", "public", str(store.path))
    catalogue = cfg.dir / "catalogue.yaml"
    catalogue.write_text(catalogue.read_text() + "\n")
    open_profile(cfg, "ML01", "2025Q3", "public", str(store.path))
    assert shared_cache_info()["misses"] == 2


def test_the_cache_is_bounded(smoking_store):
    cfg, store = smoking_store
    for audience in ["public", "partners", "public", "partners"]:
        open_profile(cfg, "ML01", "2025Q3", audience, str(store.path))
    info = shared_cache_info()
    assert info["entries"] <= info["size"] and info["hits"] == 2


TARGETS = "indicator_id,area_code,area_type,target_value,target_period,direction,theme_group,owner,note,illustrative\n"
HEALTH = "theme:healthier_communities_older_people"


def _target(cfg, value: int) -> None:
    (cfg.dir / "targets.csv").write_text(TARGETS + f"smoking,ML01,locality,{value},2026/27,decrease,,Health lead,,true\n")


def test_a_second_exception_report_reuses_the_first_ones_basis(smoking_store, tmp_path):
    cfg, store = smoking_store
    _target(cfg, 15)
    values = cfg.dir / "values.csv"  # the configuration's own smoking rows left out: six years of Northtown rising
    values.write_text("".join(line for line in values.read_text().splitlines(True) if not line.startswith("smoking,")))
    rows = ["indicator_id,area_code,period,numerator,denominator"]
    for k, year in enumerate(range(2019, 2025)):
        rows += [f"smoking,{c},{year},{40 + 12 * k if i < 2 else 30},200" for i, c in enumerate(SMALL_AREAS)]
    (tmp_path / "years.csv").write_text("\n".join(rows) + "\n")
    ingest(cfg, store, files=[("tidy", tmp_path / "years.csv", {"dataset": "mini-survey"})])
    board = open_exception_report(cfg, "2025Q3", "board", "public", store.path)
    assert len(board.exceptions) and shared_cache_info()["exception_misses"] == 1
    theme = open_exception_report(cfg, "2025Q3", HEALTH, "public", store.path)
    district = open_exception_report(cfg, "2025Q3", "district:Z07000001", "public", store.path)
    info = shared_cache_info()
    assert info["exception_misses"] == 1 and info["exception_hits"] == 2 and info["misses"] == 1
    assert theme.basis is board.basis is district.basis and theme.profiles is board.profiles
    assert theme.all_exceptions is board.all_exceptions  # every level's exceptions found once
    # each level's rows are those a report computing everything on its own gives
    for shared in (theme, district):
        made_as_pages_are = python_strings(partial(ExceptionReport, disclose=partial(publishable, rules=cfg)))
        alone = made_as_pages_are(cfg, "2025Q3", shared.level, "public", store.path)
        pd.testing.assert_frame_equal(shared.data, alone.data)
        pd.testing.assert_frame_equal(shared.exceptions, alone.exceptions)
        pd.testing.assert_frame_equal(shared.level_targets, alone.level_targets)
    assert set(district.exceptions["district_code"]) <= {"Z07000001"}


def test_a_changed_targets_file_is_read_again(smoking_store):
    cfg, store = smoking_store
    _target(cfg, 15)
    before = open_exception_report(cfg, "2025Q3", "board", "public", store.path)
    assert before.targets["target_value"].tolist() == [15]
    _target(cfg, 12)
    after = open_exception_report(cfg, "2025Q3", HEALTH, "public", store.path)
    assert shared_cache_info()["exception_misses"] == 2 and shared_cache_info()["misses"] == 1  # the profiles still shared
    assert after.targets["target_value"].tolist() == [12] and after.level_targets["target_value"].tolist() == [12]


def test_a_changed_store_gives_exception_reports_new_figures(smoking_store, tmp_path):
    cfg, store = smoking_store
    before = open_exception_report(cfg, "2025Q3", "board", "public", store.path)
    assert "2025" not in set(before.data["period"])
    newer = tmp_path / "smoking-2025.csv"
    _smoking(newer, "2025", [90, 95, 100, 100, 20, 20])
    ingest(cfg, store, files=[("tidy", newer, {"dataset": "mini-survey"})])
    after = open_exception_report(cfg, "2025Q3", "board", "public", store.path)
    assert shared_cache_info()["exception_misses"] == 2 and shared_cache_info()["misses"] == 2
    assert "2025" in set(after.data["period"])


def test_exception_reports_round_counts_as_the_catalogue_asks(smoking_store):
    """The catalogue's disclosure rule reaches the exception report, as it reaches the profiles."""
    cfg, store = smoking_store
    path = cfg.dir / "catalogue.yaml"
    path.write_text(
        path.read_text().replace("  indicators: [smoking, population]", "  indicators: [smoking, population]\n  rounding_base: 7")
    )
    report = open_exception_report(load_config(cfg.dir), "2025Q3", "board", "public", store.path)
    smoking = report.data[(report.data["indicator_id"] == "smoking") & ~report.data["suppressed"].astype(bool)]
    assert len(smoking) and (smoking["numerator"] % 7 == 0).all()
    assert smoking["suppression_rule"].str.contains("rounded to base 7").all()


def test_profiles_share_the_county_parts_and_show_what_each_would_compute_alone(demo_store):
    """The county's decile views, IoD summary measures, life expectancy and attributions are computed once per
    process; a profile built on its own (its profiles given, nothing cached) shows the same pages."""
    from observatory.present.profile_page import LocalityProfile
    from observatory.present.summary_measures import deprivation_for, life_expectancy_for

    cfg, store = demo_store
    clear_shared_cache()
    first = open_profile(cfg, "ZL01", "2025Q3", "public", str(store.path))
    first.inequalities_html(), first.attribution_html()
    second = open_profile(cfg, "ZL02", "2025Q3", "public", str(store.path))
    assert second.shared is first.shared
    assert deprivation_for(second, second.shared) is deprivation_for(first, first.shared)
    assert life_expectancy_for(second, second.shared) is life_expectancy_for(first, first.shared)
    alone = LocalityProfile(cfg, "ZL02", "2025Q3", "public", store.path, profiles=second.profiles)
    assert alone.shared is not second.shared
    for section in ("inequalities_html", "deprivation_html", "life_expectancy_html", "attribution_html"):
        shown = getattr(second, section)()
        assert shown == getattr(alone, section)(), section
        assert len(shown) > 200, section
    assert "deciles-county-" in second.inequalities_html()
    assert second.inequalities_html() != first.inequalities_html()  # each marks its own small areas' deciles
    clear_shared_cache()


def test_a_changed_iod_file_gives_new_summary_measures(demo_store, tmp_path):
    """The IoD measures come from the configured source file, which the shared data's key does not cover."""
    from dataclasses import replace

    from observatory.present.summary_measures import deprivation_for

    cfg, store = demo_store
    spec = next(s for s in cfg.sources if s.adapter == "deprivation")
    iod = tmp_path / spec.file.name
    iod.write_bytes(spec.file.read_bytes())
    entries = [dict(e, file=str(iod)) if e["id"] == spec.id else e for e in cfg.raw["sources"]]
    moved = replace(cfg, raw={**cfg.raw, "sources": entries})
    clear_shared_cache()
    before = open_profile(moved, "ZL01", "2025Q3", "public", str(store.path))
    score = deprivation_for(before, before.shared).set_index("area_code").loc["ZL01", "average_score"]
    frame = pd.read_csv(iod)
    frame["Index of Multiple Deprivation (IMD) Score"] *= 2
    frame.to_csv(iod, index=False)
    after = open_profile(moved, "ZL01", "2025Q3", "public", str(store.path))
    assert after.shared is before.shared  # the same profiles and store
    doubled = deprivation_for(after, after.shared).set_index("area_code").loc["ZL01", "average_score"]
    assert doubled == pytest.approx(2 * score, rel=1e-9)
    clear_shared_cache()
