"""The evidence store: the tidy value table in Parquet, written atomically, ingests idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

from observatory._core.digests import sha256_file
from observatory._core.files import write_atomic
from observatory._core.vocab import KEY, VALUE_COLUMNS
from observatory.errors import Report, ValidationError

VALUES = "values.parquet"
LOG = "ingests.json"
SOURCES = "ingested-files.json"
"""Each ingested source file's digest (its bytes and how it was read): the same digest again reads nothing."""


def _arrow_schema() -> pa.Schema:
    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    return pa.schema([(c, types[t]) for c, t in VALUE_COLUMNS.items()])


SCHEMA = _arrow_schema()


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the store's columns and dtypes (missing columns filled)."""
    out = {}
    n = len(frame)
    for col, dtype in VALUE_COLUMNS.items():
        if col in frame.columns:
            s = frame[col]
        elif dtype == "string":
            s = pd.Series([""] * n, index=frame.index)
        elif dtype == "int64":
            s = pd.Series(np.zeros(n, dtype="int64"), index=frame.index)
        else:
            s = pd.Series(np.full(n, np.nan), index=frame.index)
        if dtype == "string":  # either string flavour will do: converting 11 million strings would copy them
            if not isinstance(s.dtype, pd.StringDtype):
                s = s.astype("string")
            if s.isna().any():
                s = s.fillna("")
            out[col] = s
        else:
            out[col] = s.astype(dtype)
    return pd.DataFrame(out).reset_index(drop=True)


def _key_hash(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame[KEY], index=False).to_numpy()


TEXT_COLUMNS = [c for c, t in VALUE_COLUMNS.items() if t == "string"]
COMPACT = "observatory.compact"
"""Marks a frame :func:`compact` made (kept by row selections), so it is not converted again."""


def compact(frame: pd.DataFrame, keep: Iterable[str] = ()) -> pd.DataFrame:
    """The store's columns (and ``keep``) in little memory: text as categoricals, numbers left out where all missing.

    A national table's labels repeat (40 indicators, 35,000 areas over 11 million rows): one small code per row
    instead of a string each. A frame already compact is returned as it is.
    """
    if frame.attrs.get(COMPACT):
        return frame
    out = {}
    for col, dtype in VALUE_COLUMNS.items():
        if col not in frame.columns:
            if dtype == "string":
                out[col] = pd.Categorical.from_codes(np.zeros(len(frame), dtype="int8"), [""])
            elif dtype == "int64":
                out[col] = np.zeros(len(frame), dtype="int64")
            continue
        s = frame[col]
        if dtype == "string":
            out[col] = _categorical(s)
        elif dtype == "int64":
            out[col] = s.to_numpy(dtype="int64")
        elif s.notna().any():
            out[col] = s.to_numpy(dtype="float64")
    for col in keep:
        if col in frame.columns:
            out[col] = frame[col].to_numpy()
    return _compact_frame(out)


def _compact_frame(columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame.attrs[COMPACT] = True
    return frame


def _categorical(s: pd.Series) -> pd.Categorical:
    """Text as a categorical with plain-object categories (so any two unite), empty where missing."""
    cat = s.array if isinstance(s.dtype, pd.CategoricalDtype) else pd.Categorical(s.astype("string"))
    labels = cat.categories.to_numpy(dtype=object)
    codes = cat.codes
    if (codes < 0).any():
        if "" not in labels:
            labels = np.append(labels, "")
        codes = np.where(codes < 0, np.flatnonzero(labels == "")[0], codes).astype(codes.dtype)
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Compact frames one under another (categoricals united, numbers missing where a frame left them out).

    Each frame's column is dropped once copied, so the frames and the result are not all held at once.
    """
    if len(frames) == 1:
        return compact(frames[0]).reset_index(drop=True)
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    parts = [{c: f[c].array if isinstance(f[c].dtype, pd.CategoricalDtype) else f[c].to_numpy() for c in f} for f in frames]
    sizes = [len(f) for f in frames]
    frames.clear()
    out = {}
    for col in columns:
        pieces = [p.pop(col, None) for p in parts]
        if any(isinstance(x, pd.Categorical) for x in pieces):
            out[col] = _categorical(pd.Series(union_categoricals([x for x in pieces if x is not None], ignore_order=True)))
        else:
            out[col] = np.concatenate([np.full(n, np.nan) if x is None else x for x, n in zip(pieces, sizes)])
        del pieces
    return _compact_frame(out)


def _ranks(s: pd.Series) -> np.ndarray:
    """Small integers in the order of the column's values (text in code-point order, as Arrow sorts)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories.to_numpy(dtype=object)
        rank = np.empty(len(cats), dtype=np.min_scalar_type(max(len(cats), 1)))
        rank[np.argsort(cats, kind="stable")] = np.arange(len(cats))
        return rank[s.cat.codes.to_numpy()]
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy()
    return pd.factorize(s, sort=True)[0]


def _arrow_column(frame: pd.DataFrame, col: str, rows: np.ndarray) -> pa.Array:
    field = SCHEMA.field(col)
    if col not in frame.columns:
        return pa.nulls(len(rows), field.type)
    arr = pa.array(frame[col].take(rows), from_pandas=True)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr.cast(field.type)


def _write_by_indicator(frame: pd.DataFrame, path: Path) -> None:
    """Write the values grouped by indicator, each indicator's rows sorted by area and period, one
    indicator at a time: reads filtered by indicator touch few row groups, and only one indicator's
    rows are ever held as Arrow text."""
    within = ["area_type", "area_code", "period_sort", "sex", "age", "category"]
    indicator = _ranks(frame["indicator_id"])
    order = np.lexsort([_ranks(frame[c]) for c in reversed(within)] + [indicator])
    bounds = np.flatnonzero(np.diff(indicator[order])) + 1
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        for rows in np.split(order, bounds) if len(order) else []:
            part = pa.table([_arrow_column(frame, c, rows) for c in SCHEMA.names], schema=SCHEMA)
            writer.write_table(part, row_group_size=1_000_000)


def _row_hash(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame.reindex(columns=list(VALUE_COLUMNS)), index=False).to_numpy()


class Store:
    """A store directory holding ``values.parquet`` and an ingest log."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def values_path(self) -> Path:
        return self.path / VALUES

    def exists(self) -> bool:
        return self.values_path.exists()

    def read(
        self, indicators: Iterable[str] | None = None, area_types: Iterable[str] | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """Values, optionally filtered to some indicators and area types."""
        if not self.exists():
            return conform(pd.DataFrame())
        filters = []
        if indicators is not None:
            filters.append(("indicator_id", "in", list(indicators)))
        if area_types is not None:
            filters.append(("area_type", "in", list(area_types)))
        table = pq.read_table(self.values_path, columns=columns, filters=filters or None)
        return table.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)

    def _read_compact(self) -> pd.DataFrame:
        """Every stored row as :func:`compact` holds them (text read as dictionaries, never as strings)."""
        if not self.exists():
            return compact(pd.DataFrame())
        table = pq.read_table(self.values_path, read_dictionary=TEXT_COLUMNS)
        return compact(table.to_pandas(self_destruct=True, split_blocks=True))

    def log(self) -> list[dict]:
        p = self.path / LOG
        return json.loads(p.read_text()) if p.exists() else []

    def sources(self) -> dict[str, dict]:
        """Source file name → ``{"sha256", "rows"}`` of the files whose rows the store holds as ingested."""
        p = self.path / SOURCES
        if not p.exists() or not self.exists():
            return {}
        try:
            return json.loads(p.read_text())
        except ValueError:
            return {}

    def unchanged_sources(self, digests: Mapping[str, str]) -> int | None:
        """Rows held for ``digests`` (file name → digest) when every file was ingested with that digest, else None."""
        known = self.sources()
        if not digests or any(known.get(f, {}).get("sha256") != d for f, d in digests.items()):
            return None
        return sum(int(known[f].get("rows", 0)) for f in digests)

    def merge(
        self,
        new: pd.DataFrame,
        *,
        description: str = "",
        files: list[str] | None = None,
        digests: Mapping[str, str] | None = None,
    ) -> dict[str, int]:
        """Add ``new`` rows; a row with the key of an existing one replaces it. Written atomically.

        Returns counts of rows added, replaced and unchanged. Re-ingesting the same file changes nothing.
        ``digests`` (file name → digest) are recorded so the same files can be recognised before reading;
        a file some of whose rows were replaced by other files loses its record.
        """
        new = compact(new)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._not_writable(e) from e
        old = self._read_compact()
        records = {f: r for f, r in self.sources().items() if f not in (digests or {})}
        if len(old):
            new_keys = _key_hash(new)
            old_keys = _key_hash(old)
            hit = np.isin(old_keys, new_keys)
            new_hit = np.isin(new_keys, old_keys)
            # a row whose key is stored is unchanged when the whole row hashes the same as the stored one
            same = np.isin(_row_hash(new[new_hit]), _row_hash(old[hit]))
            unchanged = int(same.sum())
            replaced = int(new_hit.sum()) - unchanged
            added = int(len(new) - new_hit.sum())
            if replaced == 0 and added == 0:
                self._record_sources(records, new, digests)
                return {"added": 0, "replaced": 0, "unchanged": unchanged}
            overwritten = set(old.loc[hit, "source_file"].unique()) - set(digests or {})
            records = {f: r for f, r in records.items() if f not in overwritten}
            combined = stack([old[~hit], new])
            del old
        else:
            combined, added, replaced, unchanged = new, len(new), 0, 0
        rows = len(combined)
        self._check_writable()
        write_atomic(self.values_path, lambda tmp: _write_by_indicator(combined, tmp))
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "description": description,
            "files": files or [],
            "added": added,
            "replaced": replaced,
            "unchanged": unchanged,
            "rows": rows,
        }
        log = self.log() + [entry]
        write_atomic(self.path / LOG, json.dumps(log, indent=1))
        self._record_sources(records, new, digests)
        return {"added": added, "replaced": replaced, "unchanged": unchanged}

    def _record_sources(self, records: dict[str, dict], new: pd.DataFrame, digests: Mapping[str, str] | None) -> None:
        if not digests and records == self.sources():
            return
        rows = new["source_file"].value_counts()
        for f, d in (digests or {}).items():
            records[f] = {"sha256": d, "rows": int(rows.get(f, 0))}
        write_atomic(self.path / SOURCES, json.dumps(records, indent=1, sort_keys=True))

    def summary(self) -> pd.DataFrame:
        """Per indicator: area types, areas, periods and rows."""
        v = self.read(columns=["indicator_id", "area_type", "area_code", "period"])
        if v.empty:
            return pd.DataFrame(columns=["indicator_id", "area_types", "areas", "periods", "first", "last", "rows"])
        g = v.groupby("indicator_id", observed=True)
        return pd.DataFrame(
            {
                "area_types": g["area_type"].agg(lambda s: ",".join(sorted(s.unique()))),
                "areas": g["area_code"].nunique(),
                "periods": g["period"].nunique(),
                "first": g["period"].min(),
                "last": g["period"].max(),
                "rows": g.size(),
            }
        ).reset_index()

    def digest(self) -> str:
        """A content hash of the values file (for pack manifests)."""
        return sha256_file(self.values_path) if self.exists() else "empty"

    def _check_writable(self) -> None:
        """Refuse before writing when the store's folder cannot take a new file: the store is left as it was."""
        try:
            write_atomic(self.path / ".write-test", b"")
            (self.path / ".write-test").unlink()
        except OSError as e:
            raise self._not_writable(e) from e

    def _not_writable(self, error: OSError) -> ValidationError:
        report = Report()
        report.add(
            str(self.path),
            None,
            None,
            f"the store cannot be written ({error.strerror or error}): "
            "check the folder's permissions or choose another with --store",
            "store-not-writable",
        )
        return ValidationError(report)


def open_store(path: Path | str) -> Store:
    return Store(path)
