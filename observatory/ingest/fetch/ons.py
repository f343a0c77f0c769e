"""Download clients for ONS open data: the Open Geography Portal (ArcGIS FeatureServer layers: boundaries
and lookups) and Nomis (population estimates, Census 2021 tables).

Both page through results: ArcGIS with ``resultOffset``/``resultRecordCount`` while the answer says
``exceededTransferLimit``; Nomis with ``RecordOffset``/``RecordLimit`` (25,000 cells a call) until a
short page or the ``RECORD_COUNT`` column says all rows arrived. Every call takes an ``opener`` (see
``fetch._http.Opener``) so tests replay recorded responses.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Unpack
from urllib.parse import urlencode

import pandas as pd

from observatory._core.files import write_atomic
from observatory.ingest.fetch._http import DownloadError, Transport, fetch_with

ARCGIS_SERVICES = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
NOMIS = "https://www.nomisweb.co.uk/api/v01"
MAX_URL = 1800  # longer queries go as a form-encoded POST
_CODE = re.compile(r"^[A-Za-z0-9]+$")


def in_clause(field: str, codes: Iterable[str]) -> str:
    """An ArcGIS where-clause selecting ``codes`` in ``field``: ``LAD24CD IN ('E07000218','E07000219')``."""
    codes = [str(c).strip() for c in codes]
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", field):
        raise ValueError(f"not a field name: {field!r}")
    bad = [c for c in codes if not _CODE.match(c)]
    if not codes or bad:
        raise ValueError(f"area codes must be letters and digits; got {', '.join(bad) or 'none'}")
    return f"{field} IN ({','.join(repr(c) for c in codes)})"


def layer_url(service: str, layer: int = 0) -> str:
    """The query-able URL of a layer of a service on the ONS ArcGIS Online organisation."""
    return f"{ARCGIS_SERVICES}/{service}/FeatureServer/{layer}"


def arcgis_features(
    layer: str,
    where: str = "1=1",
    *,
    out_fields: str = "*",
    geometry: bool = True,
    out_sr: int = 4326,
    page_size: int = 2000,
    order_by: str | None = None,
    timeout: float = 120.0,
    **transport: Unpack[Transport],
) -> dict[str, Any]:
    """All features of a FeatureServer layer matching ``where``, as one GeoJSON FeatureCollection.

    ``layer`` is the layer URL (``…/FeatureServer/0``). Pages of ``page_size`` are requested until the
    server stops saying ``exceededTransferLimit``. An ArcGIS error answer (HTTP 200 with ``{"error": …}``)
    or a truncated page with no features raises DownloadError.
    """
    features: list[dict[str, Any]] = []
    offset = 0
    while True:
        params = {
            "where": where,
            "outFields": out_fields,
            "returnGeometry": "true" if geometry else "false",
            "outSR": out_sr,
            "f": "geojson",
            "resultOffset": offset,
            "resultRecordCount": page_size,
        }
        if order_by:
            params["orderByFields"] = order_by
        query = urlencode(params)
        url = f"{layer.rstrip('/')}/query"
        if len(url) + len(query) + 1 > MAX_URL:
            data = fetch_with(url, transport, timeout=timeout, body=query.encode())
        else:
            data = fetch_with(f"{url}?{query}", transport, timeout=timeout)
        try:
            page = json.loads(data)
        except json.JSONDecodeError as e:
            raise DownloadError(f"{url}: not JSON: {e}") from e
        if "error" in page:
            err = page["error"]
            raise DownloadError(f"{url}: ArcGIS error {err.get('code')}: {err.get('message')} {err.get('details') or ''}".strip())
        batch = page.get("features") or []
        features.extend(batch)
        more = bool(page.get("exceededTransferLimit") or (page.get("properties") or {}).get("exceededTransferLimit"))
        if not more:
            break
        if not batch:
            raise DownloadError(f"{url}: the server reported more features but sent none at offset {offset}")
        offset += len(batch)
    return {"type": "FeatureCollection", "features": features}


def fetch_features(layer: str, dest: Path | str, where: str = "1=1", **kwargs: Any) -> Path:
    """``arcgis_features`` written to ``dest`` as GeoJSON (atomically)."""
    collection = arcgis_features(layer, where, **kwargs)
    return write_atomic(Path(dest), json.dumps(collection, separators=(",", ":")).encode("utf-8"))


def nomis_geography(parent: str | int, type_code: int | str) -> str:
    """Nomis geography selection: every area of ``TYPE<type_code>`` within ``parent`` (a Nomis geography id)."""
    return f"{parent}TYPE{str(type_code).removeprefix('TYPE')}"


def nomis_csv(
    dataset: str,
    params: Mapping[str, Any],
    *,
    dest: Path | str | None = None,
    page_size: int = 25000,
    base: str = NOMIS,
    timeout: float = 120.0,
    **transport: Unpack[Transport],
) -> Path | str:
    """A Nomis dataset (``NM_2014_1`` …) as one CSV, paged with RecordOffset/RecordLimit.

    ``params`` are the API's own (``geography``, ``date``, ``gender``, ``c_age``, ``measures``, ``select`` …).
    Returns the CSV text, or the path written when ``dest`` is given.
    """
    if not re.match(r"^NM_\d+_\d+$", dataset, re.I):
        raise ValueError(f"not a Nomis dataset id: {dataset!r}")
    header: list[str] | None = None
    rows: list[list[str]] = []
    offset = 0
    while True:
        query = urlencode({**params, "RecordOffset": offset, "RecordLimit": page_size}, safe=",")
        url = f"{base.rstrip('/')}/dataset/{dataset.upper()}.data.csv?{query}"
        text = fetch_with(url, transport, timeout=timeout).decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text)))
        if not records:
            break
        if header is None:
            header = records[0]
        elif records[0] != header:
            raise DownloadError(f"{url}: page header differs from the first page's")
        page = [r for r in records[1:] if r]
        rows.extend(page)
        total = None
        if page and "RECORD_COUNT" in header:
            total = int(float(page[-1][header.index("RECORD_COUNT")]))
        if len(page) < page_size or (total is not None and len(rows) >= total):
            break
        offset += len(page)
    if header is None:
        raise DownloadError(f"{dataset}: Nomis returned nothing")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if dest is not None:
        return write_atomic(Path(dest), out.getvalue().encode("utf-8"))
    return out.getvalue()


def nomis_population_wide(
    csv_text: str, *, code: str = "GEOGRAPHY_CODE", age: str = "C_AGE_NAME", value: str = "OBS_VALUE"
) -> pd.DataFrame:
    """Nomis small-area population rows (one per area × age) pivoted to the SAPE layout the
    ``population`` adapter reads: ``LSOA Code``, ``All Ages``, ``0`` … ``89``, ``90+``."""
    frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    for c in (code, age, value):
        if c not in frame.columns:
            raise ValueError(f"Nomis CSV lacks column {c!r} (ask for it with select=)")

    def label(name: str) -> str | None:
        n = name.strip().lower()
        if n.startswith("all"):
            return "All Ages"
        if "90" in n and ("+" in n or "over" in n):
            return "90+"
        if "under 1" in n:
            return "0"
        m = re.search(r"\d+", n)
        return str(int(m.group())) if m and "-" not in n and " to " not in n else None

    frame["_age"] = frame[age].map(label)
    frame = frame[frame["_age"].notna()]
    wide = frame.pivot_table(index=code, columns="_age", values=value, aggfunc="first")
    order = ["All Ages"] + [str(a) for a in range(90)] + ["90+"]
    wide = wide.reindex(columns=[c for c in order if c in wide.columns]).reset_index()
    return wide.rename(columns={code: "LSOA Code"})
