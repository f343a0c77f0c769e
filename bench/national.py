"""National figures: (a) aggregation and statistics for every authority's localities from the national data,
against the per-level loop it replaced (measured in the same run); (b) packs for N authorities on one and on two
Dask workers (profiles per second, scaling ratio); (c) the projected time for all 153 authorities on k workers.
Prints figures; asserts nothing. The machine's load average is printed with each part (a shared machine).

    .venv/bin/python bench/national.py [--parts a,b,c] [--repeat 3] [--authorities E09000001,E06000053,E06000017] [--k 2,8,32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from observatory.national.build import build_authorities
from observatory.national.england import N_LSOAS, POPULATION_NOTE, lookup
from observatory.national.init import DOMAINS
from observatory.national.store import LEVELS, benchmark_rows, household_lsoa_rows, lsoa_table
from observatory.stats.iod import iod_summary


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _per_level_loop() -> int:
    """The baseline: one ``iod_summary`` call per level and domain, as the store computed it before."""
    d = lsoa_table()
    household_lsoa_rows()
    cols = {c.split("_score")[0].lower(): c.split("_score")[0] for c in d.columns if c.endswith("_score")}
    n = 0
    for key in LEVELS:
        for dom, _ in DOMAINS:
            src = cols["housing_and_services" if dom == "housing_services" else dom]
            n += len(
                iod_summary(d, key, score=f"{src}_score", rank=f"{src}_rank", n_national=N_LSOAS, population_note=POPULATION_NOTE)
            )
    return n


def _timed(func, repeat: int) -> tuple[float, float, float, object]:
    """Median wall and CPU seconds over ``repeat`` runs, the peak traced memory (MiB) of the first, and its result."""
    times, cpu, peak, result = [], [], 0.0, None
    for i in range(repeat):
        if i == 0:
            tracemalloc.start()
        t, c = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if i == 0:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    return statistics.median(times), statistics.median(cpu), peak, result


def aggregation(repeat: int) -> None:
    lookup()  # the lookup is read once per process, as in a build
    print(f"(a) {_load()}")
    base, base_cpu, base_peak, _ = _timed(_per_level_loop, repeat)
    seconds, cpu, peak, rows = _timed(benchmark_rows, repeat)
    print(
        f"(a) every MSOA, district, authority, region and England; 8 domains + summary measures, household "
        f"deprivation with Wilson limits: {len(rows):,} rows in {seconds:.2f} s "
        f"(CPU {cpu:.2f} s; median of {repeat}), peak {peak:.0f} MiB (traced); the per-level loop it replaced {base:.2f} s "
        f"(CPU {base_cpu:.2f} s), peak {base_peak:.0f} MiB: {base / seconds:.1f}x wall, {base_cpu / cpu:.1f}x CPU; {_load()}"
    )


def packs(codes: list[str], workers: int, root: Path) -> tuple[float, int]:
    t = time.perf_counter()
    res = build_authorities(
        codes,
        executor="dask",
        workers=workers,
        out=root / f"packs-{workers}",
        configs=root / "configs",
        quarter="2026Q3",
        progress=False,
        force=True,
    )
    seconds = time.perf_counter() - t
    built = sum(int(r.summary.split(": ", 1)[1].split(" built")[0]) for r in res if r.ok)
    print(
        f"(b) {len(codes)} authorities on {workers} worker(s): {built} notebooks in {seconds:.1f} s, "
        f"{built / seconds:.2f} notebooks/s, failures {sum(not r.ok for r in res)}"
    )
    return seconds, built


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="a,b,c", help="which parts to run: a (aggregation), b (packs), c (projection, needs b)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of part (a), median reported")
    ap.add_argument("--authorities", default="E09000001,E06000053,E06000017")
    ap.add_argument("--k", default="2,8,32")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    if "a" in parts:
        aggregation(a.repeat)
    if not parts & {"b", "c"}:
        return
    codes = a.authorities.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        build_authorities(codes[:1], out=Path(tmp) / "warm", configs=Path(tmp) / "configs", progress=False)  # store, caches
        s1, n1 = packs(codes, 1, Path(tmp))
        s2, n2 = packs(codes, 2, Path(tmp))
    r1, r2 = n1 / s1, n2 / s2
    print(f"(b) scaling 2 workers / 1 worker: {r2 / r1:.2f}x")
    total = lookup()["MSOA21CD"].nunique() + 2 * 153  # every MSOA profile, an overview and a catalogue per authority
    for k in map(int, a.k.split(",")):
        rate = r1 * k * min(1.0, (r2 / r1) / 2)  # per-worker rate, at the measured two-worker efficiency
        print(f"(c) all 153 authorities ({total:,} notebooks) on {k} workers: ~{total / rate / 60:.0f} min")


if __name__ == "__main__":
    main()
