"""The partnership's performance inputs: targets, funding allocations and the risk register.

Each is an optional CSV in the configuration folder (another name may be given under ``performance:`` in
``config.yaml``), validated like every other input: every problem of a file is reported at once, each with a
stable code (``unknown-area``, ``bad-number``, ...) and a sentence for people.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from observatory._core.numbers import is_number
from observatory._core.vocab import Theme
from observatory.config import Config
from observatory.errors import Report
from observatory.geo.areas import Geography
from observatory.ingest.adapters._common import period_sort_key
from observatory.metadata.indicators import read_indicators

TARGET_COLUMNS = [
    "indicator_id",
    "area_code",
    "area_type",
    "target_value",
    "target_period",
    "direction",
    "theme_group",
    "owner",
    "note",
]
TARGET_AREA_TYPES = ("county", "district", "locality")
DIRECTIONS = ("increase", "decrease", "maintain")
ALLOCATION_COLUMNS = ["area_code", "area_type", "period", "amount", "fund"]
ALLOCATION_AREA_TYPES = ("district", "locality")
RISK_COLUMNS = ["id", "title", "theme", "owner", "likelihood", "impact", "score", "mitigation", "linked_indicator"]
RATINGS = {"1", "2", "3", "4", "5"}
FLAGS = ("", "true", "false", "yes", "no", "1", "0")
THEMES = frozenset(t.value for t in Theme)


def _config_file(cfg: Config, key: str, default: str) -> Path:
    return cfg.local_path((cfg.raw.get("performance") or {}).get(key, default))


def targets_file(cfg: Config) -> Path:
    return _config_file(cfg, "targets", "targets.csv")


def allocations_file(cfg: Config) -> Path:
    return _config_file(cfg, "allocations", "allocations.csv")


def risks_file(cfg: Config) -> Path:
    return _config_file(cfg, "risks", "risks.csv")


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def to_number(text: str) -> float | None:
    """A plain decimal number (thousands separators allowed), or None: never NaN, infinity or ``1_000``."""
    text = str(text).replace(",", "").strip()
    return float(text) if is_number(text) else None


def _area_types(geography: Geography) -> dict[tuple[str, str], str]:
    """(code, type) → name, for every area of the geography."""
    a = geography.areas
    return {(c, t): n for c, t, n in zip(a["code"], a["type"], a["name"])}


def _missing_columns(frame: pd.DataFrame, required: list[str], file: str) -> Report:
    report = Report()
    missing = [c for c in required if c not in frame.columns]
    if missing:
        report.add(file, 1, missing[0], f"missing required column(s): {', '.join(missing)}", code="missing-column")
    return report


def _check_area(report: Report, areas: dict, file: str, line: int, code: str, kind: str, kinds: tuple[str, ...]) -> None:
    """An area code of the stated type, of this geography."""
    if kind not in kinds:
        report.add(file, line, "area_type", f"area type {kind!r} is not one of {', '.join(kinds)}", code="bad-area-type")
    elif (code, kind) not in areas:
        other = sorted(t for (c, t) in areas if c == code)
        if other:
            report.add(file, line, "area_code", f"area {code!r} is a {other[0]}, not a {kind}", code="area-type-mismatch")
        else:
            report.add(file, line, "area_code", f"area {code!r} is not a {kind} of this geography", code="unknown-area")


def _check_target_period(report: Report, file: str, line: int, r: dict) -> None:
    sort_text = str(r.get("target_period_sort", "")).strip()
    if sort_text:
        if not sort_text.isdigit():
            report.add(
                file,
                line,
                "target_period_sort",
                f"target period sort {sort_text!r} is not an integer such as 20260000",
                code="bad-period-sort",
            )
    elif not r["target_period"].strip() or period_sort_key(r["target_period"]) is None:
        report.add(
            file, line, "target_period", f"target period {r['target_period']!r} holds no year (e.g. 2026/27)", code="bad-period"
        )


def _check_direction(report: Report, file: str, line: int, direction: str, ind: str, indicators: pd.DataFrame) -> None:
    if direction not in DIRECTIONS:
        report.add(
            file, line, "direction", f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}", code="bad-direction"
        )
    elif direction == "maintain" and ind in indicators.index and indicators.loc[ind, "polarity"] == "no_judgement":
        report.add(
            file,
            line,
            "direction",
            f"'maintain' needs an indicator with a polarity; {ind} has no judgement: "
            "use increase (at least) or decrease (at most)",
            code="maintain-without-polarity",
        )


def validate_targets(frame: pd.DataFrame, geography: Geography, indicators: pd.DataFrame, file: str = "targets.csv") -> Report:
    """Every problem in a target table: unknown indicator or area, area of another type, bad direction, theme
    group, number or period, ``maintain`` without a polarity, and the same target set twice."""
    report = _missing_columns(frame, TARGET_COLUMNS, file)
    if not report.ok:
        return report
    areas = _area_types(geography)
    seen: dict[tuple[str, str, str], int] = {}
    for line, r in enumerate(frame.to_dict("records"), start=2):
        ind, code, kind = r["indicator_id"].strip(), r["area_code"].strip(), r["area_type"].strip()
        if ind not in indicators.index:
            report.add(
                file,
                line,
                "indicator_id",
                f"indicator {ind!r} does not exist in the indicator metadata",
                code="unknown-indicator",
            )
        _check_area(report, areas, file, line, code, kind, TARGET_AREA_TYPES)
        if to_number(r["target_value"]) is None:
            report.add(file, line, "target_value", f"target value {r['target_value']!r} is not a number", code="bad-number")
        _check_direction(report, file, line, r["direction"].strip(), ind, indicators)
        _check_target_period(report, file, line, r)
        group = r["theme_group"].strip()
        if group and group not in THEMES:
            report.add(
                file,
                line,
                "theme_group",
                f"theme group {group!r} is not one of {', '.join(sorted(THEMES))}",
                code="unknown-theme",
            )
        flag = str(r.get("illustrative", "")).strip().lower()
        if flag not in FLAGS:
            report.add(file, line, "illustrative", f"illustrative {flag!r} is not true or false", code="bad-flag")
        key = (ind, code, r["target_period"].strip())
        if key in seen:
            report.add(
                file,
                line,
                "target_period",
                f"a target for {ind} in {code} for {key[2]} is already set on row {seen[key]}",
                code="duplicate-target",
            )
        seen.setdefault(key, line)
    return report


def read_targets(
    cfg: Config, path: Path | str | None = None, geography: Geography | None = None, indicators: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The configuration's targets, validated (every problem reported at once); empty when it has none.

    Columns as in the file plus ``target_period_sort`` (from the label when not given), ``target_value`` as a
    number, ``theme_group`` defaulting to the indicator's theme and ``illustrative`` (bool).
    """
    path = Path(path) if path else targets_file(cfg)
    if not path.exists():
        return pd.DataFrame(columns=TARGET_COLUMNS + ["target_period_sort", "illustrative"])
    frame = _read_csv(path)
    indicators = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    geography = geography or Geography(cfg)
    validate_targets(frame, geography, indicators, path.name).raise_if_problems()
    out = frame.copy()
    for c in TARGET_COLUMNS:
        out[c] = out[c].str.strip()
    out["target_value"] = out["target_value"].map(to_number).astype(float)
    given = out["target_period_sort"].str.strip() if "target_period_sort" in out else pd.Series("", index=out.index)
    out["target_period_sort"] = [int(g) if g else period_sort_key(p) for g, p in zip(given, out["target_period"])]
    out["target_period_sort"] = out["target_period_sort"].astype("int64")
    out["theme_group"] = out["theme_group"].where(out["theme_group"] != "", out["indicator_id"].map(indicators["theme"]))
    flag = out["illustrative"] if "illustrative" in out else pd.Series("", index=out.index)
    out["illustrative"] = flag.str.strip().str.lower().isin(["true", "yes", "1"]).astype(bool)
    return out.reset_index(drop=True)


def validate_allocations(frame: pd.DataFrame, geography: Geography, file: str = "allocations.csv") -> Report:
    """Every problem in an allocation table: area, amount (pounds, at or above zero), period and fund."""
    report = _missing_columns(frame, ALLOCATION_COLUMNS, file)
    if not report.ok:
        return report
    areas = _area_types(geography)
    for line, r in enumerate(frame.to_dict("records"), start=2):
        _check_area(report, areas, file, line, r["area_code"].strip(), r["area_type"].strip(), ALLOCATION_AREA_TYPES)
        v = to_number(r["amount"])
        if v is None:
            report.add(file, line, "amount", f"amount {r['amount']!r} is not a number of pounds", code="bad-number")
        elif v < 0:
            report.add(file, line, "amount", f"amount {r['amount']!r} is below zero", code="negative-amount")
        for column in ("period", "fund"):
            if not r[column].strip():
                report.add(file, line, column, f"{column} is empty", code="missing-value")
    return report


def read_allocations(cfg: Config, path: Path | str | None = None, geography: Geography | None = None) -> pd.DataFrame:
    """Funding allocated to districts and localities (like the area-based grant); empty when there is none."""
    path = Path(path) if path else allocations_file(cfg)
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=float if c == "amount" else str) for c in ALLOCATION_COLUMNS})
    frame = _read_csv(path)
    validate_allocations(frame, geography or Geography(cfg), path.name).raise_if_problems()
    out = frame.copy()
    out["amount"] = out["amount"].map(to_number).astype(float)
    out["period_sort"] = out["period"].map(period_sort_key).astype("Int64")
    return out


def validate_risks(frame: pd.DataFrame, indicators: pd.DataFrame, file: str = "risks.csv") -> Report:
    """Every problem in a risk register: ratings 1-5, score = likelihood × impact, theme, linked indicator, ids."""
    report = _missing_columns(frame, RISK_COLUMNS, file)
    if not report.ok:
        return report
    for line, r in enumerate(frame.to_dict("records"), start=2):
        ratings = {c: r[c].strip() for c in ("likelihood", "impact")}
        for c, v in ratings.items():
            if v not in RATINGS:
                report.add(file, line, c, f"risk {r['id']}: {c} {v!r} is not a whole number from 1 to 5", code="bad-rating")
        score = r["score"].strip()
        if score and set(ratings.values()) <= RATINGS and score != str(int(ratings["likelihood"]) * int(ratings["impact"])):
            report.add(
                file,
                line,
                "score",
                f"risk {r['id']}: score {score!r} is not likelihood × impact = "
                f"{int(ratings['likelihood']) * int(ratings['impact'])}",
                code="score-mismatch",
            )
        if r["theme"] not in THEMES:
            report.add(
                file, line, "theme", f"risk {r['id']}: theme {r['theme']!r} is not one of the six themes", code="unknown-theme"
            )
        linked = r["linked_indicator"].strip()
        if linked and linked not in indicators.index:
            report.add(
                file, line, "linked_indicator", f"risk {r['id']}: indicator {linked!r} does not exist", code="unknown-indicator"
            )
    for i in frame.index[frame["id"].duplicated()]:
        report.add(file, int(i) + 2, "id", f"risk id {frame.loc[i, 'id']!r} is used twice", code="duplicate-risk")
    return report


def read_risks(cfg: Config, path: Path | str | None = None, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """The partnership's risk register: likelihood and impact 1-5, score = likelihood × impact; empty when none."""
    path = Path(path) if path else risks_file(cfg)
    if not path.exists():
        return pd.DataFrame(columns=RISK_COLUMNS)
    frame = _read_csv(path)
    indicators = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    validate_risks(frame, indicators, path.name).raise_if_problems()
    out = frame.copy()
    out["likelihood"] = out["likelihood"].str.strip().astype(int)
    out["impact"] = out["impact"].str.strip().astype(int)
    out["score"] = out["likelihood"] * out["impact"]
    return out.sort_values(["score", "id"], ascending=[False, True]).reset_index(drop=True)
