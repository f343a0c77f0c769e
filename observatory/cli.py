"""The ``observatory`` command."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from observatory.config import DEFAULT_CONFIG, load_config
from observatory.errors import ValidationError

app = typer.Typer(help="Evidence-base workbench for a research observatory.", no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)

ConfigOpt = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Configuration name (demo, warwickshire) or folder.")
StoreOpt = typer.Option(None, "--store", help="Store directory (default build/store/<config>).")


def _store(cfg, store: Optional[Path]):
    from observatory.store import Store

    return Store(store or cfg.store_dir())


def _fail(e: ValidationError, what: str, code: int = 1) -> None:
    err.print(f"[bold red]{what} failed[/]: {len(e.report)} problem(s); nothing was written.")
    t = Table("file", "row", "column", "reason", show_lines=False)
    for p in e.report:
        t.add_row(p.file, "" if p.row is None else str(p.row), p.column or "", p.reason)
    err.print(t)
    raise typer.Exit(code)


def print_summary(store) -> None:
    s = store.summary()
    t = Table(title=f"Store {store.path}")
    for c in s.columns:
        t.add_column(c)
    for row in s.itertuples(index=False):
        t.add_row(*[str(v) for v in row])
    console.print(t)
    console.print(f"{len(s)} indicators, {int(s['rows'].sum()) if len(s) else 0} rows")


@app.command()
def ingest(
    config: str = ConfigOpt,
    store: Optional[Path] = StoreOpt,
    source: Optional[list[str]] = typer.Option(None, "--source", "-s", help="Only these source ids."),
    file: Optional[list[Path]] = typer.Option(None, "--file", "-f", help="An extra file to ingest with --adapter."),
    adapter: str = typer.Option("tidy", help="Adapter for --file."),
    dataset: str = typer.Option("", help="Catalogue dataset id for --file."),
    vintage: Optional[str] = typer.Option(None, help="Small-area vintage of --file."),
) -> None:
    """Ingest a configuration's sources (all or nothing) into the store."""
    from observatory.ingest.pipeline import ingest as run

    cfg = load_config(config)
    opts = {"dataset": dataset, **({"vintage": vintage} if vintage else {})}
    files = [(adapter, f, opts) for f in file or []]
    try:
        counts = run(cfg, _store(cfg, store), sources_ids=source, files=files, progress=True)
    except ValidationError as e:
        _fail(e, "ingest")
    console.print(f"ingested {cfg.label}: {counts['added']} added, {counts['replaced']} replaced, {counts['unchanged']} unchanged")


@app.command()
def validate(
    config: str = ConfigOpt,
    localities: Optional[Path] = typer.Option(None, help="Validate this locality definition CSV against the geography."),
    file: Optional[list[Path]] = typer.Option(None, "--file", "-f", help="Validate these files (with --adapter) without ingesting."),
    adapter: str = typer.Option("tidy"),
    vintage: Optional[str] = typer.Option(None),
) -> None:
    """Validate a configuration (indicators, localities, sources) or single files; writes nothing."""
    from observatory.geo.areas import Geography, read_localities, validate_localities
    from observatory.metadata.indicators import read_indicators
    from observatory.ingest.pipeline import prepare
    from observatory.config import SourceSpec

    cfg = load_config(config)
    geo = Geography(cfg)
    try:
        if localities:
            report = validate_localities(read_localities(localities), geo, file=localities.name)
            report.raise_if_problems()
            loc = read_localities(localities)
            console.print(f"{localities}: valid — {loc['locality_code'].nunique()} localities over {len(loc)} areas")
            return
        indicators = read_indicators(cfg.indicators_file)
        specs = [SourceSpec(f.name, adapter, f, "", {"vintage": vintage} if vintage else {}) for f in file] if file else cfg.sources
        if not file:
            _ = geo.hierarchy  # validates the locality definition
        prepare(specs, geo, indicators, progress=True).report.raise_if_problems()
    except ValidationError as e:
        _fail(e, "validation")
    console.print(f"{cfg.label}: valid ({len(specs) if not localities else 1} file(s) checked)")


@app.command("store")
def store_summary(config: str = ConfigOpt, store: Optional[Path] = StoreOpt) -> None:
    """Summarise the store: indicators, areas, periods, rows."""
    cfg = load_config(config)
    s = _store(cfg, store)
    if not s.exists():
        err.print(f"store {s.path} is empty: run `observatory ingest --config {cfg.name}` first")
        raise typer.Exit(1)
    print_summary(s)


@app.command()
def build(
    config: str = ConfigOpt,
    quarter: Optional[str] = typer.Option(None, help="Quarter to report on, e.g. 2026Q3 (default: the last complete quarter)."),
    localities: Optional[list[str]] = typer.Option(None, "--localities", "-l", help="Only these locality codes (repeat or comma-separate)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel notebook workers (default: CPU count)."),
    out: Optional[Path] = typer.Option(None, help="Packs folder (default build/packs, or build/packs/CONFIG for other configurations)."),
    audience: str = typer.Option("public", help="public, partners or partner:<id>: what the catalogue lets this pack show."),
    store: Optional[Path] = StoreOpt,
    force: bool = typer.Option(False, help="Rebuild every output even if up to date."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (for schedulers); the log file still records everything."),
) -> None:
    """Build the quarterly profile pack: every locality profile, the county overview, catalogue and exception reports.

    Exit codes: 0 all built, 1 some outputs failed (the rest are built), 2 bad input or usage, 3 another build is running.
    """
    from observatory.publish.engine import PackError
    from observatory.publish.plan import build as run

    codes = [c.strip() for item in localities or [] for c in item.split(",") if c.strip()] or None
    try:
        summary = run(config, quarter, localities=codes, jobs_n=jobs, out=out, audience=audience, store=store, progress=not quiet, force=force)
    except ValidationError as e:
        _fail(e, "ingest", code=2)  # bad input never reaches a pack
    except PackError as e:
        err.print(f"[bold red]build refused[/]: {e}")
        raise typer.Exit(e.exit_code)
    except (ValueError, KeyError, FileNotFoundError) as e:
        err.print(f"[bold red]build failed[/]: {e}")
        raise typer.Exit(2)
    (console if summary.ok else err).print(summary.describe())
    raise typer.Exit(summary.exit_code)


@app.command()
def demo(out: Path = typer.Argument(Path("data/demo"), help="Folder to write the demo county into.")) -> None:
    """Regenerate the synthetic demo county (deterministic)."""
    from observatory.demo import generate

    generate(out)
    console.print(f"wrote the synthetic demo county to {out}")


def _register() -> None:
    """Commands whose logic lives in their own modules."""
    from observatory.metadata.catalogue import catalogue_cli
    from observatory.apps.lab import lab_cli
    from observatory.onboarding.partner_file import add_dataset_cli
    from observatory.apps.serve import serve_cli

    app.command("catalogue", help="Validate the data catalogue and build its HTML, CSV and DCAT JSON-LD.")(catalogue_cli)
    app.command("lab", help="Start JupyterLab on 127.0.0.1 in the notebooks folder, with the package importable.")(lab_cli)
    app.command("serve", help="Serve the Voila dashboards on 127.0.0.1 (source hidden, kernels preheated).")(serve_cli)
    app.command("add-dataset", help="Inspect a partner's file, propose its catalogue record and indicators, and (with --apply) ingest it.")(add_dataset_cli)


_register()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
