"""Write notebooks/data_catalogue.ipynb (papermill) and dashboards/catalogue.ipynb (Voila), outputs stripped.
Run after editing a cell here; all logic lives in observatory.metadata.catalogue."""
from __future__ import annotations

import sys
from pathlib import Path

from nbformat.v4 import new_markdown_cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_notebooks import ROOT, code, notebook, params  # noqa: E402

CATALOGUE = [
    new_markdown_cell(
        "# Data catalogue\n"
        "The information-sharing charter's register: every dataset the evidence base uses, the partner that "
        "shares it and the terms it is shared on. Parameterised by papermill (`observatory catalogue`); all "
        "logic lives in `observatory.metadata.catalogue`."),
    params('config = "demo"      # configuration name or folder\n'
           'audience = "public"  # public | partners | partner:<id>\n'
           'out_dir = ""         # absolute folder for catalogue.html, .csv and .jsonld; empty: no exports\n'
           'today = ""           # YYYY-MM-DD for the review flags; empty: today\n'
           'quarter = ""         # the quarterly pack this catalogue belongs to, if any\n'
           'exports_href = ""    # link prefix from the rendered page to out_dir, e.g. ../catalogue/'),
    code("from IPython.display import HTML, display\n"
         "from observatory.metadata import catalogue as cat\n"
         "from observatory.config import load_config\n\n"
         "cfg = load_config(config)\n"
         "cat.validate_catalogue(cfg).raise_if_problems()\n"
         "frame = cat.catalogue_frame(cfg, audience, today or None)\n"
         "display(HTML(cat.style_html() + cat.summary_html(frame, cfg, audience, today or None, quarter)))"),
    new_markdown_cell(
        "## Overdue for review or refresh\n"
        "A record is overdue for review when its `next_review` date has passed. It is overdue for a refresh when "
        "nothing has been received for longer than its update interval plus the usual publication lag. Either "
        "way, the steward should contact the partner: the charter's terms, or the data, may be out of date."),
    code("display(HTML(cat.overdue_html(frame)))"),
    new_markdown_cell("## Partners\nThe datasets each partner shares, by classification."),
    code("display(HTML(cat.partner_table_html(frame)))"),
    new_markdown_cell(
        "## Records\n"
        "Every record, with its terms. Records that this audience may not use are still listed, with their terms, "
        "so that the charter is transparent; their contact and internal details are withheld."),
    code("display(HTML(cat.records_html(frame)))"),
    code("if out_dir:\n"
         "    files = cat.build_catalogue(cfg, out_dir, audience, today or None)\n"
         "    display(HTML('Exports: ' + ' · '.join(f'<a href=\"{exports_href}{p.name}\">{p.name}</a>' for p in files.values())))"),
]

DASHBOARD = [
    new_markdown_cell(
        "# Data catalogue\n"
        "Search the datasets shared under the information-sharing charter; filter by partner, theme and "
        "classification. Records this audience may not use show their terms, not their contact details."),
    params('import os\n'
           'config = os.environ.get("OBSERVATORY_CONFIG", "demo")\n'
           'audience = os.environ.get("OBSERVATORY_AUDIENCE", "public")  # public | partners | partner:<id>'),
    code("from observatory.metadata.catalogue import catalogue_widget\n\n"
         "catalogue_widget(config, audience)"),
]

if __name__ == "__main__":
    notebook(CATALOGUE, ROOT / "notebooks" / "data_catalogue.ipynb")
    notebook(DASHBOARD, ROOT / "dashboards" / "catalogue.ipynb")
