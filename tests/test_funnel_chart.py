"""The overview's funnel chart of the localities: each point's position in words matches an independent check
(a point lies outside the funnel exactly when its own Wilson interval excludes the county's proportion)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from observatory._core.numbers import format_number
from observatory.present.funnel import funnel_chart
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


# --- crude rates and DSRs: positions against Poisson limits computed here (exact below 10 events, Byar's from 10) --

Z = {"95": 1.959963984540054, "998": 3.090232306167813}


def _poisson(x: float, level: str) -> tuple[float, float]:
    """Limits of an observed count: exact (chi-squared) below 10, Byar's approximation from 10."""
    if x < 10:
        alpha = 1 - {"95": 0.95, "998": 0.998}[level]
        return (chi2.ppf(alpha / 2, 2 * x) / 2 if x > 0 else 0.0), chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    z = Z[level]
    return (
        x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3,
        (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3,
    )


def _expected_words(events: float, size: float, average: float) -> str:
    """Where a count falls against the funnel: outside it when its own limits exclude the expected count."""
    expected = average * size
    (lo95, hi95), (lo998, hi998) = _poisson(events, "95"), _poisson(events, "998")
    if lo998 > expected:
        return "above the 99.8% limit"
    if lo95 > expected:
        return "above the 95% limit"
    if hi998 < expected:
        return "below the 99.8% limit"
    if hi95 < expected:
        return "below the 95% limit"
    return "within the 95% limits"


EVENTS = [3, 8, 0, 12, 40, 55, 120, 260, 480, 700, 95, 1500]
POPULATION = [1_500, 4_000, 2_500, 3_000, 2_000, 15_000, 25_000, 50_000, 90_000, 200_000, 12_000, 260_000]
FACTOR = [1.1, 0.9, 1.0, 1.2, 0.8, 1.05, 0.95, 1.1, 0.9, 1.0, 1.15, 0.85]  # DSR against the crude rate


def _rate_chart(value_type: str) -> tuple[pd.DataFrame, dict[str, str], str]:
    crude = [100_000 * x / n for x, n in zip(EVENTS, POPULATION)]
    frame = pd.DataFrame(
        {
            "area_name": [f"Area {i + 1}" for i in range(len(EVENTS))],
            "numerator": np.array(EVENTS, dtype=float),
            "denominator": np.array(POPULATION, dtype=float),
            "value": crude if value_type == "crude_rate" else [r * f for r, f in zip(crude, FACTOR)],
            "shown": True,
        }
    )
    html = funnel_chart(
        frame,
        title="Admissions",
        unit="per 100,000",
        value_type=value_type,
        multiplier=100_000,
        polarity="low_is_good",
        centre_name="Test county",
        x_title="Events",
        key=value_type,
    )
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>(?:<td>[^<]*</td>){3}<td>([^<]+)</td>', str(html)))
    return frame, rows, str(html)


def _sizes(frame: pd.DataFrame, value_type: str) -> np.ndarray:
    """Each area's population behind its rate: the population itself for a crude rate; for a DSR, the population
    that would give the DSR from the events (100,000 x events / DSR)."""
    if value_type == "crude_rate":
        return frame["denominator"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100_000 * frame["numerator"].to_numpy() / frame["value"].to_numpy()


def test_crude_rates_are_placed_against_exact_and_byars_limits():
    frame, rows, html = _rate_chart("crude_rate")
    average = sum(EVENTS) / sum(POPULATION)
    words = {name: _expected_words(x, n, average) for name, x, n in zip(frame["area_name"], EVENTS, _sizes(frame, "crude_rate"))}
    assert rows == words
    assert {"above the 99.8% limit", "below the 99.8% limit", "within the 95% limits"} <= set(words.values())
    assert f"Test county: {format_number(average * 100_000, 1, 'per 100,000')}" in html  # the centre line


def test_dsrs_are_placed_against_limits_on_their_events_and_small_counts_are_not_judged():
    frame, rows, html = _rate_chart("dsr")
    sizes = _sizes(frame, "dsr")
    judged = np.array(EVENTS) >= 10
    average = np.nansum(EVENTS) / np.nansum(sizes)  # the events-weighted centre (no events: no size, left out)
    for name, x, n, ok in zip(frame["area_name"], EVENTS, sizes, judged):
        if ok:
            assert rows[name] == _expected_words(x, n, average), name
        else:
            assert "less than 10" in rows[name], name  # DSRs from fewer than 10 events are not judged
    assert len(rows) == len(EVENTS)
    judged_words = {rows[name] for name, ok in zip(frame["area_name"], judged) if ok}
    assert {"above the 99.8% limit", "below the 99.8% limit"} <= judged_words
