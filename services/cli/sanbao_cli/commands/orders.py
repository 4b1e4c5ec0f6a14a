"""PLACEHOLDER (owner fills in): employers, service stations and job orders from the command
line (`sanbao order match` is in `matching`, attached here)."""

from __future__ import annotations

import click


@click.group()
def employer():
    """Employers an HR company places people with."""


@click.group()
def order():
    """Job orders under a sealed cooperation agreement."""


COMMANDS = (employer, order)
