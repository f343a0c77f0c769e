"""Edits of the configuration's YAML that keep the analyst's comments, order, quoting and layout.

ruamel.yaml round-trip: the file is loaded with its comments, the record or source entry appended to
its list, and the document written back with the indentation the file itself uses (the one whose
round trip reproduces it). Only hand-wrapped flow lists (``[a, b,`` over several lines) may come back
on one line; every value, comment and key order is kept.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

INDENTS = ((2, 0), (4, 2), (2, 2), (4, 4))
"""(sequence, offset) layouts tried, mapping indent 2: ``- id:`` at the margin, or ``  - id:`` under a key."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _yaml(sequence: int = 2, offset: int = 0) -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 10_000
    y.indent(mapping=2, sequence=sequence, offset=offset)
    return y


def _dump(y: YAML, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def _layout(text: str) -> YAML:
    """The YAML writer whose round trip of ``text`` changes the fewest lines (none, for files it wrote)."""
    best, fewest = _yaml(), None
    lines = text.splitlines()
    for seq, off in INDENTS:
        y = _yaml(seq, off)
        out = _dump(y, y.load(text)).splitlines() if text.strip() else []
        changed = sum(a != b for a, b in zip(lines, out)) + abs(len(lines) - len(out))
        if fewest is None or changed < fewest:
            best, fewest = y, changed
        if changed == 0:
            break
    return best


def node(value: Any) -> Any:
    """``value`` as round-trip YAML: mappings in block style, lists and mappings of plain values in flow style
    (``[a, b]``, ``{vintage: '2021'}``), ISO date strings as dates."""
    if isinstance(value, dict):
        m = CommentedMap((k, node(v)) for k, v in value.items())
        if value and all(not isinstance(v, (dict, list)) for v in value.values()):
            m.fa.set_flow_style()
        return m
    if isinstance(value, (list, tuple)):
        s = CommentedSeq(node(v) for v in value)
        s.fa.set_flow_style()
        return s
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def append_record(text: str, record: dict[str, Any]) -> str:
    """``text`` (a catalogue: a list of records, or a mapping with ``datasets:``) with ``record`` appended,
    after a blank line when the file separates its records so."""
    y = _layout(text)
    data = y.load(text) if text.strip() else None
    if data is None:
        data = CommentedSeq()
    target = data.setdefault("datasets", CommentedSeq()) if isinstance(data, dict) else data
    target.append(node(record))
    out = _dump(y, data)
    tail = _dump(y, CommentedSeq([target[-1]]))
    if "\n\n" in text and len(target) > 1 and out.endswith(tail) and not out[: -len(tail)].endswith("\n\n"):
        out = out[: -len(tail)] + "\n" + tail
    return out


def insert_source(text: str, entry: dict[str, Any], own_file: bool) -> str:
    """``text`` (config.yaml, or a sources file holding a bare list) with ``entry`` appended to its sources list."""
    y = _layout(text)
    data = y.load(text) if text.strip() else None
    if own_file:
        data = data if data is not None else CommentedSeq()
        data.append(node(entry))
    else:
        data = data if data is not None else CommentedMap()
        if data.get("sources") is None:
            data["sources"] = CommentedSeq()
        data["sources"].append(node(entry))
    return _dump(y, data)
