"""Demo places, all fictional: towns, districts with their localities, and the words ward and village names are made of."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Town:
    name: str
    x: float  # km east of the origin
    y: float  # km north of the origin
    areas: int  # expected number of small areas
    sigma: float  # km: spread of the built-up area
    deprivation: float  # extra deprivation at the centre (latent units)


TOWNS = {
    t.name: t
    for t in [
        Town("Brackleigh", -7.0, 19.0, 26, 1.5, 1.5),
        Town("Avonmere", 6.5, 17.5, 72, 2.3, 2.0),
        Town("Ravelstoke", 10.5, 2.5, 45, 1.9, 1.3),
        Town("Sallowmere", 0.5, -4.0, 40, 1.7, 0.9),
        Town("Quenbury", -6.0, 0.5, 28, 1.4, 0.4),
        Town("Thistlecombe", -2.0, -19.0, 20, 1.3, 0.5),
        Town("Vennhampton", -11.0, -13.0, 10, 0.9, 0.6),
    ]
}

# district name, anchor (km), localities: (name, town, offset km) for town localities, (name, None, None) for rural ones
DISTRICTS: list[tuple[str, tuple[float, float], list[tuple[str, str | None, tuple[float, float] | None]]]] = [
    (
        "Brackleigh",
        (-8.0, 20.0),
        [
            ("Brackleigh Town", "Brackleigh", (0.0, 0.0)),
            ("Wrexcot and Tallowby", None, None),
            ("Corvinhurst Heath", None, None),
        ],
    ),
    (
        "Avonmere",
        (7.0, 19.0),
        [
            ("Avonmere Central", "Avonmere", (0.0, 0.0)),
            ("Avonmere North", "Avonmere", (0.3, 2.2)),
            ("Avonmere East", "Avonmere", (2.2, -0.6)),
            ("Avonmere West", "Avonmere", (-2.0, -1.2)),
            ("Yarrowby and Orlmere", None, None),
        ],
    ),
    (
        "Ravelstoke",
        (12.0, 2.0),
        [
            ("Ravelstoke West", "Ravelstoke", (-1.2, 0.3)),
            ("Ravelstoke East", "Ravelstoke", (1.2, -0.3)),
            ("Calderhithe", None, None),
            ("Tamberford Villages", None, None),
        ],
    ),
    (
        "Sallowmere",
        (-3.0, -2.0),
        [
            ("Sallowmere North", "Sallowmere", (0.0, 1.0)),
            ("Sallowmere South", "Sallowmere", (0.0, -1.0)),
            ("Quenbury", "Quenbury", (0.0, 0.0)),
            ("Kestrelcote and Pellinham", None, None),
            ("Lanterwick Vale", None, None),
        ],
    ),
    (
        "Thistle Wolds",
        (-4.0, -20.0),
        [
            ("Thistlecombe", "Thistlecombe", (0.0, 0.0)),
            ("Vennhampton", "Vennhampton", (0.0, 0.0)),
            ("Halvern Edge", None, None),
            ("Farrowdale", None, None),
            ("Zelmonde", None, None),
            ("Mirrenstead Villages", None, None),
        ],
    ),
]

WARD_SUFFIXES = [
    "Abbey",
    "Bridge",
    "Castle",
    "Central",
    "Eastfields",
    "Hill",
    "Park",
    "Priory",
    "Westgate",
    "Northfield",
    "Brookside",
    "Manor",
    "Meadows",
    "Oakfield",
    "St Anne's",
    "Town",
    "Green",
    "Heath",
    "Riverside",
    "Grange",
    "Lakeside",
    "Mill End",
    "Newlands",
    "Old Town",
    "Chapel",
    "Fairfield",
    "Kingsway",
    "Poplars",
    "Orchard",
    "Wharf",
]
VILLAGE_STEMS = [
    "Quen",
    "Tallow",
    "Orl",
    "Pellin",
    "Wrex",
    "Zel",
    "Yarrow",
    "Kestrel",
    "Ravel",
    "Sallow",
    "Thistle",
    "Farrow",
    "Ombre",
    "Lanter",
    "Mirren",
    "Corvin",
    "Halvern",
    "Tamber",
    "Brackle",
    "Venn",
]
VILLAGE_ENDINGS = ["by", "cote", "don", "field", "ford", "ham", "hurst", "ley", "mere", "stead", "thorpe", "ton", "wick", "worth"]


def _village_names(rng: np.random.Generator, avoid: set[str]) -> list[str]:
    names = [s + e for s in VILLAGE_STEMS for e in VILLAGE_ENDINGS]
    names = [n for n in names if n not in avoid and not any(n in a or a in n for a in avoid)]
    return [names[i] for i in rng.permutation(len(names))]
