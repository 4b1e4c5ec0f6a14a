"""The county's list of villages by name (`sanbao directory villages`): what roster rows' village
names resolve against, and what every village code given must be one of."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command

# A column of the list file -> the headers it may have.
HEADERS = {
    "code": ("code", "代码", "村代码", "区划代码", "行政区划代码"),
    "township": ("township", "乡镇", "乡镇名称", "所属乡镇"),
    "name": ("name", "名称", "村名", "村委会", "村（社区）"),
    "aliases": ("aliases", "别名", "其他名称"),
    "active": ("active", "有效"),
}
RETIRED_WORDS = frozenset({"no", "n", "false", "0", "否", "撤销", "retired"})
MAX_FILE_BYTES = 4 * 1024 * 1024


@click.group()
def directory():
    """The county's directory of places."""


@directory.group()
def villages():
    """Townships and villages by name (county administrators import the list)."""


def _place_row(village: dict) -> list:
    return [
        village["code"],
        village["township_name"],
        village["name"],
        "；".join(village["aliases"]),
        village["active"],
    ]


@villages.command("list")
@click.option("--township", help="Only this township's villages: its 9-digit code or its name.")
@click.option("--retired", is_flag=True, help="Show retired villages too.")
@output.JSON_OPTION
@click.pass_obj
def villages_list(session: Session, township, retired, as_json):
    """The county's villages, by township, with the other names they go by."""
    found = session.stack.call("registry", "list_villages", township, retired)

    def table():
        output.rows(
            f"villages ({len(found['villages'])}) of {len(found['townships'])} townships",
            ["code", "township", "name", "aliases", "active"],
            [_place_row(v) for v in found["villages"]],
        )

    output.emit(found, as_json, table)


@villages.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@KEY_OPTION
@output.JSON_OPTION
@click.pass_obj
def villages_import(session: Session, file: Path, idempotency_key, as_json):
    """Add or change villages and townships from a CSV file (UTF-8 or GBK) with the columns
    code, township, name, aliases (and optionally active). A 12-digit code is a village, named
    with its township's name; a 9-digit code is a township (its name and aliases). Aliases are
    separated by ；. A village whose active cell is 否 (or no) is retired. All or nothing:
    a name or alias two villages of one township share refuses the file."""
    townships, villages_in = read_list(file)
    counts = call_command(
        session, "registry", "import_villages", villages_in, key=idempotency_key,
        townships=townships,
    )  # fmt: skip

    def table():
        output.rows(
            "village list",
            ["", "added", "changed", "retired", "restored", "unchanged"],
            [
                [kind, c["added"], c["changed"], c.get("retired", ""), c.get("restored", ""),
                 c["unchanged"]]
                for kind, c in counts.items()
            ],
        )  # fmt: skip

    output.emit(counts, as_json, table)


def read_list(path: Path) -> tuple[list[dict], list[dict]]:
    """(townships, villages) as `registry.import_villages` takes them, from a list file."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise CliError("VILLAGES_FILE_TOO_LARGE", f"{path} is over 4 MiB: a county's list is less")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CliError("VILLAGES_FILE_UNREADABLE", f"{path} is neither UTF-8 nor GBK text")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None) or []
    columns = _columns(header, path)
    townships, villages_in = [], []
    for number, cells in enumerate(reader, start=2):
        values = {key: cells[i].strip() for key, i in columns.items() if i < len(cells)}
        code = values.get("code", "")
        if not any(values.values()):
            continue
        if len(code) == 9:
            entry = {"code": code, "name": values.get("name", ""),
                     "aliases": values.get("aliases", "")}  # fmt: skip
            townships.append(entry)
        elif len(code) == 12:
            villages_in.append(
                {
                    "code": code,
                    "township": values.get("township") or None,
                    "name": values.get("name", ""),
                    "aliases": values.get("aliases", ""),
                    "active": values.get("active", "").lower() not in RETIRED_WORDS,
                }
            )
        else:
            raise CliError(
                "VILLAGES_FILE_UNREADABLE",
                f"{path}, row {number}: a code is 9 digits (a township) or 12 (a village), "
                f"not {code or 'empty'}",
            )
    return townships, villages_in


def _columns(header: list[str], path: Path) -> dict[str, int]:
    found = {}
    for index, text in enumerate(header):
        cleaned = text.strip().lstrip("\ufeff").lower()
        for key, names in HEADERS.items():
            if cleaned in names:
                found[key] = index
    missing = [key for key in ("code", "name") if key not in found]
    if missing:
        raise CliError(
            "VILLAGES_FILE_UNREADABLE",
            f"{path}: the first row names the columns: code, township, name, aliases "
            f"(missing: {', '.join(missing)})",
        )
    return found
