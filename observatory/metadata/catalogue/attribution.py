"""Attribution: the licence and statement every output must carry for each dataset it uses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from observatory._core.files import write_atomic
from observatory._core.spreadsheets import safe_frame
from observatory.config import Config, load_config
from observatory.metadata.catalogue.records import _list, read_catalogue, read_partners
from observatory.metadata.indicators import read_indicators

LICENCE_URLS = {
    "open government licence": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "open parliament licence": "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/",
    "cc by 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "creative commons attribution 4.0": "https://creativecommons.org/licenses/by/4.0/",
}
ATTRIBUTION_COLUMNS = ["dataset", "title", "partner", "licence", "licence_url", "attribution"]


def _config(config: Config | str) -> Config:
    return config if isinstance(config, Config) else load_config(config)


def licence_url(record: pd.Series | dict) -> str:
    """The licence's web address: the record's ``licence_url``, else a known licence's, else ''."""
    given = record.get("licence_url")
    if isinstance(given, str) and given:
        return given
    name = str(record.get("licence", "")).lower()
    return next((url for key, url in LICENCE_URLS.items() if key in name), "")


def attribution_frame(config: Config | str, datasets: set[str] | list[str]) -> pd.DataFrame:
    """One row per dataset used, in catalogue order: dataset, title, partner, licence, licence_url, attribution.
    Suited to an ``attribution`` sheet in a workbook or an attribution CSV beside a download."""
    cat = read_catalogue(_config(config))
    partners = read_partners()
    wanted = set(datasets)
    rows = [
        {
            "dataset": rid,
            "title": r["title"],
            "partner": partners["name"].get(r["partner"], r["partner"]),
            "licence": r["licence"],
            "licence_url": licence_url(r),
            "attribution": r["attribution"],
        }
        for rid, r in cat.iterrows()
        if rid in wanted
    ]
    return pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)


def supplying_datasets(config: Config | str, indicators: set[str] | list[str]) -> set[str]:
    """Every dataset whose values an output showing ``indicators`` (all periods) may contain: each
    indicator's own dataset and the records that list it under ``also_supplies``."""
    cfg = _config(config)
    wanted = set(indicators)
    inds = read_indicators(cfg.indicators_file)
    out = {inds.loc[i, "dataset"] for i in wanted if i in inds.index}
    cat = read_catalogue(cfg)
    if "also_supplies" in cat.columns:
        out |= {rid for rid, r in cat.iterrows() if wanted & set(_list(r.get("also_supplies")))}
    return out


def attributions(config: Config | str, datasets: set[str] | list[str]) -> list[str]:
    """The attribution statements of the datasets used, deduplicated, in catalogue order."""
    out: list[str] = []
    for r in attribution_frame(config, datasets).itertuples():
        a = f"{r.title}: {str(r.attribution).rstrip('.')}. Licence: {r.licence}."
        if a not in out:
            out.append(a)
    return out


def write_attributions(path: Path | str, config: Config | str, datasets: set[str] | list[str]) -> Path:
    """Write the attribution statements of ``datasets`` as a CSV (for a download folder); returns the path."""
    frame = safe_frame(attribution_frame(config, datasets))
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
