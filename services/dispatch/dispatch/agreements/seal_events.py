"""Seals confirmed or revoked in the directory, as dispatch keeps them: each verified here against
the pinned registrar keys (`sanbao_common.seal_book`), never taken on registry's word. A draft
naming a seal no longer in effect can no longer be sealed (use_cases.seal_agreement)."""

from __future__ import annotations

import logging

from dispatch.agreements.repository import AgreementRepository
from sanbao_common.db import UnitOfWork
from sanbao_common.seal_book import apply_seal_event

log = logging.getLogger(__name__)


def apply_seal_events(uow: UnitOfWork, events, county: str, registrar_keys: dict) -> None:
    repository = AgreementRepository(uow.connection)
    repository.lock()
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        applied = apply_seal_event(
            repository.seal_book, event.type, payload, county, registrar_keys
        )
        if applied is not True:
            log.warning(
                "%s of seal %s ignored: %s", event.type, payload.get("fingerprint"), applied
            )
