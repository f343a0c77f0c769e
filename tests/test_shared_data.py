"""Profiles built in one process share what every locality needs; a changed store or catalogue is never served stale."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.present.report import open_profile
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
    uncached = locality_values(second.profiles, "smoking")
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
