"""The ONS download clients (Open Geography Portal, Nomis), replaying recorded responses (no network)."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from observatory.ingest.adapters._common import DownloadError
from observatory.ingest.fetch import ons as ons_api

RECORDED = Path(__file__).parent / "fixtures" / "sources" / "recorded"
DISTRICTS = ["E07000218", "E07000219", "E07000220", "E07000221", "E07000222"]
LAYER = ons_api.layer_url("Local_Authority_Districts_May_2024_Boundaries_UK_BUC")


class Pages:
    """An opener answering by query parameter value: ``{offset: file}``; records every request."""

    def __init__(self, param: str, pages: dict[str, str]):
        self.param, self.pages, self.calls = param, pages, []

    def __call__(self, url, body, timeout):
        self.calls.append((url, body))
        query = parse_qs(body.decode() if body else urlsplit(url).query)
        key = query.get(self.param, ["0"])[0]
        if key not in self.pages:
            raise urllib.error.HTTPError(url, 400, "Bad Request", {}, None)
        return (RECORDED / self.pages[key]).read_bytes()


def test_in_clause_quotes_codes_and_rejects_injection():
    assert ons_api.in_clause("LAD24CD", DISTRICTS[:2]) == "LAD24CD IN ('E07000218','E07000219')"
    with pytest.raises(ValueError):
        ons_api.in_clause("LAD24CD", ["E07000218') OR (1=1"])
    with pytest.raises(ValueError):
        ons_api.in_clause("LAD24CD; drop", DISTRICTS)


def test_arcgis_pages_are_joined_until_the_limit_flag_clears(tmp_path):
    opener = Pages("resultOffset", {"0": "arcgis_lad24_page1.geojson", "3": "arcgis_lad24_page2.geojson"})
    where = ons_api.in_clause("LAD24CD", DISTRICTS)
    out = ons_api.fetch_features(LAYER, tmp_path / "lad24.geojson", where, page_size=3, order_by="FID", opener=opener)
    collection = json.loads(out.read_text())
    assert [f["properties"]["LAD24CD"] for f in collection["features"]] == DISTRICTS
    assert len(opener.calls) == 2
    first = parse_qs(urlsplit(opener.calls[0][0]).query)
    assert opener.calls[0][0].startswith(LAYER + "/query?")
    assert first["where"] == [where] and first["f"] == ["geojson"] and first["outSR"] == ["4326"]
    assert first["resultRecordCount"] == ["3"] and first["orderByFields"] == ["FID"]
    assert parse_qs(urlsplit(opener.calls[1][0]).query)["resultOffset"] == ["3"]


def test_long_where_clauses_are_posted():
    codes = [f"E01{n:06d}" for n in range(31005, 31360)]
    opener = Pages("resultOffset", {"0": "arcgis_lad24_page2.geojson"})
    collection = ons_api.arcgis_features(LAYER, ons_api.in_clause("LSOA21CD", codes), opener=opener)
    url, body = opener.calls[0]
    assert url == LAYER + "/query" and body is not None
    assert parse_qs(body.decode())["where"][0].count("E01") == len(codes)
    assert len(collection["features"]) == 2


def test_arcgis_error_answer_raises():
    with pytest.raises(DownloadError, match="ArcGIS error 400: Cannot perform query"):
        ons_api.arcgis_features(LAYER, "nonsense", opener=Pages("resultOffset", {"0": "arcgis_error.json"}))


def test_arcgis_truncated_page_without_features_raises(tmp_path):
    (tmp_path / "stuck.json").write_text('{"type":"FeatureCollection","features":[],"properties":{"exceededTransferLimit":true}}')

    def opener(url, body, timeout):
        return (tmp_path / "stuck.json").read_bytes()

    with pytest.raises(DownloadError, match="sent none"):
        ons_api.arcgis_features(LAYER, opener=opener)


def test_nomis_pages_are_joined(tmp_path):
    opener = Pages("RecordOffset", {"0": "nomis_nm_2010_1_page1.csv", "5": "nomis_nm_2010_1_page2.csv"})
    params = {
        "geography": "E01031005,E01031006",
        "date": "2020",
        "gender": "0",
        "c_age": "200,101,102,103",
        "measures": "20100",
        "select": "GEOGRAPHY_CODE,GEOGRAPHY_NAME,C_AGE_NAME,OBS_VALUE,RECORD_OFFSET,RECORD_COUNT",
    }
    out = ons_api.nomis_csv("NM_2010_1", params, dest=tmp_path / "pop.csv", page_size=5, opener=opener)
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 8 and lines[0].startswith("GEOGRAPHY_CODE,")
    assert len(opener.calls) == 2
    first = parse_qs(urlsplit(opener.calls[0][0]).query)
    assert opener.calls[0][0].startswith("https://www.nomisweb.co.uk/api/v01/dataset/NM_2010_1.data.csv?")
    assert first["RecordLimit"] == ["5"] and first["geography"] == ["E01031005,E01031006"]
    assert parse_qs(urlsplit(opener.calls[1][0]).query)["RecordOffset"] == ["5"]


def test_nomis_rows_pivot_to_the_sape_layout():
    opener = Pages("RecordOffset", {"0": "nomis_nm_2010_1_page1.csv", "5": "nomis_nm_2010_1_page2.csv"})
    text = ons_api.nomis_csv("NM_2010_1", {"geography": "E01031005,E01031006"}, page_size=5, opener=opener)
    wide = ons_api.nomis_population_wide(text)
    assert wide.columns.tolist() == ["LSOA Code", "All Ages", "0", "1", "2"]
    assert wide.set_index("LSOA Code").loc["E01031006"].tolist() == ["1483", "14", "13", "13"]


def test_nomis_geography_and_dataset_id():
    assert ons_api.nomis_geography(1946157386, "TYPE151") == "1946157386TYPE151"
    with pytest.raises(ValueError):
        ons_api.nomis_csv("NM_2010_1/../x", {}, opener=lambda *a: b"")
