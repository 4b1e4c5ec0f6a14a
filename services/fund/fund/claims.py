"""No-shows' claims from dispatch's `batch_departed` (`fund.domain.claims`).

Each no-show with a seat leaves one claim on the advance paid for that seat ("<batch_id>/<seat>"),
for what is outstanding on it when the departure is applied, and only on an advance the fund paid
for that batch at dispatch's request ("batch:<batch_id>") on the batch's agreement's account: a
departure cannot name another batch's advance or an amount. A claim is recorded once per
reference (a redelivery, a replay or an older version of the batch changes nothing) and audited
in the chain. A departure the fund cannot read, of an account it does not keep, or of a seat with
nothing outstanding makes no claim: it is logged, and the broker does not retry it.
"""

from __future__ import annotations

import logging

from dispatch_contract.batches import advance_request_key
from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.domain import accounts as a
from fund.domain.claims import Departure, DepartureUnreadable, read_departure
from fund.queries import now
from sanbao_common.context import on_behalf_of
from sanbao_common.db import UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "dispatch"


def apply_departures(uow: UnitOfWork, events, county: str) -> None:
    books = Books(uow.connection)
    books.lock()  # one claim per reference, whatever the number of replicas
    for event in events:
        try:
            departure = read_departure(event.payload, getattr(event, "record_id", None))
        except DepartureUnreadable as why:
            log.warning("batch_departed %s makes no claim: %s", event.event_id, why)
            continue
        account = books.account(departure.account_id)
        if account is None or account.hr_org_id != departure.hr_company:
            log.warning(
                "batch_departed of batch %s makes no claim: no joint account %s of %s",
                departure.batch_id, departure.account_id, departure.hr_company,
            )  # fmt: skip
            continue
        _claim(books, county, event, departure)


def _paid_references(books: Books, county: str, account_id: str, batch_id: str) -> set[str]:
    """The references of the advance the fund paid for the batch at dispatch's request."""
    made = books.fund_request(SOURCE, advance_request_key(batch_id))
    if made is None or made["state"] != "made" or made["account_id"] != account_id:
        return set()
    proposal = books.proposal(made["record_id"], county)
    if proposal is None or proposal.status != a.PAID or proposal.kind != "advance":
        return set()
    return {line.reference for line in proposal.lines if line.reference}


def _claim(books: Books, county: str, event, departure: Departure) -> None:
    account_id = departure.account_id
    known = books.batch_claims(account_id, departure.batch_id)
    if known and departure.version <= max(known.values()):
        return  # claimed from this version or a later one: a replay changes nothing
    paid = _paid_references(books, county, account_id, departure.batch_id)
    outstanding = books.outstanding_advances(account_id)
    caller = on_behalf_of("fund", county, event.actor, event.correlation_id)
    for no_show in departure.no_shows:
        reference = no_show.reference
        if reference in known:
            continue
        amount_fen = outstanding.get(reference, 0) if reference in paid else 0
        if amount_fen <= 0:
            log.info("no-show on %s makes no claim: nothing outstanding on it", reference)
            continue
        row = {
            "account_id": account_id,
            "reference": reference,
            "batch_id": no_show.batch_id,
            "seat": no_show.seat,
            "person_id": no_show.person_id,
            "name": no_show.name,
            "claimed_fen": amount_fen,
            "journal_seq": books.journal_seq(),
            "batch_version": departure.version,
            "event_id": str(event.event_id),
            "recorded_at": now(),
            "recorded_by": caller.actor,
        }
        books.add_claim(row)
        detail = dict(row, recorded_at=row["recorded_at"].isoformat())
        audit(books, caller, "record_advance_claim", account_id, detail)
