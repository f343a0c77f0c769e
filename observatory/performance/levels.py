"""Governance levels: the county-wide board (everything), a theme group (its indicators) and a district
partnership (the district and its localities)."""

from __future__ import annotations

import pandas as pd

from observatory._core.vocab import Theme


def parse_level(level: str) -> tuple[str, str]:
    """("board", ""), ("theme", theme id) or ("district", district code) from a level string."""
    if level == "board":
        return "board", ""
    kind, _, code = level.partition(":")
    if kind == "theme" and code in {t.value for t in Theme}:
        return kind, code
    if kind == "district" and code:
        return kind, code
    raise ValueError(f"level must be 'board', 'theme:<theme id>' or 'district:<district code>', not {level!r}")


def level_slug(level: str) -> str:
    """A file-name-safe form of a level: board, theme-children_young_people, district-E07000218."""
    kind, code = parse_level(level)
    return kind if kind == "board" else f"{kind}-{code}"


def for_level(exceptions: pd.DataFrame, level: str) -> pd.DataFrame:
    """The exceptions a governance level steers: the board all; a theme group its indicators (by the target's
    theme group, else the indicator's theme); a district itself and its localities."""
    kind, code = parse_level(level)
    e = exceptions
    if kind == "theme":
        e = e[e["theme_group"] == code]
    elif kind == "district":
        e = e[(e["district_code"] == code) & e["area_type"].isin(("district", "locality"))]
    return e.assign(level=level).reset_index(drop=True)


def targets_for_level(assessed: pd.DataFrame, level: str) -> pd.DataFrame:
    kind, code = parse_level(level)
    if kind == "theme":
        return assessed[assessed["theme_group"] == code]
    if kind == "district":
        return assessed[(assessed["district_code"] == code) & assessed["area_type"].isin(("district", "locality"))]
    return assessed
