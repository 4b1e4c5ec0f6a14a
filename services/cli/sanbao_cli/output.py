"""How `sanbao` shows things: readable tables on stdout, or JSON for scripts (`--json`), and one
line per error on stderr.

A command that prints a record or a table takes `JSON_OPTION` and ends with `emit(data, as_json,
table=...)`: with `--json`, `data` (what the service replied, as it replied it: amounts in fen,
times in ISO 8601, lists as lists) goes to stdout as one JSON document and nothing else does;
without it, `table()` draws what a person reads. Cells never show Python's own notation: a list
is joined, a mapping is "name: value", a flag is yes or no (`cell`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click
from rich.console import Console
from rich.table import Table

# A table piped into a file or another program is read in full: wide, and never cut short.
console = Console(width=None if sys.stdout.isatty() else 240)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 1000)

JSON_OPTION = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result as JSON (for scripts) instead of a table.",
)


def cell(value) -> str:
    """A value as a person reads it in a table: never a Python repr."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {cell(item)}" for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        separator = "; " if any(isinstance(item, dict) for item in items) else ", "
        return separator.join(cell(item) for item in items)
    return str(value)


def json_text(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def emit(data, as_json: bool, table: Callable[[], None] | None = None, title: str = "") -> None:
    """What a command shows: `data` as JSON with `--json`, else `table()`; without `table`, a
    dict is shown as a record and a list of dicts as rows, under `title`."""
    if as_json:
        click.echo(json_text(data))
        return
    if table is not None:
        table()
    elif isinstance(data, dict):
        record(title, data)
    else:
        records = list(data)
        columns = list(records[0]) if records else []
        rows(title, columns, [[r.get(c) for c in columns] for r in records])


def note(text: str, as_json: bool = False) -> None:
    """A sentence for the person at the terminal; with `--json` it goes to stderr, so that
    stdout stays one JSON document."""
    (errors if as_json else console).print(text, highlight=False, markup=False)


def record(title: str, data: dict) -> None:
    """One record as a two-column table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", overflow="fold")
    table.add_column(overflow="fold")
    for key, value in data.items():
        table.add_row(key, cell(value))
    console.print(table)


def rows(title: str, columns: list[str], values: list[list]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in values:
        table.add_row(*[cell(value) for value in row])
    console.print(table)


def error(code: str, message: str) -> None:
    errors.print(
        f"[bold red]error[/] [{code}] {message}", markup=True, highlight=False, soft_wrap=True
    )
