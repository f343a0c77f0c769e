"""``observatory lab``: JupyterLab on 127.0.0.1 in the notebooks folder, its URL printed with the token."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory._core.processes import HOST
from observatory._core.settings import DEFAULT_CONFIG
from observatory.cli._common import console, err


def command(
    port: int = typer.Option(8888, "--port", "-p", help="Port on 127.0.0.1."),
    config: str = typer.Option(
        DEFAULT_CONFIG, "--config", "-c", help="Configuration the notebooks open (demo, warwickshire) or folder."
    ),
    log: Path | None = typer.Option(None, "--log", help="Write JupyterLab's own log to this file (default: discarded)."),
) -> None:
    """Start JupyterLab on 127.0.0.1 in notebooks/ with the observatory importable; prints the URL with its token."""
    from observatory.apps.lab import CONFIG_ENV, run_until_stopped, start_lab  # start-up: 0.16 s (config, yaml) off `--help`

    try:
        running = start_lab(port, config, log=log)
    except (RuntimeError, TimeoutError, FileNotFoundError, ValueError) as e:
        err.print(f"lab failed: {e}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    cfg = running.config
    console.print(
        f"JupyterLab for {cfg.label} is running (listening on {HOST} only):\n\n"
        f"    {running.url}\n\n"
        f"  notebooks: {running.root}  (start with getting_started.ipynb)\n"
        f"  configuration: {cfg.name} ({CONFIG_ENV}={cfg.dir})\n"
        "  press Ctrl-C to stop",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    run_until_stopped(running)
