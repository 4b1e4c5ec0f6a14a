"""What a placement has earned by a day: service revenue once it lasted the qualifying days and
for each completed month, the policy subsidy for a registered-poor labourer, the agent's reward;
each due on its day, its parts adding up to the fen; a placement without rules is pending."""

from datetime import date

from settlement.domain.items import (
    AGENT_REWARD,
    AGREEMENT_UNKNOWN,
    NO_RULES_IN_FORCE,
    POLICY_SUBSIDY,
    SERVICE_REVENUE,
    Placement,
    placement_items,
)
from settlement.domain.rules import AgreementRules, Revenue, RewardRule, SubsidyRule, SubsidyShare

VILLAGE, TOWNSHIP = "532501101201", "532501101"


def agreement(version=1, effective_from=date(2027, 1, 1), once=30000, days=90, month=5000,
              max_months=12, shares=(5000, 2000, 3000), agreement_id="agr-1"):  # fmt: skip
    share = SubsidyShare(6000, 4000, {"county": 4000, "township": 2000, "village": 4000})
    return AgreementRules(
        agreement_id, version, effective_from, "org-county", "org-hr",
        Revenue(once, days, month, max_months, dict(zip(("county", "township", "village"),
                                                        shares, strict=True))),
        {"policy": share, "employer": share},
    )  # fmt: skip


def placement(starts_on=date(2027, 1, 31), ended_on=None, poor=False, agent_id=None,
              follow_ups=frozenset(), agreement_id="agr-1"):  # fmt: skip
    return Placement(
        "pl-1", 1, agreement_id, "org-hr", "person-1", "张三", "5325**********1234", VILLAGE,
        TOWNSHIP, agent_id, poor, starts_on, ended_on, frozenset(follow_ups),
    )  # fmt: skip


def keys(items):
    return [(i.key, i.due_on) for i in items]


def test_revenue_once_after_the_qualifying_days_and_for_each_completed_month():
    items, pending = placement_items(placement(follow_ups={1}), [agreement()], [], [],
                                     date(2027, 5, 1))  # fmt: skip
    assert pending == []
    assert keys(items) == [
        ("rev:pl-1:once", date(2027, 5, 1)),  # 31 January + 90 days
        ("rev:pl-1:m1", date(2027, 2, 28)),  # clamped to the month's end
        ("rev:pl-1:m2", date(2027, 3, 31)),
        ("rev:pl-1:m3", date(2027, 4, 30)),
    ]
    once, m1 = items[0], items[1]
    assert once.kind == SERVICE_REVENUE and once.amount_fen == 30000
    assert once.parts == {"county": 15000, "township": 6000, "village": 9000}
    assert (once.counterparty_id, once.rule_id, once.rule_version) == ("org-hr", "agr-1", 1)
    assert m1.follow_up_month == 1 and items[2].follow_up_month is None


def test_nothing_is_earned_before_it_is_due_nor_after_the_placement_ended():
    p = placement(ended_on=date(2027, 4, 29))  # one day short of month 3 and of 90 days
    items, _ = placement_items(p, [agreement()], [], [], date(2027, 12, 31))
    assert [i.key for i in items] == ["rev:pl-1:m1", "rev:pl-1:m2"]
    lasted = placement(ended_on=date(2027, 5, 1))  # exactly 90 days: it lasted
    items, _ = placement_items(lasted, [agreement()], [], [], date(2027, 12, 31))
    assert [i.key for i in items] == ["rev:pl-1:once", "rev:pl-1:m1", "rev:pl-1:m2", "rev:pl-1:m3"]
    items, _ = placement_items(placement(), [agreement()], [], [], date(2027, 1, 30))
    assert items == []


def test_months_stop_at_max_months_and_a_zero_amount_is_no_item():
    rules = agreement(once=0, max_months=2)
    items, _ = placement_items(placement(), [rules], [], [], date(2028, 12, 31))
    assert [i.key for i in items] == ["rev:pl-1:m1", "rev:pl-1:m2"]
    unlimited = agreement(max_months=0)
    items, _ = placement_items(placement(), [unlimited], [], [], date(2028, 1, 31))
    assert items[-1].key == "rev:pl-1:m12"


def test_the_version_in_force_on_the_due_date_sets_amount_and_shares():
    later = agreement(version=2, effective_from=date(2027, 3, 15), month=6000,
                      shares=(4000, 3000, 3000))  # fmt: skip
    items, _ = placement_items(placement(), [agreement(), later], [], [], date(2027, 3, 31))
    m1, m2 = items
    assert (m1.amount_fen, m1.rule_version) == (5000, 1)
    assert (m2.amount_fen, m2.rule_version, m2.agreement_version) == (6000, 2, 2)
    assert m2.parts == {"county": 2400, "township": 1800, "village": 1800}


def test_a_placement_of_an_unknown_agreement_or_without_rules_is_pending():
    p = placement(agreement_id="agr-unknown")
    items, pending = placement_items(p, [agreement()], [], [], date(2027, 12, 31))
    assert items == [] and [x.reason for x in pending] == [AGREEMENT_UNKNOWN]
    early = placement(starts_on=date(2026, 11, 30))  # month 1 due before any version
    items, pending = placement_items(early, [agreement()], [], [], date(2027, 12, 31))
    assert items == []
    assert pending[0].reason == NO_RULES_IN_FORCE
    assert pending[0].details == {"agreement_id": "agr-1", "on": "2026-12-30"}


def subsidy_rule(fen=50000, days=30, effective_from=date(2027, 1, 1)):
    return SubsidyRule("sub-1", 1, effective_from, "org-bureau", "县人社局", fen, days)


def test_a_registered_poor_labourers_placement_earns_the_subsidy_shared_twice():
    items, _ = placement_items(placement(poor=True), [agreement(once=0, month=0)], [],
                               [subsidy_rule(fen=50001)], date(2027, 3, 31))  # fmt: skip
    (sub,) = items
    assert (sub.key, sub.kind, sub.due_on) == ("sub:pl-1", POLICY_SUBSIDY, date(2027, 3, 2))
    assert sub.counterparty_id == "org-bureau" and sub.rule_id == "sub-1"
    # 50001 → cooperatives 30001 (remainder .6 beats .4), HR 20000; 30001 → 12001/6000/12000
    assert sub.parts == {"county": 12001, "township": 6000, "village": 12000, "hr_company": 20000}
    assert sum(sub.parts.values()) == 50001
    not_poor, _ = placement_items(placement(), [agreement(once=0, month=0)], [],
                                  [subsidy_rule()], date(2027, 3, 31))  # fmt: skip
    assert not_poor == []


def test_an_agent_is_rewarded_for_a_labourer_still_at_work_after_the_months():
    county = RewardRule("rew-county", 1, date(2027, 1, 1), None, 20000, 3)
    village = RewardRule("rew-village", 1, date(2027, 4, 1), VILLAGE, 30000, 3)
    p = placement(agent_id="agent-1")
    items, _ = placement_items(p, [agreement(once=0, month=0)], [county, village], [],
                               date(2027, 4, 30))  # fmt: skip
    (reward,) = items
    assert (reward.key, reward.kind, reward.due_on) == ("rew:pl-1", AGENT_REWARD, date(2027, 4, 30))
    assert reward.parts == {"agent": 30000} and reward.rule_id == "rew-village"
    assert reward.counterparty_id == "agent-1"
    left = placement(agent_id="agent-1", ended_on=date(2027, 4, 29))
    assert placement_items(left, [agreement(once=0, month=0)], [county], [],
                           date(2027, 12, 31))[0] == []  # fmt: skip
