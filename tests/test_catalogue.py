"""The information-sharing-charter catalogue: validation and its failure modes, audience rules, review flags,
the HTML/CSV/DCAT exports, the search widget, the notebook and the command."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from observatory.config import load_config
from observatory.metadata import catalogue as cat
from observatory.present import catalogue_page

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "warwickshire"
PARTNERS = {p["id"]: p for p in yaml.safe_load((ROOT / "data" / "partners.yaml").read_text())}
CSV_HEADER = [
    "id",
    "title",
    "description",
    "partner",
    "partner_name",
    "partner_type",
    "synthetic",
    "classification",
    "audience",
    "named_partners",
    "access",
    "available",
    "themes",
    "indicators",
    "also_supplies",
    "geography_level",
    "geography_vintage",
    "time_coverage",
    "update_frequency",
    "last_received",
    "next_review",
    "review_overdue",
    "refresh_overdue",
    "licence",
    "licence_url",
    "attribution",
    "source",
    "source_url",
    "lawful_basis",
    "agreement",
    "personal_data",
    "retention",
    "steward",
    "contact",
    "dpia",
    "quality_notes",
]


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, f"fixture text {old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, count))


def _cat(old: str, new: str):
    """A mutation of the mini catalogue: replace ``old`` by ``new`` in catalogue.yaml."""
    return lambda folder: _edit(folder / "catalogue.yaml", old, new)


def _record_block(folder: Path, rid: str) -> tuple[int, int]:
    """First and last line (1-based) of a record in the mini catalogue."""
    lines = (folder / "catalogue.yaml").read_text().splitlines()
    start = lines.index(f"- id: {rid}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("- id:")), len(lines))
    return start, end


# ---- validation --------------------------------------------------------------------------------


def test_mini_catalogue_validates(mini_config):
    assert cat.validate_catalogue(load_config(mini_config)).problems == []


def _unknown_indicator(f: Path):
    (f / "indicators.csv").write_text(
        (f / "indicators.csv").read_text() + "orphan,Orphan,safer_communities,%,proportion,100,low_is_good,mini-orphan,annual,x\n"
    )


FAILURES = {
    # name: (mutation, column, words in the reason)
    "indicator without a record": (_unknown_indicator, "dataset", ["orphan", "'mini-orphan' has no catalogue record"]),
    "record names a missing indicator": (
        _cat("indicators: [crime]", "indicators: [crime, burglary]"),
        "indicators",
        ["mini-police", "'burglary' does not exist"],
    ),
    "record omits its indicator": (
        _cat("indicators: [smoking, population]", "indicators: [smoking]"),
        "indicators",
        ["mini-survey", "does not list indicator 'population'"],
    ),
    "record claims another dataset's indicator": (
        _cat("indicators: [imd_score]", "indicators: [imd_score, crime]"),
        "indicators",
        ["'crime' names dataset 'mini-police'"],
    ),
    "missing required field": (
        _cat(
            "  licence: Open Government Licence v3.0\n  attribution: Test attribution for mini-police",
            "  attribution: Test attribution for mini-police",
        ),
        "licence",
        ["mini-police", "required field 'licence'"],
    ),
    "empty required field": (
        _cat("  steward: Test Steward\n", "  steward: ''\n"),
        "steward",
        ["mini-survey", "required field 'steward'"],
    ),
    "unknown partner": (_cat("partner: warks-police", "partner: nobody"), "partner", ["'nobody' is not in the partner register"]),
    "bad classification": (
        _cat("classification: OFFICIAL\n", "classification: SECRET\n"),
        "classification",
        ["'SECRET' is not one of open, OFFICIAL, OFFICIAL-SENSITIVE"],
    ),
    "bad audience": (
        _cat("audience: partners", "audience: everyone"),
        "audience",
        ["'everyone' is not one of public, partners, named partners"],
    ),
    "named partners without a list": (
        _cat("audience: partners", "audience: named partners"),
        "named_partners",
        ["needs a named_partners list"],
    ),
    "unknown named partner": (
        _cat("audience: partners", "audience: named partners\n  named_partners: [wcc, ghost]"),
        "named_partners",
        ["named partner 'ghost'"],
    ),
    "sensitive data for the public": (
        _cat("classification: open", "classification: OFFICIAL-SENSITIVE"),
        "audience",
        ["OFFICIAL-SENSITIVE data cannot have a public audience"],
    ),
    "impossible date": (
        _cat("next_review: 2027-01-15", "next_review: 2027-02-30"),
        "next_review",
        ["mini-survey", "'2027-02-30' is not a date"],
    ),
    "date in the wrong format": (
        _cat("last_received: 2026-01-15", "last_received: 15/01/2026"),
        "last_received",
        ["'15/01/2026' is not a date"],
    ),
    "bad update frequency": (
        _cat("update_frequency: annual", "update_frequency: yearly"),
        "update_frequency",
        ["'yearly' is not one of"],
    ),
    "personal data without a DPIA": (
        _cat("personal_data: false", "personal_data: true"),
        "dpia",
        ["personal data needs a DPIA reference"],
    ),
    "personal data not a boolean": (
        _cat("personal_data: false", "personal_data: maybe"),
        "personal_data",
        ["must be true or false"],
    ),
    "misspelt field": (
        _cat("  retention: 5 years\n", "  retention: 5 years\n  retension: 6 years\n"),
        "retension",
        ["unknown field 'retension'"],
    ),
    "duplicate id": (
        _cat("- id: mini-imd\n  title: mini-imd (test)", "- id: mini-survey\n  title: mini-imd (test)"),
        "id",
        ["'mini-survey' is also record 1"],
    ),
    "source without a record": (
        lambda f: _edit(f / "config.yaml", "dataset: mini-survey}", "dataset: mini-census}"),
        "sources",
        ["source values", "'mini-census' has no catalogue record"],
    ),
    "synthetic partner, record not marked": (
        _cat("partner: warks-police", "partner: demo-police"),
        "synthetic",
        ["'demo-police' is synthetic"],
    ),
    "synthetic record in a real configuration": (
        lambda f: (
            _edit(f / "config.yaml", "synthetic: true", "synthetic: false"),
            _edit(f / "catalogue.yaml", "  retention: 5 years\n", "  retention: 5 years\n  synthetic: true\n"),
        ),
        "synthetic",
        ["a synthetic record in the real configuration 'mini'"],
    ),
}


FAILURE_CODES = {
    "indicator without a record": "unknown-dataset",
    "record names a missing indicator": "unknown-indicator",
    "record omits its indicator": "indicator-not-listed",
    "record claims another dataset's indicator": "indicator-of-other-dataset",
    "missing required field": "missing-field",
    "empty required field": "missing-field",
    "unknown partner": "unknown-partner",
    "bad classification": "unknown-classification",
    "bad audience": "unknown-audience",
    "named partners without a list": "named-partners-missing",
    "unknown named partner": "unknown-named-partner",
    "sensitive data for the public": "sensitive-data-public",
    "impossible date": "bad-date",
    "date in the wrong format": "bad-date",
    "bad update frequency": "unknown-frequency",
    "personal data without a DPIA": "dpia-missing",
    "personal data not a boolean": "not-boolean",
    "misspelt field": "unknown-field",
    "duplicate id": "duplicate-dataset",
    "source without a record": "unknown-dataset",
    "synthetic partner, record not marked": "synthetic-not-marked",
    "synthetic record in a real configuration": "synthetic-in-real-config",
}
"""The stable code each failure is reported with."""


@pytest.mark.parametrize("name", list(FAILURES))
def test_each_failure_is_reported_with_its_code_column_and_reason(mini_config, name):
    (mutate, column, words), code = FAILURES[name], FAILURE_CODES[name]
    mutate(mini_config)
    report = cat.validate_catalogue(load_config(mini_config))
    hits = [p for p in report if p.code == code and p.column == column]
    assert hits, f"expected a {code!r} problem in column {column!r}; got:\n{report}"
    assert any(all(w in p.reason for w in words) for p in hits), f"the reason should name {words}; got:\n{report}"


def test_restricted_dataset_needs_a_sharing_agreement(mini_config):
    basis = "audience: partners\n  lawful_basis: Public task (UK GDPR Art. 6(1)(e))\n  agreement: "
    _edit(mini_config / "catalogue.yaml", basis + "Test information-sharing charter", basis + "None needed; open licence")
    (problem,) = cat.validate_catalogue(load_config(mini_config)).problems
    assert (problem.code, problem.column) == ("restricted-without-agreement", "agreement") and "mini-police" in problem.reason


def test_every_update_frequency_has_a_refresh_interval():
    from observatory._core.vocab import FREQUENCIES

    assert set(cat.REFRESH_DAYS) == set(FREQUENCIES)


def test_problem_rows_are_lines_of_the_yaml_file(mini_config):
    _edit(mini_config / "catalogue.yaml", "partner: warks-police", "partner: nobody")
    start, end = _record_block(mini_config, "mini-police")
    expected = start + (mini_config / "catalogue.yaml").read_text().splitlines()[start - 1 : end].index("  partner: nobody")
    (problem,) = [p for p in cat.validate_catalogue(load_config(mini_config)) if p.column == "partner"]
    assert problem.row == expected and problem.file == "catalogue.yaml"


def test_invalid_yaml_is_a_problem_not_a_crash(mini_config):
    (mini_config / "catalogue.yaml").write_text("- id: x\n  title: [unclosed\n")
    report = cat.validate_catalogue(load_config(mini_config))
    assert report.codes == {"invalid-yaml"} and len(report) == 1 and "not valid YAML" in report.problems[0].reason


def test_load_catalogue_raises_with_every_problem(mini_config):
    _edit(mini_config / "catalogue.yaml", "partner: warks-police", "partner: nobody")
    _edit(mini_config / "catalogue.yaml", "audience: partners", "audience: everyone")
    with pytest.raises(cat.ValidationError) as e:
        cat.load_catalogue(load_config(mini_config))
    assert {p.column for p in e.value.report} == {"partner", "audience"}
    assert e.value.report.codes == {"unknown-partner", "unknown-audience"}


# ---- the real catalogues -----------------------------------------------------------------------


def _datasets_used(folder: Path) -> set[str]:
    """Dataset ids named by the indicators and the sources, read without the observatory's code."""
    with open(folder / "indicators.csv", encoding="utf-8-sig") as f:
        used = {row["dataset"] for row in csv.DictReader(f)}
    config = yaml.safe_load((folder / "config.yaml").read_text())
    sources = config["sources"]
    if isinstance(sources, str):
        sources = yaml.safe_load((folder / sources).read_text())
    return used | {s["dataset"] for s in sources}


def _check_real(name: str) -> list[dict]:
    folder = ROOT / "data" / name
    assert cat.validate_catalogue(load_config(name)).problems == []
    records = yaml.safe_load((folder / "catalogue.yaml").read_text())
    assert _datasets_used(folder) <= {r["id"] for r in records}
    known = set(cat.LICENCE_URLS.values())
    for r in records:
        assert set(cat.REQUIRED) <= set(r), r["id"]
        assert r.get("licence_url") in (None, *known), r["id"]
    return records


@pytest.mark.warwickshire
def test_warwickshire_catalogue_is_complete_and_licensed():
    if not SHARED.exists():
        pytest.skip(f"real Warwickshire bundle not found at {SHARED}")
    records = {r["id"]: r for r in _check_real("warwickshire")}
    assert not any(r.get("synthetic") for r in records.values())
    assert not any(PARTNERS[r["partner"]].get("synthetic") for r in records.values())
    provenance = (SHARED / "PROVENANCE.md").read_text()
    for r in records.values():
        for f in r.get("files", []):
            assert f.split("/")[-1] in provenance, f"{r['id']}: {f} is not in PROVENANCE.md"
            assert (SHARED / f).exists(), f
    ogl = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert records["ons-boundaries-2011"]["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "© Crown copyright" in records["ons-boundaries-2011"]["attribution"]
    assert "Open Parliament Licence" in records["hocl-msoa-names"]["licence"]
    assert all(records[r]["licence_url"] == ogl for r in records if r.startswith(("ons-census", "ohid-", "mhclg-", "ons-sape")))
    assert {"ons-ruc2011", "ons-ruc2021", "ons-boundaries-2021", "ons-lookups"} <= set(records)


@pytest.mark.skipif(not (DEMO / "config.yaml").exists(), reason="data/demo not generated")
def test_demo_catalogue_is_complete_synthetic_and_partly_restricted():
    records = _check_real("demo")
    assert all(r.get("synthetic") is True and r["partner"].startswith("demo-") for r in records)
    restricted = {r["id"]: r for r in records if r["audience"] != "public"}
    assert restricted and all(r["classification"] != "open" for r in restricted.values())
    assert {r["audience"] for r in restricted.values()} == {"partners", "named partners"}


# ---- audience rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record_audience, named, audience, allowed",
    [
        ("public", [], "public", True),
        ("public", [], "partners", True),
        ("public", [], "partner:wcc", True),
        ("partners", [], "public", False),
        ("partners", [], "partners", True),
        ("partners", [], "partner:nbbc", True),
        ("named partners", ["wcc"], "public", False),
        ("named partners", ["wcc"], "partners", False),
        ("named partners", ["wcc"], "partner:wcc", True),
        ("named partners", ["wcc"], "partner:nbbc", False),
        ("named partners", [], "partner:wcc", False),
    ],
)
def test_audience_allows(record_audience, named, audience, allowed):
    assert cat.audience_allows(record_audience, named, audience) is allowed


@pytest.mark.parametrize(
    "audience, expected",
    [
        ("public", {"mini-survey", "mini-imd"}),
        ("partners", {"mini-survey", "mini-imd", "mini-police"}),
        ("partner:wcc", {"mini-survey", "mini-imd", "mini-police", "mini-health"}),
        ("partner:nbbc", {"mini-survey", "mini-imd", "mini-police"}),
        ("partner:cw-icb", {"mini-survey", "mini-imd", "mini-police", "mini-health"}),  # the sharing partner itself
    ],
)
def test_allowed_datasets_by_audience(mini_config, audience, expected):
    _add_named_record(mini_config)
    assert cat.allowed_datasets(load_config(mini_config), audience) == expected


@pytest.mark.parametrize(
    "audience, expected",
    [
        ("public", {"smoking", "population", "imd_score"}),
        ("partners", {"smoking", "population", "imd_score", "crime"}),
        ("partner:warks-police", {"smoking", "population", "imd_score", "crime"}),
    ],
)
def test_visible_indicators_by_audience(mini_config, audience, expected):
    assert cat.visible_indicators(load_config(mini_config), audience) == expected


def test_an_indicator_supplied_by_a_withheld_dataset_is_not_visible(mini_config):
    """Even in a catalogue that fails validation, a restricted supplier's periods never reach the public."""
    _edit(mini_config / "catalogue.yaml", "  indicators: [crime]\n", "  indicators: [crime]\n  also_supplies: [imd_score]\n")
    cfg = load_config(mini_config)
    assert "supplier-audience-narrower" in cat.validate_catalogue(cfg).codes
    assert cat.visible_indicators(cfg, "public") == {"smoking", "population"}
    assert "imd_score" in cat.visible_indicators(cfg, "partners")


@pytest.mark.parametrize("audience", ["everyone", "partner:", "partner:ghost", "Public"])
def test_unknown_audiences_are_refused(audience):
    with pytest.raises(ValueError, match="audience"):
        cat.check_audience(audience)


def _add_named_record(folder: Path) -> None:
    """A fourth dataset shared by the ICB with the county council only."""
    from conftest import _record  # the fixture's own record template

    text = _record("mini-health", "cw-icb", "named partners", [], "OFFICIAL-SENSITIVE")
    text = text.replace("  audience: named partners\n", "  audience: named partners\n  named_partners: [wcc]\n")
    (folder / "catalogue.yaml").write_text((folder / "catalogue.yaml").read_text() + text)


# ---- review flags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frequency, last_received, today, overdue",
    [
        ("annual", "2025-01-01", "2026-03-31", False),  # 454 days: within a year plus the lag
        ("annual", "2025-01-01", "2026-04-03", True),  # 457 days
        ("quarterly", "2026-01-01", "2026-05-17", False),  # 136 days
        ("quarterly", "2026-01-01", "2026-05-19", True),  # 138 days
        ("irregular", "2000-01-01", "2026-01-01", False),
        ("one-off", "2000-01-01", "2026-01-01", False),
    ],
)
def test_refresh_overdue(frequency, last_received, today, overdue):
    import pandas as pd

    frame = pd.DataFrame({"next_review": ["2099-01-01"], "last_received": [last_received], "update_frequency": [frequency]})
    flags = cat.review_flags(frame, dt.date.fromisoformat(today))
    assert flags["refresh_overdue"].tolist() == [overdue] and flags["review_overdue"].tolist() == [False]


def test_review_overdue_the_day_after_next_review():
    import pandas as pd

    frame = pd.DataFrame({"next_review": ["2026-06-30"], "last_received": ["2026-06-01"], "update_frequency": ["annual"]})
    assert not cat.review_flags(frame, "2026-06-30")["review_overdue"].item()
    assert cat.review_flags(frame, "2026-07-01")["review_overdue"].item()


# ---- exports -----------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Rows (data attributes), selects with their options, scripts and external references of a page."""

    def __init__(self):
        super().__init__()
        self.rows, self.selects, self.scripts, self.external = {}, {}, 0, []
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-id" in a:
            self.rows[a["data-id"]] = a
        if tag == "select":
            self._select = a["id"]
            self.selects[self._select] = []
        if tag == "option" and self._select:
            self.selects[self._select].append(a["value"])
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http://", "https://", "//")) and tag in ("script", "link", "img"):
                self.external.append(a[k])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _row_html(page: str, rid: str) -> str:
    start = page.index(f'<tr data-id="{rid}"')
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def mini_built(mini_config, tmp_path):
    start, end = _record_block(mini_config, "mini-imd")
    lines = (mini_config / "catalogue.yaml").read_text().splitlines()
    lines[start - 1 : end] = [
        line.replace("next_review: 2027-01-15", "next_review: 2028-01-15") for line in lines[start - 1 : end]
    ]
    (mini_config / "catalogue.yaml").write_text("\n".join(lines) + "\n")
    cfg = load_config(mini_config)
    return cfg, catalogue_page.build_catalogue(cfg, tmp_path / "partners", "partners", today=dt.date(2027, 2, 1))


def test_html_has_filters_and_flags_overdue_records(mini_built):
    cfg, paths = mini_built
    page = paths["html"].read_text()
    p = _Page()
    p.feed(page)
    assert set(p.rows) == {"mini-survey", "mini-police", "mini-imd"}
    assert p.selects["obs-partner"] == ["", "mhclg", "wcc", "warks-police"]  # by partner name
    assert p.selects["obs-theme"] == ["", "safer_communities", "stronger_communities", "healthier_communities_older_people"]
    assert p.selects["obs-classification"] == ["", "open", "OFFICIAL"]
    assert p.scripts == 1 and p.external == [] and "<link" not in page
    # next_review 2027-01-15 has passed on 2027-02-01 for two records; mini-imd's is in 2028
    assert {rid for rid, a in p.rows.items() if a["data-flagged"] == "1"} == {"mini-survey", "mini-police"}
    assert "review overdue" in _row_html(page, "mini-survey") and "overdue" not in _row_html(page, "mini-imd")
    assert p.rows["mini-police"]["data-partner"] == "warks-police"
    assert p.rows["mini-survey"]["data-themes"] == "stronger_communities healthier_communities_older_people"
    assert "smoking" in p.rows["mini-survey"]["data-text"] and "warwickshire police" in p.rows["mini-police"]["data-text"]


def test_public_catalogue_leaves_out_what_the_public_may_not_use(mini_built, tmp_path):
    cfg, partners = mini_built
    public = catalogue_page.build_catalogue(cfg, tmp_path / "public", "public", today=dt.date(2027, 2, 1))
    for kind in ("html", "csv", "jsonld"):
        text = public[kind].read_text()
        for secret in ("mini-police", "Test attribution for mini-police", "warks-police", "crime"):
            assert secret not in text, (kind, secret)  # not its id, title, terms, partner or indicator ids
        assert "mini-police" in partners[kind].read_text(), kind
    page = public["html"].read_text()
    assert "1 further dataset is shared under the charter with a narrower audience" in page
    survey = _row_html(page, "mini-survey")
    assert "steward@example.org" in survey and "Test Steward" in survey and "Public task" in survey


def test_refresh_flag_after_the_update_interval(mini_config, tmp_path):
    paths = catalogue_page.build_catalogue(load_config(mini_config), tmp_path, "public", today="2027-06-01")
    rows = list(csv.DictReader(open(paths["csv"])))
    assert all(r["refresh_overdue"] == "True" for r in rows)  # annual, last received 2026-01-15: 502 days


def test_csv_columns(mini_built, tmp_path):
    cfg, paths = mini_built
    with open(paths["csv"], newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == CSV_HEADER
        partners = {r["id"]: r for r in reader}
    assert partners["mini-police"]["contact"] == "steward@example.org"
    assert partners["mini-police"]["access"] == "charter partners only"
    assert partners["mini-survey"]["indicators"] == "smoking; population"
    assert partners["mini-survey"]["licence_url"] == "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    public = catalogue_page.build_catalogue(cfg, tmp_path / "public", "public", today="2027-02-01")
    with open(public["csv"], newline="") as f:
        assert {r["id"] for r in csv.DictReader(f)} == {"mini-survey", "mini-imd"}


def _graph(path: Path):
    rdflib = pytest.importorskip("rdflib")
    return rdflib, rdflib.Graph().parse(path, format="json-ld")


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_jsonld_is_a_dcat_catalogue(mini_built):
    cfg, paths = mini_built
    rdflib, g = _graph(paths["jsonld"])
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

    records = {r["id"]: r for r in yaml.safe_load((cfg.dir / "catalogue.yaml").read_text())}
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(records) == 3
    (catalogue,) = g.subjects(RDF.type, DCAT.Catalog)
    assert set(g.objects(catalogue, DCAT.dataset)) == datasets
    for ds in datasets:
        rid = str(g.value(ds, DCTERMS.identifier))
        r = records[rid]
        assert str(g.value(ds, DCTERMS.title)) == r["title"]
        publisher = g.value(ds, DCTERMS.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in g
        assert str(g.value(publisher, FOAF.name)) == PARTNERS[r["partner"]]["name"]
        assert g.value(ds, DCTERMS.license) is not None
        modified = g.value(ds, DCTERMS.modified)
        assert modified.datatype == XSD.date and str(modified) == str(r["last_received"])
        assert g.value(ds, DCAT.contactPoint) is not None, rid  # every dataset this audience may use
    ogl = rdflib.URIRef("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
    assert len(set(g.subjects(DCTERMS.license, ogl))) == 3
    review = rdflib.URIRef(cat.OBS + "nextReview")
    assert {str(o) for o in g.objects(None, review)} == {"2027-01-15", "2028-01-15"}


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.skipif(not (DEMO / "config.yaml").exists(), reason="data/demo not generated")
def test_demo_jsonld_parses_with_every_record(tmp_path):
    paths = catalogue_page.build_catalogue("demo", tmp_path, "public", today="2026-11-22")
    _rdflib, g = _graph(paths["jsonld"])
    from rdflib.namespace import DCAT, RDF

    records = yaml.safe_load((DEMO / "catalogue.yaml").read_text())
    records = records["datasets"] if isinstance(records, dict) else records
    public = {r["id"] for r in records if r["audience"] == "public"}
    assert 0 < len(public) < len(records)
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == len(public)
    doc = json.loads(paths["jsonld"].read_text())
    assert {d["dct:identifier"] for d in doc["dcat:dataset"]} == public  # restricted records are left out


# ---- attribution -------------------------------------------------------------------------------


def test_attributions_and_their_file(mini_config, tmp_path):
    cfg = load_config(mini_config)
    assert cat.attributions(cfg, {"mini-survey", "mini-imd"}) == [
        "mini-survey (test): Test attribution for mini-survey. Licence: Open Government Licence v3.0.",
        "mini-imd (test): Test attribution for mini-imd. Licence: Open Government Licence v3.0.",
    ]
    path = cat.write_attributions(tmp_path / "downloads" / "attribution.csv", cfg, ["mini-police"])
    rows = list(csv.DictReader(open(path)))
    assert [(r["dataset"], r["partner"]) for r in rows] == [("mini-police", "Warwickshire Police")]


# ---- filtering and the dashboard widget ----------------------------------------------------------


def test_filter_catalogue(mini_config):
    frame = cat.catalogue_frame(load_config(mini_config), "partners", today="2027-02-01")
    assert set(cat.filter_catalogue(frame, partner="mhclg")["id"]) == {"mini-imd"}
    assert set(cat.filter_catalogue(frame, theme="safer_communities")["id"]) == {"mini-police"}
    assert set(cat.filter_catalogue(frame, classification="open")["id"]) == {"mini-survey", "mini-imd"}
    assert set(cat.filter_catalogue(frame, text="SMOKING")["id"]) == {"mini-survey"}
    assert set(cat.filter_catalogue(frame, text="healthier")["id"]) == {"mini-survey"}  # theme titles are searched
    assert set(cat.filter_catalogue(frame, flagged_only=True)["id"]) == {"mini-survey", "mini-police", "mini-imd"}
    assert cat.filter_catalogue(frame, partner="wcc", classification="OFFICIAL").empty


def test_widget_redraws_its_html_table(mini_config):
    pytest.importorskip("ipywidgets")
    import ipywidgets as w

    box = catalogue_page.catalogue_widget(load_config(mini_config), "partners", today="2027-02-01")
    assert isinstance(box.table, w.HTML)
    assert all(f'data-id="{r}"' in box.table.value for r in ("mini-survey", "mini-police", "mini-imd"))
    box.controls["partner"].value = "warks-police"
    assert 'data-id="mini-police"' in box.table.value and 'data-id="mini-survey"' not in box.table.value
    box.controls["partner"].value = ""
    box.controls["text"].value = "imd"
    assert re.findall(r'data-id="([^"]+)"', box.table.value) == ["mini-imd"]


def test_dashboard_notebook_uses_the_widget():
    nb = json.loads((ROOT / "dashboards" / "catalogue.ipynb").read_text())
    source = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "catalogue_widget(config, audience)" in source and "Output(" not in source


# ---- the command and the plan's inputs ---------------------------------------------------------------


def _cli():
    import typer

    from observatory.cli import catalogue as command

    app = typer.Typer()
    app.command()(command.command)
    return app


def test_command_fails_with_the_problems_table(mini_config, tmp_path):
    from typer.testing import CliRunner

    _edit(mini_config / "catalogue.yaml", "partner: warks-police", "partner: nobody")
    result = CliRunner().invoke(_cli(), ["--config", str(mini_config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "nobody" in result.output and "problem" in result.output and "unknown-partner" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--audience", "everyone"], ["--today", "2026-02-30"]])
def test_command_refuses_a_bad_audience_or_date(mini_config, tmp_path, args):
    from typer.testing import CliRunner

    result = CliRunner().invoke(_cli(), ["--config", str(mini_config), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and "catalogue failed" in result.output
    assert not (tmp_path / "out").exists()


def test_command_writes_the_page_and_exports(mini_config, tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "catalogue"
    result = CliRunner().invoke(
        _cli(), ["--config", str(mini_config), "--out", str(out), "--audience", "partners", "--today", "2027-02-01"]
    )
    assert result.exit_code == 0, result.output
    assert "catalogue of" in result.output and "for audience partners" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "catalogue.csv",
        "catalogue.csv-metadata.json",
        "catalogue.html",
        "catalogue.jsonld",
    ]
    page = (out / "catalogue.html").read_text()
    assert "data catalogue" in page and "charter partners only" in page and "review overdue" in page
    assert not re.search(r"<script[^>]* src=", page)  # nothing loaded from elsewhere
    doc = json.loads((out / "catalogue.jsonld").read_text())
    assert doc["obs:audience"] == "partners" and doc["dct:issued"]["@value"] == "2027-02-01"


def test_page_has_the_one_synthetic_banner(mini_config, tmp_path):
    page = page_of(mini_config, tmp_path)
    assert page.count('class="obs-synthetic"') == 1 and page.startswith("<!DOCTYPE html>")


def page_of(folder: Path, out: Path) -> str:
    return catalogue_page.build_catalogue(load_config(folder), out, "public", today="2027-02-01")["html"].read_text()


def test_csv_export_neutralises_formulas(mini_config, tmp_path):
    _edit(mini_config / "catalogue.yaml", "  title: mini-survey (test)", "  title: '=HYPERLINK(\"http://x\")'")
    paths = catalogue_page.build_catalogue(load_config(mini_config), tmp_path, "public", today="2027-02-01")
    rows = {r["id"]: r for r in csv.DictReader(open(paths["csv"]))}
    assert rows["mini-survey"]["title"] == '\'=HYPERLINK("http://x")'


def test_catalogue_inputs_are_what_the_page_is_made_from(mini_config):
    cfg = load_config(mini_config)
    inputs = cat.catalogue_inputs(cfg)
    assert [p.name for p in inputs] == ["catalogue.yaml", "partners.yaml", "indicators.csv"]
    assert all(p.exists() for p in inputs)


def test_metadata_has_no_html_and_no_cli():
    source = "".join(p.read_text() for p in (ROOT / "observatory" / "metadata").rglob("*.py"))
    assert "<table" not in source and "<div" not in source and "import typer" not in source and "rich" not in source
    assert "observatory.publish" not in source
    assert "observatory.present" not in source.replace(":mod:`observatory.present.catalogue_page`", "")


def test_a_dataset_supplying_earlier_periods_is_attributed_and_no_more_restricted(mini_config):
    _edit(mini_config / "catalogue.yaml", "  indicators: [crime]\n", "  indicators: [crime]\n  also_supplies: [imd_score]\n")
    cfg = load_config(mini_config)
    assert cat.supplying_datasets(cfg, ["imd_score"]) == {"mini-imd", "mini-police"}
    assert cat.supplying_datasets(cfg, ["smoking"]) == {"mini-survey"}
    (problem,) = cat.validate_catalogue(cfg).problems
    assert problem.code == "supplier-audience-narrower" and problem.column == "also_supplies"
    assert "shown to audience 'public'" in problem.reason
    _edit(mini_config / "catalogue.yaml", "audience: partners", "audience: public")
    assert cat.validate_catalogue(load_config(mini_config)).problems == []
