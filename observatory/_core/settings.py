"""Where data and builds live: resolved on every call, never frozen into module globals at import.

``OBSERVATORY_DATA_DIR`` and ``OBSERVATORY_BUILD_DIR`` win; otherwise a source checkout uses its own
``data/`` and ``build/`` folders, and an installed package uses ``./data`` and ``./build`` of the
working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG = "demo"


def checkout_root() -> Path | None:
    """The repository folder when the package runs from a source checkout (it holds pyproject.toml), else None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "observatory").is_dir() else None


def _base() -> Path:
    return checkout_root() or Path.cwd()


def data_dir() -> Path:
    """The folder holding configurations (``<data>/<name>/config.yaml``) and the partner register."""
    env = os.environ.get("OBSERVATORY_DATA_DIR")
    return Path(env) if env else _base() / "data"


def build_dir() -> Path:
    """The folder for the store, caches and packs."""
    env = os.environ.get("OBSERVATORY_BUILD_DIR")
    return Path(env) if env else _base() / "build"


def package_version() -> str:
    """The installed distribution's version, read from its metadata (importing the package is not needed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("observatory")
    except PackageNotFoundError:
        return "0+unknown"
