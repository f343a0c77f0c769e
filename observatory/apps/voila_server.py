"""The Voila process of ``observatory serve``: the observatory's own Voila app, for one configuration and audience.

Its landing page, accessibility statement and guarded dashboard pages (``apps.pages``: at most ``max_kernels``
kernels, a "busy" page beyond), the packs folder at ``<base_url>observatory/packs/`` (only files a pack built for
the same configuration and audience lists), the pre-rendered public site at ``<base_url>observatory/public/``
when there is one, and the preheated pools: ``pool`` kernels of the localities dashboard, one of any other.
Everything comes from the environment ``apps.serve`` sets (``ENV``). Light on purpose: one process serves every
visitor, and it never imports the profile tables, the geography or the statistics.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from observatory._core.settings import DEFAULT_CONFIG
from observatory.apps.pages import ACCESSIBILITY_PATH, SITE_ENV, handlers, read_site, site_info
from observatory.apps.paths import PACKS_PATH, packs_root
from observatory.config import load_config
from observatory.publish.manifest import read_manifest

MAX_KERNELS = 12
"""Kernels the server runs at most by default, the preheated pools included (~70-170 MB each): then a busy page.
A larger pool raises it (``apps.serve.kernel_cap``)."""
POOL = 4
"""Preheated kernels kept ready for the localities dashboard: the visitors expected to arrive together."""
REFILL_DELAY_SECONDS = 5.0
"""How long after handing out a preheated kernel the server starts its replacement: pages just handed out are
drawn first, not slowed by kernels starting (Voila's default is 1 s)."""
LOCALITIES = "localities.ipynb"
ENV = {
    "config": "OBSERVATORY_CONFIG",
    "audience": "OBSERVATORY_AUDIENCE",
    "store": "OBSERVATORY_STORE",
    "packs": "OBSERVATORY_PACKS_DIR",
    "site": SITE_ENV,
    "max_kernels": "OBSERVATORY_MAX_KERNELS",
    "public_site": "OBSERVATORY_PUBLIC_SITE",
    "pool": "OBSERVATORY_POOL",
}
PUBLIC_SITE_PATH = "observatory/public/"
"""The URL path under the server's base of the pre-rendered public dashboard."""

__all__ = [
    "ENV",
    "LOCALITIES",
    "MAX_KERNELS",
    "POOL",
    "PUBLIC_SITE_PATH",
    "REFILL_DELAY_SECONDS",
    "pack_file_allowed",
    "pool_config",
]


def pack_file_allowed(root: Path | str, path: Path | str, config: str, audience: str) -> bool:
    """May the server of ``config`` for ``audience`` publish ``path``? Only a file listed in the manifest of a pack
    folder directly under ``root`` built for that configuration and audience."""
    base, p = Path(root).resolve(), Path(path).resolve()
    if base not in p.parents or not p.is_file():
        return False
    folder = base / p.relative_to(base).parts[0]
    manifest = read_manifest(folder) or {}
    build = manifest.get("build") or {}
    return (
        str(build.get("audience", "")) == audience
        and str(build.get("config", "")) == config
        and p.relative_to(folder).as_posix() in (manifest.get("files") or {})
    )


def _packs_handler(config: str, audience: str):
    """A tornado handler publishing the pack files :func:`pack_file_allowed` allows (404 for anything else)."""
    import tornado.web

    class PackFileHandler(tornado.web.StaticFileHandler):
        def validate_absolute_path(self, root: str, absolute_path: str):
            if not pack_file_allowed(root, absolute_path, config, audience):
                raise tornado.web.HTTPError(404)
            return super().validate_absolute_path(root, absolute_path)

    return PackFileHandler


def main(argv: list[str]) -> None:
    """Run the observatory's Voila app with ``argv`` (``apps.serve.voila_arguments``) until stopped."""
    import tornado.web
    from jupyter_server.utils import url_path_join
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.tornado.treehandler import TornadoVoilaTreeHandler

    cfg = load_config(os.environ.get(ENV["config"], DEFAULT_CONFIG))
    audience = os.environ.get(ENV["audience"], "public")
    handler = _packs_handler(cfg.name, audience)
    root = os.environ.get(ENV["packs"])
    if not root:  # started by hand: work it out
        root = packs_root(cfg)
    site = read_site(site_info(cfg.label, cfg.title, cfg.synthetic, audience))
    max_kernels = int(os.environ.get(ENV["max_kernels"]) or MAX_KERNELS)
    pool = int(os.environ.get(ENV["pool"]) or POOL)
    public = os.environ.get(ENV["public_site"])

    class ObservatoryVoila(Voila):
        def init_handlers(self):
            own = handlers(self.server_url, site, max_kernels)
            mine = [
                (url_path_join(self.server_url, PACKS_PATH + "(.*)"), handler, {"path": str(root)}),
                (url_path_join(self.server_url, ACCESSIBILITY_PATH), own["accessibility"], {}),
            ]
            if public:  # the pre-rendered public dashboard: plain files, no kernel
                files = {"path": public, "default_filename": "index.html"}
                mine.append((url_path_join(self.server_url, PUBLIC_SITE_PATH + "(.*)"), tornado.web.StaticFileHandler, files))
            out = []
            for spec in super().init_handlers():
                pattern, cls, *rest = spec
                if cls is TornadoVoilaTreeHandler and public:  # the public's landing page is the site's
                    spec = (pattern, tornado.web.RedirectHandler, {"url": self.server_url + PUBLIC_SITE_PATH})
                elif cls is TornadoVoilaTreeHandler:  # the landing page instead of a list of .ipynb names
                    spec = (pattern, own["landing"], {})
                elif cls is TornadoVoilaHandler:
                    spec = (pattern, own["page"], *rest)
                out.append(spec)
            return mine + out

    ObservatoryVoila.launch_instance(argv, config=pool_config(pool))


def pool_config(pool: int):
    """Voila's kernel manager configured for a pool of ``pool`` preheated kernels of the localities dashboard
    (one for any other), replaced ``REFILL_DELAY_SECONDS`` after being handed out."""
    from traitlets.config import Config as TraitletsConfig

    c = TraitletsConfig()
    c.VoilaKernelManager.kernel_pools_config = {"default": {"pool_size": 1}, LOCALITIES: {"pool_size": max(0, int(pool))}}
    c.VoilaKernelManager.fill_delay = REFILL_DELAY_SECONDS
    return c


if __name__ == "__main__":
    main(sys.argv[1:])
