"""The county's agents' reward rules and policy subsidy rules: versions with effective dates,
never edited; bad input refused with nothing written; only a county administrator sets them."""

from datetime import date, datetime, timedelta, timezone

import pytest

from sanbao_common import clock
from sanbao_common.access import Forbidden
from sanbao_common.errors import InvalidInput
from settlement.adapters.rule_tables import reward_rules, subsidy_rules
from settlement.rules.errors import RuleNotFound, RuleRejected
from settlement.rules.repository import Rules
from settlement_support import VILLAGE, key

CST = timezone(timedelta(hours=8))
TODAY = date(2026, 9, 15)


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set(datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=CST))


def reward(**changes) -> dict:
    rule = {"village_code": None, "per_labourer": "200.00", "after_months": 3,
            "effective_from": "2026-01-01"}  # fmt: skip
    rule.update(changes)
    return rule


def subsidy(**changes) -> dict:
    rule = {"payer_id": "org-hr-bureau", "payer_name": "个旧市人力资源和社会保障局",
            "per_head": "500.00", "qualifying_days": 90,
            "effective_from": "2026-01-01"}  # fmt: skip
    rule.update(changes)
    return rule


def test_reward_rules_are_versioned_never_edited(settlement):
    admin = settlement.county_admin()
    first = admin.set_reward_rule(reward(), key())
    assert first["version"] == 1 and first["per_labourer_fen"] == 20000
    assert first["per_labourer"] == "200.00" and first["created_by"] == "user:admin"
    second = admin.set_reward_rule(
        reward(rule_id=first["rule_id"], per_labourer="250.00", effective_from="2026-10-01"), key()
    )
    assert (second["rule_id"], second["version"]) == (first["rule_id"], 2)
    village = admin.set_reward_rule(
        reward(village_code=VILLAGE, per_labourer="300", effective_from="2026-11-01"), key()
    )
    listed = admin.list_reward_rules()["rules"]
    assert [(r["rule_id"], r["version"]) for r in listed] == [
        (first["rule_id"], 1), (first["rule_id"], 2), (village["rule_id"], 1),
    ]  # fmt: skip
    assert listed[0] == first  # version 1 as it was
    with settlement.db.reader() as uow:
        domain = Rules(uow.connection).reward_rules()
    assert [(r.version, r.per_labourer_fen, r.village_code) for r in domain] == [
        (1, 20000, None), (2, 25000, None), (1, 30000, VILLAGE),
    ]  # fmt: skip
    assert domain[1].effective_from == date(2026, 10, 1)


def test_the_same_key_answers_the_same_version(settlement):
    admin, same = settlement.county_admin(), key()
    assert admin.set_reward_rule(reward(), same) == admin.set_reward_rule(reward(), same)
    assert len(settlement.rows(reward_rules)) == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"village_code": "532502001201"}, "village_code"),  # another county's village
        ({"village_code": "5325010012"}, "village_code"),
        ({"per_labourer": "-1.00"}, "per_labourer"),
        ({"per_labourer": "¥200"}, "per_labourer"),
        ({"after_months": 0}, "after_months"),
        ({"after_months": 25}, "after_months"),
        ({"after_months": True}, "after_months"),
        ({"effective_from": "2026-02-30"}, "effective_from"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_reward_rules_are_refused_with_nothing_written(settlement, changes, field):
    with pytest.raises((InvalidInput, RuleRejected), match=field):
        settlement.county_admin().set_reward_rule(reward(**changes), key())
    assert settlement.rows(reward_rules) == []


def test_a_later_rule_never_rewrites_the_past(settlement):
    admin = settlement.county_admin()
    first = admin.set_reward_rule(reward(), key())
    for effective_from in ("2026-01-01", "2025-12-01", "2026-09-14"):  # before today: refused
        with pytest.raises(RuleRejected, match="effective_from"):
            admin.set_reward_rule(
                reward(rule_id=first["rule_id"], effective_from=effective_from), key()
            )
        with pytest.raises(RuleRejected, match="effective_from"):  # another rule of the scope
            admin.set_reward_rule(reward(effective_from=effective_from), key())
    with pytest.raises(RuleRejected, match="scope"):
        admin.set_reward_rule(
            reward(rule_id=first["rule_id"], village_code=VILLAGE, effective_from="2026-12-01"),
            key(),
        )
    with pytest.raises(RuleNotFound):
        admin.set_reward_rule(reward(rule_id="no-such-rule"), key())
    assert len(settlement.rows(reward_rules)) == 1
    # Only the county's first reward rule may start on any day: a village's first own rule
    # starts today at the earliest, as does a later version.
    with pytest.raises(RuleRejected, match="effective_from"):
        admin.set_reward_rule(reward(village_code=VILLAGE, effective_from="2026-02-01"), key())
    admin.set_reward_rule(reward(village_code=VILLAGE, effective_from="2026-09-15"), key())
    admin.set_reward_rule(reward(rule_id=first["rule_id"], effective_from="2026-09-15"), key())
    assert len(settlement.rows(reward_rules)) == 3


def test_no_later_rule_takes_effect_in_a_closed_month(settlement):
    """A closed month stands: with 2026-10 closed (a clock set back, a late correction), no
    rule takes effect before 2026-11-01: not a later version, not a village's first own rule,
    and not the county's very first rule of its kind either."""
    from settlement.adapters.period_tables import periods

    admin = settlement.county_admin()
    first = admin.set_reward_rule(reward(), key())
    with settlement.db.unit_of_work() as uow:
        uow.connection.execute(
            periods.insert().values(
                period="2026-10", status="closed", runs=1, last_run_at=datetime.now(CST),
                last_run_by="user:coop", through=date(2026, 10, 31), total_fen=0, rows=0,
                pending="[]", deferred="[]",
            )
        )  # fmt: skip
        uow.commit()
    for changes in (
        {"rule_id": first["rule_id"], "effective_from": "2026-10-31"},
        {"village_code": VILLAGE, "effective_from": "2026-09-15"},
    ):
        with pytest.raises(RuleRejected, match="closed"):
            admin.set_reward_rule(reward(**changes), key())
    admin.set_reward_rule(reward(village_code=VILLAGE, effective_from="2026-11-01"), key())
    for effective_from in ("2026-01-01", "2026-10-31"):  # the county's very first subsidy rule
        with pytest.raises(RuleRejected, match="closed"):
            admin.set_subsidy_rule(subsidy(effective_from=effective_from), key())
    assert settlement.rows(subsidy_rules) == []
    subsidy_first = admin.set_subsidy_rule(subsidy(effective_from="2026-11-01"), key())
    with pytest.raises(RuleRejected, match="closed"):
        admin.set_subsidy_rule(
            subsidy(rule_id=subsidy_first["rule_id"], effective_from="2026-10-01"), key()
        )
    assert len(settlement.rows(reward_rules)) == 2 and len(settlement.rows(subsidy_rules)) == 1


def test_subsidy_rules_are_versioned(settlement):
    admin = settlement.county_admin()
    first = admin.set_subsidy_rule(subsidy(), key())
    assert (first["per_head_fen"], first["qualifying_days"], first["version"]) == (50000, 90, 1)
    second = admin.set_subsidy_rule(
        subsidy(rule_id=first["rule_id"], per_head="600", effective_from="2027-01-01"), key()
    )
    assert second["version"] == 2 and second["payer_name"] == "个旧市人力资源和社会保障局"
    with pytest.raises(RuleRejected, match="effective_from"):
        admin.set_subsidy_rule(subsidy(effective_from="2026-12-31"), key())
    listed = settlement.caller("auditor").list_subsidy_rules()["rules"]
    assert [r["version"] for r in listed] == [1, 2]
    with settlement.db.reader() as uow:
        domain = Rules(uow.connection).subsidy_rules()
    assert [(r.per_head_fen, r.effective_from) for r in domain] == [
        (50000, date(2026, 1, 1)), (60000, date(2027, 1, 1)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"payer_id": ""}, "payer_id"),
        ({"payer_id": "x" * 37}, "payer_id"),
        ({"payer_name": "局"}, "payer_name"),
        ({"per_head": "abc"}, "per_head"),
        ({"qualifying_days": -1}, "qualifying_days"),
        ({"qualifying_days": 3661}, "qualifying_days"),
        ({"effective_from": None}, "effective_from"),
    ],
)
def test_bad_subsidy_rules_are_refused_with_nothing_written(settlement, changes, field):
    with pytest.raises(InvalidInput, match=field):
        settlement.county_admin().set_subsidy_rule(subsidy(**changes), key())
    assert settlement.rows(subsidy_rules) == []


@pytest.mark.parametrize(
    "caller", ["hr_operator", "agent", "county_coop_operator", "village_coop_operator", "auditor"]
)
def test_only_a_county_administrator_sets_rules(settlement, caller):
    worker = settlement.caller(caller)
    with pytest.raises(Forbidden):
        worker.set_reward_rule(reward(), key())
    with pytest.raises(Forbidden):
        worker.set_subsidy_rule(subsidy(), key())
    assert settlement.rows(reward_rules) == [] and settlement.rows(subsidy_rules) == []
    assert worker.list_reward_rules() == {"rules": []}
