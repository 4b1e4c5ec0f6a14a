"""The county's data key (registry.DATA_KEY_FILE), which seals ID numbers and phones at rest."""

from __future__ import annotations

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from sanbao_common.config import ConfigError
from sanbao_common.crypto import DataKey


class DataKeyProvider(DependencyProvider):
    def setup(self):
        path = nameko_config["registry"]["DATA_KEY_FILE"]
        try:
            self.key = DataKey.load(path)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"registry.DATA_KEY_FILE: cannot load the county's data key from {path}: {exc}"
            ) from None

    def get_dependency(self, worker_ctx) -> DataKey:
        return self.key
