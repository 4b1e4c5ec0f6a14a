"""Signing in and looking after one's own account."""

from __future__ import annotations

import sys

import click

from sanbao_cli import output, tokens
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.session import Session


def _read_secret(prompt: str, from_stdin: bool, confirm: bool = False) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError(f"expected {prompt.lower()} on standard input")
        return line.rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


@click.command()
@click.argument("username")
@click.option("--totp", metavar="CODE", help="The code of your authenticator app, if you use one.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@JSON_OPTION
@click.pass_obj
def login(session: Session, username, totp, password_stdin, as_json):
    """Sign in; the token is kept for this county until it expires (or `sanbao logout`). Signing
    in again picks up roles given since (a signatory's too)."""
    password = _read_secret("Password", password_stdin)
    reply = session.stack.call("registry", "login", username, password, totp)
    path = tokens.save(session.county, reply["token"])
    shown = {k: v for k, v in reply.items() if k != "token"} | {"token_kept_in": str(path)}
    output.emit(shown, as_json, lambda: output.record(
        "signed in",
        {
            "user": reply["username"],
            "roles": reply["roles"],
            "scope": reply["scope"],
            "until": reply["expires_at"],
            "token kept in": str(path),
        },
    ))  # fmt: skip
    if reply["must_change_password"]:
        output.note(
            "This is a one-time password: change it now with `sanbao password change`.", as_json
        )


@click.command()
@JSON_OPTION
@click.pass_obj
def logout(session: Session, as_json):
    """Forget this county's token on this machine."""
    removed = tokens.forget(session.county)
    output.emit({"token_removed": removed}, as_json, title="signed out")


@click.command()
@JSON_OPTION
@click.pass_obj
def whoami(session: Session, as_json):
    """Who the kept token says you are (as when you signed in: roles given since count from
    your next sign-in)."""
    output.emit(session.stack.call("registry", "whoami"), as_json, title="you")


@click.group()
def password():
    """Your password."""


@password.command("change")
@click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read the old and the new password from standard input, one per line.",
)
@click.option(
    "--totp", "code", metavar="CODE", help="A code of your authenticator app, if you use one."
)
@JSON_OPTION
@click.pass_obj
def password_change(session: Session, from_stdin, code, as_json):
    """Change your password (at least 12 characters); then sign in again."""
    old = _read_secret("Current password", from_stdin)
    new = _read_secret("New password", from_stdin, confirm=not from_stdin)
    session.stack.call("registry", "change_password", old, new, code)
    tokens.forget(session.county)
    output.emit(
        {"password_changed": True, "next": "sign in again: sanbao login <username>"},
        as_json,
        lambda: output.record(
            "password changed", {"next": "sign in again: sanbao login <username>"}
        ),
    )


@click.group()
def totp():
    """A second factor: one-time codes from an authenticator app."""


@totp.command("enable")
@click.option(
    "--totp",
    "current",
    metavar="CODE",
    help="When replacing a second factor: a code of the authenticator app you use now.",
)
@click.option("--password-stdin", is_flag=True, help="Read your password from standard input.")
@click.pass_obj
def totp_enable(session: Session, current, password_stdin):
    """Show a new secret for your authenticator app, then confirm with one of its codes. Your
    password is asked (and, when replacing a second factor, a code of the current one): a token
    alone cannot change how you sign in."""
    password = _read_secret("Password", password_stdin)
    started = session.stack.call("registry", "start_totp", password, current)
    output.record("add this to your authenticator app", started)
    code = click.prompt("Code shown by the app for the new secret")
    if started.get("replacing"):
        current = click.prompt("A code of the authenticator you use now (it is being replaced)")
    session.stack.call("registry", "confirm_totp", code, password, current)
    output.record(
        "two-factor sign-in", {"enabled": True, "from now on": "sanbao login --totp CODE"}
    )


COMMANDS = (login, logout, whoami, password, totp)
