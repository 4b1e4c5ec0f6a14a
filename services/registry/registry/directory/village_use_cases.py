"""The village list's use cases: importing townships and villages (added, renamed, given other
names, retired), listing them, and seeding a demonstration stack with the sample list. Each runs
inside the unit of work it is given; the entrypoint commits. Every change is kept in the
directory's history (record kinds `township` and `village`)."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from registry.directory.repository import DirectoryRepository
from registry.directory.villages import Township, Village, plan_import, township_matches
from registry.exceptions import VillagesRejected
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import InvalidInput
from sanbao_common.sample_villages import sample_townships, sample_villages

MAX_TOWNSHIPS = 500  # a county has a few dozen
MAX_VILLAGES = 5000  # and a few hundred villages: one call carries a whole county's list
PROBLEMS_SHOWN = 20
SEEDED_BY = "system:sample-villages"


def _aliases(value):
    if isinstance(value, str):
        return True
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return True
    raise ValidationError("a list of names, or one text separated by ；")


class TownshipEntrySchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True)
    name = fields.String(required=True)
    aliases = fields.Raw(load_default=list, allow_none=True, validate=_aliases)


class VillageEntrySchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True)
    name = fields.String(required=True)
    township = fields.String(load_default=None, allow_none=True)  # the township's name
    aliases = fields.Raw(load_default=list, allow_none=True, validate=_aliases)
    active = fields.Boolean(load_default=True)


class ImportVillagesSchema(Schema):
    townships = fields.List(
        fields.Nested(TownshipEntrySchema), load_default=list,
        validate=validate.Length(max=MAX_TOWNSHIPS),
    )  # fmt: skip
    villages = fields.List(
        fields.Nested(VillageEntrySchema), required=True,
        validate=validate.Length(max=MAX_VILLAGES),
    )  # fmt: skip


def township_state(township: Township) -> dict:
    return {
        "code": township.code,
        "name": township.name,
        "aliases": list(township.aliases),
        "version": township.version,
        "changed_at": township.changed_at.isoformat(),
        "changed_by": township.changed_by,
    }


def village_state(village: Village, township: Township | None = None) -> dict:
    return {
        "code": village.code,
        "township_code": village.township_code,
        "township_name": township.name if township else None,
        "name": village.name,
        "aliases": list(village.aliases),
        "active": village.active,
        "version": village.version,
        "changed_at": village.changed_at.isoformat(),
        "changed_by": village.changed_by,
    }


def import_villages(uow: UnitOfWork, caller: Caller, townships: list, villages: list) -> dict:
    """Apply `townships` and `villages` (entries of `ImportVillagesSchema`, loaded) to the list,
    all or nothing: VillagesRejected names every problem. Entries equal to what is stored change
    nothing, so importing the same file again is harmless."""
    repo = DirectoryRepository(uow.connection)
    repo.lock_village_list()
    plan = plan_import(
        repo.townships(), repo.villages(), townships, villages,
        caller.county, datetime.now(UTC), caller.actor,
    )  # fmt: skip
    if plan.problems:
        shown = plan.problems[:PROBLEMS_SHOWN]
        more = len(plan.problems) - len(shown)
        raise VillagesRejected(
            message_en="; ".join(en for _, en in shown) + (f"; and {more} more" if more else ""),
            message_zh="；".join(zh for zh, _ in shown) + (f"；另有 {more} 处" if more else ""),
        )
    counts = {
        "townships": {"added": 0, "changed": 0, "unchanged": plan.unchanged["townships"]},
        "villages": {
            "added": 0, "changed": 0, "retired": 0, "restored": 0,
            "unchanged": plan.unchanged["villages"],
        },
    }  # fmt: skip
    # Townships first: a village's township is stored before it.
    for kind, action, place in sorted(plan.changes, key=lambda change: len(change[2].code)):
        repo.save_place(place)
        state = township_state(place) if kind == "township" else village_state(place)
        repo.record(kind, place.code, action, state, caller.actor)
        counts[f"{kind}s"][action] += 1
    return counts


def list_villages(uow: UnitOfWork, township: str | None = None, retired: bool = False) -> dict:
    """The townships and their villages (of one township: its code or name), retired ones too
    when asked."""
    repo = DirectoryRepository(uow.connection)
    towns = repo.townships()
    under = None
    if township:
        found = [t for t in towns.values() if t.code == township.strip()] or [
            t for t in towns.values() if township_matches(t, township)
        ]
        if len(found) != 1:
            raise InvalidInput(
                {"township": ["no such township" if not found else "several townships fit"]}
            )
        under = found[0].code
        towns = {under: found[0]}
    places = repo.villages(under)
    return {
        "townships": [township_state(t) for t in towns.values()],
        "villages": [
            village_state(v, towns.get(v.township_code))
            for v in places.values()
            if v.active or retired
        ],
    }


def seed_sample_villages(uow: UnitOfWork, county: str) -> int:
    """The sample list (sanbao_common.sample_villages) for a demonstration or test county whose
    list is empty; the number of villages added (0 when the county has a list already)."""
    repo = DirectoryRepository(uow.connection)
    repo.lock_village_list()
    if repo.villages():
        return 0
    caller = Caller(county, SEEDED_BY, "seed-sample-villages")
    counts = import_villages(uow, caller, sample_townships(county), sample_villages(county))
    return counts["villages"]["added"]
