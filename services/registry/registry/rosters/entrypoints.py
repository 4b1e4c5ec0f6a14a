"""Rosters' entrypoints: a township's roster imported in the background and followed by its
status and error report; the caller's area exported in the import template's columns."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime

from nameko import config

from registry.exceptions import ImportNotFound
from registry.hiring.visibility import people_of_company
from registry.parts import RegistryPart
from registry.people.domain import RowProblem
from registry.people.replies import criteria_from, iso
from registry.people.villages import VillageBook
from registry.rosters import conflicts, uploads
from registry.rosters.dry_run import dry_run
from registry.rosters.exporting import TEXT_COLUMNS, export_headers, export_rows
from registry.rosters.validation import check_ignore_columns, not_let_go, refuse_unread, unread
from registry.rosters.writing import error_report
from registry.settings import configured
from registry_contract.rosters import ROSTER_PART_BYTES
from sanbao_common.access import AREA_KINDS, OutOfScope
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import rpc
from sanbao_common.spreadsheets import write_table

# A file small enough for one request may come whole in `start_roster_import`; a larger one
# comes in parts (`upload_roster_part`, registry_contract.rosters), up to MAX_ROSTER_BYTES.
_MAX_BASE64 = 4 * -(-ROSTER_PART_BYTES // 3)
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class _NotRead(Exception):
    """A retry's stored reply was gone (expired) when its command ran: the file must be read."""


def _decoded(content_base64) -> bytes:
    """A file, or a part of one, from its base64: at most ROSTER_PART_BYTES."""
    limit = f"larger than {ROSTER_PART_BYTES} bytes: send it in parts (upload_roster_part)"
    if isinstance(content_base64, str) and len(content_base64) > _MAX_BASE64:
        raise InvalidInput({"content_base64": [limit]})
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise InvalidInput({"content_base64": ["not base64"]}) from None
    if not data or len(data) > ROSTER_PART_BYTES:
        raise InvalidInput({"content_base64": [limit if data else "empty"]})
    return data


def _township(township) -> str | None:
    if township is None:
        return None
    if not isinstance(township, str) or not 0 < len(township.strip()) <= 40:
        raise InvalidInput({"township": ["a township's name or code, 1 to 40 characters"]})
    return township.strip()


def status_reply(state: dict) -> dict:
    return {
        name: iso(value) if isinstance(value, datetime) else value for name, value in state.items()
    }


class RosterEntrypoints(RegistryPart):
    # -- rosters ---------------------------------------------------------------------------------

    @rpc(permission="labourers.register")
    def upload_roster_part(self, upload_id: str, part: int, content_base64: str) -> dict:
        """Part `part` (from 0) of a roster file, at most ROSTER_PART_BYTES, kept (sealed) for
        `start_roster_import`; sending a part again changes nothing."""
        if not isinstance(upload_id, str) or not _UPLOAD_ID.match(upload_id):
            raise InvalidInput({"upload_id": ["8 to 128 letters, digits, '.', '_', ':' or '-'"]})
        if not isinstance(part, int) or isinstance(part, bool):
            raise InvalidInput({"part": ["a whole number"]})
        data = _decoded(content_base64)
        with self.db.unit_of_work() as uow:
            reply = uploads.store_part(
                uow.connection, self.data_key, upload_id, part, data,
                self.context.caller().actor, datetime.now(UTC),
            )  # fmt: skip
            uow.commit()
        return reply

    @rpc(permission="labourers.register")
    def start_roster_import(
        self,
        filename: str,
        content_base64: str | None,
        idempotency_key: str,
        upload_id: str | None = None,
        sha256: str | None = None,
        dry_run: bool = False,
        ignore_columns: list | None = None,
        township: str | None = None,
    ) -> dict:
        """Stage a township roster (CSV, XLSX or XLS), given whole in `content_base64` (at most
        ROSTER_PART_BYTES) or as the parts of `upload_id` with the whole file's `sha256`: a file
        that cannot be read is refused now, whole, and so is one whose unread columns look like
        data to keep unless `ignore_columns` names their headers; its rows are validated and
        applied in the background (`township`, a name or code, for rows that name none); follow
        it with `roster_import_status`. With `dry_run`, the summary of what the import would
        do, and nothing written (`registry.rosters.dry_run`)."""
        ignore_columns = check_ignore_columns(ignore_columns)
        township = _township(township)
        if not isinstance(dry_run, bool):
            raise InvalidInput({"dry_run": ["true or false"]})
        principal, caller = self.access.principal, self.context.caller()
        scope = principal.scope if principal.organisation_kind in AREA_KINDS else config["COUNTY"]
        if township is not None:
            self._known_township(township, scope)
        data = self._roster_file(content_base64, upload_id, sha256, caller.actor)
        importer = self.roster_imports.importer()
        if dry_run:
            return self._dry_run(
                importer, data, filename, upload_id, caller, scope, township, ignore_columns
            )
        # The file is read before the command's transaction opens: reading takes seconds (a
        # minute for a county's workbook), and SQLite lets one writer in at a time. A retry
        # whose reply is stored gets it without the file being read again.
        staged = {"roster": None}

        def checked_read():
            roster = importer.read(data, filename)  # refused whole here, if unreadable
            refuse_unread(not_let_go(unread(roster)[0], ignore_columns))
            return roster

        if not importer.answered(idempotency_key):
            staged["roster"] = checked_read()

        def execute(uow):
            if staged["roster"] is None:
                raise _NotRead()
            if upload_id is not None:
                uploads.discard(uow.connection, upload_id)
            roster = staged["roster"]
            return status_reply(
                importer.stage(uow, data, filename, caller, scope, roster, township=township)
            )

        request = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
        # Options only when given: the digest of a request stored without them stays the same.
        request |= {"ignore_columns": ignore_columns} if ignore_columns else {}
        request |= {"township": township} if township else {}
        try:
            status = self._command("start_roster_import", idempotency_key, request, execute)
        except _NotRead:
            staged["roster"] = checked_read()
            status = self._command("start_roster_import", idempotency_key, request, execute)
        if status["status"] in ("validating", "applying"):
            # A retry has no roster in hand: the import reads its stored file, if it must.
            self.roster_imports.apply_in_background(status["import_id"], caller, staged["roster"])
        return status

    def _known_township(self, township: str, scope: str) -> None:
        """The `township` option names one township of the importer's area, or the request is
        refused before the file is read (else every row that names no township would be)."""
        with self.db.reader() as uow:
            villages = VillageBook.load(uow.connection, scope)
        try:
            villages.township(township)
        except RowProblem as problem:
            raise InvalidInput({"township": [problem.reason_en]}) from None

    def _roster_file(self, content_base64, upload_id, sha256, actor: str) -> bytes:
        if upload_id is None:
            return _decoded(content_base64)
        if content_base64:
            raise InvalidInput({"content_base64": ["give the file or an upload id, not both"]})
        with self.db.reader() as uow:
            return uploads.whole_file(uow.connection, self.data_key, upload_id, sha256, actor)

    def _dry_run(
        self, importer, data, filename, upload_id, caller, scope, township, ignore_columns
    ) -> dict:
        """A dry run's summary. Not keyed (it changes nothing: a retry runs it again); an
        upload it read is discarded, as an import's is, so dry runs leave no uploads open."""
        roster = importer.read(data, filename)
        reply = dry_run(
            importer, roster, filename, caller, scope, township, ignore_columns,
            sha256=hashlib.sha256(data).hexdigest(),
        )  # fmt: skip
        if upload_id is not None:
            with self.db.unit_of_work() as uow:
                uploads.discard(uow.connection, upload_id)
                uow.commit()
        return reply

    def _import_state(self, import_id: str) -> dict:
        """An import, for a caller whose area covers the importer's."""
        state = self.roster_imports.importer().status(import_id)
        if not self.access.principal.covers(state["scope"].split("-")[0]):
            raise ImportNotFound(import_id=import_id)
        return state

    @rpc(permission="labourers.register")
    def roster_import_status(self, import_id: str) -> dict:
        return status_reply(self._import_state(import_id))

    @rpc(permission="labourers.register")
    def roster_import_errors(self, import_id: str, format: str = "xlsx") -> dict:
        """The refused rows as a file the operator opens in Excel: row, column, reason."""
        if format not in ("csv", "xlsx"):
            raise InvalidInput({"format": ["csv or xlsx"]})
        self._import_state(import_id)
        errors = self.roster_imports.importer().errors(import_id)
        content = error_report(
            format, [(e["row_number"], e["column"], e["reason"], e["sheet"]) for e in errors]
        )
        return {"rows": len(errors), "content_base64": base64.b64encode(content).decode()}

    # -- identity conflicts ------------------------------------------------------------------

    def _county_level(self) -> None:
        """Held rows are the county's to confirm or reject: they name people of any township."""
        principal = self.access.principal
        if principal.organisation_kind not in AREA_KINDS or principal.scope != config["COUNTY"]:
            raise OutOfScope(
                message_en="held roster rows are confirmed or rejected by the county's users",
                message_zh="暂缓的花名册行由县级用户确认或驳回",
            )

    @rpc(permission="labourers.register")
    def list_roster_conflicts(self, status: str | None = "held", limit: int = 100) -> list:
        """Roster rows held as identity conflicts (or those confirmed or rejected), oldest
        first: the stored and the new name and village, what would change, the ID number as
        the caller's role allows. County-level users only."""
        self._county_level()
        if status is not None and status not in conflicts.STATUSES:
            raise InvalidInput({"status": [", ".join(conflicts.STATUSES) + " or null (all)"]})
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise InvalidInput({"limit": ["1 to 1000"]})
        with self.db.reader() as uow:
            return conflicts.list_conflicts(
                uow.connection, self.data_key, self.access.principal, status, limit
            )

    @rpc(permission="labourers.register")
    def resolve_roster_conflict(
        self, conflict_id: str, decision: str, idempotency_key: str
    ) -> dict:
        """Confirm a held row (`confirm`: applied now, as the caller, unless the person changed
        since it was held) or reject it (`reject`: dropped); County-level users only. A retry
        with the same key gets ids and status only: the row is gone (`conflicts.kept`)."""
        self._county_level()
        principal, caller = self.access.principal, self.context.caller()

        def execute(uow):
            return conflicts.resolve(
                uow, self.data_key, principal.scope, caller, conflict_id, decision
            )

        request = {"conflict_id": conflict_id, "decision": decision}
        reply = self._command(
            "resolve_roster_conflict", idempotency_key, request, execute, stored=conflicts.kept
        )
        return conflicts.reveal(dict(reply), self.data_key, principal)

    @rpc(permission="labourers.read")
    def export_labourers(self, filters: dict | None = None, format: str = "xlsx") -> dict:
        """The caller's area (or part of it) as a roster file in the import template's columns;
        ID numbers and phones unmasked only where the caller's role and area allow."""
        if format not in ("csv", "xlsx"):
            raise InvalidInput({"format": ["csv or xlsx"]})
        criteria = criteria_from(filters or {}, self.access, configured()["STALE_AFTER_DAYS"])
        principal = self.access.principal
        with self.db.reader() as uow:
            rows, count = export_rows(
                uow,
                criteria,
                self.data_key,
                principal.sees_unmasked,
                people_of_company(uow, principal),
            )
            content = write_table(format, export_headers(), rows, text_columns=TEXT_COLUMNS)
        return {"rows": count, "content_base64": base64.b64encode(content).decode()}
