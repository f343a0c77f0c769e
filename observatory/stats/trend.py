"""Fingertips recent-trend markers, vectorised over every series at once.

Follows Fingertips' TrendMarkerCalculator (fingertips-open) and its technical guidance "Fingertips trend markers":
the five most recent usable points of a series, numbered 1 to 5, are tested for a linear trend.

- Proportions (with numerator and denominator): the chi-squared test for linear trend in proportions
  (Cochran-Armitage): chi2 = N (N.sum(x t) - X.sum(n t))^2 / (X (N - X) (N.sum(n t^2) - sum(n t)^2)), where X and N
  are the total numerator and denominator.
- Every other value type: weighted least squares of value on t with weights 1/SE^2, SE = (upper95 - lower95)/3.92;
  chi2 = (slope / SE(slope))^2.

A trend is significant when chi2 > 9.5495 (the 99.8% point of chi-squared on 1 degree of freedom) and the slope
keeps its sign when each point is left out in turn (ordinary least squares on the logit for proportions, as
Fingertips does). Series with fewer than five usable points "cannot be calculated". The direction of a proportion's
trend is the sign of N.sum(x t) - X.sum(n t) (Fingertips' calculator never sets a slope for proportions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observatory._core.vocab import KEY, ValueType
from observatory.stats.compare import HIGH, LOW, NONE, normalise_polarity
from observatory.stats.inputs import _text, _used_codes, group_runs

CHI2_CRITICAL = 9.54953570608324
POINTS = 5
TRENDS = ["increasing", "decreasing", "no significant change", "cannot be calculated"]
JUDGEMENTS = ["improving", "worsening", "increasing", "decreasing", "no significant change", "cannot be calculated"]
METHODS = ["chi-squared test for trend", "weighted least squares", ""]


def recent_trend(
    frame: pd.DataFrame,
    group_by: Sequence[str] | None = None,
    *,
    value_type: str | None = None,
    polarity: str | None = None,
    period_col: str = "period_sort",
    points: int = POINTS,
) -> pd.DataFrame:
    """Recent trend of every series in ``frame``, one row per series.

    ``frame`` holds ``value``, ``lower95``, ``upper95``, ``numerator``, ``denominator``, ``period_col`` and the
    ``group_by`` keys (default: the tidy table's key columns present, less ``period``), plus ``value_type`` and
    ``polarity`` columns unless they are given here as constants. Returns the keys with ``trend``
    ("increasing"/"decreasing"/"no significant change"/"cannot be calculated"), ``trend_judgement`` ("improving"/
    "worsening" by polarity; "increasing"/"decreasing" for no judgement), ``statistic`` (chi-squared), ``slope``
    (change in value per period; for proportions the denominator-weighted slope), ``n_points``, ``method`` and
    ``note``.
    """
    keys = [k for k in KEY if k in frame.columns and k != "period"] if group_by is None else list(group_by)
    starts, run_codes, out = group_runs(frame, keys)
    n_groups = len(out)
    run_length = np.diff(starts, append=len(frame))
    last_row = np.zeros(n_groups, dtype=np.intp)
    last_row[run_codes] = starts + run_length - 1  # runs in row order: a group's last run gives its last row
    is_prop = _per_group(frame, "value_type", value_type, last_row, _is_proportion)
    pol = _per_group(frame, "polarity", polarity, last_row, normalise_polarity)

    value, lower, upper, x, n = (_col(frame, c) for c in ("value", "lower95", "upper95", "numerator", "denominator"))
    period = _period(frame, period_col)
    prop = np.repeat(is_prop[run_codes], run_length)
    usable = np.empty(len(frame), dtype=bool)
    for lo in range(0, len(frame), CHUNK * points):
        r = slice(lo, lo + CHUNK * points)
        usable[r] = _usable(prop[r], value[r], lower[r], upper[r], x[r], n[r], period[r])
    last, last_group, count = _windows(starts, run_codes, period, usable, n_groups, points)  # row numbers, oldest first
    n_points = np.minimum(count, points)
    full = n_points == points
    last_prop = is_prop[last_group]
    p_all, w_all = last_group[last_prop], last_group[~last_prop]
    p_rows, w_rows = last[last_prop], last[~last_prop]

    slope = np.full(n_groups, np.nan)
    chi2 = np.full(n_groups, np.nan)
    significant = np.zeros(n_groups, dtype=bool)  # chi2 above the critical value and a stable sign
    degenerate = np.zeros(n_groups, dtype=bool)

    for g, (s, c, sig, deg) in _in_chunks(_proportion_significance, p_all, p_rows, value, x, n, points=points):
        slope[g], chi2[g], significant[g], degenerate[g] = s, c, sig, deg
    for g, (s, c, sig) in _in_chunks(_wls_from_limits, w_all, w_rows, value, lower, upper, points=points):
        slope[g], chi2[g], significant[g] = s, c, sig

    calculated = full & ~degenerate
    significant &= calculated
    trend = np.full(n_groups, 2, dtype=np.int8)  # no significant change
    trend[significant & (slope > 0)] = 0
    trend[significant & (slope < 0)] = 1
    trend[~calculated] = 3
    notes = ["", "a proportion of 0 or 1 among the points", f"fewer than {points} points"]  # sorted, as categories
    note = np.select([n_points < points, degenerate], [2, 1], 0).astype(np.int8)
    method = np.where(full, np.where(is_prop, 0, 1), 2).astype(np.int8)
    columns = {
        "trend": pd.Categorical.from_codes(trend, categories=TRENDS),
        "trend_judgement": pd.Categorical.from_codes(judge(trend, pol), categories=JUDGEMENTS),
        "statistic": np.where(calculated, chi2, np.nan),
        "slope": np.where(calculated, slope, np.nan),
        "n_points": n_points,
        "method": pd.Categorical.from_codes(method, categories=METHODS),
        "note": _text((notes, note), n_groups),
    }
    return pd.concat([out, pd.DataFrame(columns, index=out.index, copy=False)], axis=1)  # the arrays taken in, not copied


def _usable(prop, value, lower, upper, x, n, period) -> np.ndarray:
    """Points a trend can use: a proportion's counts, or any other value with its 95% limits; and a period."""
    with np.errstate(invalid="ignore"):  # NaN fails every comparison
        counts = (n > 0) & (n < np.inf) & (x >= 0) & (x <= n)  # x is then finite too
        limits = np.isfinite(value) & (lower > -np.inf) & (upper < np.inf) & (upper > lower)  # limits then finite
    usable = np.where(prop, counts, limits)
    if period.dtype.kind == "f":  # an integer period is always there
        usable &= np.isfinite(period)
    return usable


def _is_proportion(value_types) -> np.ndarray:
    names = [v.value if isinstance(v, ValueType) else str(v).strip().lower() for v in value_types]
    return np.array([name == ValueType.PROPORTION.value for name in names], dtype=bool)


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype=float, na_value=np.nan)


def _period(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The period column: integers as they are (they order the same, and need no float copy), else floats."""
    if name in frame.columns and frame[name].dtype.kind in "iu":
        return frame[name].to_numpy()
    return _col(frame, name)


def _per_group(frame, column, constant, last_row, convert):
    """One value per group from a constant or from the group's last row (``last_row``) of ``column``, converted."""
    if constant is not None:
        return np.broadcast_to(convert([constant])[0], (len(last_row),)).copy()
    if column not in frame.columns:
        raise KeyError(f"recent_trend needs a '{column}' column, or {column}= as a constant")
    values = frame[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes_last = values.cat.codes.to_numpy()[last_row]
        if len(codes_last) and codes_last.min() >= 0:
            categories = values.cat.categories
            used = _used_codes(codes_last, len(categories))
            converted = np.asarray(convert(categories[used].to_numpy(dtype=object)))
            table = np.zeros(len(categories), dtype=converted.dtype)
            table[used] = converted
            return table.take(codes_last)
    codes_last, uniques = pd.factorize(values.iloc[last_row], use_na_sentinel=False)
    return np.asarray(convert(pd.Series(uniques, dtype=object).to_numpy()))[codes_last]


def _windows(starts: np.ndarray, run_codes: np.ndarray, period: np.ndarray, usable: np.ndarray, n_groups: int, points: int):
    """Row numbers of the last ``points`` usable rows of every group having that many (oldest first), those groups, and
    each group's count of usable rows.

    When every group is one run of rows in period order and every row is usable (series as they usually arrive), a
    group's last points are the last rows of its run: the rows come as the first row of each window (1-D), and
    nothing is sorted or numbered per row. Otherwise they come as a groups x points array.
    """
    run_length = np.diff(starts, append=len(usable))
    if len(run_codes) == n_groups and usable.all() and _ascending_within_runs(period, starts):
        count = np.zeros(n_groups, dtype=np.int64)
        count[run_codes] = run_length
        full = run_length >= points
        return (starts + run_length - points)[full], run_codes[full], count
    codes = np.repeat(run_codes, run_length) if len(starts) < len(usable) else run_codes
    rows, block_group, block_count = _by_group(codes, period, usable, n_groups)
    count = np.zeros(n_groups, dtype=np.int64)
    count[block_group] = block_count
    last, last_group = _last_of_full(rows, block_group, block_count, points)
    return last, last_group, count


def _ascending_within_runs(period: np.ndarray, starts: np.ndarray) -> bool:
    """Whether the period never decreases from one row to the next within a run (ties keep row order)."""
    if len(period) < 2:
        return True
    ascending = period[1:] >= period[:-1]
    ascending[starts[1:] - 1] = True  # a run's first row may follow any period
    return bool(ascending.all())


def _by_group(codes: np.ndarray, period: np.ndarray, usable: np.ndarray, n_groups: int):
    """The usable rows in blocks, one block per group in period order (ties keep row order), blocks in any order.

    Returns (rows, each block's group, each block's size). Series usually arrive as runs of consecutive rows in period
    order, one run per series: then the runs are the blocks and nothing is sorted.
    """
    if usable.all():
        rows, c, p = np.arange(len(codes)), codes, period
    else:
        rows = np.flatnonzero(usable)
        c, p = codes[rows], period[rows]
    if len(rows) > 1:
        same = c[1:] == c[:-1]
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        in_order = bool(np.all(~same | (p[1:] >= p[:-1])))
        if in_order and len(starts) == np.count_nonzero(np.bincount(c[starts], minlength=n_groups)):
            return rows, c[starts], np.diff(starts, append=len(rows))
        rows = rows[np.lexsort((p, c))]
    count = np.bincount(codes[rows], minlength=n_groups)
    groups = np.flatnonzero(count)
    return rows, groups, count[groups]


def _last_of_full(rows: np.ndarray, block_group: np.ndarray, block_count: np.ndarray, points: int):
    """Row numbers of the last ``points`` rows of every block having at least that many (one line each), and its group."""
    if len(block_count) * points == len(rows) and bool(np.all(block_count == points)):
        return rows.reshape(-1, points), block_group
    full = block_count >= points
    end = np.cumsum(block_count)[full]
    return rows[(end[:, None] - points) + np.arange(points)], block_group[full]


def last_points(
    codes: np.ndarray, period: np.ndarray, usable: np.ndarray, n_groups: int, points: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of each group's last ``points`` usable rows by period, oldest first, right-aligned (-1 = none)."""
    rows, block_group, block_count = _by_group(codes, period, usable, n_groups)
    g = np.repeat(block_group, block_count)
    from_end = np.repeat(np.cumsum(block_count), block_count) - 1 - np.arange(len(rows))
    keep = from_end < points
    grid = np.full((n_groups, points), -1, dtype=np.intp)
    grid[g[keep], points - 1 - from_end[keep]] = rows[keep]
    count = np.zeros(n_groups, dtype=np.int64)
    count[block_group] = block_count
    return grid, np.minimum(count, points)


CHUNK = 4096  # series per kernel call


def _in_chunks(kernel, groups: np.ndarray, rows: np.ndarray, *columns: np.ndarray, points: int = POINTS):
    """(groups, kernel(columns at rows, points x series)) for ``CHUNK`` series at a time.

    ``rows`` holds each series' row numbers (series x points), or each series' first row of ``points`` consecutive
    rows (1-D). Chunks keep the kernels' temporaries small: they stay in cache and in memory already mapped, where
    whole-array temporaries of a million points cost more in fresh pages than in arithmetic.
    """
    following = np.arange(points)[:, None]
    for lo in range(0, len(groups), CHUNK):
        part = rows[lo : lo + CHUNK].T if rows.ndim == 2 else rows[lo : lo + CHUNK] + following
        yield groups[lo : lo + CHUNK], kernel(*(column[part] for column in columns))


def _wls_from_limits(values: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """(slope, chi2, significant) of the weighted least-squares trend of points x series with their 95% limits."""
    return _wls_trend(values, weights_from_limits(lower, upper), significant=True)


def weights_from_limits(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Inverse-variance weights from 95% limits: SE = (upper - lower) / 3.92, as Fingertips computes it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = upper - lower  # then 1 / (weights / 3.92) ** 2, in the one buffer
        weights /= 3.92
        weights **= 2
        return np.divide(1, weights, out=weights)


def wls_trend(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least-squares slope on t = 1..P per row, its chi-squared statistic and the leave-one-out sign check.

    Missing points (NaN value or weight) carry zero weight. Returns (slope, chi2, stable).
    """
    return _wls_trend(np.ascontiguousarray(values.T), np.ascontiguousarray(weights.T))


# The kernels below hold a series per column (points x series): every operation then runs over long contiguous rows
# rather than rows of five, which numpy handles several times faster. With ``significant`` they return whether each
# trend is significant (chi2 above CHI2_CRITICAL and a stable sign) in place of the stability, and check the
# stability, most of their work, only for the series whose chi2 is above the critical value.


def _wls_trend(values: np.ndarray, weights: np.ndarray, significant: bool = False):
    """:func:`wls_trend` on points x series arrays."""
    t = np.arange(1, values.shape[0] + 1, dtype=float)[:, None]
    present = np.isfinite(values)
    present &= np.isfinite(weights)
    every = bool(present.all())  # the usual case: nothing to mask
    w = weights if every else np.where(present, weights, 0.0)
    wv = w * (values if every else np.where(present, values, 0.0))
    wt = w * t
    parts = (w, wv * t, wt, wv, wt * t)
    totals = [_point_sum(part) for part in parts]
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = _wls_slope(totals)
        chi2 = slope**2 * (totals[0] * totals[4] - totals[2] ** 2) / totals[0]
    tested = _tested(chi2 > CHI2_CRITICAL) if significant else _ALL
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = _wls_dropped_slopes(totals, parts, tested)
    dropped = dropped if every else np.where(present[:, tested], dropped, slope[tested])
    stable = _stable(slope[tested], dropped, tested, len(slope))
    return slope, chi2, (stable & (chi2 > CHI2_CRITICAL)) if significant else stable


def _wls_slope(s):
    return (s[0] * s[1] - s[2] * s[3]) / (s[0] * s[4] - s[2] ** 2)


def _wls_dropped_slopes(totals: list[np.ndarray], parts: tuple[np.ndarray, ...], tested) -> np.ndarray:
    """:func:`_wls_slope` of the ``totals`` less each point's ``parts`` in turn, for the ``tested`` series.

    Computed in the buffers of the parts after the first (the kernel's own; the first may be the caller's weights),
    which it uses up: the same operations as :func:`_wls_slope`, without a fresh array for each.
    """
    s0 = totals[0][tested] - parts[0][:, tested]
    s1, s2, s3, s4 = (part[:, tested] for part in parts[1:])  # views of the buffers, or copies of the tested series
    for total, part in zip(totals[1:], (s1, s2, s3, s4)):
        np.subtract(total[tested], part, out=part)
    s1 *= s0
    s3 *= s2
    s1 -= s3  # s0 s1 - s2 s3
    s4 *= s0
    s2 **= 2
    s4 -= s2  # s0 s4 - s2^2
    s1 /= s4
    return s1


_ALL = slice(None)


def _tested(over: np.ndarray) -> np.ndarray | slice:
    """The series (columns) whose stability decides their trend: those ``over`` the critical value, as positions, or
    all of them (_ALL) when that is most: selecting them would then cost about what it saves."""
    return _ALL if np.count_nonzero(over) * 2 > len(over) else np.flatnonzero(over)


def _stable(slope: np.ndarray, dropped: np.ndarray, tested, n: int) -> np.ndarray:
    """Whether each of the ``tested`` series keeps its sign (``slope`` and ``dropped``, the leave-one-out slopes as
    points x series, are theirs), false for the other series of the ``n``."""
    stable = _same_sign_points(slope, dropped)
    if tested is _ALL:
        return stable
    every = np.zeros(n, dtype=bool)
    every[tested] = stable
    return every


def _same_sign(slope: np.ndarray, dropped: np.ndarray) -> np.ndarray:
    """Fingertips' outlier check: every slope, full and leave-one-out, has the same sign (zero counts as positive)."""
    return _same_sign_points(slope, dropped.T)


def _same_sign_points(slope: np.ndarray, dropped: np.ndarray) -> np.ndarray:
    """:func:`_same_sign` with the leave-one-out slopes as points x series."""
    below = dropped < 0
    negative = _point_sum(below.view(np.uint8) if below.shape[0] < 255 else below.astype(np.int64)) + (slope < 0)
    return (negative == 0) | (negative == dropped.shape[0] + 1)


def _point_sum(a: np.ndarray) -> np.ndarray:
    """Each series' sum over its points (rows of a points x series array), added in point order."""
    if len(a) < 2:
        return a[0].copy()
    total = a[0] + a[1]  # not np.add.reduce: for a single series it may add the points pairwise, in another order
    for row in a[2:]:
        total += row
    return total


def proportion_trend(values: np.ndarray, x: np.ndarray, n: np.ndarray):
    """Chi-squared test for linear trend in proportions, one row per series: (slope, chi2, stable, degenerate)."""
    return _proportion_trend(*(np.ascontiguousarray(a.T) for a in (values, x, n)))


def _proportion_significance(values: np.ndarray, x: np.ndarray, n: np.ndarray):
    """(slope, chi2, significant, degenerate) of the proportions' trend of points x series."""
    return _proportion_trend(values, x, n, significant=True)


def _proportion_trend(values: np.ndarray, x: np.ndarray, n: np.ndarray, significant: bool = False):
    """:func:`proportion_trend` on points x series arrays."""
    t = np.arange(1, x.shape[0] + 1, dtype=float)[:, None]
    work = x * t  # one buffer for the products summed over the points, in turn
    A = _point_sum(work)
    nt = n * t
    B = _point_sum(nt)
    ntv = _point_sum(np.multiply(nt, values, out=work))
    C = _point_sum(np.multiply(nt, t, out=nt))
    nv = _point_sum(np.multiply(n, values, out=work))
    N, X = _point_sum(n), _point_sum(x)
    edge = x <= 0
    edge |= x >= n
    degenerate = _point_sum(edge.view(np.uint8)) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = N * (N * A - X * B) ** 2 / (X * (N - X) * (N * C - B**2))
        mean_value = nv / N
        slope = (ntv - B * mean_value) / (C - B**2 / N)
        slope = np.where(np.isfinite(slope), slope, np.sign(N * A - X * B))
    tested = _tested((chi2 > CHI2_CRITICAL) & ~degenerate) if significant else _ALL
    with np.errstate(divide="ignore", invalid="ignore"):
        tested_x = x[:, tested]
        logit = n[:, tested] - tested_x  # then log(x / (n - x)), in the one buffer
        np.divide(tested_x, logit, out=logit)
        np.log(logit, out=logit)
    full, dropped = _ols_slope_signs(logit)
    stable = _stable(full, dropped, tested, len(chi2))
    return slope, chi2, (stable & (chi2 > CHI2_CRITICAL)) if significant else stable, degenerate


def _ols_slope_signs(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ordinary least-squares slope of each series (column) on t = 1..P, and with each point left out in turn, each
    up to a positive factor: their signs, all the stability check needs, without dividing by sum((t - mean t)^2).

    ``y`` is used up: its buffer holds a part of the result.
    """
    p = y.shape[0]
    t = np.arange(1, p + 1, dtype=float)
    yt = y * t[:, None]
    sy, sty = _point_sum(y), _point_sum(yt)
    m, st = p, t.sum()
    with np.errstate(invalid="ignore"):
        full = m * sty - sy * st
        dropped = np.subtract(sty, yt, out=yt)  # then (m - 1)(sty - yt) - (sy - y)(st - t), in two buffers
        dropped *= m - 1
        rest = np.subtract(sy, y, out=y)
        rest *= (st - t)[:, None]
        dropped -= rest
    return full, dropped


def _judgement_table() -> np.ndarray:
    """Judgement code by polarity x 4 + trend code, as :func:`judge` gives them."""
    table = np.full((3, 4), 4, dtype=np.int8)
    table[:, 3] = 5
    table[HIGH, :2] = 0, 1  # increasing improves, decreasing worsens
    table[LOW, :2] = 1, 0
    table[NONE, :2] = 2, 3  # increasing and decreasing, without judgement
    return table.ravel()


_JUDGEMENT = _judgement_table()


def judge(trend: np.ndarray, polarity: np.ndarray) -> np.ndarray:
    """Trend codes (0 increasing, 1 decreasing, 2 none, 3 cannot) to judgement codes, by polarity code."""
    return _JUDGEMENT.take(np.asarray(polarity, dtype=np.intp) * 4 + trend)
