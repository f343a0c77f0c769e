"""Quantile classes agree with mapclassify; legend labels and decimals are picked from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.present.classes import class_labels, quantile_classes
from observatory.present.figures import decimals_for

mapclassify = pytest.importorskip("mapclassify")

ARRAYS = {
    "gamma": np.random.default_rng(1).gamma(2.0, 3.0, 40),
    "ties": np.array([1, 1, 1, 2, 2, 3, 5, 5, 5, 5, 8, 9.0]),
    "on bounds": np.arange(1.0, 11.0),
    "few distinct": np.array([3.0, 3.0, 7.0, 7.0, 7.0]),
    "small proportions": np.random.default_rng(2).uniform(0.0004, 0.0031, 25),
}


@pytest.mark.parametrize("name", ARRAYS)
@pytest.mark.parametrize("k", [3, 5])
def test_classes_are_mapclassify_quantiles(name, k):
    values = ARRAYS[name]
    classes, bounds = quantile_classes(values, k)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mapclassify.Quantiles(values, k=min(k, np.unique(values).size))
    assert bounds == pytest.approx(expected.bins)
    assert classes.tolist() == expected.yb.tolist()


def test_missing_values_get_no_class():
    classes, bounds = quantile_classes(np.array([1.0, np.nan, 3.0, 2.0]), 5)
    assert classes.tolist() == [0, -1, 2, 1] and len(bounds) == 3
    none, empty = quantile_classes(np.array([np.nan, np.nan]))
    assert none.tolist() == [-1, -1] and empty.size == 0


def test_labels_never_read_the_same_figure_at_both_ends():
    labels = class_labels(0.0004, [0.0009, 0.0015, 0.0021, 0.0031])
    assert labels[0] == "0.0004 – 0.0009"
    for label in labels:
        low, high = label.split(" – ")
        assert low != high
    assert class_labels(10, [20, 30]) == ["10.0 – 20.0", "20.0 – 30.0"]
    assert class_labels(0.101, [0.1018, 0.1026, 0.1034]) == ["0.1010 – 0.1018", "0.1018 – 0.1026", "0.1026 – 0.1034"]


@pytest.mark.parametrize(
    "values, decimals",
    [
        ([10, 40], 1),
        ([1.0, 4.9], 2),
        ([0.1, 0.45], 3),
        ([0.0004, 0.0031], 5),
        ([0.004], 5),
        ([0, 0], 1),
        ([], 1),
        ([np.nan, 12.5], 1),
        ([1500, 90000], 1),
    ],
)
def test_decimals_follow_the_spread(values, decimals):
    assert decimals_for(values) == decimals


@pytest.mark.parametrize(
    "values, expected",
    [
        ([1, 2.5, None, np.nan], [1.0, 2.5, np.nan, np.nan]),
        (["1.5", "n/a", "", 3], [1.5, np.nan, np.nan, 3.0]),
        ([pd.NA, 4], [np.nan, 4.0]),
        (pd.Series([0.25, None], dtype="Float64"), [0.25, np.nan]),
        (pd.Series(["7", "x"], dtype=object), [7.0, np.nan]),
        ((v for v in (1, 2)), [1.0, 2.0]),
        ([pd.Timestamp("2025-01-01"), 2], [np.nan, 2.0]),
        ([], []),
    ],
)
def test_figures_read_as_floats_whatever_they_arrive_as(values, expected):
    from observatory.present.figures import as_floats

    got = as_floats(values)
    assert got.dtype == float
    np.testing.assert_array_equal(got, np.array(expected, dtype=float))
