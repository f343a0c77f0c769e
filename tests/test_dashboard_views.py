"""The localities dashboard's pack views (compare areas, inequalities, population pyramid) without a browser:
they follow the pickers and the address, pick out the chosen locality, and download the figures they draw."""

from __future__ import annotations

import base64
import io
import math
import re

import pandas as pd
import pytest
from test_dashboard import NASTY, POPULATION_BY_AGE, choose, dashboard, mini_store, profiles  # noqa: F401

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.profiles.table import load_profiles
from observatory.store import Store

SMOKING = ("healthier_communities_older_people", "smoking")


def downloaded(d, kind: str = "csv") -> tuple[str, pd.DataFrame]:
    """The file name and table of the current view's download."""
    d.download.click()
    found = re.search(rf'href="data:[^"]*base64,([^"]+)" download="([^"]+\.{kind})"', d.downloads.value)
    assert found, d.downloads.value
    body = base64.b64decode(found.group(1))
    frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig") if kind == "csv" else pd.read_excel(io.BytesIO(body))
    return found.group(2), frame


def bars(panel: str) -> list[str]:
    return re.findall(r'<g class="obs-bar( obs-mine)?" data-area="([^"]+)"', panel)


def test_compare_ranks_every_locality_picks_out_the_chosen_one_and_follows_the_period(profiles):  # noqa: F811
    d = dashboard(profiles)
    choose(d, *SMOKING, "2024")
    d.locality.value = "ML02"
    d.view_choice.value = "compare"
    panel = d.panel.value
    assert d.map.value == "" and d.map_controls.layout.display == "none"  # the map gives way to the view
    assert len(bars(panel)) == len(d.localities) == 3
    assert [code for mine, code in bars(panel) if mine] == ["ML02"]
    assert "Adults who smoke (2024)" in panel
    northtown = re.search(r'data-area="ML01">.*?</g>', panel, re.S).group(0)
    assert "46.2% · Worse" in northtown or "46.3% · Worse" in northtown  # (90 + 95) / 400, judged in words
    assert "&lt;script&gt;" in panel and "<script>alert" not in panel
    d.period.value = "2023"
    assert "Adults who smoke (2023)" in d.panel.value and "view=compare" in d.view_link.value
    assert re.search(r">Mini County \d+\.\d%</text>", d.panel.value) and re.search(r">England 12\.5%</text>", d.panel.value)


def test_compare_download_has_every_locality_and_the_benchmark_lines(profiles):  # noqa: F811
    d = dashboard(profiles)
    choose(d, *SMOKING, "2024")
    d.view_choice.value = "compare"
    name, csv = downloaded(d)
    assert name == "mini-smoking-2024-compare.csv"
    assert list(csv["Area name"]) == [NASTY, "Southtown", "Eastville", "Mini County", "England"]
    northtown = csv[csv["Area code"] == "ML01"].iloc[0]
    assert northtown["Value"] == pytest.approx(100 * 185 / 400)
    assert northtown["Compared with county"] == "Worse" and csv["Source and licence"].str.contains("Licence").all()


def test_inequalities_show_the_deciles_and_the_sii_of_the_profile_table(profiles):  # noqa: F811
    d = dashboard(profiles)
    choose(d, *SMOKING)
    d.view_choice.value = "inequalities"
    panel = d.panel.value
    gaps = profiles.gaps[(profiles.gaps["indicator_id"] == "smoking") & profiles.gaps["sii"].notna()]
    assert len(gaps), "the mini county has an SII for smoking"
    latest = gaps.loc[gaps["period_sort"].idxmax()]
    assert 'class="obs-sii"' in panel and "Slope index of inequality" in panel and "Inequalities in Mini County" in panel
    name, csv = downloaded(d)
    assert name == f"mini-smoking-{latest['period']}-inequalities.csv"
    sii = csv[csv["Deprivation decile (1 = most deprived)"].str.startswith("Slope")].iloc[0]
    assert sii["Value"] == pytest.approx(latest["sii"]) and sii["Lower 95% limit"] == pytest.approx(latest["sii_lower95"])
    d.theme.value = d.indicators["imd_score"].theme
    d.indicator.value = "imd_score"  # deprivation itself is not shown by deprivation decile
    assert "cannot be shown by deprivation decile" in d.panel.value


def test_the_pyramid_sets_the_locality_against_the_county(mini_store, profiles):  # noqa: F811
    d = dashboard(profiles, store=mini_store[1])
    d.view_choice.value = "pyramid"
    assert "Choose a locality" in d.panel.value
    d.locality.value = "ML02"  # Southtown: small areas 3 and 4
    assert "Population of Southtown by age and sex" in d.panel.value and "<svg" in d.panel.value
    name, csv = downloaded(d, "xlsx")
    assert name == "mini-population-ML02.xlsx"
    total = sum(2 * n - 10 + 10 * i for i in (3, 4) for n in POPULATION_BY_AGE.values())
    older = csv[(csv["Sex"] == "Female") & (csv["Age"] == "65-84")].iloc[0]
    assert older["Southtown: % of all people"] == pytest.approx(round(100 * 2 * 250 / total, 2))
    assert list(csv[csv["Sex"] == "Male"]["Age"]) == list(POPULATION_BY_AGE)  # youngest first


def test_an_address_opens_a_view_and_leaving_it_restores_the_map(profiles):  # noqa: F811
    d = dashboard(profiles)
    d.apply_view("indicator=smoking&period=2024&locality=ML03&view=compare&audience=partners")
    assert d.view_choice.value == "compare" and d.audience == "public"
    assert [code for mine, code in bars(d.panel.value) if mine] == ["ML03"]
    assert "view=compare" in d.view_link.value and "audience" not in d.view_link.value
    d.view_choice.value = "map"
    assert "view=compare" not in d.view_link.value and "<iframe" in d.map.value and d.panel.value == ""
    d.apply_view("view=nonsense")  # an unknown view changes nothing
    assert d.view_choice.value == "map"


def county_deciles() -> dict[str, int]:
    """The mini county's deprivation deciles worked out by hand: imd_score is 10 + 5i for the i-th small area, the
    highest score is decile 1's side, and six areas ranked 1..6 fall in deciles ceil(rank * 10 / 6)."""
    codes = [f"Z0100000{i}" for i in range(1, 7)]
    by_score = sorted(codes, key=lambda c: -(10 + 5 * (int(c[-1]) - 1)))
    return {code: math.ceil(rank * 10 / 6) for rank, code in enumerate(by_score, start=1)}


def test_inequalities_follow_the_period_picker(profiles):  # noqa: F811
    d = dashboard(profiles)
    choose(d, *SMOKING, "2022")
    d.view_choice.value = "inequalities"
    assert "Adults who smoke (2022)" in d.panel.value
    name, csv = downloaded(d)
    assert name == "mini-smoking-2022-inequalities.csv" and set(csv["Period"].astype(str)) == {"2022"}
    rows = csv[~csv["Deprivation decile (1 = most deprived)"].str.startswith("Slope")]
    got = dict(zip(rows["Deprivation decile (1 = most deprived)"].astype(int), rows["Value"]))
    i = {code: int(code[-1]) - 1 for code in county_deciles()}  # smoking 2022: (20 + i) / (150 + 10i) in each area
    want = {dec: 100 * (20 + i[code]) / (150 + 10 * i[code]) for code, dec in county_deciles().items()}
    assert got == pytest.approx(want)
    gaps = profiles.gaps
    sii_2022 = gaps[(gaps["indicator_id"] == "smoking") & (gaps["period"].astype(str) == "2022")]["sii"].iloc[0]
    assert csv[csv["Deprivation decile (1 = most deprived)"].str.startswith("Slope")]["Value"].iloc[0] == pytest.approx(sii_2022)
    d.period.value = "2023"
    assert "Adults who smoke (2023)" in d.panel.value and "Adults who smoke (2022)" not in d.panel.value


@pytest.fixture(scope="module")
def without_sii_in_2022(profiles):  # noqa: F811
    """The mini county's profile tables as if too few small areas had reported in 2022 for an SII."""
    from observatory.profiles.table import Profiles

    gaps = profiles.gaps.copy()
    gaps.loc[gaps["period"].astype(str) == "2022", ["sii", "sii_lower95", "sii_upper95"]] = float("nan")
    slim = Profiles(profiles.config, profiles.profiles, gaps, profiles.gap_trends, profiles.digest)
    slim.__dict__["geography"] = profiles.geography
    return slim


def test_a_period_without_an_sii_is_said_in_words(without_sii_in_2022):
    d = dashboard(without_sii_in_2022)
    choose(d, *SMOKING, "2022")
    d.view_choice.value = "inequalities"
    panel = d.panel.value
    assert "There is no slope index of inequality by county decile for 2022." in panel
    assert 'class="obs-sii"' not in panel and "Adults who smoke (2022)" in panel  # the deciles, without a line
    _name, csv = downloaded(d)
    assert csv[csv["Deprivation decile (1 = most deprived)"].str.startswith("Slope")]["Status"].iloc[0] == "not available [x]"
    d.period.value = "2023"
    assert "There is no slope index" not in d.panel.value and 'class="obs-sii"' in d.panel.value


NATIONAL = {"Z01000001": 9, "Z01000002": 8, "Z01000003": 7, "Z01000004": 3, "Z01000005": 2, "Z01000006": 1}
"""The IoD's own national deciles of the mini county's small areas (unlike its county deciles)."""


@pytest.fixture(scope="module")
def with_national_deciles(tmp_path_factory):
    """The mini county with an ``imd_decile`` indicator: each small area's national deprivation decile."""
    from conftest import make_mini_config

    folder = make_mini_config(tmp_path_factory.mktemp("national") / "mini")
    ind = folder / "indicators.csv"
    ind.write_text(
        ind.read_text()
        + "imd_decile,IMD decile,stronger_communities,decile,score,1,no_judgement,mini-imd,periodic,National decile\n"
    )
    values = folder / "values.csv"
    values.write_text(values.read_text() + "".join(f"imd_decile,{c},2019,,,{n}\n" for c, n in NATIONAL.items()))
    cat = folder / "catalogue.yaml"
    cat.write_text(cat.read_text().replace("indicators: [imd_score]", "indicators: [imd_score, imd_decile]"))
    cfg = load_config(folder)
    store = Store(tmp_path_factory.mktemp("national-store"))
    ingest(cfg, store)
    return load_profiles(cfg, store)


def test_inequalities_show_national_deciles_where_they_differ(with_national_deciles):
    d = dashboard(with_national_deciles)
    choose(d, *SMOKING, "2022")
    d.view_choice.value = "inequalities"
    panel = d.panel.value
    assert "Adults who smoke (2022), national deciles" in panel and panel.count("<svg") == 2
    _name, csv = downloaded(d)
    national = csv[csv["Deprivation decile (1 = most deprived)"].str.endswith("(national)")]
    got = dict(zip(national["Deprivation decile (1 = most deprived)"].str.split(" ").str[0].astype(int), national["Value"]))
    want = {dec: 100 * (20 + int(c[-1]) - 1) / (150 + 10 * (int(c[-1]) - 1)) for c, dec in NATIONAL.items()}
    assert got == pytest.approx(want)
    assert csv["Deprivation decile (1 = most deprived)"].str.startswith("Slope index of inequality (national)").sum() == 1
