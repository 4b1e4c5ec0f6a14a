"""PLACEHOLDER (owner fills in): cooperation agreements from the command line."""

from __future__ import annotations

import click


@click.group()
def agreement():
    """Cooperation agreements between the county cooperative and an HR company (劳务合作协议)."""


COMMANDS = (agreement,)
