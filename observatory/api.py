"""The public Python API: the handful of names an analyst calls from a notebook (docs/api.md).

``import observatory as obs`` re-exports these lazily (PEP 562), so importing the package stays light:
``obs.load_config`` imports ``observatory.config`` only when first used. Everything else in the
package is internal and may change. Most names live in the module that owns the concept; the two
defined here are conveniences for notebooks: :func:`open_store` (the store of a configuration,
brought up to date) and :func:`build_pack` (the quarterly pack, or one locality's profile).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

EXPORTS: dict[str, str] = {
    # configuration and geography
    "load_config": "observatory.config",
    "load_geography": "observatory.geo.areas",
    "load_indicators": "observatory.metadata.indicators",
    "load_catalogue": "observatory.metadata.catalogue",
    # the evidence store
    "open_store": "observatory.api",
    # statistics (observatory.stats)
    "proportion_ci": "observatory.stats.methods",
    "rate_ci": "observatory.stats.methods",
    "dsr": "observatory.stats.methods",
    "isr": "observatory.stats.methods",
    "mean_ci": "observatory.stats.methods",
    "aggregate": "observatory.profiles.aggregate",
    "compare": "observatory.stats.compare",
    "quintiles": "observatory.stats.compare",
    "recent_trend": "observatory.stats.trend",
    "locality_gaps": "observatory.stats.gap",
    "gap_summary": "observatory.stats.gap",
    "gap_trend": "observatory.stats.gap",
    "sii_by_decile": "observatory.stats.gap",
    "suppress": "observatory.stats.disclosure",
    # profiles, charts and maps
    "load_profiles": "observatory.profiles.table",
    "open_profile": "observatory.present.report",
    "CountyOverview": "observatory.present.report",
    "open_exception_page": "observatory.present.exception_page",
    "open_catalogue_page": "observatory.present.catalogue_page",
    "catalogue_widget": "observatory.present.catalogue_page",
    "file_links": "observatory.present.templating",
    "LocalitiesDashboard": "observatory.apps.dashboard",
    "spine_chart": "observatory.present.charts",
    "trend_chart": "observatory.present.charts",
    "choropleth": "observatory.present.maps",
    "map_html": "observatory.present.maps",
    "map_iframe": "observatory.present.maps",
    # IoD summary measures, life expectancy, funnel plots (issue 12)
    "iod_summary": "observatory.stats.iod",
    "life_expectancy": "observatory.stats.life_expectancy",
    "funnel_limits": "observatory.stats.funnels",
    "funnel_points": "observatory.stats.funnels",
    "funnel_significance": "observatory.stats.funnels",
    "deprivation_summary": "observatory.profiles.deprivation",
    "life_expectancy_at_birth": "observatory.profiles.life_expectancy",
    # packs, partner files, the lab
    "build_pack": "observatory.api",
    "inspect_file": "observatory.onboarding.partner_file",
    "propose_dataset": "observatory.onboarding.partner_file",
    "check_proposal": "observatory.onboarding.partner_file",
    "apply_proposal": "observatory.onboarding.partner_file",
    # errors
    "ValidationError": "observatory.errors",
}
"""Public name → module defining it; ``observatory.__getattr__`` resolves names through :func:`export`."""


def export(name: str) -> Any:
    """The object a public name stands for (imported on first use); AttributeError for any other name."""
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'observatory' has no attribute {name!r}")
    if module == __name__:
        return globals()[name]
    return getattr(importlib.import_module(module), name)


def open_store(config: Any = "demo", path: Path | str | None = None, *, sync: bool = True, progress: bool = False):
    """The evidence store of a configuration (``build/store/<name>``, or ``path``), brought up to date.

    With ``sync`` the configuration's sources are ingested when the store is empty or a source or
    configuration file changed since the last sync (as ``observatory build`` does); otherwise the store
    is opened as it is. ``config`` is a name, a folder or a loaded ``Config``.
    """
    # start-up: `import observatory` takes 0.04 s; importing the plan here at the top would make it 2.5 s
    from observatory.config import Config, load_config  # start-up: as above
    from observatory.publish.plan import sync_store  # start-up: as above
    from observatory.store import Store  # start-up: as above

    cfg = config if isinstance(config, Config) else load_config(config)
    store = Store(path or cfg.store_dir())
    if sync:
        sync_store(cfg, store, progress=progress)
    return store


def build_pack(
    config: Any = "demo",
    quarter: str | None = None,
    *,
    localities: Iterable[str] | None = None,
    out: Path | str | None = None,
    audience: str = "public",
    store: Path | str | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: bool = False,
):
    """Build the quarterly profile pack (``observatory build``): every locality profile, the county
    overview, catalogue and exception reports — or only the profiles of ``localities``. Returns the
    build summary (``.ok``, ``.describe()``, ``.pack_dir``); unchanged outputs are not rebuilt."""
    from observatory.publish.plan import build  # start-up: 2.5 s, paid only by a notebook that builds a pack

    return build(
        config,
        quarter,
        localities=list(localities) if localities else None,
        jobs_n=jobs,
        out=Path(out) if out else None,
        audience=audience,
        store=Path(store) if store else None,
        progress=progress,
        force=force,
    )


def __getattr__(name: str) -> Any:
    return export(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(EXPORTS))


__all__ = sorted(EXPORTS)
