"""The fund end to end, as the two organisations' people work it through `sanbao` on a running
stack: seals and signatories, the joint account opened by both seals, principal in, an advance
proposed and approved by one signatory of each organisation, the books verified against the
checkpoints registry keeps, a statement exported."""

import csv
import os
import time

import pytest

pytestmark = pytest.mark.e2e


def value(text: str, label: str) -> str:
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"{label} not shown in:\n{text}")


def test_two_organisations_run_a_joint_account(signed_in_stack, tmp_path):
    stack = signed_in_stack
    stack.env["SANBAO_KEY_PASSPHRASE"] = "a passphrase for the test's keys"
    admin_home = stack.env["XDG_CONFIG_HOME"]

    def ok(*args, stdin=None, home=admin_home):
        stack.env["XDG_CONFIG_HOME"] = home
        result = stack.cli(*args, stdin=stdin)
        stack.env["XDG_CONFIG_HOME"] = admin_home
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    county_org = value(ok("whoami"), "organisation_id")
    hr_org = value(ok("org", "register", "--kind", "hr_company", "--name", "红河人力资源有限公司",
                      "--credit-code", "91532501MA6K2XQ93P"), "org_id")  # fmt: skip
    homes = {}

    def person(username, org, role):
        created = ok("user", "create", "--username", username, "--name", "王芳", "--org", org,
                     "--role", role)  # fmt: skip
        home = str(tmp_path / username)
        os.makedirs(home)
        one_time, password = value(created, "one_time_password"), f"{username} long password"
        ok("login", username, "--password-stdin", stdin=one_time, home=home)
        ok("password", "change", "--stdin", stdin=f"{one_time}\n{password}\n", home=home)
        homes[username] = (home, password, value(created, "user_id"))

    person("li.fin", county_org, "finance")
    person("chen.sign", county_org, "coop_operator")
    person("hr.fin", hr_org, "finance")
    person("zhou.sign", hr_org, "hr_operator")

    seals = {}
    for org, name in ((county_org, "county"), (hr_org, "hr")):
        shown = ok("seal", "new", "--org", org, "--out", str(tmp_path / f"{name}-seal.pem"))
        seals[name] = value(shown, "fingerprint")
    for username, org, seal in (("chen.sign", county_org, "county"), ("zhou.sign", hr_org, "hr")):
        public = value(ok("keys", "new", "--out", str(tmp_path / f"{username}.pem")), "public key")
        ok("seal", "certify", "--seal", str(tmp_path / f"{seal}-seal.pem"), "--org", org,
           "--user", homes[username][2], "--public-key", public, "--limit", "100000")  # fmt: skip
    # Signing in again picks up the signatory role the certificates gave.
    for username in homes:
        home, password, _ = homes[username]
        ok("login", username, "--password-stdin", stdin=password, home=home)

    prepared = ok("fund", "prepare", "--agreement", "个旧人社劳务〔2026〕7号", "--county-org",
                  county_org, "--hr-org", hr_org, "--principal", "200000.00", "--start",
                  "2026-01-01", "--end", "2028-12-31", "--county-seal", seals["county"],
                  "--hr-seal", seals["hr"])  # fmt: skip
    account = value(prepared, "account_id")
    ok("fund", "seal", account, "--org", county_org, "--seal", str(tmp_path / "county-seal.pem"))
    opened = ok("fund", "seal", account, "--org", hr_org, "--seal", str(tmp_path / "hr-seal.pem"))
    assert value(opened, "status") == "open"

    ok("fund", "inflow", account, "--kind", "principal_deposit", "--amount", "200000.00",
       "--bank-ref", "ICBC-20260105-001", home=homes["li.fin"][0])  # fmt: skip
    proposed = ok("fund", "propose", account, "--kind", "advance", "--line",
                  "红河客运站:3600.00:包车:batch-001", home=homes["li.fin"][0])  # fmt: skip
    proposal = value(proposed, "proposal")

    # The fund learns of the signatories from registry's events; wait until it has.
    deadline = time.monotonic() + 30
    while True:
        stack.env["XDG_CONFIG_HOME"] = homes["chen.sign"][0]
        signed = stack.cli("fund", "sign", proposal, "--key", str(tmp_path / "chen.sign.pem"))
        stack.env["XDG_CONFIG_HOME"] = admin_home
        if signed.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert signed.returncode == 0, signed.stderr
    refused = stack.cli("fund", "sign", proposal, "--key", str(tmp_path / "chen.sign.pem"))
    assert refused.returncode == 1  # the administrator's token is not chen's: not a signatory
    paid = ok("fund", "sign", proposal, "--key", str(tmp_path / "zhou.sign.pem"),
              home=homes["zhou.sign"][0])  # fmt: skip
    assert value(paid, "status") == "paid"

    shown = ok("fund", "show", account)
    assert "196,400.00" in shown  # available principal-funded cash after the advance
    verified = ok("fund", "verify")
    assert value(verified, "result") == "intact"
    out = tmp_path / "statement.csv"
    ok(
        "fund",
        "statement",
        account,
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--out",
        str(out),
    )
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert any("advances_outstanding" in row and "3600.00" in row for row in rows)
    assert rows[-1][0] == "audit checkpoint" and rows[-1][1]
    workbook = tmp_path / "statement.xlsx"
    ok(
        "fund",
        "statement",
        account,
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--out",
        str(workbook),
    )
    from openpyxl import load_workbook

    sheet = load_workbook(workbook).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)][-1][0] == "audit checkpoint"
