"""observatory.stats.inputs: group codes by runs of rows, for every kind of key column, against pandas' groupby."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.stats.inputs import group_codes, group_runs

KINDS = {
    "arrow string": lambda v: pd.array(v, dtype="string[pyarrow]"),
    "python string": lambda v: pd.array(v, dtype="string[python]"),
    "str": lambda v: pd.Series(v, dtype="str"),
    "object": lambda v: pd.Series(v, dtype=object),
    "categorical": lambda v: pd.Categorical(v),
}


def frame(first_kind: str, second_kind: str, order: str) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    series = np.repeat(np.arange(120), rng.integers(1, 6, 120))  # runs of one to five rows
    first = np.array([f"i{s % 7}" for s in series], dtype=object)
    second = np.array([f"a{s // 7}" for s in series], dtype=object)
    first[series % 13 == 0], second[series % 17 == 0] = None, None  # missing keys, in runs of their own
    data = pd.DataFrame({"first": KINDS[first_kind](first), "second": KINDS[second_kind](second), "row": series})
    return data.sample(frac=1, random_state=1) if order == "shuffled" else data


@pytest.mark.parametrize("order", ["runs", "shuffled"])
@pytest.mark.parametrize(
    "first_kind, second_kind", [(k, k) for k in KINDS] + [("arrow string", "python string"), ("object", "arrow string")]
)
def test_group_codes_are_pandas_groups_in_sorted_key_order(first_kind, second_kind, order):
    data = frame(first_kind, second_kind, order)
    codes, keys = group_codes(data, ["first", "second"])
    expected = data.groupby(["first", "second"], sort=True, dropna=False, observed=True).ngroup().to_numpy()
    np.testing.assert_array_equal(codes, expected)
    first_of_each = data.drop_duplicates(["first", "second"])
    expected_keys = first_of_each.iloc[np.argsort(expected[data.index.get_indexer(first_of_each.index)])]
    assert _plain(keys) == _plain(expected_keys[["first", "second"]])


def _plain(keys: pd.DataFrame) -> list[list]:
    return [[None if pd.isna(v) else v for v in row] for row in keys.astype(object).values.tolist()]


def test_runs_begin_where_a_key_changes_or_is_missing():
    data = pd.DataFrame({"k": pd.array(["a", "a", None, None, "b", "b", "a"], dtype="string"), "j": [1, 1, 1, 1, 1, 2, 2]})
    starts, codes, keys = group_runs(data, ["k", "j"])
    assert starts.tolist() == [0, 2, 3, 4, 5, 6]
    assert _plain(keys) == [["a", 1], ["a", 2], ["b", 1], ["b", 2], [None, 1]]
    assert codes.tolist() == [0, 4, 4, 2, 3, 1]
