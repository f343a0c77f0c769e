"""The audience policy: which datasets, and so which indicators, an output for one audience may show.

Audiences: ``public``; ``partners`` (every charter partner); ``partner:<id>`` (one registered partner).
A dataset always reaches the partner that shares it.
"""

from __future__ import annotations

import pandas as pd

from observatory.config import Config, load_config
from observatory.metadata.catalogue.records import _list, read_catalogue, read_partners
from observatory.metadata.indicators import read_indicators


def audience_allows(record_audience: str, named: list[str] | None, audience: str) -> bool:
    """May a dataset shared for ``record_audience`` reach ``audience``?"""
    if record_audience == "public":
        return True
    if audience == "public":
        return False
    if record_audience == "partners":
        return audience == "partners" or audience.startswith("partner:")
    if record_audience == "named partners":
        return audience.startswith("partner:") and audience.split(":", 1)[1] in (named or [])
    return False


def check_audience(audience: str) -> str:
    """The audience, if it is ``public``, ``partners`` or ``partner:<id>`` of a registered partner; else ValueError."""
    if audience in ("public", "partners"):
        return audience
    if audience.startswith("partner:") and len(audience) > 8:
        pid = audience.split(":", 1)[1]
        if pid not in read_partners().index:
            raise ValueError(f"audience {audience!r}: {pid!r} is not in the partner register (data/partners.yaml)")
        return audience
    raise ValueError(f"audience must be 'public', 'partners' or 'partner:<partner id>', not {audience!r}")


def reaches(record: pd.Series | dict, audience: str) -> bool:
    """The record's audience rule, with the sharing partner always allowed."""
    named = _list(record.get("named_partners")) + [str(record.get("partner"))]
    return audience_allows(str(record.get("audience")), named, audience)


def allowed_datasets(config: Config | str, audience: str = "public") -> set[str]:
    """Dataset ids whose charter terms allow them to reach ``audience``."""
    check_audience(audience)
    cfg = config if isinstance(config, Config) else load_config(config)
    cat = read_catalogue(cfg)
    return {rid for rid, r in cat.iterrows() if reaches(r, audience)}


def visible_indicators(config: Config | str, audience: str = "public") -> set[str]:
    """Indicator ids an output for ``audience`` may name: those whose own dataset reaches it, and none
    of whose supplying datasets (``also_supplies``) is kept from it. An indicator with no record is not visible."""
    cfg = config if isinstance(config, Config) else load_config(config)
    allowed = allowed_datasets(cfg, audience)
    cat = read_catalogue(cfg)
    withheld_suppliers = {ind for rid, r in cat.iterrows() if rid not in allowed for ind in _list(r.get("also_supplies"))}
    inds = read_indicators(cfg.indicators_file)
    return {str(i) for i, d in inds["dataset"].items() if d in allowed and i not in withheld_suppliers}
