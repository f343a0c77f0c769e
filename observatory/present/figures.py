"""How many decimals a set of figures needs: picked from the data, so small proportions never read 0.0.

Every chart, table, tooltip and legend writes its figures with ``_core.numbers.format_number``; this module
decides the decimals those calls get.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.numbers import format_number

__all__ = ["as_floats", "decimals_for", "format_number"]

MOST_DECIMALS = 6


def as_floats(values: Iterable[Any]) -> np.ndarray:
    """``values`` as a float array, anything that is not a number (text, ``pd.NA``, dates) as NaN. Plain numbers
    and None go straight to numpy (charts call this for every few figures they draw); the rest through
    ``pd.to_numeric``, so text such as "1.5" reads as a number, as it always has."""
    seq = values if isinstance(values, (pd.Series, np.ndarray)) else list(values)
    if not (isinstance(seq, list) and any(isinstance(v, str) for v in seq)):
        try:
            return np.array(seq, dtype=float)
        except (TypeError, ValueError):
            pass
    return pd.to_numeric(pd.Series(list(seq), dtype=object), errors="coerce").astype(float).to_numpy()


def decimals_for(values: Iterable[Any], least: int = 1, most: int = MOST_DECIMALS) -> int:
    """Decimals that tell the values apart: ``least`` for a spread of 5 or more, one more for each tenfold less.

    A spread of 0.5 to 5 gets 2, 0.05 to 0.5 gets 3, and so on. With a single value (or all equal) its own
    size sets the scale, so 0.004 reads 0.004, not 0.0. No finite values: ``least``.
    """
    numbers = as_floats(values)
    numbers = numbers[np.isfinite(numbers)]
    if not numbers.size:
        return least
    scale = float(numbers.max() - numbers.min()) or float(np.abs(numbers).max())
    if scale == 0 or scale >= 5:
        return least
    return int(min(most, max(least, 1 + math.ceil(math.log10(5 / scale) - 1e-12))))
