"""Indicator values with 95% and 99.8% confidence limits, by the methods of PHEindicatormethods and Fingertips.

One function per method. Each takes arrays (or column names with ``data=``, optionally ``group_by`` to get one row
per group) and returns a DataFrame with ``value, lower95, upper95, lower998, upper998, statistic, method, confidence,
note``: both confidence levels in one call, and ``note`` saying why a value is missing ("" when it is not).
Everything is vectorised with numpy; no Python loop runs per row or per group.

Methods (Fingertips technical guidance, "Confidence intervals"):
- proportions: Wilson score;
- crude rates and indirectly standardised ratios/rates: Byar's method for counts of 10 or more, the exact Poisson
  (chi-squared) method below 10;
- directly standardised rates: Dobson's method on Byar's limits for the total count, not calculated when the total
  count is under 10, with the 2013 European Standard Population joined to the data by age-band key;
- means: Student's t;
- slope and relative index of inequality: weighted regression on cumulative population rank, limits by simulation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.special import ndtri

from observatory._core.resources import resource

LEVELS = {"95": 0.95, "998": 0.998}
CONFIDENCE = "95%, 99.8%"
RESULT_COLUMNS = ["value", "lower95", "upper95", "lower998", "upper998", "statistic", "method", "confidence", "note"]
MIN_DSR_COUNT = 10

Array = np.ndarray
GroupBy = str | Sequence[str] | None


def z_value(level: float) -> float:
    """Two-sided standard normal critical value: 1.96 for 0.95, 3.09 for 0.998."""
    return float(ndtri(1 - (1 - level) / 2))


# --- limits for counts and proportions -------------------------------------------------------------------------


def wilson_limits(x: Array, n: Array, level: float) -> tuple[Array, Array]:
    """Wilson score limits for the proportion x/n (Wilson 1927; Newcombe & Altman 2000)."""
    z = z_value(level)
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z * z + 4 * x * (1 - x / n))
        denominator = 2 * (n + z * z)
        return (2 * x + z * z - root) / denominator, (2 * x + z * z + root) / denominator


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
        lower = np.where(counts > 0, sps.chi2.ppf(alpha / 2, 2 * np.where(counts > 0, counts, 1)) / 2, 0.0)
        upper = sps.chi2.ppf(1 - alpha / 2, 2 * counts + 2) / 2
    return lower[position].reshape(x.shape), upper[position].reshape(x.shape)


def poisson_limits(x: Array, level: float) -> tuple[Array, Array, Array]:
    """Limits of an observed count as Fingertips computes them: exact below 10, Byar's from 10, plus the exact mask."""
    x = np.asarray(x, dtype=float)
    exact = x < 10
    lower, upper = byars_limits(x, level)
    if exact.any():
        lo, up = exact_poisson_limits(x[exact], level)
        lower[exact], upper[exact] = lo, up
    return lower, upper, exact


# --- inputs and outputs ----------------------------------------------------------------------------------------


def _as_list(group_by: GroupBy) -> list[str]:
    if group_by is None:
        return []
    return [group_by] if isinstance(group_by, str) else list(group_by)


def group_codes(data: pd.DataFrame, group_by: GroupBy) -> tuple[Array, pd.DataFrame]:
    """Integer group codes per row (sorted key order) and the frame of group keys, one row per code."""
    keys = _as_list(group_by)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise KeyError(f"group_by columns not in the data: {missing}")
    if not keys:
        raise ValueError("group_by names no columns")
    codes, size = np.zeros(len(data), dtype=np.int64), 1
    for key in keys:
        key_codes, uniques = pd.factorize(data[key], sort=True, use_na_sentinel=False)
        codes, size = codes * len(uniques) + key_codes, size * len(uniques)
        if size > max(8 * len(data), 1 << 20):
            size, codes = _dense(codes)
    size, codes = _dense(codes, size)
    first = np.zeros(size, dtype=np.intp)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return codes, data[keys].iloc[first].reset_index(drop=True)


def _dense(codes: Array, size: int | None = None) -> tuple[int, Array]:
    """Relabel integer codes 0..k-1 keeping their order: by counting when the range is small, else by sorting."""
    if size is not None and size <= max(8 * len(codes), 1 << 20):
        used = np.bincount(codes, minlength=size) > 0
        relabel = np.cumsum(used) - 1
        return int(used.sum()), relabel[codes].astype(np.intp)
    uniques, inverse = np.unique(codes, return_inverse=True)
    return len(uniques), inverse.astype(np.intp)


def _column(data: pd.DataFrame, name: str) -> Array:
    if name not in data.columns:
        raise KeyError(f"column '{name}' is not in the data (columns: {list(data.columns)})")
    return data[name].to_numpy(dtype=float, na_value=np.nan)


def _group_sum(codes: Array, values: Array, n_groups: int) -> Array:
    """Sum per group skipping NaN; NaN where every value in the group is missing."""
    present = ~np.isnan(values)
    total = np.bincount(codes, weights=np.where(present, values, 0.0), minlength=n_groups)
    counted = np.bincount(codes, weights=present.astype(float), minlength=n_groups)
    return np.where(counted > 0, total, np.nan)


def _describe(labels: Sequence, limit: int = 10) -> str:
    shown = ", ".join(str(label) for label in labels[:limit])
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return shown + more


class _Inputs:
    """Arrays for the named inputs, either per row or summed per group, with labels for error messages."""

    def __init__(
        self, columns: Sequence, names: Sequence[str], data: pd.DataFrame | None, group_by: GroupBy, sum_groups: bool = True
    ):
        self.keys: pd.DataFrame | None = None
        self.codes: Array | None = None
        if data is None:
            if group_by is not None:
                raise TypeError("group_by needs data= (a DataFrame) and column names")
            arrays = [np.atleast_1d(np.asarray(c, dtype=float)) for c in columns]
            lengths = {len(a) for a in arrays}
            if len(lengths) > 1:
                raise ValueError(f"{', '.join(names)} must have the same length (got {sorted(lengths)})")
            series = [c for c in columns if isinstance(c, pd.Series)]
            self.index = series[0].index if series else pd.RangeIndex(len(arrays[0]))
            self.rows = arrays
        else:
            self.rows = [_column(data, c) for c in columns]
            self.index = data.index
            if group_by is not None:
                self.codes, self.keys = group_codes(data, group_by)
        self.columns = [c if isinstance(c, str) else n for c, n in zip(columns, names)]
        if self.keys is not None and sum_groups:
            self.values = [_group_sum(self.codes, a, len(self.keys)) for a in self.rows]
        else:
            self.values = self.rows

    def where(self, row_mask: Array) -> str:
        """Describe the rows (or groups) where row_mask holds."""
        positions = np.flatnonzero(row_mask)
        if self.keys is None:
            return "at rows " + _describe(list(self.index[positions]))
        groups = self.keys.iloc[np.unique(self.codes[positions])]
        return "in groups " + _describe([tuple(r) if len(r) > 1 else r[0] for r in groups.itertuples(index=False)])

    def fail_if(self, row_mask: Array, message: str) -> None:
        if row_mask.any():
            raise ValueError(f"{message} {self.where(row_mask)}")

    def frame(self, columns: dict[str, object]) -> pd.DataFrame:
        if self.keys is None:
            return _finish(columns, None, len(self.index)).set_axis(self.index)
        sums = {col: v for col, v in zip(self.columns, self.values) if col not in self.keys.columns}
        return _finish({**sums, **columns}, self.keys, len(self.keys))


def _finish(columns: dict[str, object], keys: pd.DataFrame | None, n: int) -> pd.DataFrame:
    """The result frame: text given as a string or (categories, codes) becomes categorical; group keys first."""
    frame = pd.DataFrame({k: _text(v, n) if isinstance(v, (str, tuple)) else v for k, v in columns.items()})
    return frame if keys is None else pd.concat([keys, frame], axis=1)


def _text(value: str | tuple[Sequence[str], Array], n: int) -> pd.Categorical:
    """A categorical text column: a constant string, or (categories, integer codes)."""
    if isinstance(value, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])
    categories, codes = value
    used = np.unique(codes)
    remap = np.zeros(len(categories), dtype=np.int8)
    remap[used] = np.arange(len(used))
    return pd.Categorical.from_codes(remap[codes], categories=[categories[i] for i in used])


def _notes(*conditions: tuple[Array, str], n: int) -> tuple[list[str], Array]:
    """Note codes: the first matching reason wins; "" otherwise."""
    reasons = [""]
    codes = np.zeros(n, dtype=np.int8)
    for mask, reason in reversed(conditions):
        reasons.append(reason)
        codes[mask] = len(reasons) - 1
    return reasons, codes


def _blank(values: dict[str, Array], mask: Array) -> dict[str, Array]:
    return {k: np.where(mask, np.nan, v) for k, v in values.items()}


def _multiplier_label(multiplier: float) -> str:
    return f"{multiplier:,.0f}".replace(",", "") if float(multiplier).is_integer() else f"{multiplier:g}"


# --- proportions and rates -------------------------------------------------------------------------------------


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
    with np.errstate(divide="ignore", invalid="ignore"):
        value = x / n * multiplier
    limits = {}
    for label, level in LEVELS.items():
        lower, upper = wilson_limits(x, n, level)
        limits[f"lower{label}"], limits[f"upper{label}"] = lower * multiplier, upper * multiplier
    result = _blank({"value": value, **limits}, bad)
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
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = multiplier / n
        result = {"value": x * scale}
        for label, level in LEVELS.items():
            lower, upper, exact = poisson_limits(x, level)
            result[f"lower{label}"], result[f"upper{label}"] = lower * scale, upper * scale
    result = _blank(result, bad)
    method = (["Byars", "Exact"], exact.astype(np.int8))
    note = _notes((missing, "count or denominator missing"), (zero, "denominator is zero"), n=len(x))
    return inputs.frame(
        {
            **result,
            "statistic": f"rate per {_multiplier_label(multiplier)}",
            "method": method,
            "confidence": CONFIDENCE,
            "note": note,
        }
    )


# --- standardisation -------------------------------------------------------------------------------------------


def normalise_age_band(labels: pd.Series | Sequence[str]) -> pd.Series:
    """Canonical age-band keys: "0-4", "5-9", ..., "90+" from variants like "Age 0 - 4", "00-04", "90 and over"."""
    labels = pd.Series(labels, dtype="string")
    uniques = labels.dropna().unique()
    mapping = {u: _band_key(str(u)) for u in uniques}
    return labels.map(mapping).astype("string")


def _band_key(label: str) -> str:
    s = label.strip().lower().replace("\u2013", "-").replace("\u2014", "-")
    s = re.sub(r"^(age[sd]?|aged)\b", "", s)
    s = re.sub(r"(years?|yrs?)$", "", s.strip())
    s = re.sub(r"\s+to\s+", "-", s)
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"(andover|andolder|plus|\+)$", "+", s)
    return re.sub(r"(?<!\d)0+(?=\d)", "", s)


@lru_cache(maxsize=1)
def _esp2013() -> pd.Series:
    table = pd.read_csv(resource("standard_populations", "esp2013.csv"), dtype={"age_band": "string"})
    return pd.Series(table["weight"].to_numpy(dtype=float), index=pd.Index(table["age_band"], dtype="string"), name="esp2013")


def european_standard_population() -> pd.Series:
    """The 2013 European Standard Population: weights (summing to 100,000) indexed by age band "0-4" ... "90+"."""
    return _esp2013().copy()


def _standard(standard) -> pd.Series:
    if standard is None:
        return _esp2013()
    if isinstance(standard, pd.DataFrame):
        if standard.shape[1] != 2:
            raise ValueError("a standard population frame needs two columns: age band and weight")
        standard = pd.Series(standard.iloc[:, 1].to_numpy(dtype=float), index=standard.iloc[:, 0])
    elif isinstance(standard, Mapping):
        standard = pd.Series(dict(standard), dtype=float)
    keys = normalise_age_band(list(standard.index))
    if keys.duplicated().any():
        raise ValueError(f"standard population has repeated age bands: {sorted(set(keys[keys.duplicated()]))}")
    return pd.Series(standard.to_numpy(dtype=float), index=pd.Index(keys, dtype="string"))


def _band_positions(data: pd.DataFrame, age_col: str, bands: pd.Index, what: str) -> Array:
    if age_col not in data.columns:
        raise KeyError(f"column '{age_col}' is not in the data")
    keys = normalise_age_band(data[age_col])
    position = bands.get_indexer(keys.fillna("<missing>"))
    if (position < 0).any():
        unknown = sorted(set(data[age_col][position < 0].astype("string").fillna("<missing>")))
        raise ValueError(f"age bands not in the {what}: {unknown} (known bands: {', '.join(bands)})")
    return position


def dsr(
    data: pd.DataFrame,
    count_col: str,
    pop_col: str,
    age_col: str,
    group_by: GroupBy = None,
    standard: pd.Series | pd.DataFrame | Mapping[str, float] | None = None,
    multiplier: float = 100000,
) -> pd.DataFrame:
    """Directly standardised rates with Dobson limits (phe_dsr / calculate_dsr), one row per group.

    The standard population (default: 2013 ESP) is joined by age-band key, never by position; an age band the
    standard does not know, or a group missing or repeating a band, is an error naming them. Missing counts count as
    zero (as PHEindicatormethods does). Groups whose total count is under 10 get NA with the note "total count under
    10" (Fingertips does not publish them); a missing population, or events in a band with zero population, give NA
    with a note. Limits are Byar's limits on the total count, scaled by Dobson's method.
    """
    weights = _standard(standard)
    band = _band_positions(data, age_col, weights.index, "standard population")
    rows = _Inputs([count_col, pop_col], ["count", "population"], data, group_by, sum_groups=False)
    x_rows, n_rows = rows.rows
    if group_by is None:
        codes, keys = np.zeros(len(data), dtype=np.intp), pd.DataFrame(index=[0])
    else:
        codes, keys = rows.codes, rows.keys
    n_groups, n_bands = len(keys), len(weights)
    rows.fail_if(x_rows < 0, "counts must be zero or more; negative")
    rows.fail_if(n_rows < 0, "populations must be zero or more; negative")

    cell = codes * n_bands + band
    seen = np.bincount(cell, minlength=n_groups * n_bands).reshape(n_groups, n_bands)
    for problem, mask in (("missing", seen == 0), ("repeated", seen > 1)):
        if mask.any():
            where = [f"{_key_label(keys, g)}: {list(weights.index[mask[g]])}" for g in np.flatnonzero(mask.any(1))]
            raise ValueError(f"age bands {problem} (each group needs each standard band once): {_describe(where, 5)}")

    x = np.zeros((n_groups, n_bands))
    n = np.zeros((n_groups, n_bands))
    x[codes, band] = np.nan_to_num(x_rows, nan=0.0)
    n[codes, band] = n_rows
    w = weights.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(x == 0, 0.0, w / n)
        value = (x * ratio).sum(1) / w.sum() * multiplier
        variance = (x * ratio**2).sum(1) / w.sum() ** 2
        total = x.sum(1)
        result = {"value": value}
        for label, level in LEVELS.items():
            lower, upper = byars_limits(total, level)
            spread = np.sqrt(variance / total) * multiplier
            result[f"lower{label}"] = value + spread * (lower - total)
            result[f"upper{label}"] = value + spread * (upper - total)
    missing_pop = np.isnan(n).any(1)
    zero_pop = ((n == 0) & (x > 0)).any(1)
    small = total < MIN_DSR_COUNT
    result = _blank(result, missing_pop | zero_pop | small)
    note = _notes(
        (missing_pop, "population missing"),
        (zero_pop, "events in an age band with zero population"),
        (small, "total count under 10"),
        n=n_groups,
    )
    out = {
        "total_count": total,
        "total_pop": np.nansum(n, axis=1),
        **result,
        "statistic": f"dsr per {_multiplier_label(multiplier)}",
        "method": "Dobson",
        "confidence": CONFIDENCE,
        "note": note,
    }
    return _finish(out, keys if group_by is not None else None, n_groups)


def _key_label(keys: pd.DataFrame, g: int) -> str:
    row = tuple(keys.iloc[g])
    return str(row[0] if len(row) == 1 else row)


def expected_counts(
    data: pd.DataFrame,
    pop_col: str,
    age_col: str,
    reference: pd.DataFrame,
    group_by: GroupBy = None,
    count_col: str | None = None,
) -> pd.DataFrame:
    """Expected events: local populations times reference age-specific rates, joined by age-band key, summed per group.

    ``reference`` has an ``age_band`` column and either ``rate`` (events per person) or ``count`` and
    ``population``. With ``count_col`` the observed events are summed too, ready for :func:`isr`.
    """
    if "age_band" not in reference.columns:
        raise KeyError("reference needs an 'age_band' column")
    if "rate" in reference.columns:
        rate = reference["rate"].to_numpy(dtype=float)
    elif {"count", "population"} <= set(reference.columns):
        rate = reference["count"].to_numpy(dtype=float) / reference["population"].to_numpy(dtype=float)
    else:
        raise KeyError("reference needs a 'rate' column, or 'count' and 'population' columns")
    bands = pd.Index(normalise_age_band(reference["age_band"]), dtype="string")
    if bands.duplicated().any():
        raise ValueError(f"reference has repeated age bands: {sorted(set(bands[bands.duplicated()]))}")
    position = _band_positions(data, age_col, bands, "reference")
    expected = _column(data, pop_col) * rate[position]
    frame = data[_as_list(group_by)].copy() if group_by is not None else pd.DataFrame(index=data.index)
    frame["expected"] = expected
    if count_col is not None:
        frame["observed"] = _column(data, count_col)
    if group_by is None:
        return pd.DataFrame({c: [np.nansum(frame[c].to_numpy())] for c in frame.columns})
    codes, keys = group_codes(frame, group_by)
    sums = {
        c: _group_sum(codes, frame[c].to_numpy(dtype=float), len(keys)) for c in ("observed", "expected") if c in frame.columns
    }
    return pd.concat([keys, pd.DataFrame(sums)], axis=1)


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
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = factor / e
        result = {"value": o * scale}
        for label, level in LEVELS.items():
            lower, upper, exact = poisson_limits(o, level)
            result[f"lower{label}"], result[f"upper{label}"] = lower * scale, upper * scale
    result = _blank(result, missing | zero)
    note = _notes((missing, "observed, expected or reference rate missing"), (zero, "expected is zero"), n=len(o))
    return inputs.frame(
        {
            **result,
            "statistic": statistic,
            "method": (["Byars", "Exact"], exact.astype(np.int8)),
            "confidence": CONFIDENCE,
            "note": note,
        }
    )


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
            half = sps.t.ppf(1 - (1 - level) / 2, np.where(few, 1, count - 1)) * se
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


# --- inequality ------------------------------------------------------------------------------------------------

_TRANSFORMS = {
    "other": (lambda v: v, lambda t: t),
    "rate": (np.log, np.exp),
    "proportion": (lambda v: np.log(v / (1 - v)), lambda t: 1 / (1 + np.exp(-t))),
}
_SII_CELLS = 4_000_000


def sii(
    data: pd.DataFrame,
    value_col: str,
    population_col: str,
    quantile_col: str,
    group_by: GroupBy = None,
    *,
    lower_col: str | None = None,
    upper_col: str | None = None,
    se_col: str | None = None,
    value_type: str = "other",
    multiplier: float = 1,
    repetitions: int = 10_000,
    seed: int = 0,
    min_quantiles: int = 5,
) -> pd.DataFrame:
    """Slope and relative index of inequality (phe_sii; Low & Low 2004), one row per group.

    Quantiles are ranked by their ``quantile_col`` order (1 = most deprived first, as PHEindicatormethods expects)
    and placed at the midpoint of their share of the cumulative population; the SII is the slope of a regression of
    value on that rank weighted by population share, the RII the fitted value at rank 1 over that at rank 0.
    Limits come from ``repetitions`` simulations with a seeded numpy Generator: each quantile's value is drawn from
    Normal(value, se) on the log (``value_type="rate"``) or logit (``"proportion"``, values in 0-1) scale, where se is
    ``se_col`` or (upper95 - lower95) / (2 x 1.96) on that scale, and limits are the simulated percentiles at the
    positions PHEindicatormethods uses. The SII and its limits are multiplied by ``multiplier``; a negative
    multiplier inverts the RII.

    Quantiles without a usable value, limits or positive population are left out; a group with fewer than
    ``min_quantiles`` usable quantiles gets NA and a note (PHEindicatormethods instead drops any group missing a
    quantile).
    """
    if value_type not in _TRANSFORMS:
        raise ValueError(f"value_type must be one of {list(_TRANSFORMS)}, not {value_type!r}")
    if se_col is None and (lower_col is None or upper_col is None):
        raise ValueError("sii needs se_col, or lower_col and upper_col (95% limits)")
    if repetitions < 1000:
        raise ValueError("repetitions must be 1000 or more")
    forward, back = _TRANSFORMS[value_type]
    codes, keys = (
        group_codes(data, group_by) if group_by is not None else (np.zeros(len(data), dtype=np.intp), pd.DataFrame(index=[0]))
    )
    n_groups = len(keys)
    value = _column(data, value_col)
    population = _column(data, population_col)
    quantile = data[quantile_col].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        transformed = forward(value)
        if se_col is not None:
            se = _column(data, se_col)
        else:
            se = (forward(_column(data, upper_col)) - forward(_column(data, lower_col))) / (2 * z_value(0.95))
    usable = np.isfinite(value) & np.isfinite(transformed) & np.isfinite(se) & (se >= 0) & (population > 0)

    order = np.lexsort((quantile, codes))
    order = order[usable[order]]
    g_codes = codes[order]
    if len(order) > 1:
        same = (g_codes[1:] == g_codes[:-1]) & (quantile[order][1:] == quantile[order][:-1])
        if same.any():
            repeated = sorted({_key_label(keys, g) for g in g_codes[1:][same]})
            raise ValueError(f"quantiles repeated within groups {_describe(repeated)}")
    k = np.bincount(g_codes, minlength=n_groups)

    out = {
        name: np.full(n_groups, np.nan)
        for name in (
            "value",
            "lower95",
            "upper95",
            "lower998",
            "upper998",
            "rii",
            "rii_lower95",
            "rii_upper95",
            "rii_lower998",
            "rii_upper998",
        )
    }
    rng = np.random.default_rng(seed)
    start = np.concatenate([[0], np.cumsum(k)[:-1]])
    for size in np.unique(k[k >= max(min_quantiles, 2)]):
        groups = np.flatnonzero(k == size)
        rows = order[start[groups][:, None] + np.arange(size)]
        share = population[rows] / population[rows].sum(1, keepdims=True)
        rank = np.cumsum(share, axis=1) - share / 2
        centre = (share * rank).sum(1, keepdims=True)
        spread = (share * (rank - centre) ** 2).sum(1, keepdims=True)
        slope_w = share * (rank - centre) / spread
        intercept_w = share - centre * slope_w
        slope = (slope_w * value[rows]).sum(1)
        intercept = (intercept_w * value[rows]).sum(1)
        out["value"][groups] = slope * multiplier
        out["rii"][groups] = _rii(intercept, slope, multiplier)
        chunk = max(1, _SII_CELLS // (size * repetitions))
        for lo in range(0, len(groups), chunk):
            part = slice(lo, lo + chunk)
            r = rows[part]
            draws = back(rng.normal(transformed[r][:, :, None], se[r][:, :, None], size=(*r.shape, repetitions)))
            sim_slope = np.einsum("gk,gkr->gr", slope_w[part], draws)
            sim_intercept = np.einsum("gk,gkr->gr", intercept_w[part], draws)
            with np.errstate(divide="ignore", invalid="ignore"):
                sims = {"": sim_slope * multiplier, "rii_": _rii(sim_intercept, sim_slope, multiplier)}
            for prefix, sim in sims.items():
                for label, level in LEVELS.items():
                    lo_pos, up_pos = _percentile_positions(repetitions, level)
                    picked = np.partition(sim, [lo_pos, up_pos], axis=1)
                    out[f"{prefix}lower{label}"][groups[part]] = picked[:, lo_pos]
                    out[f"{prefix}upper{label}"][groups[part]] = picked[:, up_pos]
    few = k < max(min_quantiles, 2)
    note = _notes((few, f"fewer than {min_quantiles} quantiles with usable data"), n=n_groups)
    columns = {
        **out,
        "n_quantiles": k.astype(np.int64),
        "statistic": "slope index of inequality",
        "method": f"simulation, {repetitions} repetitions",
        "confidence": CONFIDENCE,
        "note": note,
    }
    return _finish(columns, keys if group_by is not None else None, n_groups)


def _rii(intercept: Array, slope: Array, multiplier: float) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        rii = (intercept + slope) / intercept
    return 1 / rii if multiplier < 0 else rii


def _percentile_positions(repetitions: int, level: float) -> tuple[int, int]:
    """Zero-based positions of the limits in the sorted simulations, rounded as R's round() does (half to even)."""
    tail = (1 - level) / 2
    return int(np.round(repetitions * tail)) - 1, int(np.round(repetitions * (1 - tail))) - 1
