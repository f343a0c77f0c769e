"""observatory.stats.disclosure: primary and secondary suppression, and that withheld counts cannot be worked out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.config import load_config
from observatory.metadata.catalogue import validate_catalogue
from observatory.profiles.disclosure import DisclosureRule, disclosure_rules, publishable
from observatory.stats.disclosure import SECONDARY, round_counts, suppress


def compositions(total: int, parts: int):
    """Every way to write ``total`` as an ordered sum of ``parts`` whole numbers of at least 1."""
    if parts == 1:
        if total >= 1:
            yield (total,)
        return
    for first in range(1, total - parts + 2):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


@pytest.fixture
def district() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["N"] * 5 + ["S"] * 3,
            "locality": ["N1", "N2", "N3", "N4", "N5", "S1", "S2", "S3"],
            "count": [3, 0, 14, 9, 40, 7, 12, 30],
            "population": [900, 800, 1500, 1200, 4000, 1000, 1100, 2500],
            "value": [0.3, 0.0, 0.9, 0.75, 1.0, 0.7, 1.1, 1.2],
            "lower95": 0.1,
            "upper95": 2.0,
        }
    )


def test_primary_suppresses_one_to_five_but_not_zero():
    frame = pd.DataFrame({"count": [0, 1, 5, 6, np.nan]})
    result = suppress(frame, "count")
    assert result["suppressed"].tolist() == [False, True, True, False, False]
    assert result["suppression_note"].tolist()[1] == "primary: count 1\u20135"
    assert result["count"].isna().tolist() == [False, True, True, False, True]
    zero = suppress(frame, "count", suppress_zero=True)
    assert zero["suppressed"].tolist() == [True, True, True, False, False]


def test_secondary_withholds_the_next_smallest_nonzero_sibling(district):
    result = suppress(district, "count", group_cols="district").set_index("locality")
    assert result["suppressed"].to_dict() == {
        "N1": True,
        "N2": False,
        "N3": False,
        "N4": True,
        "N5": False,
        "S1": False,
        "S2": False,
        "S3": False,
    }
    assert result.loc["N4", "suppression_note"] == SECONDARY
    assert result.loc["N2", "count"] == 0
    assert result.loc[["N1", "N4"], ["count", "value", "lower95", "upper95"]].isna().all().all()
    assert result.loc["N3", ["count", "value"]].notna().all()
    assert result.loc["N1", "population"] == 900


def test_withheld_cells_are_not_recoverable_by_subtraction():
    rng = np.random.default_rng(21)
    rows = []
    for g in range(300):
        size = int(rng.integers(2, 6))
        counts = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20], size=size)
        rows += [{"group": g, "count": float(c), "total": float(counts.sum())} for c in counts]
    frame = pd.DataFrame(rows)
    result = suppress(frame, "count", group_cols="group", total_col="total")
    checked = 0
    for g, published in result.groupby("group"):
        hidden = published["suppressed"].to_numpy()
        if not hidden.any():
            continue
        if published["total"].isna().all():
            continue  # the total itself is withheld: nothing to subtract from
        remainder = int(published["total"].iloc[0] - published.loc[~hidden, "count"].sum())
        feasible = [set() for _ in range(hidden.sum())]
        for assignment in compositions(remainder, int(hidden.sum())):
            for cell, value in enumerate(assignment):
                feasible[cell].add(value)
        assert all(len(values) >= 2 for values in feasible), (g, published)
        assert remainder > 5
        checked += 1
    assert checked > 100


def test_total_is_withheld_when_siblings_cannot_protect_a_cell():
    frame = pd.DataFrame({"group": ["a", "b", "b"], "count": [4, 2, 0], "total": [4, 2, 2]})
    result = suppress(frame, "count", group_cols="group", total_col="total")
    assert result["total"].isna().tolist() == [True, True, True]
    assert result["suppression_note"][0].endswith("group total withheld: siblings cannot protect it")


def test_several_count_columns_and_no_groups():
    frame = pd.DataFrame({"numerator": [3, 50, 60], "denominator": [400, 4, 700], "value": [1.0, 2.0, 3.0]})
    result = suppress(frame, ["numerator", "denominator"])
    assert result["suppressed"].tolist() == [True, True, False]
    assert result[["numerator", "denominator", "value"]].iloc[:2].isna().all().all()


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="'district'"):
        suppress(pd.DataFrame({"count": [1]}), "count", group_cols="district")


# ---- per-dataset thresholds, rounding and the rule recorded with each cell -----------------------------------------


def _recoverable_groups(result: pd.DataFrame, threshold: int) -> tuple[int, int]:
    """(groups checked, groups where a withheld cell can be pinned to one value or the remainder is small)."""
    checked = bad = 0
    for _g, published in result.groupby("group"):
        hidden = published["suppressed"].to_numpy()
        if not hidden.any() or published["total"].isna().all():
            continue
        remainder = int(published["total"].iloc[0] - published.loc[~hidden, "count"].sum())
        feasible = [set() for _ in range(hidden.sum())]
        for assignment in compositions(remainder, int(hidden.sum())):
            for cell, value in enumerate(assignment):
                feasible[cell].add(value)
        bad += not (all(len(v) >= 2 for v in feasible) and remainder > threshold)
        checked += 1
    return checked, bad


def test_threshold_ten_suppresses_six_to_nine_as_well():
    frame = pd.DataFrame({"count": [0, 1, 5, 6, 9, 10, 11]})
    assert suppress(frame, "count")["suppressed"].tolist() == [False, True, True, False, False, False, False]
    ten = suppress(frame, "count", threshold=10)
    assert ten["suppressed"].tolist() == [False, True, True, True, True, True, False]
    assert ten["suppression_rule"].tolist()[1:6] == ["counts 1\u201310 suppressed"] * 5 and ten["suppression_rule"][0] == ""


def test_secondary_suppression_protects_against_the_total_at_threshold_ten():
    rng = np.random.default_rng(7)
    rows = []
    for g in range(250):
        counts = rng.choice([0, 2, 6, 8, 9, 11, 14, 25, 40], size=int(rng.integers(2, 6)))
        rows += [{"group": g, "count": float(c), "total": float(counts.sum())} for c in counts]
    result = suppress(pd.DataFrame(rows), "count", threshold=10, group_cols="group", total_col="total")
    checked, bad = _recoverable_groups(result, 10)
    assert checked > 80 and bad == 0


def test_per_row_thresholds_judge_a_group_by_its_largest():
    frame = pd.DataFrame({"group": ["a"] * 3, "count": [7.0, 12.0, 30.0], "total": [49.0] * 3})
    result = suppress(frame, "count", threshold=[10, 5, 5], group_cols="group", total_col="total")
    # 7 is withheld under 10; 12 alone would leave 7 pinned, so the next smallest goes too; 42 > 10 hidden
    assert result["suppressed"].tolist() == [True, True, False]


def test_counts_rounded_to_base_five():
    frame = pd.DataFrame({"count": [0.0, 7.0, 12.5, 13.0, 18.0, np.nan], "base": [5, 5, 5, 5, 0, 5]})
    out = round_counts(frame, "count", frame["base"])
    assert out["count"].tolist()[:5] == [0.0, 5.0, 15.0, 15.0, 18.0] and np.isnan(out["count"].iloc[5])
    assert out["rounded"].tolist() == [True, True, True, True, False, True]


def _profile_rows(counts, dataset="ds-a", denominators=None):
    n = len(counts)
    return pd.DataFrame(
        {
            "indicator_id": "ind",
            "dataset_id": dataset,
            "value_type": "proportion",
            "multiplier": 100.0,
            "period": "2024",
            "area_type": "locality",
            "district_code": "D1",
            "locality_code": [f"L{i}" for i in range(n)],
            "area_code": [f"L{i}" for i in range(n)],
            "numerator": [float(c) for c in counts],
            "denominator": [float(d) for d in (denominators or [200] * n)],
            "value": [100 * c / 200 for c in counts],
            "lower95": np.nan,
            "upper95": np.nan,
            "lower998": np.nan,
            "upper998": np.nan,
            "county_value": 10.0,
            "gap_to_county": np.nan,
            "relative_gap": np.nan,
            **{c: "similar" for c in ("vs_district", "vs_county", "vs_england", "vs_county_998")},
        }
    )


def test_publishable_applies_each_datasets_rule_and_records_it():
    rows = pd.concat([_profile_rows([7, 30, 44, 52]), _profile_rows([7, 30, 44, 52], dataset="ds-b")], ignore_index=True)
    rows.loc[4:, "indicator_id"] = "other"
    rules = {"ds-a": DisclosureRule(10, 0, "catalogue: ds-a")}
    out = publishable(rows, rules)
    a, b = out.iloc[:4], out.iloc[4:]
    assert a["suppressed"].tolist()[:2] == [True, True]  # 7 under the dataset's 10, and 30 to protect it
    assert a["suppression_rule"].iloc[0] == "counts 1\u201310 suppressed (catalogue: ds-a)"
    assert not b["suppressed"].any() and (b["suppression_rule"] == "").all()  # the default 1-5 keeps 7
    assert (a.loc[a["suppressed"], "vs_county"] == "suppressed").all() and a.loc[a["suppressed"], "value"].isna().all()


def test_rounding_recomputes_the_value_from_the_rounded_count():
    rows = _profile_rows([0, 23, 48, 61])
    out = publishable(rows, {"ds-a": DisclosureRule(5, 5, "catalogue: ds-a")})
    assert out["numerator"].tolist() == [0.0, 25.0, 50.0, 60.0]
    assert out["value"].tolist() == pytest.approx([0.0, 12.5, 25.0, 30.0])  # 100 × rounded count / 200
    z = 1.959963984540054  # Wilson limits of the rounded count, computed here
    p, n = 25 / 200, 200
    centre, half = (2 * 25 + z * z) / (2 * (n + z * z)), z * np.sqrt(z * z + 4 * 25 * (1 - p)) / (2 * (n + z * z))
    assert out.loc[1, "lower95"] == pytest.approx(100 * (centre - half)) and out.loc[1, "upper95"] == pytest.approx(
        100 * (centre + half)
    )
    assert out.loc[1, "gap_to_county"] == pytest.approx(2.5)
    assert out["suppression_rule"].iloc[1] == "counts 1\u20135 suppressed, counts rounded to base 5 (catalogue: ds-a)"


def test_catalogue_sets_the_rule_and_checks_it(mini_config):
    path = mini_config / "catalogue.yaml"
    text = path.read_text().replace(
        "  indicators: [smoking, population]",
        "  indicators: [smoking, population]\n  suppression_threshold: 10\n  rounding_base: 5",
    )
    path.write_text(text)
    cfg = load_config(mini_config)
    assert validate_catalogue(cfg).ok
    assert disclosure_rules(cfg) == {"mini-survey": DisclosureRule(10, 5, "catalogue: mini-survey")}
    path.write_text(
        text.replace("suppression_threshold: 10", "suppression_threshold: ten").replace("rounding_base: 5", "rounding_base: 0")
    )
    assert validate_catalogue(load_config(mini_config)).codes == {"bad-suppression-threshold", "bad-rounding-base"}
