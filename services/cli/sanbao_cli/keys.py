"""Private key files on the operator's machine (seals, the seal registrar's key, signatories'
keys) and the passphrase that protects them."""

from __future__ import annotations

from pathlib import Path

import click

from sanbao_cli.client import CliError
from sanbao_common.crypto import load_private_key, new_signing_key, save_private_key

PASSPHRASE = click.option(
    "--passphrase",
    envvar="SANBAO_KEY_PASSPHRASE",
    prompt=True,
    hide_input=True,
    help="Protects the private key file (env SANBAO_KEY_PASSPHRASE).",
)


def load_key(path: str, passphrase: str):
    """The private key kept in PATH, or one error line saying why it cannot be opened."""
    try:
        return load_private_key(path, passphrase)
    except (OSError, ValueError, TypeError) as exc:
        raise CliError("KEY_UNREADABLE", f"cannot open the key in {path}: {exc}") from None


def new_key_file(out: str, passphrase: str):
    """A new signing key, kept in OUT; an existing file is never overwritten."""
    if Path(out).exists():
        raise CliError("KEY_FILE_EXISTS", f"{out} exists; a key file is never overwritten")
    key = new_signing_key()
    save_private_key(key, out, passphrase)
    return key
