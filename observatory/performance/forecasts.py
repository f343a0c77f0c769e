"""Forecasts against targets: a straight line by weighted least squares with a prediction interval, and each
target's status (on track, at risk, off track; met or missed once observed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observatory.stats.compare import HIGH, normalise_polarity
from observatory.stats.limits import t_quantile
from observatory.stats.trend import POINTS, last_points, weights_from_limits

MIN_POINTS = 4
LEVEL = 0.95
STATUSES = ("on track", "at risk", "off track", "met", "missed", "not enough data")


def period_years(period_sort, labels=None) -> np.ndarray:
    """Fingertips-style period sort keys (YYYYMMDD-ish) as decimal years: 20190000 → 2019.0, 20240700 → 2024.5.

    The sort key of "2024 Q3" is 20240300, like March's: with ``labels``, a label naming a quarter is read as one
    (2024 Q3 → 2024.5).
    """
    s = np.asarray(period_sort, dtype=float)
    part = np.floor(s / 100) % 100
    step = np.full(s.shape, 1 / 12)
    if labels is not None:
        quarter = pd.Series(np.asarray(labels, dtype=object).ravel()).astype(str).str.contains(r"\bQ[1-4]\b", case=False)
        step = np.where(quarter.to_numpy().reshape(s.shape), 0.25, step)
    return np.floor(s / 10000) + np.maximum(part - 1, 0) * step


def forecast(
    series: pd.DataFrame,
    at: pd.DataFrame,
    *,
    keys: Sequence[str] = ("indicator_id", "area_code"),
    points: int = POINTS,
    min_points: int = MIN_POINTS,
    level: float = LEVEL,
) -> pd.DataFrame:
    """A straight-line forecast with its prediction interval, for each row of ``at``, vectorised over rows.

    ``series`` holds the ``keys``, ``period``, ``period_sort``, ``value`` and optionally ``lower95``/``upper95``;
    ``at`` holds the ``keys`` and ``target_period_sort``. For each row of ``at``, the last ``points`` values before
    the target period are fitted by weighted least squares on time in years, weights 1/SE² with SE = (upper95 -
    lower95)/3.92 (Fingertips' convention), or by ordinary least squares when any of those points lacks limits.
    The prediction interval is residual-based: with s² = Σ w r² / (n - 2), the variance of a new value at the target
    is s² (x₀'(X'WX)⁻¹x₀ + 1/w₀), w₀ the latest point's weight (a future value measured as precisely as the latest),
    and the interval is the forecast ± t(level, n - 2) × its square root. Fewer than ``min_points`` points: "not
    enough data" and no forecast. Returns one row per row of ``at`` (same order) with ``forecast``,
    ``forecast_lower``, ``forecast_upper``, ``slope`` (per year), ``n_points``, ``method``, ``first_period``,
    ``last_period``, ``latest_value``, ``latest_lower95``, ``latest_upper95`` and ``note``.
    """
    keys = list(keys)
    at = at.reset_index(drop=True)
    n = len(at)
    target = at["target_period_sort"].to_numpy(dtype=float)
    cols = [c for c in ("period", "period_sort", "value", "lower95", "upper95") if c in series.columns]
    s = series[keys + cols].drop_duplicates(keys + ["period_sort"])
    long = at[keys].assign(_row=np.arange(n)).merge(s, on=keys, how="inner")
    codes = long["_row"].to_numpy(dtype=np.intp)

    def col(name: str) -> np.ndarray:
        v = long[name].to_numpy(dtype=float, na_value=np.nan) if name in long.columns else np.full(len(long), np.nan)
        return np.append(v, np.nan)  # the last slot stands for "no point"

    period, value, lower, upper = col("period_sort"), col("value"), col("lower95"), col("upper95")
    usable = (np.isfinite(value) & np.isfinite(period))[:-1] & (period[:-1] < target[codes])
    grid, n_points = last_points(codes, period[:-1], usable, n, points)
    idx = np.where(grid >= 0, grid, len(long))
    present = grid >= 0
    Y, L, U = value[idx], lower[idx], upper[idx]
    labels = np.append(long["period"].astype(str).to_numpy(), "") if "period" in long.columns else np.full(len(long) + 1, "")
    target_labels = at["target_period"].astype(str).to_numpy() if "target_period" in at.columns else None
    X = np.where(present, period_years(period[idx], labels[idx]) - period_years(target, target_labels)[:, None], 0.0)
    limits = present & np.isfinite(L) & np.isfinite(U) & (U > L)
    weighted = (limits | ~present).all(axis=1) & (n_points > 0)
    W = np.where(present, np.where(weighted[:, None], weights_from_limits(L, U), 1.0), 0.0)
    Y0 = np.where(present, Y, 0.0)
    s0, s1, s2 = W.sum(1), (W * X).sum(1), (W * X * X).sum(1)
    sy, sxy = (W * Y0).sum(1), (W * X * Y0).sum(1)
    enough = n_points >= max(min_points, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s0 * s2 - s1**2
        slope = (s0 * sxy - s1 * sy) / det
        intercept = (s2 * sy - s1 * sxy) / det  # time is measured from the target period: this is the forecast
        resid = np.where(present, Y0 - intercept[:, None] - slope[:, None] * X, 0.0)
        dof = np.maximum(n_points - 2, 1)
        s2_resid = (W * resid**2).sum(1) / dof
        w0 = W[:, -1]
        variance = s2_resid * (s2 / det + 1 / w0)
        half = t_quantile((1 + level) / 2, dof) * np.sqrt(variance)
    ok = enough & np.isfinite(intercept) & np.isfinite(half)
    intercept, half = np.where(ok, intercept, np.nan), np.where(ok, half, np.nan)
    out = at.copy()
    out["forecast"] = np.where(ok, intercept, np.nan)
    out["forecast_lower"] = np.where(ok, intercept - half, np.nan)
    out["forecast_upper"] = np.where(ok, intercept + half, np.nan)
    out["slope"] = np.where(ok, slope, np.nan)
    out["n_points"] = n_points
    out["method"] = np.where(n_points == 0, "", np.where(weighted, "weighted least squares", "ordinary least squares"))
    first = idx[np.arange(n), np.clip(points - n_points, 0, points - 1)]
    out["first_period"] = labels[first]
    out["last_period"] = labels[idx[:, -1]]
    out["latest_value"], out["latest_lower95"], out["latest_upper95"] = Y[:, -1], L[:, -1], U[:, -1]
    out["note"] = np.where(ok, "", np.where(enough, "the points do not fit a line", "not enough data"))
    out.loc[~enough, "note"] = f"not enough data: fewer than {max(min_points, 3)} periods before the target"
    return out


def _bound(direction: pd.Series, polarity: pd.Series) -> np.ndarray:
    """'at least' or 'at most' from a target's direction (maintain follows the indicator's polarity)."""
    pol = normalise_polarity(polarity.fillna("no_judgement").to_numpy(), len(polarity))
    d = direction.to_numpy()
    least = (d == "increase") | ((d == "maintain") & (pol == HIGH))
    return np.where(least, "at least", "at most")


def assess_targets(
    targets: pd.DataFrame, profiles: pd.DataFrame, *, points: int = POINTS, min_points: int = MIN_POINTS, level: float = LEVEL
) -> pd.DataFrame:
    """Each target with its forecast, prediction interval and status.

    Status: "on track" when the whole prediction interval lies on the right side of the target (the forecast meets
    it and the target is outside the interval), "off track" when the whole interval lies on the wrong side, "at
    risk" when the target is inside the interval, "not enough data" with fewer than ``min_points`` periods. Once
    the target period is observed, the observed value decides: "met" or "missed". ``increase`` means at least the
    target, ``decrease`` at most, ``maintain`` not worse than it by the indicator's polarity.
    """
    meta_cols = [
        c
        for c in (
            "area_name",
            "district_code",
            "title",
            "theme",
            "unit",
            "polarity",
            "value_type",
            "multiplier",
            "dataset",
            "trend_judgement",
        )
        if c in profiles.columns
    ]
    p = profiles.sort_values("period_sort")
    meta = p.drop_duplicates(["indicator_id", "area_code"], keep="last")[["indicator_id", "area_code"] + meta_cols]
    t = targets.drop(columns=[c for c in meta_cols if c in targets.columns]).merge(
        meta, on=["indicator_id", "area_code"], how="left"
    )
    out = forecast(p, t, points=points, min_points=min_points, level=level)
    if "value_type" in out.columns:
        lo = np.where(out["value_type"].isin(["proportion", "crude_rate", "dsr", "isr", "count"]), 0.0, -np.inf)
        hi = np.where(out["value_type"] == "proportion", out["multiplier"].astype(float).fillna(np.inf), np.inf)
        for c in ("forecast", "forecast_lower", "forecast_upper"):
            out[c] = np.clip(out[c].to_numpy(dtype=float), lo, hi)
    out["bound"] = _bound(out["direction"], out.get("polarity", pd.Series("no_judgement", index=out.index)))
    target = out["target_value"].to_numpy(dtype=float)
    least = out["bound"].to_numpy() == "at least"
    lower, upper = out["forecast_lower"].to_numpy(dtype=float), out["forecast_upper"].to_numpy(dtype=float)
    on = np.where(least, target < lower, target > upper)
    off = np.where(least, target > upper, target < lower)
    known = np.isfinite(out["forecast"].to_numpy(dtype=float))
    status = np.select([~known, on, off], ["not enough data", "on track", "off track"], "at risk")

    seen = (
        t[["indicator_id", "area_code", "target_period_sort"]]
        .assign(_row=np.arange(len(t)))
        .merge(
            p[["indicator_id", "area_code", "period", "period_sort", "value"]].dropna(subset=["value"]),
            on=["indicator_id", "area_code"],
        )
    )
    seen = seen[seen["period_sort"] >= seen["target_period_sort"]].sort_values("period_sort").drop_duplicates("_row")
    observed = np.full(len(out), np.nan)
    observed[seen["_row"].to_numpy()] = seen["value"].to_numpy(dtype=float)
    obs_period = np.full(len(out), "", dtype=object)
    obs_period[seen["_row"].to_numpy()] = seen["period"].astype(str).to_numpy()
    met = np.where(least, observed >= target, observed <= target)
    status = np.where(np.isfinite(observed), np.where(met, "met", "missed"), status)
    out["observed_value"], out["observed_period"] = observed, obs_period
    out["status"] = pd.Categorical(status, categories=STATUSES)
    return out
