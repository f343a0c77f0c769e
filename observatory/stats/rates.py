"""Proportions, crude rates, indirectly standardised ratios and means, each with 95% and 99.8% limits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.stats.inputs import GroupBy, _blank, _column, _finish, _Inputs, _multiplier_label, _notes, group_codes
from observatory.stats.limits import CONFIDENCE, LEVELS, count_limits, count_tables, t_quantile, table_index, wilson_levels

LIMIT_COLUMNS = ("value", "lower95", "upper95", "lower998", "upper998")


def proportion_ci(
    numerator, denominator, multiplier: float = 1, *, data: pd.DataFrame | None = None, group_by: GroupBy = None
) -> pd.DataFrame:
    """Proportions with Wilson score limits at 95% and 99.8% (phe_proportion).

    ``numerator`` and ``denominator`` are arrays, or column names of ``data``; with ``group_by`` they are summed per
    group first. A numerator above its denominator, or a negative input, is an error naming where it happens; a zero
    or missing denominator gives NA with a note.
    """
    inputs = _Inputs([numerator, denominator], ["numerator", "denominator"], data, group_by)
    x_rows, n_rows = inputs.rows
    inputs.fail_if(x_rows < 0, "numerators must be zero or more; negative")
    inputs.fail_if(n_rows < 0, "denominators must be zero or more; negative")
    inputs.fail_if(x_rows > n_rows, "numerator is greater than denominator")
    x, n = inputs.values
    missing = np.isnan(x) | np.isnan(n)
    zero = ~missing & (n == 0)
    bad = missing | zero
    result = _blank(_in_blocks(_proportion_block, len(x), x, n, multiplier=multiplier), bad)
    statistic = {1: "proportion of 1", 100: "percentage"}.get(multiplier, f"proportion of {_multiplier_label(multiplier)}")
    note = _notes((missing, "numerator or denominator missing"), (zero, "denominator is zero"), n=len(x))
    return inputs.frame({**result, "statistic": statistic, "method": "Wilson", "confidence": CONFIDENCE, "note": note})


def rate_ci(
    count, denominator, multiplier: float = 100000, *, data: pd.DataFrame | None = None, group_by: GroupBy = None
) -> pd.DataFrame:
    """Crude rates with Byar's limits (count of 10 or more) or exact Poisson limits (under 10), per phe_rate.

    ``method`` says which was used per row. A negative count or denominator is an error; a zero or missing
    denominator, or a missing count, gives NA with a note.
    """
    inputs = _Inputs([count, denominator], ["count", "denominator"], data, group_by)
    x_rows, n_rows = inputs.rows
    inputs.fail_if(x_rows < 0, "counts must be zero or more; negative")
    inputs.fail_if(n_rows < 0, "denominators must be zero or more; negative")
    x, n = inputs.values
    missing = np.isnan(x) | np.isnan(n)
    zero = ~missing & (n == 0)
    bad = missing | zero
    factor = np.broadcast_to(np.asarray(multiplier, dtype=float), x.shape)
    note = _notes((missing, "count or denominator missing"), (zero, "denominator is zero"), n=len(x))
    return inputs.frame(_scaled_counts(x, factor, n, bad, f"rate per {_multiplier_label(multiplier)}", note))


def _scaled_counts(
    count: np.ndarray, factor: np.ndarray, divisor: np.ndarray, bad: np.ndarray, statistic: str, note
) -> dict[str, object]:
    """Result columns of count x scale (scale = factor / divisor) with its Poisson limits (Byar's, exact under 10), NA
    where ``bad``."""
    tables = count_tables(count)
    if tables is None:
        limits, exact = count_limits(count)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = factor / divisor
        result = {"value": count * scale}
        for label, (lower, upper) in limits.items():
            result[f"lower{label}"], result[f"upper{label}"] = lower * scale, upper * scale
    else:
        top, limits = tables
        result = _in_blocks(_scaled_block, len(count), count, factor, divisor, top=top, limits=limits)
        exact = count < 10
    method = (["Byars", "Exact"], exact.view(np.int8))  # the mask's bytes are its codes: 0 Byars, 1 exact
    return {**_blank(result, bad), "statistic": statistic, "method": method, "confidence": CONFIDENCE, "note": note}


BLOCK = 1 << 15  # rows per block: the blocks' temporaries stay in cache and in memory already mapped


def _in_blocks(block, n: int, *columns: np.ndarray, **options) -> dict[str, np.ndarray]:
    """The result columns (value and limits) of ``block`` over ``columns``, computed ``BLOCK`` rows at a time."""
    out = {name: np.empty(n) for name in LIMIT_COLUMNS}
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, n, BLOCK):
            rows = slice(lo, lo + BLOCK)
            block(*(column[rows] for column in columns), {name: a[rows] for name, a in out.items()}, **options)
    return out


def _proportion_block(x: np.ndarray, n: np.ndarray, out: dict[str, np.ndarray], multiplier: float) -> None:
    np.multiply(x / n, multiplier, out=out["value"])
    for label, (lower, upper) in wilson_levels(x, n).items():
        np.multiply(lower, multiplier, out=out[f"lower{label}"])
        np.multiply(upper, multiplier, out=out[f"upper{label}"])


def _scaled_block(count, factor, divisor, out: dict[str, np.ndarray], top: int, limits) -> None:
    scale = factor / divisor
    index = table_index(count, top)
    np.multiply(count, scale, out=out["value"])
    for label, (lower, upper) in limits.items():
        np.multiply(lower.take(index), scale, out=out[f"lower{label}"])
        np.multiply(upper.take(index), scale, out=out[f"upper{label}"])


def isr(
    observed,
    expected,
    *,
    reference_rate=None,
    refvalue: float = 1,
    multiplier: float = 100000,
    data: pd.DataFrame | None = None,
    group_by: GroupBy = None,
) -> pd.DataFrame:
    """Indirectly standardised ratios (calculate_ISRatio), or rates when ``reference_rate`` is given (calculate_ISRate).

    Ratio = observed / expected x ``refvalue``; rate = observed / expected x ``reference_rate`` (the reference
    population's crude rate, already per ``multiplier``). Limits are Byar's (observed of 10 or more) or exact
    (under 10) on the observed count. Zero or missing expected gives NA with a note.
    """
    inputs = _Inputs([observed, expected], ["observed", "expected"], data, group_by)
    o_rows, e_rows = inputs.rows
    inputs.fail_if(o_rows < 0, "observed counts must be zero or more; negative")
    inputs.fail_if(e_rows < 0, "expected counts must be zero or more; negative")
    o, e = inputs.values
    if reference_rate is None:
        factor = np.full(len(o), float(refvalue))
        statistic = f"indirectly standardised ratio x {_multiplier_label(refvalue)}"
    else:
        factor = np.broadcast_to(np.asarray(reference_rate, dtype=float), o.shape)
        statistic = f"indirectly standardised rate per {_multiplier_label(multiplier)}"
    missing = np.isnan(o) | np.isnan(e) | np.isnan(factor)
    zero = ~missing & (e == 0)
    note = _notes((missing, "observed, expected or reference rate missing"), (zero, "expected is zero"), n=len(o))
    return inputs.frame(_scaled_counts(o, factor, e, missing | zero, statistic, note))


# --- means -----------------------------------------------------------------------------------------------------


def mean_ci(values, *, data: pd.DataFrame | None = None, group_by: GroupBy = None) -> pd.DataFrame:
    """Means with Student's t limits (phe_mean): mean +/- t(n-1) x sd / sqrt(n); fewer than 2 values gives NA.

    ``values`` is an array (one row out), or a column of ``data`` (one row per ``group_by`` group, or one row for
    the whole frame). Missing values are left out; ``n`` counts the values used.
    """
    if data is None:
        if group_by is not None:
            raise TypeError("group_by needs data= (a DataFrame) and a column name")
        v = np.asarray(values, dtype=float)
        v = v[~np.isnan(v)]
        keys = None
        count, mean = np.array([v.size]), np.array([v.mean() if v.size else np.nan])
        sd = np.array([v.std(ddof=1) if v.size > 1 else np.nan])
    else:
        column = _column(data, values)
        if group_by is None:
            return mean_ci(column)
        codes, keys = group_codes(data, group_by)
        g = len(keys)
        present = ~np.isnan(column)
        filled = np.where(present, column, 0.0)
        count = np.bincount(codes, weights=present.astype(float), minlength=g)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(codes, weights=filled, minlength=g) / count
            deviation = np.where(present, column - mean[codes], 0.0)
            sd = np.sqrt(np.bincount(codes, weights=deviation**2, minlength=g) / (count - 1))
    few = count < 2
    with np.errstate(divide="ignore", invalid="ignore"):
        se = sd / np.sqrt(count)
        result = {"value": np.where(count > 0, mean, np.nan)}
        for label, level in LEVELS.items():
            half = t_quantile(1 - (1 - level) / 2, np.where(few, 1, count - 1)) * se
            result[f"lower{label}"] = np.where(few, np.nan, mean - half)
            result[f"upper{label}"] = np.where(few, np.nan, mean + half)
    note = _notes((count == 0, "no values"), (few, "fewer than 2 values"), n=len(count))
    out = {
        "n": count.astype(np.int64),
        "sd": np.where(few, np.nan, sd),
        **result,
        "statistic": "mean",
        "method": "Student's t",
        "confidence": CONFIDENCE,
        "note": note,
    }
    return _finish(out, keys, len(count))
