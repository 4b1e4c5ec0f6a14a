"""The village list's entrypoints: county administrators import it (`directory.manage`); everyone
reads it (`directory.read`: places are the county's directory, like its organisations)."""

from __future__ import annotations

from registry.directory import village_use_cases as places
from registry.parts import RegistryPart
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import load, rpc


class VillageEntrypoints(RegistryPart):
    @rpc(permission="directory.manage")
    def import_villages(
        self, villages: list, idempotency_key: str, townships: list | None = None
    ) -> dict:
        """Add, rename or retire villages (and townships), all or nothing."""
        request = {"villages": villages, "townships": townships or []}
        data, caller = load(places.ImportVillagesSchema(), request), self.context.caller()
        return self._command(
            "import_villages",
            idempotency_key,
            request,
            lambda uow: places.import_villages(uow, caller, data["townships"], data["villages"]),
        )

    @rpc(permission="directory.read")
    def list_villages(self, township: str | None = None, retired: bool = False) -> dict:
        if township is not None and not isinstance(township, str):
            raise InvalidInput({"township": ["a township's code or name"]})
        with self.db.reader() as uow:
            return places.list_villages(uow, township, retired=bool(retired))
