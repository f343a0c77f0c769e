"""Directly standardised rates of non-independent events (calculate_dsr with independent_events = FALSE).

When people can have several events (admissions, say), the events are not independent Poisson counts. Given, per
age band, the number of people with each event frequency f, PHEindicatormethods takes the DSR of all events
(sum of f x people) and the variance sum over f of f^2 x var(DSR of the people with frequency f), then applies
Dobson's limits with that variance. The events DSR comes from :func:`observatory.stats.methods.dsr`; since Dobson's
limits are value + sqrt(var / total) x (Byar's limit - total), the non-independent limits are the independent
ones moved away from the value by sqrt(var_non-independent / var_independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.stats.inputs import GroupBy, _as_list, _column, _group_sum, group_codes
from observatory.stats.limits import LEVELS
from observatory.stats.standardised import _band_positions, _standard, dsr, normalise_age_band

METHOD = "Dobson, with confidence adjusted for non-independent events"


def _per_band(data: pd.DataFrame, count_col: str, pop_col: str, age_col: str, freq_col: str, keys: list[str]) -> pd.DataFrame:
    """One row per group and age band: events (sum of f x people), f^2 x people, and the band's population."""
    people = np.nan_to_num(_column(data, count_col), nan=0.0)
    freq = _column(data, freq_col)
    population = _column(data, pop_col)
    if np.isnan(freq).any():
        raise ValueError(f"event frequencies in '{freq_col}' must not be missing")
    if (people < 0).any() or (freq < 0).any():
        raise ValueError("counts and event frequencies must be zero or more")
    cells = data[keys].copy()
    cells[age_col] = normalise_age_band(data[age_col]).to_numpy()
    codes, out = group_codes(cells, [*keys, age_col])
    n = len(out)
    highest = np.full(n, -np.inf)
    lowest = np.full(n, np.inf)
    np.maximum.at(highest, codes, np.nan_to_num(population, nan=-1.0))
    np.minimum.at(lowest, codes, np.nan_to_num(population, nan=-1.0))
    if (highest != lowest).any():
        raise ValueError("rows with the same group and age band have different populations")
    out["events"] = _group_sum(codes, people * freq, n)
    out["events_f2"] = _group_sum(codes, people * freq**2, n)
    out[pop_col] = np.where(lowest < 0, np.nan, lowest)
    return out


def dsr_nonindependent(
    data: pd.DataFrame, count_col: str, pop_col: str, age_col: str, eventfreq_col: str, group_by: GroupBy = None, **options
) -> pd.DataFrame:
    """DSRs of events where people can have more than one (calculate_dsr, independent_events = FALSE).

    Each row gives, for a group and age band, the number of people (``count_col``) with ``eventfreq_col`` events;
    the population must be the same on every row of a group and band. Returns :func:`dsr`'s columns for the
    events (``total_count`` is the number of events) with the limits widened for non-independence. NA and notes
    as :func:`dsr` (e.g. fewer than 10 events in total). ``options`` are :func:`dsr`'s ``standard`` and ``multiplier``.
    """
    keys = _as_list(group_by)
    cells = _per_band(data, count_col, pop_col, age_col, eventfreq_col, keys)
    result = dsr(cells, "events", pop_col, age_col, group_by, **options)
    weights = _standard(options.get("standard"))
    w = weights.to_numpy()[_band_positions(cells, age_col, weights.index, "standard population")]
    population = cells[pop_col].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(cells["events"].to_numpy() == 0, 0.0, (w / population) ** 2)
    codes = group_codes(cells, group_by)[0] if keys else np.zeros(len(cells), dtype=np.intp)
    n_groups = len(result)
    variance = np.bincount(codes, weights=cells["events_f2"].to_numpy() * share, minlength=n_groups)
    independent = np.bincount(codes, weights=cells["events"].to_numpy() * share, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        widen = np.sqrt(variance / independent)
    value = result["value"].to_numpy()
    for label in LEVELS:
        for side in ("lower", "upper"):
            column = f"{side}{label}"
            result[column] = value + (result[column].to_numpy() - value) * widen
    result["method"] = pd.Categorical.from_codes(np.zeros(n_groups, dtype=np.int8), categories=[METHOD])
    return result
