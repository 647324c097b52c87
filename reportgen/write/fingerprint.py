"""reportgen's mark on its own outputs: a digest of the package, so an edited copy is recognised.

A .docx's mark is the core property `dc:identifier`, a SHA-256 over every part (the core part
with the mark left empty). Word, LibreOffice and other editors rewrite the parts when they save, so
a file whose parts no longer match its mark has been changed since reportgen wrote it. The PDF and
.odt copies and the `validate --report` workbook carry marks of their own (below).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable
from enum import Enum
from pathlib import Path

CORE_PART = "docProps/core.xml"
PREFIX = "reportgen:sha256:"
EMPTY = "<dc:identifier></dc:identifier>"
_MARK = re.compile(rb"<dc:identifier>(reportgen:sha256:[0-9a-f]{64})</dc:identifier>")
_MAX_TOTAL = 2 * 1024**3  # declared uncompressed size beyond which a file is not one of ours
_MAX_CORE = 1 << 20
_CHUNK = 1 << 20


class Origin(Enum):
    OWN = "own"  # written by reportgen and unchanged since
    EDITED = "edited"  # written by reportgen, changed afterwards
    FOREIGN = "foreign"  # no reportgen mark: another program's file (or not a .docx at all)


def digest(parts: Iterable[tuple[str, Iterable[bytes]]]) -> str:
    """The mark for a package given as (part name, content in pieces); order does not matter."""
    hashes = []
    for name, pieces in parts:
        part = hashlib.sha256()
        for piece in pieces:
            part.update(piece)
        hashes.append((name, part.digest()))
    return combine(hashes)


def combine(hashes: Iterable[tuple[str, bytes]]) -> str:
    """The mark from each part's own SHA-256, whatever order the parts were written in."""
    total = hashlib.sha256()
    for name, part in sorted(hashes):
        total.update(name.encode("utf-8") + b"\0" + part)
    return PREFIX + total.hexdigest()


def origin(path: Path) -> Origin:
    """Whether the .docx at `path` is reportgen's own unedited output."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            core_info = next((info for info in infos if info.filename == CORE_PART), None)
            if (core_info is None or core_info.file_size > _MAX_CORE
                    or sum(info.file_size for info in infos) > _MAX_TOTAL):
                return Origin.FOREIGN
            core = archive.read(CORE_PART)
            mark = _MARK.search(core)
            if mark is None:
                return Origin.FOREIGN
            blank = core[:mark.start()] + EMPTY.encode() + core[mark.end():]
            parts: list[tuple[str, Iterable[bytes]]] = [(CORE_PART, [blank])]
            parts += [(info.filename, _pieces(archive, info))
                      for info in infos if info.filename != CORE_PART]
            same = digest(parts) == mark.group(1).decode()  # reads the parts: inside the `with`
    except Exception:  # unreadable, damaged, encrypted, odd compression: not something reportgen wrote
        return Origin.FOREIGN
    return Origin.OWN if same else Origin.EDITED


def _pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterable[bytes]:
    with archive.open(info) as stream:
        while piece := stream.read(_CHUNK):
            yield piece


# --- the PDF and ODT copies beside the .docx, and `validate --report` ----------------------------------
# Each copy carries its own mark, so an editor's corrections in the .odt or notes added to the PDF
# are recognised even while the .docx beside it is untouched (a sidecar file would be one more
# thing to lose or copy apart). The .odt's mark is the zip archive's comment, a SHA-256 over the
# package's bytes before it (PACKAGE_PREFIX, below); LibreOffice drops the comment whenever it saves. The PDF's mark is
# a comment line after its end (`%reportgen:sha256:…`), a SHA-256 over the bytes before it; a PDF
# editor saving notes appends an update after it, or rewrites the file without it. A report (.xlsx)
# carries the .odt's kind of mark: Excel saving it drops the comment.
COPY_MARK = b"%" + PREFIX.encode()
_MAX_COPY = 512 * 1024**2


def mark_copy(kind: str, data: bytes) -> bytes:
    """`data` (a converted .pdf or .odt) with reportgen's mark."""
    if kind == "pdf":
        return data + b"\n" + COPY_MARK + hashlib.sha256(data).hexdigest().encode() + b"\n"
    return mark_package(data)


# A package's mark: a SHA-256 over the package's own bytes as written, before the comment that holds
# it (one pass over the compressed bytes: a 10,000-row report is marked and checked in a millisecond,
# where a digest of every part inflated took 18 ms). Marks written before (PREFIX: a digest of the
# parts, as `digest` computes it) are still recognised.
PACKAGE_PREFIX = "reportgen:zip-sha256:"
_END = b"PK\x05\x06"  # the end-of-central-directory record: 22 bytes, then the comment


def mark_package(data: bytes) -> bytes:
    """`data` (a zip package: the .odt copy, a `validate --report` workbook) with reportgen's mark
    as the archive's comment; Excel, LibreOffice and openpyxl drop the comment when they save."""
    if data[-22:-18] != _END or data[-2:] != b"\0\0":  # a comment already, or none at the end
        import io

        buffer = io.BytesIO(data)
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.comment = b""  # its directory written again, ending with no comment
        data = buffer.getvalue()
    mark = (PACKAGE_PREFIX + hashlib.sha256(data).hexdigest()).encode()
    return data[:-2] + len(mark).to_bytes(2, "little") + mark


def copy_origin(path: Path) -> Origin:
    """Whether the .pdf or .odt at `path` is a copy reportgen wrote, unchanged since."""
    if path.suffix.lower() == ".pdf":
        try:
            if path.stat().st_size > _MAX_COPY:
                return Origin.FOREIGN
            return _pdf_origin(path.read_bytes())
        except Exception:  # unreadable: not something reportgen can vouch for
            return Origin.FOREIGN
    return package_origin(path)


def package_origin(path: Path) -> Origin:
    """Whether the zip package at `path` (.odt copy, report) is one reportgen marked, unchanged since."""
    try:
        if path.stat().st_size > _MAX_COPY:
            return Origin.FOREIGN
        data = path.read_bytes()
        found = _bytes_origin(data)
        if found is not None:
            return found
        with zipfile.ZipFile(path) as archive:  # a mark of an earlier version: the parts' digest
            comment = archive.comment
            if not comment.startswith(PREFIX.encode()):
                return Origin.FOREIGN
            if sum(info.file_size for info in archive.infolist()) > _MAX_TOTAL:
                return Origin.FOREIGN
            same = _package_mark(archive) == comment.decode("ascii", "replace")
    except Exception:  # unreadable or not a package: not something reportgen wrote
        return Origin.FOREIGN
    return Origin.OWN if same else Origin.EDITED


def _bytes_origin(data: bytes) -> Origin | None:
    """The origin a PACKAGE_PREFIX mark at the end of `data` gives (the bytes before it, with no
    comment, hash to it), or None when `data` ends with no such mark."""
    at = data.rfind(PACKAGE_PREFIX.encode(), max(0, len(data) - 512))
    if at < 22 or data[at - 22:at - 18] != _END or int.from_bytes(data[at - 2:at], "little") != len(data) - at:
        return None
    written = data[:at - 2] + b"\0\0"
    same = hashlib.sha256(written).hexdigest() == data[at + len(PACKAGE_PREFIX):].decode("ascii", "replace")
    return Origin.OWN if same else Origin.EDITED


def _package_mark(archive: zipfile.ZipFile) -> str:
    return digest((info.filename, _pieces(archive, info)) for info in archive.infolist())


def _pdf_origin(data: bytes) -> Origin:
    at = data.rfind(b"\n" + COPY_MARK)
    if at < 0:
        return Origin.FOREIGN
    line = data[at + 1:].split(b"\n", 1)
    rest = line[1] if len(line) > 1 else b""
    expected = COPY_MARK + hashlib.sha256(data[:at]).hexdigest().encode()
    return Origin.OWN if line[0].strip() == expected and not rest.strip() else Origin.EDITED
