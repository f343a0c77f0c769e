"""Choropleth maps that draw with no network: light geometry, Leaflet inlined, our own legend.

Partners open these maps on council networks without internet access, so every map is one
self-contained HTML document: Leaflet's script and styles are inlined from the vendored copy in
``observatory/assets/leaflet``, none of folium's CDN links (jQuery, Bootstrap, Font Awesome,
d3) survive, and base-map tiles are off unless asked for.
"""
from __future__ import annotations

import html
import math
import re
import warnings
from functools import lru_cache
from numbers import Number
from typing import Any, Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from jinja2 import Template

from observatory._core.resources import resource
from observatory.geo.areas import simplify_for_web as web_geometry  # noqa: F401  (the maps API name for it)

__all__ = ["web_geometry", "choropleth", "map_html", "map_iframe"]

MISSING_COLOUR = "#c8c8c8"
# ColorBrewer YlGnBu (9 classes); k colours are taken evenly from its darker eight.
SEQUENTIAL_COLOURS = [
    "#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4",
    "#1d91c0", "#225ea8", "#253494", "#081d58",
]
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
    value_format: str = "{:,.1f}",
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
    background = "" if tiles else ".leaflet-container{background:#fff;}"
    m.get_root().header.add_child(Element(f"<style>{_CONTROL_CSS}{background}</style>"), name="obs_style")
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=legend_title,
        style_function=lambda f: {
            "fillColor": fill_by_id[f["id"]], "fillOpacity": 0.8, "color": "#555555", "weight": 0.6,
        },
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[f"t{i}" for i in range(len(tooltip_fields))],
            aliases=[html.escape(str(label)) for label in tooltip_fields.values()],
            sticky=True,
        ) if tooltip_fields else None,
    ).add_to(m)
    if outline is not None:
        _line_layer(outline, "#222222", 2.0).add_to(m)
    if highlight is not None:
        chosen = gdf[gdf["area_code"].astype(str) == str(highlight)]
        if chosen.empty:
            raise ValueError(f"highlight area {highlight!r} is not in the data")
        _line_layer(chosen, "#000000", 3.5).add_to(m)
    _Control(_legend_html(legend_title, legend_rows), "bottomright").add_to(m)
    if title:
        _Control(f'<div class="obs-title">{html.escape(title)}</div>', "topright").add_to(m)
    if attribution:
        m.add_child(_Attribution(html.escape(attribution)))
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all():
        m.fit_bounds([[miny, minx], [maxy, maxx]])
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


def map_iframe(m: folium.Map, height: int | None = None) -> str:
    """Return an ``<iframe srcdoc>`` embedding :func:`map_html`, for static notebook HTML and widgets.

    ``height`` defaults to the height given to :func:`choropleth`. The map fills the iframe, which
    is sandboxed to scripts only.
    """
    if height is None:
        height = getattr(m, "obs_height", 500)
    doc = html.escape(map_html(m), quote=True)
    return (
        f'<iframe srcdoc="{doc}" sandbox="allow-scripts" '
        f'style="width:100%;height:{int(height)}px;border:none;" loading="lazy"></iframe>'
    )


def _fills(values: pd.Series, classification: str, k: int, colours, categorical: bool,
           missing_label: str, value_format: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Colour per row and legend rows (colour, label)."""
    missing = values.isna().to_numpy()
    rows: list[tuple[str, str]] = []
    fills = [MISSING_COLOUR] * len(values)
    if categorical:
        labels: Mapping[Any, str] = {}
        if colours is None:
            from observatory.present.charts import COMPARISON_COLOURS, COMPARISON_LABELS, comparison_key
            values = values.map(comparison_key, na_action="ignore")
            colours, labels = COMPARISON_COLOURS, COMPARISON_LABELS
        if not isinstance(colours, Mapping):
            raise TypeError("categorical maps need colours as a mapping category -> colour")
        unknown = sorted({str(v) for v, miss in zip(values, missing) if not miss and v not in colours})
        if unknown:
            raise ValueError(f"categories without a colour: {unknown}")
        fills = [MISSING_COLOUR if miss else colours[v] for v, miss in zip(values, missing)]
        rows = [(colour, labels.get(category, str(category))) for category, colour in colours.items()]
    else:
        numbers = pd.to_numeric(values, errors="raise").astype(float).to_numpy()
        present = numbers[~missing]
        if present.size:
            import mapclassify  # pulls in scipy.stats (~1.5 s): only when a map is classified

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                classifier = mapclassify.classify(present, classification, k=min(k, np.unique(present).size))
            bins = list(classifier.bins)
            palette = _palette(len(bins)) if colours is None else list(colours)
            if len(palette) < len(bins):
                raise ValueError(f"{len(bins)} classes need {len(bins)} colours, got {len(palette)}")
            for index, cls in zip(np.flatnonzero(~missing), classifier.yb):
                fills[index] = palette[cls]
            lower = present.min()
            for cls, upper in enumerate(bins):
                label = f"{value_format.format(lower)} – {value_format.format(upper)}"
                rows.append((palette[cls], label))
                lower = upper
    if missing.any():
        rows.append((MISSING_COLOUR, missing_label))
    return fills, rows


def _palette(n: int) -> list[str]:
    picks = np.linspace(1, len(SEQUENTIAL_COLOURS) - 1, n) if n > 1 else [5]
    return [SEQUENTIAL_COLOURS[int(round(p))] for p in picks]


def _features(gdf: gpd.GeoDataFrame, tooltip_fields: Mapping[str, str], missing_label: str,
              value_format: str) -> list[dict]:
    missing_columns = [c for c in tooltip_fields if c not in gdf.columns]
    if missing_columns:
        raise KeyError(f"tooltip fields not in the data: {missing_columns}")
    codes = gdf["area_code"].astype(str).tolist() if "area_code" in gdf.columns else [str(i) for i in range(len(gdf))]
    if len(set(codes)) != len(codes):
        raise ValueError("area_code must be unique within a map")
    columns = {f"t{i}": gdf[c].tolist() for i, c in enumerate(tooltip_fields)}
    features = []
    for row, (code, geom) in enumerate(zip(codes, gdf.geometry.values)):
        properties = {key: _text(values[row], missing_label, value_format) for key, values in columns.items()}
        features.append({
            "type": "Feature",
            "id": code,
            "properties": properties,
            "geometry": shapely.geometry.mapping(geom) if geom is not None else None,
        })
    return features


def _text(value: Any, missing_label: str, value_format: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return html.escape(missing_label)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, Number) and not isinstance(value, bool):
        return html.escape(value_format.format(value))
    return html.escape(str(value))


def _line_layer(gdf: gpd.GeoDataFrame, colour: str, weight: float) -> folium.GeoJson:
    geo = gpd.GeoDataFrame(geometry=gdf.geometry.to_crs("EPSG:4326") if gdf.crs else gdf.geometry)
    return folium.GeoJson(
        geo.__geo_interface__,
        style_function=lambda f: {"fill": False, "color": colour, "weight": weight},
        interactive=False,
        control=False,
    )


def _legend_html(title: str, rows: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<div class="obs-legend-row"><span class="obs-swatch" style="background:{html.escape(colour)}"></span>'
        f"{html.escape(label)}</div>"
        for colour, label in rows
    )
    return f'<div class="obs-legend"><div class="obs-legend-title">{html.escape(title)}</div>{items}</div>'


_CONTROL_CSS = (
    ".obs-control{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
    "box-shadow:0 0 4px rgba(0,0,0,.3);font:12px/1.35 Arial,Helvetica,sans-serif;color:#222;}"
    ".obs-legend-title{font-weight:bold;margin-bottom:4px;max-width:220px;}"
    ".obs-legend-row{display:flex;align-items:center;gap:6px;}"
    ".obs-swatch{display:inline-block;width:14px;height:14px;border:1px solid #777;flex:none;}"
    ".obs-title{font-weight:bold;font-size:14px;max-width:320px;}"
)


class _Control(MacroElement):
    """A Leaflet control whose content is plain HTML in the page (readable without scripts)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="obs-control">{{ this.content }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = document.getElementById({{ this.get_name()|tojson }});
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, position: str):
        super().__init__()
        self._name = "ObsControl"
        self.content = content
        self.position = position


class _Attribution(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "ObsAttribution"
        self.text = text


@lru_cache(maxsize=1)
def _leaflet_inline() -> str:
    css = resource("leaflet", "leaflet.css").read_text(encoding="utf-8")
    js = resource("leaflet", "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", js)
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("vendored Leaflet cannot be inlined safely")
    return f"<style>{css}</style>\n<script>{js}</script>"


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
