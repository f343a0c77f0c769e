"""Strict number parsing and the ONE way figures are written for people."""

from __future__ import annotations

import math
import re
from typing import Any

NUMBER_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMBER_RE = re.compile(NUMBER_PATTERN)
DASH = "–"
"""Shown for a missing figure."""


def is_number(text: str) -> bool:
    """True for a plain decimal number (no thousands separators, no units)."""
    return bool(_NUMBER_RE.match(text.strip()))


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value)) or math.isinf(float(value))
    except (TypeError, ValueError):
        return value is not None and str(value) in ("<NA>", "NaT")


def auto_decimals(value: float) -> int:
    """Decimals by magnitude: none from 1,000, one from 1, two below 1."""
    v = abs(float(value))
    return 0 if v >= 1000 else 1 if v >= 1 or v == 0 else 2


def format_number(value: Any, decimals: int | None = 1, unit: str = "", missing: str = DASH) -> str:
    """``1,234.5``; ``12.3%`` with ``unit="%"``; ``missing`` for None/NaN; ``decimals=None`` picks by magnitude.

    Never writes ``-0.0``: a figure that rounds to zero is zero.
    """
    if _missing(value):
        return missing
    v = float(value)
    d = auto_decimals(v) if decimals is None else int(decimals)
    text = f"{v:,.{d}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text + ("%" if unit == "%" else "")
