"""Offline choropleths and web geometry: no CDN, Leaflet inlined, escaped labels, shared borders kept."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString

from observatory.present import maps
from observatory.present.palette import COMPARISON_COLOURS

WARWICKSHIRE = Path(__file__).resolve().parents[2] / "shared/data/warwickshire"
NASTY = 'A<b>&"1'


def _wiggly_grid(n: int = 4, size: float = 0.02, points: int = 60, amplitude: float = 1.5e-3, seed: int = 3) -> gpd.GeoDataFrame:
    """A brick-bond coverage with wavy shared borders, built by polygonising one line network.

    Each border is drawn once, so neighbours share it exactly; the T-junctions of the brick
    pattern sit mid-border for one neighbour, which is where per-polygon simplification diverges.
    """
    rng = np.random.default_rng(seed)
    x0, y0, width, height = -1.6, 52.2, n * size, n * size
    t = np.linspace(0, 1, points)

    def wave() -> np.ndarray:
        return amplitude * sum(rng.uniform(-1, 1) * np.sin(k * np.pi * t) / k for k in range(1, 6))

    lines = [LineString([(x0, y0), (x0 + width, y0), (x0 + width, y0 + height), (x0, y0 + height), (x0, y0)])]
    for j in range(1, n):
        lines.append(LineString(np.column_stack([x0 + width * t, y0 + j * size + wave()])))
    for j in range(n):
        offset = size / 2 if j % 2 else 0.0
        for k in range(1, n + 1):
            x = x0 + offset + k * size
            if x >= x0 + width - 1e-9:
                continue
            ys = y0 + j * size - 0.1 * size + 1.2 * size * t
            lines.append(LineString(np.column_stack([x + wave() * (1 - abs(2 * t - 1)), ys])))
    faces = list(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))).geoms)
    faces.sort(key=lambda p: (round(p.centroid.y, 6), p.centroid.x))
    return gpd.GeoDataFrame(
        {"area_code": [f"A{i:02d}" for i in range(len(faces))], "area_name": [f"Area {i}" for i in range(len(faces))]},
        geometry=faces,
        crs="EPSG:4326",
    )


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    gdf = _wiggly_grid()
    gdf["value"] = np.arange(len(gdf), dtype=float) * 1.5 + 10.0
    gdf.loc[gdf.index[1], "area_name"] = NASTY
    gdf.loc[gdf.index[2], "value"] = np.nan
    return gdf


def _equal_area(series: gpd.GeoSeries) -> gpd.GeoSeries:
    return series.to_crs("EPSG:27700")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(doc: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(doc)
    return parser.tags


def _geojson_layers(doc: str) -> list[dict]:
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(doc, match.end())[0] for match in re.finditer(r"_add\(", doc) if doc[match.end()] == "{"]


def _fill_by_id(doc: str) -> dict[str, str]:
    """Parse folium's style switch: case "id": ... return {style}; default: return {style}."""
    body = re.search(r"_styler\(feature\) \{\s*switch\(feature\.id\) \{(.*?)\n\s*\}\n\s*\}", doc, re.S).group(1)
    fills, pending = {}, []
    for token in re.finditer(r'case ("[^"]*"):|default:|return (\{[^}]*\});', body):
        if token.group(1):
            pending.append(json.loads(token.group(1)))
        elif token.group(0) == "default:":
            pending.append("default")
        else:
            for key in pending:
                fills[key] = json.loads(token.group(2))["fillColor"]
            pending = []
    return fills


def _colour_of(fills: dict[str, str], code: str) -> str:
    return fills.get(code, fills["default"])


# --- web_geometry -----------------------------------------------------------------------------


def test_fixture_defeats_per_polygon_simplification(grid):
    """Guard: on this fixture, simplifying polygons one by one does open slivers."""
    naive = _equal_area(grid.geometry.simplify(5e-4, preserve_topology=True))
    assert naive.area.sum() - naive.union_all().area > 1.0


def test_web_geometry_keeps_shared_borders(grid):
    web = maps.web_geometry(grid)
    before, after = _equal_area(grid.geometry), _equal_area(web.geometry)
    assert web.geometry.is_valid.all()
    assert after.area.sum() == pytest.approx(after.union_all().area, rel=1e-9)
    assert after.union_all().area == pytest.approx(before.union_all().area, rel=1e-3)
    assert shapely.coverage_is_valid(np.asarray(web.geometry.values))
    for i, a in enumerate(grid.geometry):
        for j, b in enumerate(grid.geometry):
            if i < j and a.intersection(b).length > 0:
                assert web.geometry.iloc[i].intersection(web.geometry.iloc[j]).length > 0


def test_web_geometry_reduces_vertices_and_rounds(grid):
    web = maps.web_geometry(grid)
    assert web.geometry.count_coordinates().sum() < 0.5 * grid.geometry.count_coordinates().sum()
    xy = shapely.get_coordinates(np.asarray(web.geometry.values))
    np.testing.assert_array_equal(xy, np.round(xy, 5))
    assert max(len(repr(float(v))) for v in xy.ravel()) <= len("-1.60000")
    assert list(web.columns) == list(grid.columns)
    assert web["area_code"].tolist() == grid["area_code"].tolist()


def test_web_geometry_repairs_nearly_matching_neighbours():
    """Published boundaries overlap by fractions of a metre; simplification must not widen that."""
    gdf = _wiggly_grid(n=3, seed=5)
    nudged = shapely.transform(gdf.geometry.iloc[4], lambda xy: xy + 3e-5)  # overlaps its neighbours
    gdf.loc[gdf.index[4], "geometry"] = nudged
    assert not shapely.coverage_is_valid(np.asarray(gdf.geometry.values))
    web = maps.web_geometry(gdf)
    after = _equal_area(web.geometry)
    assert shapely.coverage_is_valid(np.asarray(web.geometry.values))
    assert after.area.sum() == pytest.approx(after.union_all().area, rel=1e-9)


# --- choropleth and map_html --------------------------------------------------------------------


def test_map_html_has_no_external_resources_and_inlines_leaflet(grid):
    doc = maps.map_html(maps.choropleth(maps.web_geometry(grid), "value", title="T"))
    for tag, attrs in _tags(doc):
        if tag in ("script", "img", "iframe"):
            assert "src" not in attrs, attrs
        if tag == "link":
            assert "href" not in attrs, attrs
    for cdn in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers", "d3.min", "cdn."):
        assert cdn not in doc.lower()
    assert "Leaflet 1.9.4" in doc
    assert "L.map(" in doc
    assert doc.count("Leaflet 1.9.4") == 1


def test_map_html_is_repeatable(grid):
    m = maps.choropleth(grid, "value")
    assert maps.map_html(m) == maps.map_html(m)


def test_one_feature_per_row_with_escaped_tooltips(grid):
    fields = {"area_name": "Name <n>", "value": "Rate"}
    doc = maps.map_html(maps.choropleth(grid, "value", title="<i>Title</i>", tooltip_fields=fields))
    layers = _geojson_layers(doc)
    features = layers[0]["features"]
    assert len(features) == len(grid)
    assert [f["id"] for f in features] == grid["area_code"].tolist()
    tooltip = {f["id"]: f["properties"] for f in features}
    assert tooltip["A01"]["t0"] == html.escape(NASTY)
    assert tooltip["A02"]["t1"] == "no data"
    assert tooltip["A00"]["t1"] == "10.0"
    assert "<b>&" not in doc
    assert "<i>Title" not in doc and "&lt;i&gt;Title&lt;/i&gt;" in doc
    assert "Name \\u0026lt;n\\u0026gt;" in doc


def test_legend_classes_follow_quantiles(grid):
    doc = maps.map_html(maps.choropleth(grid, "value", legend_title="Rate", k=5))
    rows = [a for t, a in _tags(doc) if "obs-legend-row" in a.get("class", "")]
    assert len(rows) == 5 + 1
    present = grid["value"].dropna().to_numpy()
    breaks = np.quantile(present, [0.2, 0.4, 0.6, 0.8, 1.0])
    labels = re.findall(r'class="obs-swatch"[^>]*></span>([^<]*)</div>', doc)
    assert labels[0] == f"{present.min():,.1f} – {breaks[0]:,.1f}"
    assert labels[-2] == f"{breaks[-2]:,.1f} – {breaks[-1]:,.1f}"
    assert labels[-1] == "no data"


def test_missing_values_are_grey_and_others_are_not(grid):
    doc = maps.map_html(maps.choropleth(grid, "value", missing_label="suppressed"))
    fills = _fill_by_id(doc)
    assert _colour_of(fills, "A02") == maps.MISSING_COLOUR
    others = {_colour_of(fills, code) for code in grid["area_code"] if code != "A02"}
    assert maps.MISSING_COLOUR not in others
    assert len(others) == 5
    assert re.search(rf'background:{maps.MISSING_COLOUR}"></span>suppressed<', doc)
    lowest, highest = grid["value"].idxmin(), grid["value"].idxmax()
    assert _colour_of(fills, grid.loc[lowest, "area_code"]) != _colour_of(fills, grid.loc[highest, "area_code"])


def test_categorical_comparison_colours(grid):
    gdf = grid.copy()
    gdf["comparison"] = [["Better", "Similar", "Worse", None][i % 4] for i in range(len(gdf))]
    doc = maps.map_html(maps.choropleth(gdf, "comparison", categorical=True))
    fills = _fill_by_id(doc)
    assert _colour_of(fills, "A00") == COMPARISON_COLOURS["better"]
    assert _colour_of(fills, "A01") == COMPARISON_COLOURS["similar"]
    assert _colour_of(fills, "A02") == COMPARISON_COLOURS["worse"]
    assert _colour_of(fills, "A03") == maps.MISSING_COLOUR
    colours = {"Better": "#00ff00", "Similar": "#ffff00", "Worse": "#ff0000", "x": "#0000ff"}
    own = maps.map_html(maps.choropleth(gdf.fillna({"comparison": "x"}), "comparison", categorical=True, colours=colours))
    assert _colour_of(_fill_by_id(own), "A03") == "#0000ff"
    with pytest.raises(ValueError, match="without a colour"):
        maps.choropleth(gdf, "comparison", categorical=True, colours={"Better": "#00ff00"})


def test_outline_and_highlight_layers(grid):
    county = gpd.GeoDataFrame(geometry=[grid.union_all()], crs="EPSG:4326")
    doc = maps.map_html(maps.choropleth(grid, "value", outline=county, highlight="A11"))
    layers = _geojson_layers(doc)
    assert len(layers) == 3
    assert len(layers[1]["features"]) == 1 and len(layers[2]["features"]) == 1
    with pytest.raises(ValueError, match="not in the data"):
        maps.choropleth(grid, "value", highlight="nope")


def test_tiles_are_optional(grid):
    assert "tile.openstreetmap.org" not in maps.map_html(maps.choropleth(grid, "value"))
    doc = maps.map_html(maps.choropleth(grid, "value", tiles=True))
    assert "tile.openstreetmap.org" in doc and "OpenStreetMap" in doc
    assert not [a for t, a in _tags(doc) if t == "script" and "src" in a]


def test_map_iframe_embeds_the_escaped_document(grid):
    m = maps.choropleth(grid, "value", height=420)
    snippet = maps.map_iframe(m)
    match = re.fullmatch(r'<iframe title="([^"]+)" srcdoc="([^"]*)"[^>]*height:420px[^>]*></iframe>', snippet)
    assert match and "Map" in match.group(1)  # every iframe is titled (WCAG 4.1.2)
    assert "<script" not in match.group(2)
    assert html.unescape(match.group(2)) == maps.map_html(m)


def test_real_lsoa_boundaries_are_light_enough():
    path = WARWICKSHIRE / "boundaries/lsoa11_bgc_warwickshire.geojson"
    if not path.exists():
        pytest.skip("Warwickshire data bundle not present")
    raw = gpd.read_file(path).rename(columns={"LSOA11CD": "area_code", "LSOA11NM": "area_name"})
    web = maps.web_geometry(raw)
    assert len(web) == 339 and web.geometry.is_valid.all()
    area = _equal_area(web.geometry)
    assert area.area.sum() == pytest.approx(area.union_all().area, rel=1e-6)
    web["value"] = pd.Series(np.linspace(0, 100, len(web)), index=web.index)
    doc = maps.map_html(maps.choropleth(web, "value", title="LSOAs"))
    print(f"339 LSOAs: {len(doc.encode()) / 1e6:.2f} MB, {web.geometry.count_coordinates().sum()} vertices")
    assert len(doc.encode()) < 1.5e6


def test_map_fits_its_areas_once_its_frame_has_a_size(grid):
    doc = maps.map_html(maps.choropleth(grid, "value"))
    script = doc[doc.index("var bounds = ") :]
    bounds = json.JSONDecoder().raw_decode(script[len("var bounds = ") :])[0]
    minx, miny, maxx, maxy = grid.total_bounds
    assert sum(bounds, []) == pytest.approx([miny, minx, maxy, maxx])
    assert "ResizeObserver" in script and "invalidateSize" in script
    assert "clientWidth > 0 && box.clientHeight > 0" in script  # never fitted while the frame is 0x0


def test_small_values_get_the_decimals_they_need(grid):
    gdf = grid.assign(value=grid["value"] / 10000)  # 0.00100 to 0.00325
    doc = maps.map_html(maps.choropleth(gdf, "value", legend_title="Rate"))
    labels = re.findall(r'class="obs-swatch"[^>]*></span>([^<]*)</div>', doc)[:-1]
    assert len(labels) == 5 and all(low != high for low, high in (label.split(" – ") for label in labels))
    assert not [label for label in labels if "0.0 – 0.0" in label or "-0" in label]
    tooltip = {f["id"]: f["properties"] for f in _geojson_layers(doc)[0]["features"]}
    assert tooltip["A00"]["t1"] == "0.00100"
