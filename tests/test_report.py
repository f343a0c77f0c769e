"""Profile sections: audience enforcement, disclosure control, headline wording, downloads with attribution."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.present.report import CountyOverview, LocalityProfile, headline
from observatory.store import Store


@pytest.fixture
def mini_store(mini_config, tmp_path):
    cfg = load_config(mini_config)
    # a locality clearly worse for smoking, and a small count that must be suppressed
    extra = tmp_path / "extra.csv"
    rows = ["indicator_id,area_code,period,numerator,denominator"]
    for i, code in enumerate(["Z01000001", "Z01000002", "Z01000003", "Z01000004", "Z01000005", "Z01000006"]):
        num = {0: 90, 1: 95}.get(i, 3 if i == 5 else 20)
        rows.append(f"smoking,{code},2024,{num},200")
    extra.write_text("\n".join(rows) + "\n")
    store = Store(tmp_path / "store")
    ingest(cfg, store, files=[("tidy", extra, {"dataset": "mini-survey"})])
    return cfg, store


def test_public_profile_leaves_out_partner_only_datasets(mini_store):
    cfg, store = mini_store
    public = LocalityProfile(cfg, "ML01", "2025Q3", "public", store.path)
    partners = LocalityProfile(cfg, "ML01", "2025Q3", "partners", store.path)
    assert "crime" not in set(public.data["indicator_id"])
    assert "crime" in set(partners.data["indicator_id"])
    assert "Recorded crime" not in public.spine_html() + public.theme_tables_html() + public.trends_html()


def test_headline_names_what_is_significantly_worse(mini_store):
    cfg, store = mini_store
    p = LocalityProfile(cfg, "ML01", "2025Q3", "public", store.path)
    text = p.headline_html()
    assert "significantly worse" in text and "Adults who smoke" in text
    assert "widest gap" in text


def test_small_counts_are_suppressed_and_marked(mini_store):
    cfg, store = mini_store
    p = LocalityProfile(cfg, "ML03", "2025Q3", "public", store.path)
    row = p.latest[p.latest["indicator_id"] == "smoking"].iloc[0]
    assert row["numerator"] == 23  # 20 + 3 at locality level: not small, published
    from observatory.present.report import publishable

    sa = p.profiles.profiles
    sa = sa[(sa["area_type"] == "lsoa") & (sa["indicator_id"] == "smoking") & (sa["period"] == "2024")]
    pub = publishable(sa).set_index("area_code")
    assert pub.loc["Z01000006", "suppressed"] and pd.isna(pub.loc["Z01000006", "value"])
    # its sibling in the same locality is suppressed too, so 3 cannot be recovered from the locality total
    assert pub.loc["Z01000005", "suppressed"] and "secondary" in pub.loc["Z01000005", "suppression_note"]


def test_downloads_have_limits_comparison_trend_and_attribution(mini_store, tmp_path):
    cfg, store = mini_store
    p = LocalityProfile(cfg, "ML01", "2025Q3", "public", store.path)
    csv, xlsx, attribution_csv = p.write_downloads(tmp_path / "dl")
    d = pd.read_csv(csv)
    assert {"value", "lower95", "upper95", "lower998", "upper998", "vs_county", "trend"} <= set(d.columns)
    assert set(d["indicator_id"]) == {"smoking", "imd_score"}
    for att in (pd.read_excel(xlsx, sheet_name="attribution", header=3), pd.read_csv(attribution_csv)):
        assert "Test attribution for mini-survey" in att["attribution"].tolist()
        assert "mini-police" not in set(att["dataset"])


def test_county_overview_reports_gaps_between_localities(mini_store):
    cfg, store = mini_store
    o = CountyOverview(cfg, "2025Q3", "public", store.path)
    g = o.gaps.set_index("indicator_id")
    assert g.loc["smoking", "worst_area"] == "ML01"
    assert "crime" not in g.index
    html = o.gap_table_html()
    assert "Northtown" in html and "Adults who smoke" in html


def test_headline_wording_without_worse_indicators():
    latest = pd.DataFrame(
        {
            "title": ["A"],
            "value": [1.0],
            "county_value": [1.0],
            "unit": ["%"],
            "polarity": ["low_is_good"],
            "vs_county": ["similar"],
            "trend_judgement": ["no significant change"],
            "relative_gap": [1.0],
        }
    )
    lines = headline(latest, "Town", "County")
    assert lines[0].startswith("Town has data for 1 indicators") and "No indicator is significantly worse" in lines[-1]


def test_headline_is_text_and_small_figures_keep_their_decimals():
    latest = pd.DataFrame(
        {
            "title": ["<b>Rate</b>"],
            "value": [0.0012],
            "county_value": [0.0009],
            "unit": [""],
            "polarity": ["low_is_good"],
            "vs_county": ["worse"],
            "trend_judgement": ["worsening"],
            "relative_gap": [0.0012 / 0.0009],
        }
    )
    lines = headline(latest, "Town & Co", "County")
    assert lines[0].startswith("Town & Co has data")  # escaped where shown, not here
    assert "<b>Rate</b> (0.001200 against 0.000900)" in lines[1]  # a spread of 0.0003: six decimals
    assert not [line for line in lines if "0.0 against 0.0" in line or "-0.0" in line]


def test_sections_escape_names_and_carry_the_one_banner(mini_store):
    cfg, store = mini_store
    p = LocalityProfile(cfg, "ML01", "2025Q3", "public", store.path)
    p.area.__dict__["name"] = 'North<script>alert("x")</script>'
    for section in (p.title_html(), p.headline_html(), p.spine_html()):
        assert "<script>alert" not in section and "North&lt;script&gt;" in section
    assert ('class="obs-synthetic"' in p.title_html()) == bool(cfg.synthetic)
    tables = p.theme_tables_html()
    assert '<table class="obs-table">' in tables and "Adults who smoke" in tables
