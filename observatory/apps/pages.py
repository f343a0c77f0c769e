"""The observatory's own pages inside the Voila server: landing page, accessibility statement, busy page.

The ``ObservatoryVoila`` app (``observatory.apps.voila_server``) registers these tornado handlers and replaces
Voila's render handler with :func:`page_handler`'s, which

- sets the XSRF cookie on every dashboard page, so the browser's kernel shutdown on tab close is
  accepted (Voila's own render page sets none and the shutdown is refused with a 403);
- refuses a page with a "busy" page (503, ``Retry-After``) once ``max_kernels`` kernels run, so a
  flood of GETs (a crawler, link previews) cannot exhaust memory;
- gives each page a ``<title>`` that says what it is and adds the small script that keeps the
  address in step with the view (``dashboard_address.html.j2``).

What the pages say about the site (county, data date, dashboards) is :func:`site_info`, computed by
``serve`` once and handed to the Voila process in the environment: the server process never loads
the profile tables.
"""

from __future__ import annotations

import json
import os
from typing import Any

from observatory.present.templating import render, render_macro

SITE_ENV = "OBSERVATORY_SITE"
ACCESSIBILITY_PATH = "observatory/accessibility"
DASHBOARDS: dict[str, tuple[str, str]] = {
    "localities.ipynb": (
        "Localities",
        "A map of every locality and small area for one indicator, each locality's "
        "spine chart and trend, and the figures behind the map to download.",
    ),
    "catalogue.ipynb": (
        "Data catalogue",
        "The datasets shared under the information-sharing charter: who holds "
        "them, what they cover, and the terms on which they may be used.",
    ),
}
"""Dashboard notebook → (readable name, what it is for); the landing page lists them in this order."""
AUDIENCES = {"public": "the public", "partners": "the observatory's partners"}


def audience_words(audience: str) -> str:
    """Who a server's audience is, in words (``partner:<id>`` names the partner)."""
    if audience.startswith("partner:"):
        return f"the partner {audience.split(':', 1)[1]}"
    return AUDIENCES.get(audience, audience)


def site_info(
    label: str, county: str, synthetic: bool, audience: str, *, updated: str = "", latest_period: str = ""
) -> dict[str, Any]:
    """What the landing page and page titles say: a plain JSON-able dict."""
    return {
        "label": label,
        "county": county,
        "synthetic": bool(synthetic),
        "audience": audience,
        "updated": updated,
        "latest_period": latest_period,
    }


def read_site(fallback: dict[str, Any]) -> dict[str, Any]:
    """The site description handed over in ``OBSERVATORY_SITE``, or ``fallback`` when started by hand."""
    try:
        return {**fallback, **json.loads(os.environ.get(SITE_ENV) or "{}")}
    except ValueError:
        return fallback


def page_title(notebook: str, site: dict[str, Any]) -> str:
    """The ``<title>`` of a dashboard page: "Localities — Demo County (synthetic)"."""
    name = DASHBOARDS.get(notebook.rsplit("/", 1)[-1], (notebook.rsplit("/", 1)[-1].removesuffix(".ipynb"), ""))[0]
    return f"{name} — {site['label']}"


def landing_html(site: dict[str, Any], base_url: str) -> str:
    """The landing page at the server's root."""
    dashboards = [(name, about, f"{base_url}voila/render/{nb}") for nb, (name, about) in DASHBOARDS.items()]
    return render(
        "landing_page.html.j2",
        site=site,
        synthetic=site["synthetic"],
        who=audience_words(site["audience"]),
        dashboards=dashboards,
        accessibility=f"{base_url}{ACCESSIBILITY_PATH}",
        title=f"Dashboards — {site['label']}",
    )


def accessibility_html(site: dict[str, Any], base_url: str) -> str:
    """The accessibility statement (standard, known limitations, how to ask for another format)."""
    return render(
        "landing_accessibility.html.j2",
        site=site,
        synthetic=site["synthetic"],
        home=base_url,
        title=f"Accessibility statement — {site['label']}",
    )


def busy_html(site: dict[str, Any], base_url: str, retry_seconds: int) -> str:
    """The page shown instead of a dashboard when every kernel is taken."""
    return render(
        "landing_busy.html.j2",
        site=site,
        synthetic=site["synthetic"],
        home=base_url,
        retry=retry_seconds,
        title=f"Busy — {site['label']}",
    )


def dress_head(chunk: str, title: str, base_url: str) -> tuple[str, bool]:
    """Give the page its title, the address script and the links bar; True once the body has opened.
    A chunk cut inside the ``<body>`` tag comes back unchanged and False: the caller holds it for the next one."""
    body = chunk.find("<body")
    if body >= 0 and chunk.find(">", body) < 0:
        return chunk, False
    if "</head>" in chunk:
        start, end = chunk.find("<title>"), chunk.find("</title>")
        if 0 <= start < end:
            chunk = chunk[:start] + str(render_macro("dashboard_address.html.j2", "title", title)) + chunk[end + 8 :]
        # the views' tables sort: ``present.views.assets``, rendered here without the charts (and pandas) behind them
        script = str(render_macro("dashboard_address.html.j2", "script")) + str(render_macro("view_table.html.j2", "assets"))
        chunk = chunk.replace("</head>", script + "</head>", 1)
    body = chunk.find("<body")
    if body < 0:
        return chunk, False
    close = chunk.index(">", body) + 1
    links = str(render_macro("dashboard_address.html.j2", "links", base_url, base_url + ACCESSIBILITY_PATH))
    return chunk[:close] + links + chunk[close:], True


def kernel_count(kernel_manager) -> int:
    """Kernels running now (pooled ones included)."""
    return len(kernel_manager.list_kernel_ids())


def handlers(server_url: str, site: dict[str, Any], max_kernels: int, retry_seconds: int = 30) -> dict[str, Any]:
    """The tornado handler classes: ``landing``, ``accessibility`` and ``page`` (Voila's render handler, guarded)."""
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler
    from voila.tornado.handler import TornadoVoilaHandler

    class LandingHandler(JupyterHandler):
        def get(self, *_args) -> None:
            _ = self.xsrf_token  # the cookie the dashboards' shutdown on close needs
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(landing_html(site, server_url))

    class AccessibilityHandler(JupyterHandler):
        def get(self) -> None:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(accessibility_html(site, server_url))

    class PageHandler(TornadoVoilaHandler):
        starting = 0  # pages admitted whose kernel is not registered yet

        @tornado.web.authenticated
        async def get(self, path=None) -> None:
            _ = self.xsrf_token  # without the cookie the browser's shutdown on tab close is refused
            if kernel_count(self.kernel_manager) + PageHandler.starting >= max_kernels:
                self.set_status(503)
                self.set_header("Retry-After", str(retry_seconds))
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(busy_html(site, server_url, retry_seconds))
                return
            PageHandler.starting += 1
            admitted, head_done, held = True, False, ""
            title = page_title(path or "", site)
            try:
                async for chunk in self.get_generator(path=path):
                    if admitted:  # the first chunk comes once the page has its kernel
                        PageHandler.starting, admitted = PageHandler.starting - 1, False
                    if not head_done:
                        chunk, head_done = dress_head(held + chunk, title, server_url)
                        held, chunk = (chunk, "") if not head_done and "<body" in chunk else ("", chunk)
                    self.write(chunk)
                    self.flush()
            finally:
                if admitted:
                    PageHandler.starting -= 1

    return {"landing": LandingHandler, "accessibility": AccessibilityHandler, "page": PageHandler}
