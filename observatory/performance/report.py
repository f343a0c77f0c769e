"""The report model: one governance level's quarterly exception report for one audience, as DataFrames.

:class:`ExceptionReport` gathers the profile rows the audience may see, the targets and their forecasts, the
exceptions, what changed since last quarter, spend against need and the risks; ``present.exception_page``
renders it. Nothing of a dataset the audience may not see reaches any of its frames: not a figure, an
indicator id or title, nor a risk linked to such an indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from observatory._core.resources import notebook
from observatory._core.settings import data_dir
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.config import Config, load_config
from observatory.geo.areas import Geography
from observatory.metadata.catalogue import allowed_datasets, attributions, check_audience
from observatory.performance.basis import Disclose, ExceptionBasis
from observatory.performance.changes import diff_exceptions, find_previous, read_exceptions, write_exceptions
from observatory.performance.levels import for_level, level_slug, parse_level, targets_for_level
from observatory.profiles.table import Profiles, load_profiles

NOTEBOOK = notebook("exception_report")
HIGH_RISK = 15
TARGET_SHEET_COLUMNS = [
    "indicator_id",
    "title",
    "area_code",
    "area_name",
    "area_type",
    "target_value",
    "target_period",
    "bound",
    "forecast",
    "forecast_lower",
    "forecast_upper",
    "n_points",
    "method",
    "status",
    "theme_group",
    "owner",
    "note",
]


@dataclass
class ExceptionReport:
    """One governance level's quarterly exception report for one audience.

    ``disclose`` is the disclosure control applied to profile rows before any rule sees them (small counts
    suppressed): the caller passes it, and a report without one refuses to give figures.
    """

    config: Config
    quarter: str
    level: str = "board"
    audience: str = "public"
    store: Path | None = None
    previous: Path | str | None = None
    profiles: Profiles | None = None
    allowed_datasets: set[str] | None = field(default=None)
    disclose: Disclose | None = None
    basis: ExceptionBasis | None = field(default=None, repr=False)

    def __post_init__(self):
        kind, code = parse_level(self.level)
        check_audience(self.audience)
        if self.basis is None:
            if self.profiles is None:
                self.profiles = load_profiles(self.config, self.store)
            if self.allowed_datasets is None:
                self.allowed_datasets = allowed_datasets(self.config, self.audience)
            self.basis = ExceptionBasis(self.config, self.profiles, self.allowed_datasets, self.disclose)
        else:
            self.profiles, self.allowed_datasets, self.disclose = (
                self.basis.profiles,
                self.basis.allowed_datasets,
                self.basis.disclose,
            )
        if kind == "district" and code not in {d.code for d in self.geography.districts()}:
            raise KeyError(f"{code!r} is not a district of {self.config.name}")

    @cached_property
    def geography(self) -> Geography:
        return self.profiles.geography

    @property
    def county_name(self) -> str:
        return self.basis.county_name

    @property
    def indicators(self) -> pd.DataFrame:
        return self.basis.indicators

    @property
    def visible_indicators(self) -> set[str]:
        """Indicators whose dataset this audience may see (by the indicator metadata, whatever the store holds)."""
        return self.basis.visible_indicators

    def _visible(self, frame: pd.DataFrame, column: str = "indicator_id") -> pd.DataFrame:
        return frame[frame[column].isin(self.visible_indicators)].reset_index(drop=True) if len(frame) else frame

    @property
    def data(self) -> pd.DataFrame:
        """County, district and locality rows of the indicators this audience may see, small counts suppressed."""
        return self.basis.data

    @property
    def targets(self) -> pd.DataFrame:
        return self.basis.targets

    @cached_property
    def illustrative(self) -> bool:
        """True when any target shown is illustrative (not agreed by the partnership)."""
        return bool(len(self.targets) and self.targets["illustrative"].any())

    @property
    def assessed(self) -> pd.DataFrame:
        return self.basis.assessed

    @property
    def all_exceptions(self) -> pd.DataFrame:
        return self.basis.exceptions

    @cached_property
    def exceptions(self) -> pd.DataFrame:
        return for_level(self.all_exceptions, self.level)

    @cached_property
    def previous_exceptions(self) -> pd.DataFrame | None:
        """Last quarter's exceptions at this level (from its pack or a store snapshot), or None when not found."""
        if not self.previous:
            return None
        p = Path(self.previous)
        if p.is_dir() and (p / "values.parquet").exists():  # a store snapshot: recompute last quarter's exceptions
            return ExceptionReport(
                self.config,
                "previous",
                self.level,
                self.audience,
                p,
                allowed_datasets=self.allowed_datasets,
                disclose=self.disclose,
            ).exceptions
        found = find_previous(p, self.level)
        return self._visible(read_exceptions(found)) if found is not None else None

    @cached_property
    def previous_name(self) -> str:
        """Last quarter's pack or file as a reader may see it: its name, never a path of the build machine."""
        return Path(self.previous).name if self.previous else ""

    @cached_property
    def changes(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return diff_exceptions(self.exceptions, self.previous_exceptions)

    @cached_property
    def level_targets(self) -> pd.DataFrame:
        return targets_for_level(self.assessed, self.level) if len(self.assessed) else self.assessed

    @cached_property
    def risks(self) -> pd.DataFrame:
        """The risks this level sees; a risk linked to an indicator the audience may not see is left out whole."""
        r = self.basis.risks
        if r.empty:
            return r
        linked_to = r["linked_indicator"].str.strip()
        r = r[(linked_to == "") | linked_to.isin(self.visible_indicators)]
        linked = r["linked_indicator"].isin(set(self.exceptions["indicator_id"]))
        r = r.assign(linked_exception=linked)
        kind, code = parse_level(self.level)
        if kind == "theme":
            return r[r["theme"] == code].reset_index(drop=True)
        return r[linked | (r["score"] >= HIGH_RISK)].reset_index(drop=True)

    @cached_property
    def spend(self) -> pd.DataFrame:
        """Spend against need for the localities of the level (board: all; district: its own; theme: none)."""
        kind, code = parse_level(self.level)
        if kind == "theme" or self.basis.spend.empty:
            return pd.DataFrame()
        s = self.basis.spend
        return s[s["district_code"] == code].reset_index(drop=True) if kind == "district" else s

    @cached_property
    def spend_districts(self) -> pd.DataFrame:
        """Spend against need by district (the board only): own allocations plus their localities'."""
        return self.basis.spend_districts if parse_level(self.level)[0] == "board" else pd.DataFrame()

    @cached_property
    def level_title(self) -> str:
        kind, code = parse_level(self.level)
        if kind == "board":
            return "County-wide partnership board"
        if kind == "theme":
            return f"{THEME_TITLES[Theme(code)]} theme group"
        return f"{self.geography.area(code).name} district partnership"

    @cached_property
    def attributions(self) -> list[str]:
        """The attribution statements of the datasets behind the exceptions shown."""
        used = set(self.data.loc[self.data["indicator_id"].isin(self.exceptions["indicator_id"]), "dataset"])
        return attributions(self.config, used)

    def download_frame(self) -> pd.DataFrame:
        return self.exceptions

    def download_sheets(self) -> dict[str, pd.DataFrame]:
        """The sheets after ``exceptions``: the changes, targets, spend against need and risks."""
        new, resolved, still = self.changes
        t = self.level_targets
        targets = (
            t[[c for c in TARGET_SHEET_COLUMNS if c in t.columns]].assign(status=lambda d: d["status"].astype(str))
            if len(t)
            else t
        )
        return {
            "new": new,
            "resolved": resolved,
            "still_open": still,
            "targets": targets,
            "spend_vs_need": self.spend,
            "risks": self.risks,
        }

    def write_downloads(self, folder: Path | str) -> list[Path]:
        """``exceptions-<level>.csv/.xlsx``: the exceptions, with the changes, targets, spend and risks as sheets."""
        return write_exceptions(self.exceptions, folder, self.level, self.download_sheets())


def exception_jobs(
    config: str | Config,
    quarter: str,
    *,
    audience: str = "partners",
    store: str = "",
    pack_dir: str = "",
    previous: str = "",
    geography: Geography | None = None,
) -> list[dict]:
    """The exception-report runs of a quarterly pack: the board, the six theme groups and every district.

    Each is a dict(name, parameters, title, group) for ``notebooks/exception_report.ipynb``; ``previous`` (last
    quarter's pack folder) is passed to every run, each finding its own ``exceptions-<level>.csv`` there.
    ``geography``: the configuration's, when the caller has it loaded already.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    geography = geography or Geography(cfg)
    levels = [("board", "County-wide partnership board")]
    levels += [(f"theme:{t.value}", f"{THEME_TITLES[t]} theme group") for t in Theme]
    levels += [(f"district:{d.code}", f"{d.name} district partnership") for d in geography.districts()]
    return [
        {
            "name": f"exceptions-{level_slug(level)}",
            "parameters": {
                "config": cfg.name if cfg.dir.parent == data_dir().resolve() else str(cfg.dir),
                "quarter": quarter,
                "level": level,
                "audience": audience,
                "store": store,
                "pack_dir": pack_dir,
                "previous": previous,
            },
            "title": f"Exception report: {title}",
            "group": "exceptions",
        }
        for level, title in levels
    ]
