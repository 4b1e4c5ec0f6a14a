"""settlement's inputs: dispatch's sealed agreement versions and placements and registry's
organisations, each kept at its highest version; an event it cannot read is refused and kept
with the reason, never applied, and never stops the consumer."""

import json
from datetime import date

from settlement.adapters.input_tables import (
    agreement_versions,
    organisations,
    placements,
    refused_inputs,
)
from settlement.inputs.repository import Inputs
from settlement_support import (
    AGREEMENT,
    TOWNSHIP,
    TOWNSHIP_COOP,
    VILLAGE,
    VILLAGE_COOP,
    agreement_event,
    follow_up,
    new_id,
    organisation_event,
    placement_event,
    terms,
)


def test_every_sealed_version_is_kept_and_read_as_rules(settlement):
    settlement.deliver(agreement_event(terms(version=2, effective_from="2026-06-01",
                                             per_placement_fen=40000)))  # fmt: skip
    settlement.deliver(agreement_event(terms()))
    # The same version again (a resync, a redelivery under a new id) changes nothing.
    settlement.deliver(agreement_event(terms(per_placement_fen=1)))
    with settlement.db.reader() as uow:
        rules = Inputs(uow.connection).agreements()
    assert [r.version for r in rules[AGREEMENT]] == [1, 2]
    assert [r.revenue.per_placement_fen for r in rules[AGREEMENT]] == [30000, 40000]
    assert rules[AGREEMENT][1].effective_from == date(2026, 6, 1)
    assert rules[AGREEMENT][0].revenue.shares_bp == {"county": 5000, "township": 2000,
                                                     "village": 3000}  # fmt: skip


def test_malformed_terms_are_refused_without_stopping_the_consumer(settlement):
    bad_shares = terms(shares=(5000, 2000, 2000))
    bad_shares_event = agreement_event(bad_shares)
    missing = terms("a-2")
    del missing["revenue"]
    good = agreement_event(terms("a-3"))
    outcome = settlement.deliver(bad_shares_event, agreement_event(missing), good)
    assert outcome.applied == 3 and outcome.malformed == []
    kept = settlement.rows(agreement_versions)
    assert [row["agreement_id"] for row in kept] == ["a-3"]
    refused = {row["event_id"]: row for row in settlement.rows(refused_inputs)}
    assert set(refused) == {bad_shares_event["event_id"]} | {
        e for e in refused if refused[e]["record_id"] == "a-2"
    }
    assert "MALFORMED_TERMS" in refused[bad_shares_event["event_id"]]["reason"]
    assert "revenue" in next(r["reason"] for r in refused.values() if r["record_id"] == "a-2")
    summary = settlement.county_admin().get_inputs_summary()
    assert summary["agreements"] == 1 and summary["refused_inputs"] == 2
    assert {r["record_id"] for r in summary["latest_refused"]} == {AGREEMENT, "a-2"}


def test_terms_of_another_agreement_or_version_than_the_envelope_are_refused(settlement):
    body = agreement_event(terms())
    body["payload"]["terms"]["version"] = 7
    settlement.deliver(body)
    assert settlement.rows(agreement_versions) == []
    assert "version" in settlement.rows(refused_inputs)[0]["reason"]


def test_a_version_changing_what_no_amendment_changes_is_refused(settlement):
    """An agreement's parties, fund and term are fixed (dispatch_contract FIXED_FIELDS): a
    version naming another HR company or account is another agreement, not an amendment."""
    settlement.deliver(agreement_event(terms()))
    squatter = agreement_event(terms(version=2, effective_from="2026-06-01", hr_company="org-x"))
    account = agreement_event(terms(version=3, effective_from="2026-07-01", bank_account="1"))
    amended = agreement_event(terms(version=4, effective_from="2026-08-01", per_month_fen=6000))
    outcome = settlement.deliver(squatter, account, amended)
    assert outcome.applied == 3
    assert [r["version"] for r in settlement.rows(agreement_versions)] == [1, 4]
    refused = {row["version"]: row["reason"] for row in settlement.rows(refused_inputs)}
    assert set(refused) == {2, 3}
    assert "hr_company" in refused[2] and "bank_account" in refused[3]


def test_only_a_masked_id_number_is_kept_and_in_todays_form(settlement):
    whole, old_form, typed = new_id(), new_id(), new_id()
    settlement.deliver(
        placement_event("placement_started", whole, 1, id_number_masked="532501199003150021"),
        placement_event("placement_started", old_form, 1, id_number_masked="532501********0021"),
        placement_event("placement_started", typed, 1, end_note="电话 13769347503"),
    )
    kept = {row["placement_id"]: row for row in settlement.rows(placements)}
    assert set(kept) == {old_form, typed}
    for row in kept.values():
        assert row["id_number_masked"] == "532501***********1"
        assert json.loads(row["state"])["id_number_masked"] == "532501***********1"
    assert json.loads(kept[typed]["state"])["end_note"] == "电话 137********"
    (refused,) = settlement.rows(refused_inputs)
    assert refused["record_id"] == whole and "id_number_masked" in refused["reason"]
    assert "532501199003150021" not in json.dumps(
        [settlement.rows(placements), settlement.rows(refused_inputs)], default=str
    )


def test_a_placement_keeps_its_highest_version(settlement):
    placement_id = new_id()
    started = placement_event("placement_started", placement_id, 1, agent_id="agent-1",
                              poor=True)  # fmt: skip
    person = started["payload"]["person_id"]
    followed = placement_event("placement_followed_up", placement_id, 2, person_id=person,
                               agent_id="agent-1", poor=True,
                               follow_ups=[follow_up(1)])  # fmt: skip
    ended = placement_event("placement_ended", placement_id, 3, person_id=person,
                            agent_id="agent-1", poor=True, follow_ups=[follow_up(1)],
                            status="ended", ended_on="2026-05-20",
                            end_reason="returned")  # fmt: skip
    # The end arrives first (its own queue); the start and the follow-up, older, change nothing.
    settlement.deliver(ended)
    settlement.deliver(started)
    settlement.deliver(followed)
    (row,) = settlement.rows(placements)
    assert (row["version"], row["status"], row["ended_on"]) == (3, "ended", date(2026, 5, 20))
    assert row["follow_up_months"] == "1"
    assert json.loads(row["state"])["end_reason"] == "returned"
    with settlement.db.reader() as uow:
        placement = Inputs(uow.connection).placement(placement_id)
    assert placement.follow_up_months == frozenset({1})
    assert placement.agent_id == "agent-1" and placement.poor is True
    assert placement.ended_on == date(2026, 5, 20) and placement.starts_on == date(2026, 3, 10)


def test_a_newer_placement_version_replaces_the_older(settlement):
    placement_id = new_id()
    started = placement_event("placement_started", placement_id, 1)
    settlement.deliver(started)
    settlement.deliver(placement_event(
        "placement_followed_up", placement_id, 2, person_id=started["payload"]["person_id"],
        follow_ups=[follow_up(1), follow_up(3, "2026-06-10")],
    ))  # fmt: skip
    # A state of the same version again (a resync) changes nothing.
    settlement.deliver(placement_event("placement_followed_up", placement_id, 2, name="别人"))
    (row,) = settlement.rows(placements)
    assert (row["version"], row["follow_up_months"], row["name"]) == (2, "1,3", "李秀英")


def test_placements_that_do_not_fit_are_refused_and_the_others_applied(settlement):
    good, bad_village, bad_end, other_record = new_id(), new_id(), new_id(), new_id()
    outcome = settlement.deliver(
        placement_event("placement_started", good, 1),
        placement_event("placement_started", bad_village, 1, village_code="53250100120"),
        placement_event("placement_started", bad_end, 1, ended_on="2026-01-01"),
        placement_event("placement_started", other_record, 1) | {"record_id": new_id()},
        # Another publisher's event on this queue: the kit parks it before settlement sees it.
        placement_event("placement_started", new_id(), 1) | {"source": "registry"},
    )
    assert outcome.applied == 4 and len(outcome.malformed) == 1
    assert [row["placement_id"] for row in settlement.rows(placements)] == [good]
    reasons = [row["reason"] for row in settlement.rows(refused_inputs)]
    assert len(reasons) == 3
    assert any("village_code" in r for r in reasons)
    assert any("ended_on" in r for r in reasons)
    assert any("record_id" in r for r in reasons)


def test_placements_are_read_in_pages_as_the_domains(settlement):
    ids = sorted(new_id() for _ in range(7))
    settlement.deliver(*(placement_event("placement_started", i, 1) for i in ids))
    with settlement.db.reader() as uow:
        inputs = Inputs(uow.connection)
        assert [p.placement_id for p in inputs.placements_iter(batch=3)] == ids
        assert list(inputs.placements_iter(batch=3, village_code="532501999999")) == []


def test_organisations_keep_their_highest_version_and_name_the_cooperatives(settlement):
    settlement.directory()
    other = "org-village-202-old"
    settlement.deliver(organisation_event(other, "village_coop", f"{TOWNSHIP}202"))
    settlement.deliver(
        organisation_event(
            other,
            "village_coop",
            f"{TOWNSHIP}202",
            version=2,
            active=False,
            event_type="organisation_changed",
        )
    )
    # A resync's state of an older version changes nothing.
    settlement.deliver(organisation_event(other, "village_coop", f"{TOWNSHIP}202"))
    with settlement.db.reader() as uow:
        inputs = Inputs(uow.connection)
        townships, villages = inputs.cooperatives()
        assert townships == {TOWNSHIP: TOWNSHIP_COOP}
        assert villages == {VILLAGE: VILLAGE_COOP}
        assert inputs.organisation(other)["active"] is False
        assert inputs.organisation(other)["version"] == 2
    assert len(settlement.rows(organisations)) == 5


def test_the_summary_counts_what_settlement_holds(settlement):
    settlement.directory()
    settlement.deliver(agreement_event(terms()))
    settlement.deliver(agreement_event(terms(version=2, effective_from="2026-06-01")))
    active, ended = new_id(), new_id()
    settlement.deliver(placement_event("placement_started", active, 1))
    settlement.deliver(placement_event("placement_ended", ended, 2, status="ended",
                                       ended_on="2026-04-01"))  # fmt: skip
    for reader in (settlement.agent(), settlement.hr_operator(), settlement.caller("auditor")):
        summary = reader.get_inputs_summary()
        assert summary["agreements"] == 1 and summary["agreement_versions"] == 2
        assert summary["placements"] == {"active": 1, "ended": 1}
        assert summary["cooperatives"] == {"county_coop": 1, "township_coop": 1,
                                           "village_coop": 1}  # fmt: skip
        assert summary["organisations"] == 4 and summary["refused_inputs"] == 0


def test_a_redelivered_event_is_applied_once(settlement):
    body = placement_event("placement_started", new_id(), 1)
    assert settlement.deliver(body).applied == 1
    outcome = settlement.deliver(body)
    assert (outcome.applied, outcome.duplicates) == (0, 1)
