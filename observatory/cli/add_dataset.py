"""``observatory add-dataset``: inspect a partner's file and propose its records, or apply a completed proposal."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from observatory.cli._common import ConfigOpt, console, err, print_report
from observatory.config import load_config
from observatory.errors import ValidationError


def _refused(e: ValidationError, what: str) -> None:
    err.print(f"[bold red]{what}[/]: {len(e.report)} problem(s); nothing was changed.")
    print_report(e.report)
    raise typer.Exit(1)


def command(
    file: Path = typer.Argument(..., help="The partner's CSV or XLSX file.", exists=True, dir_okay=False),
    config: str = ConfigOpt,
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Proposal folder (default data/<config>/proposals/<name>/)."),
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Dataset id to propose (default: from the file name)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet name or 0-based index (default: the first with data)."),
    apply: Optional[Path] = typer.Option(
        None, "--apply", help="Apply this completed proposal folder: append the records and ingest."
    ),
    store: Optional[Path] = typer.Option(None, "--store", help="Store directory for --apply (default build/store/<config>)."),
) -> None:
    """Inspect a partner's file and propose a catalogue record, indicators and a source for review.

    With --apply FOLDER, add the completed proposal to the configuration and ingest it (one transaction).
    """
    # start-up: onboarding imports pandas, geopandas and openpyxl (~1.5 s); `observatory --help` must not pay it
    from observatory.onboarding import apply_proposal, propose_dataset  # start-up: as above
    from observatory.onboarding.proposal_text import relative  # start-up: as above

    try:
        cfg = load_config(config)
    except (FileNotFoundError, ValueError) as e:
        err.print(f"[bold red]add-dataset refused[/]: {e}; nothing was changed.", markup=True, highlight=False)
        raise typer.Exit(2) from None
    if apply is not None:
        try:
            done = apply_proposal(apply, cfg, file=file, store=store)
        except ValidationError as e:
            _refused(e, "add-dataset refused")
        except (ValueError, KeyError, FileNotFoundError) as e:
            err.print(f"[bold red]add-dataset refused[/]: {e}; nothing was changed.")
            raise typer.Exit(2) from None
        if done.get("finished"):
            console.print("finished an add-dataset --apply that was interrupted", highlight=False)
        console.print(
            f"added dataset {done['dataset']} with indicator(s) {', '.join(done['indicators'])} to {cfg.label}; "
            f"data in {relative(Path(done['file']))}; ingested into {relative(Path(done['store']))}: {done['added']} added, "
            f"{done['replaced']} replaced, {done['unchanged']} unchanged",
            highlight=False,
            soft_wrap=True,
        )
        return
    try:
        proposal = propose_dataset(file, cfg, out, name=name, sheet=int(sheet) if sheet and sheet.isdigit() else sheet)
    except ValidationError as e:
        _refused(e, "add-dataset could not read the file")
    console.print(proposal.describe(config), highlight=False, soft_wrap=True)
