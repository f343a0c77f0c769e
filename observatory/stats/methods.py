"""Indicator values with 95% and 99.8% confidence limits, by the methods of PHEindicatormethods and Fingertips.

One function per method. Each takes arrays (or column names with ``data=``, optionally ``group_by`` to get one row
per group) and returns a DataFrame with ``value, lower95, upper95, lower998, upper998, statistic, method, confidence,
note``: both confidence levels in one call, and ``note`` saying why a value is missing ("" when it is not).
Everything is vectorised with numpy; no Python loop runs per row or per group.

One module per method family (``limits``, ``rates``, ``standardised``, ``inequality``; shared inputs and result
frames in ``inputs``); this module gathers their names so ``observatory.stats.methods.<name>`` keeps working.

Methods (Fingertips technical guidance, "Confidence intervals"):
- proportions: Wilson score;
- crude rates and indirectly standardised ratios/rates: Byar's method for counts of 10 or more, the exact Poisson
  (chi-squared) method below 10;
- directly standardised rates: Dobson's method on Byar's limits for the total count, not calculated when the total
  count is under 10, with the 2013 European Standard Population joined to the data by age-band key;
- means: Student's t;
- slope and relative index of inequality: weighted regression on cumulative population rank, limits by simulation.
"""

from observatory.stats.inequality import sii
from observatory.stats.inputs import RESULT_COLUMNS, GroupBy, _column, _finish, _notes, group_codes
from observatory.stats.limits import (
    CONFIDENCE,
    LEVELS,
    byars_limits,
    count_limits,
    exact_poisson_limits,
    poisson_limits,
    wilson_limits,
    z_value,
)
from observatory.stats.rates import isr, mean_ci, proportion_ci, rate_ci
from observatory.stats.standardised import MIN_DSR_COUNT, dsr, european_standard_population, expected_counts, normalise_age_band

# the private names are those the funnel and life-expectancy modules take from here
__all__ = [
    "CONFIDENCE",
    "LEVELS",
    "MIN_DSR_COUNT",
    "RESULT_COLUMNS",
    "GroupBy",
    "_column",
    "_finish",
    "_notes",
    "byars_limits",
    "count_limits",
    "dsr",
    "european_standard_population",
    "exact_poisson_limits",
    "expected_counts",
    "group_codes",
    "isr",
    "mean_ci",
    "normalise_age_band",
    "poisson_limits",
    "proportion_ci",
    "rate_ci",
    "sii",
    "wilson_limits",
    "z_value",
]
