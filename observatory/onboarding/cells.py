"""What a partner's cell holds: a figure, a suppressed or missing marker, a period, a total-row label.

The missing and suppressed markers are the package's one vocabulary (:mod:`observatory._core.markers`);
this module adds the spellings people use in spreadsheets: thousands separators, financial years written
``FY 2023-24``, quarters and months, and total rows.
"""

from __future__ import annotations

import re

import numpy as np

from observatory._core.markers import MISSING, is_suppressed
from observatory._core.numbers import is_number

THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
PERIOD_RE = re.compile(
    r"^(?:FY\s*)?(?:(?:19|20)\d{2}(?:\s*[/-]\s*\d{2}(?:\d{2})?)?(?:\s*Q[1-4])?"
    r"|Q[1-4]\s*(?:19|20)\d{2}(?:\s*/\s*\d{2})?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d{2})$",
    re.I,
)
PERIOD_IN_TEXT = re.compile(r"(?<![\d/])((?:19|20)\d{2}\s*/\s*\d{2}(?!\d)|(?:19|20)\d{2}(?:\s*Q[1-4])?)(?![\d/])", re.I)
PERIOD_HEADER = re.compile(r"\b(period|year|date|quarter|month|time)\b", re.I)
TOTAL_RE = re.compile(
    r"^\s*(?:grand\s+)?total\b|^\s*all\s+(?:areas|wards|lsoas|small areas|localities|districts|residents)\b"
    r"|^\s*(?:county|district|overall)\s+total\b",
    re.I,
)


def is_figure(s: str) -> bool:
    """A number as people write it: plain, or with thousands separated by commas."""
    return is_number(s) or bool(THOUSANDS_RE.match(s))


def is_data_like(s: str) -> bool:
    """A figure or a suppressed marker: what a data row holds and a header row does not."""
    return is_figure(s) or is_suppressed(s)


def is_period(s: str) -> bool:
    return bool(PERIOD_RE.match(s.strip()))


def normal_period(s: str) -> str:
    """``2023/24`` for ``FY 2023-24``, ``2023-2024`` or ``2023 / 24``; other periods with single spaces."""
    s = re.sub(r"^FY\s*", "", s.strip(), flags=re.I)
    m = re.match(r"^((?:19|20)\d{2})\s*[/-]\s*(\d{2}(?:\d{2})?)$", s)
    if m:
        return f"{m.group(1)}/{m.group(2)[-2:]}"
    return re.sub(r"\s+", " ", s)


def read_figure(raw: str) -> tuple[float, bool, bool, bool]:
    """(number, suppressed, thousands separated, readable) of one cell; NaN when missing or suppressed."""
    if raw in MISSING:
        return np.nan, False, False, True
    if is_suppressed(raw):
        return np.nan, True, False, True
    if is_number(raw):
        return float(raw), False, False, True
    if THOUSANDS_RE.match(raw):
        return float(raw.replace(",", "")), False, True, True
    return np.nan, False, False, False
