"""Statistical disclosure control: small counts are withheld, and so is whatever would let them be worked out.

Primary suppression withholds counts from 1 to ``threshold`` (zero is published, as Fingertips does, unless
``suppress_zero``). Secondary suppression works within each group of siblings that add up to a published total
(e.g. the localities of a district): while a group's withheld cells could be recovered from the total, the next
smallest published non-zero cell is withheld too. A group is safe when at least two cells are withheld and their
combined count (the total minus the published cells) is above the threshold and above the number of withheld
cells, so no withheld cell can be pinned to one value by subtraction (each could be anything from 1 to that
remainder minus the others' minimum of 1). Withholding a count blanks the indicator value and limits derived from
it. The ``suppression_note`` is the analyst's audit trail; published outputs should show only ``suppressed``, since
saying which cells were primary narrows their range. The ``suppression_rule`` names the rule a suppressed cell falls
under (the same text for every cell of a dataset, so it narrows nothing).

Thresholds may differ by row (each dataset's own, from its catalogue record); a group of siblings is then judged
safe against the largest threshold among its rows. :func:`round_counts` rounds published counts to a base (e.g. 5)
for datasets whose terms ask for it; values derived from the counts must then be recomputed from the rounded counts
(``observatory.profiles.disclosure`` does), or they give the exact count away.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DERIVED = ["value", "lower95", "upper95", "lower998", "upper998"]
SECONDARY = "secondary: protects a suppressed sibling"
TOTAL_WITHHELD = "group total withheld: siblings cannot protect it"


def rule_text(threshold: int, suppress_zero: bool = False) -> str:
    """The words of a primary suppression rule: ``"counts 1–5 suppressed"``."""
    return f"counts {0 if suppress_zero else 1}\u2013{threshold} suppressed"


def suppress(
    frame: pd.DataFrame,
    count_cols: str | Sequence[str],
    threshold: int | Sequence[int] = 5,
    group_cols: str | Sequence[str] | None = None,
    total_col: str | None = None,
    derived_cols: Sequence[str] | None = None,
    suppress_zero: bool = False,
    rule: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with small counts and what they can be derived from blanked (NaN).

    A row is withheld when any of ``count_cols`` is in 1..``threshold`` (0..``threshold`` with ``suppress_zero``);
    ``threshold`` is one number or one per row. ``rule`` (one text or one per row, default :func:`rule_text`) is
    recorded in ``suppression_rule`` for each withheld row;
    the first of ``count_cols`` orders cells for secondary suppression within ``group_cols``. ``total_col``, when
    given, is the group total published beside each row (it may exceed the sum of the rows); a group that cannot be
    protected by its siblings has its total blanked too. ``derived_cols`` default to the value and limit columns
    present. Adds ``suppressed`` (bool), ``suppression_note`` ("primary: count 1-5", the secondary reason or "") and
    ``suppression_rule``.
    """
    count_cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    group_cols = [group_cols] if isinstance(group_cols, str) else (list(group_cols) if group_cols else [])
    missing = [c for c in count_cols + group_cols + ([total_col] if total_col else []) if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    derived = [c for c in (DERIVED if derived_cols is None else derived_cols) if c in frame.columns]
    floor = 0 if suppress_zero else 1

    counts = np.column_stack([frame[c].to_numpy(dtype=float, na_value=np.nan) for c in count_cols])
    limit = np.broadcast_to(np.asarray(threshold, dtype=float), (len(frame),))
    primary = ((counts >= floor) & (counts <= limit[:, None])).any(axis=1)
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
        group_limit = np.zeros(n_groups)
        np.maximum.at(group_limit, codes, limit)
        while True:
            withheld = np.bincount(codes, weights=suppressed, minlength=n_groups)
            shown = np.bincount(codes, weights=np.where(suppressed, 0.0, np.nan_to_num(count)), minlength=n_groups)
            if total_col is not None:
                hidden = group_total - shown
            else:
                hidden = np.bincount(codes, weights=np.where(suppressed, np.nan_to_num(count), 0.0), minlength=n_groups)
            unsafe = (withheld > 0) & ((withheld < 2) | (hidden <= group_limit) | (hidden <= withheld))
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
    primary_note = np.char.add(f"primary: count {low}\u2013", np.char.mod("%d", limit))
    note = np.select([primary, secondary], [primary_note, SECONDARY], "")
    note = np.where(withheld_total & (note != ""), np.char.add(note.astype(str), f"; {TOTAL_WITHHELD}"), note)
    out["suppression_note"] = pd.array(note, dtype="string")
    if rule is None:
        rules = np.array([rule_text(int(t), suppress_zero) for t in limit], dtype=object)
    else:
        rules = np.broadcast_to(np.asarray(rule, dtype=object), (len(frame),))
    out["suppression_rule"] = pd.array(np.where(suppressed, rules, ""), dtype="string")
    return out


def round_counts(
    frame: pd.DataFrame, count_cols: str | Sequence[str], base: int | Sequence[float], skip: Sequence[bool] | None = None
) -> pd.DataFrame:
    """A copy of ``frame`` with ``count_cols`` rounded to the nearest multiple of ``base`` (halves up; one base or
    one per row, where 0 or NaN means no rounding) except on ``skip`` rows. Adds ``rounded`` (bool). Derived
    values are left as they were: recompute them from the rounded counts."""
    count_cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    bases = np.broadcast_to(np.asarray(base, dtype=float), (len(frame),))
    on = np.isfinite(bases) & (bases > 0)
    if skip is not None:
        on &= ~np.asarray(skip, dtype=bool)
    out = frame.copy()
    safe = np.where(on, bases, 1.0)
    for c in count_cols:
        x = out[c].to_numpy(dtype=float, na_value=np.nan)
        out[c] = np.where(on & np.isfinite(x), np.floor(x / safe + 0.5) * safe, x)
    out["rounded"] = on
    return out
