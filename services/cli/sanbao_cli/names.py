"""Organisations by name where the services reply with their ids (who signed, who is waiting
for whom): read once per command from registry's directory, which everyone signed in may read."""

from __future__ import annotations

from sanbao_cli.client import CliError


class OrgNames:
    """org id -> "name", for a table; an id the directory does not know stays the id."""

    def __init__(self, session):
        self._session = session
        self._names: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._names is None:
            try:
                found = self._session.stack.call("registry", "list_organisations", None, None)
                self._names = {o["org_id"]: o["name"] for o in found}
            except CliError:  # the ids still say who; the table is not worth failing for
                self._names = {}
        return self._names

    def __call__(self, org_id: str | None) -> str:
        if not org_id:
            return ""
        return self._load().get(org_id, org_id)

    def all(self, org_ids) -> str:
        """Several organisations as one cell."""
        return ", ".join(self(org_id) for org_id in org_ids or [])
