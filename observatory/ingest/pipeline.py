"""Ingestion: source files → validated tidy rows → the store, all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.digests import sha256_file, sha256_json
from observatory.config import Config, SourceSpec, load_config
from observatory.errors import Report
from observatory.geo.areas import Geography
from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW
from observatory.ingest.adapters._common import period_sort
from observatory.ingest.checks import check_values
from observatory.metadata.indicators import read_indicators
from observatory.store import Store

NUMERIC = ["numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"]


@dataclass
class Checked:
    """Validated rows ready for the store, and the report (empty when valid)."""

    frame: pd.DataFrame
    report: Report = field(default_factory=Report)


def check(
    frame: pd.DataFrame,
    file: str,
    geo: Geography,
    indicators: pd.DataFrame,
    *,
    vintage: str | None = None,
    dataset: str | None = None,
    external_areas: str = "error",
) -> Checked:
    """Validate tidy rows against the geography and the indicator metadata; resolve area type and vintage.

    ``frame`` (an adapter's output) is completed in place.

    ``external_areas``: what to do with codes outside this geography (other counties in a
    benchmark export): ``error`` (default) or ``keep`` (typed by code prefix, e.g. peers).
    """
    report = Report()
    f = frame  # the adapter's frame is ours: checked and completed in place, not copied (11 million rows)
    if ROW not in f.columns:
        f[ROW] = np.arange(2, len(f) + 2)
    rows = f[ROW]
    for col in ("indicator_id", "area_code", "period"):
        if col not in f.columns:
            report.add(file, 1, col, f"missing required column {col!r}", "missing-column")
    if "value" not in f.columns and "numerator" not in f.columns:
        report.add(file, 1, "value", "missing required column: one of 'value' or 'numerator'", "missing-column")
    if report:
        return Checked(f, report)
    for c in NUMERIC:
        if c not in f.columns:
            f[c] = np.nan
        f[c] = pd.to_numeric(f[c], errors="coerce").astype("float64")
    for c, default in (("sex", "Persons"), ("age", "All ages"), ("category", ""), ("value_note", ""), ("vintage", "")):
        if c not in f.columns:
            f[c] = default
        f[c] = f[c].astype("string").fillna(default)
    for c in ("indicator_id", "area_code", "period"):
        f[c] = f[c].astype("string").fillna("").str.strip()

    # areas: resolve type and vintage
    areas = geo.areas
    declared = vintage if vintage is not None else None
    row_vintage = f["vintage"].where(f["vintage"] != "", declared or "")
    small = areas[areas["type"] == geo.small_area_type]
    other = areas[areas["type"] != geo.small_area_type].drop_duplicates("code").set_index("code")
    is_small_code = f["area_code"].isin(small["code"])
    known_pair = pd.MultiIndex.from_arrays([f["area_code"], row_vintage]).isin(
        pd.MultiIndex.from_arrays([small["code"], small["vintage"]])
    )
    ok_small = is_small_code & ((row_vintage == "") | known_pair)
    wrong_vintage = is_small_code & ~ok_small
    for r, code, v in zip(rows[wrong_vintage], f.loc[wrong_vintage, "area_code"], row_vintage[wrong_vintage]):
        have = ", ".join(sorted(small.loc[small["code"] == code, "vintage"]))
        report.add(
            file,
            r,
            "area_code",
            f"wrong vintage: {code} is a {geo.small_area_type.upper()} {have} code, not {v}",
            "wrong-vintage",
        )
    primary = geo.vintage
    f["area_type"] = ""
    f.loc[ok_small, "area_type"] = geo.small_area_type
    sv = row_vintage.where(row_vintage != "", primary)
    f.loc[ok_small, "vintage"] = sv[ok_small]
    in_other = ~is_small_code & f["area_code"].isin(other.index)
    f.loc[in_other, "area_type"] = f.loc[in_other, "area_code"].map(other["type"])
    f.loc[in_other, "vintage"] = f.loc[in_other, "area_code"].map(other["vintage"])
    unknown_area = ~is_small_code & ~in_other & (f["area_code"] != "")
    if external_areas == "keep":
        kept = geo.external_area_types(f.loc[unknown_area, "area_code"])
        f.loc[unknown_area, "area_type"] = kept
        unknown_area = unknown_area & (f["area_type"] == "")
    bad_codes = f.loc[unknown_area, "area_code"]
    where = "geography or the national code register" if external_areas == "keep" else "geography"
    for code, idx in bad_codes.groupby(bad_codes).groups.items():
        report.add_rows(
            file,
            rows[idx],
            "area_code",
            f"unknown area code {code!r}: not in the {geo.config.name} {where}",
            limit=3,
            code="unknown-area",
        )
    check_values(f, file, indicators, report)

    # duplicate keys
    key = ["indicator_id", "area_code", "period", "sex", "age", "category"]
    dup = _duplicated(f, key)
    if dup.any():
        first = (
            f[f.duplicated(key, keep=False) & ~dup]
            .set_index(key)[[]]
            .assign(_first=rows[f.duplicated(key, keep=False) & ~dup].to_numpy())
        )
        for r, k in zip(rows[dup], f.loc[dup, key].itertuples(index=False)):
            other_row = first["_first"].get(tuple(k), "?") if len(first) else "?"
            report.add(
                file,
                r,
                "area_code",
                f"duplicate key {k.indicator_id} / {k.area_code} / {k.period}"
                f"{' / ' + k.sex if k.sex != 'Persons' else ''}{' / ' + k.age if k.age != 'All ages' else ''}: also on row {other_row}",
                "duplicate-key",
            )
            if len(report) > 200:
                break

    if "period_sort" not in f.columns:
        f["period_sort"] = period_sort(f["period"]).fillna(0).astype("int64")
    else:
        ps = pd.to_numeric(f["period_sort"], errors="coerce")
        f["period_sort"] = ps.fillna(period_sort(f["period"])).fillna(0).astype("int64")
    if dataset:
        f["dataset_id"] = dataset
    f["source_file"] = file
    return Checked(f, report)


def _duplicated(f: pd.DataFrame, key: list[str]) -> pd.Series:
    """``f.duplicated(key)`` on one int64 code per row (mixed radix of the columns' codes): a fraction of the memory."""
    combined = np.zeros(len(f), dtype=np.int64)
    capacity = 1
    for c in key:
        codes, uniques = pd.factorize(f[c], use_na_sentinel=False)
        capacity *= len(uniques) + 1
        if capacity > 2**62:
            return f.duplicated(key, keep="first")
        combined = combined * (len(uniques) + 1) + codes
    return pd.Series(pd.Series(combined).duplicated(keep="first").to_numpy(), index=f.index)


def read_source(spec: SourceSpec) -> sources.Extract:
    """Read one configured source with its adapter (the dataset id is passed on as an option)."""
    opts = {"dataset": spec.dataset, **spec.options}
    return sources.read(spec.adapter, spec.file, opts)


def prepare(specs: Iterable[SourceSpec], geo: Geography, indicators: pd.DataFrame, progress: bool = False) -> Checked:
    """Read and check every source; collect all problems."""
    specs = list(specs)
    report = Report()
    frames = []
    iterator: Iterable[SourceSpec] = specs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(specs, desc="reading sources", unit="file")
    for spec in iterator:
        try:
            extract = read_source(spec)
        except (FileNotFoundError, OSError) as e:
            code = "missing-file" if isinstance(e, FileNotFoundError) else "unreadable-file"
            report.add(spec.file.name, None, None, f"cannot read file: {e}", code)
            continue
        report.extend(extract.report)
        if extract.report:
            continue
        checked = check(
            extract.frame,
            spec.file.name,
            geo,
            indicators,
            vintage=spec.options.get("vintage"),
            dataset=spec.dataset,
            external_areas=spec.options.get("external_areas", "error"),
        )
        report.extend(checked.report)
        if not checked.report:
            frames.append(checked.frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(frame):
        dup = frame.duplicated(["indicator_id", "area_code", "period", "sex", "age", "category"], keep="first")
        for r in frame[dup].head(20).to_dict("records"):
            report.add(
                r["source_file"],
                r.get(ROW),
                "indicator_id",
                f"duplicate key {r['indicator_id']} / {r['area_code']} / {r['period']}: already supplied by another source "
                "in this ingest",
                "duplicate-key",
            )
    return Checked(frame, report)


def ingest(
    config: Config | str,
    store: Store | None = None,
    *,
    sources_ids: list[str] | None = None,
    files: list[tuple[str, Path, Mapping[str, Any]]] | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Ingest a configuration's sources (or extra ``files`` as (adapter, path, options)) into the store.

    All or nothing: if any file has a problem, ValidationError carries every problem and the store is untouched.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    store = store or Store(cfg.store_dir())
    specs = [s for s in cfg.sources if sources_ids is None or s.id in sources_ids]
    if sources_ids:
        unknown = set(sources_ids) - {s.id for s in specs}
        if unknown:
            raise KeyError(f"configuration {cfg.name!r} has no source(s) {', '.join(sorted(unknown))}")
    for adapter, path, options in files or []:
        opts = dict(options)
        specs.append(SourceSpec(Path(path).name, adapter, Path(path), opts.pop("dataset", ""), opts))
    digests = source_digests(specs, cfg)
    held = store.unchanged_sources(digests) if digests else None
    if held is not None:  # every file as it was last ingested: nothing to read
        return {"added": 0, "replaced": 0, "unchanged": held}
    geo = Geography(cfg)
    indicators = read_indicators(cfg.indicators_file)
    checked = prepare(specs, geo, indicators, progress=progress)
    checked.report.raise_if_problems()
    return store.merge(checked.frame, description=f"ingest {cfg.name}", files=[str(s.file.name) for s in specs], digests=digests)


def source_digests(specs: Iterable[SourceSpec], cfg: Config) -> dict[str, str]:
    """File name → a digest of the file's bytes, how it is read and what it is checked against ({} if one is missing).

    The indicator metadata and the geography section count: a change to either may change what a file's rows are.
    """
    context = {
        "indicators": sha256_file(cfg.indicators_file) if cfg.indicators_file.is_file() else "absent",
        "geography": cfg.geography,
    }
    out = {}
    for spec in specs:
        if not spec.file.is_file() or spec.file.name in out:
            return {}
        out[spec.file.name] = sha256_json(
            {"file": sha256_file(spec.file), "adapter": spec.adapter, "dataset": spec.dataset, "options": spec.options, **context}
        )
    return out
