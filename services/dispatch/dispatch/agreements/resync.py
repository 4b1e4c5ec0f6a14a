"""The resync source of `agreement_sealed` (`sanbao_common.messaging.resync`): every version that
took effect, each agreement's in version order, as the ordinary event carries it (its terms and
both seals' signatures, which is all a consumer trusts; the envelope is new). A consumer keeping
an agreement's highest version takes version 1, then each amendment, as it did the first time."""

from __future__ import annotations

from dispatch.agreements.events import sealed_event
from dispatch.agreements.repository import AgreementRepository
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.resync import ResyncPage


def sealed_versions(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """A page of sealed versions in (agreement id, version) order; the cursor is
    "<agreement id>:<version>" of the last one sent."""
    cursor = None
    if after:
        agreement_id, _, number = after.rpartition(":")
        cursor = (agreement_id, int(number))
    versions = AgreementRepository(uow.connection).sealed_versions(cursor, limit)
    last = versions[-1] if len(versions) == limit else None
    return ResyncPage(
        events=[sealed_event(caller, version) for version in versions],
        records=len(versions),
        after=f"{last.agreement_id}:{last.version}" if last else None,
    )
