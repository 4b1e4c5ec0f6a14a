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
