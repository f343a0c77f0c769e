"""The register of England's 153 upper-tier authorities (UTLA 2024), read from the England lookup."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from observatory._core.vocab import SINGLE_TIER
from observatory.errors import Report, ValidationError
from observatory.national.england import LOOKUP, lookup


@dataclass(frozen=True)
class District:
    code: str
    name: str


@dataclass(frozen=True)
class Authority:
    """An upper-tier authority: a county with districts, or a single-tier unitary / metropolitan / London borough."""

    code: str
    name: str
    region_code: str
    region_name: str
    districts: tuple[District, ...]

    @property
    def single_tier(self) -> bool:
        return self.code[:3] in SINGLE_TIER

    @property
    def slug(self) -> str:
        """A configuration name: lower-case words joined by hyphens."""
        return "-".join("".join(ch if ch.isalnum() else " " for ch in self.name.lower()).split())


def authorities(folder: Path | None = None) -> list[Authority]:
    """Every upper-tier authority in the lookup, by code."""
    return list(_register(id(lookup(folder)), folder))


@lru_cache(maxsize=4)
def _register(_key: int, folder: Path | None) -> tuple[Authority, ...]:
    lk = lookup(folder)
    out = []
    for (code, name, rgn, rgn_name), g in lk.groupby(["UTLA24CD", "UTLA24NM", "RGN24CD", "RGN24NM"], sort=True):
        d = g[["LAD24CD", "LAD24NM"]].drop_duplicates().sort_values("LAD24CD")
        out.append(Authority(code, name, rgn, rgn_name, tuple(District(c, n) for c, n in d.itertuples(index=False))))
    return tuple(out)


def _closest(query: str, register: list[Authority]) -> list[str]:
    names = {a.name.lower(): a for a in register}
    hits = difflib.get_close_matches(query.lower(), list(names), n=5, cutoff=0.5)
    return [f"{names[h].code} {names[h].name}" for h in hits]


def find_authority(code_or_name: str, folder: Path | None = None) -> Authority:
    """The authority with this UTLA24 code or name (case-insensitive; a unique name prefix will do).

    Raises ValidationError ``unknown-authority`` (with the closest matches) or ``ambiguous-authority``.
    """
    register = authorities(folder)
    q = code_or_name.strip()
    exact = [a for a in register if q.upper() == a.code or q.lower() == a.name.lower()]
    if exact:
        return exact[0]
    partial = [a for a in register if a.name.lower().startswith(q.lower())] or [
        a for a in register if q.lower() in a.name.lower()
    ]
    if len(partial) == 1:
        return partial[0]
    report = Report()
    if partial:
        listed = "; ".join(f"{a.code} {a.name}" for a in partial[:10])
        report.add(LOOKUP, None, "UTLA24NM", f"{q!r} matches {len(partial)} authorities: {listed}", code="ambiguous-authority")
    else:
        near = _closest(q, register)
        hint = f"closest: {'; '.join(near)}" if near else "no close match; codes look like E10000031 or E08000025"
        report.add(LOOKUP, None, "UTLA24CD", f"unknown authority {q!r}: {hint}", code="unknown-authority")
    raise ValidationError(report)
