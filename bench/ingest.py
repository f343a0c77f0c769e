"""Ingest throughput on a national-scale synthetic table.

35,000 small areas x 40 indicators x 8 periods (11.2 million rows) in one tidy CSV, ingested into an
empty store through the real path (``ingest``: digest check, tidy adapter reading the file in chunks, checks
against the geography and indicators, atomic Parquet write), then the same unchanged file again. Each ingest
runs in a child process; prints its time and peak memory (the child's own peak resident set, VmHWM) and the
machine's load average (the machine is shared: times vary with it, memory does not).

    .venv/bin/python bench/ingest.py [--areas 35000] [--indicators 40] [--periods 8] [--repeat 1] [--chunk-mib 64]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.config import load_config  # noqa: E402
from observatory.ingest.pipeline import ingest  # noqa: E402
from observatory.ingest.readers import CHUNK_BYTES  # noqa: E402
from observatory.store import Store  # noqa: E402


def national_config(folder: Path, n_areas: int, n_indicators: int) -> Path:
    """A configuration with ``n_areas`` square small areas in 350 localities and 35 districts."""
    folder.mkdir(parents=True)
    side = int(np.ceil(np.sqrt(n_areas)))
    codes = [f"Z01{i:06d}" for i in range(n_areas)]
    feats = []
    for i, c in enumerate(codes):
        x, y = -5 + 0.01 * (i % side), 50 + 0.01 * (i // side)
        feats.append(
            {
                "type": "Feature",
                "properties": {"code": c, "name": f"Area {i}"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]],
                },
            }
        )
    (folder / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    district = [f"Z07{(i * 35) // n_areas:06d}" for i in range(n_areas)]
    locality = [f"NL{(i * 350) // n_areas:03d}" for i in range(n_areas)]
    (folder / "lookup.csv").write_text(
        "code,district,district_name\n" + "".join(f"{c},{d},District {d}\n" for c, d in zip(codes, district))
    )
    (folder / "localities.csv").write_text(
        "locality_code,locality_name,district_code,district_name,area_type,area_code,area_name,source\n"
        + "".join(f"{l},Locality {l},{d},District {d},lsoa,{c},,bench\n" for l, d, c in zip(locality, district, codes))
    )
    rows = ["id,title,theme,unit,value_type,multiplier,polarity,dataset,frequency"]
    for k in range(n_indicators):
        rows.append(f"ind{k:02d},Indicator {k},safer_communities,%,proportion,100,low_is_good,bench,annual")
    (folder / "indicators.csv").write_text("\n".join(rows) + "\n")
    (folder / "config.yaml").write_text("""name: national
title: National-scale benchmark (synthetic)
synthetic: true
county: {code: Z10000001, name: Bench}
geography:
  small_areas: {type: lsoa, vintage: "2021", boundaries: areas.geojson, code: code, name: name}
  districts: {lookup: {file: lookup.csv, small_area: code, district: district, district_name: district_name}}
  localities: localities.csv
indicators: indicators.csv
sources: []
""")
    return folder


def national_table(path: Path, n_areas: int, n_indicators: int, n_periods: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    n = n_areas * n_indicators * n_periods
    area = np.tile(np.repeat(np.arange(n_areas), n_periods), n_indicators)
    ind = np.repeat(np.arange(n_indicators), n_areas * n_periods)
    period = np.tile(np.arange(2017, 2017 + n_periods), n_areas * n_indicators)
    den = rng.integers(200, 2000, n)
    num = rng.binomial(den, 0.12)
    codes = np.array([f"Z01{i:06d}" for i in range(n_areas)], dtype=object)
    inds = np.array([f"ind{k:02d}" for k in range(n_indicators)], dtype=object)
    table = pa.table(
        {
            "indicator_id": pa.array(inds[ind]),
            "area_code": pa.array(codes[area]),
            "period": pa.array(period.astype(str)),
            "numerator": num,
            "denominator": den,
        }
    )
    pacsv.write_csv(table, path)
    return n


def peak_rss_mib() -> float:
    """This process's peak resident memory: VmHWM (Linux; ru_maxrss would keep the parent's peak across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ingest_child(folder: Path, store_name: str, chunk_bytes: int) -> None:
    """One ingest in a fresh process, so its peak memory is its own (not the generator's)."""
    cfg = load_config(folder / "cfg")
    csv = folder / "national.csv"
    store = Store(folder / store_name)
    t0 = time.perf_counter()
    counts = ingest(cfg, store, files=[("tidy", csv, {"dataset": "bench"})], chunk_bytes=chunk_bytes)
    t1 = time.perf_counter()
    rows = sum(counts.values())
    print(json.dumps({"total": t1 - t0, "rows": rows, "counts": counts, "peak_mib": peak_rss_mib()}))


def _child(folder: Path, store_name: str, chunk_mib: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), "--store-name", store_name, "--chunk-mib", str(chunk_mib)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--areas", type=int, default=35000)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--periods", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--chunk-mib", type=float, default=CHUNK_BYTES / 2**20, help="CSV bytes read at once (MiB)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--store-name", default="store", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _ingest_child(Path(a.child), a.store_name, int(a.chunk_mib * 2**20))
        return
    tmp = Path(tempfile.mkdtemp(prefix="obs-bench-"))
    try:
        national_config(tmp / "cfg", a.areas, a.indicators)
        t = time.perf_counter()
        n = national_table(tmp / "national.csv", a.areas, a.indicators, a.periods)
        print(
            f"generated {n:,} rows ({(tmp / 'national.csv').stat().st_size / 2**20:,.0f} MiB CSV) in {time.perf_counter() - t:.1f} s"
        )
        runs = []
        for r in range(a.repeat):
            res = _child(tmp, f"store{r}", a.chunk_mib)
            runs.append(res)
            print(f"run {r + 1}: {res['counts']} in {res['total']:.1f} s, peak {res['peak_mib']:,.0f} MiB")
        med = statistics.median(r["total"] for r in runs)
        print(f"rows: {n:,}")
        print(f"median ingest time into an empty store: {med:.1f} s  ({n / med:,.0f} rows/s)")
        print(
            f"peak memory of the ingesting process (max RSS), median: {statistics.median(r['peak_mib'] for r in runs):,.0f} MiB"
        )
        print(f"store size: {(tmp / 'store0' / 'values.parquet').stat().st_size / 2**20:,.0f} MiB parquet")
        again = [_child(tmp, "store0", a.chunk_mib) for _ in range(a.repeat)]  # the same file again: digest matches, nothing read
        med_again = statistics.median(r["total"] for r in again)
        print(
            f"re-ingest of the unchanged file, median of {len(again)}: {again[-1]['counts']} in {med_again:.2f} s "
            f"(target < 5 s; {med / med_again:,.0f}x faster than the cold ingest), peak "
            f"{statistics.median(r['peak_mib'] for r in again):,.0f} MiB"
        )
        print(f"chunks of {a.chunk_mib:g} MiB; load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
