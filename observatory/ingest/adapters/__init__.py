"""Source adapters: one module per source format, each registered by name.

An adapter reads one file into rows of the tidy value table (see ``observatory._core.vocab``)
and reports what it could not parse; checks against geography and indicators happen later,
in ``observatory.ingest.pipeline``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from observatory.errors import Report
from observatory.ingest.readers import ROW  # noqa: F401  (the line-number column, re-exported for adapters)


@dataclass
class Extract:
    """What an adapter read: tidy rows (with a ``_row`` column) and the problems met while parsing."""

    frame: pd.DataFrame
    report: Report = field(default_factory=Report)


Reader = Callable[[Path, Mapping[str, Any]], Extract]
_REGISTRY: dict[str, Reader] = {}
_BUILTIN = ("tidy", "fingertips", "deprivation", "population", "census", "england")


def register(name: str) -> Callable[[Reader], Reader]:
    """Register ``reader`` as the adapter called ``name``."""

    def decorate(reader: Reader) -> Reader:
        _REGISTRY[name] = reader
        return reader

    return decorate


def _load_builtins() -> None:
    for module in _BUILTIN:
        importlib.import_module(f"observatory.ingest.adapters.{module}")


def get(name: str) -> Reader:
    """The adapter registered as ``name``."""
    if name not in _REGISTRY and name in _BUILTIN:
        importlib.import_module(f"observatory.ingest.adapters.{name}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown source adapter {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def read(adapter: str, path: Path | str, options: Mapping[str, Any] | None = None) -> Extract:
    """Read ``path`` with the named adapter."""
    return get(adapter)(Path(path), dict(options or {}))
