"""The ONE way YAML is read: PyYAML's safe loader on libyaml's C parser when PyYAML was built with it (about
5 times faster than the pure-Python one, which it falls back to), so every process reading the configuration
and the catalogue pays little for it."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe loader class, C when available: subclass it for a loader with other resolvers."""


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, on the C parser when available."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader is PyYAML's safe loader (C or Python)
