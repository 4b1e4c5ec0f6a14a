"""The county's token key, of which only registry holds the private half."""

from __future__ import annotations

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from sanbao_common.access import configured_public_keys
from sanbao_common.config import ConfigError
from sanbao_common.crypto import load_private_key, public_bytes


class TokenSigner(DependencyProvider):
    def setup(self):
        path = nameko_config["registry"]["TOKEN_SIGNING_KEY_FILE"]
        try:
            self.key = load_private_key(path, None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"registry.TOKEN_SIGNING_KEY_FILE: cannot load the token key from {path}: {exc}"
            ) from None
        if public_bytes(self.key) not in {public_bytes(k) for k in configured_public_keys()}:
            raise ConfigError(
                "TOKEN_PUBLIC_KEYS does not contain the public half of registry's token key: "
                "the other services would refuse every token"
            )

    def get_dependency(self, worker_ctx):
        return self.key
