"""`sanbao labourer` and `sanbao roster` without a stack: arguments checked before anything is
sent, one error line with a code, and the example roster written locally."""

import subprocess
import sys
from pathlib import Path

import pytest

from testkit import free_port

SANBAO = str(Path(sys.executable).parent / "sanbao")


def sanbao(*args, cwd=None):
    return subprocess.run([SANBAO, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def unreachable():
    return ["--amqp-uri", f"amqp://guest:guest@127.0.0.1:{free_port()}/x"]


def test_help_lists_the_people_and_roster_commands():
    labourer = sanbao("labourer", "--help")
    assert labourer.returncode == 0
    for command in ("register", "show", "update", "confirm", "history", "search", "counts",
                    "merge", "disclose", "disclosures"):  # fmt: skip
        assert command in labourer.stdout
    roster = sanbao("roster", "--help")
    assert roster.returncode == 0
    for command in ("import", "status", "errors", "export", "template"):
        assert command in roster.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["labourer", "search", "--group", "532501001201"], "--group"),
        (["labourer", "search", "--status", "打零工了"], "--status"),
        (["labourer", "search", "--area", "53250"], "--area"),
        (["labourer", "search", "--limit", "0"], "--limit"),
        (["labourer", "counts", "--by", "county"], "--by"),
        (["labourer", "update", "p1", "--set", "phone"], "--set"),
        (["labourer", "update", "p1", "--set", "phone=1", "--set", "phone=2"], "--set"),
        (["labourer", "merge", "p1", "p2", "--reason", " "], "--reason"),
        (["labourer", "disclose", "p1", "--reason", " 看看 "], "--reason"),
        (["labourer", "disclosures", "--limit", "0"], "--limit"),
        (["roster", "export", "--format", "xls"], "--format"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(args, option):
    result = sanbao(*unreachable(), *args)
    assert result.returncode == 2, result.stderr
    assert option in result.stderr
    assert "Traceback" not in result.stderr


def test_a_roster_that_does_not_exist_is_refused(tmp_path):
    result = sanbao(*unreachable(), "roster", "import", str(tmp_path / "missing.xlsx"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_an_import_without_a_broker_is_one_line_that_says_how_to_repeat_it(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,村代码\n李秀英,532501199003150013,532501001201\n")
    result = sanbao(*unreachable(), "roster", "import", str(roster), "--idempotency-key",
                    "import-roster-1")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error [BROKER_UNREACHABLE] ")
    assert "--idempotency-key import-roster-1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "roster.errors.xlsx").exists()


@pytest.mark.parametrize("name", ["example.xlsx", "example.csv"])
def test_the_example_roster_is_written_without_a_stack(tmp_path, name):
    from registry.rosters.reading import open_roster

    result = sanbao(*unreachable(), "roster", "template", "-o", name, "--rows", "7", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(open_roster((tmp_path / name).read_bytes(), name).rows())
    assert len(rows) == 7
    assert all(row.values["village_code"].startswith("532501") for row in rows)
