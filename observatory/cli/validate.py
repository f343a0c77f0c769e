"""``observatory validate``: check a configuration, a locality definition or single files; writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from observatory.cli._common import ConfigOpt, config_or_exit, console, fail
from observatory.config import SourceSpec
from observatory.errors import ValidationError


def validate(
    config: str = ConfigOpt,
    localities: Optional[Path] = typer.Option(None, help="Validate this locality definition CSV against the geography."),
    file: Optional[list[Path]] = typer.Option(
        None, "--file", "-f", help="Validate these files (with --adapter) without ingesting."
    ),
    adapter: str = typer.Option("tidy"),
    vintage: Optional[str] = typer.Option(None),
) -> None:
    """Validate a configuration (indicators, localities, sources) or single files; writes nothing."""
    # start-up: these cost ~2.2 s to import (pandas, pandera, geopandas); `observatory --help` does not pay it
    from observatory.geo.areas import Geography  # start-up: ~1.0 s (geopandas)
    from observatory.geo.localities import read_localities, validate_localities  # start-up: pandas, with the above
    from observatory.ingest.pipeline import prepare  # start-up: ~2.2 s (pandas, pandera, geopandas)
    from observatory.metadata.indicators import read_indicators  # start-up: pandas, with the above

    cfg = config_or_exit(config)
    geo = Geography(cfg)
    try:
        if localities:
            report = validate_localities(read_localities(localities), geo, file=localities.name)
            report.raise_if_problems()
            loc = read_localities(localities)
            console.print(f"{localities}: valid — {loc['locality_code'].nunique()} localities over {len(loc)} areas")
            return
        indicators = read_indicators(cfg.indicators_file)
        specs = (
            [SourceSpec(f.name, adapter, f, "", {"vintage": vintage} if vintage else {}) for f in file] if file else cfg.sources
        )
        if not file:
            _ = geo.hierarchy  # validates the locality definition
        prepare(specs, geo, indicators, progress=True).report.raise_if_problems()
    except ValidationError as e:
        fail(e, "validation")
    console.print(f"{cfg.label}: valid ({len(specs) if not localities else 1} file(s) checked)")
