"""The catalogue as published to one audience: one row per record it may use, with review flags and
themes, and the search and filters the page and the dashboard offer over it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from observatory._core.vocab import THEME_TITLES, Theme
from observatory.config import Config, load_config
from observatory.metadata.catalogue.attribution import licence_url
from observatory.metadata.catalogue.audience import check_audience, reaches
from observatory.metadata.catalogue.records import (
    CLASSIFICATIONS,
    COVERAGE,
    _date,
    _list,
    _today,
    _true,
    read_catalogue,
    read_partners,
)
from observatory.metadata.indicators import read_indicators

REFERENCE_THEME = "reference"
REFERENCE_TITLE = "Reference data (geography and lookups)"
CSV_COLUMNS = [
    "id",
    "title",
    "description",
    "partner",
    "partner_name",
    "partner_type",
    "synthetic",
    "classification",
    "audience",
    "named_partners",
    "access",
    "available",
    "themes",
    "indicators",
    "also_supplies",
    *COVERAGE,
    "review_overdue",
    "refresh_overdue",
    "licence",
    "licence_url",
    "attribution",
    "source",
    "source_url",
    "lawful_basis",
    "agreement",
    "personal_data",
    "retention",
    "steward",
    "contact",
    "dpia",
    "quality_notes",
]
FLAGS = ("synthetic", "available", "review_overdue", "refresh_overdue", "personal_data")
REFRESH_DAYS = {
    "annual": 366 + 90,
    "quarterly": 92 + 45,
    "monthly": 31 + 20,
    "weekly": 14,
    "census": 3653 + 365,
    "periodic": 5 * 366,
    "irregular": None,
    "one-off": None,
}
"""Days after ``last_received`` when a refresh is overdue: the update interval plus the usual publication lag."""


def review_flags(cat: pd.DataFrame, today: dt.date | str | None = None) -> pd.DataFrame:
    """Records overdue for their charter review (``next_review`` passed), or for a data refresh
    (``last_received`` older than the update interval plus the usual publication lag)."""
    today = _today(today)
    nr = cat["next_review"].map(_date)
    lr = cat["last_received"].map(_date)
    limit = cat["update_frequency"].map(REFRESH_DAYS)
    return pd.DataFrame(
        {
            "review_overdue": [bool(d and d < today) for d in nr],
            "refresh_overdue": [
                bool(d and lim is not None and not pd.isna(lim) and (today - d).days > lim) for d, lim in zip(lr, limit)
            ],
        },
        index=cat.index,
    )


def theme_title(theme: str) -> str:
    """A theme's title, or the reference-data title for records with no indicators."""
    return REFERENCE_TITLE if theme == REFERENCE_THEME else THEME_TITLES[Theme(theme)]


def _access(r: pd.Series | dict, partners: pd.DataFrame) -> str:
    if r["audience"] == "public":
        return "public"
    if r["audience"] == "partners":
        return "charter partners only"
    names = [partners["name"].get(p, p) for p in _list(r.get("named_partners"))]
    return "named partners only: " + "; ".join(names)


def catalogue_frame(config: Config | str = "demo", audience: str = "public", today: dt.date | str | None = None) -> pd.DataFrame:
    """The catalogue as published to ``audience``: one row per record in ``CSV_COLUMNS``, lists joined
    with '; ', review flags computed for ``today``. Records the audience may not use are left out
    altogether (not even their title reaches it); their number is in ``frame.attrs["withheld"]``."""
    check_audience(audience)
    cfg = config if isinstance(config, Config) else load_config(config)
    cat = read_catalogue(cfg)
    if cat.empty:
        return pd.DataFrame(columns=CSV_COLUMNS)
    partners = read_partners()
    inds = read_indicators(cfg.indicators_file)
    flags = review_flags(cat, today)
    order = [t.value for t in Theme]
    rows, withheld = [], 0
    for rid, r in cat.iterrows():
        if not reaches(r, audience):
            withheld += 1
            continue
        listed, supplies = _list(r.get("indicators")), _list(r.get("also_supplies"))
        themes = sorted({inds.loc[i, "theme"] for i in listed + supplies if i in inds.index}, key=order.index)
        themes = themes or [REFERENCE_THEME]
        row = {c: r.get(c, "") for c in CSV_COLUMNS if c in r.index}
        row.update(
            {
                "partner_name": partners["name"].get(r["partner"], r["partner"]),
                "partner_type": partners["type"].get(r["partner"], ""),
                "synthetic": _true(r.get("synthetic")),
                "named_partners": "; ".join(_list(r.get("named_partners"))),
                "access": _access(r, partners),
                "available": True,
                "themes": "; ".join(themes),
                "indicators": "; ".join(listed),
                "also_supplies": "; ".join(supplies),
                "last_received": str(r["last_received"]),
                "next_review": str(r["next_review"]),
                "review_overdue": bool(flags.loc[rid, "review_overdue"]),
                "refresh_overdue": bool(flags.loc[rid, "refresh_overdue"]),
                "licence_url": licence_url(r),
                "personal_data": _true(r.get("personal_data")),
            }
        )
        rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=CSV_COLUMNS)
    text = [c for c in CSV_COLUMNS if c not in FLAGS]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), "").astype(str)
    frame.attrs["withheld"] = withheld
    return frame


def filter_options(frame: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """(label, value) choices for the partner, theme and classification filters, 'All …' first."""
    partners = frame.drop_duplicates("partner").sort_values("partner_name")
    themes = {t for ts in frame["themes"] for t in ts.split("; ") if t}
    order = [t.value for t in Theme] + [REFERENCE_THEME]
    return {
        "partner": [("All partners", "")] + list(zip(partners["partner_name"], partners["partner"])),
        "theme": [("All themes", "")] + [(theme_title(t), t) for t in sorted(themes, key=order.index)],
        "classification": [("All classifications", "")] + [(c, c) for c in CLASSIFICATIONS if c in set(frame["classification"])],
    }


def filter_catalogue(
    frame: pd.DataFrame, text: str = "", partner: str = "", theme: str = "", classification: str = "", flagged_only: bool = False
) -> pd.DataFrame:
    """Rows matching every given filter; ``text`` is a case-insensitive search over the record's words."""
    keep = pd.Series(True, index=frame.index)
    if partner:
        keep &= frame["partner"] == partner
    if theme:
        keep &= frame["themes"].map(lambda ts: theme in ts.split("; "))
    if classification:
        keep &= frame["classification"] == classification
    if flagged_only:
        keep &= frame["review_overdue"] | frame["refresh_overdue"]
    for word in text.lower().split():
        keep &= search_text(frame).str.contains(word, regex=False)
    return frame[keep]


def search_text(frame: pd.DataFrame) -> pd.Series:
    """The lower-case words of each record that the text search looks in (theme titles included)."""
    if frame.empty:
        return pd.Series(dtype=str, index=frame.index)
    cols = [
        "id",
        "title",
        "description",
        "partner",
        "partner_name",
        "themes",
        "indicators",
        "classification",
        "access",
        "licence",
    ]
    themes = frame["themes"].map(lambda ts: " ".join(theme_title(t) for t in ts.split("; ") if t))
    return (frame[cols].astype(str).agg(" ".join, axis=1) + " " + themes).str.lower()
