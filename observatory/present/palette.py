"""The ONE palette: Fingertips comparison colours, quintile and sequential map colours, greys.

Every chart, map, page and dashboard takes its colours from here, keyed by the comparison vocabulary of
:mod:`observatory._core.vocab` (``better``, ``similar``, ``worse``, ``higher``, ``lower``, ``not compared``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from observatory._core.vocab import COMPARISON_TITLES, COMPARISONS, NOT_COMPARED

__all__ = [
    "COMPARISON_COLOURS",
    "TWO_LEVEL_COLOURS",
    "COLOURS",
    "QUINTILE_COLOURS",
    "SEQUENTIAL_COLOURS",
    "DEPRIVATION_COLOURS",
    "MISSING_COLOUR",
    "SPINE_GREYS",
    "comparison_key",
    "comparison_title",
    "rag_colour",
    "sequential",
]

COMPARISON_COLOURS = {
    "better": "#92D050",
    "similar": "#FFC000",
    "worse": "#C00000",
    "higher": "#C2CCFF",
    "lower": "#5555E6",
    NOT_COMPARED: "#FFFFFF",
}
"""Fingertips colours, from Fingertips' own colour table, in the order of ``COMPARISONS``."""
assert tuple(COMPARISON_COLOURS) == COMPARISONS

TWO_LEVEL_COLOURS = {
    "better (99.8%)": "#92D050",
    "better (95%)": "#C9E8A7",
    "worse (95%)": "#E08080",
    "worse (99.8%)": "#C00000",
    "higher (99.8%)": "#C2CCFF",
    "higher (95%)": "#E0E6FF",
    "lower (95%)": "#9999F0",
    "lower (99.8%)": "#5555E6",
}
"""Shades of the two-level comparison (``compare(level="both")``): full colour at 99.8%, a lighter tint at 95%.
The tints are this observatory's choice: Fingertips has no two-level palette."""

COLOURS = {**COMPARISON_COLOURS, **TWO_LEVEL_COLOURS}
"""Every comparison outcome, one or two levels, to its fill colour."""

QUINTILE_COLOURS = {1: "#DED3EC", 2: "#BEA7DA", 3: "#9E7CC8", 4: "#7E50B6", 5: "#5E25A4"}
"""Fingertips' purple scale for quintiles of indicators without judgement, lowest (1) to highest (5)."""

SEQUENTIAL_COLOURS = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"]
"""ColorBrewer YlGnBu (9 classes); :func:`sequential` takes k colours evenly from its darker eight."""

DEPRIVATION_COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
"""ColorBrewer Reds (5 classes): small areas shaded by deprivation in a locality profile."""

MISSING_COLOUR = "#c8c8c8"
"""Areas with no value, or a suppressed one."""

SPINE_GREYS = ("#8B8B8B", "#C9C9C9", "#E8E8E8")
"""A spine chart's bars: worst quartile, middle half, best quartile."""


def comparison_key(value: Any) -> str:
    """Normalise a comparison label ("Better", "not_compared", a category, None) to one of ``COMPARISONS``."""
    value = getattr(value, "value", value)
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return NOT_COMPARED
    key = str(value).strip().lower().replace("_", " ").replace("-", " ")
    return key if key in COMPARISON_COLOURS else NOT_COMPARED


def comparison_title(value: Any) -> str:
    """The label people read for a comparison ("Better", "Not compared")."""
    return COMPARISON_TITLES[comparison_key(value)]


def rag_colour(comparison: Any) -> pd.Series:
    """Fingertips fill colour (hex) for each comparison result of ``stats.compare.compare``; missing is white."""
    series = comparison if isinstance(comparison, pd.Series) else pd.Series(comparison)
    unknown = set(series.dropna().astype(str).unique()) - set(COLOURS)
    if unknown:
        raise ValueError(f"no colour for comparison results {sorted(unknown)}")
    return series.astype(object).map(COLOURS).fillna(COLOURS[NOT_COMPARED]).astype("string").rename("colour")


def sequential(n: int) -> list[str]:
    """``n`` sequential colours, light to dark, for ``n`` value classes."""
    picks = np.linspace(1, len(SEQUENTIAL_COLOURS) - 1, n) if n > 1 else [5]
    return [SEQUENTIAL_COLOURS[int(round(p))] for p in picks]
