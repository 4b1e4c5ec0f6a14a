"""Roster imports applied in the background of the registry process, and resumed when it starts
again after dying mid-import."""

from __future__ import annotations

import logging

from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from registry.adapters.data_key import DataKeyProvider
from registry.rosters.use_cases import RosterImporter
from sanbao_common.context import Caller
from sanbao_common.db import Database

log = logging.getLogger(__name__)

CONCURRENT_READS = 2


class RosterImports(DependencyProvider):
    def setup(self):
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self._key = next(d for d in self.container.dependencies if isinstance(d, DataKeyProvider))
        self._applying: set[str] = set()
        self._readers = Semaphore(CONCURRENT_READS)

    def importer(self) -> RosterImporter:
        return RosterImporter(
            self._database.handle(),
            self._key.key,
            nameko_config["COUNTY"],
            nameko_config["registry"],
            offload=self._offload,
        )

    def _offload(self, function, *args):
        """Reading (a child process of up to ROSTER_READ_MEMORY_MIB) and validating run in a
        native thread, CONCURRENT_READS at a time: ten uploads at once would otherwise reserve
        ten children's memory, and take every core."""
        with self._readers:
            return tpool.execute(function, *args)

    def start(self):
        for unfinished in self.importer().unfinished():
            log.info("resuming roster import %s", unfinished["import_id"])
            self.apply_in_background(
                unfinished["import_id"],
                Caller(nameko_config["COUNTY"], unfinished["started_by"], unfinished["import_id"]),
            )

    def apply_in_background(self, import_id: str, caller: Caller, roster=None) -> None:
        if import_id in self._applying:
            return
        self._applying.add(import_id)
        self.container.spawn_managed_thread(
            lambda: self._apply(import_id, caller, roster), identifier=f"import-{import_id}"
        )

    def _apply(self, import_id: str, caller: Caller, roster) -> None:
        importer = self.importer()
        try:
            importer.apply(import_id, caller, roster)
        except Exception as exc:  # the import is marked failed; the process carries on
            log.exception("roster import %s failed", import_id)
            importer.fail(import_id, f"{type(exc).__name__}: {exc}")
        finally:
            self._applying.discard(import_id)

    def get_dependency(self, worker_ctx) -> RosterImports:
        return self
