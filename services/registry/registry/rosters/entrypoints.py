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
from registry.parts import RegistryPart
from registry.people.replies import criteria_from, iso
from registry.rosters import uploads
from registry.rosters.use_cases import TEXT_COLUMNS, export_headers, export_rows
from registry.rosters.writing import error_report
from registry.settings import configured
from registry_contract.rosters import ROSTER_PART_BYTES
from sanbao_common.access import AREA_KINDS
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
    ) -> dict:
        """Stage a township roster (CSV or XLSX), given whole in `content_base64` (at most
        ROSTER_PART_BYTES) or as the parts of `upload_id` with the whole file's `sha256`: a file
        that cannot be read is refused now, whole; its rows are validated and applied in the
        background; follow it with `roster_import_status`."""
        principal, caller = self.access.principal, self.context.caller()
        if upload_id is None:
            data = _decoded(content_base64)
        elif content_base64:
            raise InvalidInput({"content_base64": ["give the file or an upload id, not both"]})
        else:
            with self.db.reader() as uow:
                data = uploads.whole_file(
                    uow.connection, self.data_key, upload_id, sha256, caller.actor
                )
        scope = principal.scope if principal.organisation_kind in AREA_KINDS else config["COUNTY"]
        importer = self.roster_imports.importer()
        # The file is read before the command's transaction opens: reading takes seconds (a
        # minute for a county's workbook), and SQLite lets one writer in at a time. A retry
        # whose reply is stored gets it without the file being read again.
        staged = {"roster": None}
        if not importer.answered(idempotency_key):
            staged["roster"] = importer.read(data, filename)  # refused whole here, if unreadable

        def execute(uow):
            if staged["roster"] is None:
                raise _NotRead()
            if upload_id is not None:
                uploads.discard(uow.connection, upload_id)
            roster = staged["roster"]
            return status_reply(importer.stage(uow, data, filename, caller, scope, roster))

        request = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
        try:
            status = self._command("start_roster_import", idempotency_key, request, execute)
        except _NotRead:
            staged["roster"] = importer.read(data, filename)
            status = self._command("start_roster_import", idempotency_key, request, execute)
        if status["status"] in ("validating", "applying"):
            # A retry has no roster in hand: the import reads its stored file, if it must.
            self.roster_imports.apply_in_background(status["import_id"], caller, staged["roster"])
        return status

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
            format, [(e["row_number"], e["column"], e["reason"]) for e in errors]
        )
        return {"rows": len(errors), "content_base64": base64.b64encode(content).decode()}

    @rpc(permission="labourers.read")
    def export_labourers(self, filters: dict | None = None, format: str = "xlsx") -> dict:
        """The caller's area (or part of it) as a roster file in the import template's columns;
        ID numbers and phones unmasked only where the caller's role and area allow."""
        if format not in ("csv", "xlsx"):
            raise InvalidInput({"format": ["csv or xlsx"]})
        criteria = criteria_from(filters or {}, self.access, configured()["STALE_AFTER_DAYS"])
        with self.db.reader() as uow:
            rows, count = export_rows(
                uow, criteria, self.data_key, self.access.principal.sees_unmasked
            )
            content = write_table(format, export_headers(), rows, text_columns=TEXT_COLUMNS)
        return {"rows": count, "content_base64": base64.b64encode(content).decode()}
