"""What every command shares: consoles, options, and the one renderer of a problem report."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table

from observatory._core.settings import DEFAULT_CONFIG
from observatory.config import Config, load_config
from observatory.errors import EXIT_USAGE, Report, ValidationError, rows

console = Console(soft_wrap=True)  # a long path or reason stays on one line in logs
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Configuration name (demo, warwickshire) or folder.")
StoreOpt = typer.Option(None, "--store", help="Store directory (default build/store/<config>).")


def report_table(report: Report) -> Table:
    """A problem report as a table: file, row, column, code, reason."""
    t = Table("file", "row", "column", "code", "reason", show_lines=False)
    for row in rows(report):
        t.add_row(*row)
    return t


def print_report(report: Report) -> None:
    """Every problem of ``report``: a table on a terminal, one plain line each otherwise (logs, cron, pipes)."""
    if err.is_terminal:
        err.print(report_table(report))
        return
    for p in report:
        err.print(f"  {p} [{p.code}]", markup=False, highlight=False, soft_wrap=True)


def fail(e: ValidationError, what: str, code: int = 1) -> NoReturn:
    """Print a failed validation (every problem, then nothing was written) and exit with ``code``."""
    err.print(f"[bold red]{what} failed[/]: {len(e.report)} problem(s); nothing was written.")
    print_report(e.report)
    raise typer.Exit(code)


def store_at(cfg, store: Optional[Path]):
    from observatory.store import Store  # start-up: ~0.7 s (pandas, pyarrow), not paid by --help

    return Store(store or cfg.store_dir())


def config_or_exit(name_or_path: str | Path) -> Config:
    """The configuration named on the command line, or a clear message and exit 2 (nothing is written).

    For every command taking ``--config``: a folder that does not exist, a missing ``config.yaml`` or a
    configuration lacking a required key is a usage error, never a traceback.
    """
    try:
        return load_config(name_or_path)
    except (FileNotFoundError, NotADirectoryError, ValueError, OSError) as e:
        err.print(f"[bold red]configuration not found or invalid[/]: {e}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
