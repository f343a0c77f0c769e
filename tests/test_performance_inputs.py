"""Targets, allocations and the risk register: read from the configuration folder, every problem reported with a code."""

from __future__ import annotations

import pytest

from observatory.config import load_config
from observatory.errors import ValidationError
from observatory.performance import exceptions as perf

GOOD_TARGETS = """indicator_id,area_code,area_type,target_value,target_period,direction,theme_group,owner,note
smoking,Z10000001,county,15,2026/27,decrease,healthier_communities_older_people,Health lead,
smoking,ML01,locality,20,2026/27,decrease,,Health lead,theme group from the indicator
crime,Z07000002,district,30,2026,maintain,safer_communities,Community safety lead,
"""
RISK_HEADER = "id,title,theme,owner,likelihood,impact,score,mitigation,linked_indicator\n"
ALLOCATION_HEADER = "area_code,area_type,period,amount,fund\n"


def _problems(call, cfg) -> set[tuple]:
    with pytest.raises(ValidationError) as err:
        call(cfg)
    return {(p.row, p.column, p.code) for p in err.value.report}


def test_read_targets_parses_periods_and_theme_groups(mini_config):
    cfg = load_config(mini_config)
    (mini_config / "targets.csv").write_text(GOOD_TARGETS)
    t = perf.read_targets(cfg)
    assert t["target_period_sort"].tolist() == [20260000, 20260000, 20260000]
    assert t.loc[1, "theme_group"] == "healthier_communities_older_people"
    assert t["target_value"].tolist() == [15.0, 20.0, 30.0] and not t["illustrative"].any()


def test_no_files_means_no_targets_allocations_or_risks(mini_config):
    cfg = load_config(mini_config)
    assert perf.read_targets(cfg).empty and perf.read_allocations(cfg).empty and perf.read_risks(cfg).empty


def test_target_validation_reports_every_bad_row_with_its_code(mini_config):
    cfg = load_config(mini_config)
    bad = GOOD_TARGETS + (
        "nosuch,ML01,locality,20,2026/27,decrease,,x,\n"  # row 5: unknown indicator
        "smoking,ML99,locality,20,2026/27,decrease,,x,\n"  # row 6: unknown area
        "smoking,Z07000001,locality,20,2026/27,decrease,,x,\n"  # row 7: a district, not a locality
        "smoking,ML02,locality,twenty,2026/27,decrease,,x,\n"  # row 8: not a number
        "smoking,ML02,locality,20,2027/28,down,,x,\n"  # row 9: bad direction
        "smoking,ML03,locality,20,someday,decrease,,x,\n"  # row 10: no year
        "smoking,ML03,locality,20,2026/27,decrease,health,x,\n"  # row 11: bad theme group
        "population,ML03,locality,2000,2026/27,maintain,,x,\n"  # row 12: maintain without polarity
        "smoking,ML01,locality,19,2026/27,decrease,,x,\n"  # row 13: duplicate of row 3
        "smoking,ML01,ward,19,2028/29,decrease,,x,\n"  # row 14: not a target area type
        "smoking,ML02,locality,nan,2028/29,decrease,,x,\n"
    )  # row 15: NaN is not a number
    (mini_config / "targets.csv").write_text(bad)
    with pytest.raises(ValidationError) as err:
        perf.read_targets(cfg)
    assert {(p.row, p.column, p.code) for p in err.value.report} == {
        (5, "indicator_id", "unknown-indicator"),
        (6, "area_code", "unknown-area"),
        (7, "area_code", "area-type-mismatch"),
        (8, "target_value", "bad-number"),
        (9, "direction", "bad-direction"),
        (10, "target_period", "bad-period"),
        (11, "theme_group", "unknown-theme"),
        (12, "direction", "maintain-without-polarity"),
        (13, "target_period", "duplicate-target"),
        (14, "area_type", "bad-area-type"),
        (15, "target_value", "bad-number"),
    }
    reasons = {p.row: p.reason for p in err.value.report}
    assert "is a district, not a locality" in reasons[7] and "already set on row 3" in reasons[13]


def test_target_sort_keys_and_flags_are_checked(mini_config):
    (mini_config / "targets.csv").write_text(
        "indicator_id,area_code,area_type,target_value,target_period,target_period_sort,direction,theme_group,owner,"
        "note,illustrative\nsmoking,ML01,locality,20,2026/27,2026-27,decrease,,x,,maybe\n"
    )
    assert _problems(perf.read_targets, load_config(mini_config)) == {
        (2, "target_period_sort", "bad-period-sort"),
        (2, "illustrative", "bad-flag"),
    }


def test_a_file_without_a_required_column_is_refused(mini_config):
    (mini_config / "targets.csv").write_text("indicator_id,area_code\nsmoking,ML01\n")
    (mini_config / "risks.csv").write_text("id,title\nR1,x\n")
    (mini_config / "allocations.csv").write_text("area_code\nML01\n")
    cfg = load_config(mini_config)
    for read in (perf.read_targets, perf.read_risks, perf.read_allocations):
        assert {code for _row, _col, code in _problems(read, cfg)} == {"missing-column"}


def test_risks_are_validated_with_codes(mini_config):
    (mini_config / "risks.csv").write_text(
        RISK_HEADER + "R1,Funding cut,stronger_communities,Board,4,4,16,Pool budgets,smoking\n"
        "R2,Bad,nowhere,Board,6,2,12,,nosuch\n"
        "R3,Wrong score,safer_communities,Board,2,2,5,,\n"
        "R1,Twice,safer_communities,Board,1,1,,,\n"
    )
    assert _problems(perf.read_risks, load_config(mini_config)) == {
        (3, "likelihood", "bad-rating"),
        (3, "theme", "unknown-theme"),
        (3, "linked_indicator", "unknown-indicator"),
        (4, "score", "score-mismatch"),
        (5, "id", "duplicate-risk"),
    }


def test_risk_scores_are_likelihood_times_impact(mini_config):
    (mini_config / "risks.csv").write_text(
        RISK_HEADER + "R1,Low,safer_communities,Board,1,2,,,\nR2,High,safer_communities,Board,4,5,20,,smoking\n"
    )
    r = perf.read_risks(load_config(mini_config))
    assert r["id"].tolist() == ["R2", "R1"] and r["score"].tolist() == [20, 2]


def test_allocations_are_validated_with_codes(mini_config):
    (mini_config / "allocations.csv").write_text(
        ALLOCATION_HEADER + "ML01,locality,2025/26,100,ABG\nML09,locality,2025/26,-5,ABG\n"
        "ML02,locality,2025/26,lots,ABG\nZ07000001,county,2025/26,10,ABG\nML03,locality,,10,\n"
        "Z07000001,locality,2025/26,10,ABG\n"
    )
    assert _problems(perf.read_allocations, load_config(mini_config)) == {
        (3, "area_code", "unknown-area"),
        (3, "amount", "negative-amount"),
        (4, "amount", "bad-number"),
        (5, "area_type", "bad-area-type"),
        (6, "period", "missing-value"),
        (6, "fund", "missing-value"),
        (7, "area_code", "area-type-mismatch"),
    }


def test_allocations_parse_amounts_and_periods(mini_config):
    (mini_config / "allocations.csv").write_text(ALLOCATION_HEADER + 'ML01,locality,2025/26,"1,250.50",ABG\n')
    a = perf.read_allocations(load_config(mini_config))
    assert a["amount"].tolist() == [1250.5] and a["period_sort"].tolist() == [20250000]
