"""The evidence store: the tidy value table in Parquet, written atomically, ingests idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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


def _write_by_indicator(frame: pd.DataFrame, path: Path) -> None:
    """Write the values grouped by indicator, each indicator's rows sorted by area and period, one
    indicator at a time: reads filtered by indicator touch few row groups, and a national-scale
    table is never held twice."""
    table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    codes, uniques = pd.factorize(frame["indicator_id"], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    within = [
        ("area_type", "ascending"),
        ("area_code", "ascending"),
        ("period_sort", "ascending"),
        ("sex", "ascending"),
        ("age", "ascending"),
        ("category", "ascending"),
    ]
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        for i in range(len(uniques)):
            part = table.take(order[bounds[i] : bounds[i + 1]])
            writer.write_table(part.take(pc.sort_indices(part, sort_keys=within)), row_group_size=1_000_000)


def _row_hash(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame[list(VALUE_COLUMNS)], index=False).to_numpy()


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
        new = conform(new)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._not_writable(e) from e
        old = self.read()
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
            combined = pd.concat([old[~hit], new], ignore_index=True)
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
