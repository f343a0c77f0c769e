"""Where the dashboards find packs: shared by the server (serve) and the dashboard pages (dashboard)."""

from __future__ import annotations

from pathlib import Path

from observatory.config import Config
from observatory.publish.manifest import read_manifest

PACKS_PATH = "observatory/packs/"
"""The URL path under the server's base at which a configuration's packs are served."""


def packs_root(config: Config) -> Path:
    """The folder holding a configuration's pack folders (as laid out by ``observatory.publish.layout``)."""
    # start-up: the layout imports observatory.errors and with it pandas (0.5-0.8 s, ~95 MB): never in a kernel
    from observatory.publish.layout import pack_dir  # start-up: as above

    return pack_dir(config, "any").parent


def latest_pack(config: str, audience: str, packs_dir: Path | str) -> tuple[Path, dict] | None:
    """The newest pack folder in ``packs_dir`` built for ``config`` and ``audience``, and its manifest.

    A pack is a folder with a ``manifest.json``; the newest is the one finished last. A pack whose
    manifest names another configuration or audience is never offered.
    """
    root = Path(packs_dir)
    if not root.is_dir():
        return None
    found = []
    for manifest in root.glob("*/manifest.json"):
        data = read_manifest(manifest.parent)
        if not data:
            continue
        build = data.get("build") or {}
        if str(build.get("audience", "")) != audience or str(build.get("config", "")) != config:
            continue
        found.append((str(build.get("finished") or ""), manifest.stat().st_mtime, manifest.parent, data))
    if not found:
        return None
    _finished, _mtime, folder, data = max(found, key=lambda t: (t[0], t[1]))
    return folder, data


def profile_in_pack(manifest: dict, locality: str) -> str | None:
    """The pack-relative path of a locality's profile HTML, when the pack built it successfully."""
    for o in manifest.get("outputs", []):
        params = o.get("parameters") or {}
        if params.get("locality") != locality or o.get("status") != "ok":
            continue
        html_rel = f"html/{o['name']}.html"
        if html_rel in (o.get("files") or {}) or html_rel in (manifest.get("files") or {}):
            return html_rel
    return None
