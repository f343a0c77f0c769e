"""Indicator metadata: what each indicator measures, its theme, value type, multiplier and polarity."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from observatory.config import Config, load_config
from observatory._core.vocab import THEME_TITLES, Polarity, Theme, ValueType
from observatory.errors import Report, ValidationError

REQUIRED = ["id", "title", "theme", "unit", "value_type", "multiplier", "polarity", "dataset", "frequency"]
OPTIONAL = ["definition", "aggregation"]
FREQUENCIES = {"annual", "quarterly", "monthly", "census", "irregular", "periodic"}
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
    return frame.set_index("id", drop=False)


def validate_indicators(frame: pd.DataFrame, file: str = "indicators.csv") -> Report:
    """Every problem in an indicator table: missing columns or values, unknown theme, type or polarity."""
    report = Report()
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        report.add(file, 1, missing[0], f"missing required column(s): {', '.join(missing)}")
        return report
    allowed = {
        "theme": {t.value for t in Theme},
        "value_type": {v.value for v in ValueType},
        "polarity": {p.value for p in Polarity},
        "frequency": FREQUENCIES,
        "aggregation": {"", "sum", "population_weighted"},
    }
    for i, row in enumerate(frame.to_dict("records"), start=2):
        for c in REQUIRED:
            if not str(row[c]).strip():
                report.add(file, i, c, f"indicator {row.get('id') or '?'}: {c} is empty")
        for c, values in allowed.items():
            v = row.get(c, "")
            if c in row and v and v not in values:
                report.add(file, i, c, f"indicator {row['id']}: {c} {v!r} is not one of {', '.join(sorted(x for x in values if x))}")
        try:
            if float(row["multiplier"]) <= 0:
                raise ValueError
        except ValueError:
            if str(row["multiplier"]).strip():
                report.add(file, i, "multiplier", f"indicator {row['id']}: multiplier {row['multiplier']!r} is not a positive number")
    dup = frame[frame["id"].duplicated(keep="first")]
    for i in dup.index:
        report.add(file, int(i) + 2, "id", f"indicator id {frame.loc[i, 'id']!r} is defined more than once")
    return report


def load_indicators(config: Config | str = "demo") -> pd.DataFrame:
    """Indicator metadata of a configuration, indexed by id."""
    cfg = config if isinstance(config, Config) else load_config(config)
    return read_indicators(cfg.indicators_file)


def indicator(frame: pd.DataFrame, indicator_id: str) -> Indicator:
    r = frame.loc[indicator_id]
    return Indicator(**{k: r[k] for k in Indicator.__dataclass_fields__})


__all__ = ["Indicator", "read_indicators", "validate_indicators", "load_indicators", "indicator", "ValidationError"]
