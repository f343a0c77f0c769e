"""The localities dashboard's address, search, download and honest shading, and the server's own pages (no browser)."""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
import pytest
from test_dashboard import choose, dashboard, legend, mini_store, profiles  # noqa: F401  (the shared module fixtures)

from observatory.apps.address import View, find_place, parse_view
from observatory.apps.pages import busy_html, dress_head, landing_html, page_title, site_info

SITE = site_info("Demo County (synthetic)", "Demo County", True, "public", updated="2026-12-01", latest_period="2025")


def test_an_address_carries_the_view_but_never_the_audience():
    v = parse_view("?locality=ML02&indicator=smoking&period=2024&audience=partners&areas=small_area&x=1")
    assert v == View(locality="ML02", indicator="smoking", period="2024", areas="small_area")
    assert "audience" not in v.query() and parse_view(v.query()) == v
    assert parse_view("") == View() and parse_view("locality=" + "A" * 500).locality == "A" * 100


def test_a_deep_link_opens_its_view_and_changing_the_view_rewrites_the_link(profiles):  # noqa: F811
    d = dashboard(profiles)
    d.apply_view("indicator=smoking&period=2023&locality=ML01&shade=vs_county&audience=partners")
    assert (d.indicator.value, d.period.value, d.locality.value, d.colour_by.value) == ("smoking", "2023", "ML01", "vs_county")
    assert d.audience == "public"
    assert (
        'data-obs-view="locality=ML01&amp;indicator=smoking&amp;period=2023&amp;areas=locality&amp;shade=vs_county"'
        in d.view_link.value
    )
    d.period.value = "2024"
    assert "period=2024" in d.view_link.value
    d.apply_view("indicator=nonsense&locality=ZZ99")  # unknown choices change nothing
    assert (d.indicator.value, d.locality.value) == ("smoking", "ML01")


def test_search_finds_a_locality_or_small_area_by_name_or_code(profiles):  # noqa: F811
    d = dashboard(profiles)
    options = d._places
    assert find_place("southtown", options) == ("ML02", "")
    assert find_place("ml03", options) == ("ML03", "")
    assert find_place("Z01000005", options) == ("ML03", "Z01000005")
    assert find_place("Mini", options) is None  # several: no guess
    d.search.value = "mini 002b"
    assert (d.locality.value, d.level.value) == ("ML02", "small_area")
    assert "area=Z01000004" in d.view_link.value and 'class="obs-spine"' in d.details.value
    d.search.value = "Atlantis"
    assert "No locality or small area is called “Atlantis”" in d.found.value and d.locality.value == "ML02"


def test_the_download_carries_the_figures_of_the_view_with_their_source(profiles):  # noqa: F811
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    d.level.value = "small_area"
    d.download.click()
    links = dict(re.findall(r'href="data:[^;]+;(?:charset=utf-8;)?base64,([^"]+)" download="([^"]+)"', d.downloads.value)[::1])
    names = {name: data for data, name in links.items()}
    assert set(names) == {"mini-smoking-2024-small_area.csv", "mini-smoking-2024-small_area.xlsx"}
    csv = pd.read_csv(io.BytesIO(base64.b64decode(names["mini-smoking-2024-small_area.csv"])), encoding="utf-8-sig")
    assert len(csv) == 6 and {"Value", "Lower 95% limit", "Compared with county", "Source and licence"} <= set(csv.columns)
    small = csv[csv["Area code"] == "Z01000006"].iloc[0]
    assert pd.isna(small["Value"]) and small["Status"] == "suppressed [c]"  # a count of 3 never reaches a download
    assert csv["Source and licence"].str.contains("Licence").all()
    book = pd.read_excel(io.BytesIO(base64.b64decode(names["mini-smoking-2024-small_area.xlsx"])), sheet_name=None)
    assert set(book) == {"data", "attribution"} and len(book["data"]) == 6
    d.period.value = "2023"
    assert d.downloads.value == ""  # never a stale download


def test_shading_by_comparison_is_offered_only_where_something_is_compared(profiles):  # noqa: F811
    d = dashboard(profiles)
    offered = 0
    for theme in [t for _l, t in d.theme.options]:
        d.theme.value = theme
        for _label, ind in d.indicator.options:
            d.indicator.value = ind
            for period in d.period.options:
                d.period.value = period
                for shade in [k for _l, k in d.colour_by.options if k != "value"]:
                    d.colour_by.value = shade
                    offered += 1
                    assert re.search(r"Better|Worse|Similar|Higher|Lower", legend(d.map.value)), (ind, period, shade)
    assert offered >= 3
    d.theme.value = d.indicators["imd_score"].theme
    d.indicator.value = "imd_score"
    assert [k for _l, k in d.colour_by.options] == ["value"]  # a score with no benchmark judgement


def test_the_map_frame_is_titled_and_the_trend_legend_names_the_locality(profiles):  # noqa: F811
    d = dashboard(profiles)
    choose(d, "healthier_communities_older_people", "smoking", "2024")
    assert re.search(r'<iframe title="Map of localities: Adults who smoke[^"]*, 2024"', d.map.value)
    d.locality.value = "ML02"
    trend = re.search(r'<svg[^>]*class="obs-trend".*?</svg>', d.details.value, re.S).group(0)
    assert "Southtown (95% CI)" in trend
    width = int(re.search(r'viewBox="0 0 (\d+)', trend).group(1)) if "viewBox" in trend else 600
    assert width >= 470 + 40 + 7 * len("Southtown (95% CI)")


def test_the_landing_page_says_what_the_dashboards_are_and_links_them_by_name():
    page = landing_html(SITE, "/obs/")
    assert "<title>Dashboards — Demo County (synthetic)</title>" in page
    assert '<a href="/obs/voila/render/localities.ipynb">Localities</a>' in page
    assert '<a href="/obs/voila/render/catalogue.ipynb">Data catalogue</a>' in page
    assert "2025" in page and "the public" in page and "Synthetic data" in page
    assert ".ipynb</a>" not in page and 'href="/obs/observatory/accessibility"' in page
    assert page_title("localities.ipynb", SITE) == "Localities — Demo County (synthetic)"
    busy = busy_html(SITE, "/obs/", 30)
    assert 'http-equiv="refresh" content="30"' in busy and "busy" in busy


def test_every_dashboard_page_gets_its_title_links_and_address_script():
    head = "<html><head><title>localities</title></head><body class='x'><div>"
    out, done = dress_head(head, "Localities — <Demo>", "/")
    assert done and "<title>Localities — &lt;Demo&gt;</title>" in out and "localities</title>" not in out
    assert out.index("data-obs-view") < out.index("</head>") and "history.replaceState" in out
    assert re.search(r"<body class='x'><nav class=\"obs-site-links\"[^>]*><a href=\"/\">All dashboards</a>", out)
    assert dress_head("<div>later</div>", "t", "/") == ("<div>later</div>", False)


@pytest.mark.parametrize("query", ["audience=partners", "locality=ML01&audience=public"])
def test_the_audience_in_an_address_is_ignored(profiles, query):  # noqa: F811
    d = dashboard(profiles)
    d.apply_view(query)
    assert d.audience == "public" and "crime" not in d.indicators
