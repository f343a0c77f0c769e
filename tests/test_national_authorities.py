"""The register of upper-tier authorities, read from the England lookup."""

from __future__ import annotations

import pytest

from observatory.errors import ValidationError
from observatory.national.authorities import authorities, find_authority


def test_register_has_every_upper_tier_authority():
    reg = authorities()
    assert len(reg) == 153
    assert sum(a.single_tier for a in reg) == 132  # 63 unitary + 36 metropolitan + 33 London boroughs
    assert all(len(a.districts) == 1 and a.districts[0].code == a.code for a in reg if a.single_tier)
    wk = find_authority("E10000031")
    assert (wk.name, wk.region_name, len(wk.districts), wk.single_tier) == ("Warwickshire", "West Midlands", 5, False)
    assert find_authority("city of london").code == "E09000001"
    assert find_authority("Birmingham").region_code == "E12000005"


def test_unknown_and_ambiguous_names_list_the_closest():
    with pytest.raises(ValidationError) as e:
        find_authority("Warwickshre")
    assert e.value.report.codes == {"unknown-authority"} and "E10000031 Warwickshire" in str(e.value)
    with pytest.raises(ValidationError) as e:
        find_authority("North")
    assert e.value.report.codes == {"ambiguous-authority"} and "E08000022 North Tyneside" in str(e.value)
