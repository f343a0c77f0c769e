"""Small-count suppression of what a page publishes: primary and secondary, within each parent area."""
from __future__ import annotations

import pandas as pd

from observatory.stats.disclosure import suppress

__all__ = ["SUPPRESSION_THRESHOLD", "COUNTED", "publishable"]

SUPPRESSION_THRESHOLD = 5
COUNTED = {"proportion", "crude_rate", "count", "dsr", "isr"}


def publishable(frame: pd.DataFrame, threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """Small counts suppressed (primary and secondary, within each indicator, period and parent area)."""
    f = frame.copy()
    counted = f["value_type"].isin(COUNTED)
    parent = f["district_code"].where(f["area_type"] == "locality", f.get("locality_code", ""))
    f["_parent"] = parent.fillna("")
    part = f[counted]
    done = suppress(part, "numerator", threshold=threshold, group_cols=["indicator_id", "period", "area_type", "_parent"],
                    derived_cols=["value", "lower95", "upper95", "lower998", "upper998", "numerator", "gap_to_county", "relative_gap"])
    f["suppressed"] = False
    f["suppression_note"] = ""
    for c in done.columns:
        f.loc[counted, c] = done[c].to_numpy()
    f.loc[f["suppressed"].astype(bool), ["vs_district", "vs_county", "vs_england", "vs_county_998"]] = "suppressed"
    return f.drop(columns="_parent")
