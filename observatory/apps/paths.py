"""Where the dashboards find packs: shared by the server (serve) and the dashboard pages (dashboard)."""
from __future__ import annotations

from pathlib import Path

from observatory.config import Config
from observatory.publish.layout import pack_dir

PACKS_PATH = "observatory/packs/"
"""The URL path under the server's base at which a configuration's packs are served."""


def packs_root(config: Config) -> Path:
    """The folder holding a configuration's pack folders (as laid out by ``observatory.publish.layout``)."""
    return pack_dir(config, "any").parent
