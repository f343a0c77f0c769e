"""Benchmark: the localities dashboard on the loopback interface, driven by chromium, by both routes.

The public route (``serve --audience public``: the dashboard pre-rendered as files, no kernel): the site's
build time at start, time from the request to the drawn map for one visitor and for ``--burst`` visitors arriving
together (median and worst), bytes per visit, plain-HTTP time to fetch a visit's files with that many at once,
and the server's memory per session.

The live route (Voila, ``--live-audience partners``): the payload's build time at start, time from the page request
to the drawn map (new kernel per page, and preheated), time for an indicator change to redraw the map in the browser
(a restyle of the drawn map; and to build a map in the kernel), the bytes of a map (HTML in the widget, its JSON
message, and a restyle's message), the memory (RSS of the Voila server and its kernels, and each kernel's unique
memory) per connected session with ``--sessions`` pages open at once, then after those pages are closed (their
kernels shut down or culled), and the same burst of visitors on a pool of as many preheated kernels (the time to
fill that pool at start too), each capped at ``--live-timeout`` seconds. Then the ratios of the two routes and the
load average. Every request goes to 127.0.0.1. Prints figures only.

    .venv/bin/python bench/dashboard.py [--config demo] [--runs 5] [--redraws 8] [--sessions 1,5,20]
        [--burst 20] [--routes public,live] [--live-timeout 180] [--pool 4]
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

from observatory.apps.payload import payload_folder  # noqa: E402
from observatory.apps.payload_build import write_payload  # noqa: E402
from observatory.apps.public_site import site_folder  # noqa: E402
from observatory.apps.serve import kernel_cap, serve, stop  # noqa: E402
from observatory.apps.voila_server import POOL, PUBLIC_SITE_PATH  # noqa: E402
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
FIRST = ".obs-first-map iframe, .obs-map iframe"
"""The first map a live page draws: the one in the page the server sends (drawn while the widgets load), or the
live dashboard's own, whichever is drawn first."""
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


def kernel_uss(pid: int) -> list[int]:
    """The unique memory (USS: what shutting it down gives back) of each kernel of the server."""
    import psutil

    out = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p.memory_full_info().uss)
        except psutil.NoSuchProcess:
            pass
    return out


def kernel_ids(pid: int) -> set[str]:
    """The ids of the server's running kernels (from their connection files)."""
    import re

    import psutil

    out = set()
    for p in psutil.Process(pid).children(recursive=True):
        try:
            found = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            continue
        if found:
            out.add(found.group(1))
    return out


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
    pool = POOL
    """Preheated kernels of the localities dashboard (``--pool``)."""
    cull_idle_seconds = 60
    """Shorter than the server's default (120 s), so the memory after closed pages is measured sooner."""
    room = 0
    """Kernels allowed beyond the server's default cap: the most sessions opened at once (``--sessions``)."""

    def __init__(self, config: str, preheat: bool, folder: Path, pool: int | None = None):
        self.port = free_port()
        self.log = folder / f"voila-{self.port}.log"
        pool = self.pool if pool is None else pool
        t0 = time.perf_counter()
        self.process = serve(
            config,
            port=self.port,
            audience=self.audience,
            preheat=preheat,
            wait=False,
            quiet=True,
            log=self.log,
            pool=pool,
            max_kernels=kernel_cap(pool) + self.room,
            cull_idle_seconds=self.cull_idle_seconds,
            ready_timeout=300,
        )
        self.url = f"http://127.0.0.1:{self.port}/voila/render/localities.ipynb"
        if preheat:
            wait_for(lambda: filled(self.log) >= 1)
        self.filled_s = time.perf_counter() - t0
        if preheat:
            wait_idle(self.process.pid)

    def close(self) -> None:
        stop(self.process)


def open_map(browser, url: str):
    """Open the dashboard in a fresh context; return (seconds to the first drawn map, to the live dashboard's drawn
    map, context, page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.frame_locator(FIRST).first.locator(AREAS).first.wait_for(state="attached")
    first = time.perf_counter() - t0
    page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
    return first, time.perf_counter() - t0, context, page


def first_render(browser, config: str, preheat: bool, runs: int, folder: Path) -> tuple[list[float], list[float]]:
    server = Server(config, preheat, folder)
    firsts, lives = [], []
    try:
        for i in range(runs):
            if preheat:
                wait_for(lambda: filled(server.log) >= i + 1)  # the pool has a kernel again...
                wait_idle(server.process.pid)  # ...which has run the notebook
            first, live, context, _page = open_map(browser, server.url)
            firsts.append(first)
            lives.append(live)
            context.close()
            time.sleep(0.5)
    finally:
        server.close()
    return firsts, lives


def redraws(browser, config: str, n: int, folder: Path) -> list[float]:
    server = Server(config, True, folder)
    try:
        _f, _s, context, page = open_map(browser, server.url)

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


def memory(browser, config: str, sessions: int, folder: Path) -> dict:
    """Memory with ``sessions`` pages open at once (per session: server and kernels' RSS after minus before, over
    the sessions; each kernel's RSS and unique memory), one kernel's after Compare areas and a download, then the
    server's once the pages are closed (their goodbye shuts their kernels down; culling catches the rest)."""
    server = Server(config, True, folder)
    try:
        time.sleep(1)
        baseline, pooled = tree_rss(server.process.pid)
        pages = []
        for _ in range(sessions):
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.url, wait_until="commit")
            pages.append((context, page))
        for _context, page in pages:
            page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
        wait_for(lambda: len(tree_rss(server.process.pid)[1]) >= len(pooled) + sessions, timeout=120, step=1)  # refilled
        wait_idle(server.process.pid)
        total, kernels = tree_rss(server.process.pid)
        uss = kernel_uss(server.process.pid)
        ours = {
            page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId") for _c, page in pages
        }
        page = pages[0][1]
        page.locator(".widget-toggle-button", has_text="Compare areas").click()
        page.locator(".obs-view-panel g.obs-bar").first.wait_for(state="attached")
        page.get_by_role("button", name="Download the figures of this view").click()
        page.locator(".obs-downloads a").first.wait_for(state="attached")
        wait_idle(server.process.pid)
        after_views, _k = tree_rss(server.process.pid)
        closed_at = time.perf_counter()
        for context, page in pages:
            page.close(run_before_unload=True)
            context.close()
        try:
            wait_for(lambda: not ours & kernel_ids(server.process.pid), timeout=server.cull_idle_seconds + 90, step=1)
            gone = time.perf_counter() - closed_at
        except TimeoutError:
            gone = None
        wait_idle(server.process.pid)
        closed, left = tree_rss(server.process.pid)
        return {
            "per_session_mb": (total - baseline) / sessions / 2**20,
            "total_mb": total / 2**20,
            "kernels": kernels,
            "uss": uss,
            "compare_growth_mb": (after_views - total) / 2**20,
            "baseline_mb": baseline / 2**20,
            "closed_mb": closed / 2**20,
            "closed_kernels": len(left),
            "gone_s": gone,
        }
    finally:
        server.close()


def payload(config: str, audience: str, indicators: int) -> dict[str, list[int]]:
    """The payload's build at start (and its reuse), then, in-process from it as a kernel reads it: bytes of the map
    HTML and of its JSON widget message, for localities and small areas, a restyle's message, and the time to draw a
    map from the payload (uncached) and to restyle it."""
    from observatory.apps.dashboard import LocalitiesDashboard

    t0 = time.perf_counter()
    built = write_payload(config, audience, reuse=False)
    out = {"build_s": time.perf_counter() - t0, "payload_mb": built["bytes"] / 1e6}
    t0 = time.perf_counter()
    write_payload(config, audience, reuse=True)
    out["reuse_s"] = time.perf_counter() - t0
    d = LocalitiesDashboard(config, audience, payload=payload_folder(load_config(config).name, audience), restyle=True)
    out |= {
        "locality_html": [],
        "locality_json": [],
        "small_area_html": [],
        "small_area_json": [],
        "style_json": [],
        "draw_s": [],
    }
    for indicator in list(d.indicators)[:indicators]:
        period = d.periods(indicator)[0]
        for level in ("locality", "small_area"):
            t0 = time.perf_counter()
            doc = d.map_html(indicator, period, level)
            if level == "locality":
                out["draw_s"].append(time.perf_counter() - t0)
            out[f"{level}_html"].append(len(doc.encode()))
            out[f"{level}_json"].append(len(json.dumps({"method": "update", "state": {"value": doc}}).encode()))
        d.theme.value, d.indicator.value = d.indicators[indicator].theme, indicator
        out["style_json"].append(len(json.dumps({"method": "update", "state": {"value": d.map_style.value}}).encode()))
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


async def _visit(browser, url: str, frame: str, timeout_s: float, live: str | None = None):
    """Open ``url`` in a fresh context (empty cache); (seconds to the first drawn map in ``frame`` or None past the
    cap, bytes, context, seconds to the drawn map in ``live`` or None)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    finished = []
    page.on("requestfinished", lambda r: finished.append(r))
    t0 = time.perf_counter()
    seconds = live_s = None
    try:
        await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        left = max(1.0, timeout_s - (time.perf_counter() - t0))
        await page.frame_locator(frame).first.locator(AREAS).first.wait_for(state="attached", timeout=left * 1000)
        seconds = time.perf_counter() - t0
        if live:
            left = max(1.0, timeout_s - (time.perf_counter() - t0))
            await page.frame_locator(live).locator(AREAS).first.wait_for(state="attached", timeout=left * 1000)
            live_s = time.perf_counter() - t0
    except PlaywrightTimeout:
        pass
    sizes = [await r.sizes() for r in finished]
    return seconds, sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes), context, live_s


async def _burst(urls: list[str], frame: str, timeout_s: float, pid: int, live: str | None = None) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        before, _k = tree_rss(pid)
        results = await asyncio.gather(*[_visit(browser, u, frame, timeout_s, live) for u in urls])
        wait_idle(pid, timeout=60)
        after, kernels = tree_rss(pid)
        for _s, _b, context, _l in results:
            await context.close()
        await browser.close()
    return {
        "times": [r[0] for r in results if r[0] is not None],
        "capped": sum(r[0] is None for r in results),
        "live_times": [r[3] for r in results if r[3] is not None],
        "bytes": [r[1] for r in results],
        "per_session_mb": (after - before) / len(urls) / 2**20,
        "total_mb": after / 2**20,
        "kernels": len(kernels),
    }


def burst(urls: list[str], frame: str, timeout_s: float, pid: int, live: str | None = None) -> dict:
    """``len(urls)`` visitors arriving together, each in its own browser context: times to the first drawn map (and
    to the ``live`` one), bytes, server memory per session (RSS after minus before, over the visitors), kernels."""
    return asyncio.run(_burst(urls, frame, timeout_s, pid, live))


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


def live_assets(url: str) -> list[str]:
    """The files one chromium visit of a live page fetches from the server after the page (Voila's scripts, styles)."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.on("requestfinished", lambda r: found.append(r.url))
        page.goto(url, wait_until="commit")
        page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
        browser.close()
    host = url.split("/voila/")[0]
    return [u for u in found if u.startswith(host) and "/api/" not in u and "/voila/render/" not in u]


async def _widget_states(ws_url: str, timeout_s: float) -> int:
    """Open a page's kernel channels as Voila's page does and ask for every widget's state (the map among them);
    the bytes of the reply."""
    import uuid

    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex

    def message(msg_type: str, content: dict) -> str:
        header = {"msg_id": uuid.uuid4().hex, "username": "bench", "session": session, "msg_type": msg_type, "version": "5.3"}
        metadata = {"version": "1.0.0"}  # ipywidgets' control protocol
        return json.dumps({"header": header, "parent_header": {}, "metadata": metadata, "content": content, "channel": "shell"})

    ws = await websocket_connect(f"{ws_url}?session_id={session}")
    comm = uuid.uuid4().hex
    await ws.write_message(message("kernel_info_request", {}))
    await ws.write_message(message("comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}}))
    await ws.write_message(message("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}))
    deadline = time.perf_counter() + timeout_s
    try:
        while time.perf_counter() < deadline:
            text = await asyncio.wait_for(ws.read_message(), deadline - time.perf_counter())
            if text is None:
                break
            msg = json.loads(text)
            if msg.get("msg_type") == "comm_msg" and (msg["content"].get("data") or {}).get("method") == "update_states":
                return len(text)
    finally:
        ws.close()
    raise TimeoutError("no widget states")


def live_http_visits(url: str, assets: list[str], visitors: int, timeout_s: float) -> list[tuple[float, float]]:
    """``visitors`` arriving together without a browser, each as its browser would: the page (its first map in it),
    then Voila's files (six at a time) and the kernel's widget states. Seconds to each, per visitor."""
    import concurrent.futures
    import re
    import urllib.request

    def get(u: str) -> bytes:
        with urllib.request.urlopen(u, timeout=timeout_s) as r:
            return r.read()

    def visit(_i: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        page = get(url).decode("utf-8", "replace")
        page_s = time.perf_counter() - t0
        kernel = json.loads(re.search(r'id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)[1])[
            "kernelId"
        ]
        with concurrent.futures.ThreadPoolExecutor(6) as six:
            list(six.map(get, assets))
        ws = url.split("/voila/")[0].replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
        asyncio.run(_widget_states(ws, timeout_s))
        return page_s, time.perf_counter() - t0

    with concurrent.futures.ThreadPoolExecutor(visitors) as pool:
        return list(pool.map(visit, range(visitors)))


def live_burst(config: str, visitors: int, timeout_s: float, folder: Path, draw: tuple[float, float] | None = None) -> dict:
    """The live route's burst, on a server with a pool of as many preheated kernels as visitors: each visitor with
    their own browser (the server's part measured without one, plus ``draw``: one browser's time to the first map
    and to the live map), then all of them drawn by one chromium on this machine (client-bound), each visit capped."""
    each = []
    server = Server(config, True, folder, pool=visitors)
    print(f"live, a pool of {visitors} preheated kernels filled {server.filled_s:.1f} s after the server was asked to start")
    try:
        assets = live_assets(server.url)
        wait_for(lambda: filled(server.log) >= 2)  # the pool full again after that visit
        wait_idle(server.process.pid)
        http = live_http_visits(server.url, assets, visitors, timeout_s)
        pages, ready = [h[0] for h in http], [h[1] for h in http]
        print(
            f"live, {visitors} visitors together, server's part (no browser): their pages, each with its first map, "
            f"{_spread(pages)}; then Voila's {len(assets)} files and the widget states {_spread(ready)}"
        )
        if draw:
            each = [p + draw[0] for p in pages]
            print(
                f"live, {visitors} visitors arriving together, first map (their pages at once + 1 browser's draw): "
                f"{_spread(each)}"
            )
            print(
                f"live, {visitors} visitors arriving together, live dashboard drawn (their pages, files and states at once "
                f"+ 1 browser's draw): {_spread([r + draw[1] for r in ready])}"
            )
    finally:
        server.close()
    server = Server(config, True, folder, pool=visitors)
    try:
        many = burst([server.url] * visitors, FIRST, timeout_s, server.process.pid, live=MAP)
        print(
            f"live, {visitors} visitors drawn by ONE chromium on this machine (client-bound), request to first drawn map: "
            f"{_spread(many['times'])}; {many['capped']} past the {timeout_s:.0f} s cap; {many['per_session_mb']:,.0f} MB "
            f"per session ({many['total_mb']:,.0f} MB in total, {many['kernels']} kernels)"
        )
        print(f"live, the same, request to the live dashboard's drawn map: {_spread(many['live_times'])}")
        return {**many, "each": each}
    finally:
        server.close()


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


def live_route(args, folder: Path) -> dict:
    """The live route's figures for one visitor at a time (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    med, out = statistics.median, {}
    sizes = payload(args.config, Server.audience, 6)
    print(
        f"live, payload for {Server.audience}: built in {sizes['build_s']:.1f} s ({sizes['payload_mb']:.1f} MB), "
        f"reused at the next start in {sizes['reuse_s']:.2f} s"
    )
    print(
        f"live, map payload, localities: HTML {med(sizes['locality_html']) / 1e3:,.0f} kB, "
        f"widget message {med(sizes['locality_json']) / 1e3:,.0f} kB (median of {len(sizes['locality_html'])} indicators)"
    )
    print(
        f"live, map payload, small areas: HTML {med(sizes['small_area_html']) / 1e3:,.0f} kB, "
        f"widget message {med(sizes['small_area_json']) / 1e3:,.0f} kB; a restyle's message "
        f"{med(sizes['style_json']) / 1e3:,.1f} kB"
    )
    print(f"live, map drawn in the kernel from the payload (localities, uncached): {med(sizes['draw_s']) * 1e3:,.1f} ms")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cold, cold_live = first_render(browser, args.config, False, args.runs, folder)
        print(
            f"live, request to first drawn map, new kernel per page: {med(cold):.2f} s (median of {len(cold)}; max {max(cold):.2f})"
        )
        out["warm"], out["warm_live"] = first_render(browser, args.config, True, args.runs, folder)
        warm_live = out["warm_live"]
        print(f"live, request to first drawn map, preheated kernel: {_spread(out['warm'])}")
        print(f"live, request to the live dashboard's drawn map (controls ready), preheated kernel: {_spread(warm_live)}")
        print(f"live, the same with a new kernel per page: {_spread(cold_live)}")
        try:
            redraw = redraws(browser, args.config, args.redraws, folder)
            print(f"live, indicator change to redrawn map in the browser: {_spread(redraw)}")
        except Exception as e:  # the figures before and after still print
            print(f"live, redraw: not measured ({type(e).__name__}: {e})")
        for n in [int(x) for x in args.sessions.split(",") if x.strip()]:
            m = memory(browser, args.config, n, folder)
            out.setdefault("per_session_mb", m["per_session_mb"])
            print(
                f"live, memory with {n:>2} session(s) open: {m['per_session_mb']:,.0f} MB per session; server and "
                f"{len(m['kernels'])} kernels {m['total_mb']:,.0f} MB in total; a kernel {med(m['kernels']) / 2**20:,.0f} MB "
                f"RSS, {med(m['uss']) / 2**20:,.0f} MB unique (medians); Compare areas and a download add "
                f"{m['compare_growth_mb']:,.0f} MB to a session"
            )
            gone = "not within the cap" if m["gone_s"] is None else f"{m['gone_s']:.0f} s after closing"
            print(
                f"live, after those {n} page(s) closed: their kernels gone {gone}; server and {m['closed_kernels']} "
                f"kernels (the pools) {m['closed_mb']:,.0f} MB, at start {m['baseline_mb']:,.0f} MB"
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
    ap.add_argument("--pool", type=int, default=POOL, help="preheated kernels of the live route (the burst: as many as visitors)")
    args = ap.parse_args()
    routes = {r.strip() for r in args.routes.split(",")}
    Server.audience = args.live_audience
    Server.pool = args.pool
    Server.room = max([0, *(int(x) for x in args.sessions.split(",") if x.strip())])
    print(_load())
    public = live = burst_live = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "public" in routes:
            public = public_route(args.config, args.runs, args.burst, folder)
        if "live" in routes:
            live = live_route(args, folder)
            draw = (statistics.median(live["warm"]), statistics.median(live["warm_live"])) if live["warm"] else None
            burst_live = live_burst(args.config, args.burst, args.live_timeout, folder, draw)
    if public and live and public["one"] and live["warm"]:
        ratio = statistics.median(live["warm"]) / statistics.median(public["one"])
        print(f"ratio, first map of 1 visitor, live preheated / public pre-rendered: {ratio:,.1f}x")
    if public and burst_live and public["each"] and burst_live["each"]:
        ratio = statistics.median(burst_live["each"]) / statistics.median(public["each"])
        print(f"ratio, median first map of {args.burst} visitors together (each their own browser), live / public: {ratio:,.1f}x")
    print(_load())


if __name__ == "__main__":
    main()
