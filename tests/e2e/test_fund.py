"""The fund end to end, as the two organisations' people work it through `sanbao` on a running
stack: seals submitted by their own organisations and confirmed by the finance bureau's seal
registrar (a key the county pinned), signatories, a cooperation agreement drafted by the county
and sealed by both organisations' seals, the joint account the fund opens from it, principal
in, an advance proposed to the HR company (paid to the bank account the county's administrator
set in the directory, which the signatories see before signing) and approved by one signatory of
each organisation, the HR company's service revenue owed and paid in two bank credits, the books
verified against the checkpoints registry keeps, a statement exported. And the attacker's path:
no one person makes a seal count, and the HR company does not write down what it owes."""

import csv
import json
import time

import pytest
from e2e.joint_account import HR_BANK, Parties, retried, value

pytestmark = pytest.mark.e2e


def test_two_organisations_run_a_joint_account(signed_in_stack, sample, tmp_path):
    stack = signed_in_stack
    parties = Parties(stack, tmp_path)
    ok, homes = parties.ok, parties.homes
    parties.register_organisations()
    hr_org = parties.orgs["hr"]
    hr_bank_number = HR_BANK[2]

    # The county administrator alone cannot make the HR company a seal: it is not theirs.
    squatted = stack.cli("seal", "new", "--org", hr_org, "--out", str(tmp_path / "squat.pem"))
    assert squatted.returncode == 1
    assert squatted.stderr.startswith("error [SEAL_REJECTED] "), squatted.stderr
    assert "Traceback" not in squatted.stderr

    # Each organisation submits its own seal, signed in as one of its people.
    parties.submit_seals()
    seals = parties.seals
    # Not yet in effect: it certifies no one.
    early = stack.cli("seal", "certify", "--seal", parties.seal_file("hr"), "--org", hr_org,
                      "--user", homes["zhou.sign"][2], "--public-key", "x")  # fmt: skip
    assert early.returncode == 1 and early.stderr.startswith("error [SEAL_NOT_EFFECTIVE] ")

    # The finance bureau's seal registrar: an auditor of the bureau, with the pinned key.
    registrar = stack.registrar_desk()
    queue = stack.ok_as(registrar, "seal", "pending")
    assert seals["county"] in queue and seals["hr"] in queue
    # A confirmation signed by a key the county did not pin is refused.
    rogue = tmp_path / "rogue-registrar.pem"
    ok("registrar", "new", "--out", str(rogue))
    forged = stack.cli_as(registrar, "seal", "confirm", "--registrar-key", str(rogue),
                          "--fingerprint", seals["hr"], "--filing-ref", "伪造")  # fmt: skip
    assert forged.returncode == 1
    assert forged.stderr.startswith("error [REGISTRAR_SIGNATURE_REJECTED] "), forged.stderr
    # Nor can the county administrator confirm with the real registrar key: not an auditor.
    stolen = stack.cli("seal", "confirm", "--registrar-key", stack.registrar_key, "--fingerprint",
                       seals["hr"], "--filing-ref", "个旧财金备〔2026〕7号",
                       passphrase=stack.registrar_passphrase)  # fmt: skip
    assert stolen.returncode == 1 and stolen.stderr.startswith("error [FORBIDDEN] ")
    parties.confirm_seals()
    assert seals["hr"] not in stack.ok_as(registrar, "seal", "pending")
    listed = ok("seal", "list", "--org", hr_org)
    assert seals["hr"] in listed and "effective" in listed
    parties.certify_signatories()

    # The county drafts the agreement; the terms name the parties' confirmed seals (dispatch
    # fills them in from registry's events). Each organisation seals it with its own seal.
    account = parties.draft_agreement()
    # One organisation cannot seal for the other: the county's seal does not sign as the HR
    # company's (the terms name another seal).
    squatting = stack.cli("agreement", "seal", account, "--version", "1", "--org", hr_org,
                          "--seal", parties.seal_file("county"))  # fmt: skip
    assert squatting.returncode == 1 and "SEAL_NOT_NAMED" in squatting.stderr
    # The fund opens the joint account from dispatch's agreement_sealed (account id: the
    # agreement's), checking both seal signatures itself.
    opened = parties.seal_agreement()
    assert value(opened, "county_cooperative_seal") == seals["county"]
    assert value(opened, "hr_company_seal") == seals["hr"]
    assert value(opened, "bank") == "中国工商银行个旧支行 2505030109024567891"
    # The fund no longer prepares or seals accounts itself.
    retired = stack.cli("fund", "prepare", "--agreement", "x")
    assert retired.returncode == 2

    parties.deposit_principal()
    open_an_order_and_match_it(stack, ok, account, homes["zhou.sign"][0], sample)
    # The advance pays the HR company (named by its name) at the bank account the directory
    # gives it; the fund learns of that account from registry's event: wait until it has.
    proposing = retried(lambda: stack.cli("fund", "propose", account, "--kind", "advance",
                                          "--line", "红河人力资源有限公司:3600.00:包车:batch-001",
                                          "--idempotency-key", "advance-batch-001",
                                          home=homes["li.fin"][0]))  # fmt: skip
    assert proposing.returncode == 0, proposing.stderr
    assert hr_bank_number in proposing.stdout and "中国建设银行蒙自支行" in proposing.stdout
    proposal = value(proposing.stdout, "proposal")

    # The fund learns of the signatories from registry's events; wait until it has.
    signed = retried(lambda: stack.cli("fund", "sign", proposal, "--key",
                                       str(tmp_path / "chen.sign.pem"),
                                       home=homes["chen.sign"][0]))  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert hr_bank_number in signed.stdout  # chen saw where the money goes before signing
    refused = stack.cli("fund", "sign", proposal, "--key", str(tmp_path / "chen.sign.pem"))
    assert refused.returncode == 1  # the administrator's token is not chen's: not a signatory
    paid = ok("fund", "sign", proposal, "--key", str(tmp_path / "zhou.sign.pem"),
              home=homes["zhou.sign"][0])  # fmt: skip
    assert value(paid, "status") == "paid"

    shown = ok("fund", "show", account)
    assert "196,400.00" in shown  # available principal-funded cash after the advance
    receivable = the_hr_company_pays_its_service_revenue(stack, ok, account, homes)
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
    assert any(hr_bank_number in row and "3600.00" in row for row in rows)  # where it went
    owed = next(row for row in rows if row[:1] == [receivable])
    assert owed[1:3] == ["service_revenue", "2026-11"] and owed[-1] == "paid"
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


def the_hr_company_pays_its_service_revenue(stack, ok, account, homes) -> str:
    """The county cooperative's finance person records the HR company's service revenue for
    2026-11 (the HR company cannot write down what it owes); a first bank credit pays part of it
    (oldest first), a second the rest. Returns the receivable's id."""
    li, hr = homes["li.fin"][0], homes["hr.fin"][0]
    record = ("fund", "receivable", "record", account, "--kind", "service_revenue", "--period",
              "2026-11", "--counterparty", "红河人力资源有限公司", "--statement", "JS-2026-11",
              "--amount", "1500.00")  # fmt: skip
    refused = stack.cli(*record, home=hr)
    assert refused.returncode == 1 and "[RECEIVABLE_REJECTED]" in refused.stderr, refused.stderr
    receivable = json.loads(ok(*record, "--json", home=li))["receivable_id"]

    paid = ok("fund", "inflow", account, "--kind", "service_revenue", "--amount", "1000.00",
              "--bank-ref", "CCB-20261205-001", "--pays", "oldest", home=li)  # fmt: skip
    assert receivable in paid and "1,000.00" in paid
    listed = ok("fund", "receivables", account, home=hr)  # the HR company sees what it owes
    row = next(line for line in listed.splitlines() if receivable in line)
    assert "1,500.00" in row and "500.00" in row and "open" in row

    ok("fund", "inflow", account, "--kind", "service_revenue", "--amount", "500.00",
       "--bank-ref", "CCB-20261220-002", "--pays", receivable, home=li)  # fmt: skip
    assert "receivables (0)" in ok("fund", "receivables", account, "--open", home=li)
    return receivable


def open_an_order_and_match_it(stack, ok, agreement_id, hr_home, sample) -> str:
    """The HR company opens a job order under the sealed agreement; the pool, fed by registry's
    events, puts the registered-poor labourer first, and --explain shows every factor."""
    from datetime import date, timedelta

    from sanbao_common.sample_villages import sample_villages

    village = sample_villages()[0]["code"]
    people = {}
    for name, poor, scope in (("李秀英", "是", "省外"), ("王芳", "否", "省外"),
                              ("张建国", "是", "无")):  # fmt: skip
        registered = ok("labourer", "register", "--name", name, "--id-number",
                        sample.id_number(birth_year_range=(1985, 2000)), "--village",
                        village)  # fmt: skip
        people[name] = value(registered, "person id")
        ok("labourer", "update", people[name], "--set", f"poor={poor}", "--set",
           f"household_number={len(people):03d}", "--set", "relation_to_head=户主", "--set",
           "employment_status=在家务农",
           "--set", f"intention_scope={scope}", "--set", "intention_industries=电子",
           "--set", "skills=电工")  # fmt: skip

    employer = ok("employer", "add", "--name", "东莞市长安电子科技有限公司", "--credit-code",
                  "91350100M000100Y43", "--scope", "省外", "--place", "广东省东莞市",
                  "--industry", "C39", home=hr_home)  # fmt: skip
    starts = (date.today() + timedelta(days=20)).isoformat()
    opened = ok("order", "open", "--agreement", agreement_id, "--employer",
                value(employer, "employer_id"), "--title", "电子厂普工", "--head-count", "1",
                "--wage-min", "4500", "--wage-max", "6000", "--skill", "电工", "--starts-on",
                starts, home=hr_home)  # fmt: skip
    order = value(opened, "order_id")

    def matched():
        shown = stack.cli("order", "match", order, "--explain", "--json")
        if shown.returncode != 0:
            return None
        import json

        found = json.loads(shown.stdout)
        return found if len(found["candidates"]) == 2 else None

    deadline = time.monotonic() + 30
    while (found := matched()) is None and time.monotonic() < deadline:
        time.sleep(0.5)  # the pool learns of the updates from registry's events
    assert found is not None, "the pool never showed the two willing labourers"
    ranked = [c["person_id"] for c in found["candidates"]]
    assert ranked == [people["李秀英"], people["王芳"]]  # poor first; 张建国 does not mean to go
    first = found["candidates"][0]
    assert first["poor"] is True and "*" in first["id_number_masked"]
    assert sum(f["points"] for f in first["factors"]) == first["score"]
    assert {f["factor"] for f in first["factors"]} == {
        "place", "industry", "skills", "age", "training", "wage", "start"
    }  # fmt: skip
    table = ok("order", "match", order, "--explain")
    assert "李秀英" in table and "skills" in table
    return order
