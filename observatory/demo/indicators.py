"""Demo indicators: one specification per indicator (its metadata and how its synthetic values are drawn)
and the dataset titles.

The specifications are a table, ``resources/demo/indicator_specs.csv``: a row per indicator, its metadata
columns (as in ``indicators.csv``) then how its values are drawn. A row with no ``level`` is metadata
only: its values come from another adapter (population, deprivation).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from typing import Any

from observatory._core.resources import resource
from observatory.metadata.indicators import Indicator

METADATA = (
    "id",
    "title",
    "theme",
    "unit",
    "value_type",
    "multiplier",
    "polarity",
    "dataset",
    "frequency",
    "definition",
    "aggregation",
)
"""The metadata columns of the table, in the order of the demo's ``indicators.csv``."""
NONE = "-"
"""How the table writes a missing value: a period England does not publish, an indicator with no denominator."""


@dataclass(frozen=True, kw_only=True)
class Spec(Indicator):
    """An indicator's metadata and how its synthetic values are drawn.

    ``level`` is England's value per period (in the indicator's unit) or, where England is not
    published (``england=False``), the typical small-area level. Effects act on the link scale
    (logit for proportions, log otherwise): ``deprivation`` per unit of latent deprivation,
    ``rural`` for a wholly rural area, ``centre`` at a town centre; ``gap_change`` scales the
    deprivation and rural effects by (1 + gap_change) from the first to the last period.
    """

    level: tuple[float | None, ...]
    periods: str = "fy"
    denominator: str | None = "population"
    deprivation: float = 0.0
    rural: float = 0.0
    centre: float = 0.0
    gap_change: float = 0.0
    county: float = 0.0
    noise: float = 0.1
    england: bool = True
    cumulative: bool = False


def _value(name: str, text: str) -> Any:
    """One cell of the table as the type of its field."""
    if name == "level":
        return tuple(None if v == NONE else float(v) for v in text.split())
    if name == "multiplier":
        return int(text)
    if name in ("england", "cumulative"):
        return text == "yes"
    if name == "denominator":
        return None if text == NONE else text
    kind = Spec.__dataclass_fields__[name].type
    return float(text) if kind == "float" else text


def read_specs() -> tuple[list[Spec], list[dict[str, Any]]]:
    """The demo's indicators from the table: those whose values are drawn, and those that are metadata only."""
    with resource("demo", "indicator_specs.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    drawn = [f.name for f in fields(Spec) if f.name in rows[0] and f.name not in METADATA]
    specs = [Spec(**{k: _value(k, row[k]) for k in METADATA + tuple(drawn)}) for row in rows if row["level"]]
    extra = [{k: _value(k, row[k]) for k in METADATA} for row in rows if not row["level"]]
    return specs, extra


SPECS, EXTRA_INDICATORS = read_specs()
"""Indicators with synthetic values, and those ingested by other adapters (population, deprivation): metadata only."""

DATASET_TITLES = {
    "demo-population": "Demo mid-year population estimates (synthetic)",
    "demo-imd": "Demo Index of Multiple Deprivation (synthetic)",
    "demo-education": "Demo education outcomes (synthetic)",
    "demo-benefits": "Demo benefits and low income (synthetic)",
    "demo-child-measurement": "Demo child measurement programme (synthetic)",
    "demo-health-admissions": "Demo hospital admissions (synthetic)",
    "demo-police-crime": "Demo police recorded crime and road casualties (synthetic)",
    "demo-voluntary-survey": "Demo voluntary sector residents' survey (synthetic)",
    "demo-mortality": "Demo deaths and populations by age (synthetic)",
    "demo-primary-care": "Demo GP registers and vaccinations (synthetic)",
    "demo-labour-market": "Demo labour market estimates (synthetic)",
    "demo-business": "Demo business registrations (synthetic)",
    "demo-broadband": "Demo broadband coverage and speeds (synthetic)",
    "demo-environment": "Demo environment and energy (synthetic)",
}
