"""Spine and trend charts: one row per indicator, polarity-aware marker side, suppression, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from observatory._core.vocab import COMPARISON_TITLES, COMPARISONS
from observatory.present import charts
from observatory.present.palette import COMPARISON_COLOURS, SPINE_GREYS

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def spine_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator_id": ["le", "smk", "old", "sup", "nc"],
            "title": ["Life expectancy <script>x</script>", 'Smoking & "adults"', "Aged 65+", "Small count", "Not compared"],
            "period": ["2018 - 20", "2019/20", "2021", "2020", "2021"],
            "count": [1200, 340, 5000, 3, np.nan],
            "value": [82.0, 18.0, 22.0, 4.0, 10.0],
            "benchmark": [80.0, 14.0, 20.0, 5.0, 9.0],
            "peer_min": [76.0, 9.0, 15.0, 1.0, 5.0],
            "peer_q25": [78.5, 11.0, 18.0, 3.0, 8.0],
            "peer_q75": [81.0, 15.0, 23.0, 6.0, 11.0],
            "peer_max": [83.0, 22.0, 28.0, 9.0, 14.0],
            "polarity": ["high_is_good", "low_is_good", "no_judgement", "low_is_good", "high_is_good"],
            "comparison": ["Better", "Worse", "Higher", "Better", None],
            "suppressed": [False, False, False, True, False],
        }
    )


class _Cells(HTMLParser):
    """Collect the text of each table cell of one row."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _rows(doc: str) -> dict[str, dict]:
    """Per indicator row: the cells' text (SVG titles removed) and the row's SVG markup."""
    rows = {}
    for match in re.finditer(r'<tr data-indicator="([^"]*)">(.*?)</tr>', doc, re.S):
        markup = match.group(2)
        parser = _Cells()
        parser.feed(re.sub(r"<svg.*?</svg>", "", markup, flags=re.S))
        svg = re.search(r"<svg.*?</svg>", markup, re.S)
        rows[match.group(1)] = {"cells": parser.cells, "svg": svg.group(0) if svg else ""}
    return rows


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def _marker_offset(svg: ET.Element) -> float:
    """Marker distance from the benchmark line, as a fraction of the furthest bar end's distance."""
    centre = float(svg.find(f"{SVG}line[@class='spine-benchmark']").get("x1"))
    ends = []
    for rect in svg.findall(f"{SVG}rect"):
        x, w = float(rect.get("x")), float(rect.get("width"))
        ends += [x, x + w]
    reach = max(abs(e - centre) for e in ends)
    return (float(svg.find(f"{SVG}circle").get("cx")) - centre) / reach


def test_one_row_per_indicator_in_order(spine_frame):
    doc = charts.spine_chart(spine_frame, title="Profile")
    assert list(_rows(doc)) == spine_frame["indicator_id"].tolist()


def test_marker_side_follows_polarity(spine_frame):
    rows = _rows(charts.spine_chart(spine_frame))
    # high is good, above benchmark: right; low is good, above benchmark: left
    assert _marker_offset(_svg(rows["le"]["svg"])) > 0
    assert _marker_offset(_svg(rows["smk"]["svg"])) < 0
    assert _marker_offset(_svg(rows["old"]["svg"])) > 0


def test_marker_is_scaled_from_the_benchmark(spine_frame):
    rows = _rows(charts.spine_chart(spine_frame))
    # life expectancy: half-width = max(|80-76|, |80-83|, |80-82|) = 4, value 2 above -> +0.5
    assert _marker_offset(_svg(rows["le"]["svg"])) == pytest.approx(0.5, abs=0.01)
    # smoking: half-width = max(5, 8, 4) = 8, value 4 above, low is good -> -0.5
    assert _marker_offset(_svg(rows["smk"]["svg"])) == pytest.approx(-0.5, abs=0.01)


def test_bars_put_worst_quartile_on_the_left(spine_frame):
    rows = _rows(charts.spine_chart(spine_frame))
    for key in ("le", "smk"):
        rects = sorted(_svg(rows[key]["svg"]).findall(f"{SVG}rect"), key=lambda r: float(r.get("x")))
        assert [r.get("fill") for r in rects] == list(SPINE_GREYS)
    cells = rows["smk"]["cells"]
    assert cells[5] == "22.0" and cells[7] == "9.0"  # worst (highest) left, best (lowest) right
    assert rows["le"]["cells"][5] == "76.0" and rows["le"]["cells"][7] == "83.0"


def test_marker_colour_is_the_comparison(spine_frame):
    rows = _rows(charts.spine_chart(spine_frame))
    fill = {k: _svg(rows[k]["svg"]).find(f"{SVG}circle").get("fill") for k in ("le", "smk", "old", "nc")}
    assert fill == {"le": "#92D050", "smk": "#C00000", "old": "#C2CCFF", "nc": "#FFFFFF"}  # Fingertips' higher


def test_suppressed_row_shows_star_and_no_marker(spine_frame):
    rows = _rows(charts.spine_chart(spine_frame))
    row = rows["sup"]
    assert row["cells"][3] == "*"
    assert row["cells"][2] == "*"
    assert _svg(row["svg"]).find(f"{SVG}circle") is None
    assert _svg(rows["le"]["svg"]).find(f"{SVG}circle") is not None


def test_text_is_escaped(spine_frame):
    doc = charts.spine_chart(spine_frame, title="<b>Title</b>")
    assert "<script>" not in doc and "&lt;script&gt;x&lt;/script&gt;" in doc
    assert "&lt;b&gt;Title&lt;/b&gt;" in doc
    assert "Smoking &amp; &#34;adults&#34;" in doc
    assert _rows(doc)["le"]["cells"][0] == "Life expectancy <script>x</script>"


def test_missing_columns_are_named(spine_frame):
    with pytest.raises(KeyError, match="peer_q25"):
        charts.spine_chart(spine_frame.drop(columns="peer_q25"))


@pytest.fixture
def trend_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2019/20", "2017/18", "2018/19", "2020/21", "2021/22"],
            "period_sort": [20190000, 20170000, 20180000, 20200000, 20210000],
            "value": [12.0, 10.0, 11.0, np.nan, 14.0],
            "lower95": [10.0, 8.5, 9.0, np.nan, 12.5],
            "upper95": [14.0, 11.5, 13.0, np.nan, 15.5],
        }
    )


def test_trend_has_one_error_bar_per_point(trend_frame):
    svg = _svg(charts.trend_chart(trend_frame, title="Rate <x>", unit="per 1,000"))
    points = svg.findall(f"{SVG}circle[@class='point']")
    bars = svg.findall(f"{SVG}g[@class='error-bar']")
    assert len(points) == len(bars) == 4


def test_trend_points_follow_period_order_and_values(trend_frame):
    svg = _svg(charts.trend_chart(trend_frame, title="Rate"))
    points = svg.findall(f"{SVG}circle[@class='point']")
    xs = [float(p.get("cx")) for p in points]
    ys = [float(p.get("cy")) for p in points]
    assert xs == sorted(xs)
    ordered = [10.0, 11.0, 12.0, 14.0]  # by period_sort, missing 2020/21 dropped
    slope = (ys[0] - ys[-1]) / (ordered[-1] - ordered[0])
    for y, v in zip(ys, ordered):
        assert ys[0] - y == pytest.approx(slope * (v - ordered[0]), abs=0.2)
    for bar, y, v in zip(svg.findall(f"{SVG}g[@class='error-bar']"), ys, ordered):
        stem = bar.find(f"{SVG}line")
        low, high = float(stem.get("y1")), float(stem.get("y2"))
        assert high < y < low
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert labels.index("2017/18") < labels.index("2019/20")


def test_trend_benchmark_lines_and_escaping(trend_frame):
    bench = {
        "County <c>": trend_frame[["period", "value"]].assign(value=11.0),
        "England": pd.Series([12.0] * 5, index=trend_frame["period"]),
    }
    doc = charts.trend_chart(trend_frame, title="A & B", benchmark=bench)
    svg = _svg(doc)
    assert len(svg.findall(f"{SVG}path[@class='benchmark-line']")) == 2
    assert "County &lt;c&gt;" in doc and "A &amp; B" in doc
    value_path = svg.find(f"{SVG}path[@class='value-line']").get("d")
    assert value_path.count("M") == 2  # the line breaks at the missing period


def test_trend_with_no_values_says_so():
    frame = pd.DataFrame({"period": ["2020"], "value": [np.nan]})
    assert "No data" in charts.trend_chart(frame, title="Empty")


def test_comparison_legend_lists_every_colour():
    legend = charts.comparison_legend()
    for key, colour in COMPARISON_COLOURS.items():
        assert re.search(rf"background:{colour}\"></span>{COMPARISON_TITLES[key]}<", legend)
    assert legend.count('class="sw"') == len(COMPARISONS)


def test_small_proportions_and_scores_never_read_zero(spine_frame):
    tiny = spine_frame.assign(
        value=[0.0012, -0.0001, 22.0, 4.0, 10.0],
        benchmark=[0.0010, 0.0002, 20.0, 5.0, 9.0],
        peer_min=[0.0004, -0.0003, 15.0, 1.0, 5.0],
        peer_q25=[0.0008, -0.0002, 18.0, 3.0, 8.0],
        peer_q75=[0.0011, 0.0001, 23.0, 6.0, 11.0],
        peer_max=[0.0016, 0.0004, 28.0, 9.0, 14.0],
    )
    rows = _rows(charts.spine_chart(tiny))
    assert rows["le"]["cells"][3:6] == ["0.00120", "0.00100", "0.00040"]  # a spread of 0.0012: five decimals
    assert rows["smk"]["cells"][3] == "-0.00010"
    zero = re.compile(r"-?0(\.0*)?")
    assert not [c for r in rows.values() for c in r["cells"][3:] if zero.fullmatch(c)]  # no 0.0, no -0.0
    assert rows["old"]["cells"][3] == "22.0"  # a spread of 13: one decimal, as before


def test_polarity_enum_is_accepted(spine_frame):
    from observatory._core.vocab import Polarity

    frame = spine_frame.assign(polarity=[Polarity(p) for p in spine_frame["polarity"]])
    rows = _rows(charts.spine_chart(frame))
    assert _marker_offset(_svg(rows["smk"]["svg"])) == pytest.approx(-0.5, abs=0.01)
