"""Directly standardised rates (Dobson) and expected counts, joined to a standard population by age band."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from observatory._core.resources import resource
from observatory.stats.inputs import (
    GroupBy,
    _as_list,
    _blank,
    _column,
    _describe,
    _finish,
    _group_sum,
    _Inputs,
    _key_label,
    _multiplier_label,
    _notes,
    group_codes,
)
from observatory.stats.limits import CONFIDENCE, LEVELS, Array, byars_limits

MIN_DSR_COUNT = 10


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
