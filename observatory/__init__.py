"""observatory: an evidence-base workbench for a local-government research observatory.

``import observatory as obs`` gives the public API (docs/api.md): the names in
``observatory.api.EXPORTS``, each imported on first use so that importing the package stays light
(``observatory.api`` itself imports nothing heavy).
"""

from observatory.api import EXPORTS, export

__version__ = "0.1.0"


def __getattr__(name: str):
    return export(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(EXPORTS))
