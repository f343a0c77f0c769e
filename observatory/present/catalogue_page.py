"""The data catalogue as HTML: the published page, the sections the data-catalogue notebook shows, and
the dashboard's search widget. Markup is in ``catalogue_*.html.j2``; this module passes values.

The table these are made from (:func:`observatory.metadata.catalogue.catalogue_frame`) already leaves
out every record the audience may not use.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from observatory._core.files import write_atomic
from observatory.config import Config, load_config
from observatory.metadata.catalogue import (
    CLASSIFICATIONS,
    catalogue_frame,
    filter_catalogue,
    filter_options,
    search_text,
    theme_title,
    validate_catalogue,
    write_exports,
)
from observatory.metadata.catalogue.records import _today
from observatory.present.spreadsheets import publication, write_csvw
from observatory.present.templating import Markup, file_links, render, render_macro

SECTIONS = "catalogue_sections.html.j2"
PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:1.5rem;color:#1b1b1b;max-width:84rem}
h1{font-size:1.6rem;margin-bottom:.2rem}
"""
CSS = """
.obs-meta{color:#555;margin-top:0}
.obs-synthetic{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .8rem}
.obs-filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:1rem 0;padding:.6rem;background:#f3f5f7}
.obs-filters input[type=search]{min-width:16rem;padding:.3rem} .obs-filters select{padding:.3rem}
table.obs-catalogue{border-collapse:collapse;width:100%;font-size:.9rem}
table.obs-catalogue th,table.obs-catalogue td{border-bottom:1px solid #ddd;padding:.4rem .5rem;
  text-align:left !important;vertical-align:top}
.obs-catalogue th{background:#2b4a6f;color:#fff;position:sticky;top:0} .obs-date{white-space:nowrap}
.obs-catalogue tr.obs-overdue td{background:#fdf1f1}
.obs-flag{display:inline-block;background:#b3261e;color:#fff;border-radius:3px;padding:0 .35rem;margin:.1rem 0;font-size:.8rem}
.obs-badge{display:inline-block;border:1px solid #888;border-radius:3px;padding:0 .3rem;font-size:.8rem;margin:.1rem 0}
.obs-badge.obs-restricted{border-color:#8a5a00;color:#8a5a00}.obs-badge.obs-syn{border-color:#a07d00;background:#fff3cd}
.obs-terms dt{font-weight:600;margin-top:.3rem}.obs-terms dd{margin-left:1rem}
.obs-muted{color:#666;font-size:.85rem} details summary{cursor:pointer;color:#2b4a6f}
"""
SCRIPT = """
(function(){
  var q=document.getElementById('obs-q'),p=document.getElementById('obs-partner'),t=document.getElementById('obs-theme'),
      c=document.getElementById('obs-classification'),f=document.getElementById('obs-flagged'),n=document.getElementById('obs-count');
  function apply(){
    var words=q.value.toLowerCase().split(/\\s+/).filter(Boolean),shown=0;
    document.querySelectorAll('tr[data-id]').forEach(function(r){
      var ok=(!p.value||r.dataset.partner===p.value)&&(!t.value||r.dataset.themes.split(' ').indexOf(t.value)>=0)
        &&(!c.value||r.dataset.classification===c.value)&&(!f.checked||r.dataset.flagged==='1')
        &&words.every(function(w){return r.dataset.text.indexOf(w)>=0;});
      r.hidden=!ok; if(ok){shown++;}
    });
    n.textContent=shown;
  }
  [q,p,t,c,f].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
  apply();
})();
"""
PAGE_FILES = {"html": "catalogue.html"}


def style_html() -> Markup:
    """The catalogue's table, badge and flag styles, for pages and notebooks that show its sections."""
    return render_macro(SECTIONS, "styles", CSS)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The records as template values: each row's fields plus its themes, search words and flag."""
    search = search_text(frame)
    rows = []
    for idx, r in frame.iterrows():
        themes = [t for t in r["themes"].split("; ") if t]
        rows.append(
            r.to_dict()
            | {
                "theme_ids": themes,
                "theme_titles": [theme_title(t) for t in themes],
                "search": search[idx],
                "flagged": bool(r["review_overdue"] or r["refresh_overdue"]),
            }
        )
    return rows


def records_html(frame: pd.DataFrame) -> Markup:
    """The records as an HTML table: one row per dataset with its terms in a collapsible block and its
    review flags. Rows carry data attributes for the page's filters."""
    return render_macro(SECTIONS, "records", _rows(frame))


def _summary(frame: pd.DataFrame, cfg: Config, audience: str, today: dt.date | str | None, quarter: str = "") -> dict[str, Any]:
    return {
        "label": cfg.label,
        "audience": audience,
        "today": _today(today).isoformat(),
        "quarter": quarter,
        "synthetic": cfg.synthetic,
        "datasets": len(frame),
        "partners": frame["partner"].nunique(),
        "public": int((frame["audience"] == "public").sum()),
        "review_overdue": int(frame["review_overdue"].sum()),
        "refresh_overdue": int(frame["refresh_overdue"].sum()),
        "withheld": int(frame.attrs.get("withheld", 0)),
    }


def summary_html(
    frame: pd.DataFrame, cfg: Config, audience: str, today: dt.date | str | None = None, quarter: str = ""
) -> Markup:
    """Counts of records, partners and overdue records, and who the page is for, in plain words."""
    return render_macro(SECTIONS, "summary", _summary(frame, cfg, audience, today, quarter))


def partner_table_html(frame: pd.DataFrame) -> Markup:
    """Datasets per partner by classification, with the number overdue."""
    classes = [c for c in CLASSIFICATIONS if c in set(frame["classification"])]
    t = pd.crosstab(frame["partner_name"], frame["classification"]).reindex(columns=classes)
    t["overdue"] = frame.assign(o=frame["review_overdue"] | frame["refresh_overdue"]).groupby("partner_name")["o"].sum()
    t = t.rename_axis(index="Partner", columns=None).reset_index()
    return render_macro(SECTIONS, "table", list(t.columns), t.values.tolist())


def overdue_html(frame: pd.DataFrame) -> Markup:
    """The records overdue for review or refresh, or a sentence saying there are none."""
    f = frame[frame["review_overdue"] | frame["refresh_overdue"]]
    flags = [
        ", ".join(n for n, on in (("review overdue", a), ("refresh overdue", b)) if on)
        for a, b in zip(f["review_overdue"], f["refresh_overdue"])
    ]
    shown = f[["title", "partner_name", "next_review", "last_received", "update_frequency"]]
    rows = [list(v) + [fl] for v, fl in zip(shown.values, flags)]
    return render_macro(SECTIONS, "overdue", ["Dataset", "Partner", "Next review", "Last received", "Updated", "Flags"], rows)


def catalogue_html(
    frame: pd.DataFrame, cfg: Config, audience: str = "public", today: dt.date | str | None = None, root: str | None = None
) -> Markup:
    """A self-contained page (no external scripts or styles) listing the records, filterable by text,
    partner, theme and classification, with overdue records flagged. ``root``: the address of the pack from
    the page, for the pack's footer links (accessibility statement, methods, definitions); None outside a pack."""
    opts = filter_options(frame)
    filters = [{"name": k, "label": k.capitalize(), "options": opts[k]} for k in ("partner", "theme", "classification")]
    return render(
        "catalogue_page.html.j2",
        title=f"{cfg.label}: data catalogue",
        synthetic=cfg.synthetic,
        css=PAGE_CSS + CSS,
        summary=_summary(frame, cfg, audience, today),
        filters=filters,
        rows=_rows(frame),
        script=SCRIPT,
        **({} if root is None else {"root": root}),
    )


def build_catalogue(
    config: Config | str,
    out_dir: Path | str,
    audience: str = "public",
    today: dt.date | str | None = None,
    root: str | None = None,
) -> dict[str, Path]:
    """Validate, then write ``catalogue.html``, ``catalogue.csv`` and ``catalogue.jsonld`` for ``audience``
    into ``out_dir``; returns their paths by kind (html, csv, jsonld). ``root``: the pack's address from
    ``out_dir`` when it is a folder of a pack (the page then carries the pack's footer). Raises ValidationError."""
    cfg = config if isinstance(config, Config) else load_config(config)
    validate_catalogue(cfg).raise_if_problems()
    frame = catalogue_frame(cfg, audience, today)
    paths = {"html": write_atomic(Path(out_dir) / PAGE_FILES["html"], str(catalogue_html(frame, cfg, audience, today, root)))}
    paths |= write_exports(frame, cfg, out_dir, audience, today)
    return paths | {"csvw": write_csvw(frame, paths["csv"], f"{cfg.label}: data catalogue", publication(cfg))}


def catalogue_widget(config: Config | str = "demo", audience: str = "public", today: dt.date | str | None = None):
    """An ipywidgets search-and-filter view of the catalogue for a Voila dashboard: a text search and
    partner, theme and classification dropdowns redraw an ``ipywidgets.HTML`` table (never an
    ``Output`` widget). The widgets are reachable as ``.children`` and, by name, ``.controls``."""
    import ipywidgets as w  # optional dependency: only the dashboard needs it

    cfg = config if isinstance(config, Config) else load_config(config)
    frame = catalogue_frame(cfg, audience, today)
    opts = filter_options(frame)
    wide = {"description_width": "initial"}
    controls = {
        "text": w.Text(placeholder="title, indicator, partner…", description="Search", style=wide),
        "partner": w.Dropdown(options=opts["partner"], value="", description="Partner", style=wide),
        "theme": w.Dropdown(options=opts["theme"], value="", description="Theme", style=wide),
        "classification": w.Dropdown(options=opts["classification"], value="", description="Classification", style=wide),
        "flagged_only": w.Checkbox(value=False, description="overdue only", indent=False),
    }
    count, table = w.HTML(), w.HTML()

    def redraw(_=None):
        shown = filter_catalogue(frame, **{k: c.value for k, c in controls.items()})
        count.value = str(render_macro(SECTIONS, "count_line", cfg.label, len(shown), len(frame), audience, cfg.synthetic))
        table.value = str(style_html() + records_html(shown))

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    box = w.VBox(
        [
            w.HBox([controls["text"], controls["partner"]]),
            w.HBox([controls["theme"], controls["classification"], controls["flagged_only"]]),
            count,
            table,
        ]
    )
    box.controls, box.table, box.frame = controls, table, frame
    return box


class CataloguePage:
    """The data catalogue as one audience sees it, section by section (the pack's catalogue notebook)."""

    def __init__(self, config: Config | str, audience: str = "public", today: dt.date | str | None = None, quarter: str = ""):
        self.config = config if isinstance(config, Config) else load_config(config)
        validate_catalogue(self.config).raise_if_problems()
        self.audience, self.today, self.quarter = audience, today or None, quarter
        self.frame = catalogue_frame(self.config, audience, self.today)

    def summary_html(self) -> Markup:
        return style_html() + summary_html(self.frame, self.config, self.audience, self.today, self.quarter)

    def overdue_html(self) -> Markup:
        return overdue_html(self.frame)

    def partners_html(self) -> Markup:
        return partner_table_html(self.frame)

    def records_html(self) -> Markup:
        return records_html(self.frame)

    def write_exports(self, out_dir: Path | str, href_prefix: str = "") -> Markup:
        """Write the HTML, CSV and JSON-LD exports into ``out_dir``; links to them. When ``href_prefix`` names a
        folder beside the page's own (``../catalogue/``, as in a pack), the exported page links the pack's
        accessibility statement, methods and definitions as every page of the pack does."""
        root = "../" if re.fullmatch(r"\.\./[^/.][^/]*/", href_prefix) else None
        files = build_catalogue(self.config, out_dir, self.audience, self.today, root)
        return file_links(files.values(), href_prefix, label="Exports")


def open_catalogue_page(
    config: Config | str = "demo", audience: str = "public", today: str | None = None, quarter: str = ""
) -> CataloguePage:
    """The validated catalogue for ``audience`` (raises ValidationError on a broken catalogue)."""
    return CataloguePage(config, audience, today, quarter)
