"""How much a roster file may hold and cost to read, and the refusal that names each limit.

A roster comes from anybody with an operator's account, so reading one must not be able to take
registry down: every dimension that reading a file grows with has a limit here, checked as early
as it can be (docs/rosters.md, "Limits"; decision 0012). Each limit is a setting of registry's
(`ROSTER_*`, declared in `registry.settings`) whose default is the field's default below.

The defaults leave room over what a county's whole roster needs, measured on the generator's
100,000-row roster (`sanbao_common.sample_rosters`, seed 20261128): written as our exports are
(inline strings) it is a 10.0 MiB workbook whose sheet unpacks to 103 MiB at 10.3:1; written as
Excel writes it (shared strings) 8.4 MiB, a 55 MiB sheet at 8.5:1 and 296,822 shared strings;
100,001 rows, 20 columns, no cell over 22 characters; 19.4 MiB as CSV; reading it takes 40 to
50 s of CPU on the benchmark machine. A county has at most about 100,000 labourers.

Standard library only: the reading child imports this before it has limited itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

MIB = 1024 * 1024
MAX_ZIP_ENTRIES = 1000  # a workbook has a dozen parts; a few hundred with many sheets and images
MAX_SHEETS = 255  # worksheets of one workbook: a township's has one per village or group
RATIO_FLOOR = MIB  # a part smaller than this unpacked cannot bomb, whatever its ratio


class RosterUnreadable(Exception):
    """The file as a whole cannot be read as a roster; `reason_code` says why."""

    def __init__(self, reason_code: str, message_en: str, message_zh: str):
        self.reason_code = reason_code
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(f"{message_en} / {message_zh}")


class RosterTooLarge(RosterUnreadable):
    """The file goes past one of the limits: refused as soon as that is known, whatever else
    is wrong with it."""


@dataclass(frozen=True)
class RosterLimits:
    max_uncompressed_mib: int = 256  # a workbook's parts together, unpacked
    max_entry_mib: int = 200  # one part of a workbook (its sheet, its shared strings), unpacked
    max_compression_ratio: int = 100  # unpacked : packed, of a part and of the whole workbook
    max_rows: int = 200_000  # rows of the sheet or lines of the CSV, blank ones included
    max_columns: int = 256  # cells in one row, empty ones included
    max_shared_strings: int = 600_000  # distinct texts of a workbook
    max_cell_chars: int = 4_000  # characters of one cell, or of one shared string
    max_text_mib: int = 64  # the roster read: every kept cell's text, UTF-8
    # Merged ranges of a workbook, all sheets together: households merged down (户编号, 户主)
    # take a few a household, some 150,000 for a county's 100,000 people in 28,000 households.
    max_merged_cells: int = 300_000
    memory_mib: int = 1024  # the reading process's address space
    cpu_seconds: int = 120  # the reading process's CPU time
    wall_seconds: int = 300  # the reading process's time from start to answer

    @property
    def markup_bytes(self) -> int:
        """The longest stretch of a workbook's XML without a tag boundary: longer than any cell
        text can be written (at most 10 bytes a character, as `&#x10FFFF;`) and than any tag a
        spreadsheet program writes. Beyond it expat, which re-reads an unfinished tag each time
        it is fed more, would spend time growing with its square."""
        return max(64 * 1024, 16 * self.max_cell_chars)

    @property
    def result_bytes(self) -> int:
        """The most the reading process may answer with: the text plus its JSON punctuation."""
        return 2 * self.max_text_mib * MIB + MIB

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, values: Mapping) -> RosterLimits:
        return cls(**{f.name: int(values[f.name]) for f in fields(cls)})

    @classmethod
    def from_settings(cls, settings: Mapping) -> RosterLimits:
        """The limits registry is configured with; a setting left out keeps its default."""
        given = {f.name: SETTINGS[f.name] for f in fields(cls) if SETTINGS[f.name] in settings}
        return cls(**{name: settings[setting] for name, setting in given.items()})


# Each limit's setting, as config.yml names it and the refusals quote it.
SETTINGS = {
    "max_uncompressed_mib": "ROSTER_MAX_UNCOMPRESSED_MIB",
    "max_entry_mib": "ROSTER_MAX_ENTRY_MIB",
    "max_compression_ratio": "ROSTER_MAX_COMPRESSION_RATIO",
    "max_rows": "ROSTER_MAX_ROWS",
    "max_columns": "ROSTER_MAX_COLUMNS",
    "max_shared_strings": "ROSTER_MAX_SHARED_STRINGS",
    "max_cell_chars": "ROSTER_MAX_CELL_CHARS",
    "max_text_mib": "ROSTER_MAX_TEXT_MIB",
    "max_merged_cells": "ROSTER_MAX_MERGED_CELLS",
    "memory_mib": "ROSTER_READ_MEMORY_MIB",
    "cpu_seconds": "ROSTER_READ_CPU_SECONDS",
    "wall_seconds": "ROSTER_READ_WALL_SECONDS",
}
DEFAULTS = RosterLimits()
MAX_ATTEMPTS_SETTING = "ROSTER_IMPORT_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 3

_SAVE_AGAIN_EN = "; save it again from Excel or WPS, or split it by township"
_SAVE_AGAIN_ZH = "；请在 Excel 或 WPS 中重新保存，或按乡镇拆分后再上传"


def _mib(size: int) -> str:
    return f"{size / MIB:,.1f}"


# -- the refusals, one reason code each ----------------------------------------------------------


def too_large_uncompressed(size: int, limit_mib: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_LARGE_UNCOMPRESSED",
        f"The workbook unpacks to {_mib(size)} MiB, more than the {limit_mib} MiB a roster may"
        f" (ROSTER_MAX_UNCOMPRESSED_MIB){_SAVE_AGAIN_EN}",
        f"该工作簿解压后为 {_mib(size)} MiB，超过花名册上限 {limit_mib} MiB"
        f"（ROSTER_MAX_UNCOMPRESSED_MIB）{_SAVE_AGAIN_ZH}",
    )


def entry_too_large(part: str, size: int, limit_mib: int) -> RosterTooLarge:
    return RosterTooLarge(
        "ENTRY_TOO_LARGE",
        f"The workbook's part {part} unpacks to {_mib(size)} MiB, more than the {limit_mib} MiB"
        f" one part may (ROSTER_MAX_ENTRY_MIB){_SAVE_AGAIN_EN}",
        f"该工作簿的组成部分 {part} 解压后为 {_mib(size)} MiB，超过单个部分的上限 {limit_mib} MiB"
        f"（ROSTER_MAX_ENTRY_MIB）{_SAVE_AGAIN_ZH}",
    )


def compression_ratio(part: str, ratio: float, limit: int) -> RosterTooLarge:
    return RosterTooLarge(
        "COMPRESSION_RATIO",
        f"{part} is packed {ratio:,.0f} to 1, more than the {limit} to 1 a roster may"
        " (ROSTER_MAX_COMPRESSION_RATIO): a workbook of real rows packs about 10 to 1, a file"
        " built to unpack to gigabytes far more",
        f"{part} 的压缩比为 {ratio:,.0f}:1，超过上限 {limit}:1（ROSTER_MAX_COMPRESSION_RATIO）："
        "真实花名册约为 10:1，远高于此的文件是为解压出巨量数据而构造的",
    )


def too_many_zip_entries(count: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MANY_ZIP_ENTRIES",
        f"The workbook has {count:,} parts, more than the {MAX_ZIP_ENTRIES:,} a roster may",
        f"该工作簿包含 {count:,} 个组成部分，超过上限 {MAX_ZIP_ENTRIES:,} 个",
    )


def too_many_sheets(count: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MANY_SHEETS",
        f"The workbook has {count:,} worksheets, more than the {MAX_SHEETS:,} a roster may",
        f"该工作簿包含 {count:,} 个工作表，超过上限 {MAX_SHEETS:,} 个",
    )


def too_many_merged_cells(limit: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MANY_MERGED_CELLS",
        f"The workbook has more than {limit:,} merged ranges of cells, all sheets together"
        f" (ROSTER_MAX_MERGED_CELLS){_SAVE_AGAIN_EN}",
        f"该工作簿中的合并单元格区域超过 {limit:,} 个（所有工作表合计，ROSTER_MAX_MERGED_CELLS）"
        f"{_SAVE_AGAIN_ZH}",
    )


def overlapping_merged_cells(row: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MANY_MERGED_CELLS",
        f"Row {row} lies in more merged ranges of cells than the sheet has columns: the ranges"
        " overlap, which no spreadsheet program writes (ROSTER_MAX_COLUMNS)",
        f"第{row}行所在的合并单元格区域多于工作表的列数：这些区域互相重叠，电子表格软件不会写出"
        "这样的文件（ROSTER_MAX_COLUMNS）",
    )


def too_many_rows(limit: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MANY_ROWS",
        f"The roster has more than {limit:,} rows, blank ones included, all sheets together"
        f" (ROSTER_MAX_ROWS){_SAVE_AGAIN_EN}",
        f"花名册超过 {limit:,} 行（含空行，所有工作表合计，ROSTER_MAX_ROWS）{_SAVE_AGAIN_ZH}",
    )


def too_many_columns(row: int, count: int | None, limit: int) -> RosterTooLarge:
    counted_en = f"{count:,} cells" if count is not None else "more cells"
    counted_zh = f"{count:,} 个单元格" if count is not None else "更多单元格"
    return RosterTooLarge(
        "TOO_MANY_COLUMNS",
        f"Row {row} has {counted_en}, more than the {limit:,} columns a roster may"
        f" (ROSTER_MAX_COLUMNS): delete the columns right of the roster's last one",
        f"第{row}行有{counted_zh}，超过花名册的列数上限 {limit:,} 列（ROSTER_MAX_COLUMNS）："
        "请删除花名册最后一列右侧的所有列",
    )


def too_many_shared_strings(limit: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MANY_SHARED_STRINGS",
        f"The workbook holds more than {limit:,} distinct texts (ROSTER_MAX_SHARED_STRINGS)"
        f"{_SAVE_AGAIN_EN}",
        f"该工作簿中不同的文本超过 {limit:,} 个（ROSTER_MAX_SHARED_STRINGS）{_SAVE_AGAIN_ZH}",
    )


def shared_string_too_long(index: int | None, limit: int) -> RosterTooLarge:
    which = f" (number {index + 1:,})" if index is not None else ""
    which_zh = f"（第{index + 1:,}个）" if index is not None else ""
    return RosterTooLarge(
        "SHARED_STRING_TOO_LONG",
        f"A text of the workbook's shared strings{which} is longer than the {limit:,}"
        " characters a cell may hold (ROSTER_MAX_CELL_CHARS)",
        f"该工作簿共享文本中有一条文本{which_zh}超过单元格字数上限 {limit:,} 字"
        "（ROSTER_MAX_CELL_CHARS）",
    )


def cell_too_long(
    row: int | None, column: str | None, limit: int, quoted: bool = False
) -> RosterTooLarge:
    if row is None:
        where, where_zh = "A cell of the sheet", "工作表中有一个单元格"
    elif column is None:
        where, where_zh = f"A cell in row {row}", f"第{row}行有一个单元格"
    else:
        where, where_zh = f"Cell {column}{row}", f"第{row}行{column}列的单元格"
    return RosterTooLarge(
        "CELL_TOO_LONG",
        f"{where} holds more than the {limit:,} characters a cell may (ROSTER_MAX_CELL_CHARS)"
        + (": is a quotation mark left open?" if quoted else ""),
        f"{where_zh}超过 {limit:,} 字（ROSTER_MAX_CELL_CHARS）"
        + ("：是否有未配对的引号？" if quoted else ""),
    )


def markup_too_long(part: str, limit: int) -> RosterTooLarge:
    return RosterTooLarge(
        "MARKUP_TOO_LONG",
        f"{part} holds a tag, attribute or comment longer than {limit // 1024:,} KiB, which no"
        " spreadsheet program writes (derived from ROSTER_MAX_CELL_CHARS)",
        f"{part} 中有长于 {limit // 1024:,} KiB 的标记、属性或注释，电子表格软件不会写出这样的"
        "内容（由 ROSTER_MAX_CELL_CHARS 推算）",
    )


def too_much_text(limit_mib: int) -> RosterTooLarge:
    return RosterTooLarge(
        "TOO_MUCH_TEXT",
        f"The roster's cells hold more than {limit_mib} MiB of text (ROSTER_MAX_TEXT_MIB)"
        f"{_SAVE_AGAIN_EN}",
        f"花名册单元格中的文字超过 {limit_mib} MiB（ROSTER_MAX_TEXT_MIB）{_SAVE_AGAIN_ZH}",
    )


def too_costly(limits: RosterLimits, what_en: str, what_zh: str) -> RosterTooLarge:
    """Reading stopped at one of the reading process's own limits; `what` says which."""
    return RosterTooLarge(
        "TOO_COSTLY",
        f"Reading the file needed more than {what_en}, so it was stopped (limits: "
        f"{limits.memory_mib} MiB of memory, ROSTER_READ_MEMORY_MIB; {limits.cpu_seconds} s of"
        f" CPU, ROSTER_READ_CPU_SECONDS; {limits.wall_seconds} s in all,"
        f" ROSTER_READ_WALL_SECONDS){_SAVE_AGAIN_EN}",
        f"读取该文件需要超过{what_zh}，已停止读取（上限：内存 {limits.memory_mib} MiB，"
        f"ROSTER_READ_MEMORY_MIB；CPU 时间 {limits.cpu_seconds} 秒，ROSTER_READ_CPU_SECONDS；"
        f"总时长 {limits.wall_seconds} 秒，ROSTER_READ_WALL_SECONDS）{_SAVE_AGAIN_ZH}",
    )


def needed_memory(limits: RosterLimits) -> RosterTooLarge:
    memory = limits.memory_mib
    return too_costly(limits, f"{memory} MiB of memory", f" {memory} MiB 内存")


def needed_cpu(limits: RosterLimits) -> RosterTooLarge:
    return too_costly(
        limits, f"{limits.cpu_seconds} s of CPU time", f" {limits.cpu_seconds} 秒 CPU 时间"
    )


def needed_time(limits: RosterLimits) -> RosterTooLarge:
    return too_costly(limits, f"{limits.wall_seconds} s", f" {limits.wall_seconds} 秒")


def damaged_zip(part: str, why: str) -> RosterUnreadable:
    return RosterUnreadable(
        "BAD_ZIP",
        f"The workbook is damaged: its part {part} does not hold what the archive declares"
        f" ({why}). Open it in Excel or WPS, save it again and upload it again",
        f"该工作簿已损坏：组成部分 {part} 的内容与压缩包中记录的不符（{why}）。"
        "请在 Excel 或 WPS 中打开并重新保存后再上传",
    )


def xml_declarations(part: str) -> RosterTooLarge:
    return RosterTooLarge(
        "XML_DTD",
        f"{part} declares a document type or entities (<!DOCTYPE …>, <!ENTITY …>), which no"
        " spreadsheet program writes and which can make a small file unpack to gigabytes",
        f"{part} 中含有文档类型或实体声明（<!DOCTYPE …>、<!ENTITY …>），电子表格软件不会写出"
        "这样的内容，且它可使很小的文件展开成巨量数据",
    )
