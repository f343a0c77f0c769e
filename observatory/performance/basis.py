"""What every governance level's exception report of one configuration, store and audience shares.

An :class:`ExceptionBasis` holds the profile rows the audience may see (small counts suppressed), the
targets and their forecasts, every level's exceptions (found once; a level filters them), the risk register
and spend against need for every locality and district. ``ExceptionReport`` takes one and keeps only what
is its level's own; ``present.view_data.exception_basis`` keeps one per process for the pack's 12 reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from observatory.config import Config
from observatory.metadata.indicators import read_indicators
from observatory.performance.forecasts import assess_targets
from observatory.performance.rules import AREA_TYPES, find_exceptions
from observatory.performance.spend import need_index, spend_against_need
from observatory.performance.targets import read_allocations, read_risks, read_targets
from observatory.profiles.table import Profiles

Disclose = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass
class ExceptionBasis:
    """The level-independent frames of an exception report, each computed on first use and then kept.

    ``disclose`` is the disclosure control applied to profile rows before any rule sees them; without one the
    basis refuses to give figures. ``localities`` may carry the locality rows of ``allowed_datasets`` already
    passed through that same ``disclose`` (the profiles' shared data): they are reused instead of suppressed
    again (suppression works within an indicator, period, area type and parent area, so a level's rows do not
    depend on another's).
    """

    config: Config
    profiles: Profiles
    allowed_datasets: set[str] | frozenset[str]
    disclose: Disclose | None = None
    localities: pd.DataFrame | None = None

    @cached_property
    def county_name(self) -> str:
        return self.config.county["name"].removesuffix(" (synthetic)")

    @cached_property
    def indicators(self) -> pd.DataFrame:
        return read_indicators(self.config.indicators_file)

    @cached_property
    def visible_indicators(self) -> set[str]:
        """Indicators whose dataset this audience may see (by the indicator metadata, whatever the store holds)."""
        i = self.indicators
        return set(i.index[i["dataset"].isin(self.allowed_datasets)])

    @cached_property
    def data(self) -> pd.DataFrame:
        """County, district and locality rows of the indicators this audience may see, small counts suppressed."""
        if self.disclose is None:
            raise ValueError("an exception report needs disclosure control (disclose=...) before it shows figures")
        p = self.profiles.profiles
        keep = (
            p["area_type"].isin(AREA_TYPES)
            & p["dataset"].isin(self.allowed_datasets)
            & p["indicator_id"].isin(self.visible_indicators)
        )
        if not keep.any():
            return p[keep]
        if self.localities is None:
            return self.disclose(p[keep]).reset_index(drop=True)
        loc = self.localities[self.localities["indicator_id"].isin(self.visible_indicators)]
        rest = keep & (p["area_type"] != "locality")
        parts = [self.disclose(p[rest])] if rest.any() else []
        return pd.concat([*parts, loc]).sort_index(kind="stable").reset_index(drop=True)

    @cached_property
    def targets(self) -> pd.DataFrame:
        t = read_targets(self.config, geography=self.profiles.geography, indicators=self.indicators)
        return t[t["indicator_id"].isin(set(self.data["indicator_id"]))].reset_index(drop=True)

    @cached_property
    def assessed(self) -> pd.DataFrame:
        if self.targets.empty:
            return pd.DataFrame(columns=list(self.targets.columns) + ["status"])
        return assess_targets(self.targets, self.data)

    @cached_property
    def exceptions(self) -> pd.DataFrame:
        """Every level's exceptions (a level takes its own with ``levels.for_level``)."""
        return find_exceptions(self.data, self.assessed, self.county_name)

    @cached_property
    def risks(self) -> pd.DataFrame:
        """The risk register as read (each level filters it)."""
        return read_risks(self.config, indicators=self.indicators)

    @cached_property
    def need_inputs(self) -> tuple[pd.DataFrame, str] | None:
        """The funding allocations and the deprivation indicator behind spend against need, or None without."""
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        alloc = read_allocations(self.config, geography=self.profiles.geography)
        return None if alloc.empty or dep not in set(self.data["indicator_id"]) else (alloc, dep)

    @cached_property
    def spend(self) -> pd.DataFrame:
        """Spend against need for every locality (empty without allocations or the deprivation indicator)."""
        if self.need_inputs is None:
            return pd.DataFrame()
        alloc, dep = self.need_inputs
        return spend_against_need(alloc, need_index(self.data, dep))

    @cached_property
    def spend_districts(self) -> pd.DataFrame:
        """Spend against need by district: own allocations plus their localities'."""
        if self.need_inputs is None:
            return pd.DataFrame()
        alloc, dep = self.need_inputs
        return spend_against_need(
            alloc, need_index(self.data, dep, "district"), area_type="district", localities=need_index(self.data, dep)
        )
