"""Demo deaths by sex and five-year age band (synthetic), for life expectancy at birth in every locality.

Deaths are Poisson draws around a Gompertz-Makeham death rate (a constant plus a rate rising about 9.3% a year
of age; infant deaths in the 0-4 band) on the demo's own populations, so deaths and populations agree. The rate
is graded by the demo's latent deprivation (the same surface the demo IMD is drawn from), more steeply at
younger ages, so the gap in life expectancy between the most and least deprived localities is real. A generator
of its own (seeded from the demo's seed) leaves every other demo file unchanged. A band with no deaths in an
area and year has no row (the file stays small): no row means no deaths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory.demo.files import _write_csv
from observatory.demo.geography import BAND_MID, ESP_BANDS, POPULATION_YEARS, YEARS
from observatory.demo.people import People

DATASET = "demo-deaths"
FILE = "sources/demo-deaths.csv"
TITLE = "Demo deaths by sex and age (synthetic)"
INDICATOR = dict(
    id="deaths",
    title="Deaths from all causes",
    theme="healthier_communities_older_people",
    unit="deaths",
    value_type="count",
    multiplier=1,
    polarity="no_judgement",
    dataset=DATASET,
    frequency="annual",
    definition="Deaths registered in the calendar year, all causes, by sex and five-year age band (90+ the top band).",
    aggregation="",
)
SOURCE = {
    "id": "deaths",
    "adapter": "tidy",
    "file": FILE,
    "dataset": DATASET,
    "options": {"vintage": "2021"},
    "title": TITLE,
    "describe": "deaths by sex and ESP 2013 band (0-4 to 90+), with all-ages totals",
}
# Gompertz-Makeham by sex (male, female): constant, level at age 0, and the infant rate averaged over 0-4
MAKEHAM = np.array([3.0e-4, 1.5e-4])
GOMPERTZ = np.array([3.6e-5, 2.4e-5])
SLOPE = 0.093
INFANT = np.array([9.0e-4, 7.5e-4])
GRADIENT = 0.5  # log death-rate ratio per unit of latent deprivation at birth, fading to none at 130


def death_rates(deprivation: np.ndarray) -> np.ndarray:
    """Expected deaths per person-year, (area, sex, band)."""
    by_age = MAKEHAM[:, None] + GOMPERTZ[:, None] * np.exp(SLOPE * BAND_MID[None, :])
    by_age[:, 0] = INFANT
    graded = np.exp(GRADIENT * (1 - BAND_MID / 130)[None, :] * deprivation[:, None])
    return by_age[None, :, :] * graded[:, None, :]


def deaths_rows(people: People, codes: list[str], seed: int) -> pd.DataFrame:
    """One row per small area, year, sex and band with deaths (none for a band without), and each area's
    all-ages persons total per year."""
    rng = np.random.default_rng([seed, 12])
    rates = death_rates(people.deprivation)
    parts = []
    for year in POPULATION_YEARS:
        pop = people.population[:, YEARS.index(year)]  # (area, sex, band)
        deaths = np.minimum(rng.poisson(pop * rates), pop)
        stamp = {"indicator_id": INDICATOR["id"], "period": str(year), "period_sort": f"{year}0000"}
        for s, sex in enumerate(("Male", "Female")):
            for b, band in enumerate(ESP_BANDS):
                parts.append(pd.DataFrame({**stamp, "area_code": codes, "sex": sex, "age": band, "value": deaths[:, s, b]}))
        parts.append(
            pd.DataFrame({**stamp, "area_code": codes, "sex": "Persons", "age": "All ages", "value": deaths.sum((1, 2))})
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[(frame["value"] > 0) | (frame["sex"] == "Persons")]  # a band with no deaths has no row
    frame["value"] = frame["value"].astype(int).astype(str)
    columns = ["indicator_id", "area_code", "period", "period_sort", "sex", "age", "value"]
    return frame.sort_values(["period_sort", "area_code"], kind="stable")[columns].reset_index(drop=True)


def write_deaths(out: Path, people: People, codes: list[str], seed: int) -> dict[str, Any]:
    """Write the deaths source and return its entry for the configuration's source list."""
    _write_csv(out / FILE, deaths_rows(people, codes, seed))
    return SOURCE
