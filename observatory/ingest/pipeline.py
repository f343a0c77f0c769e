"""Ingestion: source files → validated tidy rows → the store, all or nothing."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatory._core.digests import sha256_file, sha256_json
from observatory._core.vocab import KEY
from observatory.config import Config, SourceSpec, load_config
from observatory.errors import Problem, Report
from observatory.geo.areas import Geography
from observatory.ingest import adapters as sources
from observatory.ingest.adapters import ROW
from observatory.ingest.adapters._common import period_sort
from observatory.ingest.checks import check_values
from observatory.ingest.readers import CHUNK, CHUNK_BYTES, PROBLEMS_PER_COLUMN, Chunk, csv_chunks
from observatory.metadata.indicators import read_indicators
from observatory.store import Store, compact, stack

CHUNKED = frozenset({"tidy"})
"""Adapters whose every row comes from its own line alone: a large file is read through them chunk by chunk."""
WHOLE_FILE = frozenset({"unreadable-file", "empty-file", "unknown-sheet", "missing-column", "unknown-layout"})
"""Problems with a file's header or bytes, not its rows: reading further chunks would only repeat them."""
MORE_ROWS = re.compile(r"^(?P<reason>.*) \(and (?P<n>\d+) more rows\)$")
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
    duplicates: bool = True,
) -> Checked:
    """Validate tidy rows against the geography and the indicator metadata; resolve area type and vintage.

    ``frame`` (an adapter's output) is completed in place.

    ``external_areas``: what to do with codes outside this geography (other counties in a
    benchmark export): ``error`` (default) or ``keep`` (typed by code prefix, e.g. peers).
    ``duplicates=False`` leaves the duplicate-key check to the caller (a file read in chunks is checked whole).
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

    if duplicates:
        report_duplicates(f, file, report)

    if "period_sort" not in f.columns:
        f["period_sort"] = period_sort(f["period"]).fillna(0).astype("int64")
    else:
        ps = pd.to_numeric(f["period_sort"], errors="coerce")
        f["period_sort"] = ps.fillna(period_sort(f["period"])).fillna(0).astype("int64")
    if dataset:
        f["dataset_id"] = dataset
    f["source_file"] = file
    return Checked(f, report)


def report_duplicates(f: pd.DataFrame, file: str, report: Report) -> None:
    """Report every row whose key an earlier row of ``f`` already has, naming both rows."""
    rows = f[ROW]
    dup = _duplicated(f, KEY)
    if not dup.any():
        return
    repeated = _duplicated(f, KEY, keep=False)
    first = f[repeated & ~dup].set_index(KEY)[[]].assign(_first=rows[repeated & ~dup].to_numpy())
    for r, k in zip(rows[dup], f.loc[dup, KEY].itertuples(index=False)):
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


def _duplicated(f: pd.DataFrame, key: list[str], keep: str | bool = "first") -> pd.Series:
    """``f.duplicated(key, keep=keep)`` on one int64 code per row (mixed radix of the columns' codes): a fraction of the memory."""
    combined = np.zeros(len(f), dtype=np.int64)
    capacity = 1
    for c in key:
        codes, uniques = pd.factorize(f[c], use_na_sentinel=False)
        capacity *= len(uniques) + 1
        if capacity > 2**62:
            return f.duplicated(key, keep=keep)
        combined = combined * (len(uniques) + 1) + codes
    return pd.Series(pd.Series(combined).duplicated(keep=keep).to_numpy(), index=f.index)


def read_source(spec: SourceSpec, chunk: Chunk | None = None) -> sources.Extract:
    """Read one configured source with its adapter (the dataset id is passed on as an option), or one ``chunk`` of it."""
    opts = {"dataset": spec.dataset, **spec.options}
    return sources.read(spec.adapter, spec.file, opts if chunk is None else {**opts, CHUNK: chunk})


def _extracts(spec: SourceSpec, chunk_bytes: int) -> Iterator[sources.Extract]:
    """The source read whole, or chunk by chunk when its adapter is row by row and the file a plain CSV."""
    chunks = csv_chunks(spec.file, spec.options, chunk_bytes) if spec.adapter in CHUNKED else None
    if chunks is None:
        yield read_source(spec)
        return
    for chunk in chunks:
        yield read_source(spec, chunk)


def _check_options(spec: SourceSpec) -> dict[str, Any]:
    return {
        "vintage": spec.options.get("vintage"),
        "dataset": spec.dataset,
        "external_areas": spec.options.get("external_areas", "error"),
    }


def prepare_file(spec: SourceSpec, geo: Geography, indicators: pd.DataFrame, chunk_bytes: int = CHUNK_BYTES) -> Checked:
    """Read and check one source, chunk by chunk: each chunk's rows keep their file lines, duplicates are
    sought over the whole file, and the rows come back compact (text as categoricals)."""
    file = spec.file.name
    parsing, checking = ChunkProblems(), ChunkProblems()
    parts: list[pd.DataFrame] = []
    try:
        for extract in _extracts(spec, chunk_bytes):
            parsing.add(extract.report)
            if extract.report.codes & WHOLE_FILE:
                break  # the header or the file itself is wrong: every chunk would say the same
            if parsing.report:  # a file with unparseable rows is reported as read, not checked further
                parts.clear()
                continue
            checked = check(extract.frame, file, geo, indicators, duplicates=False, **_check_options(spec))
            checking.add(checked.report)
            parts.append(compact(checked.frame, keep=[ROW]))
            del extract, checked
    except (FileNotFoundError, OSError) as e:
        code = "missing-file" if isinstance(e, FileNotFoundError) else "unreadable-file"
        report = Report()
        report.add(file, None, None, f"cannot read file: {e}", code)
        return Checked(pd.DataFrame(), report)
    if parsing.report:
        return Checked(pd.DataFrame(), parsing.finish())
    frame = stack(parts) if parts else pd.DataFrame()
    report = checking.finish()
    if len(frame):
        report_duplicates(frame, file, report)
    return Checked(frame, report)


def prepare(
    specs: Iterable[SourceSpec],
    geo: Geography,
    indicators: pd.DataFrame,
    progress: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
) -> Checked:
    """Read and check every source; collect all problems."""
    specs = list(specs)
    report = Report()
    frames = []
    iterator: Iterable[SourceSpec] = specs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(specs, desc="reading sources", unit="file")
    for spec in iterator:
        checked = prepare_file(spec, geo, indicators, chunk_bytes)
        report.extend(checked.report)
        if not checked.report and len(checked.frame.columns):
            frames.append(checked.frame)
    frame = stack(frames) if frames else pd.DataFrame()
    if len(frame):
        dup = _duplicated(frame, KEY)
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


class ChunkProblems:
    """A file's problems gathered chunk by chunk. The first chunk's are kept as found; past it, at most
    :data:`PROBLEMS_PER_COLUMN` rows are named per column and code, and the rest counted in one line."""

    def __init__(self) -> None:
        self.report = Report()
        self._named: Counter[tuple[str | None, str]] = Counter()
        self._more: dict[tuple[str | None, str, str], list] = {}
        self._chunks = 0

    def add(self, found: Report) -> None:
        first = self._chunks == 0
        self._chunks += 1
        for p in found:
            summary = MORE_ROWS.match(p.reason) if p.row is None else None
            if summary:
                self._count(p, summary["reason"], int(summary["n"]))
            elif p.row is not None and not first and self._named[p.column, p.code] >= PROBLEMS_PER_COLUMN:
                self._count(p, p.reason, 1)
            else:
                self._named[p.column, p.code] += p.row is not None
                self.report.problems.append(p)

    def _count(self, p: Problem, reason: str, n: int) -> None:
        key = (p.column, p.code, reason)
        if key not in self._more:
            self._more[key] = [p, 0]
        self._more[key][1] += n

    def finish(self) -> Report:
        """The problems, each count of further rows after the rows it follows."""
        for (_, _, reason), (p, n) in self._more.items():
            self.report.add(p.file, None, p.column, f"{reason} (and {n} more rows)", p.code)
        self._more = {}
        return self.report


def ingest(
    config: Config | str,
    store: Store | None = None,
    *,
    sources_ids: list[str] | None = None,
    files: list[tuple[str, Path, Mapping[str, Any]]] | None = None,
    progress: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
) -> dict[str, int]:
    """Ingest a configuration's sources (or extra ``files`` as (adapter, path, options)) into the store.

    All or nothing: if any file has a problem, ValidationError carries every problem and the store is untouched.
    A large CSV is read ``chunk_bytes`` at a time (see :func:`prepare_file`).
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
    checked = prepare(specs, geo, indicators, progress=progress, chunk_bytes=chunk_bytes)
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
