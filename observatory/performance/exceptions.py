"""Performance: targets, forecasts and the quarterly zero-based exception report (the names in one place).

The partnership steers performance at three levels (the county-wide board, the six theme groups, the district
partnerships) and reports to each quarterly "on a zero-based exception basis": only what is off track appears.
Each concept has its own module: :mod:`.targets` (inputs, validated), :mod:`.forecasts` (weighted least squares
with a prediction interval; target status), :mod:`.rules` (the three exception rules), :mod:`.levels`
(governance levels), :mod:`.changes` (since last quarter), :mod:`.spend` (need against spend) and
:mod:`.report` (:class:`ExceptionReport`). ``observatory.present.exception_page`` renders a report.
"""

from __future__ import annotations

from observatory.performance.changes import KEY, diff_exceptions, find_previous, read_exceptions, write_exceptions
from observatory.performance.forecasts import LEVEL, MIN_POINTS, STATUSES, assess_targets, forecast, period_years
from observatory.performance.levels import for_level, level_slug, parse_level, targets_for_level
from observatory.performance.report import HIGH_RISK, NOTEBOOK, ExceptionReport, exception_jobs
from observatory.performance.rules import (
    AREA_TYPES,
    EXCEPTION_COLUMNS,
    RULES,
    empty_exceptions,
    find_exceptions,
    gap_widening,
    off_track,
    red_red,
)
from observatory.performance.spend import NEED_TOLERANCE, need_index, spend_against_need
from observatory.performance.targets import (
    ALLOCATION_COLUMNS,
    DIRECTIONS,
    RISK_COLUMNS,
    TARGET_AREA_TYPES,
    TARGET_COLUMNS,
    allocations_file,
    read_allocations,
    read_risks,
    read_targets,
    risks_file,
    targets_file,
    validate_allocations,
    validate_risks,
    validate_targets,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "AREA_TYPES",
    "DIRECTIONS",
    "EXCEPTION_COLUMNS",
    "HIGH_RISK",
    "KEY",
    "LEVEL",
    "MIN_POINTS",
    "NEED_TOLERANCE",
    "NOTEBOOK",
    "RISK_COLUMNS",
    "RULES",
    "STATUSES",
    "TARGET_AREA_TYPES",
    "TARGET_COLUMNS",
    "ExceptionReport",
    "allocations_file",
    "assess_targets",
    "diff_exceptions",
    "empty_exceptions",
    "exception_jobs",
    "find_exceptions",
    "find_previous",
    "for_level",
    "forecast",
    "gap_widening",
    "level_slug",
    "need_index",
    "off_track",
    "parse_level",
    "period_years",
    "read_allocations",
    "read_exceptions",
    "read_risks",
    "read_targets",
    "red_red",
    "risks_file",
    "spend_against_need",
    "targets_file",
    "targets_for_level",
    "validate_allocations",
    "validate_risks",
    "validate_targets",
    "write_exceptions",
]
