"""observatory.stats.disclosure: primary and secondary suppression, and that withheld counts cannot be worked out."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.stats.disclosure import SECONDARY, suppress


def compositions(total: int, parts: int):
    """Every way to write ``total`` as an ordered sum of ``parts`` whole numbers of at least 1."""
    if parts == 1:
        if total >= 1:
            yield (total,)
        return
    for first in range(1, total - parts + 2):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


@pytest.fixture
def district() -> pd.DataFrame:
    return pd.DataFrame({
        "district": ["N"] * 5 + ["S"] * 3,
        "locality": ["N1", "N2", "N3", "N4", "N5", "S1", "S2", "S3"],
        "count": [3, 0, 14, 9, 40, 7, 12, 30],
        "population": [900, 800, 1500, 1200, 4000, 1000, 1100, 2500],
        "value": [0.3, 0.0, 0.9, 0.75, 1.0, 0.7, 1.1, 1.2],
        "lower95": 0.1, "upper95": 2.0,
    })


def test_primary_suppresses_one_to_five_but_not_zero():
    frame = pd.DataFrame({"count": [0, 1, 5, 6, np.nan]})
    result = suppress(frame, "count")
    assert result["suppressed"].tolist() == [False, True, True, False, False]
    assert result["suppression_note"].tolist()[1] == "primary: count 1\u20135"
    assert result["count"].isna().tolist() == [False, True, True, False, True]
    zero = suppress(frame, "count", suppress_zero=True)
    assert zero["suppressed"].tolist() == [True, True, True, False, False]


def test_secondary_withholds_the_next_smallest_nonzero_sibling(district):
    result = suppress(district, "count", group_cols="district").set_index("locality")
    assert result["suppressed"].to_dict() == {"N1": True, "N2": False, "N3": False, "N4": True, "N5": False,
                                              "S1": False, "S2": False, "S3": False}
    assert result.loc["N4", "suppression_note"] == SECONDARY
    assert result.loc["N2", "count"] == 0
    assert result.loc[["N1", "N4"], ["count", "value", "lower95", "upper95"]].isna().all().all()
    assert result.loc["N3", ["count", "value"]].notna().all()
    assert result.loc["N1", "population"] == 900


def test_withheld_cells_are_not_recoverable_by_subtraction():
    rng = np.random.default_rng(21)
    rows = []
    for g in range(300):
        size = int(rng.integers(2, 6))
        counts = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20], size=size)
        rows += [{"group": g, "count": float(c), "total": float(counts.sum())} for c in counts]
    frame = pd.DataFrame(rows)
    result = suppress(frame, "count", group_cols="group", total_col="total")
    checked = 0
    for g, published in result.groupby("group"):
        hidden = published["suppressed"].to_numpy()
        if not hidden.any():
            continue
        if published["total"].isna().all():
            continue  # the total itself is withheld: nothing to subtract from
        remainder = int(published["total"].iloc[0] - published.loc[~hidden, "count"].sum())
        feasible = [set() for _ in range(hidden.sum())]
        for assignment in compositions(remainder, int(hidden.sum())):
            for cell, value in enumerate(assignment):
                feasible[cell].add(value)
        assert all(len(values) >= 2 for values in feasible), (g, published)
        assert remainder > 5
        checked += 1
    assert checked > 100


def test_total_is_withheld_when_siblings_cannot_protect_a_cell():
    frame = pd.DataFrame({"group": ["a", "b", "b"], "count": [4, 2, 0], "total": [4, 2, 2]})
    result = suppress(frame, "count", group_cols="group", total_col="total")
    assert result["total"].isna().tolist() == [True, True, True]
    assert result["suppression_note"][0].endswith("group total withheld: siblings cannot protect it")


def test_several_count_columns_and_no_groups():
    frame = pd.DataFrame({"numerator": [3, 50, 60], "denominator": [400, 4, 700], "value": [1.0, 2.0, 3.0]})
    result = suppress(frame, ["numerator", "denominator"])
    assert result["suppressed"].tolist() == [True, True, False]
    assert result[["numerator", "denominator", "value"]].iloc[:2].isna().all().all()


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="'district'"):
        suppress(pd.DataFrame({"count": [1]}), "count", group_cols="district")
