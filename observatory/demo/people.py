"""Demo people: each small area's population by sex and age band, and the denominators the indicators use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from observatory.demo.geography import (
    AGE_SHARE,
    BAND_MID,
    ENGLAND_HOUSEHOLDS,
    ENGLAND_POP,
    ESP_BANDS,
    MALE_SHARE,
    TOWNS,
    YEARS,
    Layout,
)


# ---------------------------------------------------------------------------------------------
@dataclass
class People:
    deprivation: np.ndarray  # latent, England mean 0 and sd 1 (the county is a little less deprived)
    urban: np.ndarray  # 0 (rural) … 1 (town)
    centre: np.ndarray  # closeness to a town centre, 0 … 1
    population: np.ndarray  # (area, year, sex, band): sex 0 male, 1 female; years 2019 … 2024
    households: np.ndarray  # (area, year)
    premises: np.ndarray  # (area, year)


def _smooth_field(rng: np.random.Generator, xy: np.ndarray, wavelengths: tuple[float, ...], amp: float) -> np.ndarray:
    out = np.zeros(len(xy))
    for wl in wavelengths:
        ang = rng.uniform(0, 2 * np.pi)
        k = 2 * np.pi / wl * np.array([np.cos(ang), np.sin(ang)])
        out += amp * np.sin(xy @ k + rng.uniform(0, 2 * np.pi))
    return out


def _people(rng: np.random.Generator, layout: Layout) -> People:
    cent = layout.centroids
    n = len(cent)
    urban = layout.town_density / (layout.town_density + layout.rural_density)
    raw = -0.8 + _smooth_field(rng, cent, (9.0, 13.0, 17.0, 23.0), 0.18) + rng.normal(0, 0.3, n)
    centre = np.zeros(n)
    for t in TOWNS.values():
        d2 = (cent[:, 0] - t.x) ** 2 + (cent[:, 1] - t.y) ** 2
        raw += t.deprivation * np.exp(-d2 / (2 * (0.8 * t.sigma) ** 2))
        centre = np.maximum(centre, np.exp(-d2 / (2 * (0.6 * t.sigma) ** 2)))
        for _ in range(1 + (t.areas > 30)):  # an estate or two away from the centre
            r, a = rng.uniform(0.6, 1.3) * t.sigma, rng.uniform(0, 2 * np.pi)
            px, py = t.x + r * np.cos(a), t.y + r * np.sin(a)
            raw += rng.uniform(0.9, 1.5) * np.exp(
                -((cent[:, 0] - px) ** 2 + (cent[:, 1] - py) ** 2) / (2 * (0.45 * t.sigma) ** 2)
            )
    raw += 0.35 / (1 + np.exp(-(cent[:, 1] - 16) / 3)) * (1 - urban)  # former coalfield villages in the north
    dep = (raw - raw.mean()) / raw.std() * 0.85 - 0.25
    dep = 2.3 * np.tanh(dep / 2.3)  # a soft ceiling: the most deprived areas are like England's worst decile, no worse

    total = np.clip(rng.normal(1620, 210, n) + 60 * dep, 1050, 2600)
    growth = rng.normal(0.005, 0.004, n)
    fringe = np.flatnonzero((urban > 0.3) & (urban < 0.75))
    growth[rng.choice(fringe, size=min(12, len(fringe)), replace=False)] = 0.035  # new-build estates
    older = 0.6 * (1 - urban) - 0.35 * dep + rng.normal(0, 0.25, n)
    shares = (
        AGE_SHARE[None, :]
        * np.exp(older[:, None] * (BAND_MID[None, :] - 40) / 40 * 0.7)
        * np.exp(rng.normal(0, 0.08, (n, len(ESP_BANDS))))
    )
    shares /= shares.sum(axis=1, keepdims=True)
    years = np.array(YEARS) - 2021
    tot_t = total[:, None] * (1 + growth[:, None]) ** years[None, :]
    persons = tot_t[:, :, None] * shares[:, None, :]
    male = np.rint(persons * MALE_SHARE[None, None, :])
    female = np.rint(persons * (1 - MALE_SHARE[None, None, :]))
    population = np.stack([male, female], axis=2).astype(np.int64)
    hh_size = 2.38 + 0.08 * dep - 0.12 * (1 - urban) - 0.1 * older + rng.normal(0, 0.05, n)
    households = np.rint(population.sum(axis=(2, 3)) / hh_size[:, None]).astype(np.int64)
    premises = households + np.rint(households * 0.03 + rng.poisson(12, n)[:, None]).astype(np.int64)
    return People(dep, urban, centre, population, households, premises)


def _denominators(p: People, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per area and year (2019 … 2024): the populations indicators are counted over."""
    persons = p.population.sum(axis=2).astype(float)  # (area, year, band)
    b = {band: persons[:, :, i] for i, band in enumerate(ESP_BANDS)}
    total = persons.sum(axis=2)
    age_65 = persons[:, :, 13:].sum(axis=2)
    age_0_14 = b["0-4"] + b["5-9"] + b["10-14"]
    age_16_64 = 0.8 * b["15-19"] + persons[:, :, 4:13].sum(axis=2)
    adults = total - age_0_14 - 0.8 * b["15-19"]

    def jitter(x: np.ndarray, sd: float = 0.06) -> np.ndarray:
        return np.maximum(np.rint(x * np.exp(rng.normal(0, sd, x.shape))), 1).astype(np.int64)

    return {
        "population": total.astype(np.int64),
        "households": p.households,
        "premises": p.premises,
        "children_0_15": np.rint(age_0_14 + 0.2 * b["15-19"]).astype(np.int64),
        "children_0_14": np.rint(age_0_14).astype(np.int64),
        "ks4": jitter(b["15-19"] / 5, 0.12),
        "reception": jitter(b["0-4"] / 5, 0.12),
        "year6": jitter(b["10-14"] / 5 * 0.95, 0.12),
        "age_16_17": jitter(b["15-19"] * 2 / 5, 0.1),
        "adults_18": jitter(adults * 1.02, 0.03),
        "adults_17": jitter((adults + 0.2 * b["15-19"]) * 1.02, 0.03),
        "age_65": np.rint(age_65).astype(np.int64),
        "age_16_64": np.rint(age_16_64).astype(np.int64),
        "respondents": np.maximum(rng.poisson(28, total.shape), 8).astype(np.int64),
    }


def _england_denominators() -> dict[str, np.ndarray]:
    pop = np.array(ENGLAND_POP)
    s = AGE_SHARE / AGE_SHARE.sum()
    share = {
        "population": 1.0,
        "children_0_15": s[:3].sum() + 0.2 * s[3],
        "children_0_14": s[:3].sum(),
        "ks4": s[3] / 5,
        "reception": s[0] / 5,
        "year6": s[2] / 5 * 0.95,
        "age_16_17": s[3] * 2 / 5,
        "adults_18": (1 - s[:3].sum() - 0.8 * s[3]) * 1.02,
        "adults_17": (1 - s[:3].sum() - 0.6 * s[3]) * 1.02,
        "age_65": s[13:].sum(),
        "age_16_64": 0.8 * s[3] + s[4:13].sum(),
    }
    out = {k: np.rint(pop * v).astype(np.int64) for k, v in share.items()}
    out["households"] = np.rint(np.array(ENGLAND_HOUSEHOLDS)).astype(np.int64)
    out["premises"] = np.rint(np.array(ENGLAND_HOUSEHOLDS) * 1.05).astype(np.int64)
    out["respondents"] = np.full(len(YEARS), 9800, dtype=np.int64)
    return out


# ---------------------------------------------------------------------------------------------
# Indicators: metadata and the model that generates each one's values
