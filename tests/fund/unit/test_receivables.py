"""The income side's rules, without a database (fund.domain.receivables): who may owe which kind
of income, which receivables a bank credit pays and in what order, and how its amount is split
over them: never more than a receivable still owes, nothing lost, oldest (or as named) first."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fund.domain.receivables import (
    OPEN,
    PAID,
    Receivable,
    allocate,
    check_receivable,
    same_request,
    to_pay,
)
from fund.exceptions import ReceivableRejected
from fund_contract.requests import PAYS_NOTHING, PAYS_OLDEST_FIRST

ACCOUNT, HR = "acct-gejiu-1", "org-hr-company"
PARTIES = ("org-county-coop", HR)  # the county cooperative and the HR company
BUREAU, EMPLOYER = "org-gejiu-hrss", "emp-zhongshan-fusheng"
OWER = {
    "service_revenue": (HR, "hr_company", "红河人力资源服务有限公司"),
    "policy_subsidy": (BUREAU, "bureau", "个旧市人力资源和社会保障局"),
    "employer_subsidy": (EMPLOYER, "employer", "中山市富盛电子有限公司"),
}


def owed(
    n: int, amount_fen: int, paid_fen: int = 0, kind: str = "service_revenue", payer=None
) -> Receivable:
    counterparty_id, counterparty_kind, name = OWER[kind]
    return Receivable(
        receivable_id=f"r-{n}",
        account_id=ACCOUNT,
        kind=kind,
        period=f"2026-{n:02d}",
        counterparty_id=payer or counterparty_id,
        counterparty_kind=counterparty_kind,
        counterparty_name=name,
        statement_ref=f"个旧劳务结算〔2026〕{n}号",
        amount_fen=amount_fen,
        paid_fen=paid_fen,
        basis="on_receipt",
        requested_by="rpc",
        recorded_at=datetime(2026, 3, 1, tzinfo=UTC),
        recorded_by="user:li.fin",
        seq=n,
    )


def request(of: str = "service_revenue", **changes) -> dict:
    counterparty_id, counterparty_kind, name = OWER[of]
    data = {
        "account_id": ACCOUNT,
        "kind": of,
        "period": "2026-03",
        "counterparty_id": counterparty_id,
        "counterparty_kind": counterparty_kind,
        "counterparty_name": name,
        "statement_ref": "个旧劳务结算〔2026〕3号",
        "amount_fen": 2_000_000,
    }
    return dict(data, **changes)


# -- a receivable -------------------------------------------------------------------------------


def test_a_receivable_is_open_until_paid_in_full():
    first = owed(1, 30_000)
    assert (first.open_fen, first.status) == (30_000, OPEN)
    part = first.paid(10_000)
    assert (part.paid_fen, part.open_fen, part.status, part.version) == (10_000, 20_000, OPEN, 2)
    whole = part.paid(20_000)
    assert (whole.open_fen, whole.status, whole.version) == (0, PAID, 3)
    assert first.paid_fen == 0  # a receivable is a value: paying makes a new one
    assert whole.key == first.key == (
        ACCOUNT, "service_revenue", "2026-01", HR, "个旧劳务结算〔2026〕1号"
    )  # fmt: skip


@pytest.mark.parametrize("kind", sorted(OWER))
def test_each_kind_is_owed_by_its_own_kind_of_counterparty(kind):
    check_receivable(request(kind), PARTIES)
    for other in OWER:
        if other != kind:
            with pytest.raises(ReceivableRejected) as refused:
                check_receivable(request(kind, counterparty_kind=OWER[other][1]), PARTIES)
            assert refused.value.details["field"] == "counterparty_kind"


def test_service_revenue_is_owed_by_the_accounts_own_hr_company_only():
    with pytest.raises(ReceivableRejected) as refused:
        check_receivable(request(counterparty_id="org-other-hr-company"), PARTIES)
    assert refused.value.details["field"] == "counterparty_id"
    check_receivable(request("policy_subsidy", counterparty_id="org-honghe-hrss"), PARTIES)


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("kind", ["policy_subsidy", "employer_subsidy"])
def test_no_party_owes_a_subsidy_so_no_partys_credit_can_pay_one(kind, party):
    """The HR company recorded as the "bureau" of a subsidy would have its service revenue
    overpayment (its credit) turned into subsidy income."""
    with pytest.raises(ReceivableRejected) as refused:
        check_receivable(request(kind, counterparty_id=party), PARTIES)
    assert refused.value.details["field"] == "counterparty_id"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "principal_deposit"}, "kind"),
        ({"kind": None}, "kind"),
        ({"counterparty_kind": "village_coop"}, "counterparty_kind"),
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": -100}, "amount_fen"),
        ({"amount_fen": 100.0}, "amount_fen"),
        ({"amount_fen": "100"}, "amount_fen"),
        ({"amount_fen": True}, "amount_fen"),
        ({"period": ""}, "period"),
        ({"period": "   "}, "period"),
        ({"period": "2026-03" * 3}, "period"),
        ({"counterparty_name": None}, "counterparty_name"),
        ({"statement_ref": "号" * 101}, "statement_ref"),
    ],
)
def test_a_receivable_that_is_not_whole_is_refused(changes, field):
    with pytest.raises(ReceivableRejected) as refused:
        check_receivable(request(**changes), PARTIES)
    assert refused.value.details["field"] == field


def test_asking_again_is_the_same_request_only_with_the_same_amount_and_counterparty_kind():
    recorded = owed(3, 2_000_000)
    assert same_request(recorded, request(counterparty_name="红河人力"))  # a name is not the key
    assert not same_request(recorded, request(amount_fen=2_000_001))
    assert not same_request(recorded, request(counterparty_kind="bureau"))


# -- what a credit pays -------------------------------------------------------------------------


def test_nothing_and_oldest_first():
    mine = [owed(1, 100), owed(2, 200)]
    assert to_pay(PAYS_NOTHING, "service_revenue", HR, [], mine) == []
    assert to_pay(PAYS_OLDEST_FIRST, "service_revenue", HR, [], mine) == mine


def test_named_receivables_are_paid_in_the_order_named():
    first, second, third = owed(1, 100), owed(2, 200), owed(3, 300)
    named = [third, first, second]
    assert to_pay(["r-3", "r-1", "r-2"], "service_revenue", HR, named, []) == named


@pytest.mark.parametrize(
    "named, why",
    [
        ([owed(1, 100), None], "not one of this account's"),
        ([owed(1, 100), owed(1, 100)], "named twice"),
        ([owed(1, 100, kind="policy_subsidy")], "its own kind"),
        ([owed(1, 100, payer="org-other-hr-company")], "owed by its payer"),
        ([owed(1, 100, paid_fen=100)], "already paid"),
    ],
)
def test_a_credit_names_only_open_receivables_of_its_kind_and_payer_once(named, why):
    with pytest.raises(ReceivableRejected, match=why):
        to_pay([f"r-{n}" for n in range(len(named))], "service_revenue", HR, named, [])


def test_allocation_pays_in_order_each_at_most_what_it_owes_and_leaves_the_rest():
    first, second, third = owed(1, 300, paid_fen=100), owed(2, 500), owed(3, 400)
    taken, left = allocate(450, [first, second, third])
    assert [(r.receivable_id, part) for r, part in taken] == [("r-1", 200), ("r-2", 250)]
    assert left == 0
    taken, left = allocate(1_500, [first, second, third])  # more than everything owed
    assert [part for _, part in taken] == [200, 500, 400] and left == 400
    assert allocate(700, []) == ([], 700)
    paid_already = owed(4, 50, paid_fen=50)
    assert allocate(10, [paid_already, third]) == ([(third, 10)], 0)  # a paid one takes nothing


# -- properties ---------------------------------------------------------------------------------


@st.composite
def receivables(draw):
    """The payer's receivables as they stand: any amounts, some paid in part or in full."""
    found = []
    for n in range(draw(st.integers(min_value=0, max_value=8))):
        amount = draw(st.integers(min_value=1, max_value=10**10))
        paid = draw(st.one_of(st.just(0), st.just(amount), st.integers(0, amount)))
        found.append(owed(n + 1, amount, paid_fen=paid))
    return found


AMOUNTS = st.integers(min_value=0, max_value=10**11)


@given(AMOUNTS, receivables())
def test_allocation_never_takes_more_than_a_receivable_owes_and_loses_nothing(amount, owing):
    taken, left = allocate(amount, owing)
    for receivable, part in taken:
        assert 0 < part <= receivable.open_fen
    assert sum(part for _, part in taken) + left == amount
    assert left >= 0
    # Everything owed is paid before anything is left over.
    assert sum(part for _, part in taken) == min(amount, sum(r.open_fen for r in owing))


@given(AMOUNTS, receivables())
def test_allocation_respects_the_order_it_is_given(amount, owing):
    taken, left = allocate(amount, owing)
    ids = [r.receivable_id for r, _ in taken]
    assert len(set(ids)) == len(ids)
    order = [r.receivable_id for r in owing]
    assert ids == [x for x in order if x in ids]  # in the order given
    if not taken:
        return
    # Every receivable before the last one paid, that still owed anything, is paid in full: a
    # later one is never paid while an earlier one is still open.
    last = order.index(ids[-1])
    parts = dict(zip(ids, (part for _, part in taken), strict=True))
    for receivable in owing[:last]:
        if receivable.open_fen > 0:
            assert parts[receivable.receivable_id] == receivable.open_fen
    if left:
        assert all(parts.get(r.receivable_id, 0) == r.open_fen for r in owing)


@given(st.permutations(range(1, 7)), st.integers(min_value=0, max_value=3_000))
def test_named_receivables_are_paid_in_whatever_order_they_are_named(order, amount):
    named = [owed(n, 100 * n) for n in order]
    paying = to_pay([r.receivable_id for r in named], "service_revenue", HR, named, [])
    taken, left = allocate(amount, paying)
    assert [r.receivable_id for r, _ in taken] == [r.receivable_id for r in named][: len(taken)]
    assert sum(part for _, part in taken) + left == amount
