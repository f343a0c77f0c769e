"""A zip archive of many files, their contents compressed on every CPU at once and written in order.

``zipfile`` compresses one member after another on one thread. Here each member is deflated on a thread
of its own (zlib lets go of the interpreter lock while it compresses), exactly as ``zipfile`` deflates it,
and the archive is then written in the order given with the headers ``zipfile`` would write: the result is
byte for byte the file ``zipfile.ZipFile(..., ZIP_DEFLATED, compresslevel=level).write`` makes of the
same files. Archives that would need ZIP64 (a member or the whole over 4 GiB, over 65,535 members) are
left to ``zipfile`` itself.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # what zipfile writes for deflated members without ZIP64
_UNIX = 3
_UTF8_NAME = 0x800
_LIMIT = (1 << 31) - 1  # zipfile's ZIP64_LIMIT
_MAX_MEMBERS = 0xFFFF


def write_zip(target: Path | str, members: Iterable[tuple[Path | str, str]], level: int = 6, threads: int | None = None) -> Path:
    """Write ``target``: each (file, name in the archive) deflated at ``level``, in the order given."""
    members = [(Path(path), name) for path, name in members]
    sizes = [path.stat().st_size for path, _ in members]
    if len(members) > _MAX_MEMBERS or sum(sizes) * 1.05 + 200 * len(members) > _LIMIT:  # headers included
        return _write_with_zipfile(Path(target), members, level)
    with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool:
        deflated = pool.map(lambda member: _deflate(member[0], level), members)
        with open(target, "wb") as out:
            central = [_write_member(out, path, name, *packed) for (path, name), packed in zip(members, deflated)]
            start = out.tell()
            for entry in central:
                out.write(entry)
            out.write(_END.pack(b"PK\005\006", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return Path(target)


def _deflate(path: Path, level: int) -> tuple[bytes, int, int]:
    """The member's raw deflate stream (as zipfile makes it), its CRC-32 and its size."""
    data = path.read_bytes()
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def _write_member(out: BinaryIO, path: Path, name: str, packed: bytes, crc: int, size: int) -> bytes:
    """Write the member's local header and data; return its central directory entry."""
    info = zipfile.ZipInfo.from_file(path, name)  # the same name, time and mode zipfile would record
    year, month, day, hour, minute, second = info.date_time
    date, time = (year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2
    try:
        encoded, flags = info.filename.encode("ascii"), 0
    except UnicodeEncodeError:
        encoded, flags = info.filename.encode("utf-8"), _UTF8_NAME
    offset = out.tell()
    fields = (flags, zipfile.ZIP_DEFLATED, time, date, crc, len(packed), size, len(encoded))
    out.write(_LOCAL.pack(b"PK\003\004", _VERSION, 0, *fields, 0) + encoded)
    out.write(packed)
    return _CENTRAL.pack(b"PK\001\002", _VERSION, _UNIX, _VERSION, 0, *fields, 0, 0, 0, 0, info.external_attr, offset) + encoded


def _write_with_zipfile(target: Path, members: list[tuple[Path, str]], level: int) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for path, name in members:
            z.write(path, name)
    return target
