"""Indicator metadata: what each indicator measures, its theme, value type, multiplier, polarity and comparison.

``polarity`` says which direction is good (better/worse wording, RAG colours) or that none is
(``no_judgement``: higher/lower, blue). ``comparison`` says whether a value is compared with its benchmarks at
all: ``ci_overlap`` (the default: Fingertips' confidence intervals overlapping the benchmark value) or
``not_compared`` (shown without a comparison, as Fingertips publishes modelled estimates and some
survey measures). Both follow the publisher where it says (``observatory.ingest.adapters.fingertips``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from observatory._core.vocab import FREQUENCIES, THEME_TITLES, Polarity, Theme, ValueType
from observatory.config import Config, load_config
from observatory.errors import Report, ValidationError
from observatory.metadata._checks import POSITION, allowed, check_rows, given, rule

REQUIRED = ["id", "title", "theme", "unit", "value_type", "multiplier", "polarity", "dataset", "frequency"]
OPTIONAL = ["definition", "aggregation", "comparison"]
AGGREGATIONS = ("sum", "population_weighted")
CI_OVERLAP, NOT_COMPARED = "ci_overlap", "not_compared"
COMPARISON_METHODS = (CI_OVERLAP, NOT_COMPARED)
SUMMED = {ValueType.PROPORTION.value, ValueType.CRUDE_RATE.value, ValueType.DSR.value, ValueType.ISR.value, ValueType.COUNT.value}


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    theme: str
    unit: str
    value_type: str
    multiplier: float
    polarity: str
    dataset: str
    frequency: str
    definition: str = ""
    aggregation: str = "sum"
    comparison: str = CI_OVERLAP

    @property
    def theme_title(self) -> str:
        return THEME_TITLES[Theme(self.theme)]


def read_indicators(path: Path | str) -> pd.DataFrame:
    """Read and validate an indicator metadata CSV; raises ValidationError listing every problem."""
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    report = validate_indicators(frame, path.name)
    report.raise_if_problems()
    frame = frame.copy()
    for c in OPTIONAL:
        if c not in frame.columns:
            frame[c] = ""
    frame["multiplier"] = frame["multiplier"].astype(float)
    default = frame["value_type"].map(lambda v: "sum" if v in SUMMED else "population_weighted")
    frame["aggregation"] = frame["aggregation"].where(frame["aggregation"] != "", default)
    frame["comparison"] = frame["comparison"].where(frame["comparison"] != "", CI_OVERLAP)
    return frame.set_index("id", drop=False)


def _positive(v: str) -> bool:
    try:
        return float(v) > 0
    except ValueError:
        return False


_VOCABULARIES = {
    "id": pa.Check(
        lambda s: ~s.duplicated(keep="first"), name="duplicate-indicator", error="id {value!r} is defined more than once"
    ),
    "theme": allowed(sorted(t.value for t in Theme), "unknown-theme"),
    "value_type": allowed(sorted(v.value for v in ValueType), "unknown-value-type"),
    "polarity": allowed(sorted(p.value for p in Polarity), "unknown-polarity"),
    "frequency": allowed(FREQUENCIES, "unknown-frequency"),
    "multiplier": rule(lambda v: not given(v) or _positive(v), "bad-multiplier", "multiplier {value!r} is not a positive number"),
}
INDICATOR_TABLE = pa.DataFrameSchema(
    {
        **{
            c: pa.Column(
                checks=[rule(given, "empty-value", "{field} is empty")] + ([_VOCABULARIES[c]] if c in _VOCABULARIES else [])
            )
            for c in REQUIRED
        },
        "aggregation": pa.Column(checks=allowed(AGGREGATIONS, "unknown-aggregation"), required=False, nullable=True),
        "comparison": pa.Column(checks=allowed(COMPARISON_METHODS, "unknown-comparison"), required=False, nullable=True),
    }
)
"""The table checks of indicators.csv: every required value given, ids unique, vocabularies known."""


def validate_indicators(frame: pd.DataFrame, file: str = "indicators.csv") -> Report:
    """Every problem in an indicator table (rows are lines of the file): missing columns or values,
    duplicate ids, unknown theme, value type, polarity, frequency, aggregation or comparison, a bad multiplier."""
    report = Report()
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        for c in missing:
            report.add(file, 1, c, f"missing required column {c!r}", "missing-column")
        return report
    table = frame.astype(str).reset_index(drop=True)
    table[POSITION] = range(2, len(table) + 2)
    ids = table["id"]
    return check_rows(
        table, INDICATOR_TABLE, file, lambda row, _c: (row, f"indicator {ids[row - 2] or '?'}" if row is not None else ""), report
    )


def load_indicators(config: Config | str = "demo") -> pd.DataFrame:
    """Indicator metadata of a configuration, indexed by id."""
    cfg = config if isinstance(config, Config) else load_config(config)
    return read_indicators(cfg.indicators_file)


def indicator(frame: pd.DataFrame, indicator_id: str) -> Indicator:
    r = frame.loc[indicator_id]
    return Indicator(**{k: r[k] for k in Indicator.__dataclass_fields__})


__all__ = [
    "Indicator",
    "COMPARISON_METHODS",
    "CI_OVERLAP",
    "NOT_COMPARED",
    "read_indicators",
    "validate_indicators",
    "load_indicators",
    "indicator",
    "ValidationError",
]
