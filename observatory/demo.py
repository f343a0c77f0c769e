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
        ("Tamberford Villages", None, None),
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
                 "Thistle", "Farrow", "Ombre", "Lanter", "Mirren", "Corvin", "Halvern", "Tamber", "Brackle", "Venn"]
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
    """Small areas as unions of micro-cells: Voronoi cells of dense points, grouped by nearest seed in a warped plane."""
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
    ext = ext[tree_m.query(ext)[0] > 0.3]
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
    if len(set(anchor)) < len(anchor):
        raise RuntimeError("two small-area seeds share a micro-cell: try another seed")
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


def _nearest(points: np.ndarray, target: tuple[float, float] | np.ndarray, exclude: set[int] | None = None) -> int:
    """Index of the point nearest ``target``, skipping ``exclude``."""
    exclude = exclude or set()
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
    """Districts grown from their anchors; localities from town anchors and rural cluster centres; wards by size."""
    n = len(layout.polygons)
    nodes = np.arange(n)
    cent = layout.centroids
    district = _grow(nodes, layout, [_nearest(cent, a) for _, a, _ in DISTRICTS])
    urban = layout.town_density / (layout.town_density + layout.rural_density)
    locality = np.full(n, -1)
    names: list[str] = []
    loc_district: list[int] = []
    loc_town: list[str | None] = []
    for di, (_, _, locs) in enumerate(DISTRICTS):
        members = nodes[district == di]
        towns = [loc for loc in locs if loc[1]]
        rural = [loc for loc in locs if loc[1] is None]
        targets = [(TOWNS[t].x + off[0], TOWNS[t].y + off[1]) for _, t, off in towns]  # type: ignore[index]
        if rural:
            centres = _kmeans(cent[members[urban[members] < 0.3]], len(rural))
            targets += list(centres[np.lexsort((centres[:, 0], -centres[:, 1]))])  # north to south
        local: list[int] = []
        for target in targets:
            local.append(_nearest(cent[members], target, set(local)))
        for _, town, _ in towns:
            t = TOWNS[town]  # type: ignore[index]
            assert district[_nearest(cent, (t.x, t.y))] == di, f"{town} fell outside its district"
        locality[members] = len(names) + _grow(members, layout, [int(members[i]) for i in local])
        for name, town, _ in towns + rural:
            names.append(name)
            loc_district.append(di)
            loc_town.append(town)
    ward = np.full(n, -1)
    ward_locality: list[int] = []
    for li in range(len(names)):
        members = nodes[locality == li]
        k = max(1, int(round(len(members) / 3.5)))
        local = []
        for c in _kmeans(cent[members], k):
            local.append(_nearest(cent[members], c, set(local)))
        ward[members] = len(ward_locality) + _grow(members, layout, [int(members[i]) for i in local])
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
    dep = 2.3 * np.tanh(dep / 2.3)  # a soft ceiling: the most deprived areas are like England's worst decile, no worse

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


# ---------------------------------------------------------------------------------------------
# Indicators: metadata and the model that generates each one's values
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """An indicator's metadata and how its synthetic values are drawn.

    ``level`` is England's value per period (in the indicator's unit) or, where England is not
    published (``england=False``), the typical small-area level. Effects act on the link scale
    (logit for proportions, log otherwise): ``deprivation`` per unit of latent deprivation,
    ``rural`` for a wholly rural area, ``centre`` at a town centre; ``gap_change`` scales the
    deprivation and rural effects by (1 + gap_change) from the first to the last period.
    """

    id: str
    title: str
    theme: str
    unit: str
    value_type: str
    multiplier: float
    polarity: str
    dataset: str
    definition: str
    level: tuple[float | None, ...]
    periods: str = "fy"
    denominator: str | None = "population"
    deprivation: float = 0.0
    rural: float = 0.0
    centre: float = 0.0
    gap_change: float = 0.0
    county: float = 0.0
    noise: float = 0.1
    england: bool = True
    frequency: str = "annual"
    aggregation: str = ""
    cumulative: bool = False


CYP, SAFER, STRONGER = "children_young_people", "safer_communities", "stronger_communities"
HEALTH, ECONOMY, CLIMATE = "healthier_communities_older_people", "economic_development_enterprise", "climate_change_environment"
PCT, PER_1K, PER_100K = "%", "per 1,000", "per 100,000"

SPECS: list[Spec] = [
    # children and young people
    Spec("gcse_good_pass", "Pupils achieving grade 4 or above in English and maths at Key Stage 4", CYP, PCT,
         "proportion", 100, "high_is_good", "demo-education",
         "Pupils at the end of Key Stage 4 achieving grade 4 or above in both English and maths, by pupil residence.",
         (71.2, 72.2, 69.0, 65.1, 65.4, 65.6), denominator="ks4", deprivation=-0.55, county=0.05, noise=0.15),
    Spec("good_level_development", "Children achieving a good level of development at the end of reception", CYP, PCT,
         "proportion", 100, "high_is_good", "demo-education",
         "Children assessed at the end of the Early Years Foundation Stage with a good level of development "
         "(not assessed in 2019/20 and 2020/21).",
         (None, None, 65.2, 67.2, 67.7, 68.3), denominator="reception", deprivation=-0.35, gap_change=-0.35, noise=0.12),
    Spec("youth_neet", "16-17 year olds not in education, employment or training (or not known)", CYP, PCT,
         "proportion", 100, "low_is_good", "demo-education",
         "Young people aged 16-17 known to the local authority who are NEET or whose activity is not known.",
         (5.5, 5.5, 4.7, 5.2, 5.4, 5.6), denominator="age_16_17", deprivation=0.5, county=-0.05, noise=0.15),
    Spec("children_low_income", "Children in relative low-income families", CYP, PCT,
         "proportion", 100, "low_is_good", "demo-benefits",
         "Children aged under 16 living in families with income below 60% of the median before housing costs.",
         (19.1, 18.5, 20.1, 21.5, 22.1, 22.5), denominator="children_0_15", deprivation=0.68, gap_change=0.1, noise=0.1),
    Spec("child_obesity_y6", "Year 6 children living with obesity", CYP, PCT,
         "proportion", 100, "low_is_good", "demo-child-measurement",
         "Children in Year 6 (aged 10-11) measured as obese (BMI at or above the 95th centile), by residence.",
         (21.0, 25.5, 23.4, 22.7, 22.1, 22.2), denominator="year6", deprivation=0.28, county=-0.05, noise=0.1),
    Spec("child_injury_admissions", "Hospital admissions for injuries in children aged 0-14", CYP, PER_1K,
         "crude_rate", 1000, "low_is_good", "demo-health-admissions",
         "Emergency admissions caused by unintentional and deliberate injuries, children aged 0-14, per 1,000.",
         (9.1, 7.6, 8.4, 8.0, 7.9, 7.7), denominator="children_0_14", deprivation=0.25, county=0.08, noise=0.12),
    # safer communities
    Spec("crime_rate", "All recorded crime", SAFER, PER_1K, "crude_rate", 1000, "low_is_good", "demo-police-crime",
         "Police recorded crime excluding fraud, by location of offence, per 1,000 residents.",
         (89.0, 83.0, 96.0, 93.0, 89.0, 88.0), deprivation=0.42, centre=0.8, county=-0.4, noise=0.2),
    Spec("violence_with_injury", "Violence with injury", SAFER, PER_1K, "crude_rate", 1000, "low_is_good",
         "demo-police-crime", "Police recorded violence with injury offences per 1,000 residents.",
         (9.2, 8.0, 9.4, 9.3, 9.0, 8.7), deprivation=0.55, centre=0.5, county=-0.35, noise=0.2),
    Spec("burglary_residential", "Residential burglary", SAFER, "per 1,000 households", "crude_rate", 1000,
         "low_is_good", "demo-police-crime", "Police recorded residential burglaries per 1,000 households.",
         (11.0, 8.0, 7.8, 7.9, 7.4, 6.9), denominator="households", deprivation=0.25, rural=0.1, centre=0.3,
         county=-0.15, noise=0.2),
    Spec("asb_incidents", "Anti-social behaviour incidents", SAFER, PER_1K, "crude_rate", 1000, "low_is_good",
         "demo-police-crime", "Anti-social behaviour incidents recorded by the police per 1,000 residents.",
         (22.0, 33.0, 22.0, 18.0, 16.6, 16.0), deprivation=0.5, centre=0.6, county=-0.3, noise=0.2),
    Spec("domestic_abuse", "Domestic abuse-related incidents and crimes", SAFER, PER_1K, "crude_rate", 1000,
         "no_judgement", "demo-police-crime",
         "Domestic abuse-related incidents and crimes recorded by the police per 1,000 residents; a rise may "
         "reflect better reporting, so no judgement is made.",
         (28.0, 31.0, 32.5, 31.0, 30.0, 29.5), deprivation=0.6, county=-0.1, noise=0.15),
    Spec("road_casualties_ksi", "People killed or seriously injured on the roads", SAFER, "people", "count", 1,
         "low_is_good", "demo-police-crime", "Road casualties killed or seriously injured, by collision location.",
         (0.42, 0.33, 0.38, 0.40, 0.39, 0.37), periods="cy", denominator=None, deprivation=0.1, rural=0.6,
         noise=0.3, england=False),
    # stronger communities
    Spec("volunteering", "Adults who volunteer at least once a month", STRONGER, PCT, "proportion", 100,
         "high_is_good", "demo-voluntary-survey",
         "Residents' survey respondents aged 16+ who volunteered formally at least once a month in the last year.",
         (23.0, 17.0, 16.0, 16.0, 16.0, 17.0), denominator="respondents", deprivation=-0.3, rural=0.25, county=0.05),
    Spec("satisfied_local_area", "Residents satisfied with their local area as a place to live", STRONGER, PCT,
         "proportion", 100, "high_is_good", "demo-voluntary-survey",
         "Residents' survey respondents very or fairly satisfied with their local area as a place to live.",
         (76.0, 78.0, 76.0, 75.0, 74.0, 74.0), denominator="respondents", deprivation=-0.35, rural=0.2, county=0.1),
    Spec("loneliness", "Adults who feel lonely often or always", STRONGER, PCT, "proportion", 100, "low_is_good",
         "demo-voluntary-survey", "Residents' survey respondents who feel lonely often or always.",
         (7.2, 7.3, 7.1, 7.0, 7.2, 7.4), denominator="respondents", deprivation=0.3, gap_change=0.3),
    # healthier communities and older people
    Spec("u75_mortality", "Under-75 mortality from all causes", HEALTH, PER_100K, "dsr", 100000, "low_is_good",
         "demo-mortality",
         "Deaths of people aged under 75, directly age-standardised to the 2013 European Standard Population "
         "(5-year bands 0-4 to 70-74), per 100,000.",
         (329.0, 386.0, 370.0, 350.0, 340.0, 330.0), periods="cy", deprivation=0.25, gap_change=0.45, county=-0.06,
         noise=0.08),
    Spec("emergency_admissions", "Emergency hospital admissions", HEALTH, PER_100K, "crude_rate", 100000,
         "low_is_good", "demo-health-admissions", "Emergency admissions to hospital, all ages, per 100,000 residents.",
         (10300.0, 8800.0, 9900.0, 10100.0, 10500.0, 10700.0), deprivation=0.28, county=-0.05, noise=0.08),
    Spec("falls_admissions_65", "Emergency admissions due to falls, people aged 65 and over", HEALTH, PER_100K,
         "crude_rate", 100000, "low_is_good", "demo-health-admissions",
         "Emergency admissions for falls injuries, people aged 65+, per 100,000 aged 65+.",
         (2222.0, 2023.0, 2100.0, 1933.0, 1984.0, 2010.0), denominator="age_65", deprivation=0.15, county=0.04),
    Spec("adult_smoking", "Adults recorded as current smokers", HEALTH, PCT, "proportion", 100, "low_is_good",
         "demo-primary-care", "Registered patients aged 18+ recorded as current smokers, by residence.",
         (16.2, 15.9, 15.5, 14.9, 14.5, 14.0), denominator="adults_18", deprivation=0.48, gap_change=-0.4,
         county=-0.05, noise=0.08),
    Spec("diabetes_prevalence", "Diabetes prevalence", HEALTH, PCT, "proportion", 100, "low_is_good",
         "demo-primary-care", "Registered patients aged 17+ on the diabetes register, by residence.",
         (7.1, 7.1, 7.3, 7.5, 7.7, 7.9), denominator="adults_17", deprivation=0.22, county=-0.05, noise=0.08),
    Spec("flu_vaccination_65", "Flu vaccination uptake, people aged 65 and over", HEALTH, PCT, "proportion", 100,
         "high_is_good", "demo-primary-care", "People aged 65+ vaccinated against seasonal flu, by residence.",
         (72.4, 80.9, 82.3, 79.9, 77.8, 74.9), denominator="age_65", deprivation=-0.25, county=0.05, noise=0.08),
    # economic development and enterprise
    Spec("employment_rate", "Employment rate, people aged 16-64", ECONOMY, PCT, "proportion", 100, "high_is_good",
         "demo-labour-market", "Residents aged 16-64 in employment (modelled small-area estimate).",
         (76.2, 75.0, 75.4, 75.7, 75.7, 75.9), denominator="age_16_64", deprivation=-0.38, county=0.08, noise=0.05),
    Spec("claimant_rate", "Claimant count, people aged 16-64", ECONOMY, PCT, "proportion", 100, "low_is_good",
         "demo-benefits", "Residents aged 16-64 claiming unemployment-related benefits (annual average).",
         (3.1, 6.5, 4.9, 3.7, 3.9, 4.2), denominator="age_16_64", deprivation=0.5, gap_change=0.35, county=-0.15),
    Spec("new_businesses", "New business registrations", ECONOMY, "businesses", "count", 1, "high_is_good",
         "demo-business", "New businesses registered with a trading address in the area.",
         (6.0, 5.5, 6.8, 6.2, 6.0, 6.3), periods="cy", denominator=None, deprivation=-0.1, centre=0.8, noise=0.3,
         england=False),
    Spec("broadband_speed", "Average fixed broadband download speed", ECONOMY, "Mbit/s", "mean", 1, "high_is_good",
         "demo-broadband", "Mean download speed of fixed broadband connections; the denominator is premises.",
         (72.0, 88.0, 110.0, 135.0, 160.0, 185.0), periods="cy", denominator="premises", rural=-0.55,
         gap_change=-0.4, noise=0.1, aggregation="population_weighted"),
    Spec("superfast_coverage", "Premises with superfast broadband available", ECONOMY, PCT, "proportion", 100,
         "high_is_good", "demo-broadband", "Residential and business premises able to receive 30 Mbit/s or more.",
         (95.5, 96.4, 97.0, 97.4, 97.9, 98.2), periods="cy", denominator="premises", rural=-2.3, gap_change=-0.45,
         noise=0.35),
    # climate change and environment
    Spec("household_recycling", "Households taking part in kerbside recycling", CLIMATE, PCT, "proportion", 100,
         "high_is_good", "demo-environment", "Households setting out dry recycling at least once in a monitoring month.",
         (82.0, 84.5, 84.0, 83.5, 84.0, 84.8), denominator="households", deprivation=-0.35, noise=0.15, england=False),
    Spec("fly_tipping", "Fly-tipping incidents", CLIMATE, PER_1K, "crude_rate", 1000, "low_is_good",
         "demo-environment", "Fly-tipping incidents dealt with by the council per 1,000 residents.",
         (17.3, 19.5, 18.6, 18.2, 19.0, 19.4), deprivation=0.5, centre=0.7, county=-0.85, noise=0.25),
    Spec("fuel_poverty", "Households in fuel poverty", CLIMATE, PCT, "proportion", 100, "low_is_good",
         "demo-environment", "Households in fuel poverty (low income, low energy efficiency measure).",
         (13.4, 13.2, 13.1, 13.4, 11.4, 11.1), periods="cy", denominator="households", deprivation=0.35, rural=0.35,
         county=-0.05, noise=0.1),
    Spec("ev_chargepoints", "Public electric vehicle charging devices", CLIMATE, "devices", "count", 1,
         "high_is_good", "demo-environment", "Publicly available charging devices at the end of the year.",
         (0.18, 0.25, 0.38, 0.55, 0.8, 1.1), periods="cy", denominator=None, rural=-0.2, centre=1.3, noise=0.6,
         england=False, cumulative=True),
    Spec("pm25_mean", "Annual mean fine particulate matter (PM2.5)", CLIMATE, "µg/m³", "mean", 1, "low_is_good",
         "demo-environment", "Modelled annual mean concentration of PM2.5 at residential locations.",
         (9.4, 8.3, 8.4, 8.5, 7.6, 7.3), periods="cy", denominator=None, deprivation=0.03, rural=-0.1, centre=0.12,
         noise=0.03, aggregation="population_weighted"),
]

# indicators ingested by other adapters (population, deprivation): metadata only
EXTRA_INDICATORS = [
    dict(id="population", title="Resident population", theme=STRONGER, unit="people", value_type="count",
         multiplier=1, polarity="no_judgement", dataset="demo-population", frequency="annual",
         definition="Mid-year resident population estimate by sex and five-year age band.", aggregation=""),
    dict(id="imd_score", title="Index of Multiple Deprivation score", theme=STRONGER, unit="score", value_type="score",
         multiplier=1, polarity="low_is_good", dataset="demo-imd", frequency="irregular",
         definition="Index of Multiple Deprivation score; higher is more deprived.", aggregation="population_weighted"),
    dict(id="income_score", title="Income deprivation score", theme=ECONOMY, unit="score", value_type="score",
         multiplier=1, polarity="low_is_good", dataset="demo-imd", frequency="irregular",
         definition="Income Deprivation Domain score: the share of residents experiencing income deprivation.",
         aggregation="population_weighted"),
    dict(id="employment_score", title="Employment deprivation score", theme=ECONOMY, unit="score", value_type="score",
         multiplier=1, polarity="low_is_good", dataset="demo-imd", frequency="irregular",
         definition="Employment Deprivation Domain score: the share of working-age residents involuntarily out of work.",
         aggregation="population_weighted"),
]

DATASET_TITLES = {
    "demo-population": "Demo mid-year population estimates (synthetic)",
    "demo-imd": "Demo Index of Multiple Deprivation (synthetic)",
    "demo-education": "Demo education outcomes (synthetic)",
    "demo-benefits": "Demo benefits and low income (synthetic)",
    "demo-child-measurement": "Demo child measurement programme (synthetic)",
    "demo-health-admissions": "Demo hospital admissions (synthetic)",
    "demo-police-crime": "Demo police recorded crime and road casualties (synthetic)",
    "demo-voluntary-survey": "Demo voluntary sector residents' survey (synthetic)",
    "demo-mortality": "Demo deaths and populations by age (synthetic)",
    "demo-primary-care": "Demo GP registers and vaccinations (synthetic)",
    "demo-labour-market": "Demo labour market estimates (synthetic)",
    "demo-business": "Demo business registrations (synthetic)",
    "demo-broadband": "Demo broadband coverage and speeds (synthetic)",
    "demo-environment": "Demo environment and energy (synthetic)",
}


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------
def _period_labels(spec: Spec) -> list[str]:
    return FY if spec.periods == "fy" else CY


def _link(spec: Spec, level: float) -> float:
    if spec.value_type == "proportion":
        return float(logit(level / spec.multiplier))
    if spec.value_type in ("crude_rate", "dsr"):
        return math.log(level / spec.multiplier)
    return math.log(level)


def _predictor(spec: Spec, p: People, t: int, area_effect: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    level = spec.level[t]
    assert level is not None
    change = 1 + spec.gap_change * t / (len(YEARS) - 1)
    return (_link(spec, level) + spec.county + spec.deprivation * change * p.deprivation
            + spec.rural * change * (1 - p.urban) + spec.centre * p.centre + area_effect
            + rng.normal(0, 0.04, len(area_effect)))


def _rows(spec: Spec, codes: list[str], t: int, numerator: Any = None, denominator: Any = None, value: Any = None,
          age: str | None = None) -> pd.DataFrame:
    n = len(codes)
    label = _period_labels(spec)[t]
    frame = {"indicator_id": [spec.id] * n, "area_code": codes, "period": [label] * n,
             "period_sort": [f"{YEARS[t]}0000"] * n}
    if age is not None:
        frame["age"] = [age] * n
    for col, v in (("numerator", numerator), ("denominator", denominator), ("value", value)):
        if v is None:
            frame[col] = [""] * n
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            frame[col] = [f"{x:.1f}" for x in v]
        else:
            frame[col] = [str(int(x)) for x in np.atleast_1d(v)]
    return pd.DataFrame(frame)


def _indicator_values(spec: Spec, p: People, dens: dict[str, np.ndarray], eng: dict[str, np.ndarray],
                      codes: list[str], rng: np.random.Generator) -> pd.DataFrame:
    n = len(codes)
    area_effect = rng.normal(0, spec.noise, n)
    parts = []
    stock = np.zeros(n, dtype=np.int64)
    prev_expected = np.zeros(n)
    for t in range(len(YEARS)):
        if spec.level[t] is None:
            continue
        lp = _predictor(spec, p, t, area_effect, rng)
        den = dens[spec.denominator][:, t] if spec.denominator else None
        if spec.value_type == "proportion":
            assert den is not None
            parts.append(_rows(spec, codes, t, numerator=rng.binomial(den, expit(lp)), denominator=den))
        elif spec.value_type == "crude_rate":
            assert den is not None
            parts.append(_rows(spec, codes, t, numerator=np.minimum(rng.poisson(den * np.exp(lp)), den), denominator=den))
        elif spec.value_type == "count" and spec.cumulative:
            expected = np.exp(lp)
            stock = stock + rng.poisson(np.maximum(expected - prev_expected, 0))
            prev_expected = np.maximum(expected, prev_expected)
            parts.append(_rows(spec, codes, t, value=stock))
        elif spec.value_type == "count":
            parts.append(_rows(spec, codes, t, value=rng.poisson(np.exp(lp))))
        elif spec.value_type == "mean":
            parts.append(_rows(spec, codes, t, denominator=den, value=np.round(np.exp(lp), 1)))
        else:
            raise ValueError(f"{spec.id}: no generator for {spec.value_type}")
        if spec.england:
            level = float(spec.level[t])  # type: ignore[arg-type]
            e_den = eng[spec.denominator][t] if spec.denominator else None
            if spec.value_type in ("proportion", "crude_rate"):
                parts.append(_rows(spec, [ENGLAND["code"]], t, numerator=np.rint(e_den * level / spec.multiplier),
                                   denominator=np.array([e_den])))
            elif spec.value_type == "mean":
                parts.append(_rows(spec, [ENGLAND["code"]], t, denominator=None if e_den is None else np.array([e_den]),
                                   value=np.array([level])))
    return pd.concat(parts, ignore_index=True)


def _mortality(spec: Spec, p: People, codes: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Under-75 deaths and populations by ESP 2013 band: the inputs of a directly standardised rate."""
    bands = len(U75_RATES)
    w = ESP_WEIGHTS[:bands]
    england_dsr = (w * U75_RATES).sum() / w.sum()
    area_effect = rng.normal(0, spec.noise, len(codes))
    persons = p.population.sum(axis=2)  # (area, year, band)
    share = AGE_SHARE[:bands] / AGE_SHARE.sum()
    parts = []
    for t in range(len(YEARS)):
        level = float(spec.level[t])  # type: ignore[arg-type]
        rates = U75_RATES * level / england_dsr
        rel = np.exp(_predictor(spec, p, t, area_effect, rng) - _link(spec, level))
        for b in range(bands):
            pop = persons[:, t, b]
            deaths = np.minimum(rng.poisson(pop * rates[b] / 1e5 * rel), pop)
            parts.append(_rows(spec, codes, t, numerator=deaths, denominator=pop, age=ESP_BANDS[b]))
            e_pop = np.rint(ENGLAND_POP[t] * share[b])
            parts.append(_rows(spec, [ENGLAND["code"]], t, numerator=np.rint([e_pop * rates[b] / 1e5]),
                               denominator=np.array([e_pop]), age=ESP_BANDS[b]))
    frame = pd.concat(parts, ignore_index=True)
    frame["_o"] = frame["area_code"].eq(ENGLAND["code"])
    return frame.sort_values(["_o", "period_sort", "area_code"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _population_rows(p: People, codes: list[str]) -> pd.DataFrame:
    parts = []
    for year in POPULATION_YEARS:
        t = YEARS.index(year)
        for s, sex in enumerate(("Male", "Female")):
            for b, band in enumerate(ESP_BANDS):
                parts.append(pd.DataFrame({"indicator_id": "population", "area_code": codes, "period": str(year),
                                           "period_sort": f"{year}0000", "sex": sex, "age": band,
                                           "value": [str(int(v)) for v in p.population[:, t, s, b]]}))
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["period_sort", "area_code"], kind="stable").reset_index(drop=True)


def _imd(p: People, areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The demo IMD in the official MHCLG column layout; ranks are as if among England's 33,755 LSOAs."""
    n = len(areas)
    score = np.round(np.exp(math.log(17.0) + 0.62 * p.deprivation + rng.normal(0, 0.08, n)), 3)
    income = np.round(np.clip(score * 0.0058 * np.exp(rng.normal(0, 0.12, n)), 0.005, 0.6), 3)
    employment = np.round(np.clip(score * 0.0044 * np.exp(rng.normal(0, 0.12, n)), 0.005, 0.5), 3)
    national = norm.sf((np.log(score) - math.log(17.0)) / 0.62)  # share of England more deprived
    rank = np.maximum(1, np.rint(national * ENGLAND_LSOAS)).astype(int)
    order = np.argsort(-score, kind="stable")
    ranked = rank[order]
    ranked = np.maximum.accumulate(ranked - np.arange(n)) + np.arange(n)  # strictly increasing: ranks are unique
    rank[order] = np.minimum(ranked, ENGLAND_LSOAS)
    decile = np.ceil(rank / (ENGLAND_LSOAS / 10)).astype(int)
    return pd.DataFrame({
        "LSOA code (2021)": areas["small_area_code"],
        "LSOA name (2021)": areas["small_area_name"],
        "Local Authority District code (2024)": areas["district_code"],
        "Local Authority District name (2024)": areas["district_name"],
        "Index of Multiple Deprivation (IMD) Score": [f"{v:.3f}" for v in score],
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": rank.astype(str),
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": decile.astype(str),
        "Income Score (rate)": [f"{v:.3f}" for v in income],
        "Employment Score (rate)": [f"{v:.3f}" for v in employment],
    })


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _to_lonlat(geoms: np.ndarray) -> np.ndarray:
    def f(xy: np.ndarray) -> np.ndarray:
        return np.c_[ORIGIN[0] + xy[:, 0] / KM_PER_DEG_LON, ORIGIN[1] + xy[:, 1] / KM_PER_DEG_LAT]

    out = shapely.set_precision(shapely.transform(geoms, f), 1e-5)
    return shapely.orient_polygons(out, exterior_cw=False)


def _ring(coords: np.ndarray) -> str:
    return "[" + ",".join(f"[{x:.5f},{y:.5f}]" for x, y in coords) + "]"


def _geometry_json(geom: shapely.Geometry) -> str:
    def polygon(p: shapely.Polygon) -> str:
        rings = [p.exterior, *p.interiors]
        return "[" + ",".join(_ring(np.asarray(r.coords)) for r in rings) + "]"

    if geom.geom_type == "Polygon":
        return '{"type":"Polygon","coordinates":' + polygon(geom) + "}"
    return '{"type":"MultiPolygon","coordinates":[' + ",".join(polygon(g) for g in geom.geoms) + "]}"


def _write_geojson(path: Path, codes: list[str], names: list[str], geoms: np.ndarray) -> None:
    lines = ['{"type":"FeatureCollection","name":' + json.dumps(path.stem) + ',"features":[']
    feats = []
    for code, name, g in zip(codes, names, geoms):
        props = json.dumps({"code": code, "name": name}, ensure_ascii=False)
        feats.append('{"type":"Feature","properties":' + props + ',"geometry":' + _geometry_json(g) + "}")
    lines.append(",\n".join(feats))
    lines.append("]}")
    _write_text(path, "\n".join(lines) + "\n")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _tidy_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop optional columns a file does not use, keeping the documented order."""
    keep = [c for c in frame.columns if c in ("indicator_id", "area_code", "period", "period_sort")
            or (frame[c] != "").any()]
    return frame[keep]


def _config_yaml(sources: list[dict[str, Any]]) -> str:
    lines = [
        "# Demo County (synthetic): every place, code and number in this folder is invented.",
        "# Generated by `python -m observatory.demo data/demo`; edit observatory/demo.py, not these files.",
        "name: demo",
        f'title: "{TITLE}"',
        "synthetic: true",
        'data_root: "."',
        f'county: {{code: {COUNTY["code"]}, name: "{COUNTY["name"]}"}}',
        f'england: {{code: {ENGLAND["code"]}, name: {ENGLAND["name"]}}}',
        "",
        "geography:",
        "  small_areas:",
        "    type: lsoa",
        '    vintage: "2021"',
        "    boundaries: boundaries/small_areas.geojson",
        "    code: code",
        "    name: name",
        "  wards:",
        '    vintage: "2022"',
        "    boundaries: boundaries/wards.geojson",
        "    code: code",
        "    name: name",
        "    lookup: {file: lookups/small_area_lookup.csv, small_area: small_area_code, ward: ward_code}",
        "  districts:                      # no boundary file: dissolved from the small areas",
        "    lookup: {file: lookups/small_area_lookup.csv, small_area: small_area_code, district: district_code, "
        "district_name: district_name}",
        "  localities: localities.csv",
        "",
        "indicators: indicators.csv",
        "population: {source: population, indicator: population}",
        "",
        "sources:",
    ]
    for s in sources:
        lines.append(f"  - id: {s['id']}")
        lines.append(f"    title: \"{s['title']}\"")
        lines.append(f"    adapter: {s['adapter']}")
        lines.append(f"    file: {s['file']}")
        lines.append(f"    dataset: {s['dataset']}")
        opts = ", ".join(f"{k}: [{', '.join(v)}]" if isinstance(v, list) else f'{k}: "{v}"' for k, v in s["options"].items())
        lines.append(f"    options: {{{opts}}}")
    return "\n".join(lines) + "\n"


README = """# Demo County (synthetic)

**Everything in this folder is synthetic.** Demo County, its districts, towns, localities, wards and
small areas are invented, and so is every number. Codes use the `Z` prefix, which no real ONS
geography uses (county `Z10000001`, districts `Z07…`, wards `Z05…`, small areas `Z01…`, localities
`ZL01`–`ZL23`). Only England's benchmark rows (`E92000001`) are shaped like published national
figures, and they too are approximations made for the demo. Do not use any of it as evidence.

The demo is the observatory's default configuration: it lets every command, notebook and
dashboard run, and every test exercise realistic shapes of data, without the real data bundle.

## How it was made

    python -m observatory.demo data/demo

`observatory/demo.py` draws everything from one seed ({seed}); running it again writes
byte-identical files, and `tests/test_demo.py` checks that the committed files match. To change the
demo, change the generator and regenerate; do not edit these files by hand.

- **Geography.** An irregular county outline is placed at about 52.3°N 1.5°W (any overlap with real
  places is a coincidence of position only). {n_sa} small areas (LSOA-like, vintage "2021") are
  grown from micro-cells around seeded points that are denser in seven towns, so town areas are
  small and rural ones large; neighbours share exactly the same border vertices (5 decimal places).
  {n_wards} wards (vintage "2022") are unions of small areas; {n_dist} districts are dissolved from the
  small areas by the lookup; {n_loc} localities, each within one district and contiguous.
- **People.** About 1,600 residents per small area, by sex and ESP 2013 five-year band, older in
  the countryside and younger in the towns, with a few fast-growing new-build areas.
- **Deprivation.** A latent deprivation surface concentrated in town centres and estates, with a
  former coalfield belt in the north. It drives the IMD file and every indicator in the direction
  real data show (e.g. smoking, child poverty, crime and early deaths higher where deprivation is
  higher), so gaps between localities are real features of the data.
- **Periods.** Financial or academic years 2019/20 to 2024/25 and calendar years 2019 to 2024
  (`period_sort` 20190000 … 20240000); school readiness starts in 2021/22, as the real series
  does after the pandemic pause; the IMD is for 2025.
- **Trends.** Some indicators improve, some worsen, a few show the pandemic years; some gaps narrow
  (smoking, superfast broadband, broadband speed, school readiness), and a few widen (under-75
  mortality, claimant rate, child poverty).
- **Small numbers.** Small-area counts of 0–5 are common (burglary, road casualties, NEET, child
  injuries), so disclosure control has work to do.

## What is in it

| path | contents |
|---|---|
| `config.yaml` | the configuration (format: `docs/configuration.md`) |
| `boundaries/small_areas.geojson` | {n_sa} small-area polygons, properties `code`, `name` |
| `boundaries/wards.geojson` | {n_wards} ward polygons, properties `code`, `name` |
| `lookups/small_area_lookup.csv` | small area → ward → district |
| `localities.csv` | {n_loc} localities in {n_dist} districts, one row per small area (`source` = synthetic) |
| `indicators.csv` | {n_ind} indicators across all six themes |
{source_rows}

The IMD file uses MHCLG's column names, so the same `deprivation` adapter reads it and the real
files; every other source is a tidy value table (`tidy` adapter).

County, district and locality values are not shipped: the observatory aggregates them from the
small areas. Population is shipped for mid-{pop_first} to mid-{pop_last} (file size); indicator
files carry their own denominators, and the mortality file its populations by age.
"""


def _readme(seed: int, counts: dict[str, int], sources: list[dict[str, Any]]) -> str:
    rows = "\n".join(f"| `{s['file']}` | {s['title']}: {s['describe']} |" for s in sources)
    return README.format(seed=seed, n_sa=counts["small_areas"], n_wards=counts["wards"], n_dist=counts["districts"],
                         n_loc=counts["localities"], n_ind=counts["indicators"], source_rows=rows,
                         pop_first=POPULATION_YEARS[0], pop_last=POPULATION_YEARS[-1])


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------
def generate(out_dir: Path | str, seed: int = SEED) -> dict[str, Any]:
    """Write the whole demo configuration into ``out_dir``; the same seed gives byte-identical files.

    Returns a summary: counts of areas and indicators, and the files written with their sizes.
    """
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    layout = _layout(rng)
    hierarchy = _hierarchy(layout)
    areas = _areas_table(rng, layout, hierarchy)
    order = areas["index"].to_numpy()
    people = _people(rng, layout)
    people = People(*(getattr(people, f)[order] for f in People.__dataclass_fields__))
    codes = areas["small_area_code"].tolist()

    # geography
    polys = _to_lonlat(layout.polygons[order])
    _write_geojson(out / "boundaries" / "small_areas.geojson", codes, areas["small_area_name"].tolist(), polys)
    wards = areas.drop_duplicates("ward_code")
    ward_geoms = np.array([shapely.coverage_union_all(polys[(areas["ward_code"] == w).to_numpy()])
                           for w in wards["ward_code"]], dtype=object)
    ward_geoms = shapely.orient_polygons(ward_geoms, exterior_cw=False)
    _write_geojson(out / "boundaries" / "wards.geojson", wards["ward_code"].tolist(), wards["ward_name"].tolist(), ward_geoms)
    _write_csv(out / "lookups" / "small_area_lookup.csv",
               areas[["small_area_code", "small_area_name", "ward_code", "ward_name", "district_code", "district_name"]])
    loc = areas.assign(area_type="lsoa", area_code=areas["small_area_code"], area_name=areas["small_area_name"],
                       source="synthetic")
    loc = loc.sort_values(["locality_code", "area_code"])[
        ["locality_code", "locality_name", "district_code", "district_name", "area_type", "area_code", "area_name", "source"]]
    _write_csv(out / "localities.csv", loc)

    # indicators and their values
    dens = _denominators(people, rng)
    eng = _england_denominators()
    meta = [dict(id=s.id, title=s.title, theme=s.theme, unit=s.unit, value_type=s.value_type,
                 multiplier=s.multiplier, polarity=s.polarity, dataset=s.dataset, frequency=s.frequency,
                 definition=s.definition, aggregation=s.aggregation) for s in SPECS] + EXTRA_INDICATORS
    ind = pd.DataFrame(meta)
    ind["multiplier"] = ind["multiplier"].map(lambda m: str(int(m)))
    ind["definition"] = ind["definition"] + " Synthetic demo data."
    theme_order = ["children_young_people", "safer_communities", "stronger_communities",
                   "healthier_communities_older_people", "economic_development_enterprise", "climate_change_environment"]
    ind = ind.sort_values("theme", key=lambda s: s.map(theme_order.index), kind="stable")
    _write_csv(out / "indicators.csv", ind[["id", "title", "theme", "unit", "value_type", "multiplier", "polarity",
                                            "dataset", "frequency", "definition", "aggregation"]])

    by_dataset: dict[str, list[pd.DataFrame]] = {}
    for spec in SPECS:
        frame = _mortality(spec, people, codes, rng) if spec.value_type == "dsr" \
            else _indicator_values(spec, people, dens, eng, codes, rng)
        by_dataset.setdefault(spec.dataset, []).append(frame)
    sources: list[dict[str, Any]] = [{
        "id": "population", "adapter": "tidy", "file": "sources/population.csv", "dataset": "demo-population",
        "options": {"vintage": "2021"}, "title": DATASET_TITLES["demo-population"],
        "describe": f"persons by sex and ESP 2013 band, mid-{POPULATION_YEARS[0]} to mid-{POPULATION_YEARS[-1]}"}, {
        "id": "imd", "adapter": "deprivation", "file": "sources/demo-imd.csv", "dataset": "demo-imd",
        "options": {"period": "2025", "vintage": "2021", "indicators": ["imd_score", "income_score", "employment_score"]},
        "title": DATASET_TITLES["demo-imd"],
        "describe": "IMD score, rank and decile, income and employment scores, in the MHCLG column names"}]
    _write_csv(out / "sources" / "population.csv", _population_rows(people, codes))
    _write_csv(out / "sources" / "demo-imd.csv", _imd(people, areas, rng))
    for dataset, frames in by_dataset.items():
        frame = _tidy_columns(pd.concat(frames, ignore_index=True))
        path = f"sources/{dataset}.csv"
        _write_csv(out / path, frame)
        ids = ", ".join(dict.fromkeys(frame["indicator_id"]))
        sources.append({"id": dataset.removeprefix("demo-"), "adapter": "tidy", "file": path, "dataset": dataset,
                        "options": {"vintage": "2021"}, "title": DATASET_TITLES[dataset], "describe": ids})
    _write_text(out / "config.yaml", _config_yaml(sources))
    counts = {"small_areas": len(areas), "wards": int(areas["ward_code"].nunique()),
              "localities": int(areas["locality_code"].nunique()), "districts": int(areas["district_code"].nunique()),
              "indicators": len(ind)}
    _write_text(out / "README.md", _readme(seed, counts, sources))
    files = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    return {**counts, "seed": seed, "files": files}


def main(argv: list[str] | None = None) -> None:
    """``python -m observatory.demo OUT_DIR [SEED]``"""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m observatory.demo OUT_DIR [SEED]\n\nWrite the synthetic demo configuration into OUT_DIR.")
        return
    summary = generate(Path(args[0]), int(args[1]) if len(args) > 1 else SEED)
    total = sum(summary["files"].values())
    print(f"wrote {len(summary['files'])} files ({total / 1e6:.1f} MB) to {args[0]}: {summary['small_areas']} small areas, "
          f"{summary['wards']} wards, {summary['localities']} localities, {summary['districts']} districts, "
          f"{summary['indicators']} indicators")


if __name__ == "__main__":
    main()
