"""The live dashboard's map as one offline Leaflet document, from ready GeoJSON text and each area's style.

No geometry is read or written here: the areas come as the GeoJSON text of a payload (``apps.payload``), the
shading as a style (each area's fill and tooltip texts, the legend and title), so a kernel draws a map by
joining strings. The same style sent again later restyles the drawn map in place (``dashboard_map.html.j2``):
a change of indicator, period or shading moves no geometry. Leaflet is inlined from the vendored copy, as in
``present.maps``: the document loads nothing from the network.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from observatory._core.resources import resource
from observatory.present.templating import Markup, render, render_macro

__all__ = ["map_document", "map_frame", "map_style", "script_json"]


def script_json(value: Any) -> Markup:
    """``value`` as JSON that may sit inside an HTML ``<script>`` element (``<``, ``>`` and ``&`` escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@lru_cache(maxsize=1)
def leaflet_inline() -> Markup:
    """Leaflet's styles and script, inlined and marked as pack assets (a site moves them to ``assets/``)."""
    css = resource("leaflet", "leaflet.css").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", resource("leaflet", "leaflet.js").read_text(encoding="utf-8"))
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("vendored Leaflet cannot be inlined safely")
    return render_macro("map_parts.html.j2", "leaflet", Markup(css), Markup(js))


def map_style(
    version: int,
    fills: dict[str, str],
    tips: dict[str, list[str | None]],
    labels: list[str],
    *,
    legend_title: str,
    legend_rows: list[tuple[str, str]],
    title: str,
    frame_title: str,
    highlight: str | None = None,
) -> dict[str, Any]:
    """What one choice of the controls shades: area code → fill colour and tooltip texts (in the order of
    ``labels``), the legend and title as HTML, the frame's title, and the area outlined. ``version`` orders
    styles: a map shows a style only when it is newer than the one it has."""
    return {
        "version": int(version),
        "fills": fills,
        "tips": tips,
        "labels": labels,
        "legend": str(render_macro("map_parts.html.j2", "legend", legend_title, legend_rows)),
        "title": str(render_macro("map_parts.html.j2", "title", title)) if title else "",
        "frame_title": frame_title,
        "highlight": highlight,
    }


def map_document(
    areas: str,
    style: dict[str, Any],
    *,
    lines: list[str] = (),
    bounds: list[list[float]] | None = None,
    attribution: str = "",
    missing: str = "no data",
    missing_colour: str = "#c8c8c8",
) -> str:
    """The map as one standalone HTML document: ``areas`` (GeoJSON text, each feature's id its area code) shaded by
    ``style`` (:func:`map_style`), ``lines`` (GeoJSON texts: the county, a locality) drawn on top, fitted to ``bounds``.
    ``missing`` is what a tooltip says for an area with no figure, ``missing_colour`` its fill."""
    return str(
        render(
            "dashboard_map.html.j2",
            leaflet=leaflet_inline(),
            areas=Markup(areas.replace("</", "<\\/")),
            lines=Markup("[" + ",".join(line.replace("</", "<\\/") for line in lines) + "]"),
            style_json=script_json(style),
            legend=Markup(style["legend"]),
            title=Markup(style["title"]),
            frame_title=style["frame_title"],
            bounds=bounds,
            attribution=attribution,
            missing=missing,
            missing_colour=missing_colour,
        )
    )


def map_frame(document: str, height: int, title: str) -> Markup:
    """``document`` in a sandboxed ``<iframe srcdoc>`` (scripts only) of ``height`` pixels, titled for a screen reader."""
    return render_macro("map_parts.html.j2", "iframe", document, int(height), title)
