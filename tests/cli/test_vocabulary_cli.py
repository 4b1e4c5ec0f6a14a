"""`sanbao directory vocabulary`: the vocabulary file read as a county keeps it (CSV, UTF-8 or
GBK, Chinese or English headers), imported and listed through registry's real entrypoints, a
refusal shown as one line naming the term, and a file that cannot be read refused before
anything is sent."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import Workers
from sanbao_cli.client import CliError
from sanbao_cli.commands.vocabulary import read_terms
from testkit import free_port

SANBAO = str(Path(sys.executable).parent / "sanbao")


def sanbao(*args):
    return subprocess.run([SANBAO, *args], capture_output=True, text=True, timeout=60)


def unreachable():
    return ["--amqp-uri", f"amqp://guest:guest@127.0.0.1:{free_port()}/x"]


def write(tmp_path, text: str, encoding="utf-8") -> Path:
    path = tmp_path / "terms.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_help_lists_the_vocabulary_commands():
    result = sanbao("directory", "vocabulary", "--help")
    assert result.returncode == 0
    assert "list" in result.stdout and "import" in result.stdout


def test_a_file_gives_terms_with_parents_aliases_and_retirements(tmp_path):
    path = write(
        tmp_path,
        "代码,名称,门类,别名,停用\nE49,建筑安装业,E,安装；水电安装,\nE50,建筑装饰、装修和其他建筑业,,装修,是\n\n",
        "gb18030",
    )
    assert read_terms(path) == [
        {"code": "E49", "name": "建筑安装业", "parent": "E", "aliases": "安装；水电安装"},
        {"code": "E50", "name": "建筑装饰、装修和其他建筑业", "aliases": "装修", "retired": True},
    ]


@pytest.mark.parametrize(
    "content", ["名称,别名\n镶贴工,\n", "code,name\n", "code,name\n" + "a1,甲\n" * 1001]
)
def test_a_file_that_cannot_be_read_is_refused_before_anything_is_sent(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(CliError):
        read_terms(path)
    result = sanbao(*unreachable(), "directory", "vocabulary", "import", "skill", str(path))
    assert result.returncode == 1
    assert "VOCABULARY_FILE_UNREADABLE" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_vocabulary_is_refused_by_the_command_line():
    result = sanbao(*unreachable(), "directory", "vocabulary", "list", "trades")
    assert result.returncode == 2 and "industry" in result.stderr


def test_an_administrator_imports_and_everyone_lists(registry_as, cli, tmp_path):
    admin = Workers(registry=registry_as(["county_admin"]))
    path = write(tmp_path, "code,name,aliases\ntiler,镶贴工,贴砖工；瓷砖工\nwelder,焊工,电焊工\n")
    imported = cli(admin, "directory", "vocabulary", "import", "skill", str(path), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {
        "kind": "skill", "version": 2, "added": 1, "changed": 1, "retired": 0, "restored": 0,
        "unchanged": 0,
    }  # fmt: skip
    reader = Workers(registry=registry_as(["hr_operator"]))
    listed = cli(reader, "directory", "vocabulary", "list", "skill")
    assert listed.exit_code == 0, listed.output
    assert "version 2" in listed.stdout and "镶贴工" in listed.stdout
    industries = json.loads(cli(reader, "directory", "vocabulary", "list", "industry",
                                "--json").stdout)  # fmt: skip
    assert {"E", "E47"} <= {t["code"] for t in industries["terms"]}


def test_a_refused_file_names_the_term_and_someone_else_is_forbidden(registry_as, cli, tmp_path):
    path = write(tmp_path, "code,name,aliases\ntiler,镶贴工,焊工\n")
    admin = Workers(registry=registry_as(["county_admin"]))
    refused = cli(admin, "directory", "vocabulary", "import", "skill", str(path))
    assert refused.exit_code == 1
    shown = " ".join(refused.stderr.split())
    assert "[VOCABULARY_REJECTED]" in shown and "焊工 would name tiler (镶贴工), welder" in shown
    operator = Workers(registry=registry_as(["coop_operator"]))
    forbidden = cli(operator, "directory", "vocabulary", "import", "skill", str(path))
    assert forbidden.exit_code == 1 and "[FORBIDDEN]" in forbidden.stderr
    listed = json.loads(cli(admin, "directory", "vocabulary", "list", "skill", "--json").stdout)
    assert listed["version"] == 1
