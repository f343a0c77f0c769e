"""A funnel chart of the localities for one indicator: each locality's value against its size, the county value
as the centre line, 95% and 99.8% control limits (``stats.funnels``), and each point's position in words in a
table beside it. Static SVG from the ``view_funnel`` template; the table is the text alternative."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory._core.numbers import format_number
from observatory.present.palette import COLOURS
from observatory.present.templating import Markup, render
from observatory.stats.funnels import funnel_limits, funnel_significance

WIDTH, HEIGHT = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 28, 48
WORDS = {
    "High (0.001)": ("above the 99.8% limit", "higher", "99.8%"),
    "High (0.025)": ("above the 95% limit", "higher", "95%"),
    "Low (0.001)": ("below the 99.8% limit", "lower", "99.8%"),
    "Low (0.025)": ("below the 95% limit", "lower", "95%"),
    "Not significant": ("within the 95% limits", "similar", ""),
}
JUDGED = {"high_is_good": {"higher": "better", "lower": "worse"}, "low_is_good": {"higher": "worse", "lower": "better"}}


def _statistic(value_type: str) -> dict:
    """The ``stats.funnels`` arguments for an indicator's value type (None when it has no funnel)."""
    if value_type == "proportion":
        return {"statistic": "proportion"}
    if value_type in ("crude_rate", "dsr"):
        return {"statistic": "rate", "rate": "value", "rate_type": "crude" if value_type == "crude_rate" else "dsr"}
    return {}


def funnel_frame(frame: pd.DataFrame, value_type: str, multiplier: float, polarity: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The localities with ``significance``, ``words`` and ``comparison``, and the limits (x, lines) to draw."""
    kind = _statistic(value_type)
    rate = kind["statistic"] == "rate"
    rate_args = {"rate_type": kind["rate_type"]} if rate else {}
    columns = (frame, "numerator", "denominator", kind.get("rate"))
    years = 1 if rate else None
    limits = funnel_limits(*columns, statistic=kind["statistic"], multiplier=multiplier, years_of_data=years, **rate_args)
    judged = funnel_significance(
        *columns, statistic=kind["statistic"], **rate_args, **({"multiplier": multiplier} if rate else {})
    )
    words = judged["significance"].astype(str).map(lambda s: WORDS.get(s, (s, "similar", ""))[0])
    direction = judged["significance"].astype(str).map(lambda s: WORDS.get(s, (s, "similar", ""))[1])
    level = judged["significance"].astype(str).map(lambda s: WORDS.get(s, (s, "similar", ""))[2])
    judged_as = direction.map(lambda d: JUDGED.get(polarity, {}).get(d, d))
    comparison = [c if c == "similar" else f"{c} ({lv})" for c, lv in zip(judged_as, level)]
    out = judged.assign(words=words, comparison=comparison, x=frame["denominator"] if not rate else frame["numerator"])
    x_name = "events" if rate else "population"
    return out, limits.rename(columns={x_name: "x"})


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (np.asarray(v, dtype=float) - lo) / span * (b - a)


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    step = 10 ** np.floor(np.log10((hi - lo) / n or 1))
    step *= min((m for m in (1, 2, 5, 10) if (hi - lo) / (step * m) <= n), default=10)
    return np.arange(np.ceil(lo / step) * step, hi + step / 2, step)


def _path(xs, ys) -> str:
    ok = np.isfinite(xs) & np.isfinite(ys)
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in zip(np.asarray(xs)[ok], np.asarray(ys)[ok])) if ok.any() else ""


def funnel_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str,
    value_type: str,
    multiplier: float,
    polarity: str,
    centre_name: str,
    x_title: str,
    key: str,
) -> Markup:
    """The chart and its table. ``frame``: ``area_name``, ``numerator``, ``denominator``, ``value`` and ``shown``
    (False for a locality whose figures are suppressed: it counts towards the centre and limits, unseen)."""
    points, limits = funnel_frame(frame.drop(columns="shown"), value_type, multiplier, polarity)
    points = points[frame["shown"].to_numpy()]
    x_hi = max(float(limits["x"].max()), float(points["x"].max()))
    values = np.concatenate([points["value"], limits[["lower998", "upper998"]].to_numpy().ravel()])
    in_view = values[np.isfinite(values)]
    lo, hi = np.quantile(in_view, 0.02), np.quantile(in_view, 0.98)
    lo, hi = min(lo, points["value"].min()), max(hi, points["value"].max())
    pad = (hi - lo) * 0.05 or 1.0
    sx, sy = _scale(0, x_hi, LEFT, WIDTH - RIGHT), _scale(lo - pad, hi + pad, HEIGHT - BOTTOM, TOP)
    clip = lambda col: sy(np.clip(limits[col], lo - pad, hi + pad))  # noqa: E731
    lines = [
        {"d": _path(sx(limits["x"]), clip(c)), "dash": "" if c.endswith("998") else "4 3", "label": lab}
        for c, lab in (("lower95", "95% limits"), ("upper95", ""), ("lower998", "99.8% limits"), ("upper998", ""))
    ]
    centre = float(limits["baseline"].iloc[0])
    dots = [
        {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": COLOURS.get(c, COLOURS["similar"]), "name": n}
        for x, y, c, n in zip(sx(points["x"]), sy(points["value"]), points["comparison"], points["area_name"])
    ]
    rows = [
        [
            r["area_name"],
            format_number(r["numerator"], 0),
            format_number(r["x"], 0),
            format_number(r["value"], 1, unit),
            r["words"],
        ]
        for r in points.sort_values("value", ascending=False).to_dict("records")
    ]
    counts = points["words"].value_counts()
    desc = (
        f"{len(points)} localities against {centre_name} ({format_number(centre, 1, unit)}): "
        + "; ".join(f"{n} {w}" for w, n in counts.items())
        + "."
    )
    return render(
        "view_funnel.html.j2",
        id=f"funnel-{key}",
        title=title,
        desc=desc,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        lines=lines,
        centre={"y": f"{float(sy(centre)):.1f}", "label": f"{centre_name}: {format_number(centre, 1, unit)}"},
        dots=dots,
        x_ticks=[{"x": f"{float(sx(t)):.1f}", "label": format_number(t, 0)} for t in _ticks(0, x_hi)],
        y_ticks=[{"y": f"{float(sy(t)):.1f}", "label": format_number(t, None)} for t in _ticks(lo - pad, hi + pad)],
        x_title=x_title,
        y_title=f"{title} ({unit})" if unit and unit != "%" else title,
        columns=["Locality", "Count", x_title, "Value", "Position against the funnel"],
        rows=rows,
    )
