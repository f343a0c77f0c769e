"""``observatory store``: summarise the evidence store."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from observatory.cli._common import ConfigOpt, StoreOpt, config_or_exit, console, err, store_at


def print_summary(store) -> None:
    s = store.summary()
    t = Table(title=f"Store {store.path}")
    for c in s.columns:
        t.add_column(c)
    for row in s.itertuples(index=False):
        t.add_row(*[str(v) for v in row])
    console.print(t)
    console.print(f"{len(s)} indicators, {int(s['rows'].sum()) if len(s) else 0} rows")


def store_summary(config: str = ConfigOpt, store: Optional[Path] = StoreOpt) -> None:
    """Summarise the store: indicators, areas, periods, rows."""
    cfg = config_or_exit(config)
    s = store_at(cfg, store)
    if not s.exists():
        err.print(f"store {s.path} is empty: run `observatory ingest --config {cfg.name}` first")
        raise typer.Exit(1)
    print_summary(s)
