"""A village cooperative's books: income from the distributions paid to it, uses recorded by one
of its operators and approved by another, the balance never negative, a statement for auditors;
and from the attacker's side: nobody approves their own use, nobody of another village or of
the county approves one, and two approvals cannot spend the same yuan."""

import uuid
from datetime import UTC, date, datetime

import eventlet
import pytest
from sqlalchemy import insert

from money_support import village_paid
from sanbao_common.context import Caller
from sanbao_common.errors import DomainError
from settlement.adapters.money_tables import village_uses
from settlement.villages.queries import agent_rewards_paid, village_income
from settlement.villages.use_cases import approve_use
from settlement_support import (
    COUNTY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE_COOP,
    key,
    organisation_event,
    who,
)

OTHER_COOP = "org-village-202"


def use(amount: str, kind: str = "public_works", **more) -> dict:
    return {"use": kind, "amount": amount, "reference": "村委会决议〔2026〕3号", **more}


def refused_code(call) -> str:
    with pytest.raises(Exception) as refused:
        call()
    return str(refused.value).split("]")[0].lstrip("[")


def other_village_operator(settlement, user: str = "he.village"):
    return settlement.as_(
        ["coop_operator"], org=OTHER_COOP, kind="village_coop", scope=OTHER_VILLAGE, user=user
    )


@pytest.fixture
def village(settlement):
    settlement.directory()
    settlement.deliver(organisation_event(OTHER_COOP, "village_coop", OTHER_VILLAGE))
    village_paid(settlement, 100_000)  # 1,000.00 yuan received
    return settlement


def test_a_use_recorded_by_one_and_approved_by_another_is_posted(village):
    li, chen = village.village_coop_operator(), village.caller("second_village_coop_operator")
    recorded = li.record_village_use(
        use("300.00", "agent_rewards", agent_id="agent-1", period="2026-03", note="三月奖励"),
        key(),
    )
    assert (recorded["status"], recorded["amount_fen"]) == ("pending", 30_000)
    posted = chen.approve_village_use(recorded["use_id"], key())
    assert posted["status"] == "posted" and posted["decided_by"] == "user:chen.village"
    books = village.caller("auditor").village_books(VILLAGE_COOP)
    assert books["bank_fen"] == 70_000
    assert books["balances"] == {
        "bank": 70_000, "distribution_income": 100_000, "agent_rewards": 30_000,
        "public_works": 0, "working_costs": 0,
    }  # fmt: skip
    assert [e["kind"] for e in books["entries"]] == ["income", "use"]
    assert books["entries"][1]["reference"] == "村委会决议〔2026〕3号"
    income = books["entries"][0]  # posted by settlement, not by whoever signed the payment
    assert income["posted_by"] == "system:settlement"
    assert income["source"].startswith("distribution:")
    with village.db.reader() as uow:
        assert village_income(uow.connection, VILLAGE_COOP) == {
            "received_fen": 100_000, "balance_fen": 70_000,
        }  # fmt: skip
        assert agent_rewards_paid(uow.connection, "agent-1") == 30_000
        assert agent_rewards_paid(uow.connection, "agent-1", "2026-04") == 0


def test_nobody_approves_their_own_use_whatever_accounts_they_hold(village):
    li = village.village_coop_operator()
    recorded = li.record_village_use(use("100.00"), key())
    assert refused_code(lambda: li.approve_village_use(recorded["use_id"], key())) == (
        "VILLAGE_USE_SELF_APPROVAL"
    )
    # The same person with another token (more roles, another username's spelling is not
    # theirs to choose: the user id is what counts).
    again = village.as_(
        ["coop_operator", "agent"], org=VILLAGE_COOP, kind="village_coop",
        scope="532501001201", user="li.village",
    )  # fmt: skip
    assert refused_code(lambda: again.approve_village_use(recorded["use_id"], key())) == (
        "VILLAGE_USE_SELF_APPROVAL"
    )
    assert village.caller("auditor").village_books(VILLAGE_COOP)["bank_fen"] == 100_000


def test_another_village_or_the_county_neither_records_nor_approves(village):
    recorded = village.village_coop_operator().record_village_use(use("100.00"), key())
    stranger = other_village_operator(village)
    assert refused_code(lambda: stranger.approve_village_use(recorded["use_id"], key())) == (
        "FORBIDDEN"
    )
    assert refused_code(
        lambda: stranger.reject_village_use(recorded["use_id"], "不同意", key())
    ) == ("FORBIDDEN")
    # What a village B operator records is B's (which has nothing), never A's.
    assert refused_code(lambda: stranger.record_village_use(use("1.00"), key())) == (
        "VILLAGE_BALANCE_SHORT"
    )
    admin, coop = village.county_admin(), village.county_coop_operator()
    for caller in (admin, coop):
        assert refused_code(lambda c=caller: c.approve_village_use(recorded["use_id"], key())) == (
            "FORBIDDEN"
        )
        assert refused_code(lambda c=caller: c.record_village_use(use("1.00"), key())) == (
            "FORBIDDEN"
        )
    finance = village.caller("finance")
    assert refused_code(lambda: finance.approve_village_use(recorded["use_id"], key())) == (
        "FORBIDDEN"
    )
    assert village.caller("auditor").village_books(VILLAGE_COOP)["pending_fen"] == 10_000


def test_the_balance_never_goes_negative(village):
    li, chen = village.village_coop_operator(), village.caller("second_village_coop_operator")
    assert refused_code(lambda: li.record_village_use(use("1000.01"), key())) == (
        "VILLAGE_BALANCE_SHORT"
    )
    first = li.record_village_use(use("600.00"), key())
    # What is pending is spoken for: a second use beyond the rest is refused at recording.
    assert refused_code(lambda: li.record_village_use(use("400.01"), key())) == (
        "VILLAGE_BALANCE_SHORT"
    )
    second = chen.record_village_use(use("400.00", "working_costs"), key())
    chen_approves = chen.approve_village_use(first["use_id"], key())
    assert chen_approves["status"] == "posted"
    li.approve_village_use(second["use_id"], key())
    assert village.caller("auditor").village_books(VILLAGE_COOP)["bank_fen"] == 0


def _racing_use(village, fen: int, user: str = "li.village") -> str:
    """A pending use as a racing recorder would leave it (written straight to the table: the
    recording check alone cannot be relied on)."""
    use_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with village.db.unit_of_work() as uow:
        uow.connection.execute(
            insert(village_uses),
            [{"use_id": use_id, "village_org_id": VILLAGE_COOP, "use": "public_works",
              "amount_fen": fen, "reference": "修路", "note": None, "agent_id": None,
              "period": None, "status": "pending", "recorded_by": f"user:{user}",
              "recorded_by_user_id": user, "recorded_at": now, "recorded_on": now.date(),
              "decided_by": None, "decided_at": None, "reason": None, "entry_id": None,
              "version": 1}],
        )  # fmt: skip
        uow.commit()
    return use_id


def test_two_approvals_cannot_spend_the_same_yuan(village):
    chen = village.caller("second_village_coop_operator")
    first, second = _racing_use(village, 60_000), _racing_use(village, 50_000)
    chen.approve_village_use(first, key())
    assert refused_code(lambda: chen.approve_village_use(second, key())) == (
        "VILLAGE_BALANCE_SHORT"
    )
    books = village.caller("auditor").village_books(VILLAGE_COOP)
    assert books["bank_fen"] == 40_000 and books["pending_fen"] == 50_000


def test_an_approval_waits_for_the_one_holding_the_village_and_then_sees_what_it_spent(village):
    """Two approvals interleaved: the first holds the village (its transaction open), the second
    waits for it, then finds the balance spent and is refused."""
    first, second = _racing_use(village, 60_000), _racing_use(village, 50_000)
    chen = who(["coop_operator"], org=VILLAGE_COOP, kind="village_coop", scope=VILLAGE,
               user="chen.village")  # fmt: skip
    wang = who(["coop_operator"], org=VILLAGE_COOP, kind="village_coop", scope=VILLAGE,
               user="wang.village")  # fmt: skip

    def approve(uow, principal, use_id):
        caller = Caller(COUNTY, principal.actor, "corr")
        return approve_use(uow, caller, principal, use_id, datetime.now(UTC), date(2026, 4, 2))

    holding = village.db.unit_of_work()
    uow = holding.__enter__()
    try:
        assert approve(uow, chen, first)["status"] == "posted"

        def later():
            with village.db.unit_of_work() as other:
                try:
                    approve(other, wang, second)
                except DomainError as refused:
                    return refused.code
                other.commit()
                return "posted"

        waiting = eventlet.spawn(later)
        eventlet.sleep(0.5)
        assert not waiting.dead  # held back by the first approval's lock
        uow.commit()
    finally:
        holding.__exit__(None, None, None)
    assert waiting.wait() == "VILLAGE_BALANCE_SHORT"
    assert village.caller("auditor").village_books(VILLAGE_COOP)["bank_fen"] == 40_000


def test_a_decided_use_is_not_decided_again(village):
    li, chen = village.village_coop_operator(), village.caller("second_village_coop_operator")
    first = li.record_village_use(use("700.00"), key())
    li.reject_village_use(first["use_id"], "改由下月支出", key())
    assert refused_code(lambda: chen.approve_village_use(first["use_id"], key())) == (
        "VILLAGE_USE_DECIDED"
    )
    rejected = village.caller("auditor").village_books(VILLAGE_COOP)["uses"][0]
    assert (rejected["status"], rejected["reason"]) == ("rejected", "改由下月支出")


def test_an_id_or_phone_number_typed_into_a_use_is_kept_masked(village):
    li = village.village_coop_operator()
    typed = use("50.00", reference="付 532501199003150021 工资", note="联系 13769347503")
    recorded = li.record_village_use(typed, key())
    assert recorded["reference"] == "付 532501***********1 工资"
    assert recorded["note"] == "联系 137********"
    li.reject_village_use(recorded["use_id"], "本人 532501199003150021 不符", key())
    books = village.caller("auditor").village_books(VILLAGE_COOP)
    text = repr(books)
    assert "532501199003150021" not in text and "13769347503" not in text


def test_bad_uses_are_refused_with_every_field_s_problem(village):
    li = village.village_coop_operator()
    for bad in (
        use("-5.00"), use("0.00"), use("1.005"), use("¥5"), {"use": "banquet", "amount": "5.00",
        "reference": "x"}, use("5.00", "public_works", agent_id="agent-1"),
        use("5.00", period="2026-13"),
    ):  # fmt: skip
        assert refused_code(lambda b=bad: li.record_village_use(b, key())) == "INVALID_INPUT"


def test_who_reads_which_village(village):
    assert village.caller("township_coop_operator").village_books(VILLAGE_COOP)["bank_fen"] == (
        100_000
    )
    assert village.caller("finance").village_books(VILLAGE_COOP)["bank_fen"] == 100_000
    stranger = other_village_operator(village)
    assert refused_code(lambda: stranger.village_books(VILLAGE_COOP)) == "OUT_OF_SCOPE"
    assert stranger.village_books(OTHER_COOP)["bank_fen"] == 0
    assert refused_code(lambda: village.county_admin().village_books("org-hr-company")) == (
        "VILLAGE_NOT_FOUND"
    )
