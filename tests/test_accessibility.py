"""axe-core (WCAG 2.2 AA rules) on the pack's pages in Debian's chromium: no serious or critical violation,
real alternative text, titled iframes and sortable-table buttons reachable by Tab; a screenshot of each page."""

from __future__ import annotations

from pathlib import Path

import pytest
from pack_fixture import demo_pack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("packs")]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {
    "index": "index.html",
    "profile": "html/profile-ZL01.html",
    "overview": "html/county-overview.html",
    "exceptions": "html/exceptions-board.html",
    "catalogue": "html/data-catalogue.html",
    "definition": None,
    "accessibility": "accessibility.html",
}


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return demo_pack(tmp_path_factory.getbasetemp().parent / "demo-pack")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page_path(pack: Path, name: str) -> Path:
    rel = (
        PAGES[name] or f"definitions/{sorted(p.name for p in (pack / 'definitions').glob('*.html') if p.name != 'index.html')[0]}"
    )
    return pack / rel


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_violations(pack, browser, name):
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(_page_path(pack, name).as_uri())
        page.wait_for_load_state("load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"pack-{name}.png"), full_page=True)
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], "\n".join(bad)
        assert page.locator("iframe:not([title])").count() == 0
        alts = page.locator("img").evaluate_all("els => els.map(e => e.getAttribute('alt'))")
        assert all(a and "No description has been provided" not in a for a in alts), alts
    finally:
        page.close()


def test_sortable_table_buttons_are_reachable_by_tab(pack, browser):
    page = browser.new_page()
    try:
        page.goto((pack / "html" / "county-overview.html").as_uri())
        buttons = page.locator("table button")
        if buttons.count() == 0:
            pytest.skip("no sortable table on the overview")
        summary = buttons.first.locator("xpath=ancestor::details[1]/summary")
        summary.focus()  # the map's table view is a disclosure: a keyboard user opens it with Enter
        page.keyboard.press("Enter")
        reached = False
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate(
                "document.activeElement && document.activeElement.tagName === 'BUTTON' "
                "&& !!document.activeElement.closest('table')"
            ):
                reached = True
                break
        assert reached, "Tab never reached a sortable table's button"
        page.keyboard.press("Enter")
    finally:
        page.close()
