"""``observatory init`` for every upper-tier authority: each configuration loads and validates (no build)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from observatory.config import load_config
from observatory.errors import ValidationError
from observatory.geo.areas import Geography, read_localities, validate_localities
from observatory.metadata.catalogue import validate_catalogue
from observatory.metadata.indicators import load_indicators
from observatory.national import england as E
from observatory.national.authorities import authorities
from observatory.national.init import init_authority

REGISTER = authorities()


@pytest.fixture(scope="module")
def england() -> dict:
    """The England data read once for all 153 cases: the lookup and the boundaries' codes (no geometry)."""
    bounds = pd.read_parquet(E.england_dir() / E.BOUNDARIES, columns=["LSOA21CD", "LAD24CD"])
    return {"lsoas": E.lookup().groupby("UTLA24CD")["LSOA21CD"].apply(set), "bounds": bounds}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("national-init")


@pytest.mark.parametrize("auth", REGISTER, ids=[a.code for a in REGISTER])
def test_init_writes_a_valid_configuration(auth, out, england):
    cfg = load_config(init_authority(auth.code, out=out / auth.code))
    spec = cfg.raw["geography"]["small_areas"]
    b = england["bounds"]
    selected = set(b.loc[b["LAD24CD"].isin(spec["filter"]["LAD24CD"]), spec["code"]])
    assert selected == england["lsoas"][auth.code]  # the boundary filter selects exactly the authority's LSOAs
    locs = read_localities(cfg.localities_file)
    assert set(locs["area_code"]) == selected and (locs["locality_code"] != "").all()
    assert (locs["district_code"] == "").all() == auth.single_tier
    assert ("districts" in cfg.raw["geography"]) != auth.single_tier
    assert validate_catalogue(cfg, load_indicators(cfg)).ok
    assert {s.file.name for s in cfg.sources} == {E.IOD_SCORES, E.IOD_UNDERLYING, E.HOUSEHOLD_DEPRIVATION}
    assert all(s.file.exists() for s in cfg.sources)
    assert cfg.raw["region"]["code"] == auth.region_code and cfg.county["code"] == auth.code


@pytest.mark.parametrize("code", ["E10000031", "E08000011", "E06000053"])  # county, metropolitan, the smallest unitary
def test_configuration_loads_its_geography(code, tmp_path):
    cfg = load_config(init_authority(code, out=tmp_path / code))
    geo = Geography(cfg)
    assert validate_localities(read_localities(cfg.localities_file), geo).ok
    assert len(geo.hierarchy) == len(geo.small_areas) and (geo.hierarchy["locality_code"] != "").all()


def test_localities_by_district_and_from_a_file(tmp_path):
    wk = load_config(init_authority("Warwickshire", "districts", out=tmp_path / "wk"))
    assert [a.name for a in Geography(wk).localities()][:2] == ["North Warwickshire", "Nuneaton and Bedworth"]
    custom = tmp_path / "mine.csv"
    lk = E.lookup()
    rows = lk[lk["UTLA24CD"] == "E09000001"]
    pd.DataFrame({"locality_code": "L1", "locality_name": "The City", "area_code": rows["LSOA21CD"]}).to_csv(custom, index=False)
    col = load_config(init_authority("City of London", str(custom), out=tmp_path / "col"))
    g = Geography(col)
    assert [a.name for a in g.localities()] == ["The City"] and g.districts() == []
    msoa = yaml.safe_load((init_authority("E09000001", out=tmp_path / "c2") / "config.yaml").read_text())
    assert "districts" not in msoa["geography"] and msoa["single_tier"] is True


def test_bad_localities_option(tmp_path):
    with pytest.raises(ValidationError) as e:
        init_authority("E09000001", "wards", out=tmp_path)
    assert e.value.report.codes == {"bad-localities"}


def test_init_never_overwrites_a_hand_written_configuration(tmp_path):
    """`observatory init --authority Warwickshire` must not replace the real, hand-written data/warwickshire."""
    from observatory.errors import ValidationError
    from observatory.national.init import init_authority

    mine = tmp_path / "warwickshire"
    mine.mkdir()
    (mine / "config.yaml").write_text("name: warwickshire\n# written by hand\n")
    with pytest.raises(ValidationError) as e:
        init_authority("E10000031", "districts", out=mine)
    assert e.value.report.codes == {"config-exists"}
    assert (mine / "config.yaml").read_text() == "name: warwickshire\n# written by hand\n"
