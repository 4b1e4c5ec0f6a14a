"""The fund's income side through `sanbao`, against the fund's real entrypoints: a receivable
recorded by the county cooperative's finance person (the side owed: the HR company does not
write down what it owes), bank credits that pay it (oldest first, or by id) with what is left
held as the payer's credit, the receivables listed with their totals and the credits, the
requests other services made by event; and outflows that pay directory organisations named by
id or name, each line showing the bank account a signatory signs."""

import csv
import json
import uuid
from types import SimpleNamespace

import pytest

from cli_support import PASSPHRASE, Workers, key
from fund.requests import apply_receivable_requests
from fund_claims_support import batch_departed, deliver_departures, paid_batch_advance
from fund_support import COUNTY, COUNTY_ORG, HR_ORG, PAYEES, VILLAGE_ORG, Fund
from sanbao_cli.commands.fund_income import parse_pays
from sanbao_common.crypto import save_private_key
from sanbao_common.db import create_database_engine

HR_NAME, HR_BANK, HR_NUMBER = PAYEES[HR_ORG][1], PAYEES[HR_ORG][2], PAYEES[HR_ORG][3]
COUNTY_NAME = PAYEES[COUNTY_ORG][1]
BATCH = "b-2026-11-001"
DIRECTORY = [
    {"org_id": org_id, "kind": kind, "name": name, "active": True}
    for org_id, (kind, name, _, _) in PAYEES.items()
]


@pytest.fixture
def fund(databases):
    """An open joint account with 100,000.00 of principal; the directory's bank accounts of the
    county cooperative, the HR company and a village cooperative known to the fund."""
    engine = create_database_engine(databases["fund"])
    fund = Fund(engine)
    fund.account = fund.open_account("100000.00")
    fund.register_payees()
    inflow = {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-1",
              "reference": None}  # fmt: skip
    fund.as_(["finance"], user="li.fin").record_inflow(fund.account, inflow, key())
    yield fund
    engine.dispose()


def stack(fund, roles, party=None, user="li.fin", directory=DIRECTORY):
    registry = SimpleNamespace(list_organisations=lambda kind=None, under=None: directory)
    return Workers(fund=fund.as_(roles, party, user=user), registry=registry)


def record_receivable(cli, fund, amount="5000.00", period="2026-11", *extra, party=None):
    """The county cooperative's finance person (the side owed) records what the HR company owes,
    naming it by its name."""
    user = "hr.fin" if party is fund.hr else "li.fin"
    return cli(stack(fund, ["finance"], party, user=user), "fund", "receivable", "record",
               fund.account, "--kind", "service_revenue", "--period", period, "--counterparty",
               HR_NAME, "--statement", f"JS-{period}", "--amount", amount, *extra)  # fmt: skip


def test_a_receivable_is_paid_in_part_then_in_full_and_the_rest_held_as_credit(fund, cli):
    recorded = record_receivable(cli, fund, "5000.00", "2026-11", "--json")
    assert recorded.exit_code == 0, recorded.output
    receivable = json.loads(recorded.stdout)
    # The counterparty named by its name is the directory's organisation; the kind says who owes.
    assert (receivable["counterparty_id"], receivable["counterparty_kind"]) == (
        HR_ORG, "hr_company"
    )  # fmt: skip
    assert receivable["counterparty_name"] == HR_NAME and receivable["status"] == "open"

    li = stack(fund, ["finance"])
    part = cli(li, "fund", "inflow", fund.account, "--kind", "service_revenue", "--amount",
               "3000.00", "--bank-ref", "ICBC-20261205-001", "--pays", "oldest")  # fmt: skip
    assert part.exit_code == 0, part.output
    assert "receivables paid" in part.stdout and receivable["receivable_id"] in part.stdout
    assert "3,000.00" in part.stdout and "credit held" not in part.stdout
    assert HR_NAME in part.stdout  # the payer, by name

    table = cli(li, "fund", "receivables", fund.account)
    assert table.exit_code == 0, table.output
    row = next(line for line in table.stdout.splitlines() if receivable["receivable_id"] in line)
    for cell in ("service_revenue", "2026-11", "JS-2026-11", "5,000.00", "3,000.00", "2,000.00",
                 "open"):  # fmt: skip
        assert cell in row, row
    assert "totals by kind" in table.stdout

    rest = cli(li, "fund", "inflow", fund.account, "--kind", "service_revenue", "--amount",
               "2500.00", "--bank-ref", "ICBC-20261220-002", "--payer", HR_NAME, "--pays",
               receivable["receivable_id"], "--json")  # fmt: skip
    assert rest.exit_code == 0, rest.output
    reply = json.loads(rest.stdout)
    assert reply["payer"] == HR_ORG
    assert reply["matches"] == [{"receivable_id": receivable["receivable_id"],
                                 "amount_fen": 200_000}]  # fmt: skip
    assert reply["credit_fen"] == 50_000  # beyond what it paid: the HR company's credit

    still_open = cli(li, "fund", "receivables", fund.account, "--open", "--json")
    assert json.loads(still_open.stdout)["receivables"] == []
    listed = json.loads(cli(li, "fund", "receivables", fund.account, "--json").stdout)
    assert listed["totals_by_kind"]["service_revenue"] == {
        "amount_fen": 500_000, "paid_fen": 500_000, "open_fen": 0
    }  # fmt: skip
    assert listed["credits_fen"] == {HR_ORG: 50_000}
    shown = cli(li, "fund", "receivables", fund.account, "--counterparty", HR_NAME)
    assert "credits held" in shown.stdout and "500.00" in shown.stdout
    assert f"{HR_NAME} ({HR_ORG})" in shown.stdout

    # The next month's receivable is paid at once from the credit held.
    december = json.loads(record_receivable(cli, fund, "800.00", "2026-12", "--json").stdout)
    assert (december["paid_fen"], december["open_fen"]) == (50_000, 30_000)


def test_an_income_credit_says_what_it_pays_when_something_is_owed(fund, cli):
    assert record_receivable(cli, fund).exit_code == 0
    li = stack(fund, ["finance"])
    silent = cli(li, "fund", "inflow", fund.account, "--kind", "service_revenue", "--amount",
                 "100.00", "--bank-ref", "ICBC-20261205-003")  # fmt: skip
    assert silent.exit_code == 1 and "[RECEIVABLES_OPEN]" in silent.stderr, silent.stderr
    earned = cli(li, "fund", "inflow", fund.account, "--kind", "service_revenue", "--amount",
                 "100.00", "--bank-ref", "ICBC-20261205-003", "--pays", "nothing",
                 "--json")  # fmt: skip
    assert earned.exit_code == 0, earned.output
    assert json.loads(earned.stdout)["matches"] == []


@pytest.mark.parametrize(
    ("written", "sent"),
    [("oldest", "oldest_first"), ("oldest_first", "oldest_first"), ("nothing", "nothing"),
     ("r-1, r-2", ["r-1", "r-2"]), (None, None)],
)  # fmt: skip
def test_pays_is_oldest_nothing_or_receivable_ids(written, sent):
    assert parse_pays(None, None, written) == sent


def test_pays_names_something(cli):
    refused = cli(Workers(), "fund", "inflow", "acc-1", "--kind", "service_revenue", "--amount",
                  "1.00", "--bank-ref", "B-1", "--pays", " , ")  # fmt: skip
    assert refused.exit_code == 2 and "--pays" in refused.stderr


def test_a_receivable_recorded_again_under_its_key_is_the_same_receivable(fund, cli):
    args = ("--idempotency-key", "receivable-2026-11")
    first = json.loads(record_receivable(cli, fund, "5000.00", "2026-11", *args, "--json").stdout)
    again = record_receivable(cli, fund, "5000.00", "2026-11", *args, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["receivable_id"] == first["receivable_id"]
    # Another key, the same business key and another amount: refused, never overwritten.
    other = record_receivable(cli, fund, "5100.00", "2026-11")
    assert other.exit_code == 1 and "[RECEIVABLE_REJECTED]" in other.stderr, other.stderr
    listed = cli(stack(fund, ["finance"]), "fund", "receivables", fund.account, "--json")
    assert len(json.loads(listed.stdout)["receivables"]) == 1


def test_the_hr_company_does_not_write_down_what_it_owes(fund, cli):
    refused = record_receivable(cli, fund, "1.00", "2026-11", party=fund.hr)
    assert refused.exit_code == 1 and "[RECEIVABLE_REJECTED]" in refused.stderr, refused.stderr
    listed = cli(stack(fund, ["finance"]), "fund", "receivables", fund.account, "--json")
    assert json.loads(listed.stdout)["receivables"] == []


def test_a_counterparty_outside_the_directory_needs_its_name(fund, cli):
    li = stack(fund, ["finance"])
    unnamed = cli(li, "fund", "receivable", "record", fund.account, "--kind",
                  "employer_subsidy", "--period", "2026-11", "--counterparty", "emp-1",
                  "--statement", "S-1", "--amount", "10.00")  # fmt: skip
    assert unnamed.exit_code == 2 and "--counterparty-name" in unnamed.stderr
    named = cli(li, "fund", "receivable", "record", fund.account, "--kind",
                "employer_subsidy", "--period", "2026-11", "--counterparty", "emp-1",
                "--counterparty-name", "东莞市长安电子科技有限公司", "--statement", "S-1",
                "--amount", "10.00", "--json")  # fmt: skip
    assert named.exit_code == 0, named.output
    assert json.loads(named.stdout)["counterparty_kind"] == "employer"


def test_the_requests_other_services_made(fund, cli):
    def request(amount_fen):
        payload = {"account_id": fund.account, "kind": "service_revenue", "period": "2026-10",
                   "counterparty_id": HR_ORG, "counterparty_kind": "hr_company",
                   "counterparty_name": HR_NAME, "statement_ref": "JS-2026-10",
                   "amount_fen": amount_fen}  # fmt: skip
        return SimpleNamespace(type="receivable_requested", event_id=uuid.uuid4(),
                               actor="user:li.fin", correlation_id="corr",
                               payload=payload)  # fmt: skip

    with fund.db.unit_of_work() as uow:
        apply_receivable_requests(uow, [request(120_000)], COUNTY, "settlement")
        uow.commit()
    li = stack(fund, ["finance"])
    table = cli(li, "fund", "requests", fund.account)
    assert table.exit_code == 0, table.output
    assert "settlement" in table.stdout and "made" in table.stdout
    with fund.db.unit_of_work() as uow:
        apply_receivable_requests(uow, [request(130_000)], COUNTY, "settlement")
        uow.commit()
    (row,) = json.loads(cli(li, "fund", "requests", fund.account, "--json").stdout)
    # What the first request made stays made; why the second was refused is shown beside it.
    assert (row["source"], row["state"], row["attempts"], row["reason"]) == (
        "settlement", "made", 2, "RECEIVABLE_REJECTED",
    )  # fmt: skip
    assert "RECEIVABLE_REJECTED" in cli(li, "fund", "requests", fund.account).stdout


def test_an_outflow_pays_an_organisation_named_and_shows_its_bank_account(fund, cli, tmp_path):
    li = stack(fund, ["finance"])
    proposed = cli(li, "fund", "propose", fund.account, "--kind", "advance", "--line",
                   f"{HR_NAME}:3600.00:包车:batch-001", "--line",
                   f"{VILLAGE_ORG}:400.00:体检:batch-001")  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    for shown in (HR_NAME, HR_BANK, HR_NUMBER, PAYEES[VILLAGE_ORG][3], "3,600.00"):
        assert shown in proposed.stdout
    proposal = next(
        line.split("│")[2].strip()
        for line in proposed.stdout.splitlines()
        if line.startswith("│ proposal")
    )
    got = fund.as_(["county_admin"]).get_outflow(proposal)
    assert [x["payee"] for x in got["lines"]] == [HR_ORG, VILLAGE_ORG]  # the name, as its id
    assert got["lines"][0]["bank_account"] == HR_NUMBER

    admin = stack(fund, ["county_admin"], user="admin")
    account = cli(admin, "fund", "show", fund.account)
    assert "payments waiting for signatures" in account.stdout
    assert HR_NUMBER in account.stdout and proposal in account.stdout
    # Who proposed it, of which organisation (by name), beside what waits for signatures.
    waiting = next(line for line in account.stdout.splitlines() if "4,000.00" in line)
    assert proposal in waiting
    assert f"li.fin ({COUNTY_NAME})" in waiting and "proposed by" in account.stdout

    fund.certify(fund.county, "chen.sign")
    key_file = tmp_path / "chen.pem"
    save_private_key(fund.county.signatories["chen.sign"], key_file, PASSPHRASE)
    chen = stack(fund, ["signatory"], fund.county, user="chen.sign")
    signed = cli(chen, "fund", "sign", proposal, "--key", str(key_file))
    assert signed.exit_code == 0, signed.output
    approving = signed.stdout.rsplit("\nsigned", 1)[0]  # what chen read before signing
    for shown in (HR_NAME, HR_BANK, HR_NUMBER, "包车"):
        assert shown in approving
    proposer = next(line for line in approving.splitlines() if "proposed by" in line)
    assert f"li.fin ({COUNTY_NAME})" in proposer


def test_a_payee_the_fund_cannot_pay_or_the_directory_cannot_tell_apart(fund, cli):
    li = stack(fund, ["finance"])
    unknown = cli(li, "fund", "propose", fund.account, "--kind", "advance", "--line",
                  "红河客运站:3600.00:包车:batch-001")  # fmt: skip
    assert unknown.exit_code == 1 and "[PAYEE_REJECTED]" in unknown.stderr, unknown.stderr
    twins = [*DIRECTORY, {"org_id": "org-2", "kind": "hr_company", "name": HR_NAME,
                          "active": True}]  # fmt: skip
    ambiguous = cli(stack(fund, ["finance"], directory=twins), "fund", "propose", fund.account,
                    "--kind", "advance", "--line", f"{HR_NAME}:1.00:包车")  # fmt: skip
    assert ambiguous.exit_code == 2 and HR_ORG in ambiguous.stderr and "org-2" in ambiguous.stderr


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_statement_has_receivables_claims_and_where_each_payment_went(fund, cli, tmp_path,
                                                                         suffix):  # fmt: skip
    receivable = json.loads(record_receivable(cli, fund, "5000.00", "2026-11", "--json").stdout)
    li = stack(fund, ["finance"])
    paying = cli(li, "fund", "inflow", fund.account, "--kind", "service_revenue", "--amount",
                 "3000.00", "--bank-ref", "ICBC-20261205-001", "--pays", "oldest")  # fmt: skip
    assert paying.exit_code == 0, paying.output
    proposed = json.loads(cli(li, "fund", "propose", fund.account, "--kind", "advance", "--line",
                              f"{HR_ORG}:3600.00:包车:batch-001", "--json").stdout)  # fmt: skip
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    for party, user in ((fund.county, "chen.sign"), (fund.hr, "zhou.sign")):
        fund.sign_as(party, user, proposed)()
    # A batch's advance paid per seat; seats 1 and 3 did not show up, and seat 1's was recovered.
    paid_batch_advance(fund, fund.account, BATCH)
    deliver_departures(fund, batch_departed(fund.account, BATCH, no_shows=(1, 3)))
    recovery = {"kind": "advance_recovery", "amount": "400.00", "bank_ref": "CCB-R1",
                "reference": f"{BATCH}/1"}  # fmt: skip
    fund.as_(["finance"], user="li.fin").record_inflow(fund.account, recovery, key())

    out = tmp_path / f"statement{suffix}"
    written = cli(li, "fund", "statement", fund.account, "--from", "2020-01-01", "--to",
                  "2099-12-31", "--out", str(out))  # fmt: skip
    assert written.exit_code == 0, written.output
    if suffix == ".csv":
        rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(out).active
        rows = [["" if c is None else str(c) for c in r]
                for r in sheet.iter_rows(values_only=True)]  # fmt: skip
        (claim_cells,) = [r for r in sheet.iter_rows() if r[0].value == BATCH and r[1].value == "3"]
        assert {c.data_type for c in claim_cells[:10]} == {"s"}  # text cells, the seat too
    paid = next(r for r in rows if HR_NUMBER in r)
    assert paid[2:8] == [HR_ORG, HR_NAME, HR_BANK, HR_NAME, HR_NUMBER, "3600.00"]
    owed = next(r for r in rows if r[:1] == [receivable["receivable_id"]])
    assert owed[1:4] == ["service_revenue", "2026-11", HR_ORG]
    assert owed[7:11] == ["5000.00", "3000.00", "2000.00", "open"]
    assert any(r[1:5] == [receivable["receivable_id"], "3000.00", "inflow", "ICBC-20261205-001"]
               for r in rows)  # fmt: skip
    # The advance claims, after the receivables, as they stood at the period's end.
    titles = [r[0] if r else "" for r in rows]
    claims_at = titles.index("advance claims as of 2099-12-31")
    assert claims_at > titles.index("receivable payments in the period")
    assert rows[claims_at + 1][:10] == ["batch", "seat", "person", "name", "claimed", "recovered",
                                        "settled", "written off", "outstanding",
                                        "status"]  # fmt: skip
    claims = [r[:10] for r in rows[claims_at + 2 :] if r[:1] == [BATCH]]
    assert claims == [
        [BATCH, "1", "p-1", "李四", "400.00", "400.00", "0.00", "0.00", "0.00", "recovered"],
        [BATCH, "3", "p-3", "赵六", "350.00", "0.00", "0.00", "0.00", "350.00", "open"],
    ]
    assert rows[-1][0] == "audit checkpoint"
