"""The pack's reference pages: a definition page per indicator, the methods page and the accessibility statement.

Each is a template on the one base page; this module gathers what they say from the indicator metadata, the
catalogue (source, partner, licence, caveats, update frequency) and the store (the latest period of the data).
Only indicators whose dataset the pack's audience may see get a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from observatory._core.files import write_atomic
from observatory.config import Config
from observatory.metadata.catalogue import allowed_datasets, catalogue_frame
from observatory.metadata.indicators import read_indicators
from observatory.present.spreadsheets import Publication, contact_of
from observatory.present.templating import render
from observatory.store import Store

DEFINITIONS, METHODS, ACCESSIBILITY = "definitions", "methods.html", "accessibility.html"


@dataclass(frozen=True)
class Method:
    """A statistical method as the methods page names it."""

    key: str
    name: str
    used_for: str
    how: str
    reference: str


METHODS_USED = (
    Method(
        "wilson",
        "Wilson score interval",
        "proportions and percentages",
        "The share of people counted, with 95% and 99.8% confidence limits by Wilson's score method.",
        "Wilson EB (1927), JASA 22:209-212; Newcombe RG, Altman DG (2000), Statistics with Confidence, 2nd ed.",
    ),
    Method(
        "byar",
        "Byar's method and exact Poisson limits",
        "crude rates",
        "Events per population times a multiplier; limits exact Poisson below 10 events, Byar's approximation above.",
        "Breslow NE, Day NE (1987), Statistical Methods in Cancer Research II, IARC; Armitage P, Berry G, "
        "Matthews JNS (2002), Statistical Methods in Medical Research, 4th ed.",
    ),
    Method(
        "dobson",
        "Directly standardised rate, Dobson's method",
        "directly standardised rates",
        "Age-specific rates weighted by the 2013 European Standard Population; limits by Dobson's method. "
        "Not published when the total count is under 10.",
        "Dobson AJ et al. (1991), Stat Med 10:457-462.",
    ),
    Method(
        "isr",
        "Indirectly standardised ratio",
        "standardised ratios",
        "Observed events against those expected from reference rates, with exact Poisson or Byar's limits on the observed count.",
        "Breslow NE, Day NE (1987), Statistical Methods in Cancer Research II, IARC.",
    ),
    Method(
        "student",
        "Student's t interval",
        "means",
        "The mean with limits from Student's t distribution.",
        "Student (1908), Biometrika 6:1-25.",
    ),
    Method(
        "weighted",
        "Population-weighted mean",
        "scores",
        "Small-area scores combined by a population-weighted mean; no confidence interval is published.",
        "Ministry of Housing, Communities and Local Government, English Indices of Deprivation technical report.",
    ),
    Method("count", "Count", "counts", "The number counted; no confidence interval.", "None needed."),
    Method(
        "compare",
        "Comparison with a benchmark",
        "every comparison in words",
        "Significantly better or worse when the 95% confidence interval lies wholly above or below the benchmark, "
        "turned into better or worse by the indicator's polarity.",
        "OHID, Fingertips public health technical guidance.",
    ),
    Method(
        "trend",
        "Recent trend",
        "trends over the last five periods",
        "Chi-squared test for linear trend (Cochran-Armitage) or weighted least squares on the last five points, "
        "significant at the 99.8% level.",
        "OHID, Fingertips public health technical guidance.",
    ),
    Method(
        "sii",
        "Slope index of inequality",
        "the gap by deprivation decile",
        "The slope of a weighted regression of the indicator on the deprivation rank of each decile, with limits.",
        "Low A, Low A (2004), J Public Health 26:388-395.",
    ),
    Method(
        "disclosure",
        "Suppression of small counts",
        "every published figure",
        "Counts of 1 to the disclosure threshold are withheld, with secondary suppression so they cannot be "
        "recovered from totals; figures derived from them are withheld too.",
        "Government Statistical Service, disclosure control guidance.",
    ),
)
BY_VALUE_TYPE = {
    "proportion": "wilson",
    "crude_rate": "byar",
    "dsr": "dobson",
    "isr": "isr",
    "mean": "student",
    "score": "weighted",
    "count": "count",
}
POLARITY_WORDS = {
    "high_is_good": "A higher value is better.",
    "low_is_good": "A lower value is better.",
    "no_judgement": "Neither a higher nor a lower value is judged better; values are compared as higher or lower only.",
}
NEXT_UPDATE = {
    "annual": "about a year after the latest period",
    "quarterly": "next quarter",
    "monthly": "next month",
    "weekly": "next week",
    "census": "after the next census (every ten years)",
    "periodic": "when the source is next revised (every few years)",
    "irregular": "not on a fixed timetable",
    "one-off": "not planned: a one-off dataset",
}


def method_of(value_type: str) -> Method:
    return next(m for m in METHODS_USED if m.key == BY_VALUE_TYPE.get(value_type, "count"))


def latest_periods(store: Store) -> pd.Series:
    """Each indicator's latest period label in the store."""
    v = store.read(columns=["indicator_id", "period", "period_sort"])
    return v.sort_values("period_sort").drop_duplicates("indicator_id", keep="last").set_index("indicator_id")["period"]


def definitions(config: Config, audience: str, store: Store) -> list[dict]:
    """What each definition page says, for the indicators in the store whose dataset ``audience`` may see."""
    inds = read_indicators(config.indicators_file)
    allowed = allowed_datasets(config, audience)
    cat = catalogue_frame(config, audience).set_index("id")
    periods = latest_periods(store) if store.exists() else pd.Series(dtype=str)
    pages = []
    for ind_id, r in inds.iterrows():
        if r["dataset"] not in allowed or ind_id not in periods.index or r["dataset"] not in cat.index:
            continue
        d = cat.loc[r["dataset"]]
        frequency = d.get("update_frequency") or r["frequency"]
        pages.append(
            {
                "id": ind_id,
                "title": r["title"],
                "definition": r.get("definition", ""),
                "unit": r["unit"],
                "value_type": r["value_type"].replace("_", " "),
                "method": method_of(r["value_type"]),
                "polarity": POLARITY_WORDS.get(r["polarity"], ""),
                "dataset": d["title"],
                "partner": d["partner_name"],
                "caveats": d.get("quality_notes", ""),
                "licence": d["licence"],
                "licence_url": d.get("licence_url", ""),
                "attribution": d["attribution"],
                "latest": periods[ind_id],
                "frequency": frequency,
                "next_update": NEXT_UPDATE.get(frequency, "not stated"),
                "theme": r["theme"],
            }
        )
    return sorted(pages, key=lambda p: (p["theme"], p["title"]))


def definition_href(indicator_id: str, root: str = "../") -> str:
    """The address of an indicator's definition page from a page ``root`` below the pack (``../`` from html/)."""
    return f"{root}{DEFINITIONS}/{indicator_id}.html"


def write_pages(pack_dir: Path | str, config: Config, audience: str, store: Store, pub: Publication) -> list[Path]:
    """Write ``definitions/<indicator>.html``, ``methods.html`` and ``accessibility.html`` into the pack."""
    pack_dir = Path(pack_dir)
    common = {"synthetic": bool(config.synthetic), "pub": pub, "label": config.label}
    written = []
    pages = definitions(config, audience, store)
    for page in pages:
        html = render("page_definition.html.j2", title=f"{page['title']}: definition", d=page, root="../", **common)
        written.append(write_atomic(pack_dir / DEFINITIONS / f"{page['id']}.html", html + "\n"))
    written.append(
        write_atomic(
            pack_dir / DEFINITIONS / "index.html",
            render("page_definitions.html.j2", title=f"{config.label}: indicator definitions", pages=pages, root="../", **common)
            + "\n",
        )
    )
    written.append(
        write_atomic(
            pack_dir / METHODS,
            render("page_methods.html.j2", title=f"{config.label}: statistical methods", methods=METHODS_USED, root="", **common)
            + "\n",
        )
    )
    written.append(
        write_atomic(
            pack_dir / ACCESSIBILITY,
            render(
                "page_accessibility.html.j2",
                title=f"{config.label}: accessibility statement",
                contact=contact_of(config),
                root="",
                **common,
            )
            + "\n",
        )
    )
    return written


def data_contents(store: Store, indicators: set[str]) -> dict[str, dict[str, str]]:
    """Per indicator shown, per period: a short digest of its values (recorded in the manifest, diffed next quarter)."""
    v = (
        store.read(columns=["indicator_id", "area_code", "period", "sex", "age", "category", "numerator", "denominator", "value"])
        if store.exists()
        else pd.DataFrame(columns=["indicator_id", "period"])
    )
    v = v[v["indicator_id"].isin(indicators)]
    out: dict[str, dict[str, str]] = {}
    if v.empty:
        return out
    # a row's hash does not depend on its group or order: hash every row once, then sum within each group
    rows = pd.util.hash_pandas_object(v.drop(columns=["indicator_id", "period"]), index=False)
    for (ind, period), digest in rows.groupby([v["indicator_id"], v["period"]], sort=True, observed=True).sum().items():
        out.setdefault(str(ind), {})[str(period)] = f"{int(digest) & 0xFFFFFFFFFFFF:012x}"
    return out


def what_changed(now: dict, before: dict | None, titles: dict[str, str], corrections: list[str] = ()) -> dict:
    """New indicators, new periods and revised figures since the previous pack's contents, with any corrections."""
    if before is None:
        return {"compared": False, "new": [], "periods": [], "revised": [], "corrections": list(corrections)}
    new = [titles.get(i, i) for i in sorted(now) if i not in before]
    periods, revised = [], []
    for ind in sorted(set(now) & set(before)):
        added = [p for p in now[ind] if p not in before[ind]]
        changed = [p for p in now[ind] if p in before[ind] and now[ind][p] != before[ind][p]]
        if added:
            periods.append(f"{titles.get(ind, ind)}: {', '.join(added)}")
        if changed:
            revised.append(f"{titles.get(ind, ind)}: {', '.join(changed)}")
    return {"compared": True, "new": new, "periods": periods, "revised": revised, "corrections": list(corrections)}


def corrections(config: Config, quarter: str) -> list[str]:
    """This quarter's corrections (``corrections.csv`` in the configuration: quarter, indicator_id, correction)."""
    path = config.local_path("corrections.csv")
    if not path.is_file():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = frame[frame.get("quarter", pd.Series(dtype=str)) == quarter]
    return [f"{r.get('indicator_id', '')}: {r.get('correction', '')}".strip(": ") for r in rows.to_dict("records")]
