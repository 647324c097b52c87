"""Test helpers that build hostile zip packages: rewritten parts, raw entries, deflate bombs."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ACTIVITY_SHEET = "xl/worksheets/sheet3.xml"  # write_workbook's sheet order: 報告設定, 章節, 活動, 訪賓


def rewrite(source: Path, target: Path, changes: dict[str, Callable[[bytes], bytes]],
            extra: dict[str, bytes] | None = None) -> Path:
    """Copy a package, passing the named parts through a function and adding `extra` parts."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, changes.get(info.filename, lambda d: d)(data))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return target


def replace_text(old: str, new: bytes | str) -> Callable[[bytes], bytes]:
    """A part change that swaps one piece of text (e.g. a marker typed into a cell) for raw XML."""
    raw = new.encode() if isinstance(new, str) else new

    def change(data: bytes) -> bytes:
        assert old.encode() in data, f"{old} not in part"
        return data.replace(old.encode(), raw)

    return change


def with_shared_strings(source: Path, target: Path, marker: str, strings_xml: bytes) -> Path:
    """Make the cell holding `marker` point at shared string 0, and add that sharedStrings part."""
    cell = f'<c r="B2" t="inlineStr"><is><t>{marker}</t></is></c>'
    return rewrite(source, target, {
        ACTIVITY_SHEET: replace_text(cell, '<c r="B2" t="s"><v>0</v></c>'),
        "xl/_rels/workbook.xml.rels": replace_text(
            "</Relationships>",
            '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "[Content_Types].xml": replace_text(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    }, extra={"xl/sharedStrings.xml": strings_xml})


@dataclass
class RawEntry:
    """One zip entry written exactly as given: sizes and CRC may lie."""

    name: str
    data: bytes  # as stored in the file (already deflated when method is 8)
    size: int  # the declared uncompressed size
    crc: int = 0
    method: int = zipfile.ZIP_DEFLATED


def deflated(data: bytes) -> RawEntry:
    """An honest entry."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return RawEntry("", packer.compress(data) + packer.flush(), len(data), zlib.crc32(data))


def deflated_zeros(mebibytes: int) -> bytes:
    """A raw deflate stream of `mebibytes` MiB of zero bytes, made without holding them in memory.

    After a full flush the compressor forgets its history, so one compressed MiB can simply be
    repeated; a final empty block closes the stream. About 1 kB on disk per MiB inflated.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(bytes(1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * mebibytes + packer.flush(zlib.Z_FINISH)


def write_raw_zip(path: Path, entries: list[RawEntry]) -> Path:
    """A zip file from raw entries (no zip64: each size must fit in 32 bits)."""
    local, central = bytearray(), bytearray()
    for entry in entries:
        name = entry.name.encode()
        offset = len(local)
        fields = (20, 0, entry.method, 0, 0x21, entry.crc, len(entry.data), entry.size, len(name))
        local += struct.pack("<4s5HLLLHH", b"PK\x03\x04", *fields, 0) + name + entry.data
        central += struct.pack("<4s6HLLLHHHHHLL", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0,
                               offset) + name
    end = struct.pack("<4s4HLLH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central),
                      len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def entries_of(source: Path) -> list[RawEntry]:
    """A real package's entries as honest raw entries, to be mixed with hostile ones."""
    out = []
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            entry = deflated(archive.read(info))
            entry.name = info.filename
            out.append(entry)
    return out
