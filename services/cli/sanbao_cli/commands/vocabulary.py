"""The county's vocabularies (`sanbao directory vocabulary`): industries (the GB/T 4754 sections
and the county's divisions under them) and skills, each term with the other words people write
for it. Orders and registry's four clears name their codes, so that matching compares codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from registry_contract.industries_and_skills import MAX_TERMS, VOCABULARY_KINDS
from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands.villages import directory
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command

# A column of the file -> the headers it may have.
HEADERS = {
    "code": ("code", "代码", "编码"),
    "name": ("name", "名称"),
    "parent": ("parent", "上级", "门类", "所属门类"),
    "aliases": ("aliases", "别名", "其他名称"),
    "retired": ("retired", "停用"),
}
RETIRED_WORDS = frozenset({"yes", "y", "true", "1", "是", "停用", "retired"})
MAX_FILE_BYTES = 1024 * 1024
UNREADABLE = "VOCABULARY_FILE_UNREADABLE"


@directory.group()
def vocabulary():
    """Industries and skills (county administrators import changes; everyone reads them)."""


def _term_row(term: dict) -> list:
    return [term["code"], term["name"], term["parent"] or "", "；".join(term["aliases"]),
            "retired" if term["retired"] else ""]  # fmt: skip


@vocabulary.command("list")
@click.argument("kind", type=click.Choice(VOCABULARY_KINDS))
@click.option("--retired", is_flag=True, help="Show retired terms too.")
@output.JSON_OPTION
@click.pass_obj
def vocabulary_list(session: Session, kind, retired, as_json):
    """The KIND vocabulary (industry or skill): codes, names, the section an industry belongs
    to, and the other words each goes by."""
    found = session.stack.call("registry", "list_vocabulary", kind, retired)

    def table():
        output.rows(
            f"{kind} vocabulary, version {found['version']} ({len(found['terms'])} terms)",
            ["code", "name", "section", "aliases", ""],
            [_term_row(term) for term in found["terms"]],
        )

    output.emit(found, as_json, table)


@vocabulary.command("import")
@click.argument("kind", type=click.Choice(VOCABULARY_KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@KEY_OPTION
@output.JSON_OPTION
@click.pass_obj
def vocabulary_import(session: Session, kind, file: Path, idempotency_key, as_json):
    """Add, rename, give other words to or retire terms of the KIND vocabulary (industry or
    skill) from a CSV file (UTF-8 or GBK) with the columns code, name, aliases (separated by
    ；), and optionally parent (an industry's section letter) and retired (是 or yes). Terms
    not in the file stay as they are. All or nothing: a word two terms would share, a code
    listed twice, an industry under the wrong section, or a retired code given another name
    refuses the file. People registered before keep their codes until their next change, or
    `sanbao events resync dispatch`."""
    terms = read_terms(file)
    counts = call_command(session, "registry", "import_vocabulary", kind, terms,
                          key=idempotency_key)  # fmt: skip

    def table():
        output.rows(
            f"{kind} vocabulary, now version {counts['version']}",
            ["added", "changed", "retired", "restored", "unchanged"],
            [[counts[c] for c in ("added", "changed", "retired", "restored", "unchanged")]],
        )

    output.emit(counts, as_json, table)


def read_terms(path: Path) -> list[dict]:
    """The terms of a vocabulary file, as `registry.import_vocabulary` takes them."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise CliError(UNREADABLE, f"{path} is over 1 MiB: a vocabulary is less")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CliError(UNREADABLE, f"{path} is neither UTF-8 nor GBK text")
    reader = csv.reader(io.StringIO(text))
    columns = _columns(next(reader, None) or [], path)
    terms = []
    for cells in reader:
        values = {key: cells[i].strip() for key, i in columns.items() if i < len(cells)}
        if not any(values.values()):
            continue
        term = {"code": values.get("code", ""), "name": values.get("name", ""),
                "aliases": values.get("aliases", "")}  # fmt: skip
        if values.get("parent"):
            term["parent"] = values["parent"]
        if values.get("retired", "").lower() in RETIRED_WORDS:
            term["retired"] = True
        terms.append(term)
    if not terms or len(terms) > MAX_TERMS:
        raise CliError(UNREADABLE, f"{path}: a file of 1 to {MAX_TERMS} terms")
    return terms


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
            UNREADABLE,
            f"{path}: the first row names the columns: code, name, aliases, parent, retired "
            f"(missing: {', '.join(missing)})",
        )
    return found
