"""A large CSV is read in chunks: every problem still names its file row, checks across rows span chunk
boundaries, and the store is the one a whole-file read writes."""

from __future__ import annotations

import hashlib

import pytest

from observatory.config import load_config
from observatory.errors import ValidationError
from observatory.ingest import readers
from observatory.ingest.pipeline import ingest
from observatory.store import Store

HEADER = "indicator_id,area_code,period,numerator,denominator\n"
TINY = 40
"""Bytes per chunk: one or two rows each, so every boundary is crossed."""


def _rows(n: int, year: int = 2024) -> list[str]:
    return [f"smoking,Z0100000{1 + i % 6},{year + i // 6},{20 + i},150\n" for i in range(n)]


def _problems(mini_config, tmp_path, text: str, chunk_bytes: int = TINY) -> list[str]:
    f = tmp_path / "partner.csv"
    f.write_text(text)
    with pytest.raises(ValidationError) as e:
        ingest(
            load_config(mini_config),
            Store(tmp_path / "store"),
            sources_ids=[],
            files=[("tidy", f, {"dataset": "t"})],
            chunk_bytes=chunk_bytes,
        )
    return [str(p) for p in e.value.report]


def test_the_file_is_cut_into_chunks_at_record_ends(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(HEADER + "".join(_rows(10)))
    chunks = list(readers.csv_chunks(f, {}, TINY))
    assert len(chunks) >= 5
    assert chunks[0].line == 2 and sum(c.lines for c in chunks) == 10
    assert all(f.read_bytes()[c.stop - 1 : c.stop] == b"\n" for c in chunks)


def test_a_duplicate_split_across_chunks_names_both_rows(mini_config, tmp_path):
    rows = _rows(8)
    rows.append(rows[1])  # row 3 again, as row 10: several chunks later
    assert _problems(mini_config, tmp_path, HEADER + "".join(rows)) == [
        "partner.csv, row 10, column 'area_code': duplicate key smoking / Z01000002 / 2024: also on row 3"
    ]


def test_bad_cells_in_later_chunks_keep_their_file_rows(mini_config, tmp_path):
    rows = _rows(10)
    rows[4] = "smoking,Z01999999,2024,20,150\n"  # row 6
    rows[7] = "smoking,Z01000002,2025,-1,150\n"  # row 9
    rows[8] = 'smoking,Z01000003,"2025",160,150\n'  # row 10
    text = HEADER + "".join(rows)
    chunked = _problems(mini_config, tmp_path, text)
    assert chunked == _problems(mini_config, tmp_path, text, chunk_bytes=1 << 20)
    assert sorted(int(p.split(", row ")[1].split(",")[0]) for p in chunked) == [6, 9, 10]


def test_a_quoted_line_break_and_a_blank_line_keep_the_rows_after_them(mini_config, tmp_path):
    rows = _rows(8)
    rows[2] = "smoking,Z01000003,2024,22,150\n\n"  # a blank line 5
    rows[3] = '"smo\nking",Z01000004,2024,23,150\n'  # lines 6-7
    text = HEADER + "".join(rows) + "smoking,Z01999999,2030,1,150\n"  # line 12
    problems = _problems(mini_config, tmp_path, text)
    assert any(p.startswith("partner.csv, row 6, column 'indicator_id'") for p in problems)
    assert any(p.startswith("partner.csv, row 12, column 'area_code': unknown area code") for p in problems)


def test_past_the_first_chunk_rows_are_named_up_to_the_limit_then_counted(mini_config, tmp_path):
    n = readers.PROBLEMS_PER_COLUMN * 3
    rows = [f"smoking,Z0100000{1 + i % 6},{2000 + i // 6},abc,150\n" for i in range(n)]
    problems = _problems(mini_config, tmp_path, HEADER + "".join(rows), chunk_bytes=400)
    named = [p for p in problems if ", row " in p]
    assert len(named) == readers.PROBLEMS_PER_COLUMN
    assert problems[-1] == f"partner.csv, column 'numerator': unparseable number 'abc' (and {n - len(named)} more rows)"


def test_a_chunked_ingest_writes_the_store_a_whole_read_writes(mini_config, tmp_path):
    f = tmp_path / "partner.csv"
    f.write_text(HEADER + "".join(_rows(30, 2010)))
    cfg = load_config(mini_config)
    whole, chunked = Store(tmp_path / "whole"), Store(tmp_path / "chunked")
    for store in (whole, chunked):
        ingest(cfg, store)
    assert ingest(cfg, whole, sources_ids=[], files=[("tidy", f, {"dataset": "t"})], chunk_bytes=1 << 20)["added"] == 30
    assert ingest(cfg, chunked, sources_ids=[], files=[("tidy", f, {"dataset": "t"})], chunk_bytes=TINY)["added"] == 30
    digest = {s: hashlib.sha256(s.values_path.read_bytes()).hexdigest() for s in (whole, chunked)}
    assert digest[whole] == digest[chunked]
    (chunked.path / "ingested-files.json").unlink()  # forget the digest: the rows themselves are compared
    again = ingest(cfg, chunked, sources_ids=[], files=[("tidy", f, {"dataset": "t"})], chunk_bytes=TINY)
    assert again == {"added": 0, "replaced": 0, "unchanged": 30}
    assert hashlib.sha256(chunked.values_path.read_bytes()).hexdigest() == digest[whole]
