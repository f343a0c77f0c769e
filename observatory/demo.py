"""The synthetic demo county: a deterministic generator of a complete, clearly fictional configuration.

``generate(out_dir)`` writes boundaries, lookups, localities, indicator metadata, source files and a
``config.yaml`` for "Demo County (synthetic)". Every place, code and number is invented; codes use
the ``Z`` prefix, which no real ONS geography uses. The same seed gives byte-identical files, so the
committed ``data/demo/`` can be checked by regenerating it.

    python -m observatory.demo data/demo
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay, cKDTree
from scipy.special import expit, logit
from scipy.stats import norm

SEED = 20261122
TITLE = "Demo County (synthetic)"
COUNTY = {"code": "Z10000001", "name": TITLE}
ENGLAND = {"code": "E92000001", "name": "England"}
N_SMALL_AREAS = 350
MICRO_PER_AREA = 30  # micro-cells per small area: they give borders their irregular line
ORIGIN = (-1.52, 52.28)  # lon, lat of the county's centre (the km grid's origin)
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(ORIGIN[1]))
ENGLAND_LSOAS = 33755  # LSOA 2021 count, for national IMD ranks

ESP_BANDS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
             "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]
BAND_MID = np.array([2.5 + 5 * i for i in range(18)] + [93.0])
# England's age structure (share of persons by ESP band, about 2021) and the male share in each band.
AGE_SHARE = np.array([5.4, 5.9, 6.0, 5.6, 6.0, 6.6, 6.8, 6.6, 6.2, 6.4, 6.9, 6.8, 5.9, 5.1, 5.1, 3.7, 2.6, 1.5, 0.9])
MALE_SHARE = np.array([.512, .512, .512, .514, .51, .50, .497, .495, .495, .493, .492, .492, .488, .483, .475, .46, .44, .40, .31])
# Under-75 all-cause death rates per 100,000 by band (England, persons, about 2019), scaled per year.
U75_RATES = np.array([75, 8, 10, 25, 40, 50, 65, 90, 130, 190, 280, 420, 650, 1000, 1600], dtype=float)
ESP_WEIGHTS = np.array([5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000,
                        4000, 2500, 1500, 1000], dtype=float)

FY = [f"{y}/{(y + 1) % 100:02d}" for y in range(2019, 2025)]  # financial / academic years 2019/20 … 2024/25
CY = [str(y) for y in range(2019, 2025)]  # calendar years 2019 … 2024
YEARS = list(range(2019, 2025))
POPULATION_YEARS = [2021, 2022, 2023, 2024]  # mid-year estimates shipped (file size); earlier years are modelled only
ENGLAND_POP = [56.29e6, 56.55e6, 56.54e6, 57.11e6, 57.69e6, 58.40e6]
ENGLAND_HOUSEHOLDS = [23.9e6, 24.0e6, 24.2e6, 24.4e6, 24.6e6, 24.8e6]


# ---------------------------------------------------------------------------------------------
# Places (all fictional)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Town:
    name: str
    x: float  # km east of the origin
    y: float  # km north of the origin
    areas: int  # expected number of small areas
    sigma: float  # km: spread of the built-up area
    deprivation: float  # extra deprivation at the centre (latent units)


TOWNS = {t.name: t for t in [
    Town("Brackleigh", -7.0, 19.0, 26, 1.5, 1.5),
    Town("Avonmere", 6.5, 17.5, 72, 2.3, 2.0),
    Town("Ravelstoke", 10.5, 2.5, 45, 1.9, 1.3),
    Town("Sallowmere", 0.5, -4.0, 40, 1.7, 0.9),
    Town("Quenbury", -6.0, 0.5, 28, 1.4, 0.4),
    Town("Thistlecombe", -2.0, -19.0, 20, 1.3, 0.5),
    Town("Vennhampton", -11.0, -13.0, 10, 0.9, 0.6),
]}

# district name, anchor (km), localities: (name, town, offset km) for town localities, (name, None, None) for rural ones
DISTRICTS: list[tuple[str, tuple[float, float], list[tuple[str, str | None, tuple[float, float] | None]]]] = [
    ("Brackleigh", (-8.0, 20.0), [
        ("Brackleigh Town", "Brackleigh", (0.0, 0.0)),
        ("Wrexcot and Tallowby", None, None),
        ("Corvinhurst Heath", None, None),
    ]),
    ("Avonmere", (7.0, 19.0), [
        ("Avonmere Central", "Avonmere", (0.0, 0.0)),
        ("Avonmere North", "Avonmere", (0.3, 2.2)),
        ("Avonmere East", "Avonmere", (2.2, -0.6)),
        ("Avonmere West", "Avonmere", (-2.0, -1.2)),
        ("Yarrowby and Orlmere", None, None),
    ]),
    ("Ravelstoke", (12.0, 2.0), [
        ("Ravelstoke West", "Ravelstoke", (-1.2, 0.3)),
        ("Ravelstoke East", "Ravelstoke", (1.2, -0.3)),
        ("Calderhithe", None, None),
        ("Iselford Villages", None, None),
    ]),
    ("Sallowmere", (-3.0, -2.0), [
        ("Sallowmere North", "Sallowmere", (0.0, 1.0)),
        ("Sallowmere South", "Sallowmere", (0.0, -1.0)),
        ("Quenbury", "Quenbury", (0.0, 0.0)),
        ("Kestrelcote and Pellinham", None, None),
        ("Lanterwick Vale", None, None),
    ]),
    ("Thistle Wolds", (-4.0, -20.0), [
        ("Thistlecombe", "Thistlecombe", (0.0, 0.0)),
        ("Vennhampton", "Vennhampton", (0.0, 0.0)),
        ("Halvern Edge", None, None),
        ("Farrowdale", None, None),
        ("Zelmonde", None, None),
        ("Mirrenstead Villages", None, None),
    ]),
]

WARD_SUFFIXES = ["Abbey", "Bridge", "Castle", "Central", "Eastfields", "Hill", "Park", "Priory", "Westgate",
                 "Northfield", "Brookside", "Manor", "Meadows", "Oakfield", "St Anne's", "Town", "Green",
                 "Heath", "Riverside", "Grange", "Lakeside", "Mill End", "Newlands", "Old Town", "Chapel",
                 "Fairfield", "Kingsway", "Poplars", "Orchard", "Wharf"]
VILLAGE_STEMS = ["Quen", "Tallow", "Orl", "Pellin", "Wrex", "Zel", "Yarrow", "Kestrel", "Ravel", "Sallow",
                 "Thistle", "Farrow", "Ombre", "Lanter", "Mirren", "Corvin", "Halvern", "Isel", "Brackle", "Venn"]
VILLAGE_ENDINGS = ["by", "cote", "don", "field", "ford", "ham", "hurst", "ley", "mere", "stead", "thorpe", "ton",
                   "wick", "worth"]


# ---------------------------------------------------------------------------------------------
# Geometry: an irregular county outline, small areas from micro-cells, all in a km grid
# ---------------------------------------------------------------------------------------------
def _outline(rng: np.random.Generator) -> shapely.Polygon:
    theta = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    r = np.ones_like(theta)
    for harmonic, amp in ((2, 0.10), (3, 0.08), (4, 0.05), (5, 0.045), (7, 0.03), (11, 0.02)):
        r += amp * np.sin(harmonic * theta + rng.uniform(0, 2 * np.pi))
    return shapely.Polygon(np.c_[20 * r * np.cos(theta), 31 * r * np.sin(theta)])


def _town_density(xy: np.ndarray) -> np.ndarray:
    """Expected small areas per km² from the towns."""
    out = np.zeros(len(xy))
    for t in TOWNS.values():
        d2 = (xy[:, 0] - t.x) ** 2 + (xy[:, 1] - t.y) ** 2
        out += t.areas / (2 * np.pi * t.sigma ** 2) * np.exp(-d2 / (2 * t.sigma ** 2))
    return out


def _sample(rng: np.random.Generator, outline: shapely.Polygon, per_area: float, rural_density: float) -> np.ndarray:
    """Points following the small-area density, thinned so that no two are closer than a local spacing."""
    rural_n = N_SMALL_AREAS - sum(t.areas for t in TOWNS.values())
    minx, miny, maxx, maxy = outline.bounds
    parts = []
    n = int(rural_n * per_area * 2.2)
    u = np.c_[rng.uniform(minx, maxx, n * 2), rng.uniform(miny, maxy, n * 2)]
    parts.append(u[shapely.contains_xy(outline, u[:, 0], u[:, 1])][:n])
    for t in TOWNS.values():
        k = int(t.areas * per_area * 2.2)
        parts.append(np.c_[rng.normal(t.x, t.sigma, k), rng.normal(t.y, t.sigma, k)])
    cand = np.concatenate(parts)
    cand = cand[shapely.contains_xy(outline, cand[:, 0], cand[:, 1])]
    cand = cand[rng.permutation(len(cand))]
    radius = 0.55 / np.sqrt(per_area * (rural_density + _town_density(cand)))
    tree = cKDTree(cand)
    alive = np.ones(len(cand), bool)
    for i in range(len(cand)):
        if alive[i]:
            near = np.asarray(tree.query_ball_point(cand[i], radius[i]), dtype=int)
            alive[near[near > i]] = False
    return cand[alive]


def _dart(rng: np.random.Generator, pts: np.ndarray, n: int, rural_density: float) -> np.ndarray:
    """``n`` of ``pts`` in random order, skipping any closer than half the local spacing to one already taken."""
    order = rng.permutation(len(pts))
    radius = 0.5 / np.sqrt(rural_density + _town_density(pts))
    taken: list[int] = []
    for i in order:
        if taken:
            d = np.hypot(*(pts[taken] - pts[i]).T)
            if d.min() < radius[i]:
                continue
        taken.append(i)
        if len(taken) == n:
            break
    return pts[taken]


def _warp(rng: np.random.Generator, rural_density: float) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth displacement field scaled to the local spacing: it bends otherwise straight borders."""
    waves = []
    for wavelength, amp in ((6.0, 0.22), (2.5, 0.14), (1.0, 0.06)):
        for _ in range(3):
            ang = rng.uniform(0, 2 * np.pi)
            k = 2 * np.pi / wavelength * np.array([np.cos(ang), np.sin(ang)])
            waves.append((k, rng.uniform(0, 2 * np.pi), amp * rng.uniform(0.6, 1.4), rng.uniform(0, 2 * np.pi)))

    def warp(xy: np.ndarray) -> np.ndarray:
        spacing = 1 / np.sqrt(rural_density + _town_density(xy))
        dx = np.zeros(len(xy))
        dy = np.zeros(len(xy))
        for k, phase, amp, direction in waves:
            s = amp * np.sin(xy @ k + phase)
            dx += s * np.cos(direction)
            dy += s * np.sin(direction)
        return xy + np.c_[dx, dy] * spacing[:, None]

    return warp


def _components(labels: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Connected component id of each node within its own label (edges between equal labels only)."""
    from scipy.sparse.csgraph import connected_components

    same = labels[edges[:, 0]] == labels[edges[:, 1]]
    e = edges[same]
    n = len(labels)
    g = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _contiguous(labels: np.ndarray, edges: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Hand every fragment cut off from its label's anchor node to the neighbouring label it touches most."""
    labels = labels.copy()
    for _ in range(50):
        comp = _components(labels, edges)
        keep = set(comp[anchor])
        stray = np.array([c not in keep for c in comp])
        if not stray.any():
            return labels
        a, b = edges[:, 0], edges[:, 1]
        for c in sorted(set(comp[stray])):
            members = comp == c
            out_a = members[a] & ~members[b]
            out_b = members[b] & ~members[a]
            neighbours = np.concatenate([labels[b[out_a]], labels[a[out_b]]])
            neighbours = neighbours[neighbours != labels[members][0]]
            if len(neighbours):
                values, counts = np.unique(neighbours, return_counts=True)
                labels[members] = values[np.argmax(counts)]
    raise RuntimeError("could not make the small areas contiguous")


@dataclass
class Layout:
    outline: shapely.Polygon
    polygons: np.ndarray  # small-area polygons, km grid
    centroids: np.ndarray  # km
    adjacency: np.ndarray  # (i, j) pairs of small areas sharing a border, i < j
    town_density: np.ndarray  # at each centroid
    rural_density: float


def _layout(rng: np.random.Generator) -> Layout:
    outline = _outline(rng)
    town_area = sum(t.areas for t in TOWNS.values())
    rural_density = (N_SMALL_AREAS - town_area) / (outline.area - 0.6 * sum(2 * np.pi * t.sigma ** 2 for t in TOWNS.values()))
    for t in TOWNS.values():
        assert outline.exterior.distance(shapely.Point(t.x, t.y)) > 2 * t.sigma, t.name
    micro = _sample(rng, outline, MICRO_PER_AREA, rural_density)
    seeds = _dart(rng, micro, N_SMALL_AREAS, rural_density)
    tree_m = cKDTree(micro)
    for _ in range(3):  # Lloyd relaxation over the micro points: more regular shapes, same density
        lab = cKDTree(seeds).query(micro)[1]
        sums = np.zeros_like(seeds)
        np.add.at(sums, lab, micro)
        counts = np.bincount(lab, minlength=len(seeds))
        moved = sums[counts > 0] / counts[counts > 0, None]
        seeds[counts > 0] = moved
    # a band of exterior points closes the micro-cells along the county edge
    band = outline.buffer(8.0).difference(outline)
    minx, miny, maxx, maxy = band.bounds
    ext = np.c_[rng.uniform(minx, maxx, 9000), rng.uniform(miny, maxy, 9000)]
    ext = ext[shapely.contains_xy(band, ext[:, 0], ext[:, 1])]
    ext = ext[(cKDTree(micro).query(ext)[0] > 0.3)]
    pts = np.concatenate([micro, ext])
    n_in = len(micro)
    warp = _warp(rng, rural_density)
    labels = cKDTree(warp(seeds)).query(warp(micro))[1]
    tri = Delaunay(pts)
    s = tri.simplices
    edges = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    edges = edges[(edges < n_in).all(axis=1)]
    anchor = tree_m.query(seeds)[1]
    labels[anchor] = np.arange(len(seeds))
    labels = _contiguous(labels, edges, anchor)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=shapely.box(*band.buffer(5).bounds), ordered=True)
    cells = np.asarray(shapely.get_parts(cells))[:n_in]
    polys = np.empty(len(seeds), dtype=object)
    for i in range(len(seeds)):
        polys[i] = shapely.coverage_union_all(cells[labels == i])
    a, b = labels[edges[:, 0]], labels[edges[:, 1]]
    diff = a != b
    adj = np.unique(np.sort(np.c_[a[diff], b[diff]], axis=1), axis=0)
    cent = shapely.get_coordinates(shapely.centroid(polys))
    return Layout(outline, polys, cent, adj, _town_density(cent), rural_density)


# ---------------------------------------------------------------------------------------------
# Hierarchy: districts, localities and wards grown over the adjacency graph (so each is contiguous)
# ---------------------------------------------------------------------------------------------
def _grow(nodes: np.ndarray, layout: Layout, anchors: list[int]) -> np.ndarray:
    """Assign each of ``nodes`` to the nearest anchor along the adjacency graph restricted to ``nodes``.

    Multi-source shortest paths give connected regions: every node's path to its anchor stays in its region.
    """
    index = {int(n): i for i, n in enumerate(nodes)}
    pairs = [(index[a], index[b]) for a, b in layout.adjacency if a in index and b in index]
    if not pairs:
        return np.zeros(len(nodes), dtype=int)
    p = np.array(pairs)
    w = np.hypot(*(layout.centroids[nodes[p[:, 0]]] - layout.centroids[nodes[p[:, 1]]]).T)
    g = coo_matrix((np.r_[w, w], (np.r_[p[:, 0], p[:, 1]], np.r_[p[:, 1], p[:, 0]])), shape=(len(nodes),) * 2).tocsr()
    src = [index[a] for a in anchors]
    dist, _, sources = dijkstra(g, indices=src, min_only=True, return_predecessors=True)
    if np.isinf(dist).any():
        raise RuntimeError("region is not connected")
    return np.array([src.index(s) for s in sources])


def _nearest(points: np.ndarray, target: tuple[float, float] | np.ndarray, exclude: set[int] = frozenset()) -> int:
    d = np.hypot(points[:, 0] - target[0], points[:, 1] - target[1])
    for i in np.argsort(d, kind="stable"):
        if int(i) not in exclude:
            return int(i)
    raise ValueError("no point left")


def _kmeans(points: np.ndarray, k: int, iterations: int = 20) -> np.ndarray:
    """Deterministic k-means (farthest-point start) returning cluster centres."""
    centres = [points[np.argmax(points[:, 1])]]
    while len(centres) < k:
        d = cKDTree(np.array(centres)).query(points)[0]
        centres.append(points[np.argmax(d)])
    c = np.array(centres, dtype=float)
    for _ in range(iterations):
        lab = cKDTree(c).query(points)[1]
        for j in range(k):
            if (lab == j).any():
                c[j] = points[lab == j].mean(axis=0)
    return c


@dataclass
class Hierarchy:
    district: np.ndarray  # index into DISTRICTS, per small area
    locality: np.ndarray  # global locality index (order of DISTRICTS' lists), per small area
    ward: np.ndarray  # global ward index, per small area
    locality_names: list[str]
    locality_district: list[int]
    locality_town: list[str | None]
    ward_locality: list[int]


def _hierarchy(layout: Layout) -> Hierarchy:
    n = len(layout.polygons)
    nodes = np.arange(n)
    cent = layout.centroids
    d_anchor = [_nearest(cent, a) for _, a, _ in DISTRICTS]
    district = _grow(nodes, layout, d_anchor)
    for di, (_, _, locs) in enumerate(DISTRICTS):
        for _, town, _ in locs:
            if town:
                t = TOWNS[town]
                assert district[_nearest(cent, (t.x, t.y))] == di, f"{town} fell outside its district"
    urban = layout.town_density / (layout.town_density + layout.rural_density)
    locality = np.full(n, -1)
    names: list[str] = []
    loc_district: list[int] = []
    loc_town: list[str | None] = []
    for di, (_, _, locs) in enumerate(DISTRICTS):
        members = nodes[district == di]
        anchors: list[int] = []
        for _, town, offset in locs:
            if town:
                t = TOWNS[town]
                anchors.append(int(members[_nearest(cent[members], (t.x + offset[0], t.y + offset[1]), {int(np.searchsorted(members, a)) for a in anchors})]))
        rural = [loc for loc in locs if loc[1] is None]
        if rural:
            rural_members = members[urban[members] < 0.3]
            centres = _kmeans(cent[rural_members], len(rural))
            centres = centres[np.lexsort((centres[:, 0], -centres[:, 1]))]  # north to south
            for c in centres:
                taken = {int(np.searchsorted(members, a)) for a in anchors}
                anchors.append(int(members[_nearest(cent[members], c, taken)]))
        ordered = [loc for loc in locs if loc[1]] + rural
        region = _grow(members, layout, anchors)
        base = len(names)
        locality[members] = base + region
        for name, town, _ in ordered:
            names.append(name)
            loc_district.append(di)
            loc_town.append(town)
    # keep the published order of each district's localities
    order = []
    for di, (_, _, locs) in enumerate(DISTRICTS):
        for name, _, _ in locs:
            order.append(names.index(name))
    remap = np.empty(len(order), dtype=int)
    remap[order] = np.arange(len(order))
    locality = remap[locality]
    names = [names[i] for i in order]
    loc_district = [loc_district[i] for i in order]
    loc_town = [loc_town[i] for i in order]
    ward = np.full(n, -1)
    ward_locality: list[int] = []
    for li in range(len(names)):
        members = nodes[locality == li]
        k = max(1, int(round(len(members) / 3.5)))
        centres = _kmeans(cent[members], k)
        anchors = []
        for c in centres:
            anchors.append(int(members[_nearest(cent[members], c, {int(np.searchsorted(members, a)) for a in anchors})]))
        region = _grow(members, layout, anchors)
        ward[members] = len(ward_locality) + region
        ward_locality.extend([li] * k)
    return Hierarchy(district, locality, ward, names, loc_district, loc_town, ward_locality)


# ---------------------------------------------------------------------------------------------
# Names and codes
# ---------------------------------------------------------------------------------------------
def _village_names(rng: np.random.Generator, avoid: set[str]) -> list[str]:
    names = [s + e for s in VILLAGE_STEMS for e in VILLAGE_ENDINGS]
    names = [n for n in names if n not in avoid and not any(n in a or a in n for a in avoid)]
    return [names[i] for i in rng.permutation(len(names))]


def _areas_table(rng: np.random.Generator, layout: Layout, h: Hierarchy) -> pd.DataFrame:
    """One row per small area: codes and names of the small area, ward, locality and district."""
    n = len(layout.polygons)
    cent = layout.centroids
    avoid = set(TOWNS) | {d for d, _, _ in DISTRICTS} | {w for name in h.locality_names for w in name.split()}
    villages = iter(_village_names(rng, avoid))
    suffixes = {town: [WARD_SUFFIXES[i] for i in rng.permutation(len(WARD_SUFFIXES))] for town in TOWNS}
    n_wards = len(h.ward_locality)
    ward_cent = np.array([cent[h.ward == w].mean(axis=0) for w in range(n_wards)])
    ward_name = [""] * n_wards
    used = {t: 0 for t in TOWNS}
    for w in np.lexsort((ward_cent[:, 0], -ward_cent[:, 1])):
        town = h.locality_town[h.ward_locality[w]]
        if town:
            ward_name[w] = f"{town} {suffixes[town][used[town]]}"
            used[town] += 1
        else:
            ward_name[w] = next(villages)
    rows = []
    for di, (dname, _, _) in enumerate(DISTRICTS):
        wards = sorted({int(w) for w in h.ward[h.district == di]}, key=lambda w: (-ward_cent[w, 1], ward_cent[w, 0]))
        for number, w in enumerate(wards, start=1):
            members = np.flatnonzero(h.ward == w)
            members = members[np.lexsort((cent[members, 0], -cent[members, 1]))]
            for k, i in enumerate(members):
                rows.append({"index": int(i), "small_area_name": f"{dname} {number:03d}{chr(65 + k)}", "ward": w,
                             "district": di, "locality": int(h.locality[i])})
    t = pd.DataFrame(rows)
    t["small_area_code"] = [f"Z01{k:06d}" for k in range(1, len(t) + 1)]
    ward_order = list(dict.fromkeys(t["ward"]))
    ward_code = {w: f"Z05{k:06d}" for k, w in enumerate(ward_order, start=1)}
    t["ward_code"] = t["ward"].map(ward_code)
    t["ward_name"] = [ward_name[w] for w in t["ward"]]
    t["district_code"] = [f"Z07{d + 1:06d}" for d in t["district"]]
    t["district_name"] = [DISTRICTS[d][0] for d in t["district"]]
    t["locality_code"] = [f"ZL{li + 1:02d}" for li in t["locality"]]
    t["locality_name"] = [h.locality_names[li] for li in t["locality"]]
    assert len(t) == n and t["index"].is_unique
    return t


# ---------------------------------------------------------------------------------------------
# People: deprivation, population by age and sex, households
# ---------------------------------------------------------------------------------------------
@dataclass
class People:
    deprivation: np.ndarray  # latent, England mean 0 and sd 1 (the county is a little less deprived)
    urban: np.ndarray  # 0 (rural) … 1 (town)
    centre: np.ndarray  # closeness to a town centre, 0 … 1
    population: np.ndarray  # (area, year, sex, band): sex 0 male, 1 female; years 2019 … 2024
    households: np.ndarray  # (area, year)
    premises: np.ndarray  # (area, year)


def _smooth_field(rng: np.random.Generator, xy: np.ndarray, wavelengths: tuple[float, ...], amp: float) -> np.ndarray:
    out = np.zeros(len(xy))
    for wl in wavelengths:
        ang = rng.uniform(0, 2 * np.pi)
        k = 2 * np.pi / wl * np.array([np.cos(ang), np.sin(ang)])
        out += amp * np.sin(xy @ k + rng.uniform(0, 2 * np.pi))
    return out


def _people(rng: np.random.Generator, layout: Layout) -> People:
    cent = layout.centroids
    n = len(cent)
    urban = layout.town_density / (layout.town_density + layout.rural_density)
    raw = -0.8 + _smooth_field(rng, cent, (9.0, 13.0, 17.0, 23.0), 0.18) + rng.normal(0, 0.3, n)
    centre = np.zeros(n)
    for t in TOWNS.values():
        d2 = (cent[:, 0] - t.x) ** 2 + (cent[:, 1] - t.y) ** 2
        raw += t.deprivation * np.exp(-d2 / (2 * (0.8 * t.sigma) ** 2))
        centre = np.maximum(centre, np.exp(-d2 / (2 * (0.6 * t.sigma) ** 2)))
        for _ in range(1 + (t.areas > 30)):  # an estate or two away from the centre
            r, a = rng.uniform(0.6, 1.3) * t.sigma, rng.uniform(0, 2 * np.pi)
            px, py = t.x + r * np.cos(a), t.y + r * np.sin(a)
            raw += rng.uniform(0.9, 1.5) * np.exp(-((cent[:, 0] - px) ** 2 + (cent[:, 1] - py) ** 2) / (2 * (0.45 * t.sigma) ** 2))
    raw += 0.35 / (1 + np.exp(-(cent[:, 1] - 16) / 3)) * (1 - urban)  # former coalfield villages in the north
    dep = (raw - raw.mean()) / raw.std() * 0.85 - 0.25

    total = np.clip(rng.normal(1620, 210, n) + 60 * dep, 1050, 2600)
    growth = rng.normal(0.005, 0.004, n)
    fringe = np.flatnonzero((urban > 0.3) & (urban < 0.75))
    growth[rng.choice(fringe, size=min(12, len(fringe)), replace=False)] = 0.035  # new-build estates
    older = 0.6 * (1 - urban) - 0.35 * dep + rng.normal(0, 0.25, n)
    shares = AGE_SHARE[None, :] * np.exp(older[:, None] * (BAND_MID[None, :] - 40) / 40 * 0.7) \
        * np.exp(rng.normal(0, 0.08, (n, len(ESP_BANDS))))
    shares /= shares.sum(axis=1, keepdims=True)
    years = np.array(YEARS) - 2021
    tot_t = total[:, None] * (1 + growth[:, None]) ** years[None, :]
    persons = tot_t[:, :, None] * shares[:, None, :]
    male = np.rint(persons * MALE_SHARE[None, None, :])
    female = np.rint(persons * (1 - MALE_SHARE[None, None, :]))
    population = np.stack([male, female], axis=2).astype(np.int64)
    hh_size = 2.38 + 0.08 * dep - 0.12 * (1 - urban) - 0.1 * older + rng.normal(0, 0.05, n)
    households = np.rint(population.sum(axis=(2, 3)) / hh_size[:, None]).astype(np.int64)
    premises = households + np.rint(households * 0.03 + rng.poisson(12, n)[:, None]).astype(np.int64)
    return People(dep, urban, centre, population, households, premises)


def _denominators(p: People, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per area and year (2019 … 2024): the populations indicators are counted over."""
    persons = p.population.sum(axis=2).astype(float)  # (area, year, band)
    b = {band: persons[:, :, i] for i, band in enumerate(ESP_BANDS)}
    total = persons.sum(axis=2)
    age_65 = persons[:, :, 13:].sum(axis=2)
    age_0_14 = b["0-4"] + b["5-9"] + b["10-14"]
    age_16_64 = 0.8 * b["15-19"] + persons[:, :, 4:13].sum(axis=2)
    adults = total - age_0_14 - 0.8 * b["15-19"]

    def jitter(x: np.ndarray, sd: float = 0.06) -> np.ndarray:
        return np.maximum(np.rint(x * np.exp(rng.normal(0, sd, x.shape))), 1).astype(np.int64)

    return {
        "population": total.astype(np.int64),
        "households": p.households,
        "premises": p.premises,
        "children_0_15": np.rint(age_0_14 + 0.2 * b["15-19"]).astype(np.int64),
        "children_0_14": np.rint(age_0_14).astype(np.int64),
        "ks4": jitter(b["15-19"] / 5, 0.12),
        "reception": jitter(b["0-4"] / 5, 0.12),
        "year6": jitter(b["10-14"] / 5 * 0.95, 0.12),
        "age_16_17": jitter(b["15-19"] * 2 / 5, 0.1),
        "adults_18": jitter(adults * 1.02, 0.03),
        "adults_17": jitter((adults + 0.2 * b["15-19"]) * 1.02, 0.03),
        "age_65": np.rint(age_65).astype(np.int64),
        "age_16_64": np.rint(age_16_64).astype(np.int64),
        "respondents": np.maximum(rng.poisson(28, total.shape), 8).astype(np.int64),
    }


def _england_denominators() -> dict[str, np.ndarray]:
    pop = np.array(ENGLAND_POP)
    s = AGE_SHARE / AGE_SHARE.sum()
    share = {
        "population": 1.0,
        "children_0_15": s[:3].sum() + 0.2 * s[3],
        "children_0_14": s[:3].sum(),
        "ks4": s[3] / 5,
        "reception": s[0] / 5,
        "year6": s[2] / 5 * 0.95,
        "age_16_17": s[3] * 2 / 5,
        "adults_18": (1 - s[:3].sum() - 0.8 * s[3]) * 1.02,
        "adults_17": (1 - s[:3].sum() - 0.6 * s[3]) * 1.02,
        "age_65": s[13:].sum(),
        "age_16_64": 0.8 * s[3] + s[4:13].sum(),
    }
    out = {k: np.rint(pop * v).astype(np.int64) for k, v in share.items()}
    out["households"] = np.rint(np.array(ENGLAND_HOUSEHOLDS)).astype(np.int64)
    out["premises"] = np.rint(np.array(ENGLAND_HOUSEHOLDS) * 1.05).astype(np.int64)
    out["respondents"] = np.full(len(YEARS), 9800, dtype=np.int64)
    return out
