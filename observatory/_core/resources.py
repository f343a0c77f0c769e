"""Package data (notebooks, dashboards, Leaflet, standard populations), found with ``importlib.resources``.

The package runs from a plain ``pip install``: nothing is looked up through a repository checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

PACKAGE = "observatory.resources"


def resource(*parts: str) -> Path:
    """The file or folder ``parts`` inside the package's resources, as a real path on disk."""
    path = Path(str(resources.files(PACKAGE).joinpath(*parts)))
    if not path.exists():
        raise FileNotFoundError(f"the observatory package has no resource {'/'.join(parts)!r}")
    return path


def notebook(name: str) -> Path:
    """A parameterised pack notebook, e.g. ``notebook("locality_profile")``."""
    return resource("notebooks", f"{name}.ipynb")


def notebooks_dir() -> Path:
    return resource("notebooks")


def dashboards_dir() -> Path:
    return resource("dashboards")


def template_bytecode_cache(owner: str) -> Any:
    """A Jinja2 bytecode cache for the templates of ``owner`` (an environment's settings shape its bytecode,
    so each has its own files), kept in the user's private temporary folder: each of a pack's kernels would
    otherwise compile every template again (about 0.15 s). None when that folder cannot be made safely."""
    import jinja2

    try:
        return jinja2.FileSystemBytecodeCache(pattern=f"__{owner}_%s.cache")
    except (OSError, RuntimeError):
        return None
