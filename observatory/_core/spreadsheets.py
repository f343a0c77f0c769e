"""Cells that a spreadsheet would run as a formula, neutralised in every CSV and XLSX the package writes.

OWASP's CSV-injection guidance: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with a single quote, so it stays readable text and never runs. Numbers are left alone
(``-3.5`` is a number, not a formula).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)*|\.\d+)(?:[eE][+-]?\d+)?%?$")


def looks_like_formula(text: Any) -> bool:
    """True for text a spreadsheet would read as a formula (and that is not a plain number)."""
    return isinstance(text, str) and text.startswith(FORMULA_START) and not _NUMBER.match(text.strip())


def neutralise(value: Any) -> Any:
    """``'=1+1`` for ``=1+1``; anything else unchanged."""
    return "'" + value if looks_like_formula(value) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised (numbers untouched)."""
    out = frame.copy()
    for i, col in enumerate(out.columns):
        s = out.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = np.fromiter(map(looks_like_formula, s.to_numpy(dtype=object)), dtype=bool, count=len(s))
            if mask.any():
                out[col] = s.astype(object).where(~mask, "'" + s.astype(str))
    out.columns = [neutralise(c) for c in out.columns]
    return out
