"""Static charts (spine chart, trend chart) as inline HTML and SVG that render without a kernel.

Hand-built SVG keeps each chart a few kilobytes, needs no JavaScript and survives nbconvert,
Voila and e-mail alike. Colours and layout follow the Fingertips conventions that partners
already read.
"""
from __future__ import annotations

import html
import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

COMPARISON_COLOURS = {
    "better": "#92D050",
    "similar": "#FFC000",
    "worse": "#C00000",
    "higher": "#BED2FF",
    "lower": "#5555E6",
    "not_compared": "#FFFFFF",
}
COMPARISON_LABELS = {
    "better": "Better",
    "similar": "Similar",
    "worse": "Worse",
    "higher": "Higher",
    "lower": "Lower",
    "not_compared": "Not compared",
}
SPINE_GREYS = ("#8B8B8B", "#C9C9C9", "#E8E8E8")  # worst quartile, middle half, best quartile
SPINE_WIDTH = 260
SPINE_HEIGHT = 22
_SPINE_PAD = 8  # keeps an edge marker wholly inside the SVG

SPINE_COLUMNS = [
    "indicator_id", "title", "period", "count", "value", "benchmark", "peer_min", "peer_q25",
    "peer_q75", "peer_max", "polarity", "comparison", "suppressed",
]

_STYLE = """<style>
.obs-spine{border-collapse:collapse;font:12px/1.3 Arial,Helvetica,sans-serif;color:#222;}
.obs-spine th{background:#f0f0f0;text-align:center;padding:4px 6px;border-bottom:1px solid #999;font-weight:bold;}
.obs-spine td{padding:2px 6px;border-bottom:1px solid #e3e3e3;text-align:right;vertical-align:middle;}
.obs-spine td.obs-ind{text-align:left;max-width:320px;}
.obs-spine td.obs-svg{padding:0 4px;}
.obs-spine caption{font-weight:bold;font-size:14px;text-align:left;padding:4px 0;}
.obs-key{font:12px/1.3 Arial,Helvetica,sans-serif;color:#222;display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center;}
.obs-key span.sw{display:inline-block;width:12px;height:12px;border-radius:50%;border:1px solid #555;vertical-align:middle;margin-right:4px;}
.obs-key span.bar{display:inline-block;width:22px;height:10px;vertical-align:middle;margin-right:4px;}
</style>"""


def comparison_key(value: Any) -> str:
    """Normalise a comparison label ("Better", "not compared", ...) to a key of COMPARISON_COLOURS."""
    value = getattr(value, "value", value)
    if _isna(value):
        return "not_compared"
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in COMPARISON_COLOURS else "not_compared"


def spine_chart(frame: pd.DataFrame, *, title: str | None = None, decimals: int = 1) -> str:
    """Return a Fingertips-style spine chart as an HTML table with one inline SVG per indicator.

    Each spine is centred on the benchmark; its half-width is the largest distance from the
    benchmark to the peer minimum, peer maximum or the area's own value. Better is on the right
    (``low_is_good`` flips the axis); ``no_judgement`` runs lowest to highest. The area's value
    is a circle coloured by its comparison; suppressed values show "*" and no circle.
    """
    missing = [c for c in SPINE_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"spine chart needs columns {missing}")
    low_label = "Worst/<br>Lowest"
    high_label = "Best/<br>Highest"
    head = "".join(
        f"<th>{h}</th>" for h in
        ["Indicator", "Period", "Count", "Value", "Benchmark", low_label, "", high_label]
    )
    body = "".join(_spine_row(row, decimals) for row in frame.itertuples(index=False))
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return f'{_STYLE}<table class="obs-spine">{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def trend_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    benchmark: Mapping[str, pd.DataFrame | pd.Series] | None = None,
    unit: str = "",
    decimals: int = 1,
) -> str:
    """Return an SVG line chart of ``value`` over ``period`` with 95% CI error bars.

    ``frame`` has ``period`` and ``value`` and, optionally, ``lower95``/``upper95`` (error bars),
    ``period_sort`` (order) and ``suppressed``. ``benchmark`` maps a label (e.g. "Warwickshire",
    "England") to a frame with ``period`` and ``value``, or a Series indexed by period, drawn as
    dashed lines over the same periods.
    """
    data = frame.copy()
    if "period_sort" in data.columns:
        data = data.sort_values("period_sort", kind="stable")
    periods = [str(p) for p in data["period"]]
    values = _floats(data["value"])
    if "suppressed" in data.columns:
        values = np.where(data["suppressed"].fillna(False).astype(bool).to_numpy(), np.nan, values)
    lower = _floats(data["lower95"]) if "lower95" in data.columns else np.full(len(data), np.nan)
    upper = _floats(data["upper95"]) if "upper95" in data.columns else np.full(len(data), np.nan)
    lower = np.where(np.isnan(values), np.nan, lower)
    upper = np.where(np.isnan(values), np.nan, upper)
    lines = {label: _aligned(series, periods) for label, series in (benchmark or {}).items()}

    width, height = 600, 280
    left, right, top, bottom = 58, 130, 34, 58 if len(periods) > 6 else 40
    plot_w, plot_h = width - left - right, height - top - bottom
    everything = np.concatenate([values, lower, upper, *lines.values()]) if periods else np.array([])
    everything = everything[np.isfinite(everything)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="obs-trend" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Arial,Helvetica,sans-serif" font-size="11">',
        f'<title>{html.escape(title)}</title>',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    if everything.size == 0:
        parts.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle">No data</text></svg>')
        return "".join(parts)

    ticks = _nice_ticks(everything.min(), everything.max())
    y0, y1 = ticks[0], ticks[-1]
    step = plot_w / len(periods)
    xs = [left + step * (i + 0.5) for i in range(len(periods))]

    def y(v: float) -> float:
        return top + plot_h - (v - y0) / (y1 - y0) * plot_h

    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e3e3e3"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{_fmt(t, _tick_decimals(ticks))}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#777"/>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#777"/>')
    if unit:
        parts.append(
            f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
            f"{html.escape(unit)}</text>"
        )
    rotate = len(periods) > 6
    for x, label in zip(xs, periods):
        ly = top + plot_h + 14
        if rotate:
            parts.append(
                f'<text transform="translate({x:.1f} {ly}) rotate(-40)" text-anchor="end">{html.escape(label)}</text>'
            )
        else:
            parts.append(f'<text x="{x:.1f}" y="{ly}" text-anchor="middle">{html.escape(label)}</text>')

    legend_y = top + 6
    for i, (label, series) in enumerate(lines.items()):
        colour, dash = _BENCHMARK_STYLES[i % len(_BENCHMARK_STYLES)]
        parts.append(
            f'<path class="benchmark-line" fill="none" stroke="{colour}" stroke-width="1.5" '
            f'stroke-dasharray="{dash}" d="{_path(xs, series, y)}"/>'
        )
        parts.append(_legend_entry(left + plot_w + 12, legend_y, colour, dash, label))
        legend_y += 18

    parts.append(
        f'<path class="value-line" fill="none" stroke="#1F4E79" stroke-width="2" d="{_path(xs, values, y)}"/>'
    )
    for x, period, v, lo, hi in zip(xs, periods, values, lower, upper):
        if np.isnan(v):
            continue
        if np.isfinite(lo) and np.isfinite(hi):
            parts.append(
                f'<g class="error-bar" stroke="#1F4E79" stroke-width="1.2">'
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(lo):.1f}" y2="{y(hi):.1f}"/>'
                f'<line x1="{x - 4:.1f}" x2="{x + 4:.1f}" y1="{y(lo):.1f}" y2="{y(lo):.1f}"/>'
                f'<line x1="{x - 4:.1f}" x2="{x + 4:.1f}" y1="{y(hi):.1f}" y2="{y(hi):.1f}"/></g>'
            )
            tip = f"{period}: {_fmt(v, decimals)} ({_fmt(lo, decimals)} to {_fmt(hi, decimals)})"
        else:
            tip = f"{period}: {_fmt(v, decimals)}"
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y(v):.1f}" r="3.5" fill="#1F4E79">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    own_label = "Value (95% CI)" if np.isfinite(lower).any() else "Value"
    parts.append(_legend_entry(left + plot_w + 12, legend_y, "#1F4E79", "", own_label))
    parts.append("</svg>")
    return "".join(parts)


def comparison_legend() -> str:
    """Return a small HTML key to the comparison colours and the spine chart's bars."""
    dots = "".join(
        f'<span><span class="sw" style="background:{COMPARISON_COLOURS[k]}"></span>{COMPARISON_LABELS[k]}</span>'
        for k in COMPARISON_COLOURS
    )
    bars = (
        f'<span><span class="bar" style="background:{SPINE_GREYS[0]}"></span>Worst/lowest to 25th percentile</span>'
        f'<span><span class="bar" style="background:{SPINE_GREYS[1]}"></span>25th to 75th percentile</span>'
        f'<span><span class="bar" style="background:{SPINE_GREYS[2]}"></span>75th percentile to best/highest</span>'
        '<span><span class="bar" style="background:linear-gradient(90deg,transparent 45%,#000 45%,#000 55%,transparent 55%)">'
        "</span>Benchmark</span>"
    )
    return f'{_STYLE}<div class="obs-key">{dots}{bars}</div>'


_BENCHMARK_STYLES = [("#000000", "6 3"), ("#C00000", "2 3"), ("#7F7F7F", "8 3 2 3")]


def _spine_row(row: Any, decimals: int) -> str:
    polarity = getattr(row.polarity, "value", row.polarity)
    polarity = "no_judgement" if _isna(polarity) else str(polarity).strip().lower()
    suppressed = bool(row.suppressed) if not _isna(row.suppressed) else False
    value, bench = _float(row.value), _float(row.benchmark)
    lo, q25, q75, hi = (_float(v) for v in (row.peer_min, row.peer_q25, row.peer_q75, row.peer_max))
    worst, best = (hi, lo) if polarity == "low_is_good" else (lo, hi)
    key = comparison_key(row.comparison)
    cells = [
        f'<td class="obs-ind">{html.escape(str(row.title))}</td>',
        f"<td>{html.escape(str(row.period))}</td>",
        f"<td>{'*' if suppressed else _fmt(_float(row.count), 0)}</td>",
        f'<td class="obs-value">{"*" if suppressed else _fmt(value, decimals)}</td>',
        f"<td>{_fmt(bench, decimals)}</td>",
        f"<td>{_fmt(worst, decimals)}</td>",
        f'<td class="obs-svg">'
        f"{_spine_svg(value, bench, lo, q25, q75, hi, polarity, key, suppressed, decimals, str(row.title))}</td>",
        f"<td>{_fmt(best, decimals)}</td>",
    ]
    return f'<tr data-indicator="{html.escape(str(row.indicator_id))}">{"".join(cells)}</tr>'


def _spine_svg(value: float, bench: float, lo: float, q25: float, q75: float, hi: float,
               polarity: str, key: str, suppressed: bool, decimals: int, title: str) -> str:
    w, h = SPINE_WIDTH, SPINE_HEIGHT
    open_tag = f'<svg xmlns="http://www.w3.org/2000/svg" class="spine" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
    if math.isnan(bench):
        return open_tag + "</svg>"
    reach = [abs(v - bench) for v in (lo, hi) + (() if suppressed else (value,)) if not math.isnan(v)]
    half = max(reach, default=0.0) or (abs(bench) * 0.1 or 1.0)
    centre, span = w / 2, w / 2 - _SPINE_PAD
    sign = -1.0 if polarity == "low_is_good" else 1.0

    def x(v: float) -> float:
        return centre + sign * (v - bench) / half * span

    greys = SPINE_GREYS if sign > 0 else SPINE_GREYS[::-1]
    parts = [open_tag, f"<title>{html.escape(title)}</title>"]
    for (a, b), grey, name in zip(((lo, q25), (q25, q75), (q75, hi)), greys, ("low", "mid", "high")):
        if math.isnan(a) or math.isnan(b):
            continue
        x0, x1 = sorted((x(a), x(b)))
        parts.append(
            f'<rect class="spine-{name}" x="{x0:.1f}" y="5" width="{x1 - x0:.1f}" height="{h - 10}" fill="{grey}"/>'
        )
    parts.append(
        f'<line class="spine-benchmark" x1="{centre:.1f}" x2="{centre:.1f}" y1="1" y2="{h - 1}" '
        'stroke="#000" stroke-width="1.5"/>'
    )
    if not suppressed and not math.isnan(value):
        parts.append(
            f'<circle class="spine-marker" cx="{x(value):.1f}" cy="{h / 2:.1f}" r="5.5" '
            f'fill="{COMPARISON_COLOURS[key]}" stroke="#000" stroke-width="1">'
            f"<title>{html.escape(COMPARISON_LABELS[key])}: {_fmt(value, decimals)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _isna(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _float(value: Any) -> float:
    return math.nan if _isna(value) else float(value)


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()


def _fmt(value: float, decimals: int) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.{decimals}f}"


def _aligned(series: pd.DataFrame | pd.Series, periods: list[str]) -> np.ndarray:
    if isinstance(series, pd.DataFrame):
        series = pd.Series(_floats(series["value"]), index=[str(p) for p in series["period"]])
    else:
        series = pd.Series(_floats(series), index=[str(p) for p in series.index])
    series = series[~series.index.duplicated(keep="last")]
    return series.reindex(periods).to_numpy(dtype=float)


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


def _legend_entry(x: float, y: float, colour: str, dash: str, label: str) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x}" x2="{x + 20}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
        f'<text x="{x + 25}" y="{y + 4}">{html.escape(label)}</text>'
    )


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
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


def _tick_decimals(ticks: list[float]) -> int:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return next(d for d in range(10) if abs(round(step, d) - step) <= 1e-9 * step or d == 9)
