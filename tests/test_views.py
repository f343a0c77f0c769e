"""Compare areas, inequalities by decile, population pyramid and map tables: rendered alone and from the demo store."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from observatory._core.numbers import format_number
from observatory.present.views import compare_chart, decile_chart, map_table, pyramid_chart


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "D"],
            "area_name": ["Alpha <b>&", "Beta", "Gamma", "Delta"],
            "value": [10.0, 12.5, 8.0, 3.0],
            "lower95": [9.0, 11.0, 7.0, 2.0],
            "upper95": [11.0, 14.0, 9.0, 4.0],
            "comparison": ["similar", "worse", "better", "better"],
            "suppressed": [False, False, False, True],
        }
    )


def _rows(html: str) -> list[str]:
    """The body rows of every table in ``html``."""
    bodies = re.findall(r"<tbody>(.*?)</tbody>", html, flags=re.S)
    return [row for body in bodies for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]


def test_compare_chart_ranks_bars_labels_in_words_and_matches_its_table():
    html = compare_chart(_frame(), title="Smoking", unit="%", county=("Shire", 10.2), england=("England", 11.0), highlight="B")
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    assert html.count('class="obs-bar') == len(_rows(html)) == 4
    names = re.findall(r'data-area="(\w)"', html)
    assert names == ["B", "A", "C", "D"]  # highest first, the suppressed value last
    assert "12.5% · Worse" in html and "10.0% · Similar" in html and "8.0% · Better" in html
    assert html.count("<rect") == 3  # no bar for the suppressed value
    assert "3.0" not in html.split("<tbody>")[0]  # nor its figure
    assert "Alpha &lt;b&gt;&amp;" in html and "<b>&" not in html
    assert 'class="obs-bar obs-mine" data-area="B"' in html and 'class="obs-mine"' in html
    assert "Shire 10.2%" in html and "England 11.0%" in html
    assert "1 worse; 1 similar; 1 better; 1 suppressed" in html


def test_compare_chart_needs_its_columns():
    with pytest.raises(KeyError, match="comparison"):
        compare_chart(_frame().drop(columns="comparison"), title="x")


def test_decile_chart_draws_the_sii_through_the_weighted_mean():
    d = pd.DataFrame(
        {
            "decile": range(1, 11),
            "value": np.linspace(20, 11, 10),
            "lower95": np.linspace(19, 10, 10),
            "upper95": np.linspace(21, 12, 10),
            "population": [100] * 10,
        }
    )
    html = decile_chart(d, title="Smoking", unit="%", sii={"value": -10.0, "lower95": -11.0, "upper95": -9.0})
    assert len(_rows(html)) == 10 and html.count('class="obs-decile"') == 10
    assert "Slope index of inequality -10.0% (95% interval -11.0% to -9.0%)" in html
    line = re.search(r'class="obs-sii" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', html)
    assert float(line.group(2)) < float(line.group(4))  # falls from most to least deprived (y grows downwards)
    assert "obs-sii-band" in html and "Most deprived" in html
    none = decile_chart(d, title="Smoking", sii=None)
    assert "cannot be calculated" in none and "obs-sii" not in none


def test_pyramid_chart_shows_shares_and_the_county_outline():
    ages = ["0-4", "5-9", "10-14", "85+"]
    p = pd.DataFrame(
        [{"age": a, "sex": s, "area": 25, "county": 10 * (i + 1)} for i, a in enumerate(ages) for s in ("Male", "Female")]
    )
    html = pyramid_chart(p, area="Town <x>", county="Shire")
    assert html.count('class="obs-outline"') == 2
    assert len(_rows(html)) == 4 and "12.5%" in html  # 25 of 200 people
    assert _rows(html)[0].count("85+") == 1  # oldest at the top
    assert "Town &lt;x&gt;" in html and "Town <x>" not in html


def test_map_table_has_a_row_per_area_sortable_by_keyboard():
    html = map_table(_frame(), caption="Localities: smoking", value_title="Smoking", unit="%")
    assert len(_rows(html)) == 4
    assert html.count('aria-sort="none"') == 7 and html.count('<button type="button" class="obs-sort">') == 7
    assert "Compared with county" in html and "Lower 95%" in html and "Map class" in html


@pytest.fixture(scope="module")
def demo():
    import observatory as obs

    obs.open_store("demo")
    profile = obs.open_profile("demo", "ZL01", "2025Q3")
    overview = obs.CountyOverview(obs.load_config("demo"), "2025Q3")
    return profile, overview


def test_demo_profile_highlights_the_locality_among_all_localities(demo):
    profile, _ = demo
    html = profile.compare_html()
    keys = profile.key_indicators()
    assert keys and html.count('class="obs-view obs-compare"') == len(keys)
    n = len(profile.profiles.geography.localities())
    assert len(_rows(html)) == n * len(keys)
    assert html.count(f'class="obs-bar obs-mine" data-area="{profile.locality}"') == len(keys)
    first = profile.latest.set_index("indicator_id").loc[keys[0]]
    assert f"{first['title']} ({first['period']})" in html
    assert first["vs_county"] == "worse" and "· Worse" in html


def test_demo_profile_pyramid_and_map_table(demo):
    profile, _ = demo
    html = profile.pyramid_html()
    assert "obs-pyramid" in html and len(_rows(html)) == 19  # the demo's 19 age bands
    shares = [float(x) for x in re.findall(r"<td data-sort=\"([\d.]+)\" class=\"obs-num\">", html)]
    assert sum(shares) == pytest.approx(200, abs=0.01)  # locality and county, each summing to 100%
    table = profile.map_html().split("</iframe>", 1)[1]
    members = profile.profiles.geography.hierarchy["locality_code"].eq(profile.locality).sum()
    assert len(_rows(table)) == members and "the map as a table" in table


def test_demo_overview_compares_every_indicator_and_shows_inequalities(demo):
    _, overview = demo
    html = overview.compare_html()
    assert html.count('class="obs-view obs-compare"') == len(overview.indicators())
    ineq = overview.inequalities_html(["adult_smoking"])
    county = ineq[: ineq.index('id="deciles-national-adult-smoking-title"')]  # then by the demo's national deciles
    assert ineq.count('class="obs-view obs-deciles"') == 2 and len(_rows(county)) == 10
    g = overview.profiles.gaps
    g = g[g["indicator_id"] == "adult_smoking"].sort_values("period_sort").iloc[-1]
    assert f"Slope index of inequality {format_number(g['sii'], 1, '%')}" in ineq  # the profile table's SII
    m = overview.map_html().split("</iframe>", 1)[1]
    assert len(_rows(m)) == len(overview.profiles.geography.localities())


def test_pack_notebooks_show_the_views():
    import json

    from observatory._core.resources import resource

    for name, calls in (
        ("locality_profile", ["compare_html", "inequalities_html", "pyramid_html"]),
        ("county_overview", ["compare_html", "inequalities_html"]),
    ):
        nb = json.loads((resource("notebooks") / f"{name}.ipynb").read_text())
        code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert all(f".{call}()" in code for call in calls)


def _figures(view: str, column: int) -> list[float]:
    """One column of a view's table, by its sort keys (NaN where a figure is withheld)."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", view.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    return [float(re.findall(r'data-sort="([^"]*)"', r)[column] or "nan") for r in rows]


def _poisson_limits(count: np.ndarray, population: np.ndarray, per: float) -> tuple[np.ndarray, np.ndarray]:
    """95% limits of a crude rate: Byar's approximation from 10 events, exact Poisson (chi-squared) below."""
    from scipy.stats import chi2

    o = count.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        byar_lo = o * (1 - 1 / (9 * o) - 1.959964 / (3 * np.sqrt(o))) ** 3
        byar_hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + 1.959964 / (3 * np.sqrt(o + 1))) ** 3
    exact_lo, exact_hi = chi2.ppf(0.025, 2 * o) / 2, chi2.ppf(0.975, 2 * o + 2) / 2
    lo, hi = np.where(o >= 10, byar_lo, np.nan_to_num(exact_lo)), np.where(o >= 10, byar_hi, exact_hi)
    return lo / population * per, hi / population * per


def _by_age_band(here: pd.DataFrame, there: pd.DataFrame) -> pd.DataFrame:
    """Death rates per 100,000 of ``here`` (numerator and denominator by age band), youngest first, with their limits,
    whether each is withheld (1 to the threshold deaths) and its comparison in words with ``there``'s same band."""
    from observatory.present.disclosure import SUPPRESSION_THRESHOLD

    order = sorted(here.index, key=lambda band: int(re.match(r"\d+", band).group()))
    here, there = here.loc[order], there.loc[order]
    lower, upper = _poisson_limits(here["numerator"].to_numpy(), here["denominator"].to_numpy(), 1e5)
    benchmark = (1e5 * there["numerator"] / there["denominator"]).to_numpy()
    withheld = here["numerator"].between(1, SUPPRESSION_THRESHOLD).to_numpy()
    words = np.where(upper < benchmark, "Better", np.where(lower > benchmark, "Worse", "Similar"))
    rate = (1e5 * here["numerator"] / here["denominator"]).to_numpy()
    return pd.DataFrame(
        {"rate": rate, "lower": lower, "upper": upper, "withheld": withheld, "words": np.where(withheld, "suppressed", words)},
        index=order,
    )


def test_demo_overview_shows_mortality_by_age_band_against_england(demo):
    """Age-specific death rates of the county's small areas, from the raw demo rows, each band compared with
    England's same band (a lower rate is better); bands with 1 to the threshold deaths withheld."""
    _, overview = demo
    raw = pd.read_csv("data/demo/sources/demo-mortality.csv")
    raw = raw[raw["period_sort"] == raw["period_sort"].max()]
    local = raw[raw["area_code"].str.startswith("Z01")].groupby("age")[["numerator", "denominator"]].sum()
    england = raw[raw["area_code"] == "E92000001"].set_index("age")[["numerator", "denominator"]]
    bands = _by_age_band(local, england)
    withheld = bands["withheld"].to_numpy()

    html = overview.inequalities_html(["u75_mortality"])
    view = html[html.index('id="compare-age-u75-mortality-title"') :]
    assert re.findall(r'data-area="([^"]+)"', view) == bands.index.tolist()  # youngest first
    shown = np.array(_figures(view, 2))
    assert np.isnan(shown[withheld]).all()
    assert shown[~withheld] == pytest.approx(bands["rate"].to_numpy()[~withheld], rel=1e-9)
    assert _figures(view, 3)[-1] == pytest.approx(bands["lower"].iloc[-1], rel=1e-6)
    assert _figures(view, 4)[-1] == pytest.approx(bands["upper"].iloc[-1], rel=1e-6)
    table_words = re.findall(r'<td data-sort="(Better|Worse|Similar|suppressed)">\1</td>', view)
    assert table_words == bands["words"].tolist()
    assert "Compared with England" in view and "groups in order" in view


def _wilson(x: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    p = x / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half) / (1 + z * z / n), 100 * (centre + half) / (1 + z * z / n)


def _by_sex_rows() -> pd.DataFrame:
    """Two county small areas (A, B), one outside (C) and England, by sex, in two periods; Persons rows too."""
    rows = []
    for period in (2023, 2024):
        for code, kind, male, female in (
            ("A", "lsoa", (30, 200), (20, 210)),
            ("B", "lsoa", (45, 300), (25, 290)),
            ("C", "lsoa", (90, 100), (90, 100)),
            ("E92000001", "england", (15000, 100000), (12000, 100000)),
        ):
            for sex, (x, n) in (("Male", male), ("Female", female), ("Persons", (male[0] + female[0], male[1] + female[1]))):
                rows.append(
                    {"indicator_id": "smoking", "area_code": code, "area_type": kind, "period": str(period)}
                    | {"period_sort": period, "sex": sex, "age": "18+", "numerator": x * (period - 2022), "denominator": n}
                    | {"value": np.nan, "lower95": np.nan, "upper95": np.nan}
                )
    return pd.DataFrame(rows)


def _stand_ins(rows: pd.DataFrame, value_type: str = "proportion"):
    from types import SimpleNamespace

    meta = {"indicator_id": "smoking", "value_type": value_type, "multiplier": 100, "polarity": "low_is_good"}
    profiles = SimpleNamespace(
        profiles=pd.DataFrame([meta | {"title": "Smoking", "unit": "%"}]),
        geography=SimpleNamespace(small_area_type="lsoa", hierarchy=pd.DataFrame({"small_area_code": ["A", "B"]})),
    )
    return profiles, SimpleNamespace(read=lambda ids: rows[rows["indicator_id"].isin(ids)].copy())


def test_breakdown_by_sex_sums_the_county_and_compares_with_england():
    from observatory.present.breakdowns import breakdown_values

    view = breakdown_values(*_stand_ins(_by_sex_rows()), "smoking", "sex")
    f = view.frame.set_index("area_name")
    assert list(f.index) == ["Female", "Male"] and view.period == "2024"
    for sex, x, n, bench in (("Male", 150, 500, 0.30), ("Female", 90, 500, 0.24)):  # latest period: counts doubled
        assert f.loc[sex, "value"] == pytest.approx(100 * x / n)
        assert (f.loc[sex, "lower95"], f.loc[sex, "upper95"]) == pytest.approx(_wilson(x, n), rel=1e-6)
        lower, upper = _wilson(x, n)
        expected = "better" if upper < 100 * bench else "worse" if lower > 100 * bench else "similar"
        assert f.loc[sex, "comparison"] == expected
    html = compare_chart(view.frame, title="Smoking by sex", unit="%", county=("England, the same sex", np.nan), ranked=False)
    assert re.findall(r'data-area="(\w+)"', html) == ["Female", "Male"] and "groups in order" in html


def test_breakdown_needs_two_groups_and_is_not_drawn_for_counts():
    from observatory.present.breakdowns import breakdown_values

    rows = _by_sex_rows()
    assert breakdown_values(*_stand_ins(rows[rows["sex"] != "Female"]), "smoking", "sex") is None
    assert breakdown_values(*_stand_ins(rows), "smoking", "age") is None  # one age band only
    assert breakdown_values(*_stand_ins(rows, "count"), "smoking", "sex") is None


def test_age_profile_chart_shows_shares_without_sex():
    from observatory.present.views import age_profile_chart

    p = pd.DataFrame({"age": ["0-4", "5-9", "85+", "All ages"], "area": [10, 30, 60, 100], "county": [50, 25, 25, 100]})
    html = age_profile_chart(p, area="Town <x>", county="Shire")
    assert len(_rows(html)) == 3 and _rows(html)[0].count("85+") == 1  # oldest first, the total left out
    assert "60.0%" in html and "no breakdown by sex" in html and html.count('class="obs-outline"') == 1
    assert "Town &lt;x&gt;" in html and "Town <x>" not in html
