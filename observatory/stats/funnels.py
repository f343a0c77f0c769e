"""Funnel plots for proportions, rates and ratios, as PHEindicatormethods' funnel functions.

- :func:`funnel_limits` (calculate_funnel_limits): 100 points of the 95% and 99.8% control limits around the
  overall average, for drawing the funnel;
- :func:`funnel_points` (calculate_funnel_points): rates and their per-year denominators, for plotting the areas;
- :func:`funnel_significance` (assign_funnel_significance): each area's position against the limits.

Proportion limits invert the Wilson score interval; rate and ratio limits are exact Poisson limits (the R package
finds them by bisection to 1e-7, here they come from the chi-squared distribution). PHEindicatormethods has no
overdispersion adjustment; ``overdispersion`` adds Spiegelhalter's (2005) multiplicative or additive
random-effects adjustment, on the indicator's own scale, as an observatory extension.
"""

from __future__ import annotations

import math
from typing import Required, TypedDict, Unpack

import numpy as np
import pandas as pd
from scipy.special import ndtri

from observatory.stats.methods import LEVELS, _column, exact_poisson_limits, poisson_limits

STATISTICS = ("proportion", "rate", "ratio")
SIGNIFICANCE = [
    "High (0.001)",
    "High (0.025)",
    "Low (0.001)",
    "Low (0.025)",
    "Not significant",
    "Not applicable for events less than 10 for dsrs",
]
N_POINTS = 100


def wilson_funnel(level: float, population, average: float, side: str):
    """The proportion at which the Wilson interval's limit (two-sided ``level``) reaches ``average``: the control
    limit at sample size ``population`` (PHEindicatormethods' sigma_adjustment)."""
    z2 = ndtri(1 - (1 - level) / 2) ** 2
    n = np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = average * (n / z2 + 1)
        root = np.sqrt(
            (8 * first) ** 2 - 64 * (1 / z2 + 1 / n) * average * (n * (average * (n / z2 + 2) - 1) + z2 * (average - 1))
        )
        sign = -1 if side == "low" else 1
        return (first + sign * root / 8) / (1 / z2 + 1 / n) / n


def _derived_denominator(
    data: pd.DataFrame, numerator: str, rate: str, denominator: str | None, rate_type: str, multiplier: float
) -> np.ndarray:
    """Denominators behind rates: multiplier x events / rate; for crude rates with no events, the denominator
    given; for DSRs with no events, none (NA), as PHEindicatormethods derives them."""
    x, r = _column(data, numerator), _column(data, rate)
    if rate_type not in ("dsr", "crude"):
        raise ValueError(f"rate_type must be 'dsr' or 'crude', not {rate_type!r}")
    if np.isnan(x).any():
        raise ValueError("for rates, numerators must be given for every row, even when zero")
    zero = x == 0
    if zero.any() and rate_type == "crude":
        if denominator is None:
            raise ValueError("for rates with 0 events, give the denominator column with denominator=")
        n = _column(data, denominator)
        if (zero & ~(n > 0)).any():
            raise ValueError("for rates with 0 events, the denominator must be given and above zero")
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * x / r
    if rate_type == "dsr":
        return np.where(zero, np.nan, derived)
    return np.where(zero, _column(data, denominator), derived) if zero.any() else derived


class FunnelOptions(TypedDict, total=False):
    """The keywords :func:`funnel_limits` and :func:`funnel_significance` share: the statistic, for rates their type
    ("dsr" or "crude") and multiplier, and the overdispersion adjustment (None, "multiplicative" or "additive")."""

    statistic: Required[str]
    rate_type: str | None
    multiplier: float | None
    overdispersion: str | None


def _options(function: str, funnel: dict, required: tuple[str, ...]) -> dict:
    """The shared keywords with their defaults (None), refusing unknown or missing ones as Python would."""
    unknown = sorted(set(funnel) - set(FunnelOptions.__annotations__))
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    missing = [name for name in required if name not in funnel]
    if missing:
        raise TypeError(f"{function}() missing required keyword-only argument: {missing[0]!r}")
    return {name: None for name in FunnelOptions.__annotations__} | funnel


def _events_and_sizes(
    data: pd.DataFrame, numerator: str, denominator: str | None, rate: str | None, options: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and the sizes they are set against: denominators, expected counts, or derived denominators."""
    statistic, rate_type, multiplier = options["statistic"], options["rate_type"], options["multiplier"]
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, not {statistic!r}")
    if statistic == "rate":
        if rate is None or rate_type is None or multiplier is None:
            raise ValueError("rates need rate=, rate_type= and multiplier=")
        return _column(data, numerator), _derived_denominator(data, numerator, rate, denominator, rate_type, multiplier)
    if denominator is None:
        raise ValueError(f"{statistic}s need denominator=")
    return _column(data, numerator), _column(data, denominator)


def _nice_floor(x: float) -> float:
    digits = len(str(math.floor(x * 0.95))) - 1
    return 0.0 if x == 0 else math.floor(x * 0.95 / 10**digits) * 10**digits


def _nice_ceiling(x: float) -> float:
    digits = len(str(math.ceil(x * 1.05))) - 2
    return 0.0 if x == 0 else math.ceil(x * 1.05 / 10.0**digits) * 10.0**digits


def _axis(lowest: float, highest: float, statistic: str, years: float, average: float) -> np.ndarray:
    """The 100 x-axis points: from a rounded-down minimum (0 when the sizes vary more than 2-fold) to a rounded-up
    maximum, spaced evenly on the log scale and at least 1 apart (a sequential recurrence of 100 steps)."""
    scale = years if statistic == "rate" else 1.0
    start = 0.0 if highest > 2 * lowest else _nice_floor(lowest / scale) * scale
    stop = _nice_ceiling(highest / scale) * scale
    if statistic == "rate":
        start, stop = math.floor(start * average), math.ceil(stop * average)
    points = [max(1.0, start)]
    shift = 1 if statistic == "ratio" else 0
    for i in range(1, N_POINTS):
        previous = points[-1]
        step = float(np.round((stop / previous) ** (1 / (N_POINTS - i + shift)) * previous))
        points.append(max(step, previous + 1))
    return np.array(points)


def funnel_limits(
    data: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    rate: str | None = None,
    *,
    ratio_type: str | None = None,
    years_of_data: float | None = None,
    **funnel: Unpack[FunnelOptions],
) -> pd.DataFrame:
    """Control limits at 95% and 99.8% for a funnel plot, 100 rows (calculate_funnel_limits).

    ``statistic="proportion"``: x is ``population``, limits per ``multiplier`` (100 for percentages), from
    inverting Wilson's interval around the overall proportion. ``"ratio"`` (numerator observed, denominator
    expected): x is ``observed_events``; ``ratio_type="count"`` gives ratio - 1, ``"isr"`` gives ratio x
    ``multiplier``; ``lower95_expected``... are the expected counts at the limits. ``"rate"`` (numerator events,
    ``rate`` per ``multiplier``, ``rate_type`` "dsr" or "crude", ``years_of_data``): x is ``events``, and
    ``lower95_population``... are the one-year populations at the limits. ``overdispersion`` ("multiplicative" or
    "additive") widens the limits by Spiegelhalter's method using the areas in ``data``.
    """
    options = _options("funnel_limits", funnel, required=("statistic", "multiplier"))
    statistic, multiplier, rate_type, overdispersion = (
        options[k] for k in ("statistic", "multiplier", "rate_type", "overdispersion")
    )
    if statistic == "rate" and years_of_data is None:
        raise ValueError("rates need years_of_data=")
    if statistic == "ratio" and ratio_type not in ("count", "isr"):
        raise ValueError("ratios need ratio_type= 'count' or 'isr'")
    events, sizes = _events_and_sizes(data, numerator, denominator, rate, options)
    if statistic == "proportion" and np.isnan(events + sizes).any():
        raise ValueError("for proportions, numerators and denominators must be given for every row")
    average = np.nansum(events) / np.nansum(sizes)
    x = _axis(np.nanmin(sizes), np.nanmax(sizes), statistic, years_of_data or 1, average)
    out: dict[str, object] = {}
    if statistic == "proportion":
        out["population"] = x
        for label, level in LEVELS.items():
            out[f"lower{label}"] = np.maximum(0, wilson_funnel(level, x, average, "low") * multiplier)
            out[f"upper{label}"] = np.minimum(multiplier, wilson_funnel(level, x, average, "high") * multiplier)
        out["baseline"] = np.full(len(x), average * multiplier)
        name, method = "proportion", "Wilson"
    else:
        out["observed_events" if statistic == "ratio" else "events"] = x
        for label, level in LEVELS.items():
            low_mean, high_mean = exact_poisson_limits(x, level)
            for side, mean in (("lower", high_mean), ("upper", low_mean)):
                if statistic == "ratio":
                    out[f"{side}{label}_expected"] = mean
                    ratio = x / mean
                    out[f"{side}{label}"] = ratio - 1 if ratio_type == "count" else ratio * multiplier
                else:
                    out[f"{side}{label}_population"] = mean / average / years_of_data
                    out[f"{side}{label}"] = x / (mean / average) * multiplier
        if statistic == "rate":
            out["baseline"] = np.full(len(x), average * multiplier)
            name = f"rate ({rate_type} per {multiplier:,.0f})"
        else:
            name = f"ratio ({ratio_type})"
        method = "Poisson"
    if overdispersion is not None:
        _overdispersed_limits(out, x, events, sizes, average, statistic, ratio_type, multiplier, years_of_data, overdispersion)
        method = f"normal, {overdispersion} overdispersion (Spiegelhalter 2005)"
    return pd.DataFrame({**out, "statistic": name, "method": method})


# --- overdispersion (Spiegelhalter 2005; not in PHEindicatormethods) -------------------------------------------

OVERDISPERSION = ("multiplicative", "additive")


def _area_scale(events: np.ndarray, sizes: np.ndarray, average: float, statistic: str) -> tuple[np.ndarray, np.ndarray]:
    """Each area's indicator (proportion, ratio, or rate per person) and its null standard error."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = events / sizes
        if statistic == "proportion":
            return y, np.sqrt(average * (1 - average) / sizes)
        if statistic == "ratio":
            return y, 1 / np.sqrt(sizes)
        return y, np.sqrt(average / sizes)


def spiegelhalter(y: np.ndarray, target: float, se: np.ndarray, winsor: float = 0.1) -> tuple[float, float]:
    """Overdispersion factor phi (mean squared z-score, z Winsorised at the 10% and 90% points) and the additive
    random-effects variance tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w = 1/se^2, floored at 0."""
    usable = np.isfinite(y) & np.isfinite(se) & (se > 0)
    z = (y[usable] - target) / se[usable]
    if z.size < 2:
        raise ValueError("overdispersion needs at least 2 areas with usable values")
    low, high = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    w = 1 / se[usable] ** 2
    tau2 = max(0.0, (z.size * phi - (z.size - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return phi, tau2


def _widened_se(se: np.ndarray, phi: float, tau2: float, method: str) -> np.ndarray:
    if method not in OVERDISPERSION:
        raise ValueError(f"overdispersion must be one of {OVERDISPERSION} or None, not {method!r}")
    return se * np.sqrt(max(phi, 1.0)) if method == "multiplicative" else np.sqrt(se**2 + tau2)


def _overdispersed_limits(
    out: dict,
    x: np.ndarray,
    events: np.ndarray,
    sizes: np.ndarray,
    average: float,
    statistic: str,
    ratio_type: str | None,
    multiplier: float,
    years: float | None,
    method: str,
) -> None:
    """Replace the exact limits by normal limits target +/- z x widened se at each x (population for
    proportions; observed events, taken as the expected count on the target, for ratios and rates)."""
    y, se = _area_scale(events, sizes, average, statistic)
    target = 1.0 if statistic == "ratio" else average
    phi, tau2 = spiegelhalter(y, target, se)
    size = x if statistic == "proportion" else (x if statistic == "ratio" else x / average)
    _, se_x = _area_scale(np.zeros_like(x), size, average, statistic)
    se_x = _widened_se(se_x, phi, tau2, method)
    for label, level in LEVELS.items():
        z = ndtri(1 - (1 - level) / 2)
        for side, sign in (("lower", -1), ("upper", 1)):
            limit = np.clip(target + sign * z * se_x, 0, 1 if statistic == "proportion" else np.inf)
            if statistic != "ratio":
                limit = limit * multiplier
            elif ratio_type == "count":
                limit = limit - 1
            else:
                limit = limit * multiplier
            out[f"{side}{label}"] = limit
            out.pop(f"{side}{label}_expected", None)
            out.pop(f"{side}{label}_population", None)
    out["phi"], out["tau2"] = phi, tau2


# --- points and significance -----------------------------------------------------------------------------------


def funnel_points(
    data: pd.DataFrame,
    numerator: str,
    rate: str,
    denominator: str | None = None,
    *,
    rate_type: str,
    years_of_data: float,
    multiplier: float,
) -> pd.DataFrame:
    """The data with ``{rate}_chart`` and ``denominator_derived`` (per year) for plotting rates on a funnel
    (calculate_funnel_points). DSRs from fewer than 10 events get NA in both, as they are not published."""
    derived = _derived_denominator(data, numerator, rate, denominator, rate_type, multiplier)
    out = data.copy()
    chart = _column(data, rate)
    if rate_type == "dsr":
        few = _column(data, numerator) < 10
        chart, derived = np.where(few, np.nan, chart), np.where(few, np.nan, derived)
    out[f"{rate}_chart"] = chart
    out["denominator_derived"] = derived / years_of_data
    return out


def funnel_significance(
    data: pd.DataFrame, numerator: str, denominator: str | None = None, rate: str | None = None, **funnel: Unpack[FunnelOptions]
) -> pd.DataFrame:
    """The data with ``significance``: "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)" or "Not
    significant" against the funnel around the overall average (assign_funnel_significance).

    Proportions use the inverted Wilson limits; ratios (observed / expected, target 1) and rates (against the
    events-weighted average, denominators derived from the rates) use exact Poisson limits below 10 events and
    Byar's from 10. DSRs from fewer than 10 events are "Not applicable for events less than 10 for dsrs". With
    ``overdispersion`` the position is judged by the z-score with Spiegelhalter's widened standard error.
    """
    options = _options("funnel_significance", funnel, required=("statistic",))
    statistic, rate_type, overdispersion = options["statistic"], options["rate_type"], options["overdispersion"]
    events, sizes = _events_and_sizes(data, numerator, denominator, rate, options)
    if (events < 0).any():
        raise ValueError("numerators must be zero or more")
    if (sizes <= 0).any():
        raise ValueError("denominators must be greater than zero")
    if statistic == "proportion" and (events > sizes).any():
        raise ValueError("numerators must not exceed denominators for a proportion")
    target = 1.0 if statistic == "ratio" else np.nansum(events) / np.nansum(sizes)
    high, low = {}, {}
    if overdispersion is not None:
        y, se = _area_scale(events, sizes, target, statistic)
        z = (y - target) / _widened_se(se, *spiegelhalter(y, target, se), overdispersion)
        for label, level in LEVELS.items():
            high[label], low[label] = z > ndtri(1 - (1 - level) / 2), z < -ndtri(1 - (1 - level) / 2)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            for label, level in LEVELS.items():
                if statistic == "proportion":
                    p = events / sizes
                    low[label] = p < wilson_funnel(level, sizes, target, "low")
                    high[label] = p > wilson_funnel(level, sizes, target, "high")
                else:
                    lower, upper, _ = poisson_limits(events, level)
                    high[label], low[label] = target < lower / sizes, target > upper / sizes
    codes = np.select([high["998"], high["95"], low["998"], low["95"]], [0, 1, 2, 3], default=4)
    if statistic == "rate" and rate_type == "dsr":
        codes = np.where(events < 10, 5, codes)
    out = data.copy()
    out["significance"] = pd.Categorical.from_codes(codes, categories=SIGNIFICANCE)
    return out
