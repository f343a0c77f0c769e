"""Machine paths out of what a pack records: the manifest, the log, executed notebooks, pages.

A pack is published (and served); the folders of the machine that built it (store, configuration,
project, Python) are not. Each known folder is recorded by a label instead: the pack itself as
``.``, the others as ``<config>``, ``<store>``, ``<observatory>``... Imports only the standard library.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

_AFTER = r"(?=[/\\\"'\s:;,)\]}]|$)"  # a path ends at a separator, quote, space or bracket, never mid-name


def package_root() -> Path:
    """The installed ``observatory`` package folder."""
    return Path(str(resources.files("observatory")))


class Places:
    """Absolute folders and the labels recorded in their place, longest folder first."""

    def __init__(self, pairs: Iterable[Iterable[str]]):
        self.pairs = sorted((tuple(p) for p in pairs), key=lambda kv: -len(kv[0]))
        self._labels = dict(self.pairs)
        self._pattern = re.compile("|".join(f"(?:{re.escape(p)}){_AFTER}" for p, _ in self.pairs) or r"(?!)")

    @classmethod
    def for_pack(cls, pack_dir: Path | str, places: Mapping[str, Path | str] | None = None) -> Places:
        """The pack as ``.``, this package as ``<observatory>``, Python as ``<python>``, and ``places`` (label → folder)."""
        pairs: dict[str, str] = {str(Path(pack_dir).resolve()): "."}
        known = [("<observatory>", package_root()), ("<python>", Path(sys.prefix)), ("<python>", Path(sys.base_prefix))]
        for label, folder in [*known, *(places or {}).items()]:
            for form in {str(Path(folder)), str(Path(folder).resolve())} if folder else ():
                if len(form) > 1:
                    pairs.setdefault(form, label)
        return cls(pairs.items())

    def scrub(self, text: str) -> str:
        """``text`` with every known absolute folder replaced by its label."""
        return self._pattern.sub(lambda m: self._labels[m.group(0)], text) if text else text

    def scrub_value(self, value: Any) -> Any:
        """A JSON-like value with its strings scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {k: self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub_value(v) for v in value]
        return value

    def scrub_file(self, path: Path) -> None:
        """Rewrite a text file in place, scrubbed (executed notebooks record parameters and tracebacks)."""
        text = path.read_text(encoding="utf-8")
        clean = self.scrub(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")

    def resolve(self, recorded: str) -> Path:
        """The absolute path a scrubbed one stood for (labels other than the pack's are expanded)."""
        for folder, label in self.pairs:
            if label != "." and (recorded == label or recorded.startswith(label + "/")):
                return Path(folder + recorded[len(label) :])
        return Path(recorded)

    def as_list(self) -> list[list[str]]:
        """The pairs as JSON (sent to worker processes)."""
        return [list(p) for p in self.pairs]
