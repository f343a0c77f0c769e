"""A live dashboard's payload: what one audience's dashboard shows, precomputed, read by its kernel file by file.

The server writes it once at start (``apps.payload_build``, reused while its inputs are unchanged) under
``build/dashboard/<config>/<audience>/``; each Voila kernel then reads only the files a visitor's choices
need (JSON text: figures already filtered by the catalogue and suppressed, web geometry as ready GeoJSON)
and imports none of the geography, statistics or plotting libraries. In a notebook the same files are made
on first use, in memory. This module is the reader: light on purpose (json and the standard library).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from observatory._core.settings import build_dir

PAYLOAD_ENV = "OBSERVATORY_PAYLOAD"
"""The folder of the payload ``observatory serve`` wrote for its configuration and audience (the kernels read it)."""
META = "meta.json"
STAMP = ".payload.json"
"""What a payload folder was made from (``payload_build.payload_digest``): an unchanged one is reused."""
FORMAT = 1
_KEPT = 8

__all__ = ["FORMAT", "META", "PAYLOAD_ENV", "STAMP", "Payload", "payload_folder"]


def audience_slug(audience: str) -> str:
    """An audience as a folder name: ``partner:wcc`` → ``partner-wcc``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", audience)


def payload_folder(config_name: str, audience: str, store: Path | str | None = None) -> Path:
    """Where ``observatory serve`` writes a configuration's payload for one audience: from another ``store`` than
    the configuration's own, a folder of its own (two servers of one configuration never share one)."""
    name = audience_slug(audience)
    if store is not None:
        name += "-" + hashlib.sha256(str(Path(store).resolve()).encode()).hexdigest()[:10]
    return build_dir() / "dashboard" / config_name / name


class Payload:
    """A payload's files by name (``meta.json``, ``maps/3.json``, ``geometry/locality.json``...).

    ``source`` is a folder written by ``payload_build.write_payload`` or a function making a file's text
    on demand (``payload_build.PayloadBuilder.file``). Parsed files are kept a while (the last few).
    """

    def __init__(self, source: Path | str | Callable[[str], str]):
        self.folder = None if callable(source) else Path(source)
        self._make = source if callable(source) else None
        self._parsed: OrderedDict[str, Any] = OrderedDict()
        self._texts: dict[str, str] = {}

    @classmethod
    def served(cls) -> Payload | None:
        """The payload the server named in ``OBSERVATORY_PAYLOAD``, or None outside ``observatory serve``."""
        folder = os.environ.get(PAYLOAD_ENV)
        return cls(folder) if folder and (Path(folder) / META).is_file() else None

    def text(self, name: str) -> str:
        """One file's text; geometry text is kept (a map document is assembled from it at every level change)."""
        if name in self._texts:
            return self._texts[name]
        if self._make is not None:
            text = self._make(name)
        else:
            path = (self.folder / name).resolve()
            if self.folder.resolve() not in path.parents:
                raise KeyError(f"no payload file {name!r}")
            text = path.read_text(encoding="utf-8")
        if name.startswith("geometry/"):
            self._texts[name] = text
        return text

    def json(self, name: str) -> Any:
        """One file parsed (the last few parsed are kept)."""
        if name in self._parsed:
            self._parsed.move_to_end(name)
            return self._parsed[name]
        value = json.loads(self.text(name))
        self._parsed[name] = value
        while len(self._parsed) > _KEPT:
            self._parsed.popitem(last=False)
        return value

    @property
    def meta(self) -> dict[str, Any]:
        """What the whole dashboard needs at start: the audience, places, indicators, sources (``META``)."""
        found = self.__dict__.get("_meta")
        if found is None:
            found = self.__dict__["_meta"] = json.loads(self.text(META))
            if found.get("format") != FORMAT:
                raise ValueError(f"payload format {found.get('format')!r} is not {FORMAT}: rebuild it (observatory serve)")
        return found
