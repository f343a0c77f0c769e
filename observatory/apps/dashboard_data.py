"""The figures the localities dashboard shows to one audience, read from its payload: indicators, periods, each view's rows.

What the audience may see was decided when the payload was made (``apps.payload_build``: the catalogue's
``for_audience``, small counts suppressed with ``publishable``); this module only reads it, file by file, and
imports neither pandas nor the geography (a dashboard kernel stays light). Under ``observatory serve`` the
payload is the server's (``OBSERVATORY_PAYLOAD``); elsewhere it is made from the store on first use. The widgets
are in ``apps.dashboard``, the drawing in ``apps.dashboard_views``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from observatory.apps.payload import Payload

LEVELS = {"locality": "Localities", "small_area": "Small areas"}
COLOUR_BY = {"value": "Value", "vs_county": "Compared with county", "vs_england": "Compared with England"}
NO_LOCALITY = ""
CONFIG_ENV = "OBSERVATORY_CONFIG"

__all__ = ["COLOUR_BY", "LEVELS", "NO_LOCALITY", "DashboardData", "Indicator", "Place"]


@dataclass(frozen=True)
class Place:
    """A locality: its code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class Indicator:
    """An indicator the audience may see, with its periods at locality level (newest first)."""

    id: str
    title: str
    theme: str
    unit: str
    dataset: str
    value_type: str
    periods: tuple[str, ...]


def _named(config: Any) -> str:
    return str(getattr(config, "name", config))


def served_payload(config: Any, audience: str) -> Payload | None:
    """The server's payload when it is for this configuration and audience (None otherwise, or outside a server)."""
    found = Payload.served()
    if found is None:
        return None
    meta = found.meta
    named = _named(config)
    ours = {meta["config"], os.environ.get(CONFIG_ENV, meta["config"])}
    return found if meta["audience"] == audience and (named in ours or Path(named).name == meta["config"]) else None


class DashboardData:
    """The publishable figures of one configuration for one audience, as the dashboard's views read them.

    ``payload``: a :class:`~observatory.apps.payload.Payload` or its folder; by default the server's, else one
    made from ``store`` (or ``profiles``, already loaded) as it is read.
    """

    def __init__(
        self,
        config: Any = "demo",
        audience: str = "public",
        *,
        store: Any = None,
        profiles: Any = None,
        payload: Payload | Path | str | None = None,
    ):
        if payload is not None and not isinstance(payload, Payload):
            payload = Payload(payload)
        if payload is None and profiles is None and store is None:
            payload = served_payload(config, audience)
        if payload is None:
            # start-up: 2-3 s (pandas, geopandas, the profile tables), paid only by a dashboard outside a server
            from observatory.apps.payload_build import PayloadBuilder  # start-up: as above

            builder = PayloadBuilder(config, audience, store=store, profiles=profiles)
            self.config = builder.config
            payload = builder.payload()
        self.payload = payload
        meta = payload.meta
        if meta["audience"] != audience:
            raise ValueError(f"the payload is for audience {meta['audience']!r}, not {audience!r}")
        self.audience = audience
        self.config_name = str(meta["config"])
        self.label = str(meta["label"])
        self.synthetic = bool(meta["synthetic"])
        self.county_name = str(meta["county"])
        self.localities = [Place(c, n) for c, n in meta["localities"]]
        self.indicators = {
            i["id"]: Indicator(i["id"], i["title"], i["theme"], i["unit"], i["dataset"], i["value_type"], tuple(i["periods"]))
            for i in meta["indicators"]
        }
        self._order = {i: n for n, i in enumerate(self.indicators)}
        self._names = {p.code: p.name for p in self.localities}

    @property
    def meta(self) -> dict[str, Any]:
        return self.payload.meta

    def periods(self, indicator_id: str) -> list[str]:
        """The indicator's periods at locality level, newest first."""
        return list(self.indicators[indicator_id].periods)

    def locality_name(self, code: str) -> str:
        return self._names.get(code, code)

    # ---- a map's figures -------------------------------------------------------------------------
    def map_data(self, indicator_id: str, period: str) -> dict[str, Any]:
        """One indicator and period: county and England values and, per level, each area's figures and shadings."""
        j = self.periods(indicator_id).index(str(period))
        return self.payload.json(f"maps/{self._order[indicator_id]}-{j}.json")

    def level_data(self, indicator_id: str, period: str, level: str = "locality") -> dict[str, Any]:
        """The areas at ``level`` (``rows``: columns of figures and texts, the geometry they are drawn on, ``shades``)."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {list(LEVELS)}, not {level!r}")
        return self.map_data(indicator_id, period)["levels"][level]

    def comparable(self, indicator_id: str, period: str, level: str = "locality") -> list[str]:
        """The ``COLOUR_BY`` choices that shade something: "value", and each benchmark some area is compared with."""
        return list(self.level_data(indicator_id, period, level)["comparable"])

    def benchmark(self, indicator_id: str, period: str, area_type: str) -> float:
        """The county's or England's value of one indicator in one period (NaN when there is none)."""
        v = self.map_data(indicator_id, period).get(area_type)
        return float("nan") if v is None else float(v)

    def map_frame(self, indicator_id: str, period: str, level: str = "locality"):
        """The areas at ``level`` with their figures as a data frame (pandas is imported here, for a download)."""
        import pandas as pd

        rows = self.level_data(indicator_id, period, level)["rows"]
        frame = pd.DataFrame(rows)
        for col in ("value", "lower95", "upper95"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
        return frame

    def compare_frame(self, indicator_id: str, period: str):
        """Every locality's publishable value, limits and comparison with the county (``views.COMPARE_COLUMNS``)."""
        return self.map_frame(indicator_id, period, "locality")

    # ---- the other views' figures ----------------------------------------------------------------
    def deciles_data(self, indicator_id: str, period: str) -> dict[str, Any]:
        """The inequalities view of one indicator and period: ``panel`` (drawn), ``county`` and ``national`` deciles."""
        return self.payload.json(f"deciles/{self._order[indicator_id]}.json")[str(period)]

    def locality_data(self, locality: str) -> dict[str, Any]:
        """A locality's spine chart, trends (by indicator), population pyramid and population by age."""
        index = next(n for n, p in enumerate(self.localities) if p.code == locality)
        return self.payload.json(f"localities/{index}.json")

    def population_allowed(self) -> bool:
        """May this audience see the population by age and sex (its datasets allowed by the catalogue)?"""
        return bool(self.meta["population"]["allowed"])

    def population(self, locality: str):
        """People by sex and age band in ``locality`` (``area``) and the county (``county``); empty without them."""
        import pandas as pd

        rows = self.locality_data(locality).get("population") if locality else None
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["sex", "age", "area", "county"])
