"""``observatory init``: a configuration folder for any English upper-tier authority."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli._common import console, fail
from observatory.errors import ValidationError


def command(
    authority: str = typer.Option(..., "--authority", "-a", help="UTLA 2024 code or name, e.g. E10000031 or Warwickshire."),
    localities: str = typer.Option("msoa", help="msoa (House of Commons Library names), districts, or a CSV FILE."),
    out: Path | None = typer.Option(None, help="Configuration folder (default data/<authority-name>)."),
) -> None:
    """Write a working configuration (geography, localities, indicators, catalogue, sources) for an authority."""
    from observatory.national.init import init_authority  # start-up: pandas ~1.5 s, kept out of --help

    try:
        folder = init_authority(authority, localities, out)
    except ValidationError as e:
        fail(e, "init", code=2)
    console.print(f"wrote {folder}: build it with observatory build --config {folder}")
