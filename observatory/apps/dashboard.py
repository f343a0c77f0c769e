"""The localities dashboard: the map of the localities (or small areas), the pack's views, each locality's details.

One widget app served by Voila (``dashboards/localities.ipynb`` only builds it). Pick a theme, an
indicator and a period, then a view: the map shades the localities, or the small areas, by value or by
comparison with the county or England; "Compare areas" ranks every locality; "Inequalities" shows the
indicator by deprivation decile with its slope index of inequality; "Population pyramid" sets the chosen
locality against the county. Choosing a locality picks it out in each view and shows its spine chart, its
trend and a link to its profile in the newest pack for the same audience. Every view's figures download as
CSV and XLSX, and the page's address carries the view (never the audience).

This module holds the controls and their state; the figures are in ``apps.dashboard_data`` (read from the
payload the server wrote, so a kernel imports no geography or statistics) and the drawing in
``apps.dashboard_views``. The map lives in a sandboxed iframe with no channel back to the kernel, so a locality
is chosen from the dropdown or the search, not by clicking the map. On a served page (``restyle``) a new
indicator, period or shading only restyles the drawn map: its new style goes into a hidden element, which the
page's script hands to the map (``dashboard_address.html.j2``); the map is drawn again only for other areas.
There the page also opens on a first map, plain HTML in the page the server sends, drawn while the browser
loads the widgets; the live dashboard takes its place once drawn.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from observatory.apps.address import View, find_place, parse_view
from observatory.apps.dashboard_data import COLOUR_BY, LEVELS, NO_LOCALITY
from observatory.apps.dashboard_views import VIEWS, DashboardViews, section
from observatory.apps.map_document import script_json
from observatory.apps.paths import latest_pack, profile_in_pack
from observatory.present.templating import Markup

SERVED_ENV = "OBSERVATORY_SERVED_PAGE"
"""Set by ``observatory serve``, whose pages carry the script (``dashboard_address.html.j2``) that hands a drawn map
its new style and takes the first map away once the live dashboard is drawn."""

__all__ = ["SERVED_ENV", "LocalitiesDashboard", "latest_pack", "profile_in_pack"]


class LocalitiesDashboard(DashboardViews):
    """Widgets and views of the localities dashboard for one configuration and audience.

    ``theme``, ``indicator``, ``period``, ``view_choice``, ``level``, ``colour_by`` and ``locality`` are the
    controls; ``map``, ``panel`` (the other views), ``details`` and ``sources`` are ``ipywidgets.HTML``
    outputs updated when a control changes; ``app`` is the whole layout. ``packs_url`` is where the server
    publishes ``packs_dir`` (default: the configuration's packs folder; see ``observatory.apps.serve``).
    """

    def __init__(self, config: Any = "demo", audience: str = "public", *, restyle: bool | None = None, **options: Any):
        """``options``: ``store``, ``profiles``, ``payload``, ``packs_dir``, ``packs_url``, ``map_height`` (see
        ``DashboardViews``). ``restyle``: restyle the drawn map rather than draw it again (default: when served)."""
        super().__init__(config, audience, **options)
        self.restyle = os.environ.get(SERVED_ENV) == "1" if restyle is None else bool(restyle)
        self._area = NO_LOCALITY  # a small area found by search, outlined on the small-area map
        self._document: tuple | None = None  # the map document shown (geometry, locality outlined)
        self._holding = False
        self._build_controls()
        with self._hold():
            self._fill_indicators()
        self.refresh()
        self.theme.observe(self._refill(self._fill_indicators), "value")
        self.indicator.observe(self._refill(self._fill_periods), "value")
        for widget in (self.period, self.level, self.colour_by, self.view_choice):
            widget.observe(self._on_map_choice, "value")
        self.locality.observe(self._on_locality, "value")
        self.search.observe(self._on_search, "value")
        self.download.on_click(self._on_download)

    def _build_controls(self) -> None:
        import ipywidgets as w

        wide = {"description_width": "initial"}
        buttons = {"description_width": "initial", "button_width": "auto"}

        def fits(width: str):  # at most this wide, never wider than the screen (a 390 px phone)
            return w.Layout(width="100%", max_width=width)

        def row(*children, **kw):
            return w.HBox(list(children), layout=w.Layout(flex_flow="row wrap", **kw))

        themes = [(title, theme) for theme, title in self.meta["themes"]]
        self.theme = w.Dropdown(description="Theme", options=themes, style=wide, layout=fits("340px"))
        self.indicator = w.Dropdown(description="Indicator", options=[], style=wide, layout=fits("440px"))
        self.period = w.Dropdown(description="Period", options=[], style=wide, layout=fits("180px"))
        self.view_choice = w.ToggleButtons(options=[(v, k) for k, v in VIEWS.items()], description="View", style=buttons)
        self.level = w.ToggleButtons(options=[(v, k) for k, v in LEVELS.items()], description="Areas", style=buttons)
        self.colour_by = w.ToggleButtons(options=[(v, k) for k, v in COLOUR_BY.items()], description="Shade by", style=buttons)
        self.locality = w.Dropdown(
            description="Locality",
            options=[("(choose a locality)", NO_LOCALITY)] + [(a.name, a.code) for a in self.localities],
            style=wide,
            layout=fits("340px"),
        )
        self._places = {text: (locality, area) for text, locality, area in self.meta["search"]}
        self.search = w.Combobox(
            description="Find a place",
            placeholder="locality or small area: name or code",
            options=list(self._places),
            ensure_option=False,
            continuous_update=False,
            style=wide,
            layout=fits("520px"),
        )
        self.found = w.HTML()
        self.view_link = w.HTML()
        self.download = w.Button(
            description="Download the figures of this view",
            layout=w.Layout(width="auto"),
            tooltip="CSV and Excel files of the values behind the view shown, with their source",
        )
        self.downloads = w.HTML()
        self.header = w.HTML(self.header_html())
        self.map = w.HTML(layout=w.Layout(width="100%"))
        self.map_style = w.HTML(layout=w.Layout(display="none"))  # the shown map's style, for the page to hand it over
        self.panel = w.HTML(layout=w.Layout(width="100%"))
        self.details = w.HTML(layout=w.Layout(width="100%"))
        self.sources = w.HTML(layout=w.Layout(width="100%"))
        for widget, name in ((self.map, "obs-map"), (self.panel, "obs-view-panel"), (self.details, "obs-details")):
            widget.add_class(name)
        self.map_controls = row(self.level, self.colour_by)
        self.app = w.VBox(
            [
                self.header,
                row(self.search, self.found),
                row(self.theme, self.indicator, self.period),
                row(self.view_choice),
                self.map_controls,
                self.map,
                self.map_style,
                self.panel,
                row(self.view_link, self.download, self.downloads, align_items="center"),
                self.locality,
                self.details,
                self.sources,
            ],
            layout=w.Layout(width="100%", max_width="1100px"),
        )
        self.app.add_class("obs-localities-dashboard")

    # ---- state ---------------------------------------------------------------------------------
    @contextmanager
    def _hold(self) -> Iterator[None]:
        held, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = held

    def _fill_indicators(self) -> None:
        ind = [i for i in self.indicators.values() if i.theme == self.theme.value]
        self.indicator.options = [(i.title, i.id) for i in ind]
        self.indicator.value = ind[0].id if ind else None
        self._fill_periods()

    def _fill_periods(self) -> None:
        periods = self.periods(self.indicator.value) if self.indicator.value else []
        self.period.options = periods
        self.period.value = periods[0] if periods else None
        self._fill_shading()

    def _fill_shading(self) -> None:
        """Offer only the shadings that compare something (never an all-grey "Not compared" map)."""
        if not self.indicator.value or self.period.value is None:
            return
        keep = self.comparable(self.indicator.value, self.period.value, self.level.value)
        chosen = self.colour_by.value if self.colour_by.value in keep else "value"
        options = [(COLOUR_BY[k], k) for k in keep]
        if list(self.colour_by.options) != options:
            self.colour_by.options = options
        self.colour_by.value = chosen

    def view(self) -> View:
        """The current choices, as an address carries them (the map, the first view, goes without saying)."""
        return View(
            locality=self.locality.value or "",
            area=self._area,
            indicator=self.indicator.value or "",
            period=str(self.period.value or ""),
            areas=self.level.value,
            shade=self.colour_by.value,
            view="" if self.view_choice.value == "map" else self.view_choice.value,
        )

    def apply_view(self, view: View | str) -> None:
        """Show the view an address asks for; choices it does not know are left as they are."""
        v = parse_view(view) if isinstance(view, str) else view
        with self._hold():
            if v.indicator in self.indicators:
                self.theme.value = self.indicators[v.indicator].theme
                self._fill_indicators()
                self.indicator.value = v.indicator
                self._fill_periods()
            if v.period in self.period.options:
                self.period.value = v.period
            if v.areas in LEVELS:
                self.level.value = v.areas
            self._fill_shading()
            if v.shade in dict(self.colour_by.options).values():
                self.colour_by.value = v.shade
            if v.view in VIEWS:
                self.view_choice.value = v.view
            if v.locality in {a.code for a in self.localities}:
                self.locality.value = v.locality
            found = find_place(v.area, self._places) if v.area else None
            self._area = found[1] if found and found[0] == self.locality.value else NO_LOCALITY
        self.refresh()

    def follow_address(self) -> None:
        """Under Voila, show the view the page's address asks for (waits for the visitor of a preheated kernel)."""
        if "VOILA_KERNEL_ID" not in os.environ and "VOILA_PREHEAT" not in os.environ:
            return
        from voila.utils import get_query_string  # start-up: only under Voila (~0.1 s)

        query = get_query_string() or ""
        if query:
            self.apply_view(query)

    # ---- events --------------------------------------------------------------------------------
    def _refill(self, fill: Callable[[], None]) -> Callable[[dict], None]:
        """A handler refilling the controls below a changed one, then redrawing."""

        def handler(_change: dict) -> None:
            if self._holding:
                return
            with self._hold():
                fill()
            self.refresh()

        return handler

    def _on_map_choice(self, change) -> None:
        if self._holding:
            return
        if change["owner"] not in (self.colour_by, self.view_choice):
            with self._hold():
                self._fill_shading()
        self.refresh(details=False)

    def _on_locality(self, change) -> None:
        if not self._holding:
            self._area = NO_LOCALITY
            self.refresh()

    def _on_search(self, change) -> None:
        text = str(change["new"] or "")
        if not text.strip():
            self.found.value = ""
            return
        place = find_place(text, self._places)
        if place is None:
            self.found.value = section("not_found", text)
            return
        locality, area = place
        self.found.value = ""
        with self._hold():
            self.locality.value = locality
            if area:
                self.level.value = "small_area"
                self._fill_shading()
        self._area = area
        self.refresh()

    def _on_download(self, _button=None) -> None:
        self.downloads.value = self.downloads_html()

    def downloads_html(self) -> str:
        """Links to the figures of the current view as CSV and XLSX, each carrying the source and licence."""
        return self.download_links(
            self.view_choice.value, self.indicator.value, str(self.period.value), self.level.value, self.locality.value
        )

    def refresh(self, details: bool = True) -> None:
        """Redraw the view shown (and the locality's details) for the current choices."""
        indicator, period = self.indicator.value, self.period.value
        if not indicator or period is None:
            self.map.value = section("no_indicator")
            self.details.value = ""
            return
        self.downloads.value = ""
        self.view_link.value = section("view_link", self.view().query())
        shown = self.view_choice.value
        on_map = shown == "map"
        self.map_controls.layout.display = None if on_map else "none"
        self.map.layout.display = None if on_map else "none"
        self.panel.layout.display = "none" if on_map else None
        try:
            if on_map:
                self.panel.value = ""
                self._show_map(indicator, str(period))
            else:
                self.map.value = ""  # a map drawn while hidden would open at the wrong zoom
                self.map_style.value, self._document = "", None
                self.panel.value = self.view_assets() + self.view_html(shown, indicator, str(period), self.locality.value)
            if details:
                self.details.value = self.details_html(self.locality.value, indicator)
                self.sources.value = self.sources_html(indicator)
        except Exception as e:  # a page showing why is better than a silently stale one
            logging.getLogger(__name__).exception("dashboard refresh failed")
            self.details.value = section("error", type(e).__name__, str(e))

    def _show_map(self, indicator: str, period: str) -> None:
        """Draw the map for the current choices, or (``restyle``, same areas) hand the drawn map its new style."""
        document, style = self.map_choice(
            indicator, period, self.level.value, self.colour_by.value, self.locality.value, self._area
        )
        style = dict(style, version=self.next_version())
        if self.restyle:
            self.map_style.value = section("map_style", str(script_json(style)))
        if not (self.restyle and document == self._document and self.map.value):
            self.map.value = self.map_iframe(document, style)
            self._document = document

    def first_paint_html(self) -> str:
        """The page's first view while its widgets load: the header and the map drawn (nothing for another view)."""
        return section("first_paint", Markup(self.header.value), Markup(self.map.value)) if self.map.value else ""

    def show(self, follow_address: bool = True) -> None:
        """Show the view the page's address asks for, then display the dashboard (in a notebook or Voila); a served
        page (``restyle``) opens on its first map as plain HTML, drawn before the widgets are."""
        from IPython.display import HTML, display

        if follow_address:
            self.follow_address()
        if self.restyle and self.first_paint_html():
            display(HTML(self.first_paint_html()))
        display(self.app)
