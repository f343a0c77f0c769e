"""The statistical core: PHEindicatormethods / Fingertips methods, vectorised.

- ``methods``: values with 95% and 99.8% limits (Wilson, Byar/exact Poisson, Dobson DSR, ISR, t, SII)
- ``aggregate``: small areas → wards, localities, districts, county
- ``compare``: benchmark comparison, quintiles (their colours: ``observatory.present.palette``)
- ``trend``: Fingertips recent trend
- ``gap``: narrowing the gap (locality gaps, spread, SII by decile, gap trend)
- ``disclosure``: small-count suppression with secondary suppression
"""

from observatory.stats.compare import quintiles  # compare(): observatory.stats.compare.compare (the module keeps its name)
from observatory.stats.disclosure import suppress
from observatory.stats.dsr_nonindependent import dsr_nonindependent
from observatory.stats.funnels import funnel_limits, funnel_points, funnel_significance
from observatory.stats.gap import gap_summary, gap_trend, locality_gaps, sii_by_decile
from observatory.stats.life_expectancy import life_expectancy
from observatory.stats.methods import (
    dsr,
    european_standard_population,
    expected_counts,
    isr,
    mean_ci,
    proportion_ci,
    rate_ci,
    sii,
)
from observatory.stats.trend import recent_trend

__all__ = [
    "proportion_ci",
    "rate_ci",
    "dsr",
    "expected_counts",
    "isr",
    "mean_ci",
    "sii",
    "european_standard_population",
    "quintiles",
    "recent_trend",
    "locality_gaps",
    "gap_summary",
    "sii_by_decile",
    "gap_trend",
    "suppress",
]
__all__ += ["life_expectancy"]
__all__ += ["funnel_limits", "funnel_points", "funnel_significance"]
__all__ += ["dsr_nonindependent"]
