"""The observatory's shared vocabulary: themes, value types, polarity, area types and the tidy value table."""

from __future__ import annotations

import csv
from enum import Enum

from observatory._core.resources import resource


class Theme(str, Enum):
    """The six themes of the Public Service Board's evidence base."""

    CHILDREN_YOUNG_PEOPLE = "children_young_people"
    SAFER_COMMUNITIES = "safer_communities"
    STRONGER_COMMUNITIES = "stronger_communities"
    HEALTHIER_COMMUNITIES_OLDER_PEOPLE = "healthier_communities_older_people"
    ECONOMIC_DEVELOPMENT_ENTERPRISE = "economic_development_enterprise"
    CLIMATE_CHANGE_ENVIRONMENT = "climate_change_environment"


THEME_TITLES = {
    Theme.CHILDREN_YOUNG_PEOPLE: "Children and young people",
    Theme.SAFER_COMMUNITIES: "Safer communities",
    Theme.STRONGER_COMMUNITIES: "Stronger communities",
    Theme.HEALTHIER_COMMUNITIES_OLDER_PEOPLE: "Healthier communities and older people",
    Theme.ECONOMIC_DEVELOPMENT_ENTERPRISE: "Economic development and enterprise",
    Theme.CLIMATE_CHANGE_ENVIRONMENT: "Climate change and environment",
}


class ValueType(str, Enum):
    """How an indicator's value is built from its numerator and denominator."""

    PROPORTION = "proportion"
    CRUDE_RATE = "crude_rate"
    DSR = "dsr"
    ISR = "isr"
    COUNT = "count"
    MEAN = "mean"
    SCORE = "score"


class Polarity(str, Enum):
    """Which direction is better, for RAG colouring and trend wording."""

    HIGH_IS_GOOD = "high_is_good"
    LOW_IS_GOOD = "low_is_good"
    NO_JUDGEMENT = "no_judgement"


class AreaType(str, Enum):
    """Levels of the area hierarchy, small to large, plus England as an external benchmark."""

    LSOA = "lsoa"
    WARD = "ward"
    MSOA = "msoa"
    LOCALITY = "locality"
    DISTRICT = "district"
    COUNTY = "county"
    REGION = "region"
    ENGLAND = "england"


# The tidy value table: one row per indicator x area x period x breakdown.
KEY = ["indicator_id", "area_code", "period", "sex", "age", "category"]
VALUE_COLUMNS = {
    "indicator_id": "string",
    "area_code": "string",
    "area_type": "string",  # an AreaType value
    "vintage": "string",  # geography vintage: "2011", "2021", "2013", "2022" or "" when not applicable
    "period": "string",  # label as published: "2019", "2019/20", "2015 - 17", "2024 Q3"
    "period_sort": "int64",  # sortable start of the period, Fingertips style: YYYYMMDD-ish, e.g. 20190000
    "sex": "string",  # "Persons", "Male", "Female"
    "age": "string",  # "All ages", "18+ yrs", ...
    "category": "string",  # breakdown category, "" when none
    "numerator": "float64",
    "denominator": "float64",
    "value": "float64",
    "lower95": "float64",
    "upper95": "float64",
    "lower998": "float64",
    "upper998": "float64",
    "value_note": "string",
    "dataset_id": "string",  # catalogue record the value came from
    "source_file": "string",  # file name the value was ingested from
}


# --- GSS codes: the ONS code register's entity prefixes, ONE table ------------------------------------------------


def _gss_entities() -> dict[str, tuple[str, str]]:
    with resource("gss_entities.csv").open(encoding="utf-8", newline="") as f:
        return {row["prefix"]: (row["entity"], AreaType(row["level"]).value) for row in csv.DictReader(f)}


GSS_ENTITIES: dict[str, tuple[str, str]] = _gss_entities()
"""Prefix → (ONS entity name, the level it takes in the observatory's hierarchy), from the table
``resources/gss_entities.csv``. Upper-tier authorities (E06 unitary, E08 metropolitan borough, E09 London
borough, E10 county) take the county level: they are the authorities a profile's county benchmark stands
for. E06, E08 and E09 are single tier: they have no district level below them (:data:`SINGLE_TIER`)."""

SINGLE_TIER = frozenset({"E06", "E08", "E09"})


def area_type_of(code: str) -> str | None:
    """The hierarchy level of a GSS code from its prefix (``E07000218`` → ``district``); None when unknown."""
    entity = GSS_ENTITIES.get(str(code)[:3])
    return entity[1] if entity else None


def gss_prefix_types() -> dict[str, str]:
    """Prefix → hierarchy level, for vectorised mapping (``codes.str[:3].map(gss_prefix_types())``)."""
    return {prefix: level for prefix, (_, level) in GSS_ENTITIES.items()}


# --- frequencies, ONE list ------------------------------------------------------------------------------------------

FREQUENCIES = ("annual", "quarterly", "monthly", "weekly", "census", "periodic", "irregular", "one-off")
"""How often a dataset or indicator is updated."""


# --- comparisons with a benchmark, ONE vocabulary -------------------------------------------------------------------

NOT_COMPARED = "not compared"
COMPARISONS = ("better", "similar", "worse", "higher", "lower", NOT_COMPARED)
"""Fingertips' outcomes of comparing a value with a benchmark: better/similar/worse where a polarity says which
direction is good, higher/similar/lower where it does not, and not compared."""

COMPARISON_TITLES = {
    "better": "Better",
    "similar": "Similar",
    "worse": "Worse",
    "higher": "Higher",
    "lower": "Lower",
    NOT_COMPARED: "Not compared",
}
