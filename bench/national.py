"""National figures: (a) aggregation and statistics for every authority's localities from the national data;
(b) packs for N authorities on one and on two Dask workers (profiles per second, scaling ratio); (c) the
projected time for all 153 authorities on k workers. Prints figures; asserts nothing.

    .venv/bin/python bench/national.py [--authorities E09000001,E06000053,E06000017,E06000001] [--k 2,8,32]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from observatory.national.build import build_authorities
from observatory.national.england import lookup
from observatory.national.store import benchmark_rows


def aggregation() -> None:
    tracemalloc.start()
    t = time.perf_counter()
    rows = benchmark_rows()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"(a) every MSOA, district, authority, region and England, 8 domains + summary measures: {len(rows):,} rows "
        f"in {seconds:.1f} s, peak {peak:.0f} MiB (traced)"
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
    ap.add_argument("--authorities", default="E09000001,E06000053,E06000017,E06000001")
    ap.add_argument("--k", default="2,8,32")
    a = ap.parse_args()
    aggregation()
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
