"""Quantile classes for maps and dashboards: ONE implementation, numpy only.

The classes are mapclassify's ``Quantiles``: upper bounds at the k quantiles (linear interpolation), a value on a
bound in the lower class, k reduced to the number of distinct values. numpy alone keeps a dashboard kernel from
importing mapclassify and scipy.stats (~55 MB each).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from observatory._core.numbers import format_number
from observatory.present.figures import MOST_DECIMALS

__all__ = ["quantile_bounds", "quantile_classes", "class_labels"]


def quantile_bounds(values: np.ndarray, k: int = 5) -> np.ndarray:
    """Upper bounds of the quantile classes of the finite ``values`` (distinct, ascending; empty for none)."""
    present = np.asarray(values, dtype=float)
    present = present[np.isfinite(present)]
    if not present.size:
        return np.array([])
    k = max(1, min(int(k), np.unique(present).size))
    return np.unique(np.quantile(present, np.linspace(0, 1, k + 1)[1:]))


def quantile_classes(values: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The class of each value (0 lowest; -1 where missing) and the classes' upper bounds."""
    numbers = np.asarray(values, dtype=float)
    bounds = quantile_bounds(numbers, k)
    if not bounds.size:
        return np.full(numbers.shape, -1), bounds
    index = np.searchsorted(bounds, np.where(np.isfinite(numbers), numbers, bounds[0]), side="left")
    return np.where(np.isfinite(numbers), index.clip(0, len(bounds) - 1), -1), bounds


def class_labels(lowest: float, bounds: Sequence[float], decimals: int = 1, unit: str = "") -> list[str]:
    """Legend labels "lower – upper" for classes from ``lowest`` up to each bound.

    Decimals grow from ``decimals`` until the labels are distinct and no class of different ends reads the same
    figure at both ends ("0.0 – 0.0").
    """
    edges = [float(lowest), *map(float, bounds)]
    labels: list[str] = []
    for places in range(decimals, MOST_DECIMALS + 1):
        texts = [format_number(e, places, unit) for e in edges]
        labels = [f"{texts[i]} – {texts[i + 1]}" for i in range(len(bounds))]
        blurred = any(texts[i] == texts[i + 1] and edges[i] != edges[i + 1] for i in range(len(bounds)))
        if len(set(labels)) == len(labels) and not blurred:
            break
    return labels
