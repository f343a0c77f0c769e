"""Disclosure control of published profile tables, by each dataset's own terms.

A dataset's catalogue record may set ``suppression_threshold`` (counts 1 to it are withheld; default 5) and
``rounding_base`` (published counts rounded to a multiple of it, e.g. 5). :func:`publishable` applies them
row by row (primary and secondary suppression within each indicator, period and parent area, then rounding),
records the rule with each cell it touched (``suppression_rule``, e.g. "counts 1–10 suppressed (catalogue:
demo-xyz)") and recomputes the value and limits of rounded rows from their rounded counts, so the exact count
cannot be worked back from a published rate. Benchmark columns carried on a row (``county_value`` …) are the
benchmark rows' own values: round those datasets at every level, or their county count shows through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory.config import Config
from observatory.metadata.catalogue import read_catalogue
from observatory.profiles.aggregate import LIMITS, compute
from observatory.stats.disclosure import round_counts, rule_text, suppress

DEFAULT_THRESHOLD = 5
COUNTED = {"proportion", "crude_rate", "count", "dsr", "isr"}
RECOMPUTED = {"proportion", "crude_rate", "count", "isr"}
"""Value types whose value and limits follow from numerator and denominator (a DSR needs its age bands)."""
DERIVED = [*LIMITS, "numerator", "gap_to_county", "relative_gap"]
JUDGEMENTS = ["vs_district", "vs_county", "vs_england", "vs_county_998"]


@dataclass(frozen=True)
class DisclosureRule:
    """One dataset's disclosure terms and where they come from ("default" or "catalogue: <dataset id>")."""

    threshold: int = DEFAULT_THRESHOLD
    rounding_base: int = 0
    origin: str = "default"

    @property
    def text(self) -> str:
        words = rule_text(self.threshold)
        if self.rounding_base:
            words += f", counts rounded to base {self.rounding_base}"
        return f"{words} ({self.origin})"


def _whole(v) -> int | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if np.isfinite(f) and f == int(f) and f > 0 else None


def disclosure_rules(cfg: Config) -> dict[str, DisclosureRule]:
    """Dataset id → its disclosure rule, for every catalogue record that sets a threshold or a rounding base."""
    records = read_catalogue(cfg)
    out = {}
    for rid, r in records.iterrows():
        threshold = _whole(r.get("suppression_threshold"))
        base = _whole(r.get("rounding_base"))
        if threshold or base:
            out[str(rid)] = DisclosureRule(threshold or DEFAULT_THRESHOLD, base or 0, f"catalogue: {rid}")
    return out


def publishable(
    frame: pd.DataFrame, rules: Mapping[str, DisclosureRule] | Config | None = None, threshold: int = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Small counts suppressed (primary and secondary, within each indicator, period and parent area) by each
    row's dataset rule (``rules``: dataset id → rule, or a configuration to read them from its catalogue;
    ``threshold`` for datasets without one), then counts rounded where a rule asks, values recomputed."""
    if isinstance(rules, Config):
        rules = disclosure_rules(rules)
    rules = rules or {}
    default = DisclosureRule(threshold)
    f = frame.copy()
    counted = f["value_type"].isin(COUNTED)
    parent = f["district_code"].where(f["area_type"] == "locality", f.get("locality_code", ""))
    f["_parent"] = parent.fillna("")
    datasets = f["dataset_id"].astype(str) if "dataset_id" in f.columns else pd.Series("", index=f.index)
    row_rule = [rules.get(d, default) for d in datasets]
    f["suppressed"] = False
    f["suppression_note"] = ""
    f["suppression_rule"] = ""
    f["rounded"] = False
    if counted.any():
        part = f[counted]
        mine = [r for r, c in zip(row_rule, counted) if c]
        done = suppress(
            part,
            "numerator",
            threshold=[r.threshold for r in mine],
            rule=[r.text for r in mine],
            group_cols=["indicator_id", "period", "area_type", "_parent"],
            derived_cols=[c for c in DERIVED if c != "numerator" and c in part.columns],
        )
        for c in done.columns:
            f.loc[counted, c] = done[c].to_numpy()
    f.loc[f["suppressed"].astype(bool), JUDGEMENTS] = "suppressed"
    bases = np.array([r.rounding_base for r in row_rule], dtype=float)
    if (counted & (bases > 0)).any():
        f = _rounded(f, np.where(counted, bases, 0.0), [r.text for r in row_rule])
    return f.drop(columns="_parent")


def _rounded(f: pd.DataFrame, bases: np.ndarray, texts: list[str]) -> pd.DataFrame:
    """Counts of unsuppressed rows rounded to their base, and the values that follow from them recomputed."""
    f = round_counts(f, "numerator", bases, skip=f["suppressed"].astype(bool).to_numpy())
    again = f["rounded"] & f["value_type"].isin(RECOMPUTED) & f["numerator"].notna()
    if again.any():
        inds = (
            f.loc[again, ["indicator_id", "value_type", "multiplier"]].drop_duplicates("indicator_id").set_index("indicator_id")
        )
        res = compute(f.loc[again], inds)
        for c in LIMITS:
            f.loc[again, c] = res[c].to_numpy()
        if "county_value" in f.columns and "gap_to_county" in f.columns:
            f.loc[again, "gap_to_county"] = f.loc[again, "value"] - f.loc[again, "county_value"]
        if "county_value" in f.columns and "relative_gap" in f.columns:
            with np.errstate(divide="ignore", invalid="ignore"):
                f.loc[again, "relative_gap"] = f.loc[again, "value"] / f.loc[again, "county_value"]
    f.loc[f["rounded"], "suppression_rule"] = np.asarray(texts, dtype=object)[f["rounded"].to_numpy()]
    return f
