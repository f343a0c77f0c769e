"""Pack build timings: cold build, no-op rebuild, and plain sequential papermill with a fresh kernel each.

With the real notebooks (``observatory.publish.plan`` and ``notebooks/locality_profile.ipynb`` present)
it times ``observatory build --config demo`` (every locality profile, the county overview and the
other pack outputs); otherwise 24 runs of a small geo notebook (pandas, geopandas, a folium map, a
matplotlib chart) through ``build_pack``. Each figure is the wall time of a separate Python
process, start-up included; "engine" is the time ``build_pack`` itself reported in ``build.log``.
The baseline runs the same notebooks with the same parameters (read from the cold build's
manifest) one after another with ``papermill.execute_notebook``, a new kernel each, plus HTML.
Prints figures only, with diagnostics: the ceiling of the speed-up (the floor's execution shared by the
workers, plus the start before the engine and the index, manifest and zip), each kind of notebook's
execution (cold build and floor), the locality profiles' seconds in the order they ran (a warm kernel
accumulating work would show rising figures), and the load average before and after (other processes
inflate every figure). The machine's speed drifts over minutes, so the runs are interleaved: each cold build
is followed by a floor run, and the plain papermill runs come after the first pair, between the builds.

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

    return [
        Job(
            f"L{i:02d}",
            FIXTURE,
            {"locality": f"L{i:02d}", "seed": i, "downloads_dir": str(pack_dir / "downloads")},
            depends="fixture",
            title=f"Locality L{i:02d}",
            outputs=(f"downloads/L{i:02d}.csv",),
        )
        for i in range(1, N_FIXTURE + 1)
    ]


def real_available() -> bool:
    return (ROOT / "notebooks" / "locality_profile.ipynb").exists() and importlib.util.find_spec(
        "observatory.publish.plan"
    ) is not None


def child_build(pack_dir: Path, jobs_n: int) -> int:
    from observatory.publish.engine import build_pack, package_version

    # keyed on the version alone: edits elsewhere in the working tree must not turn a no-op into a rebuild
    package = {"version": package_version()}
    return build_pack(fixture_jobs(pack_dir), pack_dir, jobs_n=jobs_n, progress=False, package=package).exit_code


PLACES: dict = {}


def _recorded_runs(pack_dir: Path) -> list[tuple[Path, dict, str]]:
    """(notebook, parameters with absolute paths, name) of every output the pack's manifest records."""
    from observatory.publish.places import Places

    outputs = json.loads((pack_dir / "manifest.json").read_text())["outputs"]
    where = Places.for_pack(pack_dir, PLACES)  # the manifest records the pack as "." and other folders by label

    def absolute(value):
        if not isinstance(value, str):
            return value
        if value == "." or value.startswith("./"):
            return str(pack_dir / value[2:])
        return str(where.resolve(value)) if value.startswith("<") else value

    return [(where.resolve(o["notebook"]), {k: absolute(v) for k, v in o["parameters"].items()}, o["name"]) for o in outputs]


def child_plain(pack_dir: Path) -> int:
    from observatory.publish.runner import run_plain_papermill

    work = pack_dir.parent / "plain"
    run_plain_papermill([(nb, params, work / f"{name}.ipynb") for nb, params, name in _recorded_runs(pack_dir)])
    return 0


def child_floor(pack_dir: Path) -> int:
    """The floor: the same notebooks and parameters on ONE warm kernel, cells sent straight to it; no papermill,
    no notebook or HTML written, no manifest or zip. Prints the seconds with and without the kernel's start."""
    from jupyter_core.utils import run_sync

    from observatory.publish.runner import WarmKernel

    runs = _recorded_runs(pack_dir)
    t0 = time.perf_counter()
    kernel = WarmKernel()
    kernel.launch()
    kernel.connect()
    started = time.perf_counter()
    each: list[tuple[str, float]] = []  # diagnostics only: each notebook's seconds, reset included
    try:
        for notebook, params, name in runs:
            mark = time.perf_counter()
            kernel.reset(str(Path(notebook).parent))
            for source in _cells(notebook, params):
                reply = run_sync(kernel.kc.execute_interactive)(
                    source, store_history=False, timeout=600, output_hook=lambda msg: None
                )
                if reply["content"].get("status") != "ok":
                    raise SystemExit(f"floor run failed in {notebook}: {reply['content'].get('evalue')}")
            each.append((name, time.perf_counter() - mark))
    finally:
        kernel.shutdown()
    print(json.dumps({"total": time.perf_counter() - t0, "execution": time.perf_counter() - started, "each": each}))
    return 0


def _cells(notebook: Path, params: dict) -> list[str]:
    """The notebook's code cells with the parameters injected after its parameters cell, as papermill does."""
    cells, injected = [], "\n".join(f"{k} = {v!r}" for k, v in params.items())
    for cell in json.loads(Path(notebook).read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        cells.append("".join(cell["source"]))
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cells.append(injected)
    return cells


LAST_OUTPUT = {"text": ""}


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark step failed (exit code {proc.returncode}): {' '.join(cmd)}")
    LAST_OUTPUT["text"] = " ".join((proc.stdout + proc.stderr).split())
    LAST_OUTPUT["stdout"] = proc.stdout
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


def _kind_summary(found: dict[str, list[float]]) -> str:
    return "; ".join(
        f"{kind} x{len(xs)} {sum(xs):.1f} s (median {statistics.median(xs):.2f} s)"
        for kind, xs in sorted(found.items(), key=lambda kv: -sum(kv[1]))
    )


def profiles_in_order(pack_dir: Path) -> str:
    """Each locality profile's execution seconds in the order build.log records them, with its worker: a warm
    kernel whose profiles grow dearer with every one it runs shows here."""
    log = (pack_dir / "build.log").read_text()
    workers = dict(re.findall(r" start (profile-[^ ]+) \(worker (\d+)\)", log))
    found = re.findall(r" built (profile-[^ ]+) in [\d.]+ s \(kernel [\d.]+ s, execution ([\d.]+) s", log)
    return ", ".join(f"{float(x):.2f}/w{workers.get(name, '?')}" for name, x in found)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def execution_by_kind(pack_dir: Path) -> str:
    """Each kind of notebook's count, summed and median execution seconds, from the per-notebook lines of build.log
    (``built <name> in ... (kernel ..., execution X s, ...)``; the kind is the name before its first dash)."""
    found: dict[str, list[float]] = {}
    for m in re.finditer(
        r" built ([^ -]+)[^ ]* in [\d.]+ s \(kernel [\d.]+ s, execution ([\d.]+) s", (pack_dir / "build.log").read_text()
    ):
        found.setdefault(m.group(1), []).append(float(m.group(2)))
    return _kind_summary(found)


def pack_sizes(pack_dir: Path) -> dict[str, int]:
    """Bytes of the pack folder, its zip, its shared assets and its locality-profile pages."""
    files = [p for p in pack_dir.rglob("*") if p.is_file()]
    pages = sorted(
        p.stat().st_size
        for p in (pack_dir / "html").glob("*.html")
        if not p.stem.startswith(("overview", "county", "catalogue", "exception"))
    )
    return {
        "pack": sum(p.stat().st_size for p in files),
        "files": len(files),
        "zip": (pack_dir.parent / f"{pack_dir.name}.zip").stat().st_size,
        "assets": sum(p.stat().st_size for p in (pack_dir / "assets").glob("*")),
        "page_median": int(statistics.median(pages)) if pages else 0,
        "page_max": pages[-1] if pages else 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="cold builds (median)")
    ap.add_argument("--noop-repeat", type=int, default=5, help="no-op rebuilds after the first cold build (median)")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="plain papermill runs (median)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="workers")
    ap.add_argument("--config", default="demo", help="configuration for the real notebooks")
    ap.add_argument("--fixture", action="store_true", help="use the fixture notebook even if the real ones exist")
    ap.add_argument("--floor-repeat", type=int, default=3, help="floor runs: one warm kernel, cells only (median)")
    ap.add_argument("--no-sizes", action="store_true", help="skip the self-contained build that sizes the pack before sharing")
    ap.add_argument("--child", choices=["build", "plain", "floor"], help=argparse.SUPPRESS)
    ap.add_argument("--pack-dir", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "build":
        raise SystemExit(child_build(Path(args.pack_dir), args.jobs))
    if args.child and args.store:  # the folders the manifest records by label: <config>, <store>, ...
        from observatory.config import load_config
        from observatory.publish.plan import places
        from observatory.store import Store

        PLACES.update(places(load_config(args.config), Store(args.store)))
    if args.child == "plain":
        raise SystemExit(child_plain(Path(args.pack_dir)))
    if args.child == "floor":
        raise SystemExit(child_floor(Path(args.pack_dir)))

    real = real_available() and not args.fixture
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        store = Path(tmp) / "store"
        if real:  # ingest once, outside the timings
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; from observatory.config import load_config; "
                    "from observatory.publish.plan import sync_store; from observatory.store import Store; "
                    "sync_store(load_config(sys.argv[1]), Store(sys.argv[2]))",
                    args.config,
                    str(store),
                ],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )

        def command(out: Path, *extra: str) -> list[str]:
            if real:
                return [
                    sys.executable,
                    "-c",
                    "from observatory.cli import app; app()",
                    "build",
                    "--config",
                    args.config,
                    "--quarter",
                    QUARTER,
                    "--out",
                    str(out),
                    "--store",
                    str(store),
                    "--jobs",
                    str(args.jobs),
                    "--quiet",
                    *extra,
                ]
            return [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                "build",
                "--pack-dir",
                str(out / QUARTER),
                "--jobs",
                str(args.jobs),
            ]

        cold, cold_engine, noop, noop_engine = [], [], [], []
        counts, noop_counts = "", []
        me = [sys.executable, str(Path(__file__).resolve())]
        labels = ["--config", args.config, "--store", str(store)] if real else []
        pack0 = Path(tmp) / "cold0" / QUARTER
        floor, floor_exec, floor_each, plain = [], [], [], []

        def measure_floor() -> None:
            floor.append(run(me + ["--child", "floor", "--pack-dir", str(pack0)] + labels))
            reported = json.loads(LAST_OUTPUT["stdout"].strip().splitlines()[-1])
            floor_exec.append(reported["execution"])
            floor_each[:] = reported.get("each", [])

        # The machine's speed drifts over minutes: each cold build is followed by a floor run, and the plain
        # papermill runs come after the first pair, so the builds before and after them bracket them in time.
        for r in range(max(args.repeat, args.floor_repeat)):
            if r < args.repeat:
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
            if r < args.floor_repeat:
                measure_floor()
            if r == 0:
                plain += [run(me + ["--child", "plain", "--pack-dir", str(pack0)] + labels) for _ in range(args.baseline_repeat)]
        n = len(json.loads((pack0 / "manifest.json").read_text())["outputs"])
        by_kind = execution_by_kind(pack0)
        in_order = profiles_in_order(pack0)
        spent = [ln.split("time spent: ", 1)[1] for ln in (pack0 / "build.log").read_text().splitlines() if "time spent: " in ln]
        sizes = {"shared assets": pack_sizes(pack0)}
        if real and not args.no_sizes:
            run(command(Path(tmp) / "inline", "--self-contained"))
            sizes["self-contained"] = pack_sizes(Path(tmp) / "inline" / QUARTER)

    rebuilt = [c for c in noop_counts if not c.startswith("0 built")]
    med = statistics.median

    def fmt(xs):
        return ", ".join(f"{x:.2f}" for x in xs)

    what = f"`observatory build --config {args.config}`" if real else f"fixture {FIXTURE.name} x {N_FIXTURE}"
    print(f"notebooks: {n} ({what}); workers: {args.jobs}; CPUs: {os.cpu_count()}")
    print(f"cold build, median of {len(cold)}: {med(cold):.2f} s [{fmt(cold)}]; engine {med(cold_engine):.2f} s; {counts}")
    print(
        f"no-op rebuild, median of {len(noop)}: {med(noop):.2f} s [{fmt(noop)}]; engine {med(noop_engine):.2f} s; "
        f"{noop_counts[-1]}" + (f"; NOT a no-op in {len(rebuilt)} run(s) (code edited meanwhile?): {rebuilt}" if rebuilt else "")
    )
    print(f"plain papermill, sequential, fresh kernel each, median of {len(plain)}: {med(plain):.2f} s [{fmt(plain)}]")
    print(
        f"floor (one warm kernel, cells only, no papermill/HTML/manifest/zip), median of {len(floor)}: {med(floor):.2f} s "
        f"[{fmt(floor)}] with its process and kernel start; {med(floor_exec):.2f} s executing"
    )
    print(f"speed-up of the cold build over plain papermill: {med(plain) / med(cold):.1f}x (target >= 10x)")
    print(f"cold build / floor: {med(cold) / med(floor):.2f}x (target <= 2x)")
    tail = sum(float(x) for x in re.findall(r"(?:index and manifest|zip) ([\d.]+) s", spent[0])) if spent else 0.0
    start = med(cold) - med(cold_engine)
    ceiling = med(floor_exec) / max(1, min(args.jobs, os.cpu_count() or 1)) + start + tail
    print(
        f"ceiling of this design here: the floor's execution shared by {min(args.jobs, os.cpu_count() or 1)} worker(s) "
        f"+ the start before the engine ({start:.2f} s) + index, manifest and zip ({tail:.2f} s) = {ceiling:.2f} s, "
        f"so at most {med(plain) / ceiling:.1f}x plain papermill"
    )
    print(f"where the cold build's time went (first cold build, build.log): {spent[0] if spent else 'not logged'}")
    print(f"execution by kind of notebook (first cold build, summed over workers): {by_kind}")
    if in_order:
        print(f"locality profiles' execution in build order (first cold build, seconds/worker): {in_order}")
    if floor_each:
        kinds: dict[str, list[float]] = {}
        for name, seconds in floor_each:
            kinds.setdefault(name.split("-")[0], []).append(seconds)
        print(f"floor by kind of notebook (last floor run, one kernel): {_kind_summary(kinds)}")
        shown = [f"{x:.2f}" for name, x in floor_each if name.startswith("profile-")]
        print(f"floor's locality profiles in order (one kernel, seconds): {', '.join(shown)}")
    print(f"load average (1, 5, 15 min) before the runs: {load_before}; after: {load_average()}")
    for mode, size in sizes.items():
        print(
            f"pack size, {mode}: {size['pack'] / 2**20:.1f} MiB in {size['files']} files, zipped {size['zip'] / 2**20:.1f} MiB; "
            f"profile page median {size['page_median'] / 1024:.0f} KiB (max {size['page_max'] / 1024:.0f} KiB); "
            f"assets {size['assets'] / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
