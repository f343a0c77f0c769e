"""Write the Voila dashboards in dashboards/ (outputs stripped). Run after editing a cell here.

A dashboard is a parameters cell and one call into ``observatory``: Voila cannot inject parameters,
so the parameters cell reads the environment set by ``observatory serve`` (OBSERVATORY_CONFIG,
OBSERVATORY_AUDIENCE, OBSERVATORY_STORE) and falls back to the demo for the public.
"""
from __future__ import annotations

import sys
from pathlib import Path

from nbformat.v4 import new_markdown_cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_notebooks import ROOT, code, notebook, params  # noqa: E402

PARAMETERS = ('import os\n\n'
              'config = os.environ.get("OBSERVATORY_CONFIG", "demo")        # configuration name or folder\n'
              'audience = os.environ.get("OBSERVATORY_AUDIENCE", "public")  # public | partners | partner:<id>\n'
              'store = os.environ.get("OBSERVATORY_STORE", "")              # absolute store path; "" = the default')

LOCALITIES = [
    new_markdown_cell("<!-- Localities dashboard, served by `observatory serve`. All logic lives in `observatory.apps.dashboard`. -->"),
    params(PARAMETERS),
    code("from observatory.apps.dashboard import LocalitiesDashboard\n\n"
         "LocalitiesDashboard(config=config, audience=audience, store=store or None).show()"),
]

if __name__ == "__main__":
    notebook(LOCALITIES, ROOT / "dashboards" / "localities.ipynb")
