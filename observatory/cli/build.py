"""``observatory build``: the quarterly profile pack."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from observatory.cli._common import ConfigOpt, StoreOpt, console, err, fail
from observatory.errors import PackError, ValidationError


def build(
    config: str = ConfigOpt,
    quarter: Optional[str] = typer.Option(None, help="Quarter to report on, e.g. 2026Q3 (default: the last complete quarter)."),
    localities: Optional[list[str]] = typer.Option(
        None, "--localities", "-l", help="Only these locality codes (repeat or comma-separate)."
    ),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel notebook workers (default: CPU count)."),
    out: Optional[Path] = typer.Option(
        None, help="Packs folder (default build/packs, or build/packs/CONFIG for other configurations)."
    ),
    audience: str = typer.Option("public", help="public, partners or partner:<id>: what the catalogue lets this pack show."),
    store: Optional[Path] = StoreOpt,
    force: bool = typer.Option(False, help="Rebuild every output even if up to date."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bar (for schedulers); the log file still records everything."
    ),
    authorities: Optional[str] = typer.Option(
        None, help="National build: all, or UTLA codes/names (comma-separated); one pack each."
    ),
    executor: str = typer.Option("local", help="National build: local (one after another) or dask (Dask distributed)."),
    scheduler: Optional[str] = typer.Option(
        None, help="National build: join this Dask scheduler (tcp://HOST:8786) instead of a LocalCluster."
    ),
    workers: int = typer.Option(2, help="National build: LocalCluster workers (one warm kernel each)."),
    by: str = typer.Option(
        "msoa", "--national-localities", help="National build: msoa or districts as each authority's localities."
    ),
    self_contained: bool = typer.Option(
        False, "--self-contained", help="Every page carries its own Leaflet and styles (no assets/ folder)."
    ),
) -> None:
    """Build the quarterly profile pack: every locality profile, the county overview, catalogue and exception reports.

    Exit codes: 0 all built, 1 some outputs failed (the rest are built), 2 bad input or usage, 3 another build is running.
    """
    shared = {"quarter": quarter, "out": out, "store": store, "force": force, "progress": not quiet}
    if authorities:
        _national(authorities, executor=executor, scheduler=scheduler, workers=workers, localities=by, **shared)
    from observatory.publish.early import workers_for  # start-up: 0.03 s (no pandas): workers boot while the rest imports

    codes = [c.strip() for item in localities or [] for c in item.split(",") if c.strip()] or None
    pool = workers_for(config, quarter, localities=codes, jobs_n=jobs, out=out, audience=audience, force=force)
    from observatory.publish.plan import build as run  # start-up: pandas, geopandas, pyarrow (~0.4 s); `--help` skips it

    try:
        summary = run(
            config, localities=codes, jobs_n=jobs, audience=audience, self_contained=self_contained, pool=pool, **shared
        )
    except ValidationError as e:
        fail(e, "ingest", code=2)  # bad input never reaches a pack
    except PackError as e:
        err.print(f"[bold red]build refused[/]: {e}")
        raise typer.Exit(e.exit_code) from None
    except (ValueError, KeyError, FileNotFoundError) as e:
        err.print(f"[bold red]build failed[/]: {e}")
        raise typer.Exit(2) from None
    (console if summary.ok else err).print(summary.describe())
    raise typer.Exit(summary.exit_code)


def _national(which: str, **options) -> None:
    """One pack per authority from the national store; exit code the worst of theirs."""
    from observatory.national.build import build_authorities  # start-up: pandas, distributed (~2 s); `--help` skips it

    try:
        results = build_authorities(which, **options)
    except ValidationError as e:
        fail(e, "build", code=2)
    except ValueError as e:
        err.print(f"[bold red]build failed[/]: {e}")
        raise typer.Exit(2) from None
    for r in results:
        (console if r.ok else err).print(f"{r.code}: {r.summary}")
    raise typer.Exit(max((r.exit_code for r in results), default=0))
