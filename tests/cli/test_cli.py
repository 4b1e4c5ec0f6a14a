"""`sanbao` without a stack: validated arguments, one error line with a code, never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from testkit import free_port

SANBAO = str(Path(sys.executable).parent / "sanbao")


def sanbao(*args):
    return subprocess.run([SANBAO, *args], capture_output=True, text=True, timeout=60)


def test_help_lists_the_named_commands():
    result = sanbao("--help")
    assert result.returncode == 0
    for command in ("status", "labourer", "candidates", "demo"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--id-number", "532501199003150012", "check digit"),
        ("--village", "532501001", "level"),
        ("--phone", "12345", "phone"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(option, value, reason):
    arguments = {"--id-number": "532501199003150013", "--village": "532501001201"}
    arguments[option] = value
    flat = [item for pair in arguments.items() for item in pair]
    result = sanbao("--amqp-uri", f"amqp://guest:guest@127.0.0.1:{free_port()}/x",
                    "labourer", "register", "--name", "李秀英", *flat)  # fmt: skip
    assert result.returncode == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_broker_is_one_line_with_a_code():
    result = sanbao("--amqp-uri", f"amqp://guest:guest@127.0.0.1:{free_port()}/x", "status")
    assert result.returncode == 1
    assert result.stderr.startswith("error [BROKER_UNREACHABLE] ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "guest:guest" not in result.stderr  # the password is never echoed


def test_a_vhost_that_does_not_exist_is_one_line_with_a_code():
    result = sanbao("--amqp-uri", "amqp://guest:guest@127.0.0.1:5672/sanbao-no-such-county",
                    "status")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error [BROKER_REFUSED] ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("command", "method"), [
    (["create", "--username", "li.op", "--name", "李秀英", "--org", "o-1", "--role",
      "coop_operator"], "create_user"),
    (["reset-password", "u-1"], "reset_user_password"),
])  # fmt: skip
def test_a_repeated_user_command_says_the_one_time_password_was_shown_once(command, method):
    """The reply to a repeat (same idempotency key) holds no password: `sanbao` says so, and
    how to give the user a new one."""
    from types import SimpleNamespace

    from click.testing import CliRunner

    from sanbao_cli.commands.directory import user

    replies = {
        "first": {"user_id": "u-1", "username": "li.op", "one_time_password": "Abc234Def567Ghk8",
                  "password_shown": True},
        "repeat": {"user_id": "u-1", "username": "li.op", "password_shown": False,
                   "message": "the one-time password was shown once"},
    }  # fmt: skip
    shown = {}
    for which, reply in replies.items():
        stack = SimpleNamespace(call=lambda service, name, *args, reply=reply, **kw: reply)
        result = CliRunner().invoke(user, command, obj=SimpleNamespace(stack=stack))
        assert result.exit_code == 0, result.output
        shown[which] = result.output
    assert "Abc234Def567Ghk8" in shown["first"] and "PASSWORD_NOT_SHOWN" not in shown["first"]
    assert "PASSWORD_NOT_SHOWN" in shown["repeat"]
    assert "sanbao user reset-password u-1" in shown["repeat"]
