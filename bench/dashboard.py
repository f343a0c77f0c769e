"""Benchmark: the localities dashboard served by Voila on the loopback interface, driven by chromium.

Prints, as medians: time from the page request to the drawn map (new kernel per page, and
preheated), time for an indicator change to redraw the map in the browser (and to build it in
the kernel), the bytes of a map (HTML in the widget and its JSON message) for localities and
small areas, and the memory (RSS of the Voila server and its kernels) per connected session
with 1, 5 and 20 pages open at once. Every request goes to 127.0.0.1. Prints figures only.

    .venv/bin/python bench/dashboard.py [--config demo] [--runs 5] [--redraws 8] [--sessions 1,5,20]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.apps.serve import serve, stop  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAP, AREAS = ".obs-map iframe", "path.leaflet-interactive"
TIMEOUT_MS = 300_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> tuple[int, list[int]]:
    """RSS in bytes of a process and all its descendants, and the RSS of each kernel among them."""
    import psutil

    root = psutil.Process(pid)
    total, kernels = 0, []
    for p in [root] + root.children(recursive=True):
        try:
            rss = p.memory_info().rss
            total += rss
            if "ipykernel" in " ".join(p.cmdline()):
                kernels.append(rss)
        except psutil.NoSuchProcess:
            pass
    return total, kernels


def wait_idle(pid: int, timeout: float = 120) -> None:
    """Wait until the server and its kernels use under 5% of a core (a preheated kernel has run its notebook)."""
    import psutil

    deadline, quiet = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and quiet < 2:
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
        for p in procs:
            p.cpu_percent(None)
        time.sleep(0.5)
        busy = 0.0
        for p in procs:
            try:
                busy += p.cpu_percent(None)
            except psutil.NoSuchProcess:
                pass
        quiet = quiet + 1 if busy < 5 else 0


def filled(log: Path) -> int:
    return log.read_text(errors="replace").count("Kernel pool of localities.ipynb is filled") if log.exists() else 0


def wait_for(condition, timeout: float = 300, step: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(step)


class Server:
    def __init__(self, config: str, preheat: bool, folder: Path):
        self.port = free_port()
        self.log = folder / f"voila-{self.port}.log"
        self.process = serve(config, port=self.port, preheat=preheat, wait=False, quiet=True, log=self.log)
        self.url = f"http://127.0.0.1:{self.port}/voila/render/localities.ipynb"
        if preheat:
            wait_for(lambda: filled(self.log) >= 1)
            wait_idle(self.process.pid)

    def close(self) -> None:
        stop(self.process)


def open_map(browser, url: str):
    """Open the dashboard in a fresh context; return (seconds to the drawn map, context, page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
    return time.perf_counter() - t0, context, page


def first_render(browser, config: str, preheat: bool, runs: int, folder: Path) -> list[float]:
    server = Server(config, preheat, folder)
    times = []
    try:
        for i in range(runs):
            if preheat:
                wait_for(lambda: filled(server.log) >= i + 1)  # the pool has a kernel again...
                wait_idle(server.process.pid)  # ...which has run the notebook
            seconds, context, _page = open_map(browser, server.url)
            times.append(seconds)
            context.close()
            time.sleep(0.5)
    finally:
        server.close()
    return times


def redraws(browser, config: str, n: int, folder: Path) -> list[float]:
    server = Server(config, True, folder)
    try:
        _s, context, page = open_map(browser, server.url)

        def select(label: str):
            return page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select")

        themes = select("Theme").locator("option").count()
        times = []
        for i in range(n):  # alternately another theme (its first indicator) and that theme's second indicator
            label, index = ("Theme", (i // 2 + 1) % themes) if i % 2 == 0 else ("Indicator", 1)
            if select(label).locator("option").count() <= index:
                continue
            before = _legend_text(page)
            t0 = time.perf_counter()
            select(label).select_option(index=index)
            wait_for(lambda: _legend_text(page) not in (before, None), timeout=60, step=0.01)
            times.append(time.perf_counter() - t0)
        context.close()
        return times
    finally:
        server.close()


def _legend_text(page) -> str | None:
    try:
        return page.frame_locator(MAP).locator(".obs-legend").text_content(timeout=1000)
    except Exception:
        return None


def memory(browser, config: str, sessions: int, folder: Path) -> tuple[float, float, list[int]]:
    """(MB per session, MB in total, RSS of each kernel) with ``sessions`` pages open at once."""
    server = Server(config, True, folder)
    try:
        time.sleep(1)
        baseline, _k = tree_rss(server.process.pid)
        contexts = []
        for _ in range(sessions):
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.url, wait_until="commit")
            contexts.append((context, page))
        for _context, page in contexts:
            page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
        wait_idle(server.process.pid)
        total, kernels = tree_rss(server.process.pid)
        for context, _page in contexts:
            context.close()
        return (total - baseline) / sessions / 2**20, total / 2**20, kernels
    finally:
        server.close()


def payload(config: str, indicators: int) -> dict[str, list[int]]:
    """Bytes of the map HTML and of its JSON widget message, for localities and small areas, in-process."""
    from observatory.apps.dashboard import LocalitiesDashboard

    d = LocalitiesDashboard(config)
    out = {"locality_html": [], "locality_json": [], "small_area_html": [], "small_area_json": [], "build_s": []}
    for indicator in list(d.indicators.index)[:indicators]:
        period = d.periods(indicator)[0]
        for level in ("locality", "small_area"):
            t0 = time.perf_counter()
            doc = d.map_html(indicator, period, level)
            if level == "locality":
                out["build_s"].append(time.perf_counter() - t0)
            out[f"{level}_html"].append(len(doc.encode()))
            out[f"{level}_json"].append(len(json.dumps({"method": "update", "state": {"value": doc}}).encode()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="demo")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--redraws", type=int, default=8)
    ap.add_argument("--sessions", default="1,5,20")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    med = statistics.median
    sizes = payload(args.config, 6)
    print(
        f"map payload, localities: HTML {med(sizes['locality_html']) / 1e3:,.0f} kB, "
        f"widget message {med(sizes['locality_json']) / 1e3:,.0f} kB (median of {len(sizes['locality_html'])} indicators)"
    )
    print(
        f"map payload, small areas: HTML {med(sizes['small_area_html']) / 1e3:,.0f} kB, "
        f"widget message {med(sizes['small_area_json']) / 1e3:,.0f} kB"
    )
    print(f"map built in the kernel (localities, uncached): {med(sizes['build_s']) * 1e3:,.0f} ms")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        folder = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cold = first_render(browser, args.config, False, args.runs, folder)
        print(
            f"request to drawn map, new kernel per page: {med(cold):.2f} s (median of {len(cold)}; "
            f"min {min(cold):.2f}, max {max(cold):.2f})"
        )
        warm = first_render(browser, args.config, True, args.runs, folder)
        print(
            f"request to drawn map, preheated kernel: {med(warm):.2f} s (median of {len(warm)}; "
            f"min {min(warm):.2f}, max {max(warm):.2f})"
        )
        redraw = redraws(browser, args.config, args.redraws, folder)
        print(
            f"indicator change to redrawn map in the browser: {med(redraw):.2f} s (median of {len(redraw)}; "
            f"max {max(redraw):.2f})"
        )
        for n in [int(x) for x in args.sessions.split(",") if x.strip()]:
            per, total, kernels = memory(browser, args.config, n, folder)
            print(
                f"memory with {n:>2} session(s) open: {per:,.0f} MB per session; server and {len(kernels)} kernels "
                f"{total:,.0f} MB in total; a kernel {med(kernels) / 2**20:,.0f} MB (median)"
            )
        browser.close()


if __name__ == "__main__":
    main()
