"""Write notebooks/exception_report.ipynb (thin, parameterised, outputs stripped). Run after editing a cell here."""
from __future__ import annotations

from nbformat.v4 import new_markdown_cell

from make_notebooks import ROOT, code, notebook, params

EXCEPTIONS = [
    new_markdown_cell("# Quarterly exception report\n"
                      "Zero-based: only what is off track appears. Parameterised by papermill: one run per governance "
                      "level (the board, each theme group, each district). All logic lives in `observatory.performance.exceptions`."),
    params('config = "demo"        # configuration name or folder\n'
           'quarter = "2025Q3"\n'
           'level = "board"        # board | theme:<theme id> | district:<district code>\n'
           'audience = "partners"  # public | partners | partner:<id>\n'
           'store = ""             # absolute store path; "" = the configuration default\n'
           'pack_dir = ""          # absolute pack folder for downloads; "" = none\n'
           'previous = ""          # last quarter\'s exceptions CSV, pack folder or store snapshot; "" = none'),
    code("from IPython.display import HTML, display\n"
         "from observatory.performance.exceptions import open_exception_report\n\n"
         "report = open_exception_report(config, quarter, level, audience, store or None, previous or None)\n"
         "display(HTML(report.title_html()))"),
    code("display(HTML(report.summary_html()))"),
    code("display(HTML(report.exceptions_html()))"),
    code("display(HTML(report.changes_html()))"),
    code("display(HTML(report.targets_html()))"),
    code("display(HTML(report.finance_html()))"),
    code("display(HTML(report.risks_html()))"),
    code("if pack_dir:\n"
         "    files = report.write_downloads(f\"{pack_dir}/downloads\")\n"
         "    display(HTML(''.join(f'<a href=\"../downloads/{f.name}\">{f.name}</a> ' for f in files)))"),
    code("display(HTML(report.method_html()))"),
    code("display(HTML(report.attribution_html()))"),
]

if __name__ == "__main__":
    notebook(EXCEPTIONS, ROOT / "notebooks" / "exception_report.ipynb")
