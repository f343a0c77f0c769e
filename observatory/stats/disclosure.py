"""Statistical disclosure control: small counts are withheld, and so is whatever would let them be worked out.

Primary suppression withholds counts from 1 to ``threshold`` (zero is published, as Fingertips does, unless
``suppress_zero``). Secondary suppression works within each group of siblings that add up to a published total
(e.g. the localities of a district): while a group's withheld cells could be recovered from the total, the next
smallest published non-zero cell is withheld too. A group is safe when at least two cells are withheld and their
combined count (the total minus the published cells) is above the threshold and above the number of withheld
cells, so no withheld cell can be pinned to one value by subtraction (each could be anything from 1 to that
remainder minus the others' minimum of 1). Withholding a count blanks the indicator value and limits derived from
it. The ``suppression_note`` is the analyst's audit trail; published outputs should show only ``suppressed``, since
saying which cells were primary narrows their range.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

DERIVED = ["value", "lower95", "upper95", "lower998", "upper998"]
SECONDARY = "secondary: protects a suppressed sibling"
TOTAL_WITHHELD = "group total withheld: siblings cannot protect it"


def suppress(frame: pd.DataFrame, count_cols: str | Sequence[str], threshold: int = 5,
             group_cols: str | Sequence[str] | None = None, total_col: str | None = None,
             derived_cols: Sequence[str] | None = None, suppress_zero: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with small counts and what they can be derived from blanked (NaN).

    A row is withheld when any of ``count_cols`` is in 1..``threshold`` (0..``threshold`` with ``suppress_zero``);
    the first of ``count_cols`` orders cells for secondary suppression within ``group_cols``. ``total_col``, when
    given, is the group total published beside each row (it may exceed the sum of the rows); a group that cannot be
    protected by its siblings has its total blanked too. ``derived_cols`` default to the value and limit columns
    present. Adds ``suppressed`` (bool) and ``suppression_note`` ("primary: count 1-5", the secondary reason or "").
    """
    count_cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    group_cols = [group_cols] if isinstance(group_cols, str) else (list(group_cols) if group_cols else [])
    missing = [c for c in count_cols + group_cols + ([total_col] if total_col else []) if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    derived = [c for c in (DERIVED if derived_cols is None else derived_cols) if c in frame.columns]
    floor = 0 if suppress_zero else 1

    counts = np.column_stack([frame[c].to_numpy(dtype=float, na_value=np.nan) for c in count_cols])
    primary = ((counts >= floor) & (counts <= threshold)).any(axis=1)
    suppressed = primary.copy()
    secondary = np.zeros(len(frame), dtype=bool)
    withheld_total = np.zeros(len(frame), dtype=bool)

    if group_cols and len(frame):
        codes = frame.groupby(group_cols, sort=False, dropna=False, observed=True).ngroup().to_numpy()
        n_groups = codes.max() + 1
        count = counts[:, 0]
        order = np.lexsort((count, codes))
        if total_col is not None:
            totals = frame[total_col].to_numpy(dtype=float, na_value=np.nan)
            first = np.zeros(n_groups, dtype=np.intp)
            first[codes[::-1]] = np.arange(len(codes))[::-1]
            group_total = totals[first]
        while True:
            withheld = np.bincount(codes, weights=suppressed, minlength=n_groups)
            shown = np.bincount(codes, weights=np.where(suppressed, 0.0, np.nan_to_num(count)), minlength=n_groups)
            if total_col is not None:
                hidden = group_total - shown
            else:
                hidden = np.bincount(codes, weights=np.where(suppressed, np.nan_to_num(count), 0.0), minlength=n_groups)
            unsafe = (withheld > 0) & ((withheld < 2) | (hidden <= threshold) | (hidden <= withheld))
            eligible = ~suppressed & np.isfinite(count) & (count > 0)
            candidates = order[eligible[order] & unsafe[codes[order]]]
            if not len(candidates):
                break
            _, first_of_group = np.unique(codes[candidates], return_index=True)
            picked = candidates[first_of_group]
            suppressed[picked] = True
            secondary[picked] = True
        if total_col is not None:
            withheld_total = unsafe[codes]

    out = frame.copy()
    blank = count_cols + derived
    for column in blank:
        out[column] = out[column].astype(float).mask(suppressed)
    if total_col is not None:
        out[total_col] = out[total_col].astype(float).mask(withheld_total)
    out["suppressed"] = suppressed
    low = "0" if suppress_zero else "1"
    note = np.select([primary, secondary], [f"primary: count {low}\u2013{threshold}", SECONDARY], "")
    note = np.where(withheld_total & (note != ""), np.char.add(note.astype(str), f"; {TOTAL_WITHHELD}"), note)
    out["suppression_note"] = pd.array(note, dtype="string")
    return out
