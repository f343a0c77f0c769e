"""The text of a proposal's files: the commented catalogue record, the source entry and the README."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from observatory._core.vocab import Polarity, Theme, ValueType
from observatory.config import Config

if TYPE_CHECKING:
    from observatory.onboarding.figures import IndicatorProposal
    from observatory.onboarding.proposal import Proposal

COMMENTS = {
    "classification": "information-sharing charter classification",
    "audience": "who may see outputs built on it",
    "personal_data": "true if any row describes a person",
    "partner": "an id from data/partners.yaml",
}


def relative(p: Path) -> str:
    """``p`` relative to the working folder where it lies under it, else as given."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _scalar(v: Any) -> str:
    """One value as YAML flow text: dates bare, lists in brackets, text quoted only where YAML needs it."""
    if isinstance(v, (dt.date, bool, int, float)) or v is None:
        return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()
    if isinstance(v, list):
        return yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()
    return yaml.safe_dump(str(v), default_style=None, width=10_000, allow_unicode=True).strip().removesuffix("...").strip()


def catalogue_text(record: dict[str, Any], review: list[str], file: str, today: dt.date) -> str:
    """The proposed record as a one-item YAML list, each inferred field under ``review:``, with comments."""
    lines = [
        f"# Proposed catalogue record for {file}, written by `observatory add-dataset` on {today.isoformat()}.",
        "# Complete every TODO, check every field listed under review: and delete it from that list.",
        "# Fields are described in docs/catalogue.md; `--apply` appends this record to the configuration's catalogue.",
        "- review:   # inferred by add-dataset: check each field below, then delete its line here",
    ]
    lines += [f"    - {f}" for f in review] if review else ["    []"]
    for k, v in record.items():
        c = COMMENTS.get(k)
        lines.append(f"  {k}: {_scalar(v)}" + (f"   # {c}" if c else ""))
    return "\n".join(lines) + "\n"


def source_text(source: dict[str, Any], review: list[str], mode: str, data_name: str) -> str:
    """The proposed source entry, with its ``review:`` list (rows left out, problems)."""
    how = (
        "The tidy adapter reads the partner file as it is, with these options."
        if mode == "direct"
        else f"The tidy adapter reads {data_name}: the partner figures converted to the tidy value table."
    )
    text = f"# Proposed source entry for config.yaml's sources: (add-dataset --apply appends it).\n# {how}\n"
    text += yaml.safe_dump(source, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None)
    items = "".join(f"  - {_scalar(x)}\n" for x in review) if review else "  []\n"
    return text + "review:   # delete each line once resolved\n" + items


def readme_text(proposal: Proposal, cfg: Config, record: dict, inds: list[IndicatorProposal], today: dt.date) -> str:
    """The proposal's README: what was found, the files, the indicators and what is left to complete."""
    path, ins, mode, data_name = proposal.inspection.path, proposal.inspection, proposal.mode, proposal.data_file
    lines = [
        f"# Proposal: {record['id']} from {path.name}",
        "",
        f"Written by `observatory add-dataset` on {today.isoformat()} for the configuration `{cfg.name}` ({cfg.label}).",
        "**Nothing has been ingested.** Review the files here, complete every `TODO`, delete each review marker once "
        "checked, then apply:",
        "",
        f"    {proposal.apply_command(cfg.name)}",
        "",
        "`--apply` refuses while any marker remains. It appends the record to the catalogue, the indicators to "
        "indicators.csv and the source to the configuration's sources, copies the data into `sources/`, and ingests "
        "it, as one transaction: if anything fails every file is restored exactly as it was, and a run that was "
        "killed part-way is finished by the next `--apply`.",
        "",
        "## What was found",
        "",
    ]
    lines += [f"- {n}" for n in ins.notes]
    if ins.problems:
        lines += ["", "## Problems", ""] + [f"- {p} [{p.code}]" for p in ins.problems]
    lines += [
        "",
        "## Files",
        "",
        "- `catalogue.yaml`: the catalogue record. Fields listed under `review:` were inferred; fields saying `TODO` "
        "could not be.",
        "- `indicators.csv`: one row per proposed indicator; its `review` column lists inferred fields (empty it once checked).",
        "- `source.yaml`: the source entry and its `review:` list (unmatched areas, problems).",
    ]
    if mode == "converted":
        lines.append(f"- `{data_name}`: the partner's figures as the tidy value table (`source_row` is the line in {path.name}).")
    else:
        lines.append(f"- no converted data: the tidy adapter reads {path.name} as it is with the options in `source.yaml`.")
    lines += [
        "- `proposal.json`: the file's digest, so that `--apply` uses the file that was inspected.",
        "",
        "## Indicators",
        "",
    ]
    for i in inds:
        lines.append(
            f"- `{i.id}`: {i.title} — {i.value_type}, multiplier {i.multiplier:g}, unit {i.unit}"
            + (f" (numerator '{i.numerator}', denominator '{i.denominator}')" if i.denominator else f" ('{i.numerator}')")
        )
    lines += [
        "",
        "Themes: " + ", ".join(t.value for t in Theme) + ".",
        "Polarity: " + ", ".join(p.value for p in Polarity) + ".",
        "Value types: " + ", ".join(v.value for v in ValueType) + ".",
        "",
        "## To complete or review",
        "",
    ]
    for f in ("catalogue.yaml", "indicators.csv", "source.yaml"):
        if proposal.todo.get(f):
            lines.append(f"- `{f}`, to complete (`TODO`): " + ", ".join(proposal.todo[f]))
        if proposal.review.get(f):
            lines.append(f"- `{f}`, to check (inferred or left out): " + "; ".join(proposal.review[f]))
    return "\n".join(lines) + "\n"
