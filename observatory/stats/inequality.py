"""Slope and relative index of inequality (phe_sii), limits by seeded simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.stats.inputs import GroupBy, _column, _describe, _finish, _key_label, _notes, group_codes
from observatory.stats.limits import CONFIDENCE, LEVELS, Array, z_value

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
