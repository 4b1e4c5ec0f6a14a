"""`sanbao settlement` in-process against SettlementService's real entrypoints on the test's own
database, business time moved by the kit's clock: the county's rules set and listed, a month run
and closed, the HR company acknowledging its statement with a dispute (`--dispute
PLACEMENT_ID=REASON`), the county cooperative resolving it, the statement and a party's view
written as CSV and XLSX whose every cell is text (masked ID numbers, village codes and amounts
never turned into numbers), and refusals as one line with the service's code."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import click
import pytest
from openpyxl import load_workbook

from cli_support import Workers
from money_support import refused as refused_by_fund
from money_support import village_paid
from sanbao_cli.commands.settlement_statements import PERIOD, parse_disputes, statement_rows
from sanbao_common.db import create_database_engine
from settlement.adapters.period_tables import statements
from settlement_periods_support import County, _clock, today_is  # noqa: F401
from settlement_support import (
    AGREEMENT,
    HR_COMPANY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE_COOP,
    Settlement,
)

DIRECTORY = [{"org_id": HR_COMPANY, "name": "昆明某人力资源有限公司"},
             {"org_id": VILLAGE_COOP, "name": "大寨村股份经济合作社"},
             {"org_id": "org-hr-bureau", "name": "县人力资源和社会保障局"}]  # fmt: skip


@pytest.fixture
def settlement(databases):
    engine = create_database_engine(databases["settlement"])
    yield Settlement(engine)
    engine.dispose()


def as_(worker) -> Workers:
    registry = SimpleNamespace(list_organisations=lambda kind=None, under=None: DIRECTORY)
    return Workers(settlement=worker, registry=registry)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def reply(result) -> dict:
    return json.loads(ok(result).output)


def refused(result, code: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"error [{code}] " in result.output and "Traceback" not in result.output


# -- argument parsing, no service ------------------------------------------------------------


def test_disputes_are_parsed_placement_id_equals_reason_once_each():
    parsed = parse_disputes(None, None, ("p-1=未到岗", " p-2 = 已离职=3月底 "))
    assert parsed == [{"placement_id": "p-1", "reason": "未到岗"},
                      {"placement_id": "p-2", "reason": "已离职=3月底"}]  # fmt: skip
    assert parse_disputes(None, None, ()) == []
    for bad in (("p-1",), ("=未到岗",), ("p-1=",), ("p-1=a", "p-1=b")):
        with pytest.raises(click.BadParameter):
            parse_disputes(None, None, bad)


def test_a_period_is_a_month():
    assert PERIOD.convert("2027-01", None, None) == "2027-01"
    for bad in ("2027-13", "2027-1", "202701", "2027-01-01", "一月"):
        with pytest.raises(click.BadParameter):
            PERIOD.convert(bad, None, None)


def test_bad_arguments_are_refused_before_anything_is_sent(cli):
    sent = Workers()  # no service: any call would fail
    result = cli(sent, "settlement", "acknowledge", "s-1", "--dispute", "no reason")
    assert result.exit_code == 2 and "PLACEMENT_ID=REASON" in result.output
    assert cli(sent, "settlement", "run", "2027-13").exit_code == 2
    assert cli(sent, "settlement", "statement", "s-1", "--out", "x.pdf").exit_code != 0
    assert sent.calls == []


def labourer_line(**changes) -> dict:
    line = {"item_key": "rev:p-1:m1", "kind": "service_revenue", "party": "village",
            "payee_id": "org-village-201", "amount_fen": -1500, "adjustment": True,
            "due_on": "2026-04-10", "follow_up_month": 1, "rule_id": "a-1", "rule_version": 2,
            "statement_id": "s-1", "dispute_no": None}  # fmt: skip
    return line | changes


def a_statement() -> dict:
    return {
        "statement_id": "s-1", "period": "2026-04", "agreement_id": "a-1",
        "kind": "service_revenue", "counterparty_id": HR_COMPANY,
        "counterparty_name": "=HYPERLINK(\"x\")", "counterparty_kind": "hr_company",
        "total_fen": 3500, "shown_fen": 3500, "status": "issued", "acknowledged_at": None,
        "acknowledged_by": None, "acknowledged_fen": None, "disputed_fen": None,
        "receivable_state": "none", "receivable_id": None, "paid_fen": 0, "disputes": [],
        "labourers": [{
            "placement_id": "p-1", "person_id": "0012", "name": "李秀英",
            "id_number_masked": "532501********0013", "village_code": "532501001201",
            "township_code": "532501001", "agent_id": None, "amount_fen": 3500,
            "lines": [labourer_line(), labourer_line(party="county", amount_fen=5000)],
        }],
    }  # fmt: skip


def test_a_statement_as_xlsx_and_csv_keeps_every_cell_text(cli, tmp_path, monkeypatch):
    stub = SimpleNamespace(get_statement=lambda statement_id: a_statement())
    xlsx, text = tmp_path / "s.xlsx", tmp_path / "s.csv"

    written = reply(cli(as_(stub), "settlement", "statement", "s-1", "--out", str(xlsx), "--json"))
    ok(cli(as_(stub), "settlement", "statement", "s-1", "--out", str(text)))

    assert written["file"] == str(xlsx)
    cells = [c for row in load_workbook(xlsx).active.iter_rows() for c in row if c.value != ""]
    assert cells and {c.data_type for c in cells if c.value is not None} == {"s"}
    values = {c.value for c in cells}
    assert {"532501001201", "532501********0013", "0012", "-15.00", "50.00", "35.00"} <= values
    rows = list(csv.reader(text.read_text(encoding="utf-8-sig").splitlines()))
    line = next(r for r in rows if r[:1] == ["p-1"] and r[7] == "rev:p-1:m1")
    assert line[1:5] == ["0012", "李秀英", "532501********0013", "532501001201"]
    assert line[11:13] == ["-15.00", "yes"]
    assert ["counterparty", '\'=HYPERLINK("x")', HR_COMPANY, "hr_company"] in rows
    assert text.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    assert statement_rows(a_statement())[-1][7:12] == ["labourer total", "", "", "", "35.00"]


# -- against the service ---------------------------------------------------------------------


def test_rules_set_and_listed(cli, settlement):
    admin = as_(settlement.county_admin())
    kept = reply(cli(admin, "settlement", "reward-rule", "set", "--per-labourer", "200.00",
                     "--after-months", "3", "--from", "2026-01-01", "--json"))  # fmt: skip
    assert (kept["per_labourer_fen"], kept["village_code"], kept["version"]) == (20000, None, 1)
    today_is("2026-12-01")
    village = ("settlement", "reward-rule", "set", "--village", VILLAGE, "--per-labourer", "300",
               "--after-months", "6")  # fmt: skip
    refused(cli(admin, *village, "--from", "2026-11-30"), "RULE_REJECTED")  # not in the past
    ok(cli(admin, *village, "--from", "2026-12-01"))
    subsidy = ("settlement", "subsidy-rule", "set", "--per-head", "500.00", "--qualifying-days",
               "30", "--from", "2026-01-01")  # fmt: skip
    assert cli(admin, *subsidy, "--payer", "无名单位").exit_code == 2  # no id, no name known
    kept = reply(cli(admin, *subsidy, "--payer", "县人力资源和社会保障局", "--json"))
    assert (kept["payer_id"], kept["payer_name"]) == ("org-hr-bureau", "县人力资源和社会保障局")

    listed = reply(cli(admin, "settlement", "reward-rule", "list", "--json"))["rules"]
    assert [r["village_code"] for r in listed] == [None, VILLAGE]
    shown = ok(cli(admin, "settlement", "subsidy-rule", "list")).output
    assert "县人力资源和社会保障局" in shown and "500.00" in shown
    refused(cli(as_(settlement.hr_operator()), "settlement", "reward-rule", "set",
                "--per-labourer", "1", "--after-months", "1", "--from", "2026-01-01"),
            "FORBIDDEN")  # fmt: skip


def test_a_month_closed_acknowledged_with_a_dispute_and_written_out(cli, settlement, tmp_path):
    county = County(settlement)
    kept = county.place(poor=True, agent_id="agent-1")
    disputed = county.place(starts_on="2026-03-20")
    county.place(village_code=OTHER_VILLAGE)  # no cooperative there yet: pending
    today_is("2026-05-06")
    coop, hr = as_(settlement.county_coop_operator()), as_(settlement.hr_operator())

    run = reply(cli(coop, "settlement", "run", "2026-04", "--json"))
    assert run["status"] == "open" and run["totals"]["by_kind"]["service_revenue"] == 10000
    assert "NO_PAYEE" in ok(cli(coop, "settlement", "period", "2026-04")).output
    refused(cli(coop, "settlement", "close", "2026-05"), "PERIOD_NOT_ENDED")
    shown = ok(cli(coop, "settlement", "close", "2026-04")).output
    assert "period 2026-04 closed" in shown and "100.00" in shown
    assert "2026-04" in ok(cli(coop, "settlement", "periods")).output

    listed = reply(cli(hr, "settlement", "statements", "--kind", "service_revenue", "--json"))
    (statement,) = listed["statements"]
    operator = as_(settlement.as_(("hr_operator",), org=HR_COMPANY, kind="hr_company",
                                  scope=HR_COMPANY, user="qian.hr"))  # fmt: skip
    refused(cli(operator, "settlement", "acknowledge", statement["statement_id"]), "FORBIDDEN")
    acknowledged = reply(cli(hr, "settlement", "acknowledge", statement["statement_id"],
                             "--dispute", f"{disputed}=已于3月底离职", "--json"))  # fmt: skip
    assert (acknowledged["acknowledged_fen"], acknowledged["disputed_fen"]) == (5000, 5000)
    assert acknowledged["disputes"][0]["reason"] == "已于3月底离职"
    refused(cli(hr, "settlement", "acknowledge", statement["statement_id"]),
            "STATEMENT_ALREADY_ACKNOWLEDGED")  # fmt: skip
    resolved = reply(cli(coop, "settlement", "resolve", statement["statement_id"], "1",
                         "--outcome", "owed", "--note", "回访仍在岗", "--json"))  # fmt: skip
    assert resolved["statement_ref"] == f"{statement['statement_id']}:d1"
    assert resolved["asked_fen"] == 5000
    refused(cli(coop, "settlement", "receivable-again", resolved["statement_ref"]),
            "RECEIVABLE_NOT_REFUSED")  # asked, not refused  # fmt: skip

    out = tmp_path / "statement.xlsx"
    ok(cli(hr, "settlement", "statement", statement["statement_id"], "--out", str(out)))
    sheet = load_workbook(out).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    placements = {row[0] for row in rows if row and row[0] in (kept, disputed)}
    assert placements == {kept, disputed}
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)

    agent = reply(cli(coop, "settlement", "statement-of", "agent", "agent-1", "--period",
                      "2026-04", "--json"))  # fmt: skip
    assert agent["total_fen"] == 20000 and agent["labourers"][0]["placement_id"] == kept
    assert agent["villages"][0]["income_received_fen"] == 0  # the village is not paid yet
    text = tmp_path / "hr.csv"
    ok(cli(hr, "settlement", "statement-of", "hr", HR_COMPANY, "--period", "2026-04", "--out",
           str(text)))  # fmt: skip
    assert "已于3月底离职" not in text.read_text(encoding="utf-8-sig")  # lines, not disputes
    assert ["total", "100.00"] in list(csv.reader(text.read_text("utf-8-sig").splitlines()))
    village = ok(cli(coop, "settlement", "statement-of", "cooperative", VILLAGE_COOP,
                     "--period", "2026-04")).output  # fmt: skip
    assert "大寨村股份经济合作社" in village


def test_a_paid_distribution_and_the_village_books(cli, settlement, tmp_path):
    settlement.directory()
    village_paid(settlement, 100_000)  # 1,000.00 yuan distributed to the village and paid
    coop = as_(settlement.county_coop_operator())

    (paid,) = reply(cli(coop, "settlement", "distribution", "list", "--json"))["distributions"]
    assert (paid["status"], paid["amount_fen"], paid["income_posted"]) == ("paid", 100_000, True)
    shown = ok(cli(coop, "settlement", "distribution", "show", paid["distribution_id"])).output
    assert "大寨村股份经济合作社" in shown and "1,000.00" in shown
    refused(cli(coop, "settlement", "distribution", "again", paid["distribution_id"]),
            "DISTRIBUTION_NOT_REPEATABLE")  # fmt: skip

    li = as_(settlement.village_coop_operator())
    chen = as_(settlement.caller("second_village_coop_operator"))
    record = ("settlement", "village-books", "record", "--use", "agent_rewards", "--reference",
              "村委会决议〔2026〕3号", "--agent", "agent-1", "--period", "2026-03")  # fmt: skip
    recorded = reply(cli(li, *record, "--amount", "300.00", "--json"))
    assert (recorded["status"], recorded["amount_fen"]) == ("pending", 30_000)
    refused(cli(li, "settlement", "village-books", "approve", recorded["use_id"]),
            "VILLAGE_USE_SELF_APPROVAL")  # fmt: skip
    refused(cli(li, *record, "--amount", "800.00"), "VILLAGE_BALANCE_SHORT")
    assert (
        "use approved and posted"
        in ok(cli(chen, "settlement", "village-books", "approve", recorded["use_id"])).output
    )

    auditor = as_(settlement.caller("auditor"))
    books = reply(cli(auditor, "settlement", "village-books", "show", VILLAGE_COOP, "--json"))
    assert books["bank_fen"] == 70_000
    out = tmp_path / "books.xlsx"
    ok(cli(auditor, "settlement", "village-books", "show", VILLAGE_COOP, "--out", str(out)))
    sheet = load_workbook(out).active
    values = {c.value for row in sheet.iter_rows() for c in row}
    assert {VILLAGE, "1000.00", "700.00", "300.00", "村委会决议〔2026〕3号"} <= values
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


def test_a_refused_receivable_asked_for_again(cli, settlement):
    county = County(settlement)
    county.place(poor=True)
    today_is("2026-05-06")
    county.close("2026-04")
    (subsidy,) = [s for s in settlement.rows(statements) if s["kind"] == "policy_subsidy"]
    ref = subsidy["statement_id"]
    coop = as_(settlement.county_coop_operator())
    refused(cli(coop, "settlement", "receivable-again", ref), "RECEIVABLE_NOT_REFUSED")
    rkey = f"{AGREEMENT}|policy_subsidy|2026-04|{subsidy['counterparty_id']}|{ref}"
    settlement.deliver(refused_by_fund(rkey, kind="receivable", code="RECEIVABLE_AMOUNT_DIFFERS"))
    again = reply(cli(coop, "settlement", "receivable-again", ref, "--json"))
    assert (again["statement_ref"], again["receivable_state"]) == (ref, "requested")
    assert again["amount_fen"] == subsidy["total_fen"]
    village = as_(settlement.village_coop_operator())
    refused(cli(village, "settlement", "receivable-again", ref), "NOT_COUNTY_COOPERATIVE")
