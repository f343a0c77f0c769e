"""Geography: the hierarchy, dissolved polygons, vintages, and locality-definition validation."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.config import load_config
from observatory.geo.areas import Area, Geography, read_localities, validate_localities


@pytest.fixture
def geo(mini_config) -> Geography:
    return Geography(load_config(mini_config))


def test_hierarchy_links_each_small_area_to_ward_locality_district_county(geo):
    h = geo.hierarchy.set_index("small_area_code")
    assert len(h) == 6
    assert h.loc["Z01000001", "ward_name"] == "North Ward"
    assert h.loc["Z01000002", "locality_code"] == "ML01"  # via its ward
    assert h.loc["Z01000006", "district_code"] == "Z07000002"
    assert set(h["county_code"]) == {"Z10000001"}


def test_every_area_has_code_name_type_and_vintage(geo):
    a = geo.area("Z01000003")
    assert a == Area("Z01000003", "Mini 002A", "lsoa", "2021")
    assert geo.area("ML03").type == "locality" and geo.area("ML03").name == "Eastville"
    assert geo.area("E92000001").type == "england"
    assert [l.code for l in geo.localities()] == ["ML01", "ML02", "ML03"]
    with pytest.raises(KeyError, match="unknown area code"):
        geo.area("Z01999999")


def test_localities_and_districts_are_dissolved_from_small_areas(geo):
    loc = geo.boundaries("locality").to_crs(27700).set_index("area_code")
    assert len(loc) == 3
    sa = geo.boundaries("small_area").to_crs(27700).set_index("area_code")
    assert loc.loc["ML02"].geometry.area == pytest.approx(sa.loc[["Z01000003", "Z01000004"]].geometry.area.sum())
    assert len(geo.boundaries("district")) == 2 and len(geo.boundaries("county")) == 1


def test_web_boundaries_keep_shared_borders(geo):
    web = geo.web_boundaries("small_area", tolerance=1e-3)
    assert web.geometry.is_valid.all()
    web = web.to_crs(27700)
    union = web.union_all().area
    assert union == pytest.approx(web.geometry.area.sum(), rel=1e-6)  # no overlaps


def _write(mini_config, text):
    p = mini_config / "bad_localities.csv"
    p.write_text("locality_code,locality_name,district_code,district_name,area_type,area_code,area_name,source\n" + text)
    return p


def _problems(geo, path):
    return [str(p) for p in validate_localities(read_localities(path), geo, file=path.name)]


GOOD = (
    "ML01,Northtown,Z07000001,Westshire,ward,Z05000001,,t\n"
    "ML02,Southtown,Z07000001,Westshire,lsoa,Z01000003,,t\nML02,Southtown,Z07000001,Westshire,lsoa,Z01000004,,t\n"
    "ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000005,,t\nML03,Eastville,Z07000002,Eastshire,lsoa,Z01000006,,t\n"
)


def test_valid_definition_has_no_problems(geo, mini_config):
    assert _problems(geo, _write(mini_config, GOOD)) == []


def test_small_area_assigned_twice_is_named(geo, mini_config):
    p = _write(mini_config, GOOD + "ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000003,,t\n")
    probs = _problems(geo, p)
    assert any("Z01000003" in x and "assigned more than once" in x and "ML02" in x and "ML03" in x for x in probs), probs


def test_unassigned_small_area_is_named(geo, mini_config):
    p = _write(mini_config, GOOD.replace("ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000006,,t\n", ""))
    assert _problems(geo, p) == [
        "bad_localities.csv, column 'area_code': small area Z01000006 (Mini 003B) is not assigned to any locality"
    ]


def test_empty_locality_is_named(geo, mini_config):
    p = _write(mini_config, GOOD + "ML04,Ghost Town,Z07000002,Eastshire,lsoa,,,t\n")
    assert _problems(geo, p) == [
        "bad_localities.csv, row 7, column 'area_code': locality ML04 'Ghost Town' is empty: it has no small areas"
    ]


def test_locality_crossing_a_district_is_named(geo, mini_config):
    p = _write(
        mini_config,
        GOOD.replace("ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000005", "ML02,Southtown,Z07000001,Westshire,lsoa,Z01000005"),
    )
    probs = _problems(geo, p)
    assert any("locality ML02 crosses districts" in x and "Z07000001" in x and "Z07000002" in x for x in probs), probs


def test_unknown_code_is_named_with_its_row(geo, mini_config):
    p = _write(mini_config, GOOD + "ML03,Eastville,Z07000002,Eastshire,lsoa,E01031005,,t\n")
    assert _problems(geo, p) == [
        "bad_localities.csv, row 7, column 'area_code': unknown lsoa 2021 code 'E01031005': not in the boundaries"
    ]


def test_cli_validates_a_locality_file(mini_config):
    from typer.testing import CliRunner

    from observatory.cli import app

    bad = _write(mini_config, GOOD + "ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000003,,t\n")
    r = CliRunner().invoke(app, ["validate", "--config", str(mini_config), "--localities", str(bad)])
    assert r.exit_code == 1
    assert "assigned more than once" in r.output
    good = _write(mini_config, GOOD)
    r = CliRunner().invoke(app, ["validate", "--config", str(mini_config), "--localities", str(good)])
    assert r.exit_code == 0, r.output and "3 localities" in r.output


@pytest.mark.warwickshire
def test_warwickshire_geography_bridges_lsoa_2011_and_2021(shared_data):
    geo = Geography(load_config("warwickshire"))
    assert len(geo.small_areas) == 339
    lk = geo.vintage_lookups["2021"]
    split = lk[lk["change"] == "S"]
    assert split["primary_code"].nunique() == 11 and len(split) == 26
    children = split["code"]
    parents = geo.to_primary(children, "2021")
    assert (parents.to_numpy() == split["primary_code"].to_numpy()).all()
    unchanged = pd.Series(["E01031005"])
    assert geo.to_primary(unchanged, "2021").iloc[0] == "E01031005"
    h = geo.hierarchy
    assert h["locality_code"].nunique() == 23 and (h["locality_code"] != "").all()
    assert set(h["district_code"]) == {"E07000218", "E07000219", "E07000220", "E07000221", "E07000222"}
    assert validate_localities(read_localities(geo.config.localities_file), geo).ok
