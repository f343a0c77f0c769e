"""Pages are made with text held as Python strings: the same pages, the user's pandas settings untouched."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from observatory.present import strings
from observatory.present.strings import python_strings


def _storage() -> str:
    return pd.Series(["a"]).dtype.storage


@python_strings
def _made() -> str:
    return _storage()


@python_strings
@dataclass
class _Page:
    name: str
    seen: str = ""

    def __post_init__(self):
        self.seen = _storage()

    def section(self) -> str:
        return _storage()

    def _helper(self) -> str:
        return _storage()

    def fails(self) -> None:
        raise ValueError("bad section")


def test_inside_a_page_text_is_python_strings_and_outside_it_is_as_the_user_set():
    before = _storage()
    page = _Page("ZL01")
    assert (_made(), page.seen, page.section()) == ("python", "python", "python")
    assert page._helper() == before  # private helpers run inside the public methods that call them
    with pytest.raises(ValueError, match="bad section"):
        page.fails()
    assert _storage() == before and pd.Series(["a"]).dtype == "str"
    with pd.option_context("mode.string_storage", "pyarrow"):
        assert page.section() == "python" and _storage() == "pyarrow"


def test_a_page_is_the_same_whichever_way_its_text_is_held(demo_store, monkeypatch):
    """Every section and download of a locality profile and an exception report, made with Python strings and
    with pandas' default Arrow strings: the same HTML and the same files."""
    import observatory as obs
    from observatory.present.view_data import clear_shared_cache

    cfg, store = demo_store

    def made(folder) -> list[str]:
        clear_shared_cache()
        profile = obs.open_profile(cfg, "ZL04", "2025Q3", "public", str(store.path))
        names = [n for n in dir(profile) if n.endswith("_html") and n != "map_html"]
        out = [str(getattr(profile, n)()) for n in names]
        report = obs.open_exception_page(cfg, "2025Q3", "board", "partners", str(store.path))
        out.append(str(report.html()))
        files = profile.write_downloads(folder) + report.write_downloads(folder)
        return out + [f.read_text(encoding="utf-8") for f in files if f.suffix == ".csv"]

    python = made(store.path.parent / "python")
    monkeypatch.setattr(strings, "STORAGE", "pyarrow")
    arrow = made(store.path.parent / "arrow")
    assert len(python) > 15 and python == arrow
