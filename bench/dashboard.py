"""Benchmark: the localities dashboard on the loopback interface, driven by chromium, by both routes.

The public route (``serve --audience public``: the dashboard pre-rendered as files, no kernel): the site's
build time at start, time from the request to the drawn map for one visitor and for ``--burst`` visitors arriving
together (median and worst), bytes per visit, plain-HTTP time to fetch a visit's files with that many at once,
and the server's memory per session.

The live route (Voila, ``--live-audience partners``): time from the page request to the drawn map (new kernel per
page, and preheated), time for an indicator change to redraw the map in the browser (and to build it in the
kernel), the bytes of a map (HTML in the widget and its JSON message), the memory (RSS of the Voila server and its
kernels) per connected session with ``--sessions`` pages open at once, and the same burst of visitors, each
capped at ``--live-timeout`` seconds. Then the ratios of the two routes and the load average. Every request goes
to 127.0.0.1. Prints figures only.

    .venv/bin/python bench/dashboard.py [--config demo] [--runs 5] [--redraws 8] [--sessions 1,5,20]
        [--burst 20] [--routes public,live] [--live-timeout 180]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.apps.public_site import site_folder  # noqa: E402
from observatory.apps.serve import PUBLIC_SITE_PATH, serve, stop  # noqa: E402
from observatory.config import load_config  # noqa: E402

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
PUBLIC_MAP = "#obs-map"
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
    audience = "partners"
    """The live route's audience (``--live-audience``)."""
    max_kernels = 12

    def __init__(self, config: str, preheat: bool, folder: Path):
        self.port = free_port()
        self.log = folder / f"voila-{self.port}.log"
        self.process = serve(
            config,
            port=self.port,
            audience=self.audience,
            preheat=preheat,
            wait=False,
            quiet=True,
            log=self.log,
            max_kernels=self.max_kernels,
        )
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


class PublicServer:
    """``serve`` for the public audience with the pre-rendered site (no preheated kernel: the site needs none)."""

    def __init__(self, config: str, folder: Path):
        self.port = free_port()
        t0 = time.perf_counter()
        self.process = serve(
            config,
            port=self.port,
            audience="public",
            preheat=False,
            wait=False,
            quiet=True,
            log=folder / "public.log",
            public_site=True,
        )
        self.started_s = time.perf_counter() - t0
        self.site = site_folder(load_config(config))
        self.base = f"http://127.0.0.1:{self.port}/{PUBLIC_SITE_PATH}"
        self.codes = sorted(p.stem for p in (self.site / "localities").glob("*.html"))

    def url(self, i: int) -> str:
        """Visitor ``i``'s locality page (visitors spread over the localities)."""
        return f"{self.base}localities/{self.codes[i % len(self.codes)]}.html"

    def visit_files(self, i: int) -> list[str]:
        """What a browser fetches to draw visitor ``i``'s first map: page, styles, script, map, Leaflet, figures."""
        first = sorted(p.name for p in (self.site / "maps").glob("*.html"))[0]
        files = ["assets/public-site.css", "assets/public-site.js", f"maps/{first}", "assets/leaflet.js", "assets/leaflet.css"]
        return [self.url(i), *(self.base + f for f in files), self.base + f"data/{first.removesuffix('.html')}.json"]

    def close(self) -> None:
        stop(self.process)


async def _visit(browser, url: str, frame: str, timeout_s: float):
    """Open ``url`` in a fresh context (empty cache); (seconds to the drawn map or None past the cap, bytes, context)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    finished = []
    page.on("requestfinished", lambda r: finished.append(r))
    t0 = time.perf_counter()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        left = max(1.0, timeout_s - (time.perf_counter() - t0))
        await page.frame_locator(frame).locator(AREAS).first.wait_for(state="attached", timeout=left * 1000)
        seconds = time.perf_counter() - t0
    except PlaywrightTimeout:
        seconds = None
    sizes = [await r.sizes() for r in finished]
    return seconds, sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes), context


async def _burst(urls: list[str], frame: str, timeout_s: float, pid: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        before, _k = tree_rss(pid)
        results = await asyncio.gather(*[_visit(browser, u, frame, timeout_s) for u in urls])
        wait_idle(pid, timeout=60)
        after, kernels = tree_rss(pid)
        for _s, _b, context in results:
            await context.close()
        await browser.close()
    return {
        "times": [r[0] for r in results if r[0] is not None],
        "capped": sum(r[0] is None for r in results),
        "bytes": [r[1] for r in results],
        "per_session_mb": (after - before) / len(urls) / 2**20,
        "total_mb": after / 2**20,
        "kernels": len(kernels),
    }


def burst(urls: list[str], frame: str, timeout_s: float, pid: int) -> dict:
    """``len(urls)`` visitors arriving together, each in its own browser context: times to the drawn map, bytes,
    server memory per session (RSS after minus before, over the visitors) and kernels running."""
    return asyncio.run(_burst(urls, frame, timeout_s, pid))


def http_visits(urls_per_visit: list[list[str]]) -> list[float]:
    """Seconds for each visit to fetch its files over plain HTTP, all visits at once (one thread each)."""
    import concurrent.futures
    import urllib.request

    def visit(urls: list[str]) -> float:
        t0 = time.perf_counter()
        for u in urls:
            with urllib.request.urlopen(u, timeout=60) as r:
                r.read()
        return time.perf_counter() - t0

    with concurrent.futures.ThreadPoolExecutor(len(urls_per_visit)) as pool:
        return list(pool.map(visit, urls_per_visit))


def _spread(times: list[float]) -> str:
    if not times:
        return "no visitor drew a map in time"
    return f"median {statistics.median(times):.2f} s, worst {max(times):.2f} s (of {len(times)})"


def public_route(config: str, runs: int, visitors: int, folder: Path) -> dict:
    """The public route's figures (see the module's docstring)."""
    server = PublicServer(config, folder)
    try:
        print(f"public site: built and served in {server.started_s:.1f} s at start ({len(server.codes)} locality pages)")
        single = [burst([server.url(i)], PUBLIC_MAP, 60, server.process.pid) for i in range(runs)]
        one = [r["times"][0] for r in single if r["times"]]
        print(
            f"public, 1 visitor, request to drawn map: {_spread(one)}; {statistics.median(single[0]['bytes']) / 1e3:,.0f} kB per visit"
        )
        http = http_visits([server.visit_files(i) for i in range(visitors)])
        print(f"public, {visitors} visits at once over plain HTTP (page, styles, script, map, Leaflet, figures): {_spread(http)}")
        render = statistics.median(one) if one else float("nan")
        each = [h + render for h in http]  # each visitor's own browser draws once its files have arrived
        print(
            f"public, {visitors} visitors arriving together, first map (their files at once + 1 browser's draw): {_spread(each)}"
        )
        many = burst([server.url(i) for i in range(visitors)], PUBLIC_MAP, 120, server.process.pid)
        print(
            f"public, {visitors} visitors drawn by ONE chromium on this machine (client-bound): {_spread(many['times'])}; "
            f"{statistics.median(many['bytes']) / 1e3:,.0f} kB per visit; server {many['per_session_mb']:,.1f} MB per session "
            f"({many['total_mb']:,.0f} MB in total, {many['kernels']} kernels)"
        )
        return {"one": one, "many": many, "each": each}
    finally:
        server.close()


def live_burst(config: str, visitors: int, timeout_s: float, folder: Path) -> dict:
    """The live route's burst: a preheated server with room for every visitor's kernel, each visit capped."""
    Server.max_kernels = visitors + 4
    server = Server(config, True, folder)
    try:
        many = burst([server.url] * visitors, MAP, timeout_s, server.process.pid)
        print(
            f"live, {visitors} visitors arriving together, request to drawn map: {_spread(many['times'])}; "
            f"{many['capped']} past the {timeout_s:.0f} s cap; {many['per_session_mb']:,.0f} MB per session "
            f"({many['total_mb']:,.0f} MB in total, {many['kernels']} kernels)"
        )
        return many
    finally:
        server.close()


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


def live_route(args, folder: Path) -> dict:
    """The live route's figures for one visitor at a time (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    med, out = statistics.median, {}
    sizes = payload(args.config, 6)
    print(
        f"live, map payload, localities: HTML {med(sizes['locality_html']) / 1e3:,.0f} kB, "
        f"widget message {med(sizes['locality_json']) / 1e3:,.0f} kB (median of {len(sizes['locality_html'])} indicators)"
    )
    print(
        f"live, map payload, small areas: HTML {med(sizes['small_area_html']) / 1e3:,.0f} kB, "
        f"widget message {med(sizes['small_area_json']) / 1e3:,.0f} kB"
    )
    print(f"live, map built in the kernel (localities, uncached): {med(sizes['build_s']) * 1e3:,.0f} ms")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cold = first_render(browser, args.config, False, args.runs, folder)
        print(f"live, request to drawn map, new kernel per page: {med(cold):.2f} s (median of {len(cold)}; max {max(cold):.2f})")
        out["warm"] = first_render(browser, args.config, True, args.runs, folder)
        print(f"live, request to drawn map, preheated kernel: {_spread(out['warm'])}")
        try:
            redraw = redraws(browser, args.config, args.redraws, folder)
            print(f"live, indicator change to redrawn map in the browser: {_spread(redraw)}")
        except Exception as e:  # the figures before and after still print
            print(f"live, redraw: not measured ({type(e).__name__}: {e})")
        for n in [int(x) for x in args.sessions.split(",") if x.strip()]:
            per, total, kernels = memory(browser, args.config, n, folder)
            out.setdefault("per_session_mb", per)
            print(
                f"live, memory with {n:>2} session(s) open: {per:,.0f} MB per session; server and {len(kernels)} kernels "
                f"{total:,.0f} MB in total; a kernel {med(kernels) / 2**20:,.0f} MB (median)"
            )
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="demo")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--redraws", type=int, default=8)
    ap.add_argument("--sessions", default="1,5,20")
    ap.add_argument("--burst", type=int, default=20, help="visitors arriving together (both routes)")
    ap.add_argument("--routes", default="public,live")
    ap.add_argument("--live-audience", default="partners")
    ap.add_argument("--live-timeout", type=float, default=180, help="cap in seconds on each live visitor of the burst")
    args = ap.parse_args()
    routes = {r.strip() for r in args.routes.split(",")}
    Server.audience = args.live_audience
    Server.max_kernels = max([12, *(int(x) + 4 for x in args.sessions.split(",") if x.strip())])
    print(_load())
    public = live = burst_live = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "public" in routes:
            public = public_route(args.config, args.runs, args.burst, folder)
        if "live" in routes:
            live = live_route(args, folder)
            burst_live = live_burst(args.config, args.burst, args.live_timeout, folder)
    if public and live and public["one"] and live["warm"]:
        ratio = statistics.median(live["warm"]) / statistics.median(public["one"])
        print(f"ratio, first map of 1 visitor, live preheated / public pre-rendered: {ratio:,.1f}x")
    if public and burst_live and public["each"] and burst_live["times"]:
        ratio = statistics.median(burst_live["times"]) / statistics.median(public["each"])
        print(f"ratio, median first map of {args.burst} visitors together, live / public: {ratio:,.1f}x (live visits capped)")
    print(_load())


if __name__ == "__main__":
    main()
