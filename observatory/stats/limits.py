"""Confidence limits for counts and proportions: Wilson score, Byar's and exact Poisson, at any level."""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv, ndtri, stdtrit

LEVELS = {"95": 0.95, "998": 0.998}
CONFIDENCE = "95%, 99.8%"

Array = np.ndarray


def chi2_quantile(q: float | Array, df: Array) -> Array:
    """The chi-squared distribution's ``q`` quantile: what ``scipy.stats.chi2.ppf`` returns, bit for bit, without
    importing ``scipy.stats`` (about 0.7 s in every process that profiles or builds a page)."""
    return 2 * gammaincinv(np.asarray(df, dtype=float) / 2, q)


def t_quantile(q: float | Array, df: Array) -> Array:
    """Student's t distribution's ``q`` quantile, as ``scipy.stats.t.ppf`` returns it (see :func:`chi2_quantile`)."""
    return stdtrit(np.asarray(df, dtype=float), q)


def z_value(level: float) -> float:
    """Two-sided standard normal critical value: 1.96 for 0.95, 3.09 for 0.998."""
    return float(ndtri(1 - (1 - level) / 2))


# --- limits for counts and proportions -------------------------------------------------------------------------


def wilson_limits(x: Array, n: Array, level: float) -> tuple[Array, Array]:
    """Wilson score limits for the proportion x/n (Wilson 1927; Newcombe & Altman 2000)."""
    return wilson_levels(x, n, {"": level})[""]


def wilson_levels(x: Array, n: Array, levels: dict[str, float] = LEVELS) -> dict[str, tuple[Array, Array]]:
    """:func:`wilson_limits` at several levels, {label: (lower, upper)}, sharing the terms that do not depend on z."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    limits = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        spread, twice = 4 * x * (1 - x / n), 2 * x
        for label, level in levels.items():
            z = z_value(level)
            root = z * np.sqrt(z * z + spread)
            denominator = 2 * (n + z * z)
            centre = twice + z * z
            lower = centre - root
            lower /= denominator
            centre += root
            centre /= denominator
            limits[label] = lower, centre
    return limits


def byars_limits(x: Array, level: float) -> tuple[Array, Array]:
    """Byar's approximation to the Poisson limits of an observed count (Breslow & Day 1987)."""
    z = z_value(level)
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    return np.where(x == 0, 0.0, lower), upper


def exact_poisson_limits(x: Array, level: float) -> tuple[Array, Array]:
    """Exact Poisson limits of an observed count via the chi-squared distribution (Armitage & Berry 2002)."""
    x = np.asarray(x, dtype=float)
    alpha = 1 - level
    counts, position = np.unique(x, return_inverse=True)
    with np.errstate(invalid="ignore"):
        lower = np.where(counts > 0, chi2_quantile(alpha / 2, 2 * np.where(counts > 0, counts, 1)) / 2, 0.0)
        upper = chi2_quantile(1 - alpha / 2, 2 * counts + 2) / 2
    return lower[position].reshape(x.shape), upper[position].reshape(x.shape)


def poisson_limits(x: Array, level: float) -> tuple[Array, Array, Array]:
    """Limits of an observed count as Fingertips computes them: exact below 10, Byar's from 10, plus the exact mask."""
    limits, exact = count_limits(x, {"": level})
    return *limits[""], exact


def count_limits(x: Array, levels: dict[str, float] = LEVELS) -> tuple[dict[str, tuple[Array, Array]], Array]:
    """:func:`poisson_limits` at several levels: {label: (lower, upper)} and the exact mask.

    Counts that are whole numbers no larger than the number of rows (the usual case: a million rows hold a few
    thousand distinct counts) get their limits from a table computed once per possible count and looked up.
    """
    x = np.asarray(x, dtype=float)
    tables = count_tables(x, levels)
    if tables is None:
        return {label: _poisson(x, level) for label, level in levels.items()}, x < 10
    top, limits = tables
    index = table_index(x, top)
    return {label: (lower.take(index), upper.take(index)) for label, (lower, upper) in limits.items()}, x < 10


def count_tables(x: Array, levels: dict[str, float] = LEVELS) -> tuple[int, dict[str, tuple[Array, Array]]] | None:
    """The largest count ``top`` and tables of limits for every count 0..top, {label: (lower, upper)}.

    Look counts up with :func:`table_index` (missing counts find NaN, at top + 1). None unless the counts are whole
    numbers no larger than the number of rows (or 1024).
    """
    top = _count_top(x)
    if top is None:
        return None
    counts = np.arange(top + 2, dtype=float)
    counts[-1] = np.nan  # where missing counts look up
    return top, {label: _poisson(counts, level) for label, level in levels.items()}


def table_index(x: Array, top: int) -> Array:
    """Each count's position in a table of 0..``top`` (:func:`count_tables`), missing counts at top + 1."""
    with np.errstate(invalid="ignore"):  # a missing count casts to nonsense, replaced next
        index = x.astype(np.intp)
    index[np.isnan(x)] = top + 1
    return index


BLOCK = 1 << 15  # counts per block when checking they are whole: the truncated copy stays in cache


def _count_top(x: Array) -> int | None:
    """The largest count present (0 if none); None unless every count present is a whole number 0..len(x) or 1024."""
    if x.size == 0:
        return None
    low, high = np.fmin.reduce(x, axis=None), np.fmax.reduce(x, axis=None)  # fmin and fmax skip NaN
    if np.isnan(high):
        return 0
    if low < 0 or high > max(x.size, 1024):
        return None
    flat = x.ravel()
    for lo in range(0, flat.size, BLOCK):
        part = flat[lo : lo + BLOCK]
        if not np.array_equal(np.trunc(part), part, equal_nan=True):
            return None
    return int(high)


def _poisson(x: Array, level: float) -> tuple[Array, Array]:
    exact = x < 10
    lower, upper = byars_limits(x, level)
    if exact.any():
        lo, up = exact_poisson_limits(x[exact], level)
        lower[exact], upper[exact] = lo, up
    return lower, upper
