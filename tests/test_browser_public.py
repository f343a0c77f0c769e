"""The pre-rendered public localities dashboard in a real browser: ``observatory serve`` for the public audience.

A public visitor lands on the site, searches for a locality, picks an indicator and a view, follows a deep link
and downloads the view's figures, with no kernel started for them and no request leaving the loopback interface;
every page passes axe-core (WCAG 2.2 AA) with no serious or critical violation. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, axe_serious, shot, skip_without_demo_or_chromium

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
MAP = "#obs-map"
AREAS = "path.leaflet-interactive"


def _localities() -> dict[str, str]:
    with open(ROOT / "data" / "demo" / "localities.csv", newline="", encoding="utf-8-sig") as f:
        return {row["locality_code"]: row["locality_name"] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``serve`` on a free loopback port, public audience, pre-rendered site, no preheated kernel."""
    skip_without_demo_or_chromium()
    from observatory.apps.serve import serve, stop
    from observatory.config import load_config
    from observatory.ingest.pipeline import ingest
    from observatory.store import Store

    build = tmp_path_factory.mktemp("build")
    previous = os.environ.get("OBSERVATORY_BUILD_DIR")
    os.environ["OBSERVATORY_BUILD_DIR"] = str(build)  # the site is written under the build folder
    cfg = load_config("demo")
    store = Store(build / "store" / "demo")
    ingest(cfg, store)
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    log = ARTIFACTS / "voila-public-site-test.log"
    process = serve(
        "demo", port=port, audience="public", preheat=False, store=store.path, wait=False, quiet=True, log=log, public_site=True
    )
    try:
        yield f"http://127.0.0.1:{port}/", process
    finally:
        stop(process)
        if previous is None:
            os.environ.pop("OBSERVATORY_BUILD_DIR", None)
        else:
            os.environ["OBSERVATORY_BUILD_DIR"] = previous


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser, requests: list[str] | None = None):
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(TIMEOUT_MS)
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    return page


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_a_visitor_searches_picks_an_indicator_and_a_view_and_downloads_it(browser, server):
    from playwright.sync_api import expect

    url, process = server
    requests: list[str] = []
    page = _page(browser, requests)
    code, name = sorted(_localities().items())[1]
    try:
        page.goto(url)
        assert page.title() == "Localities dashboard — Demo County (synthetic)"
        assert not axe_serious(page), axe_serious(page)
        shot(page, "public-site-landing")
        page.get_by_label("Find a locality").fill(name[: max(4, len(name) - 2)])
        expect(page.locator("#obs-found")).to_contain_text("found")
        page.get_by_label("Find a locality").press("Enter")
        expect(page.locator("h1")).to_have_text(name)
        assert urlparse(page.url).path.endswith(f"/localities/{code}.html")
        page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
        assert page.frame_locator(MAP).locator(AREAS).count() >= len(set(_localities()))

        picker = page.get_by_label("Indicator")
        second = picker.locator("option").nth(1)
        chosen, title = second.get_attribute("value"), second.inner_text()
        picker.select_option(chosen)
        expect(page.locator("#obs-indicator-title")).to_contain_text(title)
        expect(page.locator(MAP)).to_have_attribute("src", f"../maps/{chosen}.html")
        page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
        assert _query(page) == {"indicator": chosen, "view": "map"}
        expect(page.locator("#obs-table table")).to_contain_text(name)

        page.get_by_role("button", name="Compare areas").click()
        expect(page.locator("#obs-compare svg")).to_be_visible()
        assert _query(page) == {"indicator": chosen, "view": "compare"} and "audience" not in page.url
        with page.expect_download() as info:
            page.locator("#obs-downloads").get_by_role("link", name="CSV", exact=False).click()
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and {r["Indicator"] for r in rows if r["Indicator"]} == {title}
        assert "Source and licence" in rows[0] and name in {r["Area name"] for r in rows}
        assert not axe_serious(page), axe_serious(page)
        shot(page, "public-site-locality-compare")
        outside = [u for u in requests if urlparse(u).hostname not in ("127.0.0.1", None) and not u.startswith("data:")]
        assert outside == []
        assert not kernel_pids_of(process.pid), "a public visit starts no kernel"
    finally:
        page.close()


def kernel_pids_of(pid: int) -> set[int]:
    """Kernels running under the server (none: no preheat, and the public site needs none)."""
    import psutil

    return {p.pid for p in psutil.Process(pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())}


def test_a_deep_link_opens_its_locality_indicator_and_view_and_passes_axe(browser, server):
    from playwright.sync_api import expect

    url, _process = server
    code, name = sorted(_localities().items())[0]
    data = sorted(json.loads(p.read_text())["id"] for p in _site_data())
    chosen = data[-1]
    page = _page(browser)
    try:
        page.goto(f"{url}observatory/public/localities/{code}.html?indicator={chosen}&view=inequalities&audience=partners")
        expect(page.locator("h1")).to_have_text(name)
        expect(page.get_by_label("Indicator")).to_have_value(chosen)
        expect(page.get_by_role("button", name="Inequalities")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("[data-panel=inequalities]")).to_be_visible()
        expect(page.locator("[data-panel=map]")).to_be_hidden()
        assert _query(page) == {"indicator": chosen, "view": "inequalities"}, "the address never carries an audience"
        page.get_by_role("button", name="Population pyramid").click()
        expect(page.locator("[data-panel=pyramid] svg")).to_be_visible()
        expect(page.locator("#obs-downloads")).to_contain_text("CSV")
        assert not axe_serious(page), axe_serious(page)
        shot(page, "public-site-deep-link-pyramid")
        page.get_by_role("link", name="Accessibility statement").click()
        expect(page.locator("h1")).to_contain_text("Accessibility statement")
        assert "WCAG" in page.inner_text("main") and not axe_serious(page)
    finally:
        page.close()


def _site_data() -> list[Path]:
    """The indicator payloads the server publishes (read from the built site folder)."""
    from observatory.apps.public_site import site_folder
    from observatory.config import load_config

    return sorted((site_folder(load_config("demo")) / "data").glob("*.json"))


def test_the_root_leads_to_the_site_and_nothing_else_is_published(server):
    import urllib.error
    import urllib.request

    url, _process = server
    with urllib.request.urlopen(url) as r:
        assert r.url.endswith("/observatory/public/") and "Find a locality" in r.read().decode()
    for missing in ("observatory/public/nothing.html", "observatory/public/%2e%2e/%2e%2e/config.yaml"):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + missing)
        assert e.value.code in (403, 404)
