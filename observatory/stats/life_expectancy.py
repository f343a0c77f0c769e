"""Life expectancy from an abridged life table (Chiang II) with Silcocks' variance, as phe_life_expectancy.

One row per group and age band (or per requested ``le_age``): life expectancy at the start of the band with 95%
and 99.8% limits, the cumulative population and deaths it rests on, and ``note`` saying why a value is NA.
Vectorised over groups: the life table of every group is one row of a (groups x bands) array.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from observatory.stats.methods import CONFIDENCE, LEVELS, GroupBy, _column, _finish, _notes, group_codes, z_value

DEFAULT_AGES: tuple[int, ...] = (0, 1, *range(5, 95, 5))
RADIX = 100_000.0
METHOD = "Chiang, using Silcocks et al for confidence limits"


def _labels(values) -> pd.Series:
    """Age-band labels as text; whole numbers without a decimal point, so 0, 0.0 and "0" agree."""
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series):
        return series.map(lambda v: f"{v:g}" if pd.notna(v) else "<missing>")
    return series.astype("string").str.strip().fillna("<missing>").astype(str)


def _start_ages(labels: Sequence[str]) -> np.ndarray:
    starts = []
    for label in labels:
        found = re.match(r"\D*(\d+)", label)
        if found is None:
            raise ValueError(f"age band {label!r} has no start age")
        starts.append(int(found.group(1)))
    starts = np.array(starts, dtype=float)
    if starts[0] != 0:
        raise ValueError("the first age band in age_contents must start at 0")
    if (np.diff(starts) <= 0).any():
        wrong = [labels[i + 1] for i in np.flatnonzero(np.diff(starts) <= 0)]
        raise ValueError(f"age_contents must be in ascending order of start age; out of place: {wrong}")
    return starts


def life_table(deaths: np.ndarray, pops: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Life expectancy and its standard error at the start of each band, one life table per row (Chiang II).

    The last band is open: its length is 2/M and its person-years l/M, and its variance term is Silcocks'
    4 / (deaths x M^2) rather than Chiang's zero.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        m = deaths / pops
        width = np.broadcast_to(np.append(np.diff(starts), np.nan), m.shape).copy()
        width[:, -1] = 2 / m[:, -1]
        a = np.where(starts == 0, 0.1, 0.5)
        q = np.where(deaths <= pops / width / a, m * width / (1 + m * width * (1 - a)), 1.0)
        survivors = RADIX * np.cumprod(np.column_stack([np.ones(len(m)), 1 - q[:, :-1]]), axis=1)
        following = np.column_stack([survivors[:, 1:], np.zeros(len(m))])
        dying = survivors - following
        years = width * (following + a * dying)
        years[:, -1] = survivors[:, -1] / m[:, -1]
        remaining = np.cumsum(years[:, ::-1], axis=1)[:, ::-1]
        expectancy = np.where(survivors == 0, 0.0, remaining / survivors)
        var_q = np.where(dying == 0, 0.0, q**2 * (1 - q) / deaths)
        var_q[:, -1] = 4 / (deaths[:, -1] * m[:, -1] ** 2)
        next_e = np.column_stack([expectancy[:, 1:], np.zeros(len(m))])
        weighted = var_q * survivors**2 * ((1 - a) * width + next_e) ** 2
        weighted[:, -1] = (survivors[:, -1] / 2) ** 2 * var_q[:, -1]
        se = np.sqrt(np.cumsum(weighted[:, ::-1], axis=1)[:, ::-1] / survivors**2)
    return expectancy, se


def _band_matrix(band: np.ndarray, codes: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.full(shape, np.nan)
    out[codes, band] = values
    return out


def life_expectancy(
    data: pd.DataFrame,
    deaths_col: str,
    pop_col: str,
    age_col: str,
    group_by: GroupBy = None,
    *,
    age_contents: Sequence = DEFAULT_AGES,
    le_age: str | object | Sequence = "all",
    min_population: float = 5000,
    max_ci_width: float = 20,
) -> pd.DataFrame:
    """Life expectancy at the start of each age band with 95% and 99.8% limits (phe_life_expectancy).

    ``age_contents`` lists the band labels in ascending order (default 0, 1, 5, ..., 90 meaning 0, 1-4, ..., 90+;
    any open top band such as 85+ works); each group needs each band once. ``le_age`` picks the bands to return
    ("all", one label or a list). Whole groups are NA with a note, as PHEindicatormethods suppresses them, for
    negative deaths, a population of zero or less in a band, missing or repeated bands, more deaths than
    population in a band, or a total population of ``min_population`` or less; values whose 95% interval is wider
    than ``max_ci_width`` years are NA (limits kept). A group with no deaths in the top band is NA throughout.
    """
    contents = list(_labels(list(age_contents)))
    starts = _start_ages(contents)
    labels = _labels(data[age_col].to_numpy())
    band = pd.Index(contents).get_indexer(labels)
    if (band < 0).any():
        raise ValueError(f"age bands not in age_contents: {sorted(set(labels[band < 0]))} (age_contents: {contents})")
    if group_by is None:
        codes, keys = np.zeros(len(data), dtype=np.intp), None
        n_groups = 1
    else:
        codes, keys = group_codes(data, group_by)
        n_groups = len(keys)
    shape = (n_groups, len(contents))
    deaths = _band_matrix(band, codes, _column(data, deaths_col), shape)
    pops = _band_matrix(band, codes, _column(data, pop_col), shape)
    seen = np.bincount(codes * shape[1] + band, minlength=shape[0] * shape[1]).reshape(shape)

    expectancy, se = life_table(deaths, pops, starts)
    rows = {"value": expectancy.ravel()}
    for label, level in LEVELS.items():
        rows[f"lower{label}"] = (expectancy - z_value(level) * se).ravel()
        rows[f"upper{label}"] = (expectancy + z_value(level) * se).ravel()
    reasons = _group_reasons(deaths, pops, seen, min_population)
    group_bad = np.logical_or.reduce([mask for mask, _ in reasons])
    no_top_deaths = ~group_bad & ~(deaths[:, -1] > 0)
    whole = np.repeat(group_bad | no_top_deaths, shape[1])
    wide = ~whole & (2 * z_value(0.95) * se.ravel() > max_ci_width)
    rows = {k: np.where(whole | (wide & (k == "value")), np.nan, v) for k, v in rows.items()}
    note = _notes(
        *[(np.repeat(mask, shape[1]), reason) for mask, reason in reasons],
        (np.repeat(no_top_deaths, shape[1]), "no deaths in the top age band"),
        (wide, f"95% confidence interval wider than {max_ci_width:g} years"),
        n=expectancy.size,
    )
    used = {
        "pops_used": np.cumsum(pops[:, ::-1], axis=1)[:, ::-1].ravel(),
        "dths_used": np.cumsum(deaths[:, ::-1], axis=1)[:, ::-1].ravel(),
    }
    band_codes = np.tile(np.arange(shape[1]), n_groups)
    columns = {
        age_col: np.array(contents, dtype=object)[band_codes],
        **rows,
        **used,
        "statistic": ([f"life expectancy at {c}" for c in contents], band_codes),
        "method": METHOD,
        "confidence": CONFIDENCE,
        "note": note,
    }
    group_keys = None if keys is None else keys.loc[np.repeat(np.arange(n_groups), shape[1])].reset_index(drop=True)
    out = _finish(columns, group_keys, expectancy.size)
    return out[_chosen(le_age, contents, band_codes)].reset_index(drop=True)


def _group_reasons(deaths: np.ndarray, pops: np.ndarray, seen: np.ndarray, min_population: float) -> list[tuple[np.ndarray, str]]:
    """Whole-group suppression reasons in PHEindicatormethods' order of checking."""
    complete = (seen == 1).all(1)
    with np.errstate(invalid="ignore"):
        return [
            (complete & np.isnan(deaths + pops).any(1), "deaths or population missing"),
            (complete & (deaths < 0).any(1), "negative deaths in an age band"),
            (complete & (pops <= 0).any(1), "population zero or less in an age band"),
            (~complete, "age bands missing or repeated"),
            (complete & (deaths > pops).any(1), "more deaths than population in an age band"),
            (complete & ~(np.nansum(pops, axis=1) > min_population), f"total population {min_population:,.0f} or less"),
        ]


def _chosen(le_age, contents: list[str], band_codes: np.ndarray) -> np.ndarray:
    """Row mask for the requested ages: "all", one band label or several."""
    if isinstance(le_age, str) and le_age == "all":
        return np.ones(len(band_codes), dtype=bool)
    wanted = list(_labels(list(np.atleast_1d(np.asarray(le_age, dtype=object)))))
    unknown = [w for w in wanted if w not in contents]
    if unknown:
        raise ValueError(f"le_age {unknown} not in age_contents ({contents})")
    return np.isin(band_codes, [contents.index(w) for w in wanted])
