"""Demo indicators: one specification per indicator (theme, value type, trend, dataset) and the dataset titles."""
from __future__ import annotations

from dataclasses import dataclass


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """An indicator's metadata and how its synthetic values are drawn.

    ``level`` is England's value per period (in the indicator's unit) or, where England is not
    published (``england=False``), the typical small-area level. Effects act on the link scale
    (logit for proportions, log otherwise): ``deprivation`` per unit of latent deprivation,
    ``rural`` for a wholly rural area, ``centre`` at a town centre; ``gap_change`` scales the
    deprivation and rural effects by (1 + gap_change) from the first to the last period.
    """

    id: str
    title: str
    theme: str
    unit: str
    value_type: str
    multiplier: float
    polarity: str
    dataset: str
    definition: str
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
    frequency: str = "annual"
    aggregation: str = ""
    cumulative: bool = False


CYP, SAFER, STRONGER = "children_young_people", "safer_communities", "stronger_communities"
HEALTH, ECONOMY, CLIMATE = "healthier_communities_older_people", "economic_development_enterprise", "climate_change_environment"
PCT, PER_1K, PER_100K = "%", "per 1,000", "per 100,000"

SPECS: list[Spec] = [
    # children and young people
    Spec("gcse_good_pass", "Pupils achieving grade 4 or above in English and maths at Key Stage 4", CYP, PCT,
         "proportion", 100, "high_is_good", "demo-education",
         "Pupils at the end of Key Stage 4 achieving grade 4 or above in both English and maths, by pupil residence.",
         (71.2, 72.2, 69.0, 65.1, 65.4, 65.6), denominator="ks4", deprivation=-0.55, county=0.05, noise=0.15),
    Spec("good_level_development", "Children achieving a good level of development at the end of reception", CYP, PCT,
         "proportion", 100, "high_is_good", "demo-education",
         "Children assessed at the end of the Early Years Foundation Stage with a good level of development "
         "(not assessed in 2019/20 and 2020/21).",
         (None, None, 65.2, 67.2, 67.7, 68.3), denominator="reception", deprivation=-0.35, gap_change=-0.35, noise=0.12),
    Spec("youth_neet", "16-17 year olds not in education, employment or training (or not known)", CYP, PCT,
         "proportion", 100, "low_is_good", "demo-education",
         "Young people aged 16-17 known to the local authority who are NEET or whose activity is not known.",
         (5.5, 5.5, 4.7, 5.2, 5.4, 5.6), denominator="age_16_17", deprivation=0.5, county=-0.05, noise=0.15),
    Spec("children_low_income", "Children in relative low-income families", CYP, PCT,
         "proportion", 100, "low_is_good", "demo-benefits",
         "Children aged under 16 living in families with income below 60% of the median before housing costs.",
         (19.1, 18.5, 20.1, 21.5, 22.1, 22.5), denominator="children_0_15", deprivation=0.68, gap_change=0.1, noise=0.1),
    Spec("child_obesity_y6", "Year 6 children living with obesity", CYP, PCT,
         "proportion", 100, "low_is_good", "demo-child-measurement",
         "Children in Year 6 (aged 10-11) measured as obese (BMI at or above the 95th centile), by residence.",
         (21.0, 25.5, 23.4, 22.7, 22.1, 22.2), denominator="year6", deprivation=0.28, county=-0.05, noise=0.1),
    Spec("child_injury_admissions", "Hospital admissions for injuries in children aged 0-14", CYP, PER_1K,
         "crude_rate", 1000, "low_is_good", "demo-health-admissions",
         "Emergency admissions caused by unintentional and deliberate injuries, children aged 0-14, per 1,000.",
         (9.1, 7.6, 8.4, 8.0, 7.9, 7.7), denominator="children_0_14", deprivation=0.25, county=0.08, noise=0.12),
    # safer communities
    Spec("crime_rate", "All recorded crime", SAFER, PER_1K, "crude_rate", 1000, "low_is_good", "demo-police-crime",
         "Police recorded crime excluding fraud, by location of offence, per 1,000 residents.",
         (89.0, 83.0, 96.0, 93.0, 89.0, 88.0), deprivation=0.42, centre=0.8, county=-0.4, noise=0.2),
    Spec("violence_with_injury", "Violence with injury", SAFER, PER_1K, "crude_rate", 1000, "low_is_good",
         "demo-police-crime", "Police recorded violence with injury offences per 1,000 residents.",
         (9.2, 8.0, 9.4, 9.3, 9.0, 8.7), deprivation=0.55, centre=0.5, county=-0.35, noise=0.2),
    Spec("burglary_residential", "Residential burglary", SAFER, "per 1,000 households", "crude_rate", 1000,
         "low_is_good", "demo-police-crime", "Police recorded residential burglaries per 1,000 households.",
         (11.0, 8.0, 7.8, 7.9, 7.4, 6.9), denominator="households", deprivation=0.25, rural=0.1, centre=0.3,
         county=-0.15, noise=0.2),
    Spec("asb_incidents", "Anti-social behaviour incidents", SAFER, PER_1K, "crude_rate", 1000, "low_is_good",
         "demo-police-crime", "Anti-social behaviour incidents recorded by the police per 1,000 residents.",
         (22.0, 33.0, 22.0, 18.0, 16.6, 16.0), deprivation=0.5, centre=0.6, county=-0.3, noise=0.2),
    Spec("domestic_abuse", "Domestic abuse-related incidents and crimes", SAFER, PER_1K, "crude_rate", 1000,
         "no_judgement", "demo-police-crime",
         "Domestic abuse-related incidents and crimes recorded by the police per 1,000 residents; a rise may "
         "reflect better reporting, so no judgement is made.",
         (28.0, 31.0, 32.5, 31.0, 30.0, 29.5), deprivation=0.6, county=-0.1, noise=0.15),
    Spec("road_casualties_ksi", "People killed or seriously injured on the roads", SAFER, "people", "count", 1,
         "low_is_good", "demo-police-crime", "Road casualties killed or seriously injured, by collision location.",
         (0.42, 0.33, 0.38, 0.40, 0.39, 0.37), periods="cy", denominator=None, deprivation=0.1, rural=0.6,
         noise=0.3, england=False),
    # stronger communities
    Spec("volunteering", "Adults who volunteer at least once a month", STRONGER, PCT, "proportion", 100,
         "high_is_good", "demo-voluntary-survey",
         "Residents' survey respondents aged 16+ who volunteered formally at least once a month in the last year.",
         (23.0, 17.0, 16.0, 16.0, 16.0, 17.0), denominator="respondents", deprivation=-0.3, rural=0.25, county=0.05),
    Spec("satisfied_local_area", "Residents satisfied with their local area as a place to live", STRONGER, PCT,
         "proportion", 100, "high_is_good", "demo-voluntary-survey",
         "Residents' survey respondents very or fairly satisfied with their local area as a place to live.",
         (76.0, 78.0, 76.0, 75.0, 74.0, 74.0), denominator="respondents", deprivation=-0.35, rural=0.2, county=0.1),
    Spec("loneliness", "Adults who feel lonely often or always", STRONGER, PCT, "proportion", 100, "low_is_good",
         "demo-voluntary-survey", "Residents' survey respondents who feel lonely often or always.",
         (7.2, 7.3, 7.1, 7.0, 7.2, 7.4), denominator="respondents", deprivation=0.3, gap_change=0.3),
    # healthier communities and older people
    Spec("u75_mortality", "Under-75 mortality from all causes", HEALTH, PER_100K, "dsr", 100000, "low_is_good",
         "demo-mortality",
         "Deaths of people aged under 75, directly age-standardised to the 2013 European Standard Population "
         "(5-year bands 0-4 to 70-74), per 100,000.",
         (329.0, 386.0, 370.0, 350.0, 340.0, 330.0), periods="cy", deprivation=0.25, gap_change=0.45, county=-0.06,
         noise=0.08),
    Spec("emergency_admissions", "Emergency hospital admissions", HEALTH, PER_100K, "crude_rate", 100000,
         "low_is_good", "demo-health-admissions", "Emergency admissions to hospital, all ages, per 100,000 residents.",
         (10300.0, 8800.0, 9900.0, 10100.0, 10500.0, 10700.0), deprivation=0.28, county=-0.05, noise=0.08),
    Spec("falls_admissions_65", "Emergency admissions due to falls, people aged 65 and over", HEALTH, PER_100K,
         "crude_rate", 100000, "low_is_good", "demo-health-admissions",
         "Emergency admissions for falls injuries, people aged 65+, per 100,000 aged 65+.",
         (2222.0, 2023.0, 2100.0, 1933.0, 1984.0, 2010.0), denominator="age_65", deprivation=0.15, county=0.04),
    Spec("adult_smoking", "Adults recorded as current smokers", HEALTH, PCT, "proportion", 100, "low_is_good",
         "demo-primary-care", "Registered patients aged 18+ recorded as current smokers, by residence.",
         (16.2, 15.9, 15.5, 14.9, 14.5, 14.0), denominator="adults_18", deprivation=0.48, gap_change=-0.4,
         county=-0.05, noise=0.08),
    Spec("diabetes_prevalence", "Diabetes prevalence", HEALTH, PCT, "proportion", 100, "low_is_good",
         "demo-primary-care", "Registered patients aged 17+ on the diabetes register, by residence.",
         (7.1, 7.1, 7.3, 7.5, 7.7, 7.9), denominator="adults_17", deprivation=0.22, county=-0.05, noise=0.08),
    Spec("flu_vaccination_65", "Flu vaccination uptake, people aged 65 and over", HEALTH, PCT, "proportion", 100,
         "high_is_good", "demo-primary-care", "People aged 65+ vaccinated against seasonal flu, by residence.",
         (72.4, 80.9, 82.3, 79.9, 77.8, 74.9), denominator="age_65", deprivation=-0.25, county=0.05, noise=0.08),
    # economic development and enterprise
    Spec("employment_rate", "Employment rate, people aged 16-64", ECONOMY, PCT, "proportion", 100, "high_is_good",
         "demo-labour-market", "Residents aged 16-64 in employment (modelled small-area estimate).",
         (76.2, 75.0, 75.4, 75.7, 75.7, 75.9), denominator="age_16_64", deprivation=-0.38, county=0.08, noise=0.05),
    Spec("claimant_rate", "Claimant count, people aged 16-64", ECONOMY, PCT, "proportion", 100, "low_is_good",
         "demo-benefits", "Residents aged 16-64 claiming unemployment-related benefits (annual average).",
         (3.1, 6.5, 4.9, 3.7, 3.9, 4.2), denominator="age_16_64", deprivation=0.5, gap_change=0.35, county=-0.15),
    Spec("new_businesses", "New business registrations", ECONOMY, "businesses", "count", 1, "high_is_good",
         "demo-business", "New businesses registered with a trading address in the area.",
         (6.0, 5.5, 6.8, 6.2, 6.0, 6.3), periods="cy", denominator=None, deprivation=-0.1, centre=0.8, noise=0.3,
         england=False),
    Spec("broadband_speed", "Average fixed broadband download speed", ECONOMY, "Mbit/s", "mean", 1, "high_is_good",
         "demo-broadband", "Mean download speed of fixed broadband connections; the denominator is premises.",
         (72.0, 88.0, 110.0, 135.0, 160.0, 185.0), periods="cy", denominator="premises", rural=-0.55,
         gap_change=-0.4, noise=0.1, aggregation="population_weighted"),
    Spec("superfast_coverage", "Premises with superfast broadband available", ECONOMY, PCT, "proportion", 100,
         "high_is_good", "demo-broadband", "Residential and business premises able to receive 30 Mbit/s or more.",
         (95.5, 96.4, 97.0, 97.4, 97.9, 98.2), periods="cy", denominator="premises", rural=-2.3, gap_change=-0.45,
         noise=0.35),
    # climate change and environment
    Spec("household_recycling", "Households taking part in kerbside recycling", CLIMATE, PCT, "proportion", 100,
         "high_is_good", "demo-environment", "Households setting out dry recycling at least once in a monitoring month.",
         (82.0, 84.5, 84.0, 83.5, 84.0, 84.8), denominator="households", deprivation=-0.35, noise=0.15, england=False),
    Spec("fly_tipping", "Fly-tipping incidents", CLIMATE, PER_1K, "crude_rate", 1000, "low_is_good",
         "demo-environment", "Fly-tipping incidents dealt with by the council per 1,000 residents.",
         (17.3, 19.5, 18.6, 18.2, 19.0, 19.4), deprivation=0.5, centre=0.7, county=-0.85, noise=0.25),
    Spec("fuel_poverty", "Households in fuel poverty", CLIMATE, PCT, "proportion", 100, "low_is_good",
         "demo-environment", "Households in fuel poverty (low income, low energy efficiency measure).",
         (13.4, 13.2, 13.1, 13.4, 11.4, 11.1), periods="cy", denominator="households", deprivation=0.35, rural=0.35,
         county=-0.05, noise=0.1),
    Spec("ev_chargepoints", "Public electric vehicle charging devices", CLIMATE, "devices", "count", 1,
         "high_is_good", "demo-environment", "Publicly available charging devices at the end of the year.",
         (0.18, 0.25, 0.38, 0.55, 0.8, 1.1), periods="cy", denominator=None, rural=-0.2, centre=1.3, noise=0.6,
         england=False, cumulative=True),
    Spec("pm25_mean", "Annual mean fine particulate matter (PM2.5)", CLIMATE, "µg/m³", "mean", 1, "low_is_good",
         "demo-environment", "Modelled annual mean concentration of PM2.5 at residential locations.",
         (9.4, 8.3, 8.4, 8.5, 7.6, 7.3), periods="cy", denominator=None, deprivation=0.03, rural=-0.1, centre=0.12,
         noise=0.03, aggregation="population_weighted"),
]

# indicators ingested by other adapters (population, deprivation): metadata only
EXTRA_INDICATORS = [
    dict(id="population", title="Resident population", theme=STRONGER, unit="people", value_type="count",
         multiplier=1, polarity="no_judgement", dataset="demo-population", frequency="annual",
         definition="Mid-year resident population estimate by sex and five-year age band.", aggregation=""),
    dict(id="imd_score", title="Index of Multiple Deprivation score", theme=STRONGER, unit="score", value_type="score",
         multiplier=1, polarity="low_is_good", dataset="demo-imd", frequency="irregular",
         definition="Index of Multiple Deprivation score; higher is more deprived.", aggregation="population_weighted"),
    dict(id="income_score", title="Income deprivation score", theme=ECONOMY, unit="score", value_type="score",
         multiplier=1, polarity="low_is_good", dataset="demo-imd", frequency="irregular",
         definition="Income Deprivation Domain score: the share of residents experiencing income deprivation.",
         aggregation="population_weighted"),
    dict(id="employment_score", title="Employment deprivation score", theme=ECONOMY, unit="score", value_type="score",
         multiplier=1, polarity="low_is_good", dataset="demo-imd", frequency="irregular",
         definition="Employment Deprivation Domain score: the share of working-age residents involuntarily out of work.",
         aggregation="population_weighted"),
]

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


# ---------------------------------------------------------------------------------------------
# Values
