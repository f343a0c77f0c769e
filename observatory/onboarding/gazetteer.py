"""The configuration's areas by code and by place name, to read a partner's geography column.

Partners write ward names as their systems spell them ("Avonmere St Annes", "Pellincote Ward"):
names are matched after :func:`name_key` reduces them; codes are matched by area type and vintage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from observatory._core.vocab import AreaType
from observatory.geo.areas import Geography

NAMED_TYPES = (AreaType.WARD.value, AreaType.LOCALITY.value, AreaType.DISTRICT.value)


def name_key(text: str) -> str:
    """A place name reduced for matching: case, punctuation, '&'/'and', 'Saint'/'St' and a trailing 'ward' ignored."""
    t = str(text).casefold().replace("&", " and ").strip()
    t = re.sub(r"\s+ward$", "", t)
    t = re.sub(r"\bsaint\b", "st", t)
    return re.sub(r"[^0-9a-z]", "", t)


@dataclass
class Areas:
    """How the geography column was read: codes or names of which area type and vintage."""

    column: str = ""
    kind: str = ""  # code | name
    area_type: str = ""
    vintage: str = ""
    matched: dict[str, str] = field(default_factory=dict)  # text in the file → area code
    normalised: dict[str, str] = field(default_factory=dict)  # text matched only after ignoring case and punctuation
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, text) left out
    names: dict[str, str] = field(default_factory=dict)  # code → name in the geography


class Gazetteer:
    """The configuration's areas by code and by reduced name, per area type and vintage."""

    def __init__(self, geo: Geography):
        self.geo = geo
        areas = geo.areas
        self.by_code: dict[str, list[tuple[str, str]]] = {}
        for code, t, v in zip(areas["code"], areas["type"], areas["vintage"]):
            self.by_code.setdefault(code.upper(), []).append((t, v))
        self.names: dict[tuple[str, str], dict[str, list[str]]] = {}
        self.exact: dict[tuple[str, str], dict[str, str]] = {}
        self.code_names = areas.drop_duplicates("code").set_index("code")["name"].to_dict()
        named = areas[
            areas["type"].isin(NAMED_TYPES) | ((areas["type"] == geo.small_area_type) & (areas["vintage"] == geo.vintage))
        ]
        for (t, v), g in named.groupby(["type", "vintage"]):
            keyed: dict[str, list[str]] = {}
            for code, name in zip(g["code"], g["name"]):
                keyed.setdefault(name_key(name), []).append(code)
            self.names[(t, v)] = keyed
            self.exact[(t, v)] = dict(zip(g["name"], g["code"]))

    def score(self, values: list[str]) -> tuple[int, str, str, str]:
        """(matches, kind, area type, vintage) of the best reading of ``values`` as codes or names."""
        best = (0, "", "", "")
        types: dict[tuple[str, str], int] = {}
        for v in values:
            for t, vin in self.by_code.get(v.upper(), []):
                types[(t, vin)] = types.get((t, vin), 0) + 1
        for (t, vin), n in types.items():
            if n > best[0]:
                best = (n, "code", t, vin)
        for (t, vin), keyed in self.names.items():
            n = sum(1 for v in values if len(keyed.get(name_key(v), [])) == 1)
            if n > best[0]:
                best = (n, "name", t, vin)
        return best

    def resolve(self, text: str, areas: Areas) -> str:
        """The area code ``text`` names under the reading ``areas``, or "" when it names none (or several)."""
        text = text.strip()
        if not text:
            return ""
        if areas.kind == "code":
            hits = self.by_code.get(text.upper(), [])
            return (
                text.upper() if any(t == areas.area_type and (not areas.vintage or v == areas.vintage) for t, v in hits) else ""
            )
        key = (areas.area_type, areas.vintage)
        exact = self.exact.get(key, {}).get(text)
        if exact:
            return exact
        codes = self.names.get(key, {}).get(name_key(text), [])
        return codes[0] if len(codes) == 1 else ""

    def code_vintage(self, values: list[str], area_type: str, primary: str) -> tuple[str, list[str], str]:
        """The vintage of small-area codes: the one holding codes no other vintage has; (vintage, problems, note)."""
        vintages: dict[str, set[str]] = {}
        for v in values:
            for t, vin in self.by_code.get(v.upper(), []):
                if t == area_type:
                    vintages.setdefault(vin, set()).add(v.upper())
        if len(vintages) <= 1:
            return next(iter(vintages), primary), [], ""
        exclusive = {vin: codes - set().union(*(c for w, c in vintages.items() if w != vin)) for vin, codes in vintages.items()}
        having = [vin for vin, codes in exclusive.items() if codes]
        if len(having) == 1:
            vin = having[0]
            return (
                vin,
                [],
                f"{len(exclusive[vin])} codes exist only in the {vin} vintage, so the codes are read as {area_type.upper()} {vin}",
            )
        if not having:
            return (
                primary,
                [],
                (
                    f"every code is the same in the {' and '.join(sorted(vintages))} vintages; "
                    f"read as {area_type.upper()} {primary}, the vintage localities are defined on"
                ),
            )
        examples = "; ".join(f"{vin}: {', '.join(sorted(exclusive[vin])[:3])}" for vin in sorted(having))
        return primary, [f"codes of several vintages are mixed ({examples}): ask the partner for one vintage"], ""
