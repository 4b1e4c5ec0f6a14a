"""The county's witness keeps only checkpoints the fund's pinned key signed: a forged checkpoint
kept first would stand for ever (a checkpoint is never replaced) and hide a rewritten history."""

from types import SimpleNamespace

from registry.witness import use_cases as witness
from sanbao_common.checkpoints import checkpoint_statement
from sanbao_common.crypto import new_signing_key, public_key_text, sign, statement_bytes

COUNTY = "532501"


def checkpoint(key, seq=7, head="ab" * 32, claimed_key=None):
    statement = checkpoint_statement(seq, head, "2026-11-30T03:00:00+00:00", COUNTY)
    payload = dict(
        statement,
        signature=sign(key, statement_bytes(statement)),
        public_key=claimed_key or public_key_text(key),
    )
    return SimpleNamespace(source="fund", payload=payload)


def kept(db):
    with db.reader() as uow:
        return [(c["seq"], c["hash"]) for c in witness.checkpoints(uow, "fund")]


def test_only_checkpoints_signed_by_the_pinned_fund_key_are_kept(db):
    fund_key, attacker = new_signing_key(), new_signing_key()
    pinned = public_key_text(fund_key)
    forged = [
        checkpoint(attacker, head="00" * 32),  # the attacker's own key, announced as such
        checkpoint(attacker, head="11" * 32, claimed_key=pinned),  # claiming the fund's key
    ]
    with db.unit_of_work() as uow:
        witness.keep(uow, forged, pinned, COUNTY)
        uow.commit()
    assert kept(db) == []
    # The genuine checkpoint of the same record is still taken: nothing forged got there first.
    with db.unit_of_work() as uow:
        witness.keep(uow, [checkpoint(fund_key)], pinned, COUNTY)
        uow.commit()
    assert kept(db) == [(7, "ab" * 32)]


def test_without_a_pinned_key_nothing_is_kept(db):
    with db.unit_of_work() as uow:
        witness.keep(uow, [checkpoint(new_signing_key())], "", COUNTY)
        uow.commit()
    assert kept(db) == []
