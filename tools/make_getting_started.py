"""Write notebooks/getting_started.ipynb (outputs stripped): the analyst's tutorial on the public API.

Run after editing a cell here. The notebook is committed without outputs; the cells marked
``# NBVAL_CHECK_OUTPUT`` carry their expected printed output in their metadata (``expected_stdout``), and
tests/test_lab.py runs nbval on a copy with those outputs filled in, so nbval compares them.
"""
from __future__ import annotations

import sys
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_notebooks import ROOT, notebook  # noqa: E402


def md(text: str):
    return new_markdown_cell(text)


def code(text: str):
    return new_code_cell(text)


def checked(text: str, output: str):
    """A cell whose printed output nbval compares (``# NBVAL_CHECK_OUTPUT``); the expected output is kept in
    its metadata, so the committed notebook has no outputs at all."""
    cell = new_code_cell("# NBVAL_CHECK_OUTPUT\n" + text)
    cell.metadata["expected_stdout"] = output
    return cell


CELLS = [
    md("# Getting started: the observatory in a notebook\n\n"
       "This tutorial walks through the evidence base of the **demo county** with the observatory's public "
       "Python API (`import observatory as obs`, described in `docs/api.md`): the configuration and the "
       "evidence store, one indicator with its confidence limits, aggregation to localities, comparison "
       "with the county, trend, a spine chart, a map, the widest gap between localities, and a pack for "
       "one locality. Run it top to bottom (*Run → Run All Cells*); it takes under a minute.\n\n"
       "Every place and figure in the demo county is **synthetic**: invented to show realistic shapes of "
       "data, describing no real place. `observatory lab --config warwickshire` opens the same notebook on "
       "the real data (change `locality` and `indicator_id` below to codes of that configuration)."),
    code('import os\n'
         'import tempfile\n\n'
         'import observatory as obs\n'
         'from IPython.display import HTML, display\n\n'
         'config = os.environ.get("OBSERVATORY_CONFIG", "demo")  # `observatory lab --config NAME` sets this\n'
         'locality = "ZL01"                      # a locality code (data/demo/localities.csv)\n'
         'indicator_id = "children_low_income"  # an indicator id (data/demo/indicators.csv)'),
    md("## 1. The configuration and the evidence store\n\n"
       "A *configuration* is a folder of reviewable files (`data/demo/`): the geography, the localities, "
       "the indicator definitions, the data catalogue and the sources to ingest. `open_store` opens its "
       "evidence store and ingests the sources first if the store is empty or a source changed (about "
       "10 seconds the first time)."),
    code('cfg = obs.load_config(config)\n'
         'store = obs.open_store(cfg, os.environ.get("OBSERVATORY_STORE") or None)\n'
         'geo = obs.load_geography(cfg)\n'
         'indicators = obs.load_indicators(cfg)\n'
         'names = geo.areas.drop_duplicates("code").set_index("code")["name"]'),
    checked('print(cfg.label)\n'
            'print(f"{len(geo.localities())} localities in {len(geo.districts())} districts, built from {len(geo.small_areas)} small areas")',
            "Demo County (synthetic)\n23 localities in 5 districts, built from 350 small areas\n"),
    code('store.summary().head(8)'),
    md("## 2. One indicator, with its confidence limits\n\n"
       "Every value in the store is one indicator × area × period, with its numerator and denominator where "
       "the statistic is built from counts. Limits follow the Fingertips methods: **Wilson** score limits "
       "for proportions, **Byar's** method for rates (the **exact** Poisson limits below 10 events)."),
    code('ind = indicators.loc[indicator_id]\n'
         'print(f"{ind.title}: {ind.value_type}, ×{ind.multiplier:g} ({ind.unit}), {ind.polarity.replace(\'_\', \' \')}")\n'
         'values = store.read(indicators=[indicator_id])\n'
         'small_areas = values[values["area_type"] == geo.small_area_type]\n'
         'latest = small_areas[small_areas["period_sort"] == small_areas["period_sort"].max()]\n'
         'latest[["area_code", "period", "numerator", "denominator"]].head()'),
    code('one = latest.iloc[0]\n'
         'obs.proportion_ci(one["numerator"], one["denominator"], multiplier=100)'),
    checked('# Crude rates per 1,000: exact limits for a count under 10, Byar\'s above\n'
            'for r in obs.rate_ci([3, 25, 250], [1500, 1500, 1500], multiplier=1000).itertuples():\n'
            '    print(f"{r.value:6.2f} per 1,000 (95% CI {r.lower95:.2f} to {r.upper95:.2f}) {r.method}")',
            "  2.00 per 1,000 (95% CI 0.41 to 5.84) Exact\n 16.67 per 1,000 (95% CI 10.78 to 24.60) Byars\n"
            "166.67 per 1,000 (95% CI 146.64 to 188.66) Byars\n"),
    md("## 3. Aggregate to localities and compare with the county\n\n"
       "Localities are built from small areas. `aggregate` sums numerators and denominators and recomputes "
       "the statistic and its limits (it never averages rates). `locality_gaps` compares each locality "
       "with the county: *better*, *similar* or *worse* when the locality's 95% interval excludes or "
       "includes the county value, by the indicator's polarity."),
    code('levels = obs.aggregate(values, geo, indicators, levels=("locality", "county"))\n'
         'now = levels[levels["period_sort"] == levels["period_sort"].max()]\n'
         'localities = now[now["area_type"] == "locality"]\n'
         'county = now[now["area_type"] == "county"]'),
    checked('c = county.iloc[0]\n'
            'print(f"{cfg.county[\'name\']}, {c.period}: {c.value:.1f}{ind.unit} (95% CI {c.lower95:.1f} to {c.upper95:.1f}), "\n'
            '      f"{c.numerator:,.0f} of {c.denominator:,.0f}")',
            "Demo County (synthetic), 2024/25: 23.6% (95% CI 23.4 to 23.9), 21,157 of 89,539\n"),
    code('gaps = obs.locality_gaps(localities, county, polarity=ind.polarity)\n'
         'gaps["locality"] = gaps["area_code"].map(names)\n'
         'gaps.sort_values("value")[["locality", "value", "lower95", "upper95", "county_value", "comparison"]].round(1)'),
    checked('print("; ".join(f"{k}: {n}" for k, n in gaps["comparison"].value_counts().sort_index().items()))',
            "better: 15; similar: 3; worse: 5\n"),
    md("## 4. Trend\n\n"
       "The recent trend of each locality over its last five periods (Fingertips' chi-squared test for trend "
       "for proportions), judged by polarity: *improving* or *worsening*."),
    code('series = levels[levels["area_type"] == "locality"]\n'
         'trend = obs.recent_trend(series, group_by=["area_code"], value_type=ind.value_type, polarity=ind.polarity)\n'
         'trend["locality"] = trend["area_code"].map(names)\n'
         'trend[["locality", "trend", "trend_judgement", "n_points"]].head(8)'),
    md("## 5. A locality's profile: spine chart and trend chart\n\n"
       "`load_profiles` computes every indicator for every area once (cached by the hash of its inputs): "
       "values, limits, benchmarks, trend, quintiles and gaps. A locality profile reads its slice; its spine "
       "chart shows each indicator against the range of the county's localities (the county value in the "
       "middle; better to the right)."),
    code('profiles = obs.load_profiles(cfg, store)\n'
         'profile = obs.open_profile(cfg, locality, quarter="2025Q3", store=str(store.path))\n'
         'display(HTML(obs.spine_chart(profile.spine_frame(), title=f"{profile.area.name} against {cfg.county[\'name\']}")))'),
    code('mine = profiles.series(indicator_id, locality)\n'
         'bench = profiles.series(indicator_id, cfg.county["code"])[["period", "value"]]\n'
         'display(HTML(obs.trend_chart(mine, title=f"{ind.title}: {profile.area.name}", benchmark={cfg.county["name"]: bench}, unit=ind.unit)))'),
    md("## 6. A map\n\n"
       "Maps draw with no internet access: Leaflet is inlined and the geometry simplified with shared "
       "borders kept shared. `map_iframe` embeds the map in the notebook's HTML."),
    code('shapes = geo.web_boundaries("locality").merge(gaps[["area_code", "value", "comparison"]], on="area_code")\n'
         'm = obs.choropleth(shapes, "value", title=f"{ind.title}, {c.period}", legend_title=ind.unit,\n'
         '                   tooltip_fields={"area_name": "Locality", "value": ind.unit, "comparison": "Compared with county"}, height=420)\n'
         'display(HTML(obs.map_iframe(m)))'),
    md("## 7. Narrowing the gap: where is the widest gap?\n\n"
       "For every indicator, `gap_summary` finds the best and worst locality and the ratio between them. "
       "Counts are left out (a large locality has more of everything); rates and proportions compare like "
       "with like."),
    code('latest_all = profiles.profiles[(profiles.profiles["area_type"] == "locality") & profiles.profiles["latest"]]\n'
         'comparable = latest_all[latest_all["value_type"].isin(["proportion", "crude_rate", "dsr"])]\n'
         'spread = obs.gap_summary(comparable[["indicator_id", "period", "area_code", "value", "polarity"]])\n'
         'spread["title"] = spread["indicator_id"].map(indicators["title"])\n'
         'widest = spread.dropna(subset=["ratio"]).sort_values("ratio", ascending=False)\n'
         'widest[["title", "period", "worst_area", "best_area", "ratio"]].head().round(2)'),
    checked('w = widest.iloc[0]\n'
            'print(f"Widest gap: {w.title} ({w.period}): {names[w.worst_area]} is {w.ratio:.1f} times {names[w.best_area]}")',
            "Widest gap: Anti-social behaviour incidents (2024/25): Avonmere Central is 5.5 times Farrowdale\n"),
    md("## 8. Build the pack for one locality\n\n"
       "`build_pack` is `observatory build`: it runs the parameterised profile notebook with papermill and "
       "writes HTML (no code), CSV and XLSX downloads and a manifest. Here, one locality into a temporary "
       "folder; from a terminal: `observatory build --localities ZL01`."),
    code('out = tempfile.mkdtemp(prefix="observatory-pack-")\n'
         'summary = obs.build_pack(cfg, "2025Q3", localities=[locality], out=out, store=store.path, jobs=1)\n'
         'print("built" if summary.ok else "failed", "→", summary.pack_dir)\n'
         'sorted(p.name for p in (summary.pack_dir / "downloads").iterdir())'),
    md("## Next steps\n\n"
       "- **A partner's new file**: `observatory add-dataset FILE` inspects it and proposes a catalogue record, "
       "indicator definitions and a source entry for you to review; `--apply` adds them and ingests "
       "(`docs/analyst.md`).\n"
       "- **Your own indicator or localities**: edit `indicators.csv` or `localities.csv` in the configuration "
       "and check them with `observatory validate`.\n"
       "- **The whole pack**: `observatory build`; **dashboards**: `observatory serve`.\n"
       "- The API reference is `docs/api.md`; every function has a docstring (`obs.aggregate?`)."),
]


if __name__ == "__main__":
    notebook(CELLS, ROOT / "notebooks" / "getting_started.ipynb")
    print(ROOT / "notebooks" / "getting_started.ipynb")
