"""The ONE vocabulary of missing and suppressed cell markers, shared by source adapters and partner files."""

from __future__ import annotations

import re

MISSING = frozenset({"", "NA", "N/A", "n/a", "NaN", "-", "..", ":"})
"""Cells that hold no value (ONS uses ``..`` and ``:``; Fingertips leaves them empty)."""

SUPPRESSED = frozenset({"*", "c", "x", "C", "X", "~"})
"""Cells withheld by the publisher (statistical disclosure control): ``[c]`` style symbols."""

SUPPRESSED_PATTERN = r"^<\s*\d+$"
"""``<5``, ``< 10``: suppressed below a threshold."""

_SUPPRESSED_RE = re.compile(SUPPRESSED_PATTERN)


def is_missing(text: str) -> bool:
    return text.strip() in MISSING


def is_suppressed(text: str) -> bool:
    t = text.strip()
    return t in SUPPRESSED or bool(_SUPPRESSED_RE.match(t))
