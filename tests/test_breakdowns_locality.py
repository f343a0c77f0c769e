"""Inequalities in a locality's profile (its small areas' deciles marked among the county's, its groups by age against
the county's) and the demo's national deciles, each checked against figures computed here from the raw demo files."""

from __future__ import annotations

import html as markup
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_views import _by_age_band, _figures, _rows, _wilson

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
IMD_SCORE = "Index of Multiple Deprivation (IMD) Score"
IMD_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
LOCALITY = "ZL01"


def _view(html: str, element_id: str) -> str:
    """The markup of one view, from its element id to the next view."""
    start = html.index(f'id="{element_id}-title"')
    end = html.find('<div class="obs-view', start)
    return html[start : end if end > 0 else None]


@pytest.fixture(scope="module")
def demo():
    """The demo's profile of the locality and its county overview, the store brought up to date."""
    import observatory as obs

    obs.open_store("demo")
    return obs.open_profile("demo", LOCALITY, "2025Q3"), obs.CountyOverview(obs.load_config("demo"), "2025Q3")


@pytest.fixture(scope="module")
def deciles() -> pd.DataFrame:
    """Each demo small area's county decile (its IMD score's rank within the county, in tenths, most deprived
    first) and the IoD's national decile, from the raw source file."""
    imd = pd.read_csv(DEMO / "sources" / "demo-imd.csv").sort_values("LSOA code (2021)")
    rank = imd[IMD_SCORE].rank(ascending=False, method="first")
    return pd.DataFrame(
        {"county": np.ceil(rank * 10 / len(imd)).astype(int).to_numpy(), "national": imd[IMD_DECILE].to_numpy()},
        index=imd["LSOA code (2021)"].to_numpy(),
    )


@pytest.fixture(scope="module")
def members() -> list[str]:
    loc = pd.read_csv(DEMO / "localities.csv")
    return loc.loc[loc["locality_code"] == LOCALITY, "area_code"].tolist()


@pytest.fixture(scope="module")
def inequalities(demo) -> str:
    profile, _ = demo
    return profile.inequalities_html()


def test_the_demo_national_deciles_differ_from_the_county_deciles_so_the_chart_is_shown(demo, deciles):
    """Adult smoking by the IoD's national decile: counts of smokers and registered adults summed per decile from
    the raw rows (Wilson limits), bars as wide as each decile's share of the adults."""
    assert (deciles["county"] != deciles["national"]).any()
    raw = pd.read_csv(DEMO / "sources" / "demo-primary-care.csv")
    raw = raw[(raw["indicator_id"] == "adult_smoking") & raw["area_code"].str.startswith("Z01")]
    raw = raw[raw["period_sort"] == raw["period_sort"].max()]
    sums = raw.assign(decile=raw["area_code"].map(deciles["national"])).groupby("decile")[["numerator", "denominator"]].sum()
    _, overview = demo
    view = _view(overview.inequalities_html(["adult_smoking"]), "deciles-national-adult-smoking")
    assert "national deprivation decile" in view and "Slope index of inequality" in view
    assert _figures(view, 0) == sums.index.tolist()
    assert _figures(view, 1) == pytest.approx((100 * sums["numerator"] / sums["denominator"]).tolist(), rel=1e-9)
    limits = [_wilson(x, n) for x, n in zip(sums["numerator"], sums["denominator"])]
    assert _figures(view, 2) == pytest.approx([lo for lo, _ in limits], rel=1e-6)
    assert _figures(view, 4) == pytest.approx((100 * sums["denominator"] / sums["denominator"].sum()).tolist(), rel=1e-9)


def test_the_deprivation_indicators_are_not_shown_by_deprivation(demo):
    _, overview = demo
    assert overview.inequalities_html(["imd_decile", "imd_score"]).count('class="obs-view') == 0


@pytest.mark.parametrize("deciles_of", ["county", "national"])
def test_the_locality_s_small_areas_are_counted_and_marked_in_the_county_s_deciles(
    demo, inequalities, deciles, members, deciles_of
):
    profile, _ = demo
    counts = deciles.loc[members, deciles_of].value_counts()
    first = re.findall(rf'id="(deciles-{deciles_of}-[^"]+)-title"', inequalities)[0]
    view = _view(inequalities, first)
    shown = pd.Series(_figures(view, 5), index=[int(d) for d in _figures(view, 0)])
    assert shown.to_dict() == counts.reindex(shown.index, fill_value=0).to_dict()
    assert view.count('<tr class="obs-mine">') == len(counts) and view.count('stroke="#222" stroke-width="2"') == len(counts)
    assert f"Small areas of {profile.area.name}" in markup.unescape(view)


def test_the_summary_counts_the_locality_s_small_areas_in_the_most_deprived_fifth(demo, inequalities, deciles, members):
    profile, _ = demo
    text = markup.unescape(inequalities)
    name, m = profile.area.name, len(members)
    for within, deciles_of in (("Demo County (synthetic)'s", "county"), ("England's", "national")):
        n = int((deciles.loc[members, deciles_of] <= 2).sum())
        assert f"{n} of {name}'s {m} small areas {'is' if n == 1 else 'are'} in {within} most deprived 20%." in text


def test_the_locality_s_mortality_by_age_band_against_the_county_s(demo, members):
    """Age-specific death rates of the locality's small areas from the raw rows, each band compared with the county's
    same band (a lower rate is better); bands with 1 to the threshold deaths withheld."""
    profile, _ = demo
    raw = pd.read_csv(DEMO / "sources" / "demo-mortality.csv")
    raw = raw[(raw["period_sort"] == raw["period_sort"].max()) & raw["area_code"].str.startswith("Z01")]
    county = raw.groupby("age")[["numerator", "denominator"]].sum()
    bands = _by_age_band(raw[raw["area_code"].isin(members)].groupby("age")[["numerator", "denominator"]].sum(), county)
    withheld = bands["withheld"].to_numpy()
    assert withheld.any() and (~withheld).any()  # a locality's small counts matter

    view = _view(profile.inequalities_html(["u75_mortality"]), "compare-age-u75-mortality")
    assert re.findall(r'data-area="([^"]+)"', view) == bands.index.tolist() and len(_rows(view)) == len(bands)
    shown = np.array(_figures(view, 2))
    assert np.isnan(shown[withheld]).all()
    assert shown[~withheld] == pytest.approx(bands["rate"].to_numpy()[~withheld], rel=1e-9)
    assert np.array(_figures(view, 3))[~withheld] == pytest.approx(bands["lower"].to_numpy()[~withheld], rel=1e-6)
    table_words = re.findall(r'<td data-sort="(Better|Worse|Similar|suppressed)">\1</td>', view)
    assert table_words == bands["words"].tolist()
    assert "Compared with Demo County (synthetic)" in markup.unescape(view)


def test_decile_views_are_computed_once_per_inputs_then_read_from_the_profile_cache(demo_store, tmp_path, monkeypatch):
    """The inequality views by county and national decile are kept beside the profile table: a second process
    (a build's other kernel, a dashboard) draws the same charts without computing them."""
    import observatory.present.breakdowns as bd
    from observatory.present.report import open_profile
    from observatory.present.view_data import clear_shared_cache

    cfg, store = demo_store
    monkeypatch.setenv("OBSERVATORY_BUILD_DIR", str(tmp_path / "build"))
    clear_shared_cache()
    first = str(open_profile(cfg, LOCALITY, "2025Q3", store=str(store.path)).inequalities_html())
    kept = sorted(p.name for p in (tmp_path / "build").rglob("derived-*deciles-*.parquet"))
    assert any(n.startswith("derived-county-deciles-") for n in kept) and any("national-deciles" in n for n in kept)

    def refuse(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(bd, "decile_values", refuse)
    monkeypatch.setattr(bd, "national_decile_values", refuse)
    clear_shared_cache()
    assert str(open_profile(cfg, LOCALITY, "2025Q3", store=str(store.path)).inequalities_html()) == first
    clear_shared_cache()
