"""The Fingertips API client, replaying recorded responses (no network)."""

from __future__ import annotations

import urllib.error
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from observatory.ingest import adapters as sources
from observatory.ingest.adapters._common import DownloadError
from observatory.ingest.fetch import fingertips as api

RECORDED = Path(__file__).parent / "fixtures" / "sources" / "recorded"


class Replay:
    """An opener serving recorded files by URL path; records every request."""

    def __init__(self, routes: dict[str, str], failures: int = 0, status: int = 503):
        self.routes, self.failures, self.status, self.calls = routes, failures, status, []

    def __call__(self, url, body, timeout):
        self.calls.append((url, body, timeout))
        if self.failures:
            self.failures -= 1
            raise urllib.error.HTTPError(url, self.status, "Service Unavailable", {}, None)
        path = urlsplit(url).path
        if path not in self.routes:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        return (RECORDED / self.routes[path]).read_bytes()


CSV_ROUTE = {"/api/all_data/csv/by_indicator_id": "fingertips_all_data_93532.csv"}


def test_indicator_csv_request_and_result_feed_the_adapter(tmp_path):
    replay = Replay(CSV_ROUTE)
    out = api.fetch_indicator_csv([93532], 502, 15, "E92000001", dest=tmp_path / "93532.csv", opener=replay)
    assert out == tmp_path / "93532.csv"
    url, body, timeout = replay.calls[0]
    assert url.startswith("https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?")
    assert parse_qs(urlsplit(url).query) == {
        "indicator_ids": ["93532"],
        "child_area_type_id": ["502"],
        "parent_area_type_id": ["15"],
        "parent_area_code": ["E92000001"],
        "include_sortable_time_periods": ["yes"],
    }
    assert body is None and timeout == 120.0
    e = sources.read("fingertips", out, {"indicators": {93532: "alcohol_dependent_not_in_treatment"}})
    assert e.report.ok and len(e.frame) == 3
    county = e.frame[e.frame["area_code"] == "E10000031"].iloc[0]
    assert county["value"] == pytest.approx(79.89793213) and county["period"] == "2018/19"


def test_several_ids_and_text_result():
    replay = Replay(CSV_ROUTE)
    text = api.fetch_indicator_csv(["93532", 93517], 402, 6, opener=replay)
    assert text.startswith("Indicator ID,Indicator Name")
    assert parse_qs(urlsplit(replay.calls[0][0]).query)["indicator_ids"] == ["93532,93517"]
    assert "parent_area_code" not in replay.calls[0][0]


def test_server_errors_are_retried_with_backoff():
    waits = []
    replay = Replay(CSV_ROUTE, failures=2)
    text = api.fetch_indicator_csv(93532, 502, 15, opener=replay, backoff=1.5, sleep=waits.append)
    assert "93532" in text and len(replay.calls) == 3 and waits == [1.5, 3.0]


def test_persistent_failure_and_non_csv_answers_raise():
    with pytest.raises(DownloadError, match="after 4 attempts"):
        api.fetch_indicator_csv(93532, 502, 15, opener=Replay(CSV_ROUTE, failures=10), sleep=lambda s: None)
    html = Replay({"/api/all_data/csv/by_indicator_id": "README.md"})
    with pytest.raises(DownloadError, match="did not return its CSV"):
        api.fetch_indicator_csv(93532, 502, 15, opener=html)
    with pytest.raises(ValueError):
        api.fetch_indicator_csv(["93532; drop"], 502, 15, opener=html)


def test_metadata_and_drafts():
    replay = Replay({"/api/indicator_metadata/by_indicator_id": "fingertips_metadata_93532.json"})
    meta = api.fetch_metadata(93532, opener=replay)
    assert parse_qs(urlsplit(replay.calls[0][0]).query) == {"indicator_ids": ["93532"]}
    assert meta["93532"]["Descriptive"]["Name"].startswith("Proportion of dependent drinkers")
    (draft,) = api.indicator_drafts(meta, dataset="ohid-fingertips-substance-misuse")
    assert draft["id"] == "fingertips_93532" and draft["value_type"] == "proportion"
    assert draft["multiplier"] == 100.0 and draft["unit"] == "%" and draft["frequency"] == "annual"
    assert draft["polarity"] == ""


def test_area_types():
    types = api.area_types(opener=Replay({"/api/area_types": "fingertips_area_types.json"}))
    assert {t["Id"]: t["Short"] for t in types}[502] == "Upper tier LAs (post 4/23)"
