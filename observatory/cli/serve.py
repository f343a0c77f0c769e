"""``observatory serve``: the Voila dashboards on 127.0.0.1 for one configuration and audience."""

from __future__ import annotations

import typer

from observatory._core.settings import DEFAULT_CONFIG
from observatory.cli._common import console, err


def command(
    config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Configuration name (demo, warwickshire) or folder."),
    port: int = typer.Option(8866, help="Port on 127.0.0.1."),
    audience: str = typer.Option("public", help="Audience: public, partners or partner:<id>."),
    preheat: bool = typer.Option(True, "--preheat/--no-preheat", help="Keep kernels of the dashboards ready."),
    pool: int = typer.Option(
        None,
        "--pool",
        min=0,
        help="Preheated kernels of the live localities dashboard: the visitors expected at once (default 4).",
    ),
    base_url: str = typer.Option("/", "--base-url", help="Path prefix when served behind a reverse proxy, e.g. /localities/."),
    public_site: bool = typer.Option(
        True,
        "--pre-rendered/--live",
        help="Public audience: the localities dashboard as pre-rendered pages (no kernel per visitor).",
    ),
) -> None:
    """Serve the dashboards with Voila on 127.0.0.1 (put a reverse proxy in front for partners)."""
    from observatory.apps.serve import serve  # start-up: pandas, geopandas and the profile tables (~2.1 s)

    try:
        serve(
            config=config,
            port=port,
            audience=audience,
            preheat=preheat,
            base_url=base_url,
            public_site=public_site,
            pool=pool,
            announce=lambda text: console.print(text, markup=False, highlight=False, soft_wrap=True),
        )
    except (FileNotFoundError, ValueError, RuntimeError, TimeoutError) as e:
        err.print(f"serve failed: {e}", markup=False, highlight=False)
        raise typer.Exit(2) from None
