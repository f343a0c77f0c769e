"""Derive the 23 Warwickshire localities (LSOA 2011 membership) from an explicit ward table.

The configuration decision is the table LOCALITIES below: each locality is a set of whole
2013 wards (WD13), plus, where a published definition names part of a ward, an explicit list
of that ward's LSOAs. LSOA membership is computed through the best-fit LSOA11 -> WD13 lookup
in the shared bundle, and the result is checked before it is written: every LSOA assigned
once, each locality inside one district (ONS LSOA11 -> LAD21 lookup), contiguous, and within
the population range. See LOCALITIES.md for the reasoning behind each grouping.

Run: .venv/bin/python data/warwickshire/derive_localities.py [--shared PATH] [--out PATH]
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO.parent / "shared" / "data" / "warwickshire"
DEFAULT_OUT = Path(__file__).resolve().parent / "localities.csv"

COLUMNS = [
    "locality_code", "locality_name", "district_code", "district_name",
    "area_type", "area_code", "area_name", "source",
]

DISTRICTS = {
    "E07000218": ("NW", "North Warwickshire"),
    "E07000219": ("NB", "Nuneaton and Bedworth"),
    "E07000220": ("RU", "Rugby"),
    "E07000221": ("SA", "Stratford-on-Avon"),
    "E07000222": ("WA", "Warwick"),
}
LOCALITY_COUNT = 23
MIN_POPULATION = 12_000
MAX_POPULATION = 40_000
COUNTY_POPULATION_MID2020 = 583_786
# BGC polygons are generalised; neighbours may be separated by slivers of up to a few metres.
ADJACENCY_TOLERANCE_M = 5.0
BRITISH_NATIONAL_GRID = 27700

PROVISIONAL = "provisional"
PROFILE = "Warwickshire Observatory Locality Profile January 2011"
KENILWORTH_SOURCE = (
    f"{PROFILE} (Kenilworth); "
    "https://docslib.org/doc/897947/locality-profile-january-2011-locality-name-kenilworth-district-warwick-district"
)
NW_WEST_SOURCE = (
    f"{PROFILE} (North Warwickshire West); "
    "https://docslib.org/doc/9527918/locality-profile-january-2011-locality-name-north-warwickshire-west-district-north-warwickshire"
)


@dataclass(frozen=True)
class Locality:
    """One locality: whole WD13 wards plus, optionally, named LSOAs of a partly included ward."""

    code: str
    name: str
    district_code: str
    wards: dict[str, str]
    partial_wards: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    source: str = PROVISIONAL


LOCALITIES: tuple[Locality, ...] = (
    # North Warwickshire: 3
    Locality("NW-WEST", "North Warwickshire West", "E07000218", {
        "E05007473": "Water Orton", "E05007468": "Hurley and Wood End",
        "E05007464": "Curdworth", "E05007469": "Kingsbury",
    }, source=NW_WEST_SOURCE),
    Locality("NW-ATH", "Atherstone and Polesworth", "E07000218", {
        "E05007458": "Atherstone Central", "E05007459": "Atherstone North",
        "E05007460": "Atherstone South and Mancetter", "E05007467": "Hartshill",
        "E05007461": "Baddesley and Grendon", "E05007465": "Dordon",
        "E05007471": "Polesworth East", "E05007472": "Polesworth West",
        "E05007470": "Newton Regis and Warton",
    }),
    Locality("NW-COL", "Coleshill and Arley", "E07000218", {
        "E05007462": "Coleshill North", "E05007463": "Coleshill South",
        "E05007466": "Fillongley", "E05007457": "Arley and Whitacre",
    }),
    # Nuneaton and Bedworth: 5
    Locality("NB-BEW", "Bedworth West", "E07000219", {
        "E05007481": "Exhall", "E05007483": "Heath", "E05007487": "Slough",
    }),
    Locality("NB-BEC", "Bedworth Central and Bulkington", "E07000219", {
        "E05007478": "Bede", "E05007485": "Poplar", "E05007479": "Bulkington",
    }),
    Locality("NB-NUC", "Nuneaton Central", "E07000219", {
        "E05007474": "Abbey", "E05007489": "Wem Brook", "E05007475": "Arbury",
    }),
    Locality("NB-NUE", "Nuneaton East", "E07000219", {
        "E05007488": "Weddington", "E05007486": "St Nicolas",
        "E05007490": "Whitestone", "E05007476": "Attleborough",
    }),
    Locality("NB-NUW", "Nuneaton West", "E07000219", {
        "E05007480": "Camp Hill", "E05007482": "Galley Common",
        "E05007484": "Kingswood", "E05007477": "Bar Pool",
    }),
    # Rugby: 4
    Locality("RU-RTN", "Rugby Town North", "E07000220", {
        "E05008982": "Newbold and Brownsover", "E05008977": "Coton and Boughton",
        "E05008974": "Benn",
    }),
    Locality("RU-RTW", "Rugby Town West", "E07000220", {
        "E05008981": "New Bilton", "E05008973": "Admirals and Cawston",
        "E05008975": "Bilton", "E05008985": "Rokeby and Overslade",
    }),
    Locality("RU-RTE", "Rugby Town East", "E07000220", {
        "E05008986": "Eastlands", "E05008983": "Paddox", "E05008979": "Hillmorton",
    }),
    Locality("RU-RUR", "Rugby Rural", "E07000220", {
        "E05008988": "Wolvey and Shilton", "E05008984": "Revel and Binley Woods",
        "E05008976": "Clifton, Newton and Churchover",
        "E05008987": "Wolston and the Lawfords", "E05008978": "Dunsmore",
        "E05008980": "Leam Valley",
    }),
    # Stratford-on-Avon: 5
    Locality("SA-STR", "Stratford-upon-Avon", "E07000221", {
        "E05007532": "Stratford Alveston", "E05008590": "Stratford Avenue and New Town",
        "E05007534": "Stratford Guild and Hathaway", "E05007535": "Stratford Mount Pleasant",
        "E05007944": "Bardon",
    }),
    Locality("SA-ALC", "Alcester, Studley and Henley", "E07000221", {
        "E05008585": "Alcester", "E05007949": "Kinwarton", "E05008586": "Bidford and Salford",
        "E05007536": "Studley", "E05007527": "Sambourne", "E05007951": "Tanworth",
        "E05007947": "Henley", "E05007517": "Claverdon", "E05007512": "Aston Cantlow",
    }),
    Locality("SA-SHI", "Shipston and Quinton", "E07000221", {
        "E05007528": "Shipston", "E05007515": "Brailes", "E05007524": "Long Compton",
        "E05008591": "Tredington", "E05008587": "Ettington", "E05007526": "Quinton",
        "E05008593": "Welford",
    }),
    Locality("SA-WEL", "Wellesbourne and Kineton", "E07000221", {
        "E05008594": "Wellesbourne", "E05008589": "Snitterfield", "E05008588": "Kineton",
        "E05008592": "Vale of the Red Horse", "E05007945": "Burton Dassett",
    }),
    Locality("SA-SOU", "Southam and Harbury", "E07000221", {
        "E05007530": "Southam", "E05007531": "Stockton and Napton",
        "E05007525": "Long Itchington", "E05007520": "Harbury", "E05007519": "Fenny Compton",
    }),
    # Warwick: 6
    Locality("WA-KEN", "Kenilworth", "E07000222", {
        "E05007542": "Abbey", "E05007555": "St John's", "E05007553": "Park Hill",
    }, partial_wards={
        # "a small area of Stoneleigh": the ward is a single LSOA, so the whole LSOA is taken.
        "E05007556": ("Stoneleigh", ("E01031308",)),
    }, source=KENILWORTH_SOURCE),
    Locality("WA-WAR", "Warwick", "E07000222", {
        "E05007557": "Warwick North", "E05007558": "Warwick South", "E05007559": "Warwick West",
    }),
    Locality("WA-LMN", "Leamington North", "E07000222", {
        "E05007546": "Clarendon", "E05007547": "Crown", "E05007551": "Manor",
        "E05007552": "Milverton",
    }),
    Locality("WA-LMS", "Leamington South", "E07000222", {
        "E05007544": "Brunswick", "E05007561": "Willes",
    }),
    Locality("WA-WHI", "Whitnash, Cubbington and Radford Semele", "E07000222", {
        "E05007560": "Whitnash", "E05007554": "Radford Semele", "E05007548": "Cubbington",
    }),
    Locality("WA-RUR", "Warwick Rural", "E07000222", {
        "E05007545": "Budbrooke", "E05007549": "Lapworth", "E05007550": "Leek Wootton",
        "E05007543": "Bishop's Tachbrook",
    }),
)


def largest_remainder_allocation(populations: dict[str, int], seats: int) -> dict[str, int]:
    """Share `seats` among districts in proportion to population (Hamilton's method)."""
    total = sum(populations.values())
    quotas = {k: seats * v / total for k, v in populations.items()}
    allocation = {k: int(q) for k, q in quotas.items()}
    leftover = seats - sum(allocation.values())
    for k in sorted(quotas, key=lambda k: quotas[k] - allocation[k], reverse=True)[:leftover]:
        allocation[k] += 1
    return allocation


def load_inputs(shared: Path) -> pd.DataFrame:
    """One row per LSOA 2011: name, best-fit WD13 ward, LAD21 district and mid-2020 population."""
    bestfit = pd.read_csv(shared / "lookups/derived_lsoa11_to_wd13_bestfit.csv", dtype=str)
    lad = pd.read_csv(shared / "lookups/lsoa11_ccg21_lad21.csv", dtype=str)
    pop = pd.read_csv(
        shared / "lsoa11/population_mid2020_syoa_lsoa11.csv",
        usecols=["lsoa11_code", "total_population"],
    ).rename(columns={"lsoa11_code": "LSOA11CD"})
    boundaries = gpd.read_file(shared / "boundaries/lsoa11_bgc_warwickshire.geojson")
    frame = (
        boundaries[["LSOA11CD", "LSOA11NM"]]
        .merge(bestfit[["LSOA11CD", "WD13CD", "WD13NM"]], on="LSOA11CD", how="left", validate="1:1")
        .merge(lad[["LSOA11CD", "LAD21CD"]], on="LSOA11CD", how="left", validate="1:1")
        .merge(pop, on="LSOA11CD", how="left", validate="1:1")
    )
    missing = frame[frame[["WD13CD", "LAD21CD", "total_population"]].isna().any(axis=1)]
    if not missing.empty:
        raise ValueError(f"LSOAs missing from a lookup: {sorted(missing.LSOA11CD)}")
    return frame


def assign(frame: pd.DataFrame, localities: tuple[Locality, ...] = LOCALITIES) -> pd.DataFrame:
    """Give each LSOA its locality from the ward table; fail on any ambiguity or gap."""
    ward_names = dict(zip(frame.WD13CD, frame.WD13NM))
    for attr in ("code", "name"):
        values = [getattr(loc, attr) for loc in localities]
        if len(set(values)) != len(values):
            raise ValueError(f"locality {attr}s are not unique")
    for loc in localities:
        if not loc.code.startswith(DISTRICTS[loc.district_code][0] + "-"):
            raise ValueError(f"{loc.code} does not start with its district prefix")
    by_lsoa: dict[str, Locality] = {}
    by_ward: dict[str, str] = {}
    for loc in localities:
        claimed = {**loc.wards, **{w: n for w, (n, _) in loc.partial_wards.items()}}
        for ward, name in claimed.items():
            if ward_names.get(ward) != name:
                raise ValueError(f"{loc.code}: ward {ward} is {ward_names.get(ward)!r}, table says {name!r}")
        for ward in loc.wards:
            if ward in by_ward:
                raise ValueError(f"ward {ward} in both {by_ward[ward]} and {loc.code}")
            by_ward[ward] = loc.code
        lsoas = list(frame.loc[frame.WD13CD.isin(loc.wards.keys()), "LSOA11CD"])
        for ward, (_, named) in loc.partial_wards.items():
            for lsoa in named:
                if frame.loc[frame.LSOA11CD == lsoa, "WD13CD"].item() != ward:
                    raise ValueError(f"{loc.code}: LSOA {lsoa} is not in ward {ward}")
            lsoas.extend(named)
        for lsoa in lsoas:
            if lsoa in by_lsoa:
                raise ValueError(f"LSOA {lsoa} in both {by_lsoa[lsoa].code} and {loc.code}")
            by_lsoa[lsoa] = loc
    unassigned = sorted(set(frame.LSOA11CD) - set(by_lsoa))
    if unassigned:
        raise ValueError(f"LSOAs in no locality: {unassigned}")
    out = frame.assign(
        locality_code=frame.LSOA11CD.map(lambda c: by_lsoa[c].code),
        locality_name=frame.LSOA11CD.map(lambda c: by_lsoa[c].name),
        district_code=frame.LSOA11CD.map(lambda c: by_lsoa[c].district_code),
        source=frame.LSOA11CD.map(lambda c: by_lsoa[c].source),
    )
    wrong = out[out.district_code != out.LAD21CD]
    if not wrong.empty:
        raise ValueError(f"LSOAs outside their locality's district: {sorted(wrong.LSOA11CD)}")
    return out


def connected_parts(geoms: gpd.GeoSeries, tolerance: float = ADJACENCY_TOLERANCE_M) -> int:
    """Number of connected pieces of a set of polygons, neighbours being within `tolerance` metres."""
    geoms = geoms.reset_index(drop=True)
    left, right = geoms.sindex.query(geoms.buffer(tolerance), predicate="intersects")
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(geoms))}
    for a, b in zip(left.tolist(), right.tolist()):
        neighbours[a].add(b)
    seen: set[int] = set()
    parts = 0
    for start in neighbours:
        if start in seen:
            continue
        parts += 1
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(neighbours[node] - seen)
    return parts


def check(assigned: pd.DataFrame, shared: Path) -> pd.DataFrame:
    """Summarise each locality and fail unless counts, contiguity and populations are acceptable."""
    district_pop = assigned.groupby("LAD21CD").total_population.sum().to_dict()
    expected = largest_remainder_allocation(district_pop, LOCALITY_COUNT)
    actual = assigned.groupby("district_code").locality_code.nunique().to_dict()
    if actual != expected:
        raise ValueError(f"localities per district {actual}, population share gives {expected}")
    if assigned.total_population.sum() != COUNTY_POPULATION_MID2020:
        raise ValueError("county population does not match mid-2020 total")
    geoms = gpd.read_file(shared / "boundaries/lsoa11_bgc_warwickshire.geojson").to_crs(BRITISH_NATIONAL_GRID)
    geoms = geoms.set_index("LSOA11CD").geometry
    rows = []
    for code, group in assigned.groupby("locality_code"):
        rows.append({
            "locality_code": code,
            "locality_name": group.locality_name.iloc[0],
            "district_code": group.district_code.iloc[0],
            "lsoas": len(group),
            "population_mid2020": int(group.total_population.sum()),
            "parts": connected_parts(geoms.loc[group.LSOA11CD]),
        })
    summary = pd.DataFrame(rows)
    bad = summary[
        (summary.parts != 1)
        | ~summary.population_mid2020.between(MIN_POPULATION, MAX_POPULATION)
    ]
    if len(summary) != LOCALITY_COUNT or not bad.empty:
        raise ValueError(f"localities failing checks:\n{bad.to_string()}")
    return summary


def to_table(assigned: pd.DataFrame) -> pd.DataFrame:
    """The localities table in its published column order, sorted by district, locality and LSOA."""
    table = assigned.assign(
        district_name=assigned.district_code.map(lambda c: DISTRICTS[c][1]),
        area_type="lsoa",
        area_code=assigned.LSOA11CD,
        area_name=assigned.LSOA11NM,
    )
    return table[COLUMNS].sort_values(["district_code", "locality_code", "area_code"]).reset_index(drop=True)


def derive(shared: Path = DEFAULT_SHARED) -> pd.DataFrame:
    """Assign, check and tabulate: the content of localities.csv."""
    assigned = assign(load_inputs(shared))
    check(assigned, shared)
    return to_table(assigned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared Warwickshire data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write")
    args = parser.parse_args()
    assigned = assign(load_inputs(args.shared))
    summary = check(assigned, args.shared)
    table = to_table(assigned)
    table.to_csv(args.out, index=False, lineterminator="\n")
    print(summary.to_string(index=False))
    print(f"wrote {len(table)} LSOAs in {table.locality_code.nunique()} localities to {args.out}")


if __name__ == "__main__":
    main()
