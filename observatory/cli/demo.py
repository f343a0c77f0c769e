"""``observatory demo``: regenerate the synthetic demo county."""
from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli._common import console

def demo(out: Path = typer.Argument(Path("data/demo"), help="Folder to write the demo county into.")) -> None:
    """Regenerate the synthetic demo county (deterministic)."""
    from observatory.demo import generate

    generate(out)
    console.print(f"wrote the synthetic demo county to {out}")
