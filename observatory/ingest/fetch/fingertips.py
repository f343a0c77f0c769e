"""Download client for the OHID Fingertips API (https://fingertips.phe.org.uk/api).

``fetch_indicator_csv`` saves what the ``fingertips`` adapter reads (the ``all_data/csv/by_indicator_id``
export, standard header); ``fetch_metadata`` and ``indicator_drafts`` help write indicators.csv rows.
Every call takes an ``opener`` (see ``fetch._http.Opener``) so tests replay recorded responses; the default
is urllib with a User-Agent, a timeout, and retries with exponential backoff on 5xx/429/network errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Unpack
from urllib.parse import urlencode

from observatory._core.files import write_atomic
from observatory.ingest.fetch._http import DownloadError, Transport, fetch_with

BASE = "https://fingertips.phe.org.uk/api"
VALUE_TYPES = {  # Fingertips ValueType label → our value_type
    "proportion": "proportion",
    "crude rate": "crude_rate",
    "directly standardised rate": "dsr",
    "indirectly standardised ratio": "isr",
    "indirectly standardised rate": "isr",
    "count": "count",
    "mean": "mean",
    "life expectancy": "mean",
    "score": "score",
}


def _ids(indicator_ids: int | str | Iterable[int | str]) -> str:
    if isinstance(indicator_ids, (int, str)):
        indicator_ids = [indicator_ids]
    ids = [str(i).strip() for i in indicator_ids]
    bad = [i for i in ids if not i.isdigit()]
    if not ids or bad:
        raise ValueError(f"Fingertips indicator ids are numbers; got {', '.join(bad) or 'none'}")
    return ",".join(ids)


def _get(path: str, params: dict[str, Any], base: str, timeout: float, transport: Transport) -> bytes:
    url = f"{base.rstrip('/')}/{path}"
    if params:
        url += "?" + urlencode(params, safe=",")
    return fetch_with(url, transport, timeout=timeout)


def fetch_indicator_csv(
    indicator_ids: int | str | Iterable[int | str],
    child_area_type_id: int,
    parent_area_type_id: int,
    parent_area_code: str | None = None,
    *,
    dest: Path | str | None = None,
    profile_id: int | None = None,
    base: str = BASE,
    timeout: float = 120.0,
    **transport: Unpack[Transport],
) -> Path | str:
    """All data for the indicators at one area type (optionally under one parent area), as Fingertips CSV.

    Returns the CSV text, or the path written when ``dest`` is given (written atomically).
    Raises DownloadError when the download fails or the answer is not a Fingertips CSV.
    """
    params: dict[str, Any] = {
        "indicator_ids": _ids(indicator_ids),
        "child_area_type_id": int(child_area_type_id),
        "parent_area_type_id": int(parent_area_type_id),
    }
    if parent_area_code:
        params["parent_area_code"] = parent_area_code
    if profile_id is not None:
        params["profile_id"] = int(profile_id)
    params["include_sortable_time_periods"] = "yes"
    data = _get("all_data/csv/by_indicator_id", params, base, timeout, transport)
    text = data.decode("utf-8-sig")
    header = text.split("\n", 1)[0]
    if "Indicator ID" not in header or "Area Code" not in header:
        raise DownloadError(f"Fingertips did not return its CSV for indicators {params['indicator_ids']}: {header[:120]!r}")
    if dest is not None:
        return write_atomic(Path(dest), text.encode("utf-8"))
    return text


def fetch_metadata(
    indicator_ids: int | str | Iterable[int | str],
    *,
    base: str = BASE,
    timeout: float = 60.0,
    **transport: Unpack[Transport],
) -> dict[str, dict[str, Any]]:
    """Indicator metadata (``indicator_metadata/by_indicator_id``): ``{"93532": {"IID": …, "Descriptive": …}}``."""
    ids = _ids(indicator_ids)
    data = _get("indicator_metadata/by_indicator_id", {"indicator_ids": ids}, base, timeout, transport)
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as e:
        raise DownloadError(f"Fingertips metadata for {ids} is not JSON: {e}") from e
    if not isinstance(parsed, dict):
        raise DownloadError(f"Fingertips metadata for {ids}: expected an object keyed by indicator id")
    return {str(k): v for k, v in parsed.items()}


def area_types(
    *,
    base: str = BASE,
    timeout: float = 60.0,
    **transport: Unpack[Transport],
) -> list[dict[str, Any]]:
    """Fingertips area types (``area_types``): ``[{"Id": 502, "Name": …, "Short": …}, …]``."""
    data = _get("area_types", {}, base, timeout, transport)
    parsed = json.loads(data)
    if not isinstance(parsed, list):
        raise DownloadError("Fingertips area_types: expected a list")
    return parsed


def _frequency(text: str) -> str:
    t = text.lower()
    for word, freq in (
        ("quarter", "quarterly"),
        ("month", "monthly"),
        ("annual", "annual"),
        ("year", "annual"),
        ("census", "census"),
    ):
        if word in t:
            return freq
    return "irregular"


def indicator_drafts(metadata: dict[str, dict[str, Any]], *, dataset: str = "", theme: str = "") -> list[dict[str, Any]]:
    """Draft indicators.csv rows from Fingertips metadata, to review: id ``fingertips_<IID>``, title,
    unit, value_type, multiplier and definition filled; polarity is not in the metadata and is left empty."""
    rows = []
    for key, m in metadata.items():
        desc = m.get("Descriptive") or {}
        unit = m.get("Unit") or {}
        vtype = ((m.get("ValueType") or {}).get("Label") or (m.get("ValueType") or {}).get("Name") or "").strip()
        rows.append(
            {
                "id": f"fingertips_{m.get('IID', key)}",
                "title": (desc.get("Name") or "").strip(),
                "theme": theme,
                "unit": (unit.get("Label") or "").strip(),
                "value_type": VALUE_TYPES.get(vtype.lower(), "score"),
                "multiplier": unit.get("Value", 1) or 1,
                "polarity": "",
                "dataset": dataset,
                "frequency": _frequency(desc.get("Frequency") or ""),
                "definition": (desc.get("Definition") or "").strip(),
            }
        )
    return rows
