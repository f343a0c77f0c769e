"""The localities dashboard's address and search: pure functions the widgets call (light: no pandas).

A view is a few named choices (locality, small area, indicator, period, areas, shading, and which view:
the map, compare areas, inequalities or the population pyramid) written as a
query string, so a partner can send a link to what they see. The audience is never part of it: it is
the server's, read from its environment, and a query string naming one is ignored.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import parse_qs, urlencode

VIEW_KEYS = ("locality", "area", "indicator", "period", "areas", "shade", "view")
_CODE = re.compile(r"\(([^()]+)\)")


@dataclass(frozen=True)
class View:
    """The choices an address carries; "" where the address says nothing."""

    locality: str = ""
    area: str = ""
    indicator: str = ""
    period: str = ""
    areas: str = ""
    shade: str = ""
    view: str = ""

    def query(self) -> str:
        """The query string of this view (empty choices left out), in a fixed order."""
        return urlencode([(k, v) for k, v in asdict(self).items() if v])


def parse_view(query: str) -> View:
    """The view a query string asks for: known keys only, the first value of each, at most 100 characters."""
    raw = parse_qs((query or "").lstrip("?"), keep_blank_values=False, max_num_fields=20)
    return View(**{f.name: str(raw[f.name][0])[:100] for f in fields(View) if raw.get(f.name)})


def search_options(localities: list[tuple[str, str]], small_areas: Any) -> dict[str, tuple[str, str]]:
    """Search suggestion → (locality code, small area code or ""), for localities then small areas.

    ``small_areas`` (a data frame) has ``small_area_code``, ``small_area_name``, ``locality_code`` and ``locality_name``.
    """
    out = {f"{name} ({code})": (code, "") for code, name in localities}
    for r in small_areas.itertuples(index=False):
        if r.locality_code:
            out[f"{r.small_area_name} ({r.small_area_code}), in {r.locality_name}"] = (r.locality_code, r.small_area_code)
    return out


def find_place(text: str, options: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The place a search names: a suggestion, a code, or a name (case and spacing ignored); None if none or several."""
    text = " ".join((text or "").split())
    if not text:
        return None
    if text in options:
        return options[text]
    want = text.casefold()
    by_code = {
        suggestion: place
        for suggestion, place in options.items()
        if (m := _CODE.search(suggestion)) and m.group(1).casefold() == want
    }
    if len(by_code) == 1:
        return next(iter(by_code.values()))
    named = [place for suggestion, place in options.items() if suggestion.split(" (")[0].casefold() == want]
    if len(named) == 1:
        return named[0]
    starts = [place for suggestion, place in options.items() if suggestion.casefold().startswith(want)]
    return starts[0] if len(starts) == 1 else None
