"""The ``observatory`` command: one module per command; the only place typer and rich are imported.

Commands import the library inside their bodies: ``observatory --help`` then starts in ~0.2 s instead of
the ~1.5 s it takes to import pandas, geopandas and papermill (the measured reason for those imports).
"""

from __future__ import annotations

import sys

import typer

from observatory.cli import add_dataset, build, catalogue, demo, ingest, init, lab, serve, store, validate

app = typer.Typer(help="Evidence-base workbench for a research observatory.", no_args_is_help=True, add_completion=False)

app.command("ingest")(ingest.ingest)
app.command("validate")(validate.validate)
app.command("store")(store.store_summary)
app.command("build")(build.build)
app.command("demo")(demo.demo)
app.command("init", help="Write a working configuration for any English upper-tier authority from the England data.")(
    init.command
)
app.command("catalogue", help="Validate the data catalogue and build its HTML, CSV and DCAT JSON-LD.")(catalogue.command)
app.command("lab", help="Start JupyterLab on 127.0.0.1 in the notebooks folder, with the package importable.")(lab.command)
app.command("serve", help="Serve the Voila dashboards on 127.0.0.1 (source hidden, kernels preheated).")(serve.command)
app.command(
    "add-dataset", help="Inspect a partner's file, propose its catalogue record and indicators, and (with --apply) ingest it."
)(add_dataset.command)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
