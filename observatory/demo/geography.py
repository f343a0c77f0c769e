"""Demo geography: the county outline, small areas grown from micro-cells, wards, localities and districts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import Delaunay, cKDTree

from observatory.demo.places import DISTRICTS, TOWNS, WARD_SUFFIXES, _village_names

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

ESP_BANDS = [
    "0-4",
    "5-9",
    "10-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85-89",
    "90+",
]
BAND_MID = np.array([2.5 + 5 * i for i in range(18)] + [93.0])
# England's age structure (share of persons by ESP band, about 2021) and the male share in each band.
AGE_SHARE = np.array([5.4, 5.9, 6.0, 5.6, 6.0, 6.6, 6.8, 6.6, 6.2, 6.4, 6.9, 6.8, 5.9, 5.1, 5.1, 3.7, 2.6, 1.5, 0.9])
MALE_SHARE = np.array(
    [
        0.512,
        0.512,
        0.512,
        0.514,
        0.51,
        0.50,
        0.497,
        0.495,
        0.495,
        0.493,
        0.492,
        0.492,
        0.488,
        0.483,
        0.475,
        0.46,
        0.44,
        0.40,
        0.31,
    ]
)
# Under-75 all-cause death rates per 100,000 by band (England, persons, about 2019), scaled per year.
U75_RATES = np.array([75, 8, 10, 25, 40, 50, 65, 90, 130, 190, 280, 420, 650, 1000, 1600], dtype=float)
ESP_WEIGHTS = np.array(
    [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000],
    dtype=float,
)

FY = [f"{y}/{(y + 1) % 100:02d}" for y in range(2019, 2025)]  # financial / academic years 2019/20 … 2024/25
CY = [str(y) for y in range(2019, 2025)]  # calendar years 2019 … 2024
YEARS = list(range(2019, 2025))
POPULATION_YEARS = [2021, 2022, 2023, 2024]  # mid-year estimates shipped (file size); earlier years are modelled only
ENGLAND_POP = [56.29e6, 56.55e6, 56.54e6, 57.11e6, 57.69e6, 58.40e6]
ENGLAND_HOUSEHOLDS = [23.9e6, 24.0e6, 24.2e6, 24.4e6, 24.6e6, 24.8e6]


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
        out += t.areas / (2 * np.pi * t.sigma**2) * np.exp(-d2 / (2 * t.sigma**2))
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
    rural_density = (N_SMALL_AREAS - town_area) / (outline.area - 0.6 * sum(2 * np.pi * t.sigma**2 for t in TOWNS.values()))
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
                rows.append(
                    {
                        "index": int(i),
                        "small_area_name": f"{dname} {number:03d}{chr(65 + k)}",
                        "ward": w,
                        "district": di,
                        "locality": int(h.locality[i]),
                    }
                )
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
