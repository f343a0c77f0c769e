"""The Warwickshire pack carries every view (compare, inequalities, map tables, definitions), and its national
deprivation deciles match the IoD2025's own deciles computed here from the raw files of the bundle."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytestmark = [pytest.mark.slow, pytest.mark.warwickshire, pytest.mark.xdist_group("packs")]
QUARTER = "2025Q3"


# session scope: the pack is built once per worker even if xdist interleaves this module with others of its group
@pytest.fixture(scope="session")
def pack(tmp_path_factory, shared_data) -> Path:
    from observatory.cli import app

    base = tmp_path_factory.mktemp("warwickshire")
    args = ["build", "--quiet", "--config", "warwickshire", "--quarter", QUARTER, "--jobs", "2"]
    r = CliRunner().invoke(app, [*args, "--out", str(base / "packs"), "--store", str(base / "store")])
    assert r.exit_code == 0, r.output
    return base / "packs" / QUARTER


def _view(html: str, element_id: str) -> str:
    """The markup of one view, from its element id to the next view."""
    start = html.index(f'id="{element_id}-title"')
    end = html.find('<div class="obs-view', start)
    return html[start : end if end > 0 else None]


def _column(view: str, column: int) -> list[float]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", view.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    return [float(re.findall(r'data-sort="([^"]*)"', r)[column]) for r in rows]


def test_every_view_is_in_the_pack(pack):
    overview = (pack / "html" / "county-overview.html").read_text()
    profile = (pack / "html" / "profile-WA-KEN.html").read_text()
    for html in (overview, profile):
        assert html.count('class="obs-view obs-compare"') > 0
        assert "the map as a table" in html
        links = set(re.findall(r'href="\.\./definitions/([\w-]+)\.html"', html))
        assert links and all((pack / "definitions" / f"{i}.html").stat().st_size > 0 for i in links)
    assert overview.count('class="obs-view obs-deciles"') > 0
    assert 'id="deciles-national-' in overview  # Warwickshire's county deciles are not England's


def test_the_profile_shows_the_population_by_age_against_the_county(pack, shared_data):
    """The bundle's mid-2020 estimates are by single year of age for all persons (no sex): the profile draws the
    locality's age profile against the county's, from the raw file summed into five-year bands here."""
    raw = pd.read_csv(shared_data / "lsoa11" / "population_mid2020_syoa_lsoa11.csv").set_index("lsoa11_code")
    ages = raw.drop(columns=["lsoa11_name", "total_population"])
    bands = ages.T.groupby([min(int(a.rstrip("+")) // 5 * 5, 90) for a in ages.columns]).sum().T
    members = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "warwickshire" / "localities.csv")
    mine = members.loc[members["locality_code"] == "WA-KEN", "area_code"]
    expected = {
        "area": 100 * bands.loc[mine].sum() / bands.loc[mine].to_numpy().sum(),
        "county": 100 * bands.sum() / bands.to_numpy().sum(),
    }
    html = (pack / "html" / "profile-WA-KEN.html").read_text()
    assert 'class="obs-view obs-pyramid obs-age-profile"' in html and "no breakdown by sex" in html
    view = _view(html, "ages-wa-ken")
    starts = [-int(k) for k in _column(view, 0)]
    assert starts == sorted(bands.columns, reverse=True)  # the oldest band at the top
    assert _column(view, 1) == pytest.approx(expected["area"][starts].tolist(), rel=1e-9)
    assert _column(view, 2) == pytest.approx(expected["county"][starts].tolist(), rel=1e-9)


def test_national_deciles_are_the_iods_own(pack, shared_data):
    """Households deprived in two or more dimensions (Census 2021, LSOA 2021) by the IoD2025 national decile of
    each LSOA 2011 (the median of its 2021 areas' deciles), from the raw bundle files."""
    iod = pd.read_csv(shared_data / "lsoa21" / "iod2025_domains_scores_ranks_deciles_lsoa21.csv")
    lookup = pd.read_csv(shared_data / "lookups" / "lsoa11_lsoa21_lad22.csv")[["lsoa11_code", "lsoa21_code"]]
    decile11 = np.floor(iod.merge(lookup, on="lsoa21_code").groupby("lsoa11_code")["IMD_decile"].median() + 0.5)
    census = pd.read_csv(shared_data / "lsoa21" / "census2021_household_deprivation_lsoa21.csv")
    deprived = census["deprivation_dimensions"].str.contains("two|three|four")
    per_area = pd.DataFrame(
        {
            "n": census[deprived].groupby("lsoa21_code")["n"].sum(),
            "total": census.groupby("lsoa21_code")["total_households"].first(),
        }
    ).fillna({"n": 0})
    per_area["decile"] = per_area.index.map(lookup.set_index("lsoa21_code")["lsoa11_code"]).map(decile11)
    sums = per_area.groupby("decile")[["n", "total"]].sum()
    expected = (100 * sums["n"] / sums["total"]).to_numpy()
    view = _view((pack / "html" / "county-overview.html").read_text(), "deciles-national-households-deprived-2plus")
    assert _column(view, 0) == sums.index.astype(int).tolist()
    assert _column(view, 1) == pytest.approx(expected, rel=1e-9)
    assert "national deprivation decile" in view and "Slope index of inequality" in view
