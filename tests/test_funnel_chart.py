"""The overview's funnel chart of the localities: each point's position in words matches an independent check
(a point lies outside the funnel exactly when its own Wilson interval excludes the county's proportion)."""

from __future__ import annotations

import math
import re

import pytest

from observatory.present.report import CountyOverview, publishable


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


@pytest.fixture(scope="module")
def overview(demo_store):
    cfg, store = demo_store
    return CountyOverview(cfg, "2025Q3", store=store.path)


def test_each_locality_is_placed_against_the_funnel_in_words(overview):
    ind = overview.funnel_indicator()
    html = overview.funnel_html()
    every = overview.profiles.level("locality", ind)
    average = every["numerator"].sum() / every["denominator"].sum()  # the county's proportion
    p = publishable(every, overview.config)
    p = every[~p["suppressed"].astype(bool).to_numpy()]  # suppressed localities are left off the chart
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>(?:<td>[^<]*</td>){3}<td>([^<]+)</td>', html))
    assert len(rows) == len(p) >= 10
    for r in p.itertuples():
        lo95, hi95 = _wilson(r.numerator, r.denominator, 1.959964)
        lo998, hi998 = _wilson(r.numerator, r.denominator, 3.090232)
        want = (
            "above the 99.8% limit"
            if lo998 > average
            else "above the 95% limit"
            if lo95 > average
            else "below the 99.8% limit"
            if hi998 < average
            else "below the 95% limit"
            if hi95 < average
            else "within the 95% limits"
        )
        assert rows[r.area_name] == want, r.area_name


def test_the_chart_has_its_centre_limits_and_a_text_alternative(overview):
    html = overview.funnel_html()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count("<path") == 4 and svg.count("<circle") >= 10  # 95% and 99.8%, both sides; a point per locality
    county = overview.profiles.level("county", overview.funnel_indicator())["value"].iloc[0]
    assert f"Demo County (synthetic): {county:.1f}%" in html  # the centre line is the county's value
    assert "<caption>" in html and "Position against the funnel" in html
    assert "not shown: small numbers" in html  # suppressed localities are left off, and it says so
