"""What `sanbao` prints: every command that shows a record or a table takes `--json` (the
service's reply, for scripts); tables never show Python's notation (a list in brackets, a
posting as a dict), and organisations appear by name where the services give their ids."""

import json
from types import SimpleNamespace

import click
import pytest

from cli_support import PASSPHRASE, Workers, key
from fund_support import COUNTY_ORG, HR_ORG, Fund
from sanbao_cli import output
from sanbao_cli.main import cli as sanbao
from sanbao_common.crypto import save_private_key
from sanbao_common.db import create_database_engine

# Interactive: it prompts for codes between its answers.
WITHOUT_JSON = {"totp enable"}
REPRS = ("['", "{'", "[{", "': ", "None", "True", "False")
DIRECTORY = [
    {"org_id": COUNTY_ORG, "name": "个旧市劳务合作联社"},
    {"org_id": HR_ORG, "name": "红河人力资源有限公司"},
]


def commands(group=sanbao, path=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def test_every_command_that_shows_something_takes_json():
    missing = [
        name
        for name, command in commands()
        if name not in WITHOUT_JSON and "as_json" not in [p.name for p in command.params]
    ]
    assert missing == []


def test_cells_are_never_python_notation():
    assert output.cell(["coop_operator", "finance"]) == "coop_operator, finance"
    assert output.cell({"account": "cash_principal", "amount_fen": 100}) == (
        "account: cash_principal, amount_fen: 100"
    )
    assert output.cell([{"a": 1}, {"a": 2}]) == "a: 1; a: 2"
    assert (output.cell(None), output.cell(True), output.cell(False)) == ("", "yes", "no")


@pytest.fixture
def fund(databases):
    engine = create_database_engine(databases["fund"])
    fund = Fund(engine)
    fund.register_payees()
    fund.account = fund.open_account("100000.00")
    yield fund
    engine.dispose()


def registry_directory():
    return SimpleNamespace(list_organisations=lambda kind=None, under=None: DIRECTORY)


def test_an_inflow_shows_its_postings_as_a_table(fund, cli):
    stack = Workers(fund=fund.as_(["finance"], user="li.fin"))
    shown = cli(stack, "fund", "inflow", fund.account, "--kind", "principal_deposit", "--amount",
                "100000.00", "--bank-ref", "ICBC-20260105-001")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert not [r for r in REPRS if r in shown.stdout], shown.stdout
    assert "cash_principal" in shown.stdout and "100,000.00" in shown.stdout


def test_who_signed_is_shown_by_name_and_the_reply_as_json(fund, cli, tmp_path):
    finance = fund.as_(["finance"], user="li.fin")
    inflow = {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-1",
              "reference": None}  # fmt: skip
    finance.record_inflow(fund.account, inflow, key())
    proposed = cli(Workers(fund=finance, registry=registry_directory()), "fund", "propose",
                   fund.account, "--kind", "advance", "--line",
                   "红河人力资源有限公司:3600.00:包车:batch-001", "--json")  # fmt: skip
    proposal = json.loads(proposed.stdout)["proposal_id"]
    fund.certify(fund.county, "chen.sign")
    key_file = tmp_path / "chen.pem"
    save_private_key(fund.county.signatories["chen.sign"], key_file, PASSPHRASE)
    chen = Workers(
        fund=fund.as_(["signatory"], fund.county, user="chen.sign"), registry=registry_directory()
    )
    signed = cli(chen, "fund", "sign", proposal, "--key", str(key_file))
    assert signed.exit_code == 0, signed.output
    before, after = [line for line in signed.stdout.splitlines() if "signed by" in line]
    assert "nobody yet" in before and "个旧市劳务合作联社" in after
    assert COUNTY_ORG not in signed.stdout  # the name, not the id
    assert "红河人力资源有限公司" in signed.stdout  # still waiting for the HR company

    admin = Workers(fund=fund.as_(["county_admin"], user="admin"), registry=registry_directory())
    table = cli(admin, "fund", "show", fund.account)
    assert "个旧市劳务合作联社" in table.stdout and not [r for r in REPRS if r in table.stdout]
    view = json.loads(cli(admin, "fund", "show", fund.account, "--json").stdout)
    assert view["pending_outflows"][0]["signed_by"] == [COUNTY_ORG]  # scripts get the ids
    assert view["available_fen"]["cash_principal"] == 10_000_000 - 360_000
