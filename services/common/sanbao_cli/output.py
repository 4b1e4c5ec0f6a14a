"""How `sanbao` shows things: readable tables on stdout, one line per error on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def record(title: str, data: dict) -> None:
    """One record as a two-column table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in data.items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


def rows(title: str, columns: list[str], values: list[list]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in values:
        table.add_row(*["" if value is None else str(value) for value in row])
    console.print(table)


def error(code: str, message: str) -> None:
    errors.print(
        f"[bold red]error[/] [{code}] {message}", markup=True, highlight=False, soft_wrap=True
    )
