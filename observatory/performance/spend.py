"""Spend against need: each area's share of funding set against its share of deprivation-weighted population."""

from __future__ import annotations

import numpy as np
import pandas as pd

NEED_TOLERANCE = 0.10


def need_index(profiles: pd.DataFrame, indicator: str = "imd_score", area_type: str = "locality") -> pd.DataFrame:
    """Each area's share of need: population × population-weighted deprivation score, as a share of the total.

    The deprivation score of a locality is the population-weighted mean of its small areas' scores, so population ×
    score is the sum over its small areas of population × score: a deprivation-weighted population. Relative to the
    county mean it reads as "people, counted more where deprivation is higher". Latest period of ``indicator``.
    """
    p = profiles[(profiles["indicator_id"] == indicator) & (profiles["area_type"] == area_type)]
    p = p[p["period_sort"] == p["period_sort"].max()] if len(p) else p
    out = pd.DataFrame(
        {
            "area_code": p["area_code"].to_numpy(),
            "area_name": p.get("area_name", p["area_code"]).to_numpy(),
            "district_code": p["district_code"].to_numpy() if "district_code" in p else "",
            "population": p["denominator"].to_numpy(dtype=float),
            "score": p["value"].to_numpy(dtype=float),
        }
    )
    out["need"] = out["population"] * out["score"]
    out["need_share"] = out["need"] / out["need"].sum()
    return out.sort_values("area_code").reset_index(drop=True)


def spend_against_need(
    allocations: pd.DataFrame,
    need: pd.DataFrame,
    *,
    period: str | None = None,
    area_type: str = "locality",
    localities: pd.DataFrame | None = None,
    tolerance: float = NEED_TOLERANCE,
) -> pd.DataFrame:
    """Funding share against need share per area; ``under_funded`` where the funding share falls below the need
    share by more than ``tolerance`` (relative: 0.10 flags a share under 90% of the share of need).

    Allocations of ``period`` (default: the latest), all funds summed. For districts, a district's funding is its
    own allocations plus its localities' (``localities``: a need table of localities giving their district).
    """
    a = allocations
    if len(a):
        if period is None:
            period = a.loc[a["period_sort"] == a["period_sort"].max(), "period"].iloc[0]
        a = a[a["period"] == period]
    if area_type == "district" and localities is not None and len(a):
        loc_district = localities.set_index("area_code")["district_code"]
        a = a.assign(
            area_code=np.where(a["area_type"] == "locality", a["area_code"].map(loc_district), a["area_code"]),
            area_type="district",
        )
    amount = a[a["area_type"] == area_type].groupby("area_code")["amount"].sum() if len(a) else pd.Series(dtype=float)
    out = need.copy()
    out["period"] = period or ""
    out["amount"] = out["area_code"].map(amount).fillna(0.0)
    total = out["amount"].sum()
    out["funding_share"] = out["amount"] / total if total > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["funding_to_need"] = out["funding_share"] / out["need_share"]
    out["under_funded"] = (out["funding_share"] < out["need_share"] * (1 - tolerance)).fillna(False).astype(bool)
    return out
