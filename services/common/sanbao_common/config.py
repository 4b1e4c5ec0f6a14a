"""Service configuration: one `config.yml` per service, `${VAR:default}` taken from the environment.

Values are substituted into the parsed YAML (never into the raw text, so a value containing YAML
syntax cannot change the file's shape), defaults may themselves contain `${...}`, and the result
is validated by a marshmallow schema before anything starts. A bad or missing value stops the
service with one message naming the key.

Every service's file has the same top-level keys (county, broker, timeouts, logging) and one
section named after the service for what only it uses (its database, its HTTP address). The
section keeps several services in one test process from sharing a database URL or a port.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from sanbao_common.errors import describe_field_errors


class ConfigError(Exception):
    """Configuration that cannot be used; the text names the key and says what is wrong."""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute(text: str, environ: Mapping[str, str], key: str = "") -> str:
    """Replace `${VAR}` and `${VAR:default}` in text; defaults may nest further `${...}`.

    A variable set to the empty string counts as unset, so `VAR=` in an env file means "default".
    """
    out: list[str] = []
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:start])
        name_match = _NAME.match(text, start + 2)
        if not name_match:
            raise ConfigError(f"{key}: malformed placeholder in {text!r}")
        name = name_match.group()
        pos = name_match.end()
        default = None
        if pos < len(text) and text[pos] == ":":
            depth, j = 1, pos + 1
            while j < len(text) and depth:
                if text.startswith("${", j):
                    depth += 1
                    j += 2
                    continue
                if text[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                raise ConfigError(f"{key}: unclosed placeholder in {text!r}")
            default = text[pos + 1 : j - 1]
            end = j
        elif pos < len(text) and text[pos] == "}":
            end = pos + 1
        else:
            raise ConfigError(f"{key}: malformed placeholder in {text!r}")
        if environ.get(name):
            out.append(environ[name])
        elif default is not None:
            out.append(substitute(default, environ, key))
        else:
            raise ConfigError(f"{key}: environment variable {name} is not set and has no default")
        i = end


def _substitute_tree(node, environ: Mapping[str, str], path: str = ""):
    if isinstance(node, dict):
        return {
            k: _substitute_tree(v, environ, f"{path}.{k}" if path else str(k))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_substitute_tree(v, environ, f"{path}[{n}]") for n, v in enumerate(node)]
    if isinstance(node, str):
        return substitute(node, environ, path)
    return node


def redact_url(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# -- validation ------------------------------------------------------------------------------


def _county_code(value: str) -> None:
    from sanbao_common.validators import InvalidCode, parse_division_code

    try:
        parse_division_code(value, level="county")
    except InvalidCode as exc:
        raise ValidationError(f"must be a 6-digit county division code: {exc}") from None


def _amqp_uri(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("amqp", "pyamqp", "amqps") or not parts.hostname:
        raise ValidationError("must be an amqp://user:password@host:port/vhost URI")
    if not parts.username or not parts.password:
        # kombu would connect as the broker's guest administrator: never by default.
        raise ValidationError("must name the service's own broker user: amqp://user:password@...")


def _database_url(value: str) -> None:
    scheme = urlsplit(value).scheme
    if scheme == "sqlite":
        if not value.startswith("sqlite:///") or value == "sqlite:///":
            raise ValidationError("an SQLite URL names a file: sqlite:///path/to/file.sqlite")
        return
    if scheme not in ("postgresql", "postgresql+psycopg2"):
        raise ValidationError("must be sqlite:///<file> or postgresql://user@host:port/database")


def _host_port(value: str) -> None:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError("must be host:port, for example 127.0.0.1:8101")


def _public_keys(value: str) -> None:
    from sanbao_common.crypto import load_public_key

    keys = [part for part in value.split(",") if part.strip()]
    if not keys:
        raise ValidationError(
            "no token public key: make run generates the county's token key; elsewhere set "
            "TOKEN_PUBLIC_KEYS to the base64 public half of the key registry signs with"
        )
    for key in keys:
        try:
            load_public_key(key)
        except ValueError:
            raise ValidationError("not a base64 Ed25519 public key (32 bytes)") from None


def _registrar_keys(value: str) -> None:
    from sanbao_common.seals import parse_registrar_keys

    try:
        parse_registrar_keys(value)
    except ValueError:
        raise ValidationError(
            "not base64 Ed25519 public keys (32 bytes each), comma-separated"
        ) from None


# The longest a sign-in token may last. A token is checked by signature alone wherever it goes,
# so a stolen one works until it expires (or until its revocation reaches the service): an hour
# bounds that, and a person at work signs in again at most a few times a day.
MAX_TOKEN_TTL_SECONDS = 3600
MIN_TOKEN_TTL_SECONDS = 60


def token_ttl(value: int) -> None:
    """The validator of a token lifetime setting (registry's TOKEN_TTL_SECONDS)."""
    if value > MAX_TOKEN_TTL_SECONDS:
        raise ValidationError(
            f"at most {MAX_TOKEN_TTL_SECONDS} seconds (one hour), got {value}: a stolen token "
            "works until it expires, so tokens are kept short; people sign in again instead"
        )
    if value < MIN_TOKEN_TTL_SECONDS:
        raise ValidationError(f"at least {MIN_TOKEN_TTL_SECONDS} seconds, got {value}")


class ServiceSectionSchema(Schema):
    """What belongs to one service only."""

    class Meta:
        unknown = RAISE

    DATABASE_URL = fields.String(required=True, validate=_database_url)
    HTTP_ADDRESS = fields.String(required=True, validate=_host_port)


class BaseConfigSchema(Schema):
    class Meta:
        unknown = RAISE

    COUNTY = fields.String(required=True, validate=_county_code)
    AMQP_URI = fields.String(required=True, validate=_amqp_uri)
    RPC_TIMEOUT_SECONDS = fields.Float(required=True, validate=validate.Range(min=0.1, max=600))
    LOG_LEVEL = fields.String(
        required=True, validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"])
    )
    max_workers = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    # Messaging (docs/events.md): how long published events stay replayable, how long consumers
    # remember what they applied (longer than any replay can reach back), how long a command's
    # idempotency key answers retries, and how many unacknowledged events a consumer holds.
    OUTBOX_RETENTION_DAYS = fields.Integer(load_default=30, validate=validate.Range(min=1))
    INBOX_RETENTION_DAYS = fields.Integer(load_default=60, validate=validate.Range(min=1))
    IDEMPOTENCY_RETENTION_DAYS = fields.Integer(load_default=30, validate=validate.Range(min=1))
    CONSUMER_PREFETCH = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=65535))
    # How long a relay's claim on the outbox rows it publishes lasts without renewal: the rows of
    # a relay that died wait this long for another (messaging/claims.py).
    OUTBOX_CLAIM_SECONDS = fields.Integer(load_default=5, validate=validate.Range(min=1, max=600))
    # The public halves of the county's token keys (base64, comma-separated; more than one while a
    # key is being replaced). Every call's token must be signed by one of them.
    TOKEN_PUBLIC_KEYS = fields.String(required=True, validate=_public_keys)
    # The seal registrars' public keys (base64, comma-separated), pinned at deployment from the
    # finance bureau's paper filing: a seal counts only with a confirmation one of them signed.
    # Empty: no seal takes effect, so no joint account opens (docs/access.md, "Trust roots").
    SEAL_REGISTRAR_KEYS = fields.String(load_default="", validate=_registrar_keys)
    # A file holding the business clock's instant (sanbao_common.clock), for tests and workloads
    # that move time; empty (production): the wall clock.
    CLOCK_FILE = fields.String(load_default="")

    @validates_schema
    def _inbox_outlives_outbox(self, data, **_):
        if data.get("INBOX_RETENTION_DAYS", 60) <= data.get("OUTBOX_RETENTION_DAYS", 30):
            raise ValidationError(
                "must be longer than OUTBOX_RETENTION_DAYS, or a replayed event could be applied "
                "twice",
                "INBOX_RETENTION_DAYS",
            )


def section_schema(service_name: str) -> type[Schema]:
    """The schema of a service's own section: `<service>.settings.Settings` if the service has
    keys of its own, else the keys every service has."""
    import importlib

    try:
        return importlib.import_module(f"{service_name}.settings").Settings
    except ModuleNotFoundError as exc:
        if exc.name not in (service_name, f"{service_name}.settings"):
            raise
        return ServiceSectionSchema


def config_schema(service_name: str, section: type[Schema] | None = None) -> Schema:
    """The schema of one service's whole file: the common keys plus its own section."""
    section = section or section_schema(service_name)
    schema_cls = BaseConfigSchema.from_dict(
        {service_name: fields.Nested(section, required=True)}, name=f"{service_name}Config"
    )
    return schema_cls()


def load_config(
    path: str | Path,
    service_name: str,
    environ: Mapping[str, str] | None = None,
    section: type[Schema] | None = None,
) -> dict:
    """Read, substitute and validate a service's config file; raise ConfigError naming the key."""
    path = Path(path)
    environ = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    try:
        substituted = _substitute_tree(raw, environ)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        return config_schema(service_name, section).load(substituted)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_field_errors(exc.messages)}") from None


def service_section(config: Mapping, service_name: str) -> Mapping:
    """The service's own section; a clear error when a test or a file forgot it."""
    try:
        return config[service_name]
    except KeyError:
        raise ConfigError(f"config has no section for service {service_name!r}") from None


__all__ = [
    "MAX_TOKEN_TTL_SECONDS",
    "ConfigError",
    "load_config",
    "redact_url",
    "service_section",
    "substitute",
    "token_ttl",
]
