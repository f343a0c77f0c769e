"""The comparison views of a profile and of the overview, as static SVG with the same data in a table.

- :func:`compare_chart`: every area ranked for one indicator, bars with 95% whiskers, the county and England as
  lines, each bar labelled in words with its comparison (never colour alone).
- :func:`decile_chart`: an indicator by deprivation decile with the slope index of inequality and its interval.
- :func:`pyramid_chart`: a population pyramid of an area against the county, drawn as an outline.
- :func:`sortable_table`: a table whose columns sort on a header button (keyboard operable, ``aria-sort``).

Each chart is an accessible SVG (``role="img"``, ``<title>`` and ``<desc>``) beside a table of the figures it
draws. The markup is in ``view_*.j2`` templates; the geometry and the words are computed here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.numbers import format_number
from observatory._core.vocab import COMPARISON_TITLES, NOT_COMPARED
from observatory.present.charts import nice_ticks, tick_decimals
from observatory.present.classes import class_labels, quantile_classes
from observatory.present.figures import as_floats, decimals_for
from observatory.present.palette import COMPARISON_COLOURS, comparison_key
from observatory.present.templating import Markup, render, render_macro

__all__ = [
    "assets",
    "COMPARE_COLUMNS",
    "compare_chart",
    "decile_chart",
    "pyramid_chart",
    "age_profile_chart",
    "sortable_table",
    "cell",
    "map_table",
    "comparison_words",
]

COMPARE_COLUMNS = ["area_code", "area_name", "value", "lower95", "upper95", "comparison", "suppressed"]
_ROW = 18
_LOCAL_LINE, _COUNTY_LINE, _ENGLAND_LINE = "#1F4E79", "#000000", "#7F7F7F"


def cell(text: str, key: Any = None) -> dict:
    """A table cell: the text people read and the key it sorts by (a number, or the text)."""
    if key is None or (not isinstance(key, str) and pd.isna(key)):
        key = text if key is None else ""
    return {"text": text, "key": key if isinstance(key, str) else f"{float(key):.12g}", "numeric": not isinstance(key, str)}


def assets() -> Markup:
    """The views' styles and the table-sorting script, for a page showing a view outside a profile's sections."""
    return render_macro("view_table.html.j2", "assets")


def sortable_table(
    caption: str, columns: Sequence[str], rows: Sequence[Sequence[dict]], highlight: Sequence[bool] | None = None
) -> Markup:
    """A table of ``cell`` rows that sorts on a header button; ``highlight`` marks rows (the locality)."""
    marks = list(highlight) if highlight is not None else [False] * len(rows)
    return render_macro("view_table.html.j2", "sortable", caption, list(columns), list(zip(marks, rows)))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "view"


def _view(template: str, slug: str, table: Markup, desc: str, box: tuple, **values: Any) -> Markup:
    """A view's template with its element id (from ``slug``), its table, its description and its box
    (width, height, top and bottom of the plot)."""
    width, height, top, bottom = box
    return render(template, id=_slug(slug), table=table, desc=desc, width=width, height=height, top=top, bottom=bottom, **values)


def _scale(numbers: np.ndarray, start: float, length: float, include_zero: bool = True):
    """Ticks over the finite ``numbers`` (and zero) and the function placing a value along ``length``."""
    finite = numbers[np.isfinite(numbers)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    ticks = nice_ticks(low, high)
    lo, hi = ticks[0], ticks[-1]
    return ticks, (lambda v: start + (v - lo) / (hi - lo) * length)


def compare_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str = "",
    county: tuple[str, float] | None = None,
    england: tuple[str, float] | None = None,
    highlight: str | None = None,
    key: str = "",
    ranked: bool = True,
    heading: str = "Compared with county",
    region: tuple[str, float] | None = None,
) -> Markup:
    """Every area ranked (highest first) for one indicator: a bar, its 95% whiskers and its comparison in words.

    ``frame`` has ``COMPARE_COLUMNS``; ``county``, ``region`` and ``england`` are (name, value) drawn as lines;
    ``highlight`` is the area code to pick out (bold, outlined). Suppressed values show as "suppressed", with no bar.
    Not ``ranked``: the rows keep the frame's order (age bands, youngest first); ``heading`` heads the words.
    """
    missing = [c for c in COMPARE_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"compare chart needs columns {missing}")
    hidden = frame["suppressed"].fillna(False).astype(bool).to_numpy()

    def drawn(column: str) -> np.ndarray:  # no figure is drawn for a suppressed value
        return np.where(hidden, np.nan, as_floats(frame[column]))

    f = frame[COMPARE_COLUMNS].assign(  # only what is drawn: rows are read one by one below
        x_value=drawn("value"), x_low=drawn("lower95"), x_high=drawn("upper95"), x_supp=hidden
    )
    if ranked:
        f = f.sort_values(["x_value", "area_name"], ascending=[False, True], na_position="last", kind="stable")
    lines = [
        (label, float(v), colour, dash)
        for (label, v), colour, dash in (
            (county or ("", math.nan), _COUNTY_LINE, ""),
            (region or ("", math.nan), _ENGLAND_LINE, "2 2"),
            (england or ("", math.nan), _ENGLAND_LINE, "5 3"),
        )
        if label and v is not None and np.isfinite(float(v))
    ]
    places = decimals_for([*f["x_value"], *f["x_low"], *f["x_high"], *(v for _, v, _, _ in lines)])
    label_w, plot_w, note_w, top = 170, 300, 170, 52
    width, height = label_w + plot_w + note_w, top + _ROW * len(f) + 26
    ticks, x = _scale(np.concatenate([f["x_value"], f["x_low"], f["x_high"], [v for _, v, _, _ in lines]]), label_w, plot_w)

    def text(v: float) -> str:
        return format_number(v, places, unit)

    bars, counts = [], {}
    records = list(f.itertuples())
    for i, r in enumerate(records):
        comparison = "suppressed" if r.x_supp else comparison_key(r.comparison)
        words = "suppressed" if r.x_supp else COMPARISON_TITLES[comparison]
        counts[words] = counts.get(words, 0) + 1
        y = top + _ROW * i
        bar = {
            "y": y,
            "name": r.area_name,
            "code": r.area_code,
            "mine": r.area_code == highlight,
            "words": words,
            "value": "" if r.x_supp else text(r.x_value),
            "rect": None,
            "whisker": None,
        }
        if np.isfinite(r.x_value):
            x0, x1 = sorted((x(0.0) if ticks[0] <= 0 <= ticks[-1] else x(ticks[0]), x(r.x_value)))
            bar["rect"] = {"x": x0, "width": max(x1 - x0, 0.5), "fill": COMPARISON_COLOURS[comparison]}
        if np.isfinite(r.x_low) and np.isfinite(r.x_high):
            bar["whisker"] = {"x0": x(r.x_low), "x1": x(r.x_high)}
        bars.append(bar)
    references = [
        {"label": f"{label} {text(v)}", "x": x(v), "colour": colour, "dash": dash, "legend_y": 12 + 14 * i}
        for i, (label, v, colour, dash) in enumerate(lines)
    ]
    benchmark = county[0] if county else "the county"
    summary = "; ".join(f"{n} {w.lower()}" for w, n in counts.items())
    desc = (
        f"{len(f)} {'areas ranked from highest to lowest' if ranked else 'groups in order'}, with 95% confidence "
        "intervals. Compared with "
        f"{benchmark}: {summary}." + "".join(f" {r['label']}." for r in references)
    )
    rows = [
        [
            cell(str(i + 1), i + 1),
            cell(b["name"]),
            cell(b["value"] or "suppressed", r.x_value),
            cell(text(r.x_low), r.x_low),
            cell(text(r.x_high), r.x_high),
            cell(b["words"]),
        ]
        for i, (b, r) in enumerate(zip(bars, records, strict=True))
    ]
    table = sortable_table(
        f"{title}: the figures",
        ["Rank", "Area", f"Value{f' ({unit})' if unit else ''}", "Lower 95%", "Upper 95%", f"Compared with {benchmark}"],
        rows,
        [b["mine"] for b in bars],
    )
    return _view(
        "view_compare.html.j2",
        f"compare-{key or title}",
        table,
        desc,
        (width, height, top, top + _ROW * len(f)),
        title=title,
        label_w=label_w,
        plot_right=label_w + plot_w,
        bars=bars,
        references=references,
        ticks=[{"x": x(t), "label": format_number(t, tick_decimals(ticks))} for t in ticks],
        note_x=label_w + plot_w + 8,
        row=_ROW,
        benchmark=benchmark,
        heading=heading,
        what="areas compared" if ranked else "groups compared",
    )


def decile_chart(
    deciles: pd.DataFrame,
    *,
    title: str,
    unit: str = "",
    sii: dict | None = None,
    deciles_of: str = "county",
    key: str = "",
    marked: tuple[str, dict[int, int]] | None = None,
) -> Markup:
    """An indicator by deprivation decile (1 = most deprived, on the left) with the SII line and its interval.

    ``deciles`` has ``decile``, ``value``, ``lower95``, ``upper95`` and ``population``; each bar is as wide as its
    share of the population, so the SII line (``sii``: value, lower95, upper95, the difference across the whole
    range from most to least deprived) runs through the population-weighted mean at rank 0.5. ``marked`` is
    (a locality's name, its small areas in each decile): those deciles are outlined and counted.
    """
    name, mine = marked or ("", {})
    d = deciles.sort_values("decile").reset_index(drop=True)
    v, lo, hi = as_floats(d["value"]), as_floats(d["lower95"]), as_floats(d["upper95"])
    share = as_floats(d["population"]) / np.nansum(as_floats(d["population"]))
    edges = np.concatenate([[0.0], np.cumsum(share)])
    left, plot_w, top, plot_h = 60, 440, 30, 200
    slope = {
        k: float(sii[k]) if sii and sii.get(k) is not None and np.isfinite(float(sii[k])) else math.nan
        for k in ("value", "lower95", "upper95")
    }
    used = np.isfinite(v) & np.isfinite(share)
    centre = float(np.sum(v[used] * share[used]) / np.sum(share[used])) if used.any() else math.nan
    ends = [centre + s * (r - 0.5) for s in slope.values() if np.isfinite(s) for r in (0.0, 1.0)]
    ticks, x_of = _scale(np.concatenate([v, lo, hi, ends]), 0.0, plot_h)

    def y(value: float) -> float:
        return top + plot_h - x_of(value)

    def x(rank: float) -> float:
        return left + rank * plot_w

    places = decimals_for([*v, *lo, *hi])

    def text(n: float) -> str:
        return format_number(n, places, unit)

    bars = [
        {
            "x": x(edges[i]) + 1,
            "width": max(x(edges[i + 1]) - x(edges[i]) - 2, 1),
            "y": y(max(val, ticks[0])),
            "base": y(max(ticks[0], 0.0)),
            "mid": x((edges[i] + edges[i + 1]) / 2),
            "decile": int(dec),
            "tip": f"Decile {int(dec)}: {text(val)}"
            + (f" ({mine[int(dec)]} of {name}'s small areas)" if mine.get(int(dec)) else ""),
            "mine": bool(mine.get(int(dec))),
            "whisker": (y(a), y(b)) if np.isfinite(a) and np.isfinite(b) else None,
        }
        for i, (dec, val, a, b) in enumerate(zip(d["decile"], v, lo, hi))
        if np.isfinite(val)
    ]
    line = band = None
    if np.isfinite(slope["value"]) and np.isfinite(centre):
        line = {"x0": x(0), "y0": y(centre - slope["value"] / 2), "x1": x(1), "y1": y(centre + slope["value"] / 2)}
        if np.isfinite(slope["lower95"]) and np.isfinite(slope["upper95"]):
            a, b = slope["lower95"] / 2, slope["upper95"] / 2
            band = (
                f"{x(0):.1f},{y(centre - a):.1f} {x(0):.1f},{y(centre - b):.1f} {x(0.5):.1f},{y(centre):.1f} "
                f"{x(1):.1f},{y(centre + b):.1f} {x(1):.1f},{y(centre + a):.1f} {x(0.5):.1f},{y(centre):.1f}"
            )
    sii_places = decimals_for([slope["value"]])
    sii_text = (
        (
            f"Slope index of inequality {format_number(slope['value'], sii_places, unit)} (95% interval "
            f"{format_number(slope['lower95'], sii_places, unit)} to {format_number(slope['upper95'], sii_places, unit)}): "
            "the modelled difference between the most and the least deprived"
        )
        if line
        else "The slope index of inequality cannot be calculated for this indicator."
    )
    desc = (
        f"{title} in each {deciles_of} deprivation decile, from 1 (most deprived) to 10 (least deprived): "
        + "; ".join(f"decile {b['decile']} {b['tip'].split(': ')[1]}" for b in bars)
        + f". {sii_text}."
        + (
            f" {name}'s small areas are in deciles " + ", ".join(f"{d} ({n})" for d, n in sorted(mine.items()) if n) + "."
            if mine
            else ""
        )
    )
    rows = [
        [
            cell(str(int(dec)), int(dec)),
            cell(text(val), val),
            cell(text(a), a),
            cell(text(b), b),
            cell(format_number(s * 100, 1, "%"), s * 100),
            *([cell(str(mine.get(int(dec), 0)), mine.get(int(dec), 0))] if marked else []),
        ]
        for dec, val, a, b, s in zip(d["decile"], v, lo, hi, share)
    ]
    columns = ["Decile (1 = most deprived)", "Value", "Lower 95%", "Upper 95%", "Share of population"]
    columns += [f"Small areas of {name}"] if marked else []
    highlight = [bool(mine.get(int(dec))) for dec in d["decile"]]
    table = sortable_table(f"{title} by {deciles_of} deprivation decile", columns, rows, highlight)
    return _view(
        "view_deciles.html.j2",
        f"deciles-{deciles_of}-{key or title}",
        table,
        desc,
        (left + plot_w + 20, top + plot_h + 46, top, top + plot_h),
        title=title,
        left=left,
        right=left + plot_w,
        bars=bars,
        line=line,
        band=band,
        sii_text=sii_text,
        marked_name=name if mine else "",
        ticks=[{"y": y(t), "label": format_number(t, tick_decimals(ticks))} for t in ticks],
    )


def _age_start(band: str) -> float:
    match = re.match(r"\s*(\d+)", str(band))
    return float(match.group(1)) if match else math.inf


def pyramid_chart(population: pd.DataFrame, *, area: str, county: str, key: str = "") -> Markup:
    """A population pyramid: ``area``'s share of its people in each age band and sex as bars, the county's as
    an outline. ``population`` has ``age``, ``sex`` (Male/Female), ``area`` and ``county`` (counts)."""
    p = population[population["sex"].isin(["Male", "Female"])].copy()
    for col in ("area", "county"):
        p[col] = as_floats(p[col]) / np.nansum(as_floats(p[col])) * 100
    bands = sorted(p["age"].unique(), key=_age_start, reverse=True)
    grid = {s: p[p["sex"] == s].set_index("age").reindex(bands) for s in ("Male", "Female")}
    share = {(s, c): dict(zip(bands, g[c].to_numpy(), strict=True)) for s, g in grid.items() for c in ("area", "county")}
    half, middle, top, row = 190, 60, 34, 14
    width, centre = 2 * half + middle + 20, half + middle / 2 + 10
    reach = max(float(np.nanmax(np.concatenate([g[["area", "county"]].to_numpy().ravel() for g in grid.values()]))), 1.0)
    ticks = nice_ticks(0, reach)

    def dx(share: float) -> float:
        return share / ticks[-1] * (half - 10)

    rows, outline = [], {"Male": [], "Female": []}
    for i, band in enumerate(bands):
        y = top + row * i
        entry = {"y": y, "band": band}
        for s, sign in (("Male", -1), ("Female", 1)):
            here, there = (float(share[s, c][band]) for c in ("area", "county"))
            edge = centre + sign * middle / 2
            length = dx(here) if np.isfinite(here) else 0.0
            entry[s] = {
                "x": edge - length if sign < 0 else edge,
                "width": length,
                "tip": f"{s}, {band}: {format_number(here, 1, '%')} ({county} {format_number(there, 1, '%')})",
            }
            reach_x = edge + sign * (dx(there) if np.isfinite(there) else 0.0)
            outline[s] += [f"{reach_x:.1f},{y:.1f}", f"{reach_x:.1f},{y + row:.1f}"]
        rows.append(entry)
    bottom = top + row * len(bands)
    paths = {
        s: f"M{centre + sign * middle / 2:.1f},{top:.1f} L" + " L".join(pts) + f" L{centre + sign * middle / 2:.1f},{bottom:.1f}"
        for (s, pts), sign in zip(outline.items(), (-1, 1))
    }
    axis = [
        {"x": centre + sign * (middle / 2 + dx(t)), "label": format_number(t, tick_decimals(ticks), "%")}
        for t in ticks
        for sign in (-1, 1)
    ]
    older = {s: float(grid[s].loc[[b for b in bands if _age_start(b) >= 65], "area"].sum()) for s in grid}
    desc = (
        f"Share of {area}'s population in each five-year age band, males on the left and females on the right, "
        f"with {county} as an outline. People aged 65 and over: {format_number(older['Male'], 1, '%')} (male) "
        f"and {format_number(older['Female'], 1, '%')} (female) of the population."
    )
    table_rows = [
        [cell(band, -_age_start(band))]
        + [
            cell(format_number(share[s, c][band], 1, "%"), share[s, c][band])
            for s in ("Male", "Female")
            for c in ("area", "county")
        ]
        for band in bands
    ]
    table = sortable_table(
        f"Population by age and sex: {area} and {county} (% of all people)",
        ["Age", f"Male, {area}", f"Male, {county}", f"Female, {area}", f"Female, {county}"],
        table_rows,
    )
    return _view(
        "view_pyramid.html.j2",
        f"pyramid-{key or area}",
        table,
        desc,
        (width, bottom + 40, top, bottom),
        area=area,
        county=county,
        centre=centre,
        middle=middle,
        row=row,
        rows=rows,
        paths=paths,
        axis=axis,
        colours=(_LOCAL_LINE, "#9DC3E6"),
    )


def age_profile_chart(population: pd.DataFrame, *, area: str, county: str, key: str = "") -> Markup:
    """The population by age for all persons, where the data has no sex: ``area``'s share of its people in each
    age band as bars, the county's as an outline. ``population`` has ``age``, ``area`` and ``county`` (counts)."""
    p = population[population["age"].map(_age_start) < math.inf].groupby("age")[["area", "county"]].sum()
    p = (p / p.sum() * 100).loc[sorted(p.index, key=_age_start, reverse=True)]
    left, plot_w, top, row = 60, 380, 24, 14
    ticks = nice_ticks(0, max(float(np.nanmax(p.to_numpy())), 1.0))

    def x(share: float) -> float:
        return left + share / ticks[-1] * plot_w

    bars = [
        {"y": top + row * i, "band": band, "width": x(r.area) - left, "tip": f"{band}: {format_number(r.area, 1, '%')}"}
        for i, (band, r) in enumerate(p.iterrows())
    ]
    steps = [
        f"{x(r.county):.1f},{top + row * i:.1f} {x(r.county):.1f},{top + row * (i + 1):.1f}" for i, r in enumerate(p.itertuples())
    ]
    bottom = top + row * len(p)
    older = p.loc[[b for b in p.index if _age_start(b) >= 65]].sum()
    desc = (
        f"Share of {area}'s population in each age band, all persons (the data has no breakdown by sex), with "
        f"{county} as an outline. People aged 65 and over: {format_number(older['area'], 1, '%')} of {area}, "
        f"{format_number(older['county'], 1, '%')} of {county}."
    )
    rows = [
        [cell(band, -_age_start(band)), *(cell(format_number(r[c], 1, "%"), r[c]) for c in ("area", "county"))]
        for band, r in p.iterrows()
    ]
    table = sortable_table(f"Population by age: {area} and {county} (% of all people)", ["Age", area, county], rows)
    return _view(
        "view_age_profile.html.j2",
        f"ages-{key or area}",
        table,
        desc,
        (left + plot_w + 20, bottom + 40, top, bottom),
        area=area,
        county=county,
        left=left,
        row=row,
        bars=bars,
        outline=f"M{left},{top} L" + " L".join(steps) + f" L{left},{bottom}",
        axis=[{"x": x(t), "label": format_number(t, tick_decimals(ticks), "%")} for t in ticks],
        colour=_LOCAL_LINE,
    )


def map_table(
    frame: pd.DataFrame, *, caption: str, value_title: str, unit: str = "", area_title: str = "Area", k: int = 5
) -> Markup:
    """The values behind a map's colours, as a sortable table: each area, its value (with 95% limits and its
    comparison when ``frame`` has ``lower95``/``upper95``/``comparison``) and the map class it is shaded by
    (``k`` quantile classes, as the map draws them). Reachable without hovering: the table is the map's alternative."""
    values = as_floats(frame["value"])
    classes, bounds = quantile_classes(values, k)
    finite = values[np.isfinite(values)]
    labels = class_labels(finite.min(), bounds, decimals_for(finite), unit) if finite.size else []
    places = decimals_for(values)
    limits = "lower95" in frame.columns and bool(np.isfinite(as_floats(frame["lower95"])).any())
    compared = "comparison" in frame.columns
    columns = [area_title, "Code", f"{value_title}{f' ({unit})' if unit else ''}"]
    columns += ["Lower 95%", "Upper 95%"] if limits else []
    columns += ["Compared with county"] if compared else []
    columns.append("Map class")
    rows = []
    order = np.argsort(-np.where(np.isfinite(values), values, -np.inf), kind="stable")
    for i in order:
        r = frame.iloc[i]
        row = [cell(str(r["area_name"])), cell(str(r["area_code"])), cell(format_number(values[i], places), values[i])]
        if limits:
            row += [cell(format_number(r[c], places), as_floats([r[c]])[0]) for c in ("lower95", "upper95")]
        if compared:
            row.append(cell(comparison_words(r["comparison"])))
        row.append(cell(labels[classes[i]] if classes[i] >= 0 else "no data", int(classes[i])))
        rows.append(row)
    return render_macro("view_table.html.j2", "map_table", caption, sortable_table(caption, columns, rows))


def comparison_words(value: Any) -> str:
    """A comparison in words, for a table cell ("Worse", "Not compared")."""
    return COMPARISON_TITLES.get(comparison_key(value), COMPARISON_TITLES[NOT_COMPARED])
