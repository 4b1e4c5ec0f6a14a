"""Roster files built to hurt the reader, generated (small, deterministic, never checked in) for
the tests of the roster limits and for the benchmark that measures what each costs.

Each builder returns the file's bytes; `HOSTILE` names them with the reason code each must be
refused with under the default limits (`limits.RosterLimits`). Workbooks are assembled part by
part with zipfile, as no spreadsheet program would write them: most parts are stored, not
deflated, so that a file meant for one limit does not trip the packing limit first. The texts
that must not pack well come from SHAKE-256, so the same call gives the same bytes everywhere.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from collections.abc import Callable

HEADER = ("姓名", "身份证号", "村代码")
PERSON = ("李秀英", "11010519491231002X", "532501001201")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    "{strings}</Types>"
)
_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
    '<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "{strings}</Relationships>"
)
_STRINGS_REL = f'<Relationship Id="rId2" Type="{_RELS}/sharedStrings" Target="sharedStrings.xml"/>'


def noise(length: int, seed: str = "sanbao") -> str:
    """`length` hexadecimal digits that pack about 2 to 1, the same on every machine."""
    return hashlib.shake_256(seed.encode()).hexdigest((length + 1) // 2)[:length]


def inline_row(number: int, values) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values)
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: str, before: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">{before}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def workbook(sheet: str | bytes, strings: str | None = None, packed: tuple[str, ...] = ()) -> bytes:
    """A workbook openpyxl reads, of one sheet (its XML) and shared strings if given; the parts
    named in `packed` are deflated, the others stored."""
    parts = {
        "[Content_Types].xml": _TYPES.format(strings=_STRINGS_TYPE if strings else ""),
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.format(
            strings=_STRINGS_REL if strings else ""
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in parts.items():
            method = zipfile.ZIP_DEFLATED if name in packed else zipfile.ZIP_STORED
            data = content.encode() if isinstance(content, str) else content
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, method)
    return target.getvalue()


def plain_roster(rows: int) -> bytes:
    """A well-formed roster workbook of `rows` people: big, but within every limit."""
    body = [inline_row(1, HEADER)]
    body.extend(
        inline_row(n, (f"人{n}", f"5325011990{n:08d}", PERSON[2])) for n in range(2, rows + 2)
    )
    return workbook(sheet_xml("".join(body)), packed=("xl/worksheets/sheet1.xml",))


# -- one file per limit ---------------------------------------------------------------------


def zip_bomb() -> bytes:
    """A sheet of 20 MiB of blank rows deflated to some 20 KiB: packed 1,000 to 1."""
    filler = "<row/>" * (20 * 1024 * 1024 // 6)
    rows = inline_row(1, HEADER) + inline_row(2, PERSON) + filler
    return workbook(sheet_xml(rows), packed=("xl/worksheets/sheet1.xml",))


def huge_shared_string() -> bytes:
    """One shared string of 1 MiB of digits that do not pack."""
    texts = [*HEADER, *PERSON[1:], noise(1024 * 1024)]
    strings = "".join(f"<si><t>{text}</t></si>" for text in texts)
    sst = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">{strings}</sst>'
    cells = [f'<c t="s"><v>{index}</v></c>' for index in range(len(texts))]
    rows = f'<row r="1">{"".join(cells[:3])}</row><row r="2">{"".join(cells[3:])}</row>'
    return workbook(sheet_xml(rows), strings=sst)


def many_columns_xlsx(columns: int = 1_000_000) -> bytes:
    """A header row followed by a million empty cells."""
    row = inline_row(1, HEADER).replace("</row>", "<c/>" * columns + "</row>")
    return workbook(sheet_xml(row + inline_row(2, PERSON)))


def many_columns_csv(columns: int = 1_000_000) -> bytes:
    """A header line followed by a million commas."""
    return ("姓名,身份证号,村代码" + "," * columns + "\r\n" + ",".join(PERSON) + "\r\n").encode()


def many_rows_xlsx(rows: int = 250_000) -> bytes:
    """More rows than the limit: a header, a person, and empty rows."""
    return workbook(sheet_xml(inline_row(1, HEADER) + inline_row(2, PERSON) + "<row/>" * rows))


def many_rows_csv(rows: int = 200_001) -> bytes:
    return ("姓名,身份证号,村代码\r\n" + ",".join(PERSON) + "\r\n" + ",,\r\n" * rows).encode()


def huge_attribute(length: int = 8 * 1024 * 1024, packs: bool = False) -> bytes:
    """A cell with one attribute of 8 MiB: expat 2.5.0 re-reads an unfinished tag from its start
    at each 16 KiB it is fed, some 2 * 10^9 bytes for this one. `packs`: of one repeated letter,
    deflated (18 MiB of it is the 18 KB file that took 27 s of CPU), else of digits that do not
    pack, stored (an 8 MiB file, within the upload limit)."""
    value = "A" * length if packs else noise(length)
    rows = inline_row(1, HEADER) + inline_row(2, PERSON).replace("<c ", f'<c x="{value}" ', 1)
    return workbook(sheet_xml(rows), packed=("xl/worksheets/sheet1.xml",) if packs else ())


def huge_cell_csv(length: int = 100_000) -> bytes:
    return ("姓名,身份证号,村代码\r\n" + ",".join(PERSON) + "," + "备" * length + "\r\n").encode()


def many_shared_strings(count: int = 600_001) -> bytes:
    strings = "".join(f"<si><t>{n}</t></si>" for n in range(count))
    sst = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">{strings}</sst>'
    return workbook(sheet_xml(inline_row(1, HEADER) + inline_row(2, PERSON)), strings=sst)


def doctype() -> bytes:
    """An entity declared in the sheet (the start of every "billion laughs")."""
    sheet = sheet_xml(inline_row(1, HEADER) + inline_row(2, PERSON))
    sheet = sheet.replace("?>", '?><!DOCTYPE worksheet [<!ENTITY lol "lol">]>', 1)
    return workbook(sheet)


def lying_size(declared: int = 100) -> bytes:
    """A workbook whose sheet declares (in its local and central headers) fewer unpacked bytes
    than it holds: zipfile yields no more than declared, then finds the CRC wrong."""
    return declare_size(plain_roster(20), "xl/worksheets/sheet1.xml", declared)


def declare_size(archive: bytes, name: str, declared: int) -> bytes:
    """`archive` with the unpacked size of part `name` rewritten in both of its headers."""
    data = bytearray(archive)
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30 : local + 30 + len(encoded)] == encoded:
            struct.pack_into("<I", data, local + 22, declared)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(encoded)] == encoded:
            struct.pack_into("<I", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def many_merged_cells(count: int = 300_001) -> bytes:
    """More merged ranges than the limit, listed after a two-row sheet (as <mergeCells> always
    is): a pass over the sheet's bytes finds them before its rows are read."""
    ranges = "".join(f'<mergeCell ref="D{n}:D{n + 1}"/>' for n in range(1, count + 1))
    rows = inline_row(1, HEADER) + inline_row(2, PERSON)
    after = f'<mergeCells count="{count}">{ranges}</mergeCells>'
    return workbook(sheet_xml(rows).replace("</sheetData>", "</sheetData>" + after))


def memory_hungry_csv(rows: int = 150_000) -> bytes:
    """Within every limit, but kept in memory it takes some 2 kB a row: 20 known columns of
    two-character values (one character would be a string Python shares)."""
    header = (
        "姓名,身份证号,联系电话,村代码,村民小组,户编号,户主身份证号,与户主关系,是否建档立卡,"
        "建档立卡编号,就业状态,务工地点,技能,意向地区,意向行业,期望月薪,最早出发日期,培训意向,"
        "经纪人,备注"
    )
    lines = [header]
    lines.extend(
        ",".join(f"{chr(0x4E00 + (n + c) % 2000)}{c}" for c in range(20)) for n in range(rows)
    )
    return ("\r\n".join(lines) + "\r\n").encode()


# name -> (builder, the reason code the default limits refuse it with)
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "zip_bomb": (zip_bomb, "COMPRESSION_RATIO"),
    "huge_shared_string": (huge_shared_string, "SHARED_STRING_TOO_LONG"),
    "many_columns_xlsx": (many_columns_xlsx, "TOO_MANY_COLUMNS"),
    "many_columns_csv": (many_columns_csv, "TOO_MANY_COLUMNS"),
    "many_rows_xlsx": (many_rows_xlsx, "TOO_MANY_ROWS"),
    "many_rows_csv": (many_rows_csv, "TOO_MANY_ROWS"),
    "huge_attribute": (huge_attribute, "MARKUP_TOO_LONG"),
    "huge_attribute_packed": (
        lambda: huge_attribute(18 * 1024 * 1024, packs=True),
        "COMPRESSION_RATIO",
    ),
    "huge_cell_csv": (huge_cell_csv, "CELL_TOO_LONG"),
    "many_shared_strings": (many_shared_strings, "TOO_MANY_SHARED_STRINGS"),
    "doctype": (doctype, "XML_DTD"),
    "lying_size": (lying_size, "BAD_ZIP"),
    "many_merged_cells": (many_merged_cells, "TOO_MANY_MERGED_CELLS"),
}
