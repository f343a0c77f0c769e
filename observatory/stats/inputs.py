"""Inputs and result frames shared by the methods: columns or arrays, group codes, sums per group, notes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observatory.stats.limits import Array

RESULT_COLUMNS = ["value", "lower95", "upper95", "lower998", "upper998", "statistic", "method", "confidence", "note"]

GroupBy = str | Sequence[str] | None


def _as_list(group_by: GroupBy) -> list[str]:
    if group_by is None:
        return []
    return [group_by] if isinstance(group_by, str) else list(group_by)


def group_codes(data: pd.DataFrame, group_by: GroupBy) -> tuple[Array, pd.DataFrame]:
    """Integer group codes per row (sorted key order) and the frame of group keys, one row per code.

    Rows usually arrive in runs of one group (a series' periods one after another): only the first row of each run
    is factorised, and its code repeated over the run.
    """
    starts, codes, keys = group_runs(data, group_by)
    codes = np.repeat(codes, np.diff(starts, append=len(data))) if len(starts) < len(data) else codes
    return codes, keys


def group_runs(data: pd.DataFrame, group_by: GroupBy) -> tuple[Array, Array, pd.DataFrame]:
    """:func:`group_codes` by runs of rows with the same keys: where each run begins, its code, and the group keys.

    A group may span several runs; a missing key always begins a run.
    """
    keys = _as_list(group_by)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise KeyError(f"group_by columns not in the data: {missing}")
    if not keys:
        raise ValueError("group_by names no columns")
    starts = _run_starts(data, keys)
    codes, size, heads = np.zeros(len(starts), dtype=np.int64), 1, {}
    for key in keys:
        head = heads[key] = data[key].array.take(starts)
        if isinstance(head, pd.arrays.NumpyExtensionArray):
            head = heads[key] = head.to_numpy()
        key_codes, uniques = pd.factorize(head, sort=True, use_na_sentinel=False)
        codes, size = codes * len(uniques) + key_codes, size * len(uniques)
        if size > max(8 * len(starts), 1 << 20):
            size, codes = _dense(codes)
    size, codes = _dense(codes, size)
    first = np.zeros(size, dtype=np.intp)
    first[codes[::-1]] = np.arange(len(starts) - 1, -1, -1)
    return starts, codes, pd.DataFrame({key: head.take(first) for key, head in heads.items()})


def _run_starts(data: pd.DataFrame, keys: list[str]) -> Array:
    """Positions where a run of rows with the same keys begins (a missing key always begins a run)."""
    if len(data) < 2:
        return np.arange(len(data))
    change = np.zeros(len(data) - 1, dtype=bool)
    masked = None  # comparisons with missing (NA) results, of one kind: or-ed as they are, converted once
    for key in keys:
        values = data[key].array
        differs = values[1:] != values[:-1]
        if not isinstance(differs, (pd.arrays.ArrowExtensionArray, pd.arrays.BooleanArray)):
            change |= differs if isinstance(differs, np.ndarray) else _missing_true(differs)
        elif masked is None or type(masked) is not type(differs):
            change |= _missing_true(masked)
            masked = differs
        else:
            masked = masked | differs  # NA | True is True, NA | False NA: the same as converting each first
    change |= _missing_true(masked)
    return np.flatnonzero(np.concatenate(([True], change)))


def _missing_true(differs) -> Array | bool:
    """A comparison with missing results as booleans, missing taken as different."""
    return False if differs is None else differs.to_numpy(dtype=bool, na_value=True)


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
        """The result frame of ``columns``, arrays computed afresh by the method (taken in, not copied)."""
        if self.keys is None:
            return _finish(columns, None, len(self.index), copy=False).set_axis(self.index)
        sums = {col: v for col, v in zip(self.columns, self.values) if col not in self.keys.columns}
        return _finish({**sums, **columns}, self.keys, len(self.keys), copy=self.values is self.rows)


def _finish(columns: dict[str, object], keys: pd.DataFrame | None, n: int, copy: bool = True) -> pd.DataFrame:
    """The result frame: text given as a string or (categories, codes) becomes categorical; group keys first.

    ``copy=False`` takes the arrays in as they are, for arrays nothing else holds.
    """
    frame = pd.DataFrame({k: _text(v, n) if isinstance(v, (str, tuple)) else v for k, v in columns.items()}, copy=copy)
    return frame if keys is None else pd.concat([keys, frame], axis=1)


def _text(value: str | tuple[Sequence[str], Array], n: int) -> pd.Categorical:
    """A categorical text column: a constant string, or (categories, integer codes)."""
    if isinstance(value, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])
    categories, codes = value
    used = _used_codes(codes, len(categories))
    if np.array_equal(used, np.arange(len(used))):  # the first categories, in order: the codes stand as they are
        return pd.Categorical.from_codes(codes, categories=list(categories[: len(used)]))
    remap = np.zeros(len(categories), dtype=np.int8)
    remap[used] = np.arange(len(used))
    return pd.Categorical.from_codes(remap[codes], categories=[categories[i] for i in used])


def _used_codes(codes: Array, k: int) -> Array:
    """The codes among 0..k-1 that occur, in order."""
    if k <= 8:  # a comparison per category reads the small codes as they are; bincount would widen them to intp first
        return np.array([i for i in range(k) if (codes == i).any()], dtype=np.intp)
    return np.flatnonzero(np.bincount(codes, minlength=k))


def _notes(*conditions: tuple[Array, str], n: int) -> tuple[list[str], Array]:
    """Note codes: the first matching reason wins; "" otherwise."""
    reasons = [""]
    codes = np.zeros(n, dtype=np.int8)
    for mask, reason in reversed(conditions):
        reasons.append(reason)
        codes[mask] = len(reasons) - 1
    return reasons, codes


def _blank(values: dict[str, Array], mask: Array) -> dict[str, Array]:
    if not mask.any():
        return values
    return {k: np.where(mask, np.nan, v) for k, v in values.items()}


def _multiplier_label(multiplier: float) -> str:
    return f"{multiplier:,.0f}".replace(",", "") if float(multiplier).is_integer() else f"{multiplier:g}"


def _key_label(keys: pd.DataFrame, g: int) -> str:
    row = tuple(keys.iloc[g])
    return str(row[0] if len(row) == 1 else row)
