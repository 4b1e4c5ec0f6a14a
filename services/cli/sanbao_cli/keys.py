"""Private key files on the operator's machine (seals, the seal registrar's key, signatories'
keys) and the passphrase that protects them.

A key file appears whole or not at all: the key is written to a file beside it, flushed to disk,
then linked into place (never over an existing file). A seal goes further (`key_to_register`):
it waits in OUT.pending until registry has it, so that a refused or unanswered attempt leaves no
OUT behind and can simply be run again, sending the same key, and a key registry has is never
lost with the answer."""

from __future__ import annotations

import os
import uuid
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


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise CliError(
            "KEY_FILE_EXISTS",
            f"{path} exists; a key file is never overwritten / {path} 已存在，密钥文件从不覆盖",
        )


def _write_synced(key, path: Path, passphrase: str) -> None:
    """The key in PATH (mode 0600, created afresh), on disk before this returns."""
    save_private_key(key, path, passphrase)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(path: Path) -> None:
    fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _install(staged: Path, path: Path) -> None:
    """STAGED becomes PATH, which must not exist; then STAGED is gone."""
    try:
        os.link(staged, path)  # unlike a rename, never replaces a file that appeared meanwhile
    except FileExistsError:
        _refuse_existing(path)
    except OSError:  # a file system without hard links
        _refuse_existing(path)
        os.rename(staged, path)
    else:
        staged.unlink()
    _sync_directory(path)


def new_key_file(out: str, passphrase: str):
    """A new signing key, kept in OUT; an existing file is never overwritten."""
    path = Path(out)
    _refuse_existing(path)
    key = new_signing_key()
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        _write_synced(key, staged, passphrase)
        _install(staged, path)
    except OSError as exc:
        raise CliError("WRITE_FAILED", f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        staged.unlink(missing_ok=True)
    return key


def pending_file(out: str) -> Path:
    return Path(f"{out}.pending")


def key_to_register(out: str, passphrase: str):
    """For a key registry must have before it counts (a seal): the key an earlier attempt left
    waiting in OUT.pending, or a new one written there (synced). Returns (key, reused)."""
    path, pending = Path(out), pending_file(out)
    _refuse_existing(path)
    if pending.exists():
        try:
            return load_private_key(pending, passphrase), True
        except (OSError, ValueError, TypeError):
            raise CliError(
                "KEY_UNREADABLE",
                f"an earlier attempt left its key in {pending}, and this passphrase does not open "
                "it: give that attempt's passphrase (registry may have it: sanbao seal list "
                f"--org ...), or remove {pending} if it was never registered / 上次尝试的密钥保存"
                f"在 {pending}，此口令无法打开：请使用上次的口令，或确认其未登记后删除该文件",
            ) from None
    key = new_signing_key()
    try:
        _write_synced(key, pending, passphrase)
    except OSError as exc:
        raise CliError("WRITE_FAILED", f"cannot write {pending}: {exc.strerror or exc}") from None
    return key, False


def keep_registered(out: str) -> None:
    """Registry has the key waiting in OUT.pending: it becomes OUT."""
    _install(pending_file(out), Path(out))
