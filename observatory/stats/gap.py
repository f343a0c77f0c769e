"""Narrowing the gap: how far each locality is from the county, how wide the spread is, and whether it is closing.

- :func:`locality_gaps` compares each locality with the county value for the same indicator and period.
- :func:`gap_summary` gives, per indicator and period, the best and worst locality, the range and the ratio.
- :func:`sii_by_decile` gives the slope index of inequality across deprivation deciles (reusing ``methods.sii``).
- :func:`gap_trend` says whether a gap measure (SII, range) is narrowing, widening or not changing significantly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from observatory._core.vocab import COMPARISONS, NOT_COMPARED, Polarity, ValueType
from observatory.stats import methods
from observatory.stats.compare import HIGH, LOW, NONE, compare, normalise_polarity
from observatory.stats.limits import t_quantile
from observatory.stats.trend import CHI2_CRITICAL, POINTS, _same_sign, last_points, weights_from_limits, wls_trend

BREAKDOWN = ["indicator_id", "period", "period_sort", "sex", "age", "category"]
DIRECTIONS = [c if c == NOT_COMPARED else f"{c} {'to' if c == 'similar' else 'than'} county" for c in COMPARISONS]
GAP_TRENDS = ["narrowing", "widening", "no significant change", "cannot be calculated"]

PolarityInput = Mapping[str, Polarity | str] | pd.Series | Polarity | str | None


def _keys(frame: pd.DataFrame) -> list[str]:
    return [k for k in BREAKDOWN if k in frame.columns]


def _polarity(frame: pd.DataFrame, polarity: PolarityInput) -> np.ndarray:
    """Polarity codes per row: from a constant, a mapping/Series by indicator_id, or the frame's polarity column."""
    if polarity is None:
        if "polarity" not in frame.columns:
            raise KeyError("give polarity= or a 'polarity' column")
        return normalise_polarity(frame["polarity"].to_numpy(), len(frame))
    if isinstance(polarity, (Mapping, pd.Series)):
        lookup = pd.Series(polarity) if isinstance(polarity, Mapping) else polarity
        mapped = frame["indicator_id"].map(lookup)
        if mapped.isna().any():
            raise ValueError(f"no polarity for indicators {sorted(set(frame['indicator_id'][mapped.isna()]))}")
        return normalise_polarity(mapped.to_numpy(), len(frame))
    return normalise_polarity(polarity, len(frame))


def locality_gaps(localities: pd.DataFrame, county: pd.DataFrame, polarity: PolarityInput = None) -> pd.DataFrame:
    """Each locality's gap from the county, per indicator, period and breakdown.

    Adds ``county_value``, ``absolute_gap`` (value - county), ``relative_gap`` (value / county), ``gap_direction``
    (better/worse than county by polarity, higher/lower for no judgement, on the point values) and ``comparison``
    (Fingertips 95% comparison of the locality's interval with the county value: better/similar/worse).
    """
    if county["area_code"].nunique() > 1:
        raise ValueError(f"county holds more than one area: {sorted(county['area_code'].unique())}")
    keys = [k for k in _keys(localities) if k in county.columns and k != "period_sort"]
    duplicated = county.duplicated(keys)
    if duplicated.any():
        raise ValueError(f"county has more than one value for {county.loc[duplicated, keys].head().to_dict('records')}")
    merged = localities.merge(
        county[keys + ["value"]].rename(columns={"value": "county_value"}), on=keys, how="left", validate="many_to_one"
    )
    pol = _polarity(merged, polarity)
    value = merged["value"].to_numpy(dtype=float, na_value=np.nan)
    base = merged["county_value"].to_numpy(dtype=float, na_value=np.nan)
    merged["absolute_gap"] = value - base
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["relative_gap"] = np.where(base != 0, value / base, np.nan)
    sign = np.sign(value - base)
    good = np.where(pol == LOW, -sign, sign)
    codes = np.where(pol == NONE, np.select([sign > 0, sign < 0], [3, 4], 1), np.select([good > 0, good < 0], [0, 2], 1))
    merged["gap_direction"] = pd.Categorical.from_codes(np.where(np.isnan(sign), 5, codes), categories=DIRECTIONS)
    lower = merged["lower95"] if "lower95" in merged else np.nan
    upper = merged["upper95"] if "upper95" in merged else np.nan
    merged["comparison"] = compare(merged["value"], lower, upper, merged["county_value"], pol).to_numpy()
    return merged


def gap_summary(localities: pd.DataFrame, polarity: PolarityInput = None) -> pd.DataFrame:
    """Spread across localities per indicator, period and breakdown.

    Columns: ``highest_area``/``highest_value``, ``lowest_area``/``lowest_value``, ``best_area``/``worst_area``
    (by polarity; empty for no judgement), ``range`` (highest - lowest), ``ratio`` (worst / best; highest / lowest
    for no judgement) and ``n_areas`` (localities with a value). Ties go to the first area code in sort order.
    """
    keys = _keys(localities)
    frame = localities.loc[localities["value"].notna()].sort_values(keys + ["area_code"], kind="stable").reset_index(drop=True)
    pol = _polarity(frame, polarity)
    frame = frame.assign(_pol=pol)
    grouped = frame.groupby(keys, sort=True, dropna=False, observed=True)
    high = frame.loc[grouped["value"].idxmax()]
    low = frame.loc[grouped["value"].idxmin()]
    out = high[keys].reset_index(drop=True)
    out["highest_area"] = high["area_code"].to_numpy()
    out["highest_value"] = high["value"].to_numpy(dtype=float)
    out["lowest_area"] = low["area_code"].to_numpy()
    out["lowest_value"] = low["value"].to_numpy(dtype=float)
    p = high["_pol"].to_numpy()
    out["best_area"] = pd.array(np.select([p == HIGH, p == LOW], [out["highest_area"], out["lowest_area"]], None), dtype="string")
    out["worst_area"] = pd.array(
        np.select([p == HIGH, p == LOW], [out["lowest_area"], out["highest_area"]], None), dtype="string"
    )
    out["range"] = out["highest_value"] - out["lowest_value"]
    worst = np.where(p == HIGH, out["lowest_value"], out["highest_value"])
    best = np.where(p == HIGH, out["highest_value"], out["lowest_value"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(best != 0, worst / best, np.nan)
    out["n_areas"] = grouped.size().to_numpy()
    out["polarity"] = pd.Categorical.from_codes(
        p, categories=[Polarity.HIGH_IS_GOOD.value, Polarity.LOW_IS_GOOD.value, Polarity.NO_JUDGEMENT.value]
    )
    return out


def sii_by_decile(
    small_areas: pd.DataFrame,
    *,
    group_by: Sequence[str] = ("indicator_id", "period"),
    decile_col: str = "decile",
    population_col: str = "population",
    value_type: str | None = None,
    multiplier: float = 1,
    repetitions: int = 10_000,
    seed: int = 0,
    min_quantiles: int = 5,
) -> pd.DataFrame:
    """Slope index of inequality across deprivation deciles, per ``group_by`` (decile 1 = most deprived).

    With ``value_type`` "proportion" or "crude_rate", small areas need ``numerator`` and ``denominator``: they are
    summed per decile and the decile value gets Wilson or Byar/exact limits (proportions on the 0-1 scale, the SII
    then scaled by ``multiplier``, e.g. 100 for percentages; rates per ``multiplier``). Otherwise each decile's value
    is the population-weighted mean of its areas' ``value``, with an approximate standard error from the spread of
    area values (sqrt(sum(a_i^2 (v_i - mean)^2) x n/(n-1)), a_i the population shares), and deciles with a single area
    are left out. Returns ``methods.sii`` output (value = SII, rii, limits at 95% and 99.8%) with the keys.
    """
    keys = list(group_by)
    by = keys + [decile_col]
    simulation = {"repetitions": repetitions, "seed": seed, "min_quantiles": min_quantiles}
    if value_type in (ValueType.PROPORTION.value, ValueType.CRUDE_RATE.value):
        if value_type == ValueType.PROPORTION.value:
            deciles = methods.proportion_ci("numerator", "denominator", 1, data=small_areas, group_by=by)
            sii_type, sii_multiplier = "proportion", multiplier
        else:
            deciles = methods.rate_ci("numerator", "denominator", multiplier, data=small_areas, group_by=by)
            sii_type, sii_multiplier = "rate", 1
        population = population_col if population_col in small_areas.columns else "denominator"
        codes, _ = methods.group_codes(small_areas, by)
        deciles["_population"] = np.bincount(codes, weights=small_areas[population].to_numpy(dtype=float), minlength=len(deciles))
        limits = {"lower_col": "lower95", "upper_col": "upper95", "value_type": sii_type, "multiplier": sii_multiplier}
        return methods.sii(deciles, "value", "_population", decile_col, keys, **limits, **simulation)
    if value_type not in (None, ValueType.SCORE.value, ValueType.MEAN.value, "other"):
        raise ValueError(f"value_type {value_type!r}: use 'proportion', 'crude_rate', or None for weighted means")
    frame = small_areas.loc[small_areas["value"].notna() & (small_areas[population_col] > 0)]
    codes, deciles = methods.group_codes(frame, by)
    g = len(deciles)
    v = frame["value"].to_numpy(dtype=float)
    p = frame[population_col].to_numpy(dtype=float)
    total = np.bincount(codes, weights=p, minlength=g)
    mean = np.bincount(codes, weights=p * v, minlength=g) / total
    count = np.bincount(codes, minlength=g)
    share = p / total[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.bincount(codes, weights=share**2 * (v - mean[codes]) ** 2, minlength=g) * count / (count - 1)
    deciles["value"] = mean
    deciles["_population"] = total
    deciles["_se"] = np.where(count > 1, np.sqrt(variance), np.nan)
    return methods.sii(deciles, "value", "_population", decile_col, keys, se_col="_se", multiplier=multiplier, **simulation)


def gap_trend(
    series: pd.DataFrame,
    *,
    value_col: str = "value",
    lower_col: str | None = "lower95",
    upper_col: str | None = "upper95",
    group_by: Sequence[str] = ("indicator_id",),
    period_col: str = "period_sort",
    points: int = POINTS,
    min_points: int = 3,
) -> pd.DataFrame:
    """Is each gap narrowing? A trend test on the last ``points`` periods of a gap measure, per ``group_by``.

    With 95% limits (an SII from :func:`sii_by_decile`): Fingertips' weighted least squares, weights 1/SE^2 from the
    limits, significant when chi-squared > 9.5495 (99.8%). Without limits (``lower_col=None``, e.g. the ``range``
    from :func:`gap_summary`): ordinary least squares, significant when (slope/SE)^2 exceeds the squared two-sided
    99.8% point of Student's t on n-2 degrees of freedom. Either way the slope must keep its sign when each point is
    left out. The gap narrows when its size moves towards zero: a negative slope for a positive gap, a positive
    slope for a negative one (sign of the latest value). Fewer than ``min_points`` usable periods: "cannot be
    calculated".
    """
    keys = list(group_by)
    codes, out = methods.group_codes(series, keys)
    n_groups = len(out)
    value = series[value_col].to_numpy(dtype=float, na_value=np.nan)
    weighted = lower_col is not None and upper_col is not None
    if weighted:
        lower = series[lower_col].to_numpy(dtype=float, na_value=np.nan)
        upper = series[upper_col].to_numpy(dtype=float, na_value=np.nan)
        usable = np.isfinite(value) & np.isfinite(lower) & np.isfinite(upper) & (upper > lower)
    else:
        usable = np.isfinite(value)
    period = series[period_col].to_numpy(dtype=float, na_value=np.nan)
    grid, n_points = last_points(codes, period, usable & np.isfinite(period), n_groups, points)
    V = np.where(grid >= 0, value[np.maximum(grid, 0)], np.nan)
    if weighted:
        W = weights_from_limits(*(np.where(grid >= 0, a[np.maximum(grid, 0)], np.nan) for a in (lower, upper)))
        slope, statistic, stable = wls_trend(V, W)
        critical = np.full(n_groups, CHI2_CRITICAL)
        method = "weighted least squares"
    else:
        slope, statistic, stable = _ols_trend(V)
        with np.errstate(invalid="ignore"):
            critical = t_quantile(0.999, np.maximum(n_points - 2, 1)) ** 2
        method = "ordinary least squares"
    enough = n_points >= max(min_points, 3)
    latest = V[np.arange(n_groups), points - 1]
    significant = enough & stable & (statistic > critical)
    towards_zero = np.sign(slope) * np.sign(latest) < 0
    codes_out = np.select([~enough, significant & towards_zero, significant & ~towards_zero], [3, 0, 1], 2)
    out["gap_trend"] = pd.Categorical.from_codes(codes_out, categories=GAP_TRENDS)
    out["slope"] = np.where(enough, slope, np.nan)
    out["statistic"] = np.where(enough, statistic, np.nan)
    out["n_points"] = n_points
    out["method"] = pd.Categorical.from_codes(np.zeros(n_groups, dtype=np.int8), categories=[method])
    out["note"] = pd.Categorical(np.where(enough, "", f"fewer than {max(min_points, 3)} periods"))
    return out


def _ols_trend(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordinary least-squares slope on t = 1..P (missing points skipped), (slope/SE)^2 and the leave-one-out check."""
    t = np.arange(1, values.shape[1] + 1, dtype=float)
    present = np.isfinite(values)

    def fit(y, include):
        m = include.sum(-1)
        y = np.where(include, y, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            tm = (include * t).sum(-1) / m
            ym = y.sum(-1) / m
            stt = (include * (t - tm[..., None]) ** 2).sum(-1)
            slope = (include * (t - tm[..., None]) * (y - ym[..., None])).sum(-1) / stt
            residual = np.where(include, y - ym[..., None] - slope[..., None] * (t - tm[..., None]), 0.0)
            se2 = (residual**2).sum(-1) / (m - 2) / stt
        return slope, se2

    slope, se2 = fit(values, present)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(se2 > 0, slope**2 / se2, np.where(slope != 0, np.inf, 0.0))
    drop = present[:, None, :] & ~np.eye(values.shape[1], dtype=bool)[None]
    dropped, _ = fit(values[:, None, :], drop)
    dropped = np.where(present, dropped, slope[:, None])
    return slope, statistic, _same_sign(slope, dropped)
