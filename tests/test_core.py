"""The bottom layer: one vocabulary each (GSS prefixes, markers, numbers), digests, atomic writes, formulas."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pandera.pandas as pa
import pytest

from observatory._core import vocab
from observatory._core.digests import digest_files, sha256_file, sha256_json
from observatory._core.files import write_atomic
from observatory._core.markers import is_missing, is_suppressed
from observatory._core.numbers import format_number, is_number
from observatory._core.spreadsheets import looks_like_formula, neutralise, safe_frame
from observatory._core.tables import check_frame

# The ONS code register's entity prefixes (Register of Geographic Codes) and the level each takes here.
REGISTER = [
    ("E01000001", "lsoa"),
    ("E02000001", "msoa"),
    ("E05000026", "ward"),
    ("E06000001", "county"),  # Hartlepool: unitary authority, single tier
    ("E07000218", "district"),  # North Warwickshire: non-metropolitan district
    ("E08000025", "county"),  # Birmingham: metropolitan borough, single tier
    ("E09000033", "county"),  # Westminster: London borough, single tier
    ("E10000031", "county"),  # Warwickshire: county
    ("E11000005", "county"),  # West Midlands: metropolitan county
    ("E12000005", "region"),  # West Midlands region
    ("E13000001", "region"),  # Inner London
    ("E92000001", "england"),
]


@pytest.mark.parametrize("code, level", REGISTER)
def test_every_gss_prefix_has_one_level(code, level):
    assert vocab.area_type_of(code) == level
    assert vocab.gss_prefix_types()[code[:3]] == level


def test_single_tier_authorities_are_the_unitary_metropolitan_and_london_ones():
    assert vocab.SINGLE_TIER == {"E06", "E08", "E09"}
    assert {p for p, (_, level) in vocab.GSS_ENTITIES.items() if level == "county"} == {"E06", "E08", "E09", "E10", "E11"}


@pytest.mark.parametrize("code", ["Z07000001", "E99000001", "", "W06000001"])
def test_unknown_prefixes_have_no_level(code):
    assert vocab.area_type_of(code) is None


@pytest.mark.parametrize("text", ["", " ", "NA", "N/A", "n/a", "NaN", "-", "..", ":"])
def test_missing_markers(text):
    assert is_missing(text) and not is_suppressed(text)


@pytest.mark.parametrize("text", ["*", "c", "x", "C", "X", "~", "<5", "< 10"])
def test_suppressed_markers(text):
    assert is_suppressed(text) and not is_missing(text)


@pytest.mark.parametrize(
    "value, kwargs, expected",
    [
        (1234.56, {}, "1,234.6"),
        (-0.01, {}, "0.0"),
        (-0.04, {"decimals": 2}, "-0.04"),
        (0.5, {"decimals": None}, "0.50"),
        (2500, {"decimals": None}, "2,500"),
        (12.345, {"decimals": 2, "unit": "%"}, "12.35%"),
        (None, {}, "–"),
        (float("nan"), {}, "–"),
        (pd.NA, {}, "–"),
        (float("inf"), {"missing": "n/a"}, "n/a"),
    ],
)
def test_format_number(value, kwargs, expected):
    assert format_number(value, **kwargs) == expected


@pytest.mark.parametrize(
    "text, ok", [("12", True), ("-1.5e3", True), (".5", True), ("1,200", False), ("12%", False), ("", False)]
)
def test_strict_numbers(text, ok):
    assert is_number(text) is ok


def test_digests_depend_on_bytes_and_names(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x"), b.write_text("x")
    assert sha256_file(a) == sha256_file(b) == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert digest_files([a]) != digest_files([b]) and digest_files([a], names=False) == digest_files([b], names=False)
    assert digest_files([tmp_path / "missing"]) != digest_files([a])
    assert sha256_json({"a": 1, "b": 2}) == sha256_json({"b": 2, "a": 1})


def test_atomic_write_replaces_whole_files_and_follows_the_umask(tmp_path):
    target = tmp_path / "deep" / "out.json"
    old = os.umask(0o022)
    try:
        write_atomic(target, "first")
        write_atomic(target, lambda p: p.write_text("second"))
    finally:
        os.umask(old)
    assert target.read_text() == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "old")

    def half(path):
        path.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(target, half)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize(
    "text, formula",
    [
        ("=1+1", True),
        ("+SUM(A1)", True),
        ("-2+3", True),
        ("@cmd", True),
        ("\t=x", True),
        ("-3.5", False),
        ("+44", False),
        ("plain", False),
        (3, False),
    ],
)
def test_formula_like_text(text, formula):
    assert looks_like_formula(text) is formula
    assert neutralise(text) == (f"'{text}" if formula else text)


def test_safe_frame_neutralises_text_cells_and_headers_only():
    out = safe_frame(pd.DataFrame({"label": ['=HYPERLINK("x")', "-1", "ok"], "=head": [1.0, -2.0, 3.0]}))
    assert out["label"].tolist() == ['\'=HYPERLINK("x")', "-1", "ok"]
    assert list(out.columns) == ["label", "'=head"] and out["'=head"].tolist() == [1.0, -2.0, 3.0]


def test_table_checks_report_file_row_column_and_code():
    schema = pa.DataFrameSchema(
        {
            "theme": pa.Column(str, pa.Check.isin(["a", "b"], name="unknown-theme", error="theme is not one of a, b")),
            "n": pa.Column(float, pa.Check.ge(0, name="negative-count", error="count is negative"), nullable=True),
        }
    )
    frame = pd.DataFrame({"theme": ["a", "z", "b"], "n": [1.0, -2.0, None], "_row": [7, 8, 9]})
    report = check_frame(frame, schema, "partner.csv")
    assert [(p.file, p.row, p.column, p.code) for p in report] == [
        ("partner.csv", 8, "theme", "unknown-theme"),
        ("partner.csv", 8, "n", "negative-count"),
    ]
    missing = check_frame(frame.drop(columns=["theme", "_row"]), schema, "partner.csv")
    assert ("missing-column", None) in {(p.code, p.row) for p in missing}
    assert {(p.code, p.row) for p in missing if p.column == "n"} == {("negative-count", 3)}


def test_templates_compile_once_per_machine_and_render_the_same(tmp_path):
    """The second process reads the compiled templates the first wrote (in the user's private temporary folder)
    and renders the same page; a changed template is compiled again, not served stale."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        from observatory.present.templating import environment, render
        env = environment()
        env.loader.searchpath.insert(0, r"{folder}")
        print(render("probe.html.j2", name="<b>Area</b>"))
        """
    ).format(folder=tmp_path / "templates")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "probe.html.j2").write_text("<p>{{ name }}</p>\n")
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()

    def page() -> str:
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout

    first = page()
    cached = sorted(p.name for p in (tmp_path / "tmp").rglob("__observatory_*.cache"))
    assert first == page() == "<p>&lt;b&gt;Area&lt;/b&gt;</p>\n"
    assert cached, "the first process keeps its compiled templates"
    (tmp_path / "templates" / "probe.html.j2").write_text("<p>Name: {{ name }}</p>\n")
    assert page() == "<p>Name: &lt;b&gt;Area&lt;/b&gt;</p>\n"


def test_templates_read_dict_fields_as_stock_jinja_does():
    """``row.field`` of a dict: the key's value, dict's own attributes first (``row.items`` is the method even
    when a key is called "items"), objects' attributes as usual, and a missing field an error as before."""
    import jinja2

    from observatory.present.templating import environment

    source = "{{ row.x }}|{{ row.items is callable }}|{{ row['items'] }}|{{ point.x }}|{{ nested.a.b }}"

    class Point:
        x = 3

    context = {"row": {"x": "<1>", "items": 2}, "point": Point(), "nested": {"a": {"b": "c"}}}
    stock = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    ours = environment().from_string(source).render(**context)
    assert ours == stock.from_string(source).render(**context) == "&lt;1&gt;|True|2|3|c"
    for missing in ("{{ row.y }}", "{{ nested.a.z }}"):
        with pytest.raises(jinja2.UndefinedError):
            stock.from_string(missing).render(**context)
        with pytest.raises(jinja2.UndefinedError):
            environment().from_string(missing).render(**context)
