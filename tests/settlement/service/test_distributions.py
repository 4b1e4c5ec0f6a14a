"""Distributions: as the fund matches cash to a statement's receivable, settlement asks for the
payees' shares of what was paid (pro rata, the remainder when the rest arrives), on behalf of
the period's closer, exactly once per payment; the fund's news follows into each
distribution's status; the village's share becomes income in its books once paid."""

from datetime import UTC, datetime, timedelta

import pytest

from fund_contract.requests import OUTFLOW_REQUEST_FIELDS, PROPOSER_FIELDS, REQUEST_LINE_FIELDS
from money_support import (
    CLOSER,
    PERIOD,
    matched,
    outflow,
    proposal_id,
    recorded,
    refused,
    requests,
    seed_statement,
)
from sanbao_common.envelope import parse_envelope
from settlement.adapters.period_tables import statements
from settlement_support import (
    AGREEMENT,
    COUNTY,
    COUNTY_COOP,
    TOWNSHIP_COOP,
    VILLAGE_COOP,
    key,
)

PAYEES = {COUNTY_COOP: 5001, TOWNSHIP_COOP: 2000, VILLAGE_COOP: 3000}  # 10,001 fen


def amounts(request: dict) -> dict[str, int]:
    return {line["payee"]: line["amount_fen"] for line in request["payload"]["lines"]}


def test_a_payment_is_distributed_pro_rata_and_the_rest_exactly_when_it_arrives(settlement):
    settlement.directory()
    ref = seed_statement(settlement, PAYEES)
    settlement.deliver(recorded(ref, 10001))
    assert requests(settlement) == []
    (noted,) = [r for r in settlement.rows(statements) if r["statement_id"] == ref]
    assert (noted["receivable_state"], noted["receivable_id"]) == ("recorded", "rcv-1")

    settlement.deliver(matched(ref, 10001, paid=3333, match=3333))
    (first,) = requests(settlement)
    event = parse_envelope(first, COUNTY)  # what the fund's consumer reads
    payload = event.payload
    assert set(payload) == set(OUTFLOW_REQUEST_FIELDS)
    assert payload["request_key"] == f"distribution:{ref}:3333"
    assert payload["account_id"] == AGREEMENT and payload["replaces"] is None
    assert payload["proposer"] == CLOSER and set(payload["proposer"]) == set(PROPOSER_FIELDS)
    assert event.actor == f"user:{CLOSER['username']}"
    assert all(set(line) == set(REQUEST_LINE_FIELDS) for line in payload["lines"])
    assert {line["reference"] for line in payload["lines"]} == {f"{PERIOD}/{ref}"}
    assert {line["purpose"] for line in payload["lines"]} == {f"劳务收益分配 {PERIOD}"}
    # floor(3333 * t / 10001) for each payee
    assert amounts(first) == {COUNTY_COOP: 1666, TOWNSHIP_COOP: 666, VILLAGE_COOP: 999}
    expires = datetime.fromisoformat(payload["expires_at"])
    assert timedelta(days=13) < expires - datetime.now(UTC) <= timedelta(days=14)

    settlement.deliver(matched(ref, 10001, paid=10001, match=6668))
    first, rest = requests(settlement)
    assert rest["payload"]["request_key"] == f"distribution:{ref}:10001"
    together = {p: amounts(first)[p] + amounts(rest)[p] for p in PAYEES}
    assert together == PAYEES  # the receivable shared out exactly, to the fen
    listed = settlement.county_coop_operator().list_distributions(statement_ref=ref)
    assert listed["total_fen"] == 10001
    assert [d["status"] for d in listed["distributions"]] == ["requested", "requested"]


def test_a_redelivered_or_late_match_asks_for_nothing_twice(settlement):
    settlement.directory()
    ref = seed_statement(settlement, PAYEES)
    first_match = matched(ref, 10001, paid=5000, match=5000)
    settlement.deliver(first_match)
    settlement.deliver(first_match)  # the same event again: the inbox drops it
    # The same payment heard again in another envelope (a replay): nothing more is due.
    settlement.deliver(matched(ref, 10001, paid=5000, match=5000))
    assert len(requests(settlement)) == 1
    settlement.deliver(matched(ref, 10001, paid=10001, match=5001))
    # An earlier payment's news arriving after a later one: nothing.
    settlement.deliver(matched(ref, 10001, paid=2000, match=2000))
    made = requests(settlement)
    assert len(made) == 2
    assert sum(sum(amounts(r).values()) for r in made) == 10001


def test_receivables_settlement_did_not_ask_for_are_left_alone(settlement):
    settlement.directory()
    ref = seed_statement(settlement, PAYEES)
    settlement.deliver(matched(ref, 10001, paid=10001, match=10001, requested_by="rpc"))
    settlement.deliver(matched("no-such-statement", 100, paid=100, match=100, receivable_id="x"))
    # Other spellings of a reference settlement issued name nothing it issued.
    for alias in (ref.upper(), f"{ref}\n", f"{ref}:d", f"{ref}:d01", f"{ref}:d1", f"{ref}:d1 "):
        settlement.deliver(matched(alias, 10001, paid=10001, match=10001, receivable_id="y"))
    assert requests(settlement) == []
    assert settlement.county_admin().list_distributions()["distributions"] == []


def _distributed(settlement):
    settlement.directory()
    ref = seed_statement(settlement, PAYEES)
    settlement.deliver(matched(ref, 10001, paid=10001, match=10001))
    (request,) = requests(settlement)
    (listed,) = settlement.county_admin().list_distributions(period=PERIOD)["distributions"]
    return ref, request, listed


def test_the_fund_s_news_follows_into_the_status_and_paid_income_reaches_the_village(settlement):
    _, request, listed = _distributed(settlement)
    rkey, lines = request["payload"]["request_key"], request["payload"]["lines"]
    made = proposal_id()
    settlement.deliver(outflow("outflow_proposed", rkey, made, lines))
    got = settlement.county_admin().get_distribution(listed["distribution_id"])
    assert (got["status"], got["proposal_id"]) == ("proposed", made)
    paid = outflow("outflow_paid", rkey, made, lines)
    settlement.deliver(paid)
    settlement.deliver(outflow("outflow_paid", rkey, made, lines))  # heard twice
    got = settlement.county_admin().get_distribution(listed["distribution_id"])
    assert (got["status"], got["income_posted"]) == ("paid", True)
    books = settlement.county_admin().village_books(VILLAGE_COOP)
    assert books["bank_fen"] == 3000 and books["balances"]["distribution_income"] == 3000
    assert len(books["entries"]) == 1  # once, whatever was heard twice
    # News after the payment changes nothing.
    settlement.deliver(outflow("outflow_rejected", rkey, made, lines, reason={"code": "X"}))
    assert settlement.county_admin().get_distribution(listed["distribution_id"])["status"] == "paid"


def test_a_refused_distribution_stays_visible_and_is_asked_for_again(settlement):
    _, request, listed = _distributed(settlement)
    rkey = request["payload"]["request_key"]
    settlement.deliver(refused(rkey))
    got = settlement.hr_operator().get_distribution(listed["distribution_id"])
    assert got["status"] == "refused" and got["reason"]["code"] == "CASH_SHORT"

    again = settlement.county_admin().request_distribution_again(listed["distribution_id"], key())
    assert again["status"] == "requested" and again["asked"] == 2
    assert again["proposer"]["username"] == "admin"
    _, repeated = requests(settlement)
    assert repeated["payload"]["request_key"] == rkey
    assert repeated["payload"]["replaces"] is None  # the fund never made one
    assert repeated["actor"] == "user:admin"
    assert amounts(repeated) == amounts(request)


def test_a_rejected_or_expired_distribution_names_the_proposal_it_replaces(settlement):
    _, request, listed = _distributed(settlement)
    rkey, lines = request["payload"]["request_key"], request["payload"]["lines"]
    first = proposal_id()
    settlement.deliver(outflow("outflow_proposed", rkey, first, lines))
    settlement.deliver(outflow("outflow_rejected", rkey, first, lines, reason={"code": "WRONG"}))
    coop = settlement.county_coop_operator()
    coop.request_distribution_again(listed["distribution_id"], key())
    assert requests(settlement)[-1]["payload"]["replaces"] == first

    second = proposal_id()
    gone = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    settlement.deliver(outflow("outflow_proposed", rkey, second, lines, expires_at=gone))
    assert coop.get_distribution(listed["distribution_id"])["status"] == "expired"
    coop.request_distribution_again(listed["distribution_id"], key())
    assert requests(settlement)[-1]["payload"]["replaces"] == second


def test_only_a_failed_distribution_is_asked_again_and_only_by_the_county(settlement):
    _, _, listed = _distributed(settlement)
    with pytest.raises(Exception) as waiting:
        settlement.county_admin().request_distribution_again(listed["distribution_id"], key())
    assert "DISTRIBUTION_NOT_REPEATABLE" in str(waiting.value)
    with pytest.raises(Exception) as village:
        settlement.village_coop_operator().request_distribution_again(
            listed["distribution_id"], key()
        )
    assert "FORBIDDEN" in str(village.value)
    assert len(requests(settlement)) == 1


def test_each_reader_sees_their_own_part(settlement):
    _, _, listed = _distributed(settlement)
    village = settlement.village_coop_operator().list_distributions()["distributions"]
    assert [line["payee_id"] for line in village[0]["lines"]] == [VILLAGE_COOP]
    township = settlement.caller("township_coop_operator").list_distributions()
    assert {x["payee_id"] for x in township["distributions"][0]["lines"]} == {
        TOWNSHIP_COOP, VILLAGE_COOP,
    }  # fmt: skip
    assert len(settlement.hr_operator().get_distribution(listed["distribution_id"])["lines"]) == 3
    assert settlement.agent().list_distributions()["distributions"] == []
    with pytest.raises(Exception) as agent:
        settlement.agent().get_distribution(listed["distribution_id"])
    assert "OUT_OF_SCOPE" in str(agent.value)


def test_a_receivable_the_fund_refused_is_noted_with_its_reason(settlement):
    settlement.directory()
    ref = seed_statement(settlement, PAYEES)
    rkey = f"{AGREEMENT}|service_revenue|{PERIOD}|org-hr-company|{ref}"
    settlement.deliver(refused(rkey, kind="receivable", code="RECEIVABLE_AMOUNT_DIFFERS"))
    (noted,) = [r for r in settlement.rows(statements) if r["statement_id"] == ref]
    assert noted["receivable_state"] == "refused"
    assert "RECEIVABLE_AMOUNT_DIFFERS" in noted["receivable_reason"]
