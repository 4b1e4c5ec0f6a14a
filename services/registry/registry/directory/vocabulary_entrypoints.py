"""The vocabularies' entrypoints (industries, skills): county administrators import changes
(`directory.manage`); everyone reads them (`directory.read`, like the village list)."""

from __future__ import annotations

from registry.directory import vocabulary_use_cases as vocabulary
from registry.parts import RegistryPart
from registry_contract.industries_and_skills import VOCABULARY_KINDS
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import load, rpc


class VocabularyEntrypoints(RegistryPart):
    @rpc(permission="directory.manage")
    def import_vocabulary(self, kind: str, terms: list, idempotency_key: str) -> dict:
        """Add, rename, give other words to or retire terms of one vocabulary, all or nothing."""
        request = {"kind": kind, "terms": terms}
        data, caller = load(vocabulary.ImportVocabularySchema(), request), self.context.caller()
        return self._command(
            "import_vocabulary",
            idempotency_key,
            request,
            lambda uow: vocabulary.import_vocabulary(uow, caller, data["kind"], data["terms"]),
        )

    @rpc(permission="directory.read")
    def list_vocabulary(self, kind: str, retired: bool = False) -> dict:
        if kind not in VOCABULARY_KINDS:
            raise InvalidInput({"kind": [f"one of {', '.join(VOCABULARY_KINDS)}"]})
        with self.db.reader() as uow:
            return vocabulary.list_vocabulary(uow, kind, retired=bool(retired))
