"""Publishing standards of the quarterly pack: definition and methods pages linked from what shows an indicator,
release facts, spreadsheets to the Analysis Function's guidance with CSVW, and nothing internal published."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pack_fixture import demo_pack

pytestmark = pytest.mark.xdist_group("packs")
INTERNAL = [
    re.compile(p)
    for p in (
        r"\bobservatory\.[a-z_]+",
        r"papermill",
        r"Traceback \(most recent call last\)",
        r"(?<![\w.])/(?:work|home|tmp|root|usr)/[\w.-]+",
    )
]


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return demo_pack(tmp_path_factory.getbasetemp().parent / "demo-pack")


def _visible(html: str) -> str:
    """A page's text and attributes without styles and scripts (where code is expected)."""
    return re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)


def test_a_profile_row_links_to_its_definition_page(pack):
    profile = (pack / "html" / "profile-ZL01.html").read_text()
    links = re.findall(r'<a href="\.\./definitions/([\w-]+)\.html">([^<]+)</a>', profile)
    assert links, "the theme tables link each indicator to its definition"
    ind, title = links[0]
    page = (pack / "definitions" / f"{ind}.html").read_text()
    assert f"<h1>{title}</h1>" in page
    for words in (
        "Definition",
        "Source",
        "Unit",
        "Statistical method",
        "Reference:",
        "Polarity",
        "Caveats",
        "Licence and attribution",
        "Latest period",
        "Next update",
    ):
        assert words in page, words
    assert re.search(r"value is better|judged better", page)
    assert 'href="../methods.html#' in page and (pack / "methods.html").exists()
    overview = (pack / "html" / "county-overview.html").read_text()
    assert re.search(r'<a href="\.\./definitions/[\w-]+\.html">', overview)


def test_methods_page_names_every_method_with_a_reference(pack):
    page = (pack / "methods.html").read_text()
    for name in ("Wilson", "Byar", "Dobson", "Slope index of inequality", "Recent trend"):
        assert name in page, name
    assert page.count("Reference:") >= 8


def test_index_has_release_next_release_and_what_changed(pack):
    index = (pack / "index.html").read_text()
    assert re.search(r"Released \d{1,2} \w+ \d{4}\. Next release: \d{1,2} \w+ \d{4}", index)
    assert "What changed since the last pack" in index and "first release" in index
    manifest = json.loads((pack / "manifest.json").read_text())
    contents = manifest["build"]["contents"]
    assert contents and all(isinstance(p, dict) and p for p in contents.values())
    assert "definitions/index.html" in manifest["files"] and "accessibility.html" in manifest["files"]


def test_what_changed_reports_new_periods_revisions_and_new_indicators():
    from observatory.present.pages import what_changed

    before = {"a": {"2023": "x1"}, "b": {"2023": "y1"}}
    now = {"a": {"2023": "x1", "2024": "x2"}, "b": {"2023": "y9"}, "c": {"2024": "z"}}
    c = what_changed(now, before, {"a": "Alpha", "b": "Beta", "c": "Gamma"}, ["Beta: 2023 recomputed"])
    assert c["new"] == ["Gamma"] and c["periods"] == ["Alpha: 2024"] and c["revised"] == ["Beta: 2023"]
    assert c["corrections"] == ["Beta: 2023 recomputed"]


def test_every_page_has_the_accessibility_footer(pack):
    pages = [*(pack / "html").glob("*.html"), *(pack / "definitions").glob("*.html"), pack / "index.html", pack / "methods.html"]
    for page in pages:
        text = page.read_text()
        assert re.search(r'<footer\b.*href="(\.\./)?accessibility\.html"', text, flags=re.S), page.name
    statement = (pack / "accessibility.html").read_text()
    assert "WCAG" in statement and "2.2" in statement and "table" in statement and "contact" in statement.lower()


def _links_resolve(page: Path, html: str, pattern: str) -> list[str]:
    """The hrefs in ``html`` matching ``pattern``; each must name a file of the pack, relative to ``page``."""
    hrefs = re.findall(pattern, html)
    for href in hrefs:
        assert (page.parent / href).resolve().is_file(), f"{page.name}: {href}"
    return hrefs


def test_the_exported_catalogue_page_has_the_pack_footer(pack):
    page = pack / "catalogue" / "catalogue.html"
    html = page.read_text()
    footer = re.search(r"<footer\b.*?</footer>", html, flags=re.S)
    assert footer, "catalogue.html has the pack's footer"
    hrefs = _links_resolve(page, footer.group(0), r'href="([^"]+)"')
    assert hrefs == ["../accessibility.html", "../methods.html", "../definitions/index.html"]


def test_every_exception_row_links_to_its_indicators_definition(pack):
    reports = sorted((pack / "html").glob("exceptions-*.html"))
    assert reports
    linked = 0
    for page in reports:
        for t in re.findall(r"<table[^>]*>(.*?)</table>", page.read_text(), flags=re.S):
            heads = re.findall(r"<th[^>]*>(.*?)</th>", t)
            if "Indicator" not in heads:
                continue
            for row in re.findall(r"<tr>(.*?)</tr>", t.split("</thead>", 1)[1], flags=re.S):
                cell = re.findall(r"<td>(.*?)</td>", row, flags=re.S)[heads.index("Indicator")]
                assert re.fullmatch(r'<a href="\.\./definitions/[\w-]+\.html">[^<]+</a>', cell), f"{page.name}: {cell}"
                _links_resolve(page, cell, r'href="([^"]+)"')
                linked += 1
    assert linked > 0  # some levels have no exception this quarter


def test_workbook_follows_the_analysis_function_guidance(pack):
    xlsx = pack / "downloads" / "profile-ZL01.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[:3] == ["Cover", "Contents", "Notes"] and "data" in wb.sheetnames
    cover = " ".join(str(c.value) for row in wb["Cover"].iter_rows() for c in row if c.value)
    for words in ("Source", "Released", "Next release", "Contact"):
        assert words in cover, words
    data = pd.read_excel(xlsx, sheet_name="data", header=3)
    figures = data[["value", "lower95", "upper95"]].astype(str)
    assert not data[["value", "lower95", "upper95"]].isna().any().any(), "no blank figure cells"
    hidden = data["suppressed"].astype(str).str.lower() == "true"
    assert hidden.any(), "the demo has suppressed rows"
    assert (figures[hidden] == "[c]").all().all()


def test_csv_is_unchanged_and_described_by_csvw(pack):
    csv = pack / "downloads" / "profile-ZL01.csv"
    frame = pd.read_csv(csv)
    hidden = frame["suppressed"].astype(bool)
    assert frame.loc[hidden, "value"].isna().all(), "suppressed cells stay empty in the CSV"
    meta = json.loads((pack / "downloads" / "profile-ZL01.csv-metadata.json").read_text())
    assert meta["@context"] == "http://www.w3.org/ns/csvw"
    table = meta["tables"][0]
    assert table["url"] == "profile-ZL01.csv" and table["dc:license"]
    assert [c["titles"] for c in table["tableSchema"]["columns"]] == list(frame.columns)
    types = {c["titles"]: c["datatype"] for c in table["tableSchema"]["columns"]}
    assert types["value"] == "number" and types["indicator_id"] == "string"
    assert any("[c]" in n["dc:description"] for n in table["notes"])
    assert (pack / "catalogue" / "catalogue.csv-metadata.json").exists()


def test_nothing_internal_is_published(pack):
    problems = []
    pages = [p for p in pack.rglob("*.html")]
    assert len(pages) > 30
    for page in pages:
        text = _visible(page.read_text())
        text = re.sub(r'<a href="[^"]*\.ipynb">[^<]*</a>', "", text)  # the executed-notebook links
        for pattern in INTERNAL:
            if m := pattern.search(text):
                problems.append(f"{page.relative_to(pack)}: {m.group(0)!r}")
        if ".ipynb" in text:
            problems.append(f"{page.relative_to(pack)}: .ipynb")
    manifest = (pack / "manifest.json").read_text()
    assert str(pack) not in manifest and str(Path.home()) + "/" not in manifest
    assert problems == []


def test_pack_contents_change_only_where_a_figure_changed():
    """The manifest's contents (what next quarter's "what changed" diffs): one digest per indicator and period,
    the same whatever the rows' order, changed by a revised figure in that period only."""
    from types import SimpleNamespace

    from observatory.present.pages import data_contents

    rows = pd.DataFrame(
        {
            "indicator_id": ["a", "a", "a", "b", "b", "hidden"],
            "area_code": ["E1", "E2", "E1", "E1", "E2", "E1"],
            "period": ["2023", "2023", "2024", "2023", "2023", "2023"],
            "sex": ["Persons"] * 6,
            "age": ["All ages"] * 6,
            "category": [""] * 6,
            "numerator": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "denominator": [10.0] * 6,
            "value": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        }
    )

    def contents(frame):
        store = SimpleNamespace(exists=lambda: True, read=lambda columns: frame[columns])
        return data_contents(store, {"a", "b"})

    base = contents(rows)
    assert {k: sorted(v) for k, v in base.items()} == {"a": ["2023", "2024"], "b": ["2023"]}
    assert contents(rows.iloc[::-1].reset_index(drop=True)) == base
    revised = rows.copy()
    revised.loc[1, "value"] = 21.0  # a, 2023, E2
    changed = contents(revised)
    assert changed["a"]["2023"] != base["a"]["2023"]
    assert changed["a"]["2024"] == base["a"]["2024"] and changed["b"] == base["b"]
    assert data_contents(SimpleNamespace(exists=lambda: False), {"a"}) == {}
