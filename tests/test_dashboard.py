"""The localities dashboard without a browser: widget changes redraw the map and details; audience, disclosure, escaping, pack links."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import pytest

from observatory.apps.dashboard import LocalitiesDashboard, latest_pack, profile_in_pack
from observatory.apps.payload_build import value_classes
from observatory.apps.serve import normal_base_url, voila_arguments
from observatory.apps.voila_server import pack_file_allowed
from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.present.palette import COMPARISON_COLOURS
from observatory.profiles.table import load_profiles
from observatory.store import Store

NASTY = 'North<script>alert("x")</script>&town'


POPULATION_BY_AGE = {"0-17": 300, "18-64": 900, "65-84": 250, "85+": 50}
"""People in each small area by age band (females; males have 10 fewer in each band, plus 10 per small area index)."""


def population_rows() -> str:
    """A tidy population by sex and age for the mini county's six small areas (2023), for the pyramid."""
    lines = ["indicator_id,area_code,period,sex,age,value"]
    for i in range(1, 7):
        for age, n in POPULATION_BY_AGE.items():
            lines += [
                f"population,Z0100000{i},2023,Female,{age},{n}",
                f"population,Z0100000{i},2023,Male,{age},{n - 10 + 10 * i}",
            ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def mini_store(tmp_path_factory) -> tuple:
    """The mini county plus a 2024 smoking survey (Northtown clearly worse, one small area with a count of 3) and its
    population by sex and age, with Northtown renamed to something that must be escaped. Built once per module."""
    from conftest import make_mini_config

    tmp = tmp_path_factory.mktemp("dashboard")
    folder = make_mini_config(tmp / "mini")
    localities = folder / "localities.csv"
    localities.write_text(localities.read_text().replace("ML01,Northtown,", f'ML01,"{NASTY.replace(chr(34), chr(34) * 2)}",'))
    cfg = load_config(folder)
    extra, ages = tmp / "extra.csv", tmp / "ages.csv"
    counts = {"Z01000001": 90, "Z01000002": 95, "Z01000003": 20, "Z01000004": 20, "Z01000005": 20, "Z01000006": 3}
    extra.write_text(
        "indicator_id,area_code,period,numerator,denominator\n"
        + "".join(f"smoking,{code},2024,{n},200\n" for code, n in counts.items())
    )
    ages.write_text(population_rows())
    store = Store(tmp / "store")
    ingest(cfg, store)
    ingest(cfg, store, files=[("tidy", extra, {"dataset": "mini-survey"}), ("tidy", ages, {"dataset": "mini-survey"})])
    return cfg, store


@pytest.fixture(scope="module")
def profiles(mini_store):
    """The mini county's profile tables (computed once: dashboards never change them)."""
    return load_profiles(*mini_store)


def dashboard(profiles, audience: str = "public", **kw) -> LocalitiesDashboard:
    return LocalitiesDashboard(profiles.config, audience, profiles=profiles, **kw)


def choose(d: LocalitiesDashboard, theme: str, indicator: str, period: str | None = None) -> None:
    d.theme.value = theme
    d.indicator.value = indicator
    if period is not None:
        d.period.value = period


def document(iframe: str) -> str:
    srcdoc = re.search(r'srcdoc="([^"]*)"', iframe)
    assert srcdoc, "the map is not an iframe with srcdoc"
    return html.unescape(srcdoc.group(1))


def _embedded(doc: str, name: str):
    """One of the map document's JSON blocks: ``obs-areas`` (GeoJSON), ``obs-lines`` or ``obs-style``."""
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', doc, re.S)
    assert found, f"the map document has no {name} block"
    return json.loads(found.group(1))


def features(iframe: str) -> dict[str, dict]:
    """Tooltip texts of the shaded areas (t0, t1, ... in the tooltip's order), by area code."""
    doc = document(iframe)
    tips = _embedded(doc, "obs-style")["tips"]
    return {f["id"]: {f"t{i}": text for i, text in enumerate(tips[f["id"]])} for f in _embedded(doc, "obs-areas")["features"]}


def fills(iframe: str) -> dict[str, str]:
    """Fill colour of each shaded area, from the map's style."""
    fill = _embedded(document(iframe), "obs-style")["fills"]
    return {code: fill[code] for code in features(iframe)}


def legend(iframe: str) -> str:
    doc = document(iframe)
    m = re.search(r'<div class="obs-legend">(.*?)</div></div>', doc, re.S)
    return re.sub(r"<[^>]+>", " ", m.group(1))


def test_public_dashboard_offers_only_datasets_its_audience_may_see(profiles):
    seen = {}
    for audience in ("public", "partners"):
        d = dashboard(profiles, audience)
        ids = set()
        for _label, theme in d.theme.options:
            d.theme.value = theme
            ids |= {value for _l, value in d.indicator.options}
        seen[audience] = ids
    assert seen["public"] == {"smoking", "imd_score"}
    assert seen["partners"] == {"smoking", "imd_score", "crime"}
    with pytest.raises(ValueError):
        dashboard(profiles, "everyone")


def test_map_shows_every_locality_with_its_value_limits_and_comparison(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    props = features(d.map.value)
    assert set(props) == {"ML01", "ML02", "ML03"}
    labels = {p["t0"]: p for p in props.values()}
    ml02 = props["ML02"]
    # Southtown 2024: (20 + 20) / 400 = 10.0%; county (90+95+20+20+20+3) / 1200 = 20.7%: better (low is good)
    assert ml02["t1"] == "10.0%"
    assert ml02["t3"] == "Better"
    assert re.fullmatch(r"\d+\.\d% to \d+\.\d%", ml02["t2"])
    lo, hi = (float(x.rstrip("%")) for x in ml02["t2"].split(" to "))
    assert lo < 10.0 < hi
    assert props["ML01"]["t1"] == f"{185 / 400 * 100:.1f}%" and props["ML01"]["t3"] == "Worse"
    assert NASTY in labels  # the name reaches the tooltip as text (the map writes tooltips with textContent)
    assert d.period.options[0] == "2024"  # newest first


def test_changing_the_indicator_redraws_the_map_and_its_legend(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    before, before_legend = d.map.value, legend(d.map.value)
    assert "Adults who smoke (%), 2024" in before_legend
    d.theme.value = "stronger_communities"
    assert d.indicator.value == "imd_score" and d.period.value == "2019"
    assert d.map.value != before
    after_legend = legend(d.map.value)
    assert "IMD score (score), 2019" in after_legend and "Adults who smoke" not in after_legend
    # Northtown (10, 15) is least deprived, Eastville (30, 35) most: lightest and darkest classes
    colours = fills(d.map.value)
    assert colours["ML01"] != colours["ML03"]
    assert len(set(colours.values())) == 3


def test_period_choice_changes_the_values_shown(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2022")
    # Southtown 2022: (22 + 23) / (170 + 180) = 12.857...%; localities span 12.6 to 13.2: two decimals
    assert features(d.map.value)["ML02"]["t1"] == "12.86%"
    assert "2022" in legend(d.map.value)


def test_small_areas_toggle_draws_the_small_areas_and_suppresses_small_counts(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    d.level.value = "small_area"
    props = features(d.map.value)
    assert set(props) == {f"Z0100000{i}" for i in range(1, 7)}
    assert props["Z01000001"]["t2"] == "45.0%"  # 90 / 200
    # a count of 3 is withheld, and so is its sibling in Eastville, which would give it away
    for code in ("Z01000006", "Z01000005"):
        assert props[code]["t2"] == "suppressed"
        assert props[code]["t3"] == "–"
        assert props[code]["t4"] == "suppressed"
    assert "1.5%" not in json.dumps(props)  # 3 / 200
    colours = fills(d.map.value)
    assert colours["Z01000006"] == colours["Z01000005"] == "#c8c8c8"
    assert "no data or suppressed" in legend(d.map.value)


def test_value_classes_are_mapclassify_quantiles_with_distinct_labels():
    import mapclassify

    values = pd.Series(np.random.default_rng(1).gamma(2.0, 3.0, 40))
    values[[3, 7]] = np.nan
    classes, colours = value_classes(values, k=5)
    expected = mapclassify.Quantiles(values.dropna().to_numpy(), k=5)
    order = list(colours)
    assert [order.index(c) for c in classes.dropna()] == list(expected.yb)
    assert classes.isna().sum() == 2 and len(colours) == 5 and len(set(colours.values())) == 5
    _classes, close = value_classes(pd.Series([0.101, 0.102, 0.103, 0.104, 0.105]), k=5)
    # 0.2 quantile 0.1018: at three decimals one class would read "0.103 – 0.103"; four tell every class apart
    assert len(close) == 5 and list(close)[0] == "0.1010 – 0.1018"
    assert all(low != high for low, high in (label.split(" – ") for label in close))


def test_colour_by_comparison_shades_by_benchmark(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    d.colour_by.value = "vs_county"
    colours = fills(d.map.value)
    assert colours["ML01"] == COMPARISON_COLOURS["worse"]
    assert colours["ML02"] == COMPARISON_COLOURS["better"]
    text = legend(d.map.value)
    assert "Worse" in text and "Better" in text and "compared with county" in text
    assert not re.search(r"\d – \d", text)  # no value classes


def test_choosing_a_locality_shows_its_spine_and_trend_and_outlines_it(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    assert "Choose a locality" in d.details.value
    plain = d.map.value
    d.locality.value = "ML02"
    assert 'class="obs-spine"' in d.details.value
    assert 'data-indicator="smoking"' in d.details.value and 'data-indicator="imd_score"' in d.details.value
    trend = re.search(r'<svg[^>]*class="obs-trend".*?</svg>', d.details.value, re.S)
    assert trend and "Adults who smoke" in trend.group(0) and "Trend in Southtown" in d.details.value
    assert len(re.findall(r'class="point"', trend.group(0))) == 3  # 2022, 2023, 2024
    assert d.map.value != plain  # outlined
    d.locality.value = ""
    assert "Choose a locality" in d.details.value


def test_a_locality_without_data_is_grey_and_says_so(tmp_path):
    from conftest import make_mini_config

    cfg = load_config(make_mini_config(tmp_path / "mini", empty_locality=True))
    store = Store(tmp_path / "store")
    ingest(cfg, store)
    d = LocalitiesDashboard(cfg, "public", store=store.path)
    props = features(d.map.value)
    assert set(props) == {"ML01", "ML02", "ML03", "ML04"}
    assert props["ML04"]["t1"] == "–" and fills(d.map.value)["ML04"] == "#c8c8c8"
    d.locality.value = "ML04"
    assert "Nodata Vale has no data available to this audience" in d.details.value


def test_labels_from_data_are_escaped_everywhere(profiles):
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    d.locality.value = "ML01"
    for shown in (document(d.map.value), d.details.value, d.header.value):
        assert '<script>alert("x")' not in shown
    assert str(markupsafe.escape(NASTY)) in d.details.value  # escaped by the templates
    assert str(markupsafe.escape(NASTY)) in d.header.value or NASTY not in d.header.value


def test_map_coordinates_have_at_most_five_decimals(profiles):
    d = dashboard(profiles)
    data = _embedded(document(d.map.value), "obs-areas")
    coords = re.findall(r"-?\d+\.\d+", json.dumps([f["geometry"] for f in data["features"]]))
    assert coords and max(len(c.split(".")[1]) for c in coords) <= 5


def _pack(folder: Path, audience: str, finished: str, outputs: list[tuple[str, str, str]]) -> None:
    folder.mkdir(parents=True)
    files, outs = {}, []
    for name, locality, status in outputs:
        rel = f"html/{name}.html"
        if status == "ok":
            (folder / "html").mkdir(exist_ok=True)
            (folder / rel).write_text("<p>profile</p>")
            files[rel] = {"sha256": "x", "bytes": 14}
        outs.append(
            {
                "name": name,
                "status": status,
                "parameters": {"locality": locality, "audience": audience},
                "files": {rel: "x"} if status == "ok" else {},
            }
        )
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "format": 1,
                "build": {"config": "mini", "audience": audience, "quarter": folder.name, "finished": finished},
                "outputs": outs,
                "files": files,
            }
        )
    )


def test_pack_link_goes_to_the_newest_pack_of_the_same_audience(profiles, tmp_path):
    packs = tmp_path / "packs"
    _pack(
        packs / "2025Q2",
        "public",
        "2025-07-01T10:00:00+00:00",
        [("profile-ML01", "ML01", "ok"), ("profile-ML02", "ML02", "failed")],
    )
    _pack(packs / "2025Q3-partners", "partners", "2025-10-01T10:00:00+00:00", [("profile-ML01", "ML01", "ok")])
    public = dashboard(profiles, packs_dir=packs, packs_url="/base/observatory/packs/")
    public.locality.value = "ML01"
    assert 'href="/base/observatory/packs/2025Q2/html/profile-ML01.html"' in public.details.value
    public.locality.value = "ML02"
    assert "obs-pack-link" not in public.details.value  # failed in that pack: no link
    partners = dashboard(profiles, "partners", packs_dir=packs, packs_url="/p/")
    partners.locality.value = "ML01"
    assert 'href="/p/2025Q3-partners/html/profile-ML01.html"' in partners.details.value
    assert latest_pack("mini", "partner:wcc", packs) is None
    assert latest_pack("mini", "public", tmp_path / "nowhere") is None
    folder, manifest = latest_pack("mini", "public", packs)
    assert folder.name == "2025Q2" and profile_in_pack(manifest, "ML03") is None


def test_pack_files_are_served_only_when_listed_for_the_servers_audience(tmp_path):
    packs = tmp_path / "packs"
    _pack(packs / "2025Q2", "public", "2025-07-01", [("profile-ML01", "ML01", "ok")])
    _pack(packs / "2025Q3", "partners", "2025-10-01", [("profile-ML01", "ML01", "ok")])
    (packs / "2025Q2" / "html" / "stray.html").write_text("not in the manifest")
    assert pack_file_allowed(packs, packs / "2025Q2/html/profile-ML01.html", "mini", "public")
    assert not pack_file_allowed(packs, packs / "2025Q3/html/profile-ML01.html", "mini", "public")
    assert pack_file_allowed(packs, packs / "2025Q3/html/profile-ML01.html", "mini", "partners")
    assert not pack_file_allowed(packs, packs / "2025Q2/html/stray.html", "mini", "public")
    assert not pack_file_allowed(packs, packs / "2025Q2/manifest.json", "mini", "public")
    assert not pack_file_allowed(packs, tmp_path / "elsewhere.html", "mini", "public")
    assert not pack_file_allowed(packs, packs / "2025Q2/html/profile-ML01.html", "demo", "public")


def test_voila_is_bound_to_loopback_with_sources_hidden_and_idle_kernels_culled():
    args = voila_arguments(port=9999, preheat=True, base_url="observatory")
    assert "--Voila.ip=127.0.0.1" in args and "--port=9999" in args and "--no-browser" in args
    assert "--strip_sources=True" in args and "--base_url=/observatory/" in args
    assert "--preheat_kernel=True" in args and "--pool_size=1" in args
    assert any(a.startswith("--MappingKernelManager.cull_idle_timeout=") for a in args)
    assert "--preheat_kernel=True" not in voila_arguments(preheat=False)
    assert normal_base_url("") == "/" and normal_base_url("/a/b") == "/a/b/"
