"""The localities dashboard's pack views (compare areas, inequalities, population pyramid) without a browser:
they follow the pickers and the address, pick out the chosen locality, and download the figures they draw."""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
import pytest
from test_dashboard import NASTY, POPULATION_BY_AGE, choose, dashboard, mini_store, profiles  # noqa: F401

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
    d.theme.value = d.indicators.loc["imd_score", "theme"]
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
