"""The pack's zip archive: deflated on every CPU, the same bytes as ``zipfile`` writes of the same files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from observatory._core import archive
from observatory._core.archive import write_zip


def _stock(target: Path, members: list[tuple[Path, str]], level: int = 6) -> bytes:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for path, name in members:
            z.write(path, name)
    return target.read_bytes()


@pytest.fixture
def files(tmp_path) -> list[tuple[Path, str]]:
    """Members of every kind a pack holds: a large page, an empty file, binary data, a non-ASCII name, an
    executable mode, a file in a nested folder and one older than the others."""
    folder = tmp_path / "pack"
    (folder / "html" / "deep").mkdir(parents=True)
    made = {
        "html/page.html": ("<p>Warwickshire narrowing the gap</p>\n" * 40_000).encode(),
        "empty.csv": b"",
        "downloads/data.xlsx": os.urandom(70_000) + bytes(50_000),
        "html/deep/Ynys Môn – profile.html": "Ynys Môn\n".encode() * 500,
        "run.sh": b"#!/bin/sh\necho pack\n",
    }
    for rel, data in made.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    (folder / "run.sh").chmod(0o755)
    os.utime(folder / "empty.csv", (315_532_800 + 86_400 * 400, 315_532_800 + 86_400 * 400 + 7))  # 1981, odd second
    return [(folder / rel, f"2026Q3/{rel}") for rel in made]


@pytest.mark.parametrize("level", [6, 1, 9])
def test_the_archive_is_byte_for_byte_what_zipfile_writes(files, tmp_path, level):
    ours = write_zip(tmp_path / "ours.zip", files, level=level, threads=3).read_bytes()
    assert ours == _stock(tmp_path / "stock.zip", files, level)


def test_members_keep_their_order_contents_names_and_modes(files, tmp_path):
    target = write_zip(tmp_path / "ours.zip", list(reversed(files)))
    with zipfile.ZipFile(target) as z:
        assert z.testzip() is None
        assert z.namelist() == [name for _, name in reversed(files)]
        for path, name in files:
            assert z.read(name) == path.read_bytes()
        assert (z.getinfo("2026Q3/run.sh").external_attr >> 16) & 0o777 == 0o755
        assert z.getinfo("2026Q3/html/deep/Ynys Môn – profile.html").flag_bits & 0x800


def test_an_archive_too_large_for_plain_zip_is_left_to_zipfile(files, tmp_path, monkeypatch):
    """Past the limits that need ZIP64 the archive is written by zipfile itself (which knows ZIP64)."""
    monkeypatch.setattr(archive, "_LIMIT", 10)
    written = []
    real = archive._write_with_zipfile
    monkeypatch.setattr(archive, "_write_with_zipfile", lambda *a: written.append(a) or real(*a))
    target = write_zip(tmp_path / "ours.zip", files)
    assert written and target.read_bytes() == _stock(tmp_path / "stock.zip", files)


def test_a_missing_member_fails_before_anything_is_written(files, tmp_path):
    files[2][0].unlink()
    with pytest.raises(FileNotFoundError):
        write_zip(tmp_path / "ours.zip", files)
    assert not (tmp_path / "ours.zip").exists()
