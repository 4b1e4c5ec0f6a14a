"""How `sanbao` shows things: readable tables on stdout, one line per error on stderr."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

# A table piped into a file or another program is read in full: wide, and never cut short.
console = Console(width=None if sys.stdout.isatty() else 240)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 1000)


def record(title: str, data: dict) -> None:
    """One record as a two-column table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", overflow="fold")
    table.add_column(overflow="fold")
    for key, value in data.items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


def rows(title: str, columns: list[str], values: list[list]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in values:
        table.add_row(*["" if value is None else str(value) for value in row])
    console.print(table)


def error(code: str, message: str) -> None:
    errors.print(
        f"[bold red]error[/] [{code}] {message}", markup=True, highlight=False, soft_wrap=True
    )
