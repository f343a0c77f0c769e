"""The localities dashboard in a real browser: Voila serving the demo county, driven by Playwright and Debian's chromium.

One server and one page for the module; the later tests open their own pages on the same server:
the landing page, deep links, search, download, axe-core (WCAG 2.2 AA), the keyboard, and kernels
released on close or refused beyond the cap (the burst runs last: its kernels wait for culling). The map must draw with no request leaving the loopback
interface; a screenshot of the final state is kept in test-artifacts/.
"""

from __future__ import annotations

import concurrent.futures
import csv
import json
import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 90_000
# Harmless noise of Voila's page itself (see FIELD-NOTES): never from the map.
KNOWN_EXTERNAL = re.compile(r"^https://cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@[^/]+/css/[\w.-]+\.css$")
FAILED_RESOURCE = re.compile(r"^Failed to load resource: net::ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED|CONNECTION_\w+)$")
MAP = ".obs-map iframe"
MAX_KERNELS = 12  # the preheated pools (four localities, one catalogue) and room for the pages these tests open at once
CULL_IDLE_SECONDS = 30  # the stated, short timeout after which a closed page's kernel is shut down
SERVER: dict[str, int] = {}
AREAS = "path.leaflet-interactive"


def _demo_counts() -> tuple[int, int]:
    """Localities and small areas of the demo county, counted from its configuration files."""
    demo = ROOT / "data" / "demo"
    with open(demo / "localities.csv", newline="", encoding="utf-8-sig") as f:
        localities = {row["locality_code"] for row in csv.DictReader(f)}
    small_areas = json.loads((demo / "boundaries" / "small_areas.geojson").read_text())["features"]
    return len(localities), len(small_areas)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skip_without_demo_or_chromium() -> None:
    """Skip a browser test's server where the demo county or Debian's chromium is missing."""
    if not (ROOT / "data" / "demo" / "config.yaml").exists():
        pytest.skip("the demo county is not generated (data/demo)")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Voila on a free loopback port for the demo county (public audience), its store built in a temporary folder."""
    skip_without_demo_or_chromium()
    from observatory.apps.serve import serve, stop
    from observatory.config import load_config
    from observatory.ingest.pipeline import ingest
    from observatory.store import Store

    cfg = load_config("demo")
    store = Store(tmp_path_factory.mktemp("store") / "demo")
    ingest(cfg, store)
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    process = serve(
        "demo",
        port=port,
        audience="public",
        preheat=True,
        store=store.path,
        wait=False,
        quiet=True,
        log=ARTIFACTS / "voila-browser-test.log",
        max_kernels=MAX_KERNELS,
        cull_idle_seconds=CULL_IDLE_SECONDS,
    )
    SERVER["pid"] = process.pid
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def session(server):
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default: a page given a fresh kernel (not the preheated one) takes longer to draw its view
    expect.set_options(timeout=TIMEOUT_MS)
    events = {"console": [], "requests": [], "page_errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda m: events["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: events["page_errors"].append(str(e)))
        page.on("request", lambda r: events["requests"].append((r.url, r.frame.url if r.frame else "")))
        page.goto(server + "voila/render/localities.ipynb", wait_until="domcontentloaded")
        page.frame_locator(MAP).locator(AREAS).first.wait_for(state="attached")
        yield page, events
        browser.close()


def _map(page):
    return page.frame_locator(MAP)


def _fills(page) -> list[str]:
    return _map(page).locator(AREAS).evaluate_all("els => els.map(e => e.getAttribute('fill'))")


def _legend(page) -> str:
    return _map(page).locator(".obs-legend").text_content()


def _dropdown(page, label: str):
    return page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select")


def _options(page, label: str) -> list[str]:
    """Option labels of a dropdown (ipywidgets shows spaces as no-break spaces)."""
    return [t.replace("\xa0", " ") for t in _dropdown(page, label).locator("option").all_inner_texts()]


def _select(page, label: str, option: str) -> None:
    _dropdown(page, label).select_option(index=_options(page, label).index(option))


def _wait_legend_change(page, old: str) -> str:
    from playwright.sync_api import expect

    expect(_map(page).locator(".obs-legend")).not_to_have_text(old, timeout=TIMEOUT_MS)
    return _legend(page)


def test_page_loads_and_the_map_draws_every_locality(session):
    page, _ = session
    localities, _small = _demo_counts()
    assert _map(page).locator(AREAS).count() == localities == 23
    assert "Demo County" in page.locator(".obs-localities-dashboard h1").inner_text()
    assert _map(page).locator(".obs-legend .obs-legend-row").count() >= 2


def test_changing_the_indicator_redraws_the_map_and_its_legend(session):
    page, _ = session
    before_legend, before_fills = _legend(page), _fills(page)
    current = _dropdown(page, "Indicator").evaluate("s => s.selectedIndex")
    other = next(t for i, t in enumerate(_options(page, "Indicator")) if i != current)
    _select(page, "Indicator", other)
    after_legend = _wait_legend_change(page, before_legend)
    assert other in after_legend
    assert _map(page).locator(AREAS).count() == 23
    assert _fills(page) != before_fills
    assert other in page.locator(MAP).get_attribute("title")  # restyled in place, the frame retitled for a screen reader


def test_small_areas_toggle_draws_every_small_area(session):
    page, _ = session
    _localities, small = _demo_counts()
    before = _legend(page)
    page.locator(".widget-toggle-button", has_text="Small areas").click()
    from playwright.sync_api import expect

    expect(_map(page).locator(AREAS)).to_have_count(small, timeout=TIMEOUT_MS)
    page.locator(".widget-toggle-button", has_text="Localities").click()
    expect(_map(page).locator(AREAS)).to_have_count(23, timeout=TIMEOUT_MS)
    assert _legend(page) == before


def test_shading_by_comparison_uses_the_benchmark_colours(session):
    page, _ = session
    from observatory.present.palette import COMPARISON_COLOURS

    before = _legend(page)
    page.locator(".widget-toggle-button", has_text="Compared with county").click()
    after = _wait_legend_change(page, before)
    assert "compared with county" in after
    assert {f.upper() for f in _fills(page)} <= {c.upper() for c in COMPARISON_COLOURS.values()} | {"#C8C8C8"}
    page.locator(".widget-toggle-button", has_text="Value").first.click()
    from playwright.sync_api import expect

    expect(_map(page).locator(".obs-legend")).to_have_text(before, timeout=TIMEOUT_MS)


def test_choosing_a_locality_shows_its_spine_and_trend_charts(session):
    page, _ = session
    from playwright.sync_api import expect

    name = _options(page, "Locality")[3]
    _select(page, "Locality", name)
    details = page.locator(".obs-details")
    expect(details.locator("table.obs-spine").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(details.locator("svg.obs-trend")).to_be_visible()
    assert name in details.locator("h2").first.inner_text()
    assert details.locator("table.obs-spine tr[data-indicator]").count() >= 10
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "localities-dashboard.png"
    height = page.locator(".obs-localities-dashboard").evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 150, 6000)})  # Voila scrolls inside the page
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("width", [1280, 390])
def test_a_fresh_load_fits_the_map_to_the_county_and_the_controls_fit_the_screen(session, server, width):
    """The map's iframe measures 0x0 when its script first runs: it must still open on the county, not the world."""
    from playwright.sync_api import expect

    page = session[0].context.browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "voila/render/localities.ipynb", wait_until="domcontentloaded")
        fitted = _map(page).locator(".folium-map[data-obs-fitted]")
        expect(fitted).to_have_count(1, timeout=TIMEOUT_MS)
        assert int(fitted.get_attribute("data-obs-fitted")) >= 8  # a county, not the world (zoom 1-3)
        frame = page.locator(MAP).bounding_box()
        area = _map(page).locator(AREAS).first.bounding_box()  # page coordinates, like the frame's
        assert frame["width"] > 0 and frame["height"] > 0 and area
        assert frame["x"] <= area["x"] < frame["x"] + frame["width"] and frame["y"] <= area["y"] < frame["y"] + frame["height"]
        select = _dropdown(page, "Indicator").bounding_box()
        assert select["x"] >= 0 and select["x"] + select["width"] <= width + 0.5  # never past the screen edge
    finally:
        page.close(run_before_unload=True)  # the page's own goodbye shuts its kernel down


def test_a_page_opens_on_its_first_map_which_the_live_dashboard_then_replaces(session, server):
    """The map is drawn from the page the server sends, before the widgets load; the live dashboard takes its place."""
    from playwright.sync_api import expect

    page = session[0].context.browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "voila/render/localities.ipynb?areas=small_area", wait_until="commit")
        first = page.frame_locator(".obs-first-map iframe")
        first.locator(AREAS).first.wait_for(state="attached")
        assert first.locator(AREAS).count() == _demo_counts()[1]  # the view the address asks for
        _map(page).locator(AREAS).first.wait_for(state="attached")
        expect(page.locator(".obs-first-paint")).to_have_count(0)
        assert _map(page).locator(AREAS).count() == _demo_counts()[1]
    finally:
        page.close(run_before_unload=True)


def test_the_packs_folder_publishes_nothing_unlisted(server):
    import urllib.error
    import urllib.request

    for path in (
        "observatory/packs/manifest.json",
        "observatory/packs/..%2F..%2Fdata%2Fdemo%2Fconfig.yaml",
        "observatory/packs/2000Q1/html/profile-ZL01.html",
    ):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(server + path, timeout=10)
        assert e.value.code in (403, 404)


def test_no_error_in_the_page_or_console_and_no_request_leaves_loopback(session):
    page, events = session
    (ARTIFACTS / "browser-events.json").write_text(json.dumps(events, indent=1))
    assert page.locator(".jp-OutputArea-output[data-mime-type*=error]").count() == 0
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and not re.search(r"\b[A-Z]\w*(Error|Exception)\b", body)
    assert not events["page_errors"], events["page_errors"]
    external = [
        (url, frame)
        for url, frame in events["requests"]
        if urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).hostname not in ("127.0.0.1", "localhost")
    ]
    from_map = [(url, frame) for url, frame in external if not frame.startswith("http://127.0.0.1")]
    assert not from_map, from_map
    unexpected = [url for url, _frame in external if not KNOWN_EXTERNAL.match(url)]
    assert not unexpected, unexpected  # only Voila's own FontAwesome stylesheet, which fails offline
    errors = [text for kind, text in events["console"] if kind == "error"]
    failed_fonts = [text for text in errors if FAILED_RESOURCE.match(text)]
    assert len(failed_fonts) <= len(external)
    assert not [text for text in errors if text not in failed_fonts], errors


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def kernel_pids() -> set[int]:
    """The test server's kernels now (its ipykernel children)."""
    import psutil

    out = set()
    for p in psutil.Process(SERVER["pid"]).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.add(p.pid)
        except psutil.NoSuchProcess:
            pass
    return out


def kernels() -> int:
    return len(kernel_pids())


def kernel_ids() -> set[str]:
    """The ids of the test server's running kernels (from each kernel's connection file name)."""
    import psutil

    out = set()
    for p in psutil.Process(SERVER["pid"]).children(recursive=True):
        try:
            found = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            continue
        if found:
            out.add(found.group(1))
    return out


def page_kernel(page) -> str:
    """The id of the kernel a dashboard page runs on (Voila writes it into the page's configuration)."""
    return page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")


def address(page) -> str:
    """The page's address as the browser shows it. Not ``page.url``: the sync API updates that only while a call
    into Playwright runs, so a loop of ``page.url`` and ``time.sleep`` never sees a ``history.replaceState``."""
    return page.evaluate("location.href")


def settle(condition, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


@pytest.fixture(scope="module")
def browser(session):
    return session[0].context.browser


def axe_serious(page) -> list[tuple[str, str, str]]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        (v["id"], v["impact"], v["nodes"][0]["html"][:200])
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_dashboard_from_landing(browser, server, name: str):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("link", name=name, exact=True).click()
    return page


def test_the_landing_page_names_the_dashboards_and_leads_to_them(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(server)
        assert page.title() == "Dashboards — Demo County (synthetic)"
        assert "Newest data" in page.inner_text("main") and ".ipynb" not in page.inner_text("main")
        assert not axe_serious(page), axe_serious(page)
        shot(page, "landing-page")
        page.get_by_role("link", name="Accessibility statement").click()
        expect(page.locator("h1")).to_contain_text("Accessibility statement")
        assert "WCAG" in page.inner_text("main") and not axe_serious(page)
        shot(page, "accessibility-statement")
        page.go_back()
        page.get_by_role("link", name="Localities", exact=True).click()
        page.frame_locator(MAP).locator("path.leaflet-interactive").first.wait_for(state="attached")
        assert page.title() == "Localities — Demo County (synthetic)"
        expect(page.get_by_role("link", name="Accessibility statement")).to_be_visible()
    finally:
        page.close(run_before_unload=True)  # the page's own goodbye shuts its kernel down


def _open_deep_link(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server + "voila/render/localities.ipynb?locality=ZL03&areas=small_area&audience=partners")
    expect(page.locator(".obs-view-link[data-obs-view*='locality=ZL03']")).to_have_count(1)
    expect(page.locator(".obs-details h2").first).to_be_visible()
    expect(page.frame_locator(MAP).locator("path.leaflet-interactive")).to_have_count(_demo_counts()[1])
    return page


def test_a_deep_link_opens_its_view_and_its_link_opens_the_same_view_for_a_colleague(browser, server):
    from playwright.sync_api import expect

    page = _open_deep_link(browser, server)
    try:
        assert (
            "locality=ZL03" in address(page) and "areas=small_area" in address(page) and "audience" not in address(page)
        )  # never the audience
        chosen = page.locator(".widget-dropdown", has=page.locator("label:text-is('Locality')")).locator("select")
        assert chosen.evaluate("s => s.value") == "ZL03" or chosen.evaluate("s => s.selectedIndex") > 0
        link = page.locator(".obs-view-link a").get_attribute("href")
        shot(page, "localities-deep-link")
    finally:
        page.close(run_before_unload=True)  # the page's own goodbye shuts its kernel down
    other = browser.new_page(viewport={"width": 1280, "height": 1000})  # the link sent to a colleague
    try:
        other.set_default_timeout(TIMEOUT_MS)
        other.goto(server + "voila/render/localities.ipynb" + link)
        expect(other.locator(".obs-view-link[data-obs-view*='locality=ZL03']")).to_have_count(1)
        assert "areas=small_area" in other.locator(".obs-view-link").get_attribute("data-obs-view")
        expect(other.frame_locator(MAP).locator("path.leaflet-interactive")).to_have_count(_demo_counts()[1])
    finally:
        other.close(run_before_unload=True)


def test_the_address_follows_a_change_of_view(browser, server):
    page = _open_deep_link(browser, server)
    try:
        page.locator(".widget-toggle-button", has_text="Localities").click()
        shown = "() => [document.querySelector('[data-obs-view]').getAttribute('data-obs-view'), Array.from(document.querySelectorAll('.widget-toggle-button.mod-active')).map(e => e.textContent)]"
        assert settle(lambda: "areas=locality" in address(page), 30), (address(page), page.evaluate(shown))
    finally:
        page.close(run_before_unload=True)


def test_search_by_keyboard_finds_a_small_area_and_the_download_carries_its_view(browser, server):
    from playwright.sync_api import expect

    page = open_dashboard_from_landing(browser, server, "Localities")
    try:
        page.frame_locator(MAP).locator("path.leaflet-interactive").first.wait_for(state="attached")
        search = page.get_by_role("combobox", name="Find a place")
        for _ in range(40):  # the search is reachable by the keyboard alone
            page.keyboard.press("Tab")
            if search.evaluate("e => e === document.activeElement"):
                break
        assert search.evaluate("e => e === document.activeElement")
        options = search.evaluate("e => Array.from(e.list.options).map(o => o.value)")
        target = next(o for o in options if ", in " in o)
        page.keyboard.type(target)
        page.keyboard.press("Enter")
        code = target.split("(")[1].split(")")[0]
        expect(page.locator(f".obs-view-link[data-obs-view*='area={code}']")).to_have_count(1)
        assert settle(lambda: f"area={code}" in address(page), 30)
        text = _download_csv(page)
        assert text.startswith("Area code,Area name,Locality,Indicator") and "Source and licence" in text
        assert text.count("\n") > 20  # every small area of the view
        assert not axe_serious(page), axe_serious(page)
        shot(page, "localities-search-download")
    finally:
        page.close(run_before_unload=True)  # the page's own goodbye shuts its kernel down


PANEL = ".obs-view-panel"


def _press(page, label: str) -> None:
    """Press a toggle button by the keyboard alone (focus, then Enter)."""
    page.locator(".widget-toggle-button", has_text=label).focus()
    page.keyboard.press("Enter")


def _download_csv(page) -> str:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Download the figures of this view").focus()
    page.keyboard.press("Enter")
    link = page.locator(".obs-downloads a", has_text="CSV")
    expect(link).to_have_count(1)
    with page.expect_download() as info:
        link.click()
    return open(info.value.path(), encoding="utf-8-sig").read()


def test_a_partner_compares_localities_sees_inequalities_and_a_pyramid_and_downloads_each(browser, server):
    from playwright.sync_api import expect

    localities, _small = _demo_counts()
    page = open_dashboard_from_landing(browser, server, "Localities")
    try:
        _map(page).locator(AREAS).first.wait_for(state="attached")
        name = _options(page, "Locality")[3]
        _select(page, "Locality", name)
        indicator = _options(page, "Indicator")[1]
        _select(page, "Indicator", indicator)
        expect(page.locator(".obs-details h2").first).to_contain_text(name)
        _press(page, "Compare areas")
        panel = page.locator(PANEL)
        expect(panel.locator("g.obs-bar")).to_have_count(localities)
        expect(panel.locator("g.obs-bar.obs-mine")).to_have_count(1)
        assert name in panel.locator("g.obs-bar.obs-mine").text_content()
        assert indicator.split(" ")[0] in panel.locator("figcaption").inner_text()
        words = panel.locator("svg").text_content()
        assert re.search(r"Better|Worse|Similar|Higher|Lower|Not compared", words) and "England" in words
        expect(page.locator(MAP)).to_have_count(0)  # the map gives way to the view
        assert settle(lambda: "view=compare" in address(page), 30), address(page)
        text = _download_csv(page)
        assert text.startswith("Area code,Area name,Locality,Indicator") and "Source and licence" in text
        assert text.count("\n") == localities + 2 + 1 and "England" in text  # every locality and both lines
        assert not axe_serious(page), axe_serious(page)
        shot(page, "localities-compare")
        _press(page, "Inequalities")
        # county deciles, then the IoD's national deciles (the demo's differ from the county's), each with its SII
        expect(panel.locator("line.obs-sii")).to_have_count(2)
        assert "Slope index of inequality" in panel.inner_text() and "national deciles" in panel.inner_text()
        assert settle(lambda: "view=inequalities" in address(page), 30), address(page)
        text = _download_csv(page)
        assert text.startswith("Deprivation decile (1 = most deprived)") and "Slope index of inequality" in text
        assert not axe_serious(page), axe_serious(page)
        shot(page, "localities-inequalities")
        _press(page, "Population pyramid")
        expect(panel.locator("h2")).to_have_text(f"Population of {name} by age and sex")
        assert panel.locator("svg[role=img]").count() == 1
        text = _download_csv(page)
        assert text.startswith(f"Sex,Age,{name}: % of all people") and "Source and licence" in text
        assert not axe_serious(page), axe_serious(page)
        shot(page, "localities-pyramid")
        _press(page, "Map")
        _map(page).locator(AREAS).first.wait_for(state="attached")
        assert settle(lambda: "view=" not in address(page).split("?", 1)[-1], 30), address(page)
    finally:
        page.close(run_before_unload=True)  # the page's own goodbye shuts its kernel down


def test_a_deep_link_opens_a_view_with_its_locality_picked_out(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "voila/render/localities.ipynb?locality=ZL03&indicator=children_low_income&view=compare")
        panel = page.locator(PANEL)
        expect(panel.locator("g.obs-bar.obs-mine[data-area='ZL03']")).to_have_count(1)
        expect(panel.locator("g.obs-bar")).to_have_count(_demo_counts()[0])
        assert "low-income" in panel.locator("figcaption").inner_text()
        assert "view=compare" in address(page) and "locality=ZL03" in address(page)
        shot(page, "localities-compare-deep-link")
    finally:
        page.close(run_before_unload=True)


def test_the_catalogue_dashboard_passes_axe_and_its_frames_are_titled(browser, server):
    page = open_dashboard_from_landing(browser, server, "Data catalogue")
    try:
        page.wait_for_selector(".widget-html, .jp-OutputArea-output", state="attached")
        time.sleep(2)
        assert page.title() == "Data catalogue — Demo County (synthetic)"
        assert not axe_serious(page), axe_serious(page)
        assert page.locator("iframe:not([title])").count() == 0
        shot(page, "catalogue-dashboard")
    finally:
        page.close(run_before_unload=True)  # the page's own goodbye shuts its kernel down


def test_the_localities_dashboard_passes_axe(session):
    page, _ = session
    assert not axe_serious(page), axe_serious(page)
    assert page.locator("iframe:not([title])").count() == 0


def test_closed_pages_release_their_kernels(browser, server):
    pages = []
    for _ in range(3):
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "voila/render/localities.ipynb")  # the address serve prints, not only the landing page
        page.frame_locator(MAP).locator("path.leaflet-interactive").first.wait_for(state="attached")
        pages.append(page)
    ours = {page_kernel(page) for page in pages}  # preheated kernels handed out, or fresh ones
    assert len(ours) == 3 and ours <= kernel_ids(), (ours, kernel_ids())
    for page in pages:
        page.close(run_before_unload=True)
    # shut down by the page's goodbye, or at the latest culled once idle for the stated timeout (checked every 15 s);
    # the pool's refills wait for the next visitors and are not the pages' kernels
    assert settle(lambda: not ours & kernel_ids(), CULL_IDLE_SECONDS + 15 + 30), (ours, kernel_ids())


def test_a_burst_of_plain_gets_gets_a_busy_page_beyond_the_cap(server):
    def get(_):
        try:
            with urllib.request.urlopen(server + "voila/render/localities.ipynb", timeout=120) as r:
                return r.status, ""
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(get, range(12)))
    busy = [body for status, body in answers if status == 503]
    assert busy and all("The dashboards are busy" in body for body in busy)
    assert kernels() <= MAX_KERNELS + 1  # one pooled refill may be starting
