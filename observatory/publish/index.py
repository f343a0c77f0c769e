"""A pack's ``index.html``: every output, grouped in the order groups first appear, with its status, and the
pack's release facts (release date, next release, what changed since last quarter's pack).

Failed outputs show their error and link to the partly executed notebook. The page is the
``pack_index.html.j2`` template (autoescaped, on the one base page with the one synthetic banner);
this module only turns the manifest into the values it shows. With :class:`PackPages`, the index also
writes the pack's reference pages (definitions, methods, accessibility statement).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from observatory._core.files import write_atomic
from observatory.config import Config
from observatory.metadata.indicators import read_indicators
from observatory.present.pages import ACCESSIBILITY, DEFINITIONS, METHODS, corrections, what_changed, write_pages
from observatory.present.spreadsheets import Publication, publication
from observatory.present.templating import render
from observatory.publish.manifest import DOWNLOADS, HTML, INDEX, MANIFEST, NOTEBOOKS, error_text, read_manifest
from observatory.store import Store


@dataclass
class PackPages:
    """What the index needs beyond the manifest to write the pack's reference pages and release notes."""

    config: Config
    audience: str
    store: Store
    quarter: str
    previous: Path | None = None  # last quarter's pack folder

    def publication(self) -> Publication:
        return publication(self.config, self.quarter)

    def changes(self, manifest: Mapping) -> dict:
        before = read_manifest(self.previous) if self.previous else None
        old = before.get("build", {}).get("contents") if before else None
        titles = read_indicators(self.config.indicators_file)["title"].to_dict()
        return what_changed(manifest.get("build", {}).get("contents") or {}, old, titles, corrections(self.config, self.quarter))


def _link(href: str, text: str) -> dict:
    return {"href": quote(href), "text": text}


def _row(o: Mapping) -> dict:
    files = o.get("files", {})
    ok = o.get("status") == "ok"
    html_rel, nb_rel = f"{HTML}/{o['name']}.html", f"{NOTEBOOKS}/{o['name']}.ipynb"
    return {
        "id": o["name"],
        "label": o.get("title") or o["name"],
        "ok": ok,
        "page": quote(html_rel) if ok and html_rel in files else None,
        "error": error_text(o.get("error")) if not ok else "",
        "downloads": [_link(rel, Path(rel).name) for rel in files if rel.startswith(f"{DOWNLOADS}/")],
        "notebook": _link(nb_rel, "executed notebook" if ok else "failed notebook") if nb_rel in files else None,
    }


def index_model(manifest: Mapping) -> dict:
    """The values the index page shows, from a pack's manifest."""
    build = manifest.get("build", {})
    outputs = manifest.get("outputs", [])
    facts = [f"{k} {build[k]}" for k in ("quarter", "audience", "config") if build.get(k)]
    facts += [f"built {build.get('finished') or build.get('started', '')}", f"observatory {build.get('observatory', '')}"]
    groups: dict[str, list] = {}
    for o in outputs:
        groups.setdefault(o.get("group") or "", []).append(_row(o))
    claimed = {rel for o in outputs for rel in o.get("files", {})}
    others = [
        _link(rel, rel[len(DOWNLOADS) + 1 :])
        for rel in manifest.get("files", {})
        if rel.startswith(f"{DOWNLOADS}/") and rel not in claimed
    ]
    return {
        "title": str(build.get("title") or "Pack"),
        "synthetic": bool(build.get("synthetic")),
        "facts": " · ".join(facts),
        "failed": [{"id": o["name"], "label": o.get("title") or o["name"]} for o in outputs if o.get("status") != "ok"],
        "total": len(outputs),
        "groups": list(groups.items()),
        "others": others,
        "manifest": MANIFEST,
        "release": None,
        "changes": None,
    }


def write_index(pack_dir: Path, manifest: Mapping, pages: PackPages | None = None) -> Path:
    """Write ``index.html`` for the pack (atomically; the file follows the umask); with ``pages``, the reference
    pages first, and the release facts and changes since last quarter's pack on the index."""
    model = index_model(manifest)
    extra = {}
    if pages is not None:
        pub = pages.publication()
        write_pages(pack_dir, pages.config, pages.audience, pages.store, pub)
        model |= {"release": pub, "changes": pages.changes(manifest)}
        extra = {
            "root": "",
            "links": {"definitions": f"{DEFINITIONS}/index.html", "methods": METHODS, "accessibility": ACCESSIBILITY},
        }
    return write_atomic(Path(pack_dir) / INDEX, render("pack_index.html.j2", **model, **extra) + "\n")
