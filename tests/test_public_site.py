"""The pre-rendered public localities dashboard: every page written, and nothing the public may not see in any file.

The demo county is built once into a temporary folder; its catalogue restricts some datasets to partners and its
small counts are suppressed, so both checks below can fail.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from observatory.apps.public_site import build_public_site
from observatory.metadata.catalogue import allowed_datasets, read_catalogue, visible_indicators
from observatory.metadata.indicators import load_indicators
from observatory.present.report import publishable
from observatory.profiles.table import load_profiles


@pytest.fixture(scope="module")
def site(demo_store, tmp_path_factory) -> tuple[Path, dict]:
    cfg, store = demo_store
    out = tmp_path_factory.mktemp("public-site") / "site"
    return out, build_public_site(cfg, out, store=store)


def _texts(folder: Path):
    """Every file's text: HTML, JSON, JS, CSS and CSV as they are, each XLSX sheet's XML unzipped."""
    for p in sorted(folder.rglob("*")):
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                yield p, "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        elif p.is_file():
            yield p, p.read_text(encoding="utf-8-sig")


def _restricted(cfg) -> tuple[set[str], set[str]]:
    """Datasets of the catalogue the public may not see, and the indicators only they supply."""
    restricted = set(read_catalogue(cfg)["id"].astype(str)) - set(allowed_datasets(cfg, "public"))
    indicators = set(load_indicators(cfg)["id"].astype(str)) - set(visible_indicators(cfg, "public"))
    return restricted, indicators


def _figures(page: str) -> dict[str, list[str]]:
    """A locality page's JSON block: indicator → its summary texts."""
    return json.loads(html.unescape(re.search(r'data-figures="([^"]*)"', page)[1]))["indicators"]


def test_every_locality_has_a_page_and_every_indicator_a_map_and_its_figures(site, demo_store):
    out, summary = site
    localities = {r["locality_code"] for r in csv.DictReader(open(demo_store[0].dir / "localities.csv", encoding="utf-8-sig"))}
    assert {p.stem for p in (out / "localities").glob("*.html")} == localities
    data = {p.stem for p in (out / "data").glob("*.json")}
    assert data and data == {p.stem for p in (out / "maps").glob("*.html")}
    assert summary["localities"] == len(localities) and summary["indicators"] == len(data)
    page = (out / "localities" / f"{sorted(localities)[0]}.html").read_text()
    assert set(_figures(page)) == data
    leaflet = (out / "maps" / f"{sorted(data)[0]}.html").read_text()
    assert '<script src="../assets/leaflet.js"></script>' in leaflet and "L.map" in leaflet
    assert (out / "assets" / "leaflet.js").is_file() and (out / "index.html").is_file() and (out / "accessibility.html").is_file()


def test_no_restricted_dataset_or_its_indicators_appear_in_any_file(site, demo_store):
    cfg, _store = demo_store
    out, _summary = site
    restricted, indicators = _restricted(cfg)
    assert restricted and indicators, "the demo catalogue restricts some datasets to partners"
    words = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(restricted | indicators))) + r")(?![\w-])")
    found = [(p.relative_to(out).as_posix(), m[0]) for p, text in _texts(out) for m in [words.search(text)] if m]
    assert found == []


def test_suppressed_small_counts_are_suppressed_in_every_payload_and_download(site, demo_store):
    cfg, store = demo_store
    out, _summary = site
    p = load_profiles(cfg, store).profiles
    p = p[(p["area_type"] == "locality") & p["dataset"].isin(allowed_datasets(cfg, "public"))]
    pub = publishable(p, cfg)
    shown = {}
    for path in (out / "data").glob("*.json"):
        shown[path.stem] = json.loads(path.read_text())["period"]
    hidden = pub[pub["suppressed"].astype(bool) & pub["indicator_id"].isin(shown)]
    hidden = hidden[hidden["period"].astype(str) == hidden["indicator_id"].map(shown)]
    assert len(hidden), "the demo suppresses some small counts in the newest periods"
    pages = {}
    for r in hidden.itertuples(index=False):
        page = pages.setdefault(r.area_code, (out / "localities" / f"{r.area_code}.html").read_text())
        figures = _figures(page)
        assert figures[r.indicator_id][0] == "suppressed", (r.area_code, r.indicator_id)
        period = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(r.period))  # as a file name: 2024/25 -> 2024-25
        download = out / "downloads" / f"{cfg.name}-{r.indicator_id}-{period}-locality.csv"
        rows = {row["Area code"]: row for row in csv.DictReader(io.StringIO(download.read_text(encoding="utf-8-sig")))}
        assert rows[r.area_code]["Value"] == "" and rows[r.area_code]["Status"] == "suppressed [c]"
        raw = p[(p["area_code"] == r.area_code) & (p["indicator_id"] == r.indicator_id) & (p["period"] == r.period)]
        count = raw["numerator"].iloc[0]
        if pd.notna(count) and count >= 1:  # the small count itself is in no view of the locality
            assert f">{int(count)}<" not in figures[r.indicator_id][0]


def test_nothing_internal_is_written(site, demo_store):
    out, _summary = site
    internal = [str(out), str(Path.home()) + "/", ".ipynb", "Traceback", str(demo_store[1].path)]
    found = [(p.name, w) for p, text in _texts(out) if p.suffix in (".html", ".json") for w in internal if w in text]
    assert found == []


def test_an_unchanged_site_is_reused_at_the_next_start(site, demo_store):
    cfg, store = demo_store
    out, summary = site
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build_public_site(cfg, out, store=store, reuse=True)
    assert again["reused"] and not summary["reused"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    assert again["files"] == summary["files"] and again["localities"] == summary["localities"]
