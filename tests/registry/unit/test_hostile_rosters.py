"""Roster files built to hurt the reader (registry.rosters.hostile_samples, generated here): each
is refused with the reason code of the limit it goes past, by the child process within its
memory budget, never by running that process out of memory or time; and the limits themselves,
checked in process where a test needs other values than the defaults."""

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from marshmallow import ValidationError

from registry.rosters import hostile_samples as hostile
from registry.rosters.limits import DEFAULTS, RosterLimits, RosterUnreadable
from registry.rosters.reading import open_roster
from registry.rosters.sandbox import read_in_child
from registry.rosters.workbook import XmlScanner
from registry.settings import Settings
from sanbao_common.config import load_config
from sanbao_common.crypto import new_signing_key, public_key_text
from sanbao_common.sample_rosters import awkward_roster_xlsx, generate_roster_rows, roster_bytes

ROOT = Path(__file__).resolve().parents[3]
TIGHT = RosterLimits(max_rows=50, max_columns=30, max_cell_chars=200, max_shared_strings=100)


def refused_in_child(data: bytes, limits: RosterLimits = DEFAULTS) -> tuple[str, dict, str]:
    cost: dict = {}
    with pytest.raises(RosterUnreadable) as caught:
        read_in_child(data, "hostile.xlsx", limits, cost)
    return caught.value.reason_code, cost, caught.value.message_en


def refused(data: bytes, limits: RosterLimits = TIGHT) -> RosterUnreadable:
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, "roster.xlsx", limits)
    return caught.value


# -- each crafted file, through the child, under the default limits ---------------------------


@pytest.mark.parametrize("name", sorted(hostile.HOSTILE))
def test_each_hostile_file_is_refused_for_its_limit_within_the_childs_memory(name):
    build, code = hostile.HOSTILE[name]
    reason, cost, message = refused_in_child(build())
    assert reason == code
    # The child answered itself (it reports its peaks only then): no limit of its own stopped it.
    assert cost["virtual_peak_mib"] < DEFAULTS.memory_mib
    if code not in ("BAD_ZIP", "XML_DTD", "TOO_MANY_ZIP_ENTRIES"):
        assert "ROSTER_" in message  # the message names the setting of the limit


def test_a_file_that_needs_more_memory_than_the_child_has_is_refused_as_too_costly():
    limits = replace(DEFAULTS, memory_mib=256)
    reason, _, message = refused_in_child(hostile.memory_hungry_csv(), limits)
    assert reason == "TOO_COSTLY" and "256 MiB of memory" in message


def test_the_childs_cpu_and_wall_clock_limits_stop_a_long_read():
    data = hostile.plain_roster(60_000)  # some 8 s of CPU on the benchmark machine
    reason, cost, message = refused_in_child(data, replace(DEFAULTS, cpu_seconds=1))
    assert reason == "TOO_COSTLY" and "1 s of CPU time" in message
    reason, _, message = refused_in_child(data, replace(DEFAULTS, wall_seconds=1, cpu_seconds=1))
    assert reason == "TOO_COSTLY"
    reason, _, message = refused_in_child(data, replace(DEFAULTS, wall_seconds=1))
    assert reason == "TOO_COSTLY" and "needed more than 1 s," in message


def test_the_child_reads_what_reading_in_process_reads():
    rows = generate_roster_rows(40, seed=12, bad_fraction=0.1)
    for data, filename in [
        (roster_bytes(rows, "csv"), "r.csv"),
        (roster_bytes(rows, "xlsx", title="新街镇花名册"), "r.xlsx"),
        (awkward_roster_xlsx(), "awkward.xlsx"),
    ]:
        here, there = open_roster(data, filename), read_in_child(data, filename, DEFAULTS)
        assert (there.format, there.encoding) == (here.format, here.encoding)
        assert there.sheets == here.sheets and there.ignored_sheets == here.ignored_sheets
        assert list(there.rows()) == list(here.rows())


def test_a_refusal_in_the_child_is_the_refusal_in_process():
    data = "姓名,联系电话,就业状态\r\n李秀英,139,失业\r\n".encode()
    assert refused_in_child(data)[0] == refused(data).reason_code == "MISSING_COLUMNS"


# -- zip archives ---------------------------------------------------------------------------


def test_zipfile_never_yields_more_than_a_parts_declared_size():
    """The claim the limits on declared sizes rest on: a part that holds 5 MB but declares 1,000
    bytes yields no more than 1,000 bytes and then fails its CRC, read whole or in chunks."""
    content = hostile.noise(5_000_000).encode()
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", content)
    lying = hostile.declare_size(target.getvalue(), "xl/worksheets/sheet1.xml", 1000)
    archive = zipfile.ZipFile(io.BytesIO(lying))
    assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        archive.read("xl/worksheets/sheet1.xml")
    yielded = 0
    with pytest.raises(zipfile.BadZipFile), archive.open("xl/worksheets/sheet1.xml") as part:
        while chunk := part.read(100):
            yielded += len(chunk)
    assert yielded <= 1000  # the read that reaches the declared end fails its CRC instead
    assert refused(hostile.lying_size(), DEFAULTS).reason_code == "BAD_ZIP"


def test_declared_sizes_over_the_limits_are_refused_before_anything_is_unpacked():
    data = hostile.plain_roster(2000)  # its sheet unpacks to some 160 kB
    limits = RosterLimits(max_entry_mib=1, max_uncompressed_mib=1, max_compression_ratio=10**4)
    big = hostile.declare_size(data, "xl/worksheets/sheet1.xml", 2 * 1024 * 1024)
    assert refused(big, limits).reason_code == "ENTRY_TOO_LARGE"
    limits = RosterLimits(max_entry_mib=2, max_uncompressed_mib=2, max_compression_ratio=10**4)
    bigger = hostile.declare_size(big, "xl/workbook.xml", 1024 * 1024)
    problem = refused(bigger, limits)
    assert problem.reason_code == "TOO_LARGE_UNCOMPRESSED" and "3.0 MiB" in problem.message_en


def test_too_many_parts_and_other_packing_methods_are_refused():
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for number in range(1001):
            archive.writestr(f"part{number}.xml", "<a/>")
    assert refused(target.getvalue(), DEFAULTS).reason_code == "TOO_MANY_ZIP_ENTRIES"
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("xl/workbook.xml", "<a/>")
    assert refused(target.getvalue(), DEFAULTS).reason_code == "UNKNOWN_FORMAT"


# -- what the sheet and the shared strings hold ---------------------------------------------


def sheet(*rows: str, before: str = "") -> bytes:
    return hostile.workbook(hostile.sheet_xml("".join(rows), before))


HEAD, PERSON = hostile.inline_row(1, hostile.HEADER), hostile.inline_row(2, hostile.PERSON)


def test_rows_and_columns_are_counted_as_excel_numbers_them():
    far_row = '<row r="51"><c r="A51" t="inlineStr"><is><t>x</t></is></c></row>'
    assert refused(sheet(HEAD, PERSON, far_row)).reason_code == "TOO_MANY_ROWS"
    far_cell = PERSON.replace("</row>", '<c r="AE2" t="inlineStr"><is><t>x</t></is></c></row>')
    problem = refused(sheet(HEAD, far_cell))
    assert problem.reason_code == "TOO_MANY_COLUMNS" and "Row 2 has 31 cells" in problem.message_en
    assert open_roster(sheet(HEAD, PERSON, far_row), "r.xlsx").data_rows == 2  # default limits


def test_a_long_cell_is_refused_naming_it():
    long_cell = PERSON.replace("李秀英", "李" * 201)
    problem = refused(sheet(HEAD, long_cell))
    assert problem.reason_code == "CELL_TOO_LONG" and "Cell A2" in problem.message_en
    text = "姓名,身份证号,村代码\r\n李秀英,11010519491231002X,532501001201," + "注" * 300
    problem = refused(text.encode(), TIGHT)
    assert problem.reason_code == "CELL_TOO_LONG" and "quotation mark" in problem.message_en


def test_shared_strings_are_counted_and_measured():
    def with_strings(texts):
        strings = "".join(f"<si><t>{text}</t></si>" for text in texts)
        main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        sst = f"<sst {main}>{strings}</sst>"
        cells = "".join(f'<c t="s"><v>{n}</v></c>' for n in range(3))
        return hostile.workbook(hostile.sheet_xml(f'<row r="1">{cells}</row>' + PERSON), sst)

    problem = refused(with_strings([*hostile.HEADER, "x" * 201]))
    assert problem.reason_code == "SHARED_STRING_TOO_LONG" and "number 4" in problem.message_en
    many = [*hostile.HEADER, *(str(n) for n in range(97))]
    assert open_roster(with_strings(many), "r.xlsx", TIGHT).data_rows == 1
    assert refused(with_strings([*many, "one more"])).reason_code == "TOO_MANY_SHARED_STRINGS"


def test_markup_that_no_spreadsheet_program_writes_is_refused_before_expat_holds_it():
    limit = TIGHT.markup_bytes
    comment = f"<!-- {'<>' * limit} -->"
    assert refused(sheet(HEAD, PERSON, before=comment)).reason_code == "MARKUP_TOO_LONG"
    instruction = f"<?pi {'x' * (limit + 1)}?>"
    assert refused(sheet(HEAD, PERSON, before=instruction)).reason_code == "MARKUP_TOO_LONG"
    cdata = PERSON.replace("李秀英", f"<![CDATA[{'<' * (limit + 1)}]]>")
    assert refused(sheet(HEAD, cdata)).reason_code == "CELL_TOO_LONG"
    fine = f"<!-- {'<>' * 1000} --><?pi {'x' * 1000}?>"
    assert open_roster(sheet(HEAD, PERSON, before=fine), "r.xlsx", TIGHT).data_rows == 1


def test_the_text_kept_is_bounded():
    rows = generate_roster_rows(3000, seed=2)
    data = roster_bytes(rows, "csv")  # some 600 kB of text
    assert open_roster(data, "r.csv", replace(DEFAULTS, max_text_mib=1)).data_rows == 3000
    small = RosterLimits(max_text_mib=1)
    bigger = roster_bytes(generate_roster_rows(6000, seed=2), "csv")
    assert refused(bigger, small).reason_code == "TOO_MUCH_TEXT"


@pytest.mark.parametrize("prefix", ["", "x:"])
@pytest.mark.parametrize("chunk", [7, 4096, 1 << 20])
def test_the_scanner_counts_cells_whatever_the_chunks_and_the_namespace_prefix(prefix, chunk):
    cells = f"<{prefix}c/>" * 30
    xml = (
        f'<?xml version="1.0"?><{prefix}worksheet xmlns{":x" if prefix else ""}="m">'
        f"<{prefix}sheetData><{prefix}row>{cells}</{prefix}row>"
        f"<{prefix}row>{cells}<{prefix}c/></{prefix}row></{prefix}sheetData></{prefix}worksheet>"
    ).encode()
    xml = xml.replace(b"?>", b"?>" + b" " * 5000, 1)  # the root after the first 4 kB
    scanner = XmlScanner("sheet.xml", TIGHT)
    with pytest.raises(RosterUnreadable) as caught:
        for start in range(0, len(xml), chunk):
            scanner.feed(xml[start : start + chunk])
        scanner.feed(b"", final=True)
    assert caught.value.reason_code == "TOO_MANY_COLUMNS"
    assert scanner.row == 2


# -- the limits as registry is configured with them -----------------------------------------


def test_config_yml_gives_the_default_limits():
    key = public_key_text(new_signing_key())
    environ = {"TOKEN_PUBLIC_KEYS": key, "FUND_CHECKPOINT_PUBLIC_KEYS": key}
    config = load_config(ROOT / "services/registry/config.yml", "registry", environ=environ)
    assert RosterLimits.from_settings(config["registry"]) == DEFAULTS
    assert config["registry"]["ROSTER_IMPORT_MAX_ATTEMPTS"] == 3
    assert RosterLimits.from_settings({"ROSTER_MAX_ROWS": 7}).max_rows == 7


def test_settings_refuse_limits_that_contradict_each_other():
    base = {
        "DATABASE_URL": "sqlite:///x.sqlite",
        "HTTP_ADDRESS": "127.0.0.1:1",
        "TOKEN_SIGNING_KEY_FILE": "k",
        "DATA_KEY_FILE": "d",
        "FUND_CHECKPOINT_PUBLIC_KEYS": public_key_text(new_signing_key()),
    }
    with pytest.raises(ValidationError, match="ROSTER_MAX_ENTRY_MIB"):
        Settings().load({**base, "ROSTER_MAX_ENTRY_MIB": 300, "ROSTER_MAX_UNCOMPRESSED_MIB": 200})
    with pytest.raises(ValidationError, match="ROSTER_READ_WALL_SECONDS"):
        Settings().load({**base, "ROSTER_READ_WALL_SECONDS": 10, "ROSTER_READ_CPU_SECONDS": 20})
    with pytest.raises(ValidationError, match="ROSTER_READ_MEMORY_MIB"):
        Settings().load({**base, "ROSTER_READ_MEMORY_MIB": 64})
