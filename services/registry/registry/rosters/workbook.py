"""An uploaded workbook opened with openpyxl, inside the limits (`limits.RosterLimits`).

openpyxl reads whatever a zip archive and its XML say, so the archive is checked before it
touches anything, and watched while it reads:

- `check_archive`: the number of parts, their declared unpacked sizes (each, and all together)
  and how tightly they are packed. zipfile never yields more than a part's declared size (past
  it, the part fails its CRC and counts as damaged), so the declared sizes bound what unpacking
  produces; the bytes actually read are counted against the same limits all the same.
- `XmlScanner`, fed every chunk openpyxl reads of an XML part: a stretch without a tag boundary
  longer than `markup_bytes` (expat 2.5.0 re-reads an unfinished tag from its start each time it
  is fed 16 KiB more, so one huge attribute costs time growing with its square), a comment or
  processing instruction as long, and any DTD are refused before expat sees them; in a sheet,
  rows and each row's cells are counted before openpyxl builds them (openpyxl parses every
  sheet once while it loads the workbook, to find its size), and in the shared strings the
  strings before openpyxl has kept them all. These counts look at bytes, at the speed
  of `bytes.find`: they refuse the shapes we know of clearly and early, and the reading process's
  memory and CPU limits (sandbox.py) stop whatever they miss.
- `merged_ranges`: a sheet's merged ranges, which read-only openpyxl does not give and which
  the sheet's XML lists after its rows (<mergeCells>), found by a first pass over the sheet's
  bytes through the same guarded archive, before its rows are read; counted against their own
  limit as they are found.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable

from registry.rosters import limits as refusals
from registry.rosters.limits import MAX_ZIP_ENTRIES, MIB, RATIO_FLOOR, RosterLimits
from registry.rosters.merges import parse_ref

CHUNK = MIB  # what a part is read in when it is read whole
_CARRY = 64  # bytes left unscanned at a chunk's end, to be scanned with the next chunk
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.\-]{0,31}):)?(worksheet|sst)[\s>/]")
_OPENERS = (b"<!", b"<?")
_HEAD = 64 * 1024  # the root element comes within a part's first bytes, or it is no sheet
_PREFIX = rb"<(?:[A-Za-z_][\w.\-]{0,31}:)?"
_MERGE_CELL = re.compile(_PREFIX + rb"mergeCell[\s/>]")
_MERGE_REF = re.compile(
    _PREFIX + rb"mergeCell\s[^<>]{0,512}?\bref\s*=\s*[\"']([^\"'<>]{1,40})[\"']"
)
_MERGE_CARRY = 1024  # longer than any <mergeCell ...> the pattern above reads


def check_archive(data: bytes, limits: RosterLimits) -> GuardedZipFile:
    """The archive, once its declared sizes and packing are within the limits; BadZipFile for
    what is not a zip archive at all."""
    archive = GuardedZipFile(io.BytesIO(data), limits)
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise refusals.too_many_zip_entries(len(entries))
    total = 0
    for entry in entries:
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise zipfile.BadZipFile(f"{entry.filename} is packed by method {entry.compress_type}")
        if entry.file_size > limits.max_entry_mib * MIB:
            raise refusals.entry_too_large(entry.filename, entry.file_size, limits.max_entry_mib)
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise refusals.compression_ratio(entry.filename, ratio, limits.max_compression_ratio)
        total += entry.file_size
    if total > limits.max_uncompressed_mib * MIB:
        raise refusals.too_large_uncompressed(total, limits.max_uncompressed_mib)
    if total > RATIO_FLOOR and total / len(data) > limits.max_compression_ratio:
        ratio = total / len(data)
        raise refusals.compression_ratio("The workbook", ratio, limits.max_compression_ratio)
    return archive


class GuardedZipFile(zipfile.ZipFile):
    """A ZipFile whose parts, opened for reading, count and scan what they yield."""

    def __init__(self, file, limits: RosterLimits):
        super().__init__(file)
        self.limits = limits
        self.read_sizes: dict[str, int] = {}  # part -> the most bytes one reading of it yielded

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        raw = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return raw
        part = name.filename if isinstance(name, zipfile.ZipInfo) else name
        xml = part.endswith((".xml", ".rels"))
        scanner = XmlScanner(part, self.limits) if xml else None
        return GuardedPart(raw, part, self, scanner)

    def count_read(self, part: str, size: int) -> None:
        if size > self.read_sizes.get(part, 0):
            self.read_sizes[part] = size
            if size > self.limits.max_entry_mib * MIB:
                raise refusals.entry_too_large(part, size, self.limits.max_entry_mib)
            total = sum(self.read_sizes.values())
            if total > self.limits.max_uncompressed_mib * MIB:
                raise refusals.too_large_uncompressed(total, self.limits.max_uncompressed_mib)


class GuardedPart(io.RawIOBase):
    """One part as openpyxl reads it: the bytes counted and scanned on their way."""

    def __init__(self, raw, part: str, archive: GuardedZipFile, scanner: XmlScanner | None):
        super().__init__()
        self.raw, self.part, self.archive, self.scanner = raw, part, archive, scanner
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        try:
            data = self.raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise refusals.damaged_zip(self.part, str(error)) from None
        self.size += len(data)
        self.archive.count_read(self.part, self.size)
        if self.scanner is not None:
            self.scanner.feed(data, final=not data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class XmlScanner:
    """Watches one XML part go by, chunk after chunk (see the module's docstring)."""

    def __init__(self, part: str, limits: RosterLimits):
        self.part, self.limits = part, limits
        self.limit = limits.markup_bytes
        self.kind: str | None = None  # "worksheet", "sst" or "other", from the root element
        self.head = b""  # the part's first bytes, until its root element is found in them
        self.carry = b""  # the end of the last chunk, scanned with the next one
        self.base = 0  # offset in the part of the buffer being scanned
        self.done = 0  # offset up to which the tags and constructs are scanned
        self.counted = 0  # offset up to which rows, cells and strings are counted
        self.last_lt = 0  # offset of the last "<" outside comments: where the current run began
        self.closed = True  # whether a ">" followed that "<"
        self.closer: bytes | None = None  # the end of an open comment, instruction or CDATA
        self.opened_at = 0
        self.row = 0  # rows started in the sheet, and cells in the current one
        self.cells = 0
        self.strings = 0  # shared strings started
        self.tags: dict[str, re.Pattern] = {}

    def feed(self, chunk: bytes, final: bool = False) -> None:
        buffer = self.carry + chunk
        stop = len(buffer) if final else max(0, len(buffer) - _CARRY)
        if self.kind is None:
            self._find_root(chunk, final)
        self.done = self.base + self._scan(buffer, self.done - self.base, stop)
        self._count(buffer, self.counted - self.base, stop)
        self.counted = self.base + stop
        self.carry = buffer[stop:]
        self.base += stop

    # -- where tags begin and end -----------------------------------------------------------

    def _scan(self, buffer: bytes, pos: int, stop: int) -> int:
        """Scans buffer[pos:stop]; returns where the next chunk's scan resumes."""
        found = {opener: -2 for opener in _OPENERS}  # next place of each, -2: not searched yet
        while pos < stop:
            if self.closer is not None:
                end = buffer.find(self.closer, pos)
                if end == -1:
                    length = self.base + len(buffer) - self.opened_at
                    self._within(length, text=self.closer == b"]]>")
                    return max(pos, len(buffer) - len(self.closer) + 1)
                pos = end + len(self.closer)
                self._within(self.base + pos - self.opened_at, text=self.closer == b"]]>")
                self.closer, self.last_lt, self.closed = None, self.base + pos - 1, True
                continue
            for opener, at in found.items():
                if at != -1 and at < pos:
                    found[opener] = buffer.find(opener, pos, stop)
            starts = [at for at in found.values() if at >= 0]
            construct = min(starts) if starts else -1
            self._tags(buffer, pos, stop if construct == -1 else construct)
            if construct == -1:
                return stop
            pos = self._open(buffer, construct)
        return pos

    def _open(self, buffer: bytes, at: int) -> int:
        head = buffer[at : at + 9]
        if head.startswith(b"<!--"):
            self.closer, skip = b"-->", 4
        elif head.startswith(b"<![CDATA["):
            self.closer, skip = b"]]>", 9
        elif head.startswith(b"<?"):
            self.closer, skip = b"?>", 2
        else:
            raise refusals.xml_declarations(self.part)
        self.opened_at = self.base + at
        return at + skip

    def _tags(self, buffer: bytes, pos: int, end: int) -> None:
        """No two "<" of buffer[pos:end] (and the last one before it) lie more than the limit
        apart. Jumps from each "<" to the last one within reach: a few steps a chunk."""
        while True:
            deadline = self.last_lt + self.limit - self.base  # the next "<" must come by here
            if deadline >= end:
                break
            reached = buffer.rfind(b"<", pos, deadline + 1)
            if reached == -1:
                start = self.last_lt - self.base
                closed = buffer.find(b">", max(start, 0), deadline) != -1
                self._within(self.limit + 1, text=closed or (start < 0 and self.closed))
            self.last_lt, pos = self.base + reached, reached + 1
        last = buffer.rfind(b"<", pos, end)
        if last != -1:
            self.last_lt = self.base + last
            self.closed = buffer.find(b">", last, end) != -1
        elif not self.closed:
            self.closed = buffer.find(b">", pos, end) != -1

    def _within(self, length: int, text: bool) -> None:
        if length <= self.limit:
            return
        if text and self.kind == "worksheet":
            raise refusals.cell_too_long(None, None, self.limits.max_cell_chars)
        if text and self.kind == "sst":
            raise refusals.shared_string_too_long(None, self.limits.max_cell_chars)
        raise refusals.markup_too_long(self.part, self.limit)

    # -- rows, cells and strings --------------------------------------------------------------

    def _find_root(self, chunk: bytes, final: bool) -> None:
        """The kind of part, from its root element (within its first 64 KiB)."""
        self.head += chunk[: _HEAD - len(self.head)]
        root = _ROOT.search(self.head)
        if root is None:
            if final or len(self.head) >= _HEAD:
                self.kind, self.head = "other", b""
            return
        self.kind, self.head = root.group(2).decode(), b""
        prefix = re.escape(root.group(1) + b":") if root and root.group(1) else b""
        if self.kind == "worksheet":
            self.tags = {
                "row": re.compile(b"<" + prefix + rb"row[\s>/]"),
                "cell": re.compile(b"<" + prefix + rb"c[\s>/]"),
            }
        elif self.kind == "sst":
            self.tags = {"string": re.compile(b"<" + prefix + rb"si[\s>/]")}

    def _count(self, buffer: bytes, start: int, stop: int) -> None:
        """Counts the tags that begin in buffer[start:stop] (those begun after `stop` are left
        for the next chunk, which begins there)."""
        if "string" in self.tags:
            string = self.tags["string"]
            self.strings += len(string.findall(buffer, start)) - len(string.findall(buffer, stop))
            if self.strings > self.limits.max_shared_strings:
                raise refusals.too_many_shared_strings(self.limits.max_shared_strings)
        if "row" not in self.tags:
            return
        row, cell = self.tags["row"], self.tags["cell"]
        pos = start
        for begun in row.finditer(buffer, start):
            if begun.start() >= stop:
                break
            self._add_cells(len(cell.findall(buffer, pos, begun.start())))
            self.row, self.cells, pos = self.row + 1, 0, begun.start()
            if self.row > self.limits.max_rows:
                raise refusals.too_many_rows(self.limits.max_rows)
        self._add_cells(len(cell.findall(buffer, pos)) - len(cell.findall(buffer, stop)))

    def _add_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > self.limits.max_columns:
            raise refusals.too_many_columns(max(self.row, 1), None, self.limits.max_columns)


def merged_ranges(archive: GuardedZipFile, part: str, count: Callable[[int], None]) -> list:
    """The merged ranges of the sheet in `part` (`merges.Range`s; references that name no range
    are left out). `count(n)` is told of each `n` <mergeCell> elements found, as they are found,
    and raises once they are too many."""
    ranges = []
    carry = b""
    with archive.open(part) as source:
        while True:
            chunk = source.read(CHUNK)
            buffer = carry + chunk
            # Elements that begin in the last bytes are left for the next chunk, which begins
            # there; those that begin before are whole within `buffer`.
            stop = len(buffer) if not chunk else max(0, len(buffer) - _MERGE_CARRY)
            if b"mergeCell" in buffer:
                found = 0
                for element in _MERGE_CELL.finditer(buffer):
                    if element.start() >= stop:
                        break
                    found += 1
                    ref = _MERGE_REF.match(buffer, element.start())
                    merged = parse_ref(ref[1].decode("ascii", "replace")) if ref else None
                    if merged is not None:
                        ranges.append(merged)
                count(found)
            if not chunk:
                return ranges
            carry = buffer[stop:]


def open_workbook(data: bytes, limits: RosterLimits):
    """The workbook (openpyxl, read only, cached values), its shared strings checked and its
    parts watched as they are read; RosterUnreadable, or any other error for an archive
    openpyxl cannot read as a workbook."""
    from openpyxl.reader.excel import ExcelReader  # only the reading process needs openpyxl

    archive = check_archive(data, limits)
    # load_workbook(), but with the guarded archive for every part openpyxl reads (openpyxl
    # 3.1.5, pinned: ExcelReader keeps its archive there; test_hostile_rosters would notice).
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.archive, reader.valid_files = archive, archive.namelist()
    reader.read()
    strings = reader.shared_strings
    if len(strings) > limits.max_shared_strings:
        raise refusals.too_many_shared_strings(limits.max_shared_strings)
    for index, text in enumerate(strings):
        if len(text) > limits.max_cell_chars:
            raise refusals.shared_string_too_long(index, limits.max_cell_chars)
    return reader.wb
