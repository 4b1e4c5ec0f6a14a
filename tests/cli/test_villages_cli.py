"""`sanbao directory villages` without a stack: the list file read as a county keeps it (CSV,
UTF-8 or GBK, Chinese or English headers), and a file that cannot be read refused before
anything is sent."""

import subprocess
import sys
from pathlib import Path

import pytest

from sanbao_cli.client import CliError
from sanbao_cli.commands.villages import read_list
from testkit import free_port

SANBAO = str(Path(sys.executable).parent / "sanbao")


def sanbao(*args):
    return subprocess.run([SANBAO, *args], capture_output=True, text=True, timeout=60)


def unreachable():
    return ["--amqp-uri", f"amqp://guest:guest@127.0.0.1:{free_port()}/x"]


def test_help_lists_the_village_commands():
    result = sanbao("directory", "villages", "--help")
    assert result.returncode == 0
    assert "list" in result.stdout and "import" in result.stdout


def test_a_list_file_gives_townships_and_villages(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_bytes(
        "村代码,乡镇,名称,别名,有效\n"
        "532501001,,卡房镇,卡房乡\n"
        "532501001201,卡房镇,大寨村委会,大寨村；大寨子,\n"
        "532501001203,卡房镇,新坝村委会,,否\n".encode("gb18030")
    )
    townships, villages = read_list(path)
    assert townships == [{"code": "532501001", "name": "卡房镇", "aliases": "卡房乡"}]
    assert villages == [
        {"code": "532501001201", "township": "卡房镇", "name": "大寨村委会",
         "aliases": "大寨村；大寨子", "active": True},
        {"code": "532501001203", "township": "卡房镇", "name": "新坝村委会", "aliases": "",
         "active": False},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "content",
    ["名称,别名\n大寨村委会,\n", "code,name\n53250100120,大寨村委会\n"],
)
def test_a_file_that_cannot_be_read_is_refused_before_anything_is_sent(tmp_path, content):
    path = tmp_path / "villages.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CliError):
        read_list(path)
    result = sanbao(*unreachable(), "directory", "villages", "import", str(path))
    assert result.returncode == 1
    assert "VILLAGES_FILE_UNREADABLE" in result.stderr and "Traceback" not in result.stderr
