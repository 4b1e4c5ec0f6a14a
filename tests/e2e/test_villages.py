"""Villages by name through `sanbao`, with the stack running as processes: the list a fresh stack
starts with, an administrator's import, and a village code the list does not have refused as
one line with a code."""

import json

import pytest

pytestmark = pytest.mark.e2e


def test_the_village_list_through_sanbao(signed_in_stack, sample, tmp_path):
    stack = signed_in_stack
    listed = json.loads(stack.ok_as(None, "directory", "villages", "list", "--township", "卡房镇",
                                    "--json"))  # fmt: skip
    assert [v["name"] for v in listed["villages"]][:2] == ["大寨村委会", "新寨村委会"]

    unlisted = stack.cli(
        "labourer", "register", "--name", "李秀英", "--id-number", sample.id_number(),
        "--village", "532501016201",
    )  # fmt: skip
    assert unlisted.returncode == 1
    assert unlisted.stderr.startswith("error [INVALID_INPUT] ")
    assert "village list" in unlisted.stderr and len(unlisted.stderr.strip().splitlines()) == 1

    path = tmp_path / "villages.csv"
    path.write_text("code,township,name,aliases\n532501016201,新城镇,新城社区,新城\n", "utf-8")
    imported = json.loads(stack.ok_as(None, "directory", "villages", "import", str(path),
                                      "--json"))  # fmt: skip
    assert imported["villages"]["added"] == 1 and imported["townships"]["added"] == 1
    stack.ok_as(
        None, "labourer", "register", "--name", "李秀英", "--id-number", sample.id_number(),
        "--village", "532501016201",
    )  # fmt: skip
