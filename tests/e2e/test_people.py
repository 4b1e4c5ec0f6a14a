"""People end to end, as a county operator works them through `sanbao` on a running stack: a
township's roster with awkward and bad rows imported, its error file written, the same roster
imported again (confirming only), dispatch's pool fed, the county exported, a poor labourer's
plan of measures kept."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes
from testkit import eventually

pytestmark = pytest.mark.e2e

PERSON_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def shown(text: str, label: str) -> str:
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"{label} not shown in:\n{text}")


def test_a_township_roster_through_sanbao(signed_in_stack, tmp_path):
    stack = signed_in_stack

    def ok(*args, stdin=None):
        result = stack.cli(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    rows = generate_roster_rows(60, seed=29, bad_fraction=0.05)
    bad = [row for row in rows if row.get("_bad")]
    roster = tmp_path / "新街镇花名册.xlsx"
    roster.write_bytes(roster_bytes(rows, "xlsx", title="新街镇农村劳动力花名册"))

    first = ok("roster", "import", str(roster))
    assert shown(first, "status") == "done"
    assert shown(first, "refused while validating") == str(len(bad)) == "3"
    assert shown(first, "refused while applying") == shown(first, "held for the county") == "0"
    assert shown(first, "registered (new)") == "57"
    errors = load_workbook(tmp_path / "新街镇花名册.errors.xlsx", read_only=True)
    reported = list(errors.worksheets[0].iter_rows(values_only=True))
    assert reported[0][:4] == ("工作表", "行号", "列", "原因") and len(reported) >= 1 + len(bad)

    again = ok("roster", "import", str(roster))
    assert (shown(again, "registered (new)"), shown(again, "updated")) == ("0", "0")
    assert shown(again, "confirmed (unchanged)") == "57"
    eventually(lambda: "57" in ok("candidates", "count"), within=30, interval=0.5)

    exported = tmp_path / "county.csv"
    ok("roster", "export", "--format", "csv", "-o", str(exported))
    records = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert len(records) == 57
    # in full for a county admin, one row per person registered
    assert {record["身份证号"] for record in records} == {
        row["id_number"].upper() for row in rows if not row.get("_bad")
    }

    poor = ok("labourer", "search", "--poor", "--limit", "1")
    person_id = PERSON_ID.search(poor).group(0)
    ok("labourer", "plan", "add", person_id, "--kind", "training", "--description", "电工中级培训",
       "--owner", "县人社局培训股", "--due", "2027-01-31")  # fmt: skip
    assert "电工中级培训" in ok("labourer", "plan", "list", "--person", person_id)

    # An auditor of the county's audit bureau sees that person's numbers only with a reason,
    # and the county admin can see that it happened.
    bureau = shown(ok("org", "register", "--kind", "audit_bureau", "--name", "县审计局",
                      "--code", "532501"), "org_id")  # fmt: skip
    created = ok("user", "create", "--username", "zhao.audit", "--name", "赵敏", "--org", bureau,
                 "--role", "auditor")  # fmt: skip
    one_time, admin_home = shown(created, "one_time_password"), stack.env["XDG_CONFIG_HOME"]
    (tmp_path / "auditor").mkdir()
    stack.env["XDG_CONFIG_HOME"] = str(tmp_path / "auditor")
    try:
        ok("login", "zhao.audit", "--password-stdin", stdin=one_time)
        password = "an auditor's long password"
        ok("password", "change", "--stdin", stdin=f"{one_time}\n{password}\n")
        ok("login", "zhao.audit", "--password-stdin", stdin=password)
        disclosed = ok("labourer", "disclose", person_id, "--reason", "核查培训补贴对象身份")
    finally:
        stack.env["XDG_CONFIG_HOME"] = admin_home
    by_id = {row["id_number"].upper(): row for row in rows if not row.get("_bad")}
    assert shown(disclosed, "ID number") in by_id
    assert "核查培训补贴对象身份" in ok("labourer", "disclosures", "--person", person_id)
