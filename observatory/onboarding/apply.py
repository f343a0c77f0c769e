"""Applying a completed proposal: append the records to the configuration and ingest, as one transaction.

Everything is staged first in ``<config>/.add-dataset-pending/`` — the new catalogue, indicators,
sources list and data, a copy of each file as it was, and the data checked as the ingest will check it —
with ``plan.json`` written last: the commit point. Then each file is switched and the source ingested.
A failure after the commit point restores every file from its copy (the store is written last, atomically,
so it is old as well); a run killed after it leaves the plan, and the next ``apply_proposal`` on the
configuration finishes it (switching is idempotent, and re-ingesting the same rows changes nothing).
A run killed before it leaves the configuration untouched; its staging is discarded by the next run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from observatory._core.digests import sha256_bytes, sha256_file
from observatory._core.files import write_atomic
from observatory.config import Config, SourceSpec, load_config
from observatory.errors import Problem, Report, ValidationError
from observatory.geo.areas import Geography
from observatory.ingest.pipeline import ingest, prepare
from observatory.metadata.catalogue import _records, catalogue_file, validate_catalogue
from observatory.metadata.indicators import read_indicators
from observatory.onboarding.review import check_proposal, read_proposal
from observatory.onboarding.yaml_edits import append_record, insert_source
from observatory.store import Store

PENDING = ".add-dataset-pending"


@dataclass
class Plan:
    """A checked proposal, ready to stage: what is appended where."""

    meta: dict[str, Any]
    record: dict[str, Any]
    inds: pd.DataFrame
    source: dict[str, Any]
    renamed: dict[str, str]
    data_src: Path
    target: Path


def _step(name: str) -> None:
    """A named point of the transaction (tests stop a run here to show that no point leaves it half done)."""


def _refusals(folder: Path, cfg: Config, file: Path | str | None) -> Plan:
    """The proposal's contents, or ValidationError naming every clash with the configuration."""
    report = Report()
    meta, records, _lines, inds, source, _sl = read_proposal(folder)
    record = {k: v for k, v in records[0].items() if k != "review"}
    source = {k: v for k, v in source.items() if k != "review"}
    if file is not None and sha256_file(file) != meta["sha256"]:
        report.add(
            Path(file).name,
            None,
            None,
            f"is not the file that was inspected ({meta['file']}): it changed since; run add-dataset on it again",
            "file-changed",
        )
    if meta.get("config") != cfg.name:
        report.add(
            "proposal.json",
            None,
            "config",
            f"the proposal was made for configuration {meta.get('config')!r}, not {cfg.name!r}",
            "wrong-configuration",
        )
    existing = read_indicators(cfg.indicators_file)
    cat_path = catalogue_file(cfg)
    known = {str(r.get("id")) for r in _records(cat_path) if isinstance(r, dict)} if cat_path.exists() else set()
    rid = str(record.get("id", ""))
    if rid in known:
        report.add("catalogue.yaml", None, "id", f"dataset {rid!r} is already in {cat_path.name}", "already-in-catalogue")
    for i, ind in enumerate(inds["id"], start=2):
        if ind in existing.index:
            report.add(
                "indicators.csv", i, "id", f"indicator {ind!r} is already in {cfg.indicators_file.name}", "indicator-exists"
            )
    if str(source.get("dataset")) != rid:
        report.add(
            "source.yaml",
            None,
            "dataset",
            f"source dataset {source.get('dataset')!r} is not the record's id {rid!r}",
            "dataset-mismatch",
        )
    for i, d in enumerate(inds["dataset"], start=2):
        if d != rid:
            report.add(
                "indicators.csv",
                i,
                "dataset",
                f"indicator {inds['id'].iloc[i - 2]}: dataset {d!r} is not the record's id {rid!r}",
                "dataset-mismatch",
            )
    if any(s.id == source.get("id") for s in cfg.sources):
        report.add("source.yaml", None, "id", f"source {source.get('id')!r} is already in the configuration", "source-exists")
    renamed = {}
    if len(inds) == len(meta["indicators"]):
        renamed = {old: new for old, new in zip(meta["indicators"], inds["id"]) if old != new}
    else:
        report.add(
            "indicators.csv",
            None,
            "id",
            f"the proposal had {len(meta['indicators'])} indicator(s); rows may be "
            "edited but not added or removed (run add-dataset again)",
            "indicators-added-or-removed",
        )
    data_src = folder / meta["data"] if meta["mode"] == "converted" else (Path(file) if file else None)
    if data_src is None or not data_src.exists():
        report.add(
            meta["data"],
            None,
            None,
            "the data to ingest is missing" + ("" if file else ": give the partner's file"),
            "data-missing",
        )
    target = cfg.local_path(source["file"]) if source.get("file") else None  # in the configuration's folder, never the data root
    if target is None:
        report.add("source.yaml", None, "file", "the source entry needs a file (sources/<name>.csv)", "source-file-missing")
    else:
        source["file"] = Path(
            os.path.relpath(target, cfg.data_root.resolve())
        ).as_posix()  # entries are relative to the data root
        if target.exists():
            report.add("source.yaml", None, "file", f"{target} already exists", "target-exists")
    report.raise_if_problems()
    return Plan(meta, record, inds, source, renamed, data_src, target)


def _sources_target(cfg: Config) -> Path:
    s = cfg.raw.get("sources")
    return cfg.local_path(s) if isinstance(s, str) else cfg.dir / "config.yaml"


def _new_data(plan: Plan) -> bytes:
    if plan.meta["mode"] != "converted":
        opts = dict(plan.source.get("options") or {})
        if plan.renamed and opts.get("indicator") in plan.renamed:
            opts["indicator"] = plan.renamed[opts["indicator"]]
            plan.source["options"] = opts
        return plan.data_src.read_bytes()
    data = pd.read_csv(plan.data_src, dtype=str, keep_default_na=False)
    if plan.renamed:
        data["indicator_id"] = data["indicator_id"].map(lambda v: plan.renamed.get(v, v))
    return data.to_csv(index=False).encode("utf-8")


def _new_indicators(cfg: Config, inds: pd.DataFrame) -> bytes:
    text = cfg.indicators_file.read_text(encoding="utf-8-sig")
    header = next(csv.reader([text.splitlines()[0]]))
    rows = inds.drop(columns=[c for c in ("review",) if c in inds.columns]).reindex(columns=header, fill_value="")
    buf = io.StringIO()
    rows.to_csv(buf, index=False, header=False, lineterminator="\n")
    return (text + ("" if text.endswith("\n") else "\n") + buf.getvalue()).encode("utf-8")


def _stage(plan: Plan, cfg: Config, pending: Path, store: Path) -> None:
    """Every new file and every old one in ``pending``, the data checked; ``plan.json`` (the commit point) last."""
    cat_path, sources_path = catalogue_file(cfg), _sources_target(cfg)
    data = _new_data(plan)
    cat_text = cat_path.read_text(encoding="utf-8") if cat_path.exists() else ""
    own = sources_path != cfg.dir / "config.yaml"
    new = {
        cat_path: append_record(cat_text, plan.record).encode("utf-8"),
        cfg.indicators_file: _new_indicators(cfg, plan.inds),
        sources_path: insert_source(sources_path.read_text(encoding="utf-8"), plan.source, own).encode("utf-8"),
        plan.target: data,
    }
    files = []
    for i, (path, content) in enumerate(new.items()):
        staged = pending / "new" / str(i) / path.name
        write_atomic(staged, content)
        old = None
        if path.exists():
            old = pending / "old" / str(i) / path.name
            old.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, old)
        files.append({"target": str(path), "new": str(staged), "old": str(old) if old else None, "sha256": sha256_bytes(content)})
    _check_data(plan, cfg, pending / "new" / "1" / cfg.indicators_file.name, pending / "new" / "3" / plan.target.name)
    _step("staged")
    write_atomic(
        pending / "plan.json",
        json.dumps(
            {
                "dataset": plan.record["id"],
                "source": plan.source["id"],
                "store": str(store),
                "indicators": list(plan.inds["id"]),
                "meta": plan.meta,
                "files": files,
            },
            indent=1,
        ),
    )


def _check_data(plan: Plan, cfg: Config, indicators: Path, data: Path) -> None:
    """The staged data read and checked as the ingest will; problems name the partner's file, row and column."""
    spec = SourceSpec(
        plan.target.name, plan.source["adapter"], data, plan.source["dataset"], dict(plan.source.get("options") or {})
    )
    checked = prepare([spec], Geography(cfg), read_indicators(indicators))
    if checked.report:
        raise ValidationError(partner_report(checked.report, plan.meta, data, plan.target.name, plan.renamed))


def partner_report(report: Report, meta: dict[str, Any], data: Path, name: str, renamed: dict[str, str]) -> Report:
    """``report`` with every problem on the converted data moved to the partner's own file, sheet, row and column."""
    if meta.get("mode") != "converted":
        return Report(
            [
                Problem(meta.get("where", meta["file"]) if p.file == name else p.file, p.row, p.column, p.reason, p.code)
                for p in report
            ]
        )
    rows = pd.read_csv(data, dtype=str, keep_default_na=False)
    back = {new: old for old, new in renamed.items()}
    out = Report()
    for p in report:
        if p.file != name or p.row is None or not 0 <= p.row - 2 < len(rows):
            out.problems.append(
                Problem(meta.get("where", meta["file"]) if p.file == name else p.file, None, None, p.reason, p.code)
            )
            continue
        r = rows.iloc[p.row - 2]
        ind = back.get(r["indicator_id"], r["indicator_id"])
        column = meta.get("columns", {}).get(ind, {}).get(p.column or "", {}).get(r.get("period", ""), p.column)
        if r.get("source_row", ""):
            out.add(meta.get("where", meta["file"]), int(r["source_row"]), column, p.reason, p.code)
        else:
            out.add(
                meta.get("where", meta["file"]),
                None,
                column,
                f"in the figures add-dataset derived for {r['area_code']} "
                f"{r.get('period', '')} from the partner's rows: {p.reason}",
                p.code,
            )
    return out


def _switch(plan: dict[str, Any]) -> None:
    for f in plan["files"]:
        target = Path(f["target"])
        if not target.exists() or sha256_file(target) != f["sha256"]:
            write_atomic(target, Path(f["new"]).read_bytes())
        _step(f"switched {target.name}")


def _restore(plan: dict[str, Any]) -> None:
    for f in plan["files"]:
        target = Path(f["target"])
        if f["old"] is None:
            target.unlink(missing_ok=True)
        else:
            write_atomic(target, Path(f["old"]).read_bytes())


def _finish(cfg: Config, pending: Path, store: Path | str | None) -> dict[str, Any]:
    """Switch every staged file and ingest the new source; on failure restore every file. Idempotent."""
    plan = json.loads((pending / "plan.json").read_text())
    st = Store(store or plan["store"])
    try:
        _switch(plan)
        fresh = load_config(cfg.dir)
        if not any(s.id == plan["source"] for s in fresh.sources):
            raise ValidationError(
                Report(
                    [
                        Problem(
                            Path(plan["files"][2]["target"]).name,
                            None,
                            None,
                            "the source entry could not be added to the sources list",
                            "source-not-added",
                        )
                    ]
                )
            )
        validate_catalogue(fresh).raise_if_problems()
        _step("validated")
        counts = ingest(fresh, st, sources_ids=[plan["source"]])
        _step("ingested")
    except ValidationError as e:
        _restore(plan)
        shutil.rmtree(pending, ignore_errors=True)
        target = Path(plan["files"][3]["target"])
        raise ValidationError(partner_report(e.report, plan["meta"], Path(plan["files"][3]["new"]), target.name, {})) from None
    except BaseException:
        _restore(plan)
        shutil.rmtree(pending, ignore_errors=True)
        raise
    shutil.rmtree(pending, ignore_errors=True)
    return {
        "dataset": plan["dataset"],
        "indicators": plan["indicators"],
        "source": plan["source"],
        "file": plan["files"][3]["target"],
        "store": str(st.path),
        **counts,
    }


def apply_proposal(
    folder: Path | str, config: Config | str = "demo", *, file: Path | str | None = None, store: Path | str | None = None
) -> dict[str, Any]:
    """Append a completed proposal to the configuration and ingest it, as one transaction.

    Refuses (ValidationError naming every file, line and field, each with its code) while markers remain,
    when ``file`` is not the file that was inspected, or when ids clash with the configuration. Then appends
    the record to the catalogue, the indicators to indicators.csv and the source to the sources list, copies
    the data into the configuration's ``sources/`` folder, validates the catalogue and ingests the new
    source into ``store`` (default the configuration's store). A failure restores every file byte for byte
    and leaves the store as it was; a run killed part-way is finished by the next call. Returns what was
    added and the ingest counts (``finished`` is true when this call completed an interrupted run)."""
    folder = Path(folder)
    cfg = config if isinstance(config, Config) else load_config(config)
    pending = cfg.dir / PENDING
    if (pending / "plan.json").exists():
        plan = json.loads((pending / "plan.json").read_text())
        done = {**_finish(cfg, pending, store), "finished": True}
        if (folder / "proposal.json").exists() and json.loads((folder / "proposal.json").read_text()) == plan["meta"]:
            return done
        cfg = load_config(cfg.dir)
    shutil.rmtree(pending, ignore_errors=True)  # staging of a run killed before its commit point: nothing was switched
    check_proposal(folder).raise_if_problems()
    plan = _refusals(folder, cfg, file)
    try:
        _stage(plan, cfg, pending, Path(store or cfg.store_dir()))
    except BaseException:
        shutil.rmtree(pending, ignore_errors=True)
        raise
    return {**_finish(cfg, pending, store), "finished": False}
