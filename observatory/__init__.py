"""observatory: an evidence-base workbench for a local-government research observatory.

``import observatory as obs`` gives the public API (docs/api.md): the names in
``observatory.api.EXPORTS``, each imported on first use so that importing the package stays light.
"""
__version__ = "0.1.0"


def __getattr__(name: str):
    from observatory.api import export

    return export(name)


def __dir__() -> list[str]:
    from observatory.api import EXPORTS

    return sorted(set(globals()) | set(EXPORTS))
