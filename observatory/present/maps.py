"""Choropleth maps that draw with no network: light geometry, Leaflet inlined, our own legend.

Partners open these maps on council networks without internet access, so every map is one
self-contained HTML document: Leaflet's script and styles are inlined from the vendored copy in
``observatory/assets/leaflet``, none of folium's CDN links (jQuery, Bootstrap, Font Awesome,
d3) survive, and base-map tiles are off unless asked for.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping
from functools import lru_cache
from numbers import Number
from typing import Any

import branca.element
import folium
import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement

from observatory._core.numbers import format_number
from observatory._core.resources import resource
from observatory._core.vocab import COMPARISON_TITLES
from observatory.geo.areas import simplify_for_web as web_geometry  # noqa: F401  (the maps API name for it)
from observatory.present.classes import class_labels, quantile_classes
from observatory.present.figures import decimals_for
from observatory.present.palette import COMPARISON_COLOURS, MISSING_COLOUR, SEQUENTIAL_COLOURS, comparison_key, sequential
from observatory.present.templating import Markup, environment, render_macro


@lru_cache(maxsize=1024)
def _compiled(source: str) -> jinja2.Template:
    return jinja2.Template(source)


# folium wraps each rendered include statement in a new branca Element, which compiles that string as a Jinja
# template: a dozen compiles a map, of the same strings every time (about a quarter of drawing a map). Templates
# are compiled once per process instead; a compiled template renders the same and is safe to share.
branca.element.Template = _compiled

__all__ = ["web_geometry", "choropleth", "map_html", "map_iframe", "MISSING_COLOUR", "SEQUENTIAL_COLOURS"]

_EXTERNAL = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    title: str = "",
    legend_title: str | None = None,
    tooltip_fields: Mapping[str, str] | None = None,
    classification: str = "quantiles",
    k: int = 5,
    colours: list[str] | Mapping[Any, str] | None = None,
    categorical: bool = False,
    missing_label: str = "no data",
    value_format: str | None = None,
    outline: gpd.GeoDataFrame | None = None,
    highlight: str | None = None,
    tiles: bool = False,
    height: int = 500,
    attribution: str = "",
) -> folium.Map:
    """Shade areas by ``column`` and return an offline folium map.

    Numeric columns are put into ``k`` classes by mapclassify's ``classification`` scheme and
    shaded with ``colours`` (a list, light to dark). With ``categorical=True``, ``colours`` maps
    each category to its colour (benchmark comparisons: better, similar, worse...). Missing
    values are grey and labelled ``missing_label``. ``outline`` (e.g. the county) is drawn as a
    line on top, ``highlight`` outlines one area by its code. Text from the data is escaped.
    Numbers are written with the decimals the column needs, or with ``value_format`` ("{:,.1f}") when given.
    The map fits the areas once its frame has a size (a frame laid out later would otherwise open at world zoom).
    """
    if column not in gdf.columns:
        raise KeyError(f"column {column!r} is not in the data")
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    legend_title = column if legend_title is None else legend_title
    if tooltip_fields is None:
        tooltip_fields = {"area_name": "Area", column: legend_title}

    fills, legend_rows = _fills(gdf[column], classification, k, colours, categorical, missing_label, value_format)
    features = _features(gdf, tooltip_fields, missing_label, value_format)
    fill_by_id = dict(zip((f["id"] for f in features), fills))

    m = folium.Map(
        location=None,
        tiles="OpenStreetMap" if tiles else None,
        width="100%",
        height="100%",
        scrollWheelZoom=False,
        control_scale=True,
    )
    style = render_macro("map_parts.html.j2", "style", background=not tiles)
    m.get_root().header.add_child(Element(style), name="obs_style")
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=legend_title,
        style_function=lambda f: {
            "fillColor": fill_by_id[f["id"]],
            "fillOpacity": 0.8,
            "color": "#555555",
            "weight": 0.6,
        },
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[f"t{i}" for i in range(len(tooltip_fields))],
            aliases=[_for_leaflet(label) for label in tooltip_fields.values()],
            sticky=True,
        )
        if tooltip_fields
        else None,
    ).add_to(m)
    if outline is not None:
        _line_layer(outline, "#222222", 2.0).add_to(m)
    if highlight is not None:
        chosen = gdf[gdf["area_code"].astype(str) == str(highlight)]
        if chosen.empty:
            raise ValueError(f"highlight area {highlight!r} is not in the data")
        _line_layer(chosen, "#000000", 3.5).add_to(m)
    _Control(render_macro("map_parts.html.j2", "legend", legend_title, legend_rows), "bottomright").add_to(m)
    if title:
        _Control(render_macro("map_parts.html.j2", "title", title), "topright").add_to(m)
    if attribution:
        m.add_child(_Attribution(attribution))
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all():
        m.add_child(_FitWhenSized([[miny, minx], [maxy, maxx]]))
    m.obs_height = int(height)
    _make_offline(m)
    return m


def map_html(m: folium.Map) -> str:
    """Return ``m`` as one standalone HTML document with Leaflet inlined and no external links."""
    _make_offline(m)
    doc = _render(m.get_root())
    external = _EXTERNAL.findall(doc)
    if external:
        raise ValueError(f"map still loads external resources: {external}")
    return doc


def map_iframe(m: folium.Map, height: int | None = None) -> Markup:
    """Return an ``<iframe srcdoc>`` embedding :func:`map_html`, for static notebook HTML and widgets.

    ``height`` defaults to the height given to :func:`choropleth`. The map fills the iframe, which
    is sandboxed to scripts only.
    """
    if height is None:
        height = getattr(m, "obs_height", 500)
    return render_macro("map_parts.html.j2", "iframe", map_html(m), int(height))


def _fills(
    values: pd.Series, classification: str, k: int, colours, categorical: bool, missing_label: str, value_format: str | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """Colour per row and legend rows (colour, label)."""
    missing = values.isna().to_numpy()
    fills = [MISSING_COLOUR] * len(values)
    if categorical:
        fills, rows = _category_fills(values, missing, colours)
    else:
        numbers = pd.to_numeric(values, errors="raise").astype(float).to_numpy()
        rows = []
        if (~missing).any():
            classes, bounds = _classify(numbers, classification, k)
            palette = sequential(len(bounds)) if colours is None else list(colours)
            if len(palette) < len(bounds):
                raise ValueError(f"{len(bounds)} classes need {len(bounds)} colours, got {len(palette)}")
            fills = [MISSING_COLOUR if c < 0 else palette[c] for c in classes]
            lowest = numbers[~missing].min()
            if value_format is None:
                labels = class_labels(lowest, bounds, decimals_for(numbers))
            else:
                edges = [lowest, *bounds]
                labels = [f"{value_format.format(edges[i])} – {value_format.format(edges[i + 1])}" for i in range(len(bounds))]
            rows = list(zip(palette, labels))
    if missing.any():
        rows.append((MISSING_COLOUR, missing_label))
    return fills, rows


def _category_fills(values: pd.Series, missing: np.ndarray, colours) -> tuple[list[str], list[tuple[str, str]]]:
    labels: Mapping[Any, str] = {}
    if colours is None:
        values = values.map(comparison_key, na_action="ignore")
        colours, labels = COMPARISON_COLOURS, COMPARISON_TITLES
    if not isinstance(colours, Mapping):
        raise TypeError("categorical maps need colours as a mapping category -> colour")
    unknown = sorted({str(v) for v, miss in zip(values, missing) if not miss and v not in colours})
    if unknown:
        raise ValueError(f"categories without a colour: {unknown}")
    fills = [MISSING_COLOUR if miss else colours[v] for v, miss in zip(values, missing)]
    return fills, [(colour, labels.get(category, str(category))) for category, colour in colours.items()]


def _classify(numbers: np.ndarray, classification: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class of each value (-1 where missing) and the classes' upper bounds."""
    if classification.lower() == "quantiles":
        return quantile_classes(numbers, k)
    import mapclassify  # start-up: 1.5-2.2 s (python -X importtime, after pandas/geopandas/folium); other schemes only

    present = np.isfinite(numbers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = mapclassify.classify(numbers[present], classification, k=min(k, np.unique(numbers[present]).size))
    classes = np.full(numbers.shape, -1)
    classes[present] = classifier.yb
    return classes, np.asarray(classifier.bins)


def _features(gdf: gpd.GeoDataFrame, tooltip_fields: Mapping[str, str], missing_label: str, value_format: str) -> list[dict]:
    missing_columns = [c for c in tooltip_fields if c not in gdf.columns]
    if missing_columns:
        raise KeyError(f"tooltip fields not in the data: {missing_columns}")
    codes = gdf["area_code"].astype(str).tolist() if "area_code" in gdf.columns else [str(i) for i in range(len(gdf))]
    if len(set(codes)) != len(codes):
        raise ValueError("area_code must be unique within a map")
    columns = {f"t{i}": gdf[c].tolist() for i, c in enumerate(tooltip_fields)}
    places = {f"t{i}": _decimals(gdf[c]) for i, c in enumerate(tooltip_fields)}
    features = []
    for row, (code, geom) in enumerate(zip(codes, gdf.geometry.values)):
        properties = {key: _text(values[row], missing_label, value_format, places[key]) for key, values in columns.items()}
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": properties,
                "geometry": shapely.geometry.mapping(geom) if geom is not None else None,
            }
        )
    return features


def _decimals(column: pd.Series) -> int:
    numeric = pd.api.types.is_float_dtype(column) or pd.api.types.is_object_dtype(column)
    return decimals_for(column) if numeric else 1


def _text(value: Any, missing_label: str, value_format: str | None, decimals: int) -> str:
    """A tooltip field, escaped for Leaflet (folium's tooltip writes its fields into the page as HTML)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return _for_leaflet(missing_label)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return format_number(int(value), 0)
    if isinstance(value, Number) and not isinstance(value, bool):
        return _for_leaflet(format_number(value, decimals) if value_format is None else value_format.format(value))
    return _for_leaflet(value)


def _for_leaflet(text: Any) -> str:
    """Text that folium's tooltip script inserts as HTML: escaped here, the one sink no template reaches."""
    return html.escape(str(text))


def _line_layer(gdf: gpd.GeoDataFrame, colour: str, weight: float) -> folium.GeoJson:
    geo = gpd.GeoDataFrame(geometry=gdf.geometry.to_crs("EPSG:4326") if gdf.crs else gdf.geometry)
    return folium.GeoJson(
        geo.__geo_interface__,
        style_function=lambda f: {"fill": False, "color": colour, "weight": weight},
        interactive=False,
        control=False,
    )


class _Control(MacroElement):
    """A Leaflet control whose content is plain HTML in the page (readable without scripts)."""

    def __init__(self, content: Markup, position: str):
        super().__init__()
        self._template = environment().get_template("map_control.j2")
        self._name = "ObsControl"
        self.content = content
        self.position = position


class _Attribution(MacroElement):
    def __init__(self, text: str):
        super().__init__()
        self._template = environment().get_template("map_attribution.j2")
        self._name = "ObsAttribution"
        self.text = text


class _FitWhenSized(MacroElement):
    """Fit the map to ``bounds`` once its container has a size: a frame measuring 0x0 would fit at world zoom."""

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._template = environment().get_template("map_fit.j2")
        self._name = "ObsFit"
        self.bounds = [[float(v) for v in corner] for corner in bounds]


@lru_cache(maxsize=1)
def _leaflet_inline() -> str:
    css = resource("leaflet", "leaflet.css").read_text(encoding="utf-8")
    js = resource("leaflet", "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", js)
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("vendored Leaflet cannot be inlined safely")
    return render_macro("map_parts.html.j2", "leaflet", Markup(css), Markup(js))


def _walk(root: Element) -> list[Element]:
    found, stack = [], [root]
    while stack:
        element = stack.pop()
        found.append(element)
        stack.extend(element._children.values())
        if isinstance(element, Figure):
            stack.extend([element.header, element.html, element.script])
    return found


def _render(root: Figure) -> str:
    """Render without keeping what rendering adds to the tree, so a map renders the same twice."""
    saved = [(element, element._children.copy()) for element in _walk(root)]
    try:
        return root.render()
    finally:
        for element, children in saved:
            element._children = children


def _make_offline(m: folium.Map) -> None:
    """Drop every CDN link folium and its plugins would add, and inline Leaflet instead."""
    root = m.get_root()
    if not isinstance(root, Figure):
        root = Figure()
        root.add_child(m)
    for element in _walk(root):
        if hasattr(element, "default_js"):
            element.default_js = []
        if hasattr(element, "default_css"):
            element.default_css = []
    header = root.header
    for name, child in list(header._children.items()):
        if isinstance(child, (JavascriptLink, CssLink)):
            del header._children[name]
    if "observatory_leaflet" not in header._children:
        header.add_child(Element(_leaflet_inline()), name="observatory_leaflet")
    header._children.move_to_end("observatory_leaflet", last=False)
