"""Rosters' entrypoints: a township's roster imported in the background and followed by its
status and error report; the caller's area exported in the import template's columns."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

from nameko import config

from registry.exceptions import ImportNotFound
from registry.parts import RegistryPart
from registry.people.replies import criteria_from, iso
from registry.rosters.use_cases import TEXT_COLUMNS, export_headers, export_rows
from registry.rosters.writing import error_report
from registry.settings import configured
from sanbao_common.access import AREA_KINDS
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import rpc
from sanbao_common.spreadsheets import write_table

MAX_ROSTER_BYTES = 64 * 1024 * 1024  # a county's whole roster as XLSX is a few MB


def status_reply(state: dict) -> dict:
    return {
        name: iso(value) if isinstance(value, datetime) else value for name, value in state.items()
    }


class RosterEntrypoints(RegistryPart):
    # -- rosters ---------------------------------------------------------------------------------

    @rpc(permission="labourers.register")
    def start_roster_import(self, filename: str, content_base64: str, idempotency_key: str) -> dict:
        """Stage a township roster (CSV or XLSX): a file that cannot be read is refused now,
        whole; its rows are validated and applied in the background; follow it with
        `roster_import_status`."""
        try:
            data = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InvalidInput({"content_base64": ["not base64"]}) from None
        if len(data) > MAX_ROSTER_BYTES:
            raise InvalidInput({"content_base64": [f"larger than {MAX_ROSTER_BYTES} bytes"]})
        principal, caller = self.access.principal, self.context.caller()
        scope = principal.scope if principal.organisation_kind in AREA_KINDS else config["COUNTY"]
        importer = self.roster_imports.importer()
        staged = []

        def execute(uow):
            roster = importer.read(data, filename)  # refused whole here, if unreadable
            staged.append(roster)
            return status_reply(importer.stage(uow, data, filename, caller, scope, roster))

        request = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
        status = self._command("start_roster_import", idempotency_key, request, execute)
        if status["status"] in ("validating", "applying"):
            roster = staged[0] if staged else None  # a retry has no roster in hand
            self.roster_imports.apply_in_background(status["import_id"], caller, roster)
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
