"""Pack build timings: cold build, no-op rebuild, and plain sequential papermill with a fresh kernel each.

With the real notebooks (``observatory.publish.plan`` and ``notebooks/locality_profile.ipynb`` present)
it times ``observatory build --config demo`` (every locality profile, the county overview and the
other pack outputs); otherwise 24 runs of a small geo notebook (pandas, geopandas, a folium map, a
matplotlib chart) through ``build_pack``. Each figure is the wall time of a separate Python
process, start-up included; "engine" is the time ``build_pack`` itself reported in ``build.log``.
The baseline runs the same notebooks with the same parameters (read from the cold build's
manifest) one after another with ``papermill.execute_notebook``, a new kernel each, plus HTML.
Prints figures only.

    python bench/build.py [--repeat 3] [--noop-repeat 5] [--baseline-repeat 1] [--jobs N] [--fixture]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "geo.ipynb"
N_FIXTURE = 24
QUARTER = "2026Q3"


def fixture_jobs(pack_dir: Path):
    from observatory.publish.engine import Job

    return [Job(f"L{i:02d}", FIXTURE, {"locality": f"L{i:02d}", "seed": i, "downloads_dir": str(pack_dir / "downloads")},
                depends="fixture", title=f"Locality L{i:02d}", outputs=(f"downloads/L{i:02d}.csv",))
            for i in range(1, N_FIXTURE + 1)]


def real_available() -> bool:
    return (ROOT / "notebooks" / "locality_profile.ipynb").exists() and importlib.util.find_spec("observatory.publish.plan") is not None


def child_build(pack_dir: Path, jobs_n: int) -> int:
    from observatory.publish.engine import build_pack, package_version

    # keyed on the version alone: edits elsewhere in the working tree must not turn a no-op into a rebuild
    package = {"version": package_version()}
    return build_pack(fixture_jobs(pack_dir), pack_dir, jobs_n=jobs_n, progress=False, package=package).exit_code


def child_plain(pack_dir: Path) -> int:
    from observatory.publish.runner import run_plain_papermill

    from observatory.publish.places import Places

    outputs = json.loads((pack_dir / "manifest.json").read_text())["outputs"]
    where = Places.for_pack(pack_dir)  # the manifest records the pack as "." and package folders by label

    def absolute(value):
        if not isinstance(value, str):
            return value
        return str(pack_dir / value[2:]) if value.startswith("./") else str(where.resolve(value)) if value.startswith("<") else value

    work = pack_dir.parent / "plain"
    run_plain_papermill([(where.resolve(o["notebook"]), {k: absolute(v) for k, v in o["parameters"].items()},
                          work / f"{o['name']}.ipynb") for o in outputs])
    return 0


LAST_OUTPUT = {"text": ""}


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark step failed (exit code {proc.returncode}): {' '.join(cmd)}")
    LAST_OUTPUT["text"] = " ".join((proc.stdout + proc.stderr).split())
    return seconds


def noop_counts_from(output: str, pack_dir: Path) -> tuple[float, str]:
    """A no-op answered before planning writes no log line: read its counts from what the command printed."""
    m = re.search(r"(\d+ built, \d+ up to date, \d+ failed) in ([\d.]+) s", output)
    return (float(m.group(2)), m.group(1)) if m else engine_seconds(pack_dir)


def engine_seconds(pack_dir: Path) -> tuple[float, str]:
    """Seconds and counts of the last ``build finished`` line of the pack's log."""
    lines = [ln for ln in (pack_dir / "build.log").read_text().splitlines() if " build finished: " in ln]
    m = re.search(r"build finished: (.*) in ([\d.]+) s", lines[-1])
    return float(m.group(2)), m.group(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="cold builds (median)")
    ap.add_argument("--noop-repeat", type=int, default=5, help="no-op rebuilds after the first cold build (median)")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="plain papermill runs (median)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="workers")
    ap.add_argument("--config", default="demo", help="configuration for the real notebooks")
    ap.add_argument("--fixture", action="store_true", help="use the fixture notebook even if the real ones exist")
    ap.add_argument("--child", choices=["build", "plain"], help=argparse.SUPPRESS)
    ap.add_argument("--pack-dir", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "build":
        raise SystemExit(child_build(Path(args.pack_dir), args.jobs))
    if args.child == "plain":
        raise SystemExit(child_plain(Path(args.pack_dir), args.config if args.store else None,
                                     Path(args.store) if args.store else None))

    real = real_available() and not args.fixture
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        store = Path(tmp) / "store"
        if real:  # ingest once, outside the timings
            subprocess.run([sys.executable, "-c", "import sys; from observatory.config import load_config; "
                            "from observatory.publish.plan import sync_store; from observatory.store import Store; "
                            "sync_store(load_config(sys.argv[1]), Store(sys.argv[2]))", args.config, str(store)],
                           check=True, cwd=ROOT, capture_output=True)

        def command(out: Path) -> list[str]:
            if real:
                return [sys.executable, "-m", "observatory.cli", "build", "--config", args.config, "--quarter", QUARTER,
                        "--out", str(out), "--store", str(store), "--jobs", str(args.jobs), "--quiet"]
            return [sys.executable, str(Path(__file__).resolve()), "--child", "build", "--pack-dir", str(out / QUARTER),
                    "--jobs", str(args.jobs)]

        cold, cold_engine, noop, noop_engine = [], [], [], []
        counts, noop_counts = "", []
        for r in range(args.repeat):
            out = Path(tmp) / f"cold{r}"
            cold.append(run(command(out)))
            seconds, counts = engine_seconds(out / QUARTER)
            cold_engine.append(seconds)
            if r == 0:
                for _ in range(args.noop_repeat):
                    noop.append(run(command(out)))
                    seconds, c = noop_counts_from(LAST_OUTPUT["text"], out / QUARTER)
                    noop_engine.append(seconds)
                    noop_counts.append(c)
        n = len(json.loads((Path(tmp) / "cold0" / QUARTER / "manifest.json").read_text())["outputs"])
        plain = [run([sys.executable, str(Path(__file__).resolve()), "--child", "plain", "--pack-dir", str(Path(tmp) / "cold0" / QUARTER)]
                     + (["--config", args.config, "--store", str(store)] if real else []))
                 for _ in range(args.baseline_repeat)]

    rebuilt = [c for c in noop_counts if not c.startswith("0 built")]
    med = statistics.median
    def fmt(xs):
        return ", ".join(f"{x:.2f}" for x in xs)
    what = f"`observatory build --config {args.config}`" if real else f"fixture {FIXTURE.name} x {N_FIXTURE}"
    print(f"notebooks: {n} ({what}); workers: {args.jobs}; CPUs: {os.cpu_count()}")
    print(f"cold build, median of {len(cold)}: {med(cold):.2f} s [{fmt(cold)}]; engine {med(cold_engine):.2f} s; {counts}")
    print(f"no-op rebuild, median of {len(noop)}: {med(noop):.2f} s [{fmt(noop)}]; engine {med(noop_engine):.2f} s; "
          f"{noop_counts[-1]}" + (f"; NOT a no-op in {len(rebuilt)} run(s) (code edited meanwhile?): {rebuilt}" if rebuilt else ""))
    print(f"plain papermill, sequential, fresh kernel each, median of {len(plain)}: {med(plain):.2f} s [{fmt(plain)}]")
    print(f"speed-up of the cold build over plain papermill: {med(plain) / med(cold):.1f}x")


if __name__ == "__main__":
    main()
