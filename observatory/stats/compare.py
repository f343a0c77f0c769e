"""Benchmark comparison and quintiles, the way Fingertips computes them (their colours: ``present.palette``).

A value is significantly higher than its benchmark when its lower confidence limit is above the benchmark value,
lower when its upper limit is below it, and similar otherwise (Fingertips' "confidence intervals overlapping the
reference value" method). Polarity turns higher/lower into better/worse; indicators with no judgement stay
higher/lower and are coloured blue. All functions are vectorised over rows; polarity may vary per row.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

from observatory._core.vocab import COMPARISONS, NOT_COMPARED, Polarity
from observatory.stats.inputs import _used_codes

HIGH, LOW, NONE = 0, 1, 2
_POLARITY_SYNONYMS = {
    "high_is_good": HIGH,
    "high is good": HIGH,
    "rag - high is good": HIGH,
    "higher is better": HIGH,
    "low_is_good": LOW,
    "low is good": LOW,
    "rag - low is good": LOW,
    "lower is better": LOW,
    "no_judgement": NONE,
    "no judgement": NONE,
    "not applicable": NONE,
    "bob - blue orange blue": NONE,
    "blue orange blue": NONE,
    "none": NONE,
}

SINGLE = list(COMPARISONS)


def _strong_to_weak(up: str, down: str) -> list[str]:
    """Two-level labels from strongly ``up`` to strongly ``down``: "better (99.8%)", "better (95%)", "worse (95%)"..."""
    return [f"{up} (99.8%)", f"{up} (95%)", f"{down} (95%)", f"{down} (99.8%)"]


_JUDGED = _strong_to_weak("better", "worse")
BOTH = [*_JUDGED[:2], "similar", *_JUDGED[2:], *_strong_to_weak("higher", "lower"), NOT_COMPARED]

QUINTILE_LABELS = {
    HIGH: ["best", "better", "middle", "worse", "worst"],
    LOW: ["best", "better", "middle", "worse", "worst"],
    NONE: ["lowest", "low", "middle", "high", "highest"],
}


def normalise_polarity(polarity, n: int | None = None) -> np.ndarray:
    """Polarity codes (0 high is good, 1 low is good, 2 no judgement) from Polarity members or their names.

    An integer array is taken as codes already.
    Also accepts Fingertips' own polarity names ("RAG - High is good", "BOB - Blue orange blue", "Not
    applicable"). A scalar is repeated ``n`` times. An unknown polarity is an error naming it.
    """
    if isinstance(polarity, np.ndarray) and polarity.dtype.kind in "iu":
        if not np.isin(polarity, (HIGH, LOW, NONE)).all():
            raise ValueError("polarity codes must be 0, 1 or 2")
        return polarity.astype(np.int8, copy=False)
    if isinstance(polarity, (str, Enum)) or polarity is None or np.ndim(polarity) == 0:
        code = _polarity_code(polarity)
        return np.full(1 if n is None else n, code, dtype=np.int8)
    if not isinstance(polarity, (pd.Series, pd.Categorical, pd.Index, np.ndarray)):
        polarity = pd.Series(list(polarity), dtype=object)
    if isinstance(polarity.dtype, pd.CategoricalDtype):
        codes = _categorical_polarity(polarity if isinstance(polarity, pd.Categorical) else polarity.array)
        if codes is not None:
            return codes
    codes, uniques = pd.factorize(polarity, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError("polarity is missing for some rows")
    table = np.array([_polarity_code(u) for u in uniques], dtype=np.int8)
    return table[codes]


def _categorical_polarity(polarity: pd.Categorical) -> np.ndarray | None:
    """Polarity codes of a categorical from its categories used (a few names, not a row each); None if a row's
    polarity is missing or unknown, for the general path to report."""
    codes = polarity.codes
    if codes.size == 0 or codes.min() < 0:
        return None
    used = _used_codes(codes, len(polarity.categories))
    found = [_POLARITY_SYNONYMS.get(_polarity_name(polarity.categories[i])) for i in used]
    if None in found:
        return None
    table = np.zeros(len(polarity.categories), dtype=np.int8)
    table[used] = found
    return table.take(codes)


def _polarity_name(polarity) -> str:
    return str(polarity.value if isinstance(polarity, Enum) else polarity).strip().lower()


def _polarity_code(polarity) -> int:
    code = _POLARITY_SYNONYMS.get(_polarity_name(polarity)) if polarity is not None else None
    if code is None:
        raise ValueError(f"unknown polarity {polarity!r}: use one of {[p.value for p in Polarity]}")
    return code


def _array(values, n: int | None = None) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    array = np.asarray(values, dtype=float)
    return np.broadcast_to(array, (n,)) if n is not None and array.ndim == 0 else array


def _index(*candidates):
    for c in candidates:
        if isinstance(c, pd.Series):
            return c.index
    return None


def compare(value, lower95, upper95, benchmark, polarity, lower998=None, upper998=None, level: str = "95") -> pd.Series:
    """Compare each value with its benchmark: categorical "better"/"similar"/"worse" (or "higher"/"lower").

    ``level`` is "95" (Fingertips' usual 95% comparison), "99.8" (needs ``lower998``/``upper998``) or "both": the
    two-level variant used by this observatory, "better (99.8%)" when the 99.8% interval excludes the benchmark,
    "better (95%)" when only the 95% interval does, and the same for worse/higher/lower. Rows with a missing value,
    limit or benchmark are "not compared". ``benchmark`` and ``polarity`` may be scalars or per row.
    """
    if level not in ("95", "99.8", "both"):
        raise ValueError(f"level must be '95', '99.8' or 'both', not {level!r}")
    v = _array(value)
    n = v.shape[0]
    b = _array(benchmark, n)
    pol = normalise_polarity(polarity, n)
    index = _index(value, lower95, upper95, benchmark)
    if level != "95" and (lower998 is None or upper998 is None):
        raise ValueError(f"level {level!r} needs lower998 and upper998")
    if level == "95":
        limits = [_array(lower95, n), _array(upper95, n)]
    elif level == "99.8":
        limits = [_array(lower998, n), _array(upper998, n)]
    else:
        limits = [_array(c, n) for c in (lower95, upper95, lower998, upper998)]
    block_codes = _single if len(limits) == 2 else _both
    codes = np.empty(n, dtype=np.int8)
    for lo in range(0, n, BLOCK):
        rows = slice(lo, lo + BLOCK)
        codes[rows] = block_codes(v[rows], b[rows], pol[rows], *(limit[rows] for limit in limits))
    categories = SINGLE if len(limits) == 2 else BOTH
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index, name="comparison")


BLOCK = 1 << 16  # rows per block: temporaries stay in cache


def _direction(value, benchmark, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """Whether the comparison can be made, and +1 (lower limit above the benchmark), -1 (upper below) or 0."""
    known = ~(np.isnan(value) | np.isnan(benchmark) | np.isnan(lower) | np.isnan(upper))
    above = lower > benchmark
    return known, above.view(np.int8) - ((upper < benchmark) & ~above).view(np.int8)


def _single(value, benchmark, pol, lower, upper) -> np.ndarray:
    """Codes in SINGLE for one level's limits."""
    known, d = _direction(value, benchmark, lower, upper)
    good = np.where(pol == LOW, -d, d)
    codes = np.select([pol == NONE], [np.select([d > 0, d < 0], [3, 4], 1)], np.select([good > 0, good < 0], [0, 2], 1))
    return np.where(known, codes, 5)


def _both_table() -> np.ndarray:
    """Comparison code (position in BOTH) by polarity, missing and the four tests, as :func:`_both` numbers them."""
    table = np.full((3, 2, 2, 2, 2, 2), 2, dtype=np.int8)
    table[:, 1] = 9  # a missing value, limit or benchmark: not compared
    for pol in (HIGH, LOW, NONE):
        for above998, below998, above95, below95 in np.ndindex(2, 2, 2, 2):
            d998 = 1 if above998 else -1 if below998 else 0
            d95 = 1 if above95 else -1 if below95 else 0
            d, strength = (d998, 2) if d998 else (d95, 1 if d95 else 0)
            if strength == 0:
                continue
            if pol == NONE:
                code = (5 if strength == 2 else 6) if d > 0 else (7 if strength == 1 else 8)
            else:
                good = -d if pol == LOW else d
                code = (0 if strength == 2 else 1) if good > 0 else (3 if strength == 1 else 4)
            table[pol, 0, above998, below998, above95, below95] = code
    return table.ravel()


_BOTH = _both_table()


def _both(value, benchmark, pol, lower95, upper95, lower998, upper998) -> np.ndarray:
    """Codes in BOTH: the 99.8% direction where its interval excludes the benchmark, else the 95% one.

    The polarity, whether anything is missing and the four tests (each limit against the benchmark) make the digits
    of a binary number, which looks the code up: comparisons, byte additions and one table read per row.
    """
    missing = np.isnan(value)
    for column in (benchmark, lower95, upper95, lower998, upper998):
        missing |= np.isnan(column)
    tests = [lower998 > benchmark, upper998 < benchmark, lower95 > benchmark, upper95 < benchmark]  # the table's order
    position = pol.astype(np.uint8)
    for bit in [missing, *tests]:
        position += position  # doubling and adding: byte shifts are several times slower in numpy
        position += bit.view(np.uint8)
    return _BOTH.take(position)


def quintiles(values, polarity, groups=None) -> pd.DataFrame:
    """Quintile of each value among its peers (rows sharing ``groups``): 1 best ... 5 worst, or 1 lowest ... 5 highest.

    Quintile = floor((rank - 0.5) x 5 / n) + 1 on average ranks, so tied values share a quintile and the best and
    worst value always fall in quintiles 1 and 5. Missing values get no quintile. Columns: ``quintile`` (nullable
    integer) and ``quintile_label`` ("best", "better", "middle", "worse", "worst"; "lowest" ... "highest" for
    indicators without judgement).
    """
    v = _array(values)
    n = v.shape[0]
    pol = normalise_polarity(polarity, n)
    index = _index(values, groups)
    ordered = pd.Series(np.where(pol == HIGH, -v, v))
    if groups is None:
        key = np.zeros(n, dtype=np.int8)
    elif isinstance(groups, pd.DataFrame):
        key = groups.groupby(list(groups.columns), sort=False, dropna=False).ngroup().to_numpy()
    else:
        key = pd.factorize(pd.Series(groups, dtype=object), use_na_sentinel=False)[0]
    grouped = ordered.groupby(key, sort=False)
    rank = grouped.rank(method="average").to_numpy()
    count = grouped.transform("count").to_numpy()
    with np.errstate(invalid="ignore"):
        q = np.floor((rank - 0.5) * 5 / count) + 1
    present = ~np.isnan(q)
    quintile = pd.array(np.where(present, q, 0).astype(np.int64), dtype="Int64")
    quintile[~present] = pd.NA
    labels = np.array([QUINTILE_LABELS[HIGH], QUINTILE_LABELS[LOW], QUINTILE_LABELS[NONE]], dtype=object)
    label = np.where(present, labels[pol, np.where(present, q, 1).astype(int) - 1], None)
    categories = ["best", "better", "middle", "worse", "worst", "lowest", "low", "high", "highest"]
    return pd.DataFrame(
        {"quintile": quintile, "quintile_label": pd.Categorical(label, categories=categories)},
        index=index if index is not None else pd.RangeIndex(n),
    )
