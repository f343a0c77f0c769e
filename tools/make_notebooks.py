"""Write the thin, parameterised notebooks in notebooks/ (outputs stripped). Run after editing a cell here."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def notebook(cells: list, path: Path) -> None:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    for i, c in enumerate(nb.cells):
        c["id"] = f"{path.stem}-{i}"  # stable ids keep diffs small
    path.write_text(nbformat.writes(nb))


def params(text: str):
    c = new_code_cell(text)
    c.metadata["tags"] = ["parameters"]
    return c


def code(text: str):
    return new_code_cell(text)


LOCALITY = [
    params('# Locality profile: papermill runs this once per locality; the logic lives in observatory.present.report.\n'
           '# audience is public, partners or partner:ID; empty store means the default store; empty pack_dir writes no downloads\n'
           'config = "demo"\n'
           'locality = "ZL01"\n'
           'quarter = "2025Q3"\n'
           'audience = "public"\n'
           'store = ""\n'
           'pack_dir = ""'),
    code("from IPython.display import HTML, display\n"
         "from observatory.present.report import open_profile\n\n"
         "profile = open_profile(config, locality, quarter, audience, store or None)\n"
         "display(HTML(profile.title_html()))"),
    code("display(HTML(profile.headline_html()))"),
    code("display(HTML(profile.spine_html()))"),
    code("display(HTML(profile.map_html()))"),
    code("display(HTML(profile.theme_tables_html()))"),
    code("display(HTML(profile.trends_html()))"),
    code("if pack_dir:\n"
         "    files = profile.write_downloads(f\"{pack_dir}/downloads\")\n"
         "    display(HTML(''.join(f'<a href=\"../downloads/{f.name}\">{f.name}</a> ' for f in files)))"),
    code("display(HTML(profile.attribution_html()))"),
]

OVERVIEW = [
    params('# County overview (narrowing the gap): run by papermill; the logic lives in observatory.present.report.\n'
           'config = "demo"\nquarter = "2025Q3"\naudience = "public"\nstore = ""\npack_dir = ""'),
    code("from IPython.display import HTML, display\n"
         "from observatory.config import load_config\n"
         "from observatory.present.report import CountyOverview\n\n"
         "overview = CountyOverview(load_config(config), quarter, audience, store or None)\n"
         "display(HTML(overview.title_html()))"),
    code("display(HTML(overview.summary_html()))"),
    code("display(HTML(overview.map_html()))"),
    code("display(HTML(overview.gap_table_html()))"),
    code("if pack_dir:\n"
         "    files = overview.write_downloads(f\"{pack_dir}/downloads\")\n"
         "    display(HTML(''.join(f'<a href=\"../downloads/{f.name}\">{f.name}</a> ' for f in files)))"),
    code("display(HTML(overview.attribution_html()))"),
]

if __name__ == "__main__":
    notebook(LOCALITY, ROOT / "notebooks" / "locality_profile.ipynb")
    notebook(OVERVIEW, ROOT / "notebooks" / "county_overview.ipynb")
