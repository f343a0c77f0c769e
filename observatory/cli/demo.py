"""``observatory demo``: regenerate the synthetic demo county."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli._common import console


def demo(out: Path = typer.Argument(Path("data/demo"), help="Folder to write the demo county into.")) -> None:
    """Regenerate the synthetic demo county (deterministic)."""
    from observatory.demo import generate, write_partner_register  # start-up: ~2.0 s (numpy, pandas, scipy), not paid by --help

    generate(out)
    console.print(f"wrote the synthetic demo county to {out}")
    register = write_partner_register(out)
    if register:
        console.print(f"wrote the demo's synthetic partner register to {register}")
