"""Settlement attacked: what one person holding every account they can get, a consumer of every
event settlement publishes, a copy of its database, or crafted events on the bus can make it do.
Each test asserts the guarantee from the attacker's side; a failing one is a hole."""

import json

import pytest
from sqlalchemy import select

from money_support import matched, outflow, proposal_id, requests, seed_statement
from sanbao_common.errors import DomainError
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.privacy import mask_id_number
from settlement.adapters.input_tables import agreement_versions, placements
from settlement.adapters.period_tables import statements
from settlement_periods_support import (  # noqa: F401
    County,
    _clock,
    hr_operator_of,
    today_is,
    village_operator_of,
)
from settlement_support import (
    AGREEMENT,
    COUNTY_COOP,
    HR_COMPANY,
    OTHER_VILLAGE,
    TOWNSHIP_COOP,
    VILLAGE,
    VILLAGE_COOP,
    agreement_event,
    key,
    placement_event,
    terms,
)

OTHER_HR = "org-hr-other"
FULL_ID = "532501199003150013"  # a whole resident ID number (valid check digit)
OLD_FORM = "532501********0013"  # the earlier, more revealing masked form
TODAYS_FORM = mask_id_number(FULL_ID)  # 532501***********3


@pytest.fixture
def county(settlement):
    return County(settlement)


def code_of(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def statement_of(settlement, kind: str = "service_revenue", company: str = HR_COMPANY) -> str:
    (found,) = [
        s
        for s in settlement.rows(statements)
        if s["kind"] == kind and (kind != "service_revenue" or s["counterparty_id"] == company)
    ]
    return found["statement_id"]


def requested_fen(settlement, prefix: str | None = None) -> int:
    return sum(
        line["amount_fen"]
        for r in requests(settlement)
        if prefix is None or r["payload"]["request_key"].startswith(prefix)
        for line in r["payload"]["lines"]
    )


def signatory_of(settlement, company: str):
    return settlement.as_(
        ("signatory",), org=company, kind="hr_company", scope=company, user="qin.sign"
    )


def agent_named(settlement, user: str):
    return settlement.as_(
        ("agent",), org=VILLAGE_COOP, kind="village_coop", scope=VILLAGE, user=user
    )


def township_operator(settlement):
    return settlement.caller("township_coop_operator")


def outbox_text(settlement) -> str:
    with settlement.db.reader() as uow:
        return "\n".join(uow.connection.execute(select(OUTBOX.c.body)).scalars())


# -- crafted or amended agreements and placements --------------------------------------------


def test_a_later_version_naming_another_county_cooperative_does_not_take_earlier_months(
    settlement, county
):
    """Version 2 (in force from June) names another county cooperative: April's county share
    is still paid to the cooperative of the version in force in April."""
    county.place()
    settlement.deliver(
        agreement_event(
            terms(version=2, effective_from="2026-06-01", county_cooperative="org-squatter")
        )
    )
    today_is("2026-05-06")
    county.close("2026-04")
    payees = {line["payee_id"] for line in county.lines("2026-04") if line["party"] == "county"}
    assert payees == {COUNTY_COOP}


def test_a_later_version_naming_another_hr_company_does_not_take_its_subsidy_share(
    settlement, county
):
    county.place(poor=True)
    settlement.deliver(
        agreement_event(terms(version=2, effective_from="2026-06-01", hr_company="org-hr-squat"))
    )
    today_is("2026-05-06")
    county.close("2026-04")
    payees = {line["payee_id"] for line in county.lines("2026-04") if line["party"] == "hr_company"}
    assert payees == {HR_COMPANY}


def test_a_version_changing_the_agreements_parties_is_refused(settlement, county):
    """An agreement's county cooperative and HR company are its parties: a sealed version
    naming others is not the same agreement, and settlement should not take it."""
    settlement.deliver(
        agreement_event(terms(version=2, effective_from="2026-06-01", hr_company="org-hr-squat"))
    )
    kept = [r for r in settlement.rows(agreement_versions) if r["agreement_id"] == AGREEMENT]
    assert {r["hr_company"] for r in kept} == {HR_COMPANY}


def test_a_placement_of_another_hr_company_is_not_billed_to_the_agreements_company(
    settlement, county
):
    """A placement naming HR company B under A's agreement: A's statement must not carry it
    (it waits, pending, with its reason)."""
    mine = county.place()
    foreign = county.place(hr_company=OTHER_HR)
    today_is("2026-05-06")
    county.close("2026-04")
    billed = {line["placement_id"] for line in county.lines("2026-04")}
    assert mine in billed
    assert foreign not in billed
    pending = settlement.county_admin().get_period("2026-04")["pending"]["first"]
    assert foreign in {p["placement_id"] for p in pending}


def test_agreements_and_placements_from_the_wrong_source_are_not_taken(settlement):
    settlement.directory()
    forged = agreement_event(terms())
    forged["source"] = "registry"
    settlement.deliver(forged)
    assert settlement.rows(agreement_versions) == []
    event = placement_event("placement_started", "p-forged", 1)
    event["source"] = "fund"
    settlement.deliver(event)
    assert settlement.rows(placements) == []


# -- masked ID numbers ------------------------------------------------------------------------


def test_an_id_number_in_the_earlier_masked_form_goes_out_only_in_todays_form(settlement, county):
    """dispatch's outbox (a replay, a resync) may still hold `532501********0013`: with the
    birth year every consumer knows, its sequence digits rebuild the number. Whatever settlement
    takes, it stores, replies and publishes only `532501***********3`."""
    placed = county.place(poor=True, agent_id="agent-1", id_number_masked=OLD_FORM)
    today_is("2026-05-06")
    county.close("2026-04")
    (due,) = county.events("agent_reward_due")
    assert {x["id_number_masked"] for x in due["payload"]["labourers"]} == {TODAYS_FORM}
    statement = settlement.county_admin().get_statement(statement_of(settlement))
    assert {x["id_number_masked"] for x in statement["labourers"]} == {TODAYS_FORM}
    person = county.placements[placed]["person_id"]
    mine = settlement.agent().party_statement("2026-04", "labourer", person)
    assert {x["id_number_masked"] for x in mine["labourers"]} == {TODAYS_FORM}
    assert "0013" not in outbox_text(settlement)
    assert {line["id_number_masked"] for line in county.lines()} == {TODAYS_FORM}


def test_a_whole_id_number_never_reaches_an_event_or_the_database(settlement, county):
    """A placement event carrying a whole ID number where the masked one belongs (a bug or a
    forgery upstream): settlement refuses it, or keeps only the masked form."""
    county.place(agent_id="agent-1", id_number_masked=FULL_ID)
    today_is("2026-05-06")
    county.close("2026-04")
    assert FULL_ID not in outbox_text(settlement)
    stored = json.dumps(
        [settlement.rows(placements), county.lines()], default=str, ensure_ascii=False
    )
    assert FULL_ID not in stored


def test_an_id_number_typed_into_a_dispute_reason_goes_out_masked(settlement, county):
    """HR operators see their labourers' whole ID numbers; one typed into a dispute's reason
    must not reach `statement_acknowledged`'s consumers or the statement's readers whole."""
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = statement_of(settlement)
    reason = f"身份证 {FULL_ID} 本人未到岗"
    settlement.hr_operator().acknowledge_statement(
        revenue, [{"placement_id": placed, "reason": reason}], key()
    )
    assert FULL_ID not in outbox_text(settlement)
    read = settlement.caller("auditor").get_statement(revenue)
    assert FULL_ID not in json.dumps(read, ensure_ascii=False)


# -- who runs, closes, acknowledges ------------------------------------------------------------


def test_township_and_village_cooperatives_neither_run_nor_close(settlement, county):
    county.place()
    today_is("2026-05-06")
    for caller in (township_operator(settlement), settlement.village_coop_operator()):
        county.refused(lambda c=caller: county.run("2026-04", caller=c), "NOT_COUNTY_COOPERATIVE")
        county.refused(lambda c=caller: county.close("2026-04", caller=c), "NOT_COUNTY_COOPERATIVE")


def test_a_closed_period_is_not_closed_again_and_its_lines_never_change(settlement, county):
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    before = county.lines("2026-04")
    events = len(county.events())
    county.refused(lambda: county.close("2026-04"), "PERIOD_CLOSED")
    county.end(placed, "2026-04-05")  # it never reached month 1: April's line was wrong
    today_is("2026-06-02")
    county.run("2026-05")
    county.close("2026-05")
    assert county.lines("2026-04") == before
    assert len(county.events("period_settled")) == 2 and len(county.events()) > events


def test_a_statement_is_acknowledged_once_and_asks_for_one_receivable(settlement, county):
    county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = statement_of(settlement)
    hr = settlement.hr_operator()
    hr.acknowledge_statement(revenue, [], key())
    assert code_of(lambda: hr.acknowledge_statement(revenue, [], key())) == (
        "STATEMENT_ALREADY_ACKNOWLEDGED"
    )
    colleague = hr_operator_of(settlement, HR_COMPANY, user="wu.hr")
    assert code_of(lambda: colleague.acknowledge_statement(revenue, [], key())) == (
        "STATEMENT_ALREADY_ACKNOWLEDGED"
    )
    asked = [e for e in county.events("receivable_requested") if e["record_id"] == revenue]
    assert len(asked) == 1


def test_a_dispute_found_owed_asks_for_its_receivable_once(settlement, county):
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = statement_of(settlement)
    settlement.hr_operator().acknowledge_statement(
        revenue, [{"placement_id": placed, "reason": "未到岗"}], key()
    )
    settlement.county_coop_operator().resolve_dispute(revenue, 1, "owed", None, key())
    for outcome in ("owed", "waived"):
        assert code_of(
            lambda o=outcome: settlement.county_admin().resolve_dispute(revenue, 1, o, None, key())
        ) == ("DISPUTE_ALREADY_RESOLVED")
    refs = [e["payload"]["statement_ref"] for e in county.events("receivable_requested")]
    assert refs.count(f"{revenue}:d1") == 1


# -- reading others' statements ---------------------------------------------------------------


def test_another_hr_company_reads_nothing_of_a_statement_not_its_own(settlement, county):
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = statement_of(settlement)
    person = county.placements[placed]["person_id"]
    for other in (
        hr_operator_of(settlement, OTHER_HR, "sun.hr"),
        signatory_of(settlement, OTHER_HR),
    ):
        assert code_of(lambda o=other: o.get_statement(revenue)) == "OUT_OF_SCOPE"
        assert other.list_statements()["statements"] == []
        assert code_of(lambda o=other: o.party_statement("2026-04", "hr_company", HR_COMPANY)) == (
            "OUT_OF_SCOPE"
        )
        for party, party_id in (
            ("labourer", person),
            ("cooperative", VILLAGE_COOP),
            ("cooperative", COUNTY_COOP),
            ("hr_company", OTHER_HR),
        ):
            seen = other.party_statement("2026-04", party, party_id)
            assert seen["labourers"] == [] and seen["total_fen"] == 0, (party, party_id)
        summary = other.get_period("2026-04")
        assert summary["total_fen"] == 0 and summary["statements"] == []
        assert summary["pending"]["count"] == 0


def test_an_agent_reads_only_their_own_rewards_and_labourers(settlement, county):
    mine = county.place(agent_id="agent-1")
    theirs = county.place(agent_id="agent-2")
    today_is("2026-05-06")
    county.close("2026-04")
    me = settlement.agent()
    assert code_of(lambda: me.party_statement("2026-04", "agent", "agent-2")) == "OUT_OF_SCOPE"
    their_person = county.placements[theirs]["person_id"]
    assert me.party_statement("2026-04", "labourer", their_person)["labourers"] == []
    seen = me.party_statement("2026-04", "cooperative", VILLAGE_COOP)
    assert {x["placement_id"] for x in seen["labourers"]} <= {mine}
    assert code_of(lambda: me.get_statement(statement_of(settlement))) == "OUT_OF_SCOPE"
    assert me.list_statements()["statements"] == []
    own = me.party_statement("2026-04", "agent", "agent-1")
    assert {x["placement_id"] for x in own["labourers"]} == {mine}
    other = agent_named(settlement, "agent-2")
    assert {
        x["placement_id"] for x in other.party_statement("2026-04", "agent", "agent-2")["labourers"]
    } == {theirs}
    assert [d["payload"]["agent_id"] for d in county.events("agent_reward_due")] == [
        "agent-1",
        "agent-2",
    ]


def test_another_villages_cooperative_reads_no_line_of_this_village(settlement, county):
    county.place(agent_id="agent-1")
    today_is("2026-05-06")
    county.close("2026-04")
    stranger = village_operator_of(settlement, OTHER_VILLAGE, org="org-village-202")
    for party, party_id in (("cooperative", VILLAGE_COOP), ("cooperative", COUNTY_COOP),
                            ("agent", "agent-1"), ("hr_company", HR_COMPANY)):  # fmt: skip
        seen = stranger.party_statement("2026-04", party, party_id)
        assert seen["labourers"] == [] and seen["total_fen"] == 0, party
    statement = stranger.get_statement(statement_of(settlement))
    assert statement["labourers"] == [] and statement["shown_fen"] == 0
    assert stranger.get_period("2026-04")["total_fen"] == 0
    township = township_operator(settlement).party_statement(
        "2026-04", "cooperative", TOWNSHIP_COOP
    )
    assert township["total_fen"] > 0  # the township sees its own area


def test_a_first_village_reward_rule_does_not_rewrite_closed_months(settlement, county):
    """The county-wide rule (200 yuan) paid agent-1 for April. A county administrator then adds
    the village's first own rule, "effective" from January at 2,000 yuan: closed months stand,
    so May must carry no reward adjustment for April's labourer."""
    placed = county.place(agent_id="agent-1")
    today_is("2026-05-06")
    county.close("2026-04")
    try:
        settlement.county_admin().set_reward_rule(
            {"effective_from": "2026-01-01", "per_labourer": "2000.00", "after_months": 1,
             "village_code": VILLAGE},
            key(),
        )  # fmt: skip
    except DomainError as refused:
        assert refused.code == "RULE_REJECTED"
    today_is("2026-06-02")
    county.close("2026-05")
    rewards = [
        line
        for line in county.lines("2026-05")
        if line["kind"] == "agent_reward" and line["placement_id"] == placed
    ]
    assert rewards == []
    assert sum(e["payload"]["amount_fen"] for e in county.events("agent_reward_due")) == 20000


def test_a_credit_owed_to_the_hr_company_is_not_lost_when_it_disputes_lines(settlement, county):
    """May nets +5,000 fen: two new month-lines (+5,000 each) and a reversal (-5,000) of a line
    April settled. Disputing both new lines would leave the cooperatives owing the reversal
    back out of nothing: refused, nothing written. The HR company disputes one, found owed:
    what it is asked for in May must still add up to May's statement (5,000), not 10,000: the
    reversal is its credit."""
    county = County(settlement, reward=None, subsidy=None)
    first = county.place("2026-03-10")
    returned = county.place("2026-03-10")
    today_is("2026-05-06")
    county.close("2026-04")
    hr, admin = settlement.hr_operator(), settlement.county_admin()
    hr.acknowledge_statement(statement_of(settlement), [], key())
    late = county.place("2026-04-01")
    county.end(returned, "2026-04-05")  # it never reached its first month: April's line reversed
    today_is("2026-06-02")
    county.close("2026-05")
    (may,) = [
        s
        for s in settlement.rows(statements)
        if s["period"] == "2026-05" and s["kind"] == "service_revenue"
    ]
    assert may["total_fen"] == 5000
    disputes = [{"placement_id": p, "reason": "未到岗"} for p in (first, late)]
    with pytest.raises(DomainError) as caught:
        hr.acknowledge_statement(may["statement_id"], disputes, key())
    assert caught.value.code == "DISPUTE_REJECTED"
    assert caught.value.details["payee_id"] == COUNTY_COOP
    assert caught.value.details["amount_fen"] == -2500
    (unchanged,) = [
        s for s in settlement.rows(statements) if s["statement_id"] == may["statement_id"]
    ]
    assert unchanged["status"] == "issued"
    assert all(line["dispute_no"] is None for line in county.lines("2026-05"))
    hr.acknowledge_statement(may["statement_id"], disputes[:1], key())
    admin.resolve_dispute(may["statement_id"], 1, "owed", None, key())
    asked = [
        e["payload"]["amount_fen"]
        for e in county.events("receivable_requested")
        if e["payload"]["statement_ref"].startswith(may["statement_id"])
    ]
    assert sum(asked) == may["total_fen"]


def test_another_village_sees_no_deferred_sums_of_this_village(settlement, county):
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    county.end(placed, "2026-04-05")  # May: April's line reversed, netting below nothing
    today_is("2026-06-02")
    county.run("2026-05")
    assert settlement.county_admin().get_period("2026-05")["deferred"] != []
    stranger = village_operator_of(settlement, OTHER_VILLAGE, org="org-village-202")
    assert stranger.get_period("2026-05")["deferred"] == []


# -- money: distributions ------------------------------------------------------------------------


def test_an_alias_of_a_statements_reference_is_not_distributed_again(settlement):
    """A crafted `receivable_matched` naming `<statement_id>:d` (no dispute number): the same
    receivable under another spelling must not be shared out a second time."""
    settlement.directory()
    ref = seed_statement(settlement)
    settlement.deliver(matched(ref, 10000, paid=10000, match=10000))
    settlement.deliver(matched(f"{ref}:d", 10000, paid=10000, match=10000, receivable_id="rcv-2"))
    assert requested_fen(settlement) == 10000


def test_an_alias_of_a_disputes_reference_is_not_distributed_again(settlement, county):
    placed = county.place()
    county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = statement_of(settlement)
    settlement.hr_operator().acknowledge_statement(
        revenue, [{"placement_id": placed, "reason": "未到岗"}], key()
    )
    dispute = settlement.county_admin().resolve_dispute(revenue, 1, "owed", None, key())
    owed = dispute["amount_fen"]
    settlement.deliver(matched(f"{revenue}:d1", owed, paid=owed, match=owed, receivable_id="r1"))
    settlement.deliver(matched(f"{revenue}:d01", owed, paid=owed, match=owed, receivable_id="r2"))
    assert requested_fen(settlement) == owed


def test_distributions_never_exceed_what_was_paid_whatever_the_fund_says(settlement):
    settlement.directory()
    ref = seed_statement(settlement)  # 10,000 fen owed
    settlement.deliver(matched(ref, 10000, paid=10000, match=10000))
    settlement.deliver(matched(ref, 10000, paid=4000, match=4000))  # late, out of order
    settlement.deliver(matched(ref, 99999, paid=99999, match=89999))  # more than owed
    assert requested_fen(settlement) == 10000


def test_payees_not_adding_up_to_the_receivable_are_not_shared_out_but_shown_refused(settlement):
    """A statement whose lines owe one payee less than nothing (a database edited by hand, a
    bug): sharing the payment over the others would pay them more than they are owed. Nothing
    is asked of the fund; the distribution is listed refused with the reason, and cannot be
    asked again as it is."""
    settlement.directory()
    ref = seed_statement(settlement, {COUNTY_COOP: 4000, TOWNSHIP_COOP: -2000, VILLAGE_COOP: 8000})
    settlement.deliver(matched(ref, 10000, paid=10000, match=10000))
    settlement.deliver(matched(ref, 10000, paid=10000, match=10000))  # heard twice
    assert requests(settlement) == []
    admin = settlement.county_admin()
    (shown,) = admin.list_distributions(statement_ref=ref)["distributions"]
    assert shown["status"] == "refused" and shown["lines"] == [] and shown["amount_fen"] == 0
    assert shown["reason"]["code"] == "PAYEE_TOTALS_WRONG"
    assert shown["reason"]["details"]["below_zero"] == [TOWNSHIP_COOP]
    again = lambda: admin.request_distribution_again(shown["distribution_id"], key())  # noqa: E731
    assert code_of(again) == "DISTRIBUTION_NOT_REPEATABLE"
    assert requests(settlement) == []


def test_a_match_from_the_wrong_source_distributes_nothing(settlement):
    settlement.directory()
    ref = seed_statement(settlement)
    forged = matched(ref, 10000, paid=10000, match=10000)
    forged["source"] = "dispatch"
    settlement.deliver(forged)
    assert requests(settlement) == []


def test_a_distribution_pending_or_paid_is_not_asked_for_again(settlement):
    settlement.directory()
    ref = seed_statement(settlement)
    settlement.deliver(matched(ref, 10000, paid=10000, match=10000))
    (request,) = requests(settlement)
    (dist,) = settlement.county_admin().list_distributions(statement_ref=ref)["distributions"]
    admin = settlement.county_admin()
    again = dist["distribution_id"]
    assert code_of(lambda: admin.request_distribution_again(again, key())) == (
        "DISTRIBUTION_NOT_REPEATABLE"
    )
    made, lines = proposal_id(), request["payload"]["lines"]
    settlement.deliver(outflow("outflow_proposed", request["payload"]["request_key"], made, lines))
    assert code_of(lambda: admin.request_distribution_again(again, key())) == (
        "DISTRIBUTION_NOT_REPEATABLE"
    )
    settlement.deliver(outflow("outflow_rejected", request["payload"]["request_key"], made, lines))
    village = settlement.village_coop_operator()
    assert code_of(lambda: village.request_distribution_again(again, key())) == "FORBIDDEN"
    admin.request_distribution_again(again, key())
    assert code_of(lambda: admin.request_distribution_again(again, key())) == (
        "DISTRIBUTION_NOT_REPEATABLE"
    )
    assert len(requests(settlement)) == 2
    settlement.deliver(outflow("outflow_paid", request["payload"]["request_key"], made, lines))
    settlement.deliver(
        outflow("outflow_paid", request["payload"]["request_key"], proposal_id(), lines)
    )
    books = admin.village_books(VILLAGE_COOP)
    assert books["bank_fen"] == 3000  # the village's line, posted once


def _distribution_of_hr_company(settlement) -> str:
    settlement.directory()
    ref = seed_statement(settlement)  # HR_COMPANY's receivable, paid
    settlement.deliver(matched(ref, 10000, paid=10000, match=10000))
    (dist,) = settlement.county_admin().list_distributions(statement_ref=ref)["distributions"]
    return dist["distribution_id"]


def test_another_hr_companys_operator_reads_none_of_its_distributions(settlement):
    distribution = _distribution_of_hr_company(settlement)
    other = hr_operator_of(settlement, OTHER_HR, "sun.hr")
    assert other.list_distributions()["distributions"] == []
    assert code_of(lambda: other.get_distribution(distribution)) == "OUT_OF_SCOPE"


def test_another_hr_companys_signatory_reads_none_of_its_distributions(settlement):
    """A signatory of HR company B (its seal certified their key) reads B's statements only
    (`settlement.periods.reads.company_of`), and should read B's distributions only too."""
    distribution = _distribution_of_hr_company(settlement)
    other = signatory_of(settlement, OTHER_HR)
    assert other.list_distributions()["distributions"] == []
    assert code_of(lambda: other.get_distribution(distribution)) == "OUT_OF_SCOPE"


# -- village books --------------------------------------------------------------------------------


def test_nobody_outside_the_village_keeps_or_reads_its_books(settlement):
    from money_support import village_paid

    settlement.directory()
    village_paid(settlement, 10000)
    recorded = settlement.village_coop_operator().record_village_use(
        {"use": "public_works", "amount": "50.00", "reference": "村道修缮 2026-04"}, key()
    )
    stranger = village_operator_of(settlement, OTHER_VILLAGE, org="org-village-202")
    assert code_of(lambda: stranger.village_books(VILLAGE_COOP)) == "OUT_OF_SCOPE"
    assert code_of(lambda: stranger.approve_village_use(recorded["use_id"], key())) == "FORBIDDEN"
    for name in ("agent", "hr_operator"):
        assert code_of(lambda n=name: settlement.caller(n).village_books(VILLAGE_COOP)) == (
            "FORBIDDEN"
        )
    county_op = settlement.county_coop_operator()
    assert code_of(lambda: county_op.approve_village_use(recorded["use_id"], key())) == (
        "FORBIDDEN"
    )
    more = {"use": "working_costs", "amount": "50.01", "reference": "办公用品"}
    assert code_of(
        lambda: settlement.caller("second_village_coop_operator").record_village_use(more, key())
    ) == ("VILLAGE_BALANCE_SHORT")
