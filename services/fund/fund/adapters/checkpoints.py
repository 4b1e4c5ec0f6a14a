"""The fund's checkpoint key, and the timer that takes a checkpoint at least every few minutes."""

from __future__ import annotations

import logging
import uuid

import eventlet
from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from sanbao_common.config import ConfigError
from sanbao_common.context import Caller
from sanbao_common.crypto import load_private_key
from sanbao_common.db import Database

log = logging.getLogger("fund.checkpoints")


class CheckpointKey(DependencyProvider):
    """The private key only the fund holds, for signing checkpoints of its audit chain."""

    def setup(self):
        path = nameko_config["fund"]["CHECKPOINT_SIGNING_KEY_FILE"]
        try:
            self.key = load_private_key(path, None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"fund.CHECKPOINT_SIGNING_KEY_FILE: cannot load the checkpoint key from {path}: "
                f"{exc}"
            ) from None

    def get_dependency(self, worker_ctx):
        return self.key


class CheckpointTimer(DependencyProvider):
    """Every CHECKPOINT_EVERY_SECONDS, a checkpoint if the chain moved (any replica may take it;
    the books' lock makes them take turns, and an unchanged head is not checkpointed twice)."""

    def setup(self):
        self.every = nameko_config["fund"]["CHECKPOINT_EVERY_SECONDS"]
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self._key = next(d for d in self.container.dependencies if isinstance(d, CheckpointKey))

    def start(self):
        self.container.spawn_managed_thread(self._run, identifier="checkpoints")

    def _run(self):
        from fund.adapters.repository import Books
        from fund.audit_trail import take_checkpoint

        while True:
            eventlet.sleep(self.every)
            caller = Caller(nameko_config["COUNTY"], "system:fund", uuid.uuid4().hex)
            try:
                with self._database.handle().unit_of_work() as uow:
                    Books(uow.connection).lock()
                    take_checkpoint(uow, caller, self._key.key)
                    uow.commit()
            except Exception:
                log.exception("could not take a checkpoint; trying again later")
