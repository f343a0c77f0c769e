"""The public localities dashboard as pre-rendered files: the same views as the live one, no kernel per visitor.

Twenty visitors opening a live Voila dashboard at once each get a kernel importing the whole stack (79 s to the
first map on 2 cores, 9.6 GB held). The public audience sees fixed figures, so its dashboard is written once,
by the dashboard's own renderers (``apps.dashboard_views``: the pack's map, compare, inequalities and pyramid
views over the public audience's publishable figures), and served as plain files:

- ``index.html``: what the site is, a search over the localities, a link to each;
- ``localities/<code>.html``: a locality's page, its figures for every indicator in one JSON block (value,
  limits, comparisons, trend), the indicator picker, the views and their downloads;
- ``maps/<indicator>.html``: the choropleth of an indicator's newest period, Leaflet linked from ``assets/``;
- ``data/<indicator>.json``: the indicator's views (the map's table, compare, inequalities, sources, downloads);
- ``downloads/``: the figures of each view as CSV and Excel; ``accessibility.html``; ``assets/``.

Only what ``DashboardViews`` gives the public audience is written: catalogue-restricted datasets are never
read, small counts stay suppressed. An address carries the locality (the page) and the indicator and view
(``?indicator=…&view=…``), never the audience.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from observatory._core.digests import digest_files, digest_tree, sha256_json
from observatory._core.files import write_atomic
from observatory._core.resources import resource
from observatory._core.settings import build_dir
from observatory.apps.dashboard_views import VIEWS, DashboardViews, section
from observatory.apps.downloads import data_uri
from observatory.apps.pages import site_info
from observatory.config import Config, load_config
from observatory.metadata.catalogue import catalogue_inputs
from observatory.present import views as present_views
from observatory.present.templating import Markup, render
from observatory.profiles.table import Profiles, inputs_digest
from observatory.publish.export import share_assets
from observatory.store import Store

AUDIENCE = "public"
STAMP = ".site.json"
"""What a site folder was made from (:func:`site_digest`): an unchanged site is reused at the next start."""
SUMMARY = ("value_text", "limits_text", "vs_county_text", "vs_england_text", "trend_text")
"""What a locality's JSON block holds per indicator, in this order."""
_SRCDOC = re.compile(r'srcdoc="([^"]*)"')
_NOUNS = {"map": "map", "compare": "comparison", "inequalities": "chart", "pyramid": "pyramid"}

__all__ = ["AUDIENCE", "build_public_site", "site_digest", "site_folder"]


def site_folder(cfg: Config) -> Path:
    """Where ``observatory serve`` writes a configuration's public site: ``build/public-site/<config>``."""
    return build_dir() / "public-site" / cfg.name


def site_digest(cfg: Config, store: Store) -> str:
    """What a site is made from: the profile table's inputs and code, the catalogue and partner register, the
    templates and the package's own code (the views that draw it)."""
    code = digest_tree(Path(__file__).resolve().parents[1])
    return sha256_json([inputs_digest(cfg, store), digest_files(catalogue_inputs(cfg)), digest_tree(resource("templates")), code])


def _write(path: Path, text: str | bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    write_atomic(path, data)
    return len(data)


def _downloads(views: DashboardViews, out: Path, view: str, indicator: str, period: str, locality: str) -> Markup:
    """The figures of one view written as CSV and XLSX under ``downloads/``; the links a locality page shows."""
    table, credits, stem = views.view_download(view, indicator, period, "locality", locality)
    if table.empty:
        return section("view_prompt", "This view has no figures to download.")
    source, sheet = "; ".join(credits["attributions"]), pd.DataFrame(credits["sheet"])
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)
    links = []
    for kind, label in (("csv", "CSV"), ("xlsx", "Excel")):
        uri = data_uri(table, source, sheet, kind)  # the dashboard's one writer
        _write(out / "downloads" / f"{stem}.{kind}", base64.b64decode(uri.split(",", 1)[1]))
        links.append((f"{stem}.{kind}", f"../downloads/{stem}.{kind}", label))
    return section("downloads", links, len(table), _NOUNS[view])


def _map_file(views: DashboardViews, out: Path, indicator: str, period: str) -> tuple[str, str]:
    """The indicator's map as its own page (Leaflet shared under ``assets/``); its file name and frame title."""
    frame = str(views.map_html(indicator, period))
    document = html.unescape(_SRCDOC.search(frame)[1])
    page, _used = share_assets(document, out, out / "maps")
    name = f"{indicator}.html"
    _write(out / "maps" / name, page)
    title = html.unescape(re.search(r'title="([^"]*)"', frame)[1])
    return name, title


def _indicator_payload(views: DashboardViews, out: Path, indicator: str) -> tuple[dict, dict[str, list[str]]]:
    """One indicator's JSON (views as HTML, downloads) and every locality's summary of it (``SUMMARY``)."""
    ind = views.indicators[indicator]
    period = views.periods(indicator)[0]
    title, unit = ind.title, ind.unit
    frame = views.compare_frame(indicator, period)
    map_name, map_title = _map_file(views, out, indicator, period)
    table = present_views.map_table(
        frame.assign(value=frame["value"].where(~frame["suppressed"])),
        caption=f"{title}, {period}",
        value_title=title,
        unit=unit,
        area_title="Locality",
    )
    payload = {
        "id": indicator,
        "title": title,
        "period": period,
        "map": map_name,
        "map_title": map_title,
        "table": str(table),
        "compare": str(views.compare_html(indicator, period)),
        "inequalities": str(views.inequalities_html(indicator, period)),
        "sources": str(views.sources_html(indicator)),
        "downloads": {v: str(_downloads(views, out, v, indicator, period, "")) for v in ("map", "compare", "inequalities")},
    }
    summary = {str(r["area_code"]): [str(r[c]) for c in SUMMARY] for _i, r in frame.iterrows()}
    return payload, summary


def _indicator_choices(views: DashboardViews) -> list[tuple[str, list[tuple[str, str]]]]:
    """(theme, [(indicator id, title)]) in the dashboard's order, for the picker's option groups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in views.indicators.values():
        groups.setdefault(r.theme.replace("_", " ").capitalize(), []).append((r.id, r.title))
    return list(groups.items())


def build_public_site(
    config: Config | str,
    out: Path | str | None = None,
    *,
    store: Path | str | Store | None = None,
    profiles: Profiles | None = None,
    reuse: bool = False,
) -> dict[str, Any]:
    """Write the public localities dashboard as files in ``out`` (default :func:`site_folder`), replacing what was
    there (with ``reuse``, keeping a site made from the same inputs); returns what is there (pages, bytes, seconds)."""
    t0 = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    out = Path(out) if out else site_folder(cfg)
    store_path = store.path if isinstance(store, Store) else Path(store) if store else cfg.store_dir()
    digest, stamp = site_digest(cfg, Store(store_path)), out / STAMP
    if reuse and stamp.is_file() and json.loads(stamp.read_text()).get("digest") == digest:
        return _summary(out, t0, reused=True)
    views = DashboardViews(cfg, AUDIENCE, store=store_path, profiles=profiles, packs_dir=out / "no-packs")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    summaries: dict[str, dict[str, list[str]]] = {}
    for indicator in views.indicators:
        payload, summary = _indicator_payload(views, out, str(indicator))
        _write(out / "data" / f"{indicator}.json", json.dumps(payload, separators=(",", ":")))
        summaries[str(indicator)] = summary
    site = site_info(cfg.label, views.county_name, cfg.synthetic, AUDIENCE)
    localities = sorted(((a.code, a.name) for a in views.localities), key=lambda t: t[1])
    choices = _indicator_choices(views)
    common = {"site": site, "synthetic": cfg.synthetic, "localities": localities}
    _write(out / "assets" / "public-site.js", render("public_site.js.j2"))
    _write(out / "assets" / "public-site.css", render("public_site.css.j2"))
    first = next(iter(views.indicators))
    for code, name in localities:
        mine = {ind: s.get(code, ["–"] * len(SUMMARY)) for ind, s in summaries.items()}
        _write(
            out / "localities" / f"{code}.html",
            render(
                "public_site_locality.html.j2",
                **common,
                title=f"{name}: localities dashboard — {cfg.label}",
                code=code,
                name=name,
                choices=choices,
                view_names=VIEWS,
                figures=json.dumps({"indicators": mine}, separators=(",", ":")),
                views_assets=views.view_assets(),
                pyramid=views.pyramid_html(code),
                pyramid_downloads=_downloads(views, out, "pyramid", first, "", code) if views.population_allowed() else "",
            ),
        )
    _write(out / "index.html", render("public_site_index.html.j2", **common, title=f"Localities dashboard — {cfg.label}"))
    _write(
        out / "accessibility.html",
        render("public_site_accessibility.html.j2", **common, title=f"Accessibility statement — {cfg.label}"),
    )
    _write(stamp, json.dumps({"digest": digest}))
    return _summary(out, t0, reused=False)


def _summary(out: Path, t0: float, reused: bool) -> dict[str, Any]:
    files = [p for p in out.rglob("*") if p.is_file() and p.name != STAMP]
    return {
        "folder": out,
        "localities": len(list((out / "localities").glob("*.html"))),
        "indicators": len(list((out / "data").glob("*.json"))),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "seconds": time.perf_counter() - t0,
        "reused": reused,
    }
