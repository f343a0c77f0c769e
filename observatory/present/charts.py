"""Static charts (spine chart, trend chart) as inline HTML and SVG that render without a kernel.

Hand-built SVG keeps each chart a few kilobytes, needs no JavaScript and survives nbconvert,
Voila and e-mail alike. Colours and layout follow the Fingertips conventions that partners
already read; the markup is in ``chart_*.j2`` templates, the geometry is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.numbers import format_number
from observatory._core.vocab import COMPARISON_TITLES
from observatory.present.figures import as_floats, decimals_for
from observatory.present.palette import COMPARISON_COLOURS, SPINE_GREYS, comparison_key
from observatory.present.templating import Markup, render

__all__ = ["spine_chart", "trend_chart", "comparison_legend", "nice_ticks", "tick_decimals", "SPINE_COLUMNS"]

SPINE_WIDTH = 260
SPINE_HEIGHT = 22
_SPINE_PAD = 8  # keeps an edge marker wholly inside the SVG

SPINE_COLUMNS = [
    "indicator_id",
    "title",
    "period",
    "count",
    "value",
    "benchmark",
    "peer_min",
    "peer_q25",
    "peer_q75",
    "peer_max",
    "polarity",
    "comparison",
    "suppressed",
]
_VALUE_LINE = "#1F4E79"
_BENCHMARK_STYLES = [("#000000", "6 3"), ("#C00000", "2 3"), ("#7F7F7F", "8 3 2 3")]


def spine_chart(frame: pd.DataFrame, *, title: str | None = None, decimals: int | None = None) -> Markup:
    """Return a Fingertips-style spine chart as an HTML table with one inline SVG per indicator.

    Each spine is centred on the benchmark; its half-width is the largest distance from the
    benchmark to the peer minimum, peer maximum or the area's own value. Better is on the right
    (``low_is_good`` flips the axis); ``no_judgement`` runs lowest to highest. The area's value
    is a circle coloured by its comparison; suppressed values show "*" and no circle. Each row's
    figures get the decimals its own values need unless ``decimals`` is given.
    """
    missing = [c for c in SPINE_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"spine chart needs columns {missing}")
    rows = [_spine_row(row, decimals) for row in frame[SPINE_COLUMNS].itertuples(index=False)]
    return render("chart_spine.html.j2", title=title, rows=rows, width=SPINE_WIDTH, height=SPINE_HEIGHT)


def trend_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    benchmark: Mapping[str, pd.DataFrame | pd.Series] | None = None,
    unit: str = "",
    decimals: int | None = None,
    name: str = "",
) -> Markup:
    """Return an SVG line chart of ``value`` over ``period`` with 95% CI error bars.

    ``name`` (the area's) labels its own line in the legend, which widens to fit its longest label.

    ``frame`` has ``period`` and ``value`` and, optionally, ``lower95``/``upper95`` (error bars),
    ``period_sort`` (order) and ``suppressed``. ``benchmark`` maps a label (e.g. "Warwickshire",
    "England") to a frame with ``period`` and ``value``, or a Series indexed by period, drawn as
    dashed lines over the same periods. Figures get the decimals the values need unless given.
    """
    data = frame.copy()
    if "period_sort" in data.columns:
        data = data.sort_values("period_sort", kind="stable")
    periods = [str(p) for p in data["period"]]
    values = as_floats(data["value"])
    if "suppressed" in data.columns:
        values = np.where(data["suppressed"].fillna(False).astype(bool).to_numpy(), np.nan, values)
    lower = as_floats(data["lower95"]) if "lower95" in data.columns else np.full(len(data), np.nan)
    upper = as_floats(data["upper95"]) if "upper95" in data.columns else np.full(len(data), np.nan)
    lower = np.where(np.isnan(values), np.nan, lower)
    upper = np.where(np.isnan(values), np.nan, upper)
    lines = {label: _aligned(series, periods) for label, series in (benchmark or {}).items()}

    own_label = f"{name or 'Value'}{' (95% CI)' if np.isfinite(lower).any() else ''}"
    right = max(130, 40 + 7 * max(len(label) for label in [own_label, *lines]))  # ~7 px a character at 12 px
    width, height = 470 + right, 280
    left, top, bottom = 58, 34, 58 if len(periods) > 6 else 40
    plot_w, plot_h = width - left - right, height - top - bottom
    frame_box = dict(
        title=title, unit=unit, width=width, height=height, left=left, right=left + plot_w, top=top, bottom=top + plot_h
    )
    everything = np.concatenate([values, lower, upper, *lines.values()]) if periods else np.array([])
    everything = everything[np.isfinite(everything)]
    if everything.size == 0:
        return render("chart_trend.svg.j2", **frame_box, empty={"x": left + plot_w / 2, "y": top + plot_h / 2})
    decimals = decimals_for(values) if decimals is None else decimals

    ticks = nice_ticks(everything.min(), everything.max())
    y0, y1 = ticks[0], ticks[-1]
    step = plot_w / len(periods)
    xs = [left + step * (i + 0.5) for i in range(len(periods))]

    def y(v: float) -> float:
        return top + plot_h - (v - y0) / (y1 - y0) * plot_h

    tick_places = tick_decimals(ticks)
    legend_x, legend_y = left + plot_w + 12, top + 6
    drawn, legend = [], []
    for i, (label, series) in enumerate(lines.items()):
        colour, dash = _BENCHMARK_STYLES[i % len(_BENCHMARK_STYLES)]
        drawn.append({"kind": "benchmark", "colour": colour, "dash": dash, "stroke": 1.5, "path": _path(xs, series, y)})
        legend.append({"x": legend_x, "y": legend_y + 18 * i, "colour": colour, "dash": dash, "label": label})
    drawn.append({"kind": "value", "colour": _VALUE_LINE, "dash": "", "stroke": 2, "path": _path(xs, values, y)})
    legend.append({"x": legend_x, "y": legend_y + 18 * len(lines), "colour": _VALUE_LINE, "dash": "", "label": own_label})
    return render(
        "chart_trend.svg.j2",
        **frame_box,
        empty=None,
        rotate=len(periods) > 6,
        lines=drawn,
        legend=legend,
        ticks=[{"y": y(t), "label": format_number(t, tick_places)} for t in ticks],
        periods=[{"x": x, "label": label} for x, label in zip(xs, periods)],
        points=[
            _trend_point(x, period, v, lo, hi, y, decimals)
            for x, period, v, lo, hi in zip(xs, periods, values, lower, upper)
            if not np.isnan(v)
        ],
    )


def _trend_point(x: float, period: str, v: float, lo: float, hi: float, y, decimals: int) -> dict:
    def text(n: float) -> str:
        return format_number(n, decimals)

    if np.isfinite(lo) and np.isfinite(hi):
        return {"x": x, "y": y(v), "bar": {"low": y(lo), "high": y(hi)}, "tip": f"{period}: {text(v)} ({text(lo)} to {text(hi)})"}
    return {"x": x, "y": y(v), "bar": None, "tip": f"{period}: {text(v)}"}


def comparison_legend() -> Markup:
    """Return a small HTML key to the comparison colours and the spine chart's bars."""
    keys = [(colour, COMPARISON_TITLES[key]) for key, colour in COMPARISON_COLOURS.items()]
    return render("chart_legend.html.j2", keys=keys, greys=SPINE_GREYS)


def _spine_row(row: Any, decimals: int | None) -> dict:
    polarity = getattr(row.polarity, "value", row.polarity)
    polarity = "no_judgement" if _isna(polarity) else str(polarity).strip().lower()
    suppressed = bool(row.suppressed) if not _isna(row.suppressed) else False
    value, bench = _float(row.value), _float(row.benchmark)
    lo, q25, q75, hi = (_float(v) for v in (row.peer_min, row.peer_q25, row.peer_q75, row.peer_max))
    worst, best = (hi, lo) if polarity == "low_is_good" else (lo, hi)
    places = decimals_for([value, bench, lo, hi]) if decimals is None else decimals

    def text(v: float) -> str:
        return format_number(v, places, missing="-")

    return {
        "indicator_id": row.indicator_id,
        "title": row.title,
        "period": row.period,
        "count": "*" if suppressed else format_number(_float(row.count), 0, missing="-"),
        "value": "*" if suppressed else text(value),
        "benchmark": text(bench),
        "worst": text(worst),
        "best": text(best),
        "spine": _spine(
            value, bench, (lo, q25, q75, hi), polarity, comparison_key(row.comparison), suppressed, text, str(row.title)
        ),
    }


def _spine(
    value: float,
    bench: float,
    peers: tuple[float, float, float, float],
    polarity: str,
    key: str,
    suppressed: bool,
    text,
    title: str,
) -> dict | None:
    """The geometry of one spine: its bars, benchmark line and marker (None without a benchmark)."""
    if math.isnan(bench):
        return None
    lo, q25, q75, hi = peers
    w = SPINE_WIDTH
    reach = [abs(v - bench) for v in (lo, hi) + (() if suppressed else (value,)) if not math.isnan(v)]
    half = max(reach, default=0.0) or (abs(bench) * 0.1 or 1.0)
    centre, span = w / 2, w / 2 - _SPINE_PAD
    sign = -1.0 if polarity == "low_is_good" else 1.0

    def x(v: float) -> float:
        return centre + sign * (v - bench) / half * span

    greys = SPINE_GREYS if sign > 0 else SPINE_GREYS[::-1]
    bars = []
    for (a, b), grey, name in zip(((lo, q25), (q25, q75), (q75, hi)), greys, ("low", "mid", "high")):
        if math.isnan(a) or math.isnan(b):
            continue
        x0, x1 = sorted((x(a), x(b)))
        bars.append({"name": name, "x": x0, "width": x1 - x0, "fill": grey})
    marker = None
    if not suppressed and not math.isnan(value):
        marker = {"x": x(value), "fill": COMPARISON_COLOURS[key], "tip": f"{COMPARISON_TITLES[key]}: {text(value)}"}
    return {"title": title, "bars": bars, "centre": centre, "marker": marker}


def _isna(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _float(value: Any) -> float:
    return math.nan if _isna(value) else float(value)


def _aligned(series: pd.DataFrame | pd.Series, periods: list[str]) -> np.ndarray:
    """The series' values over ``periods`` (NaN where it has none; a period given twice keeps its last value)."""
    if isinstance(series, pd.DataFrame):
        by_period = dict(zip((str(p) for p in series["period"]), as_floats(series["value"])))
    else:
        by_period = dict(zip((str(p) for p in series.index), as_floats(series)))
    return np.array([by_period.get(p, np.nan) for p in periods], dtype=float)


def _path(xs: list[float], values: np.ndarray, y) -> str:
    """SVG path data through the finite values, broken where a value is missing."""
    parts, pen_down = [], False
    for x, v in zip(xs, values):
        if np.isnan(v):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y(v):.1f}")
        pen_down = True
    return " ".join(parts)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks (steps of 1, 2, 2.5 or 5 times a power of ten) covering ``low`` to ``high``."""
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step) * step
    n = int(round((stop - start) / step))
    return [start + i * step for i in range(n + 1)]


def tick_decimals(ticks: list[float]) -> int:
    """The fewest decimals that write every tick exactly."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return next(d for d in range(10) if abs(round(step, d) - step) <= 1e-9 * step or d == 9)
