"""Every period format the adapters accept (Fingertips, ONS, partner files) gets the sort key of its own period."""

from __future__ import annotations

import pytest

from observatory.ingest import adapters
from observatory.ingest.adapters._common import period_sort_key

# label, sort key, where it is seen: in chronological order
PERIODS = [
    ("2015 - 17", 20150000, "Fingertips 3-year range"),
    ("2018/19 - 20/21", 20180000, "Fingertips range of financial years"),
    ("2019", 20190000, "calendar year"),
    ("2019/20", 20190000, "Fingertips financial year"),
    ("2019/20 Q1", 20190100, "Fingertips financial quarter"),
    ("mid-2020", 20200000, "ONS mid-year estimate"),
    ("2020", 20200000, "calendar year"),
    ("Apr 2020 - Mar 2021", 20200000, "Fingertips financial year in months"),
    ("April 2020 to March 2021", 20200000, "partner financial year in words"),
    ("2020/21", 20200000, "Fingertips financial year"),
    ("2020/21 Q2", 20200200, "Fingertips financial quarter"),
    ("Apr 2020 - Jun 2020", 20200400, "a quarter in months"),
    ("Oct 2020 - Sep 2021", 20201000, "rolling twelve months"),
    ("Jan 2021 - Dec 2021", 20210000, "calendar year in months"),
    ("Jan - Mar 2021", 20210100, "months of one year"),
    ("Mar 2021", 20210300, "ONS month"),
    ("2024 Q3", 20240300, "ONS quarter (Fingertips keys a quarter by its number)"),
    ("Q3 2024", 20240300, "partner quarter"),
    ("2024-07", 20240700, "ISO month"),
    ("2024-07-15", 20240715, "ISO date"),
]


@pytest.mark.parametrize("label, key, seen", PERIODS, ids=[p[0] for p in PERIODS])
def test_each_label_has_the_key_of_its_own_period(label, key, seen):
    assert period_sort_key(label) == key, seen


def test_labels_sort_in_time_order():
    keys = [period_sort_key(label) for label, _, _ in PERIODS]
    assert keys == sorted(keys)


def test_a_financial_year_in_months_sorts_with_its_year_in_a_fingertips_file(tmp_path):
    f = tmp_path / "ft.csv"
    f.write_text(
        "Indicator ID,Area Code,Time period,Value\n"
        "1,E92000001,2019/20,5\n1,E92000001,Apr 2020 - Mar 2021,6\n1,E92000001,2021/22,7\n"
    )
    frame = adapters.read("fingertips", f, {}).frame
    assert frame.sort_values("period_sort")["period"].tolist() == ["2019/20", "Apr 2020 - Mar 2021", "2021/22"]
    assert frame.set_index("period").loc["Apr 2020 - Mar 2021", "period_sort"] == period_sort_key("2020/21")
