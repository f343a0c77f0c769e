"""What the profile and overview pages share: figures for people, their section macros, a report's inputs, and the
locality comparison chart both pages draw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from observatory._core.numbers import format_number
from observatory.metadata.catalogue import allowed_datasets
from observatory.present import views
from observatory.present.figures import decimals_for
from observatory.present.maps import choropleth, map_iframe
from observatory.present.templating import Markup, render_macro
from observatory.present.view_data import IndicatorView, SharedData, shared_data
from observatory.store import Store


def figure(v: Any, unit: str = "", decimals: int = 1) -> str:
    """One figure for people: ``format_number`` with the unit's per cent sign."""
    return format_number(v, decimals, unit)


def together(values: Iterable[Any], unit: str = "") -> list[str]:
    """Figures shown side by side (a value and its benchmark), with the decimals that tell them apart."""
    values = list(values)
    places = decimals_for(values)
    return [figure(v, unit, places) for v in values]


def own_figure(v: Any) -> str:
    """A figure shown on its own (a range, an SII): decimals from its own size."""
    return figure(v, decimals=decimals_for([v]))


def profile_section(section: str, *args: Any) -> Markup:
    return render_macro("profile_sections.html.j2", section, *args)


def overview_section(section: str, *args: Any) -> Markup:
    return render_macro("overview_sections.html.j2", section, *args)


def resolve(report) -> None:
    """Load a report's profiles and the datasets its audience may see, unless given."""
    if report.profiles is None:  # shared by every page this process builds from the same inputs
        report._shared = shared_data(report.config, report.store, report.audience)
        report.profiles = report._shared.profiles
    if report.allowed_datasets is None:
        report.allowed_datasets = allowed_datasets(report.config, report.audience)


def shared_for(report) -> SharedData:
    """What the pages built from a report's inputs share: the process's cached entry when ``resolve`` loaded the
    profiles, else data kept by this report alone (its profiles were given)."""
    found = getattr(report, "_shared", None)
    if found is not None and found.allowed == frozenset(report.allowed_datasets):
        return found
    store = Store(report.store or report.config.store_dir())
    return SharedData(report.config, report.profiles, frozenset(report.allowed_datasets), store)


def region_name(config) -> str:
    """The region's name in a national configuration (empty where none is configured)."""
    return (config.raw.get("region") or {}).get("name", "")


def localities_chart(view: IndicatorView, county: str, key: str, highlight: str | None = None, region: str = "") -> Markup:
    """Every locality's value of one indicator ranked, with the county, the region (national configurations) and
    England (one locality highlighted)."""
    return views.compare_chart(
        view.frame,
        title=f"{view.title} ({view.period})",
        unit=view.unit,
        county=(county, view.county),
        england=("England", view.england),
        region=(region, view.region),
        highlight=highlight,
        key=key,
    )


def map_with_table(frame, title: str, caption: str, area_title: str, unit: str = "", **choropleth_options: Any) -> tuple:
    """A choropleth of ``frame``'s values (``title`` names the value) and the same figures as a table beside it;
    the map's own title is ``caption`` unless ``map_title`` is given."""
    map_title = choropleth_options.pop("map_title", caption)
    m = choropleth(frame, "value", title=map_title, legend_title=title, **choropleth_options)
    table = views.map_table(
        frame.rename(columns={"vs_county": "comparison"}), caption=caption, value_title=title, unit=unit, area_title=area_title
    )
    return map_iframe(m), table
