"""The catalogue's machine-readable exports for one audience: a CSV and W3C DCAT in JSON-LD.

Both are made from :func:`catalogue_frame`, so a record the audience may not use is in neither.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from observatory._core.files import write_atomic
from observatory._core.spreadsheets import safe_frame
from observatory.config import Config
from observatory.metadata.catalogue.records import _today, read_partners
from observatory.metadata.catalogue.table import theme_title

OBS = "urn:x-observatory:terms:"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "obs": OBS,
}
ACCESS_RIGHTS = {
    "public": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
    "partners": "http://publications.europa.eu/resource/authority/access-right/RESTRICTED",
    "named partners": "http://publications.europa.eu/resource/authority/access-right/RESTRICTED",
}
FREQUENCY_URIS = {f: f"http://purl.org/cld/freq/{f}" for f in ("annual", "quarterly", "monthly", "weekly", "irregular")}
EXPORTS = {"csv": "catalogue.csv", "jsonld": "catalogue.jsonld"}


def _typed(value: str, kind: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{kind}"}


def _temporal(text: str) -> dict[str, Any]:
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", text)]
    years += [int(a[:2] + b) for a, b in re.findall(r"(?<!\d)(\d{4})/(\d{2})(?!\d)", text)]
    out: dict[str, Any] = {"@type": "dct:PeriodOfTime", "rdfs:label": text}
    if years:
        out["dcat:startDate"] = _typed(str(min(years)), "gYear")
        out["dcat:endDate"] = _typed(str(max(years)), "gYear")
    return out


def _contact(r: dict[str, Any]) -> dict[str, Any]:
    contact: dict[str, Any] = {"@type": "vcard:Kind", "vcard:fn": r["steward"]}
    c = r["contact"].strip()
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", c):
        contact["vcard:hasEmail"] = {"@id": f"mailto:{c}"}
    elif c.startswith(("http://", "https://")):
        contact["vcard:hasURL"] = {"@id": c}
    else:
        contact["vcard:note"] = c
    return contact


def _dataset(r: dict[str, Any], cfg: Config, base: str) -> dict[str, Any]:
    """One record as a dcat:Dataset."""
    d: dict[str, Any] = {
        "@id": f"{base}dataset:{r['id']}",
        "@type": "dcat:Dataset",
        "dct:identifier": r["id"],
        "dct:title": r["title"],
        "dct:description": r["description"],
        "dct:publisher": {
            "@id": f"{base}partner:{r['partner']}",
            "@type": "foaf:Agent",
            "foaf:name": r["partner_name"],
            "dct:type": r["partner_type"],
        },
        "dct:license": ({"@id": r["licence_url"]} if r["licence_url"] else {})
        | {"@type": "dct:LicenseDocument", "rdfs:label": r["licence"]},
        "dct:accessRights": {"@id": ACCESS_RIGHTS[r["audience"]], "@type": "dct:RightsStatement", "rdfs:label": r["access"]},
        "dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": r["attribution"]},
        "dct:temporal": _temporal(r["time_coverage"]),
        "dct:spatial": {"@type": "dct:Location", "rdfs:label": cfg.county["name"], "dct:identifier": cfg.county["code"]},
        "dct:modified": _typed(r["last_received"], "date"),
        "dct:accrualPeriodicity": (
            {"@id": FREQUENCY_URIS[r["update_frequency"]]}
            if r["update_frequency"] in FREQUENCY_URIS
            else {"@type": "dct:Frequency", "rdfs:label": r["update_frequency"]}
        ),
        "dcat:keyword": [theme_title(t) for t in r["themes"].split("; ") if t],
        "obs:classification": r["classification"],
        "obs:audience": r["audience"],
        "obs:nextReview": _typed(r["next_review"], "date"),
        "obs:reviewOverdue": r["review_overdue"],
        "obs:refreshOverdue": r["refresh_overdue"],
        "obs:lawfulBasis": r["lawful_basis"],
        "obs:agreement": r["agreement"],
        "obs:personalData": r["personal_data"],
        "obs:retention": r["retention"],
        "obs:synthetic": r["synthetic"],
        "obs:geographyLevel": r["geography_level"],
        "obs:geographyVintage": r["geography_vintage"],
        "obs:indicator": [i for i in r["indicators"].split("; ") if i],
        "obs:alsoSupplies": [i for i in r["also_supplies"].split("; ") if i],
    }
    if r["named_partners"]:
        d["obs:namedPartner"] = [{"@id": f"{base}partner:{p}"} for p in r["named_partners"].split("; ")]
    if r["source"]:
        d["dct:provenance"] = {"@type": "dct:ProvenanceStatement", "rdfs:label": r["source"]}
    if r["source_url"]:
        d["dcat:landingPage"] = {"@id": r["source_url"]}
    if r["available"]:
        d["dcat:contactPoint"] = _contact(r)
        d["obs:dpia"] = r["dpia"]
        d["obs:qualityNotes"] = r["quality_notes"]
    return d


def catalogue_jsonld(
    frame: pd.DataFrame, cfg: Config, audience: str = "public", today: dt.date | str | None = None
) -> dict[str, Any]:
    """The catalogue as a dcat:Catalog of dcat:Dataset in JSON-LD with an inline @context (no network
    needed to read it). Withheld fields are left out, as in the HTML."""
    today = _today(today)
    base = f"urn:x-observatory:{cfg.name}:"
    partners = read_partners()
    publisher = catalogue_publisher(cfg, partners)
    return {
        "@context": CONTEXT,
        "@id": f"{base}catalogue",
        "@type": "dcat:Catalog",
        "dct:title": f"{cfg.label}: data catalogue",
        "dct:description": f"Datasets shared under the information-sharing charter for {cfg.label}, "
        f"as published to audience '{audience}'.",
        "dct:publisher": {
            "@id": f"{base}partner:{publisher}",
            "@type": "foaf:Agent",
            "foaf:name": partners["name"].get(publisher, publisher),
        },
        "dct:issued": _typed(today.isoformat(), "date"),
        "obs:audience": audience,
        "obs:synthetic": cfg.synthetic,
        "dcat:dataset": [_dataset(r, cfg, base) for r in frame.to_dict("records")],
    }


def catalogue_publisher(cfg: Config, partners: pd.DataFrame) -> str:
    """The partner hosting the observatory: ``catalogue_publisher`` in config.yaml, else the county council."""
    if cfg.raw.get("catalogue_publisher"):
        return str(cfg.raw["catalogue_publisher"])
    county = partners[(partners["type"] == "county council") & (partners["synthetic"] == cfg.synthetic)]
    return str(county.index[0]) if len(county) else "observatory"


def write_exports(
    frame: pd.DataFrame, cfg: Config, out_dir: Path | str, audience: str = "public", today: dt.date | str | None = None
) -> dict[str, Path]:
    """Write ``catalogue.csv`` (formula-safe) and ``catalogue.jsonld`` of ``frame`` into ``out_dir``; their paths by kind."""
    out = Path(out_dir)
    paths = {kind: out / name for kind, name in EXPORTS.items()}
    csv = safe_frame(frame)
    write_atomic(paths["csv"], lambda tmp: csv.to_csv(tmp, index=False))
    doc = catalogue_jsonld(frame, cfg, audience, today)
    write_atomic(paths["jsonld"], json.dumps(doc, indent=1, ensure_ascii=False))
    return paths
