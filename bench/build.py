"""Pack build timings: cold build, no-op rebuild, and plain sequential papermill (fresh kernel each).

Uses the real notebooks when ``observatory.profiles.pack_jobs(config, pack_dir)`` exists (the
23 demo locality profiles plus the county overview); otherwise 24 runs of a small geo notebook
(pandas, geopandas, folium map, matplotlib chart). Every figure is the wall time of a separate
Python process, start-up included. Prints figures only.

    python bench/build.py [--repeat 3] [--noop-repeat 5] [--baseline-repeat 1] [--jobs N] [--config demo]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "geo.ipynb"
N_FIXTURE = 24


def fixture_jobs(pack_dir: Path):
    from observatory.packs import Job

    return [Job(f"L{i:02d}", FIXTURE, {"locality": f"L{i:02d}", "seed": i, "downloads_dir": str(pack_dir / "downloads")},
                depends="fixture", title=f"Locality L{i:02d}", outputs=(f"downloads/L{i:02d}.csv",))
            for i in range(1, N_FIXTURE + 1)]


def real_planner():
    if not (ROOT / "notebooks" / "locality_profile.ipynb").exists():
        return None
    try:
        from observatory.profiles import pack_jobs
    except Exception:
        return None
    return pack_jobs


def plan(source: str, config: str, pack_dir: Path):
    if source == "real":
        return real_planner()(config, pack_dir)
    return fixture_jobs(pack_dir)


def child(args) -> int:
    pack_dir = Path(args.pack_dir)
    jobs = plan(args.source, args.config, pack_dir)
    if args.mode == "build":
        from observatory.packs import build_pack

        summary = build_pack(jobs, pack_dir, jobs_n=args.jobs, progress=False)
        json.dump({"built": summary.count("built"), "skipped": summary.count("skipped"),
                   "failed": summary.count("failed"), "kernels": summary.kernels_started}, sys.stdout)
        return summary.exit_code
    from observatory.runner import run_plain_papermill

    work = pack_dir / "plain"
    run_plain_papermill([(j.notebook, j.parameters, work / f"{j.name}.ipynb") for j in jobs])
    return 0


def timed(cmd: list[str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark step failed ({proc.returncode}): {' '.join(cmd)}")
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except ValueError:
        info = {}
    return seconds, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="cold builds (median)")
    ap.add_argument("--noop-repeat", type=int, default=5, help="no-op rebuilds (median)")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="plain papermill runs (median)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--config", default="demo")
    ap.add_argument("--fixture", action="store_true", help="use the fixture notebook even if real ones exist")
    ap.add_argument("--child", choices=["build", "plain"], dest="mode")
    ap.add_argument("--source", default="fixture")
    ap.add_argument("--pack-dir")
    args = ap.parse_args()
    if args.mode:
        raise SystemExit(child(args))

    source = "real" if not args.fixture and real_planner() is not None else "fixture"
    py = [sys.executable, str(Path(__file__).resolve()), "--source", source, "--config", args.config, "--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        cold, noop, info = [], [], {}
        for r in range(args.repeat):
            pack = Path(tmp) / f"cold{r}" / "2026Q3"
            s, info = timed(py + ["--child", "build", "--pack-dir", str(pack)])
            cold.append(s)
            if r == 0:
                for _ in range(args.noop_repeat):
                    s, noop_info = timed(py + ["--child", "build", "--pack-dir", str(pack)])
                    noop.append(s)
        plain = [timed(py + ["--child", "plain", "--pack-dir", str(Path(tmp) / f"plain{r}")])[0]
                 for r in range(args.baseline_repeat)]

    n = info.get("built", 0) + info.get("skipped", 0) + info.get("failed", 0)
    what = "real notebooks (locality profiles + county overview)" if source == "real" else f"fixture {FIXTURE.name}"
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    print(f"notebooks: {n} ({what}); workers: {args.jobs}; CPUs: {os.cpu_count()}")
    print(f"cold build, median of {len(cold)}: {statistics.median(cold):.2f} s  [{fmt(cold)}]"
          f"  (built {info.get('built')}, failed {info.get('failed')}, kernels {info.get('kernels')})")
    print(f"no-op rebuild, median of {len(noop)}: {statistics.median(noop):.2f} s  [{fmt(noop)}]"
          f"  (built {noop_info.get('built')}, kernels {noop_info.get('kernels')})")
    print(f"plain papermill, sequential, fresh kernel each, median of {len(plain)}: {statistics.median(plain):.2f} s  [{fmt(plain)}]")
    print(f"speed-up of the cold build over plain papermill: {statistics.median(plain) / statistics.median(cold):.1f}x")


if __name__ == "__main__":
    main()
