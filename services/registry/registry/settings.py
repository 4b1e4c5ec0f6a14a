"""registry's own configuration keys (its section of config.yml), validated at start."""

from marshmallow import ValidationError, fields, validate, validates_schema
from nameko import config as nameko_config

from registry.rosters.limits import DEFAULT_MAX_ATTEMPTS
from registry.rosters.limits import DEFAULTS as ROSTER_DEFAULTS
from sanbao_common.config import ServiceSectionSchema, token_ttl


def _checkpoint_keys(value: str) -> None:
    from sanbao_common.crypto import load_public_key

    keys = [part for part in value.split(",") if part.strip()]
    if not keys:
        raise ValidationError(
            "no fund checkpoint key: without it the county's witness keeps no checkpoint of the "
            "fund's audit chain; make run pins the fund's, elsewhere set it to the base64 public "
            "half of the fund's CHECKPOINT_SIGNING_KEY_FILE"
        )
    for key in keys:
        try:
            load_public_key(key.strip())
        except ValueError:
            raise ValidationError("not a base64 Ed25519 public key (32 bytes)") from None


def _roster_limit(name: str, least: int, most: int) -> fields.Integer:
    """A roster limit's setting, defaulting to `registry.rosters.limits.RosterLimits`."""
    return fields.Integer(
        load_default=getattr(ROSTER_DEFAULTS, name), validate=validate.Range(min=least, max=most)
    )


class Settings(ServiceSectionSchema):
    # The private half of the county's token key (PEM, PKCS #8, unencrypted, mode 0600): only
    # registry signs tokens; every service verifies them with TOKEN_PUBLIC_KEYS.
    TOKEN_SIGNING_KEY_FILE = fields.String(required=True, validate=validate.Length(min=1))
    # How long a token lasts: at most an hour (sanbao_common.config.MAX_TOKEN_TTL_SECONDS).
    TOKEN_TTL_SECONDS = fields.Integer(load_default=3600, validate=token_ttl)
    # Wrong passwords or codes (at sign-in, password change, TOTP change) that lock an account,
    # and for how long.
    LOGIN_MAX_FAILURES = fields.Integer(load_default=5, validate=validate.Range(min=1, max=100))
    LOGIN_LOCKOUT_SECONDS = fields.Integer(load_default=900, validate=validate.Range(min=1))
    # Sign-in attempts per user name (known or not, right or wrong) in a fixed window, counted in
    # the database so that every replica shares them: what bounds guessing across replicas and
    # concurrent attempts, which the lockout alone cannot.
    LOGIN_ATTEMPTS_PER_NAME = fields.Integer(
        load_default=10, validate=validate.Range(min=1, max=1000)
    )
    LOGIN_ATTEMPTS_WINDOW_SECONDS = fields.Integer(
        load_default=300, validate=validate.Range(min=10, max=86400)
    )
    # scrypt's cost; raise it as machines get faster (stored hashes keep their own).
    PASSWORD_SCRYPT_N = fields.Integer(
        load_default=2**15, validate=validate.OneOf([2**n for n in range(10, 21)])
    )
    # The county's data key (base64, 32 bytes, mode 0600): seals ID numbers and phones at rest.
    # Losing it loses every sealed identifier: back it up apart from the database.
    DATA_KEY_FILE = fields.String(required=True, validate=validate.Length(min=1))
    # The four clears are stale when nobody has confirmed them for this many days.
    STALE_AFTER_DAYS = fields.Integer(load_default=180, validate=validate.Range(min=1, max=3650))
    # The working-age window: people outside it are not registered as labourers.
    WORKING_AGE_MIN = fields.Integer(load_default=16, validate=validate.Range(min=14, max=30))
    WORKING_AGE_MAX = fields.Integer(load_default=64, validate=validate.Range(min=40, max=80))
    # The fund's checkpoint keys (base64 public halves, comma-separated): the county's witness
    # keeps only checkpoints of the fund's audit chain signed by one of them.
    FUND_CHECKPOINT_PUBLIC_KEYS = fields.String(required=True, validate=_checkpoint_keys)
    # Roster files (docs/rosters.md, "Limits"): what one file may hold, unpacked and read, and
    # what reading it may cost the child process that reads it; each refusal names its setting.
    # The defaults (registry.rosters.limits) leave room over a county's 100,000 labourers.
    ROSTER_MAX_UNCOMPRESSED_MIB = _roster_limit("max_uncompressed_mib", 1, 4096)
    ROSTER_MAX_ENTRY_MIB = _roster_limit("max_entry_mib", 1, 4096)
    ROSTER_MAX_COMPRESSION_RATIO = _roster_limit("max_compression_ratio", 2, 10_000)
    ROSTER_MAX_ROWS = _roster_limit("max_rows", 2, 10_000_000)
    ROSTER_MAX_COLUMNS = _roster_limit("max_columns", 3, 16_384)
    ROSTER_MAX_SHARED_STRINGS = _roster_limit("max_shared_strings", 1, 100_000_000)
    ROSTER_MAX_CELL_CHARS = _roster_limit("max_cell_chars", 100, 32_767)  # Excel's own most
    ROSTER_MAX_TEXT_MIB = _roster_limit("max_text_mib", 1, 1024)
    ROSTER_MAX_MERGED_CELLS = _roster_limit("max_merged_cells", 0, 10_000_000)
    ROSTER_READ_MEMORY_MIB = _roster_limit("memory_mib", 256, 65_536)  # below, Python barely starts
    ROSTER_READ_CPU_SECONDS = _roster_limit("cpu_seconds", 1, 3600)
    ROSTER_READ_WALL_SECONDS = _roster_limit("wall_seconds", 1, 7200)
    # Starts of an import that may end without finishing (the process dies during them) before
    # it is marked failed instead of resumed at every start of registry.
    ROSTER_IMPORT_MAX_ATTEMPTS = fields.Integer(
        load_default=DEFAULT_MAX_ATTEMPTS, validate=validate.Range(min=1, max=100)
    )

    @validates_schema
    def _roster_limits_agree(self, data, **_):
        if data.get("ROSTER_MAX_ENTRY_MIB", 0) > data.get("ROSTER_MAX_UNCOMPRESSED_MIB", 1 << 30):
            raise ValidationError(
                "must not exceed ROSTER_MAX_UNCOMPRESSED_MIB", "ROSTER_MAX_ENTRY_MIB"
            )
        if data.get("ROSTER_READ_WALL_SECONDS", 1 << 30) < data.get("ROSTER_READ_CPU_SECONDS", 0):
            raise ValidationError(
                "must be at least ROSTER_READ_CPU_SECONDS", "ROSTER_READ_WALL_SECONDS"
            )


def configured() -> dict:
    """registry's section of the running service's configuration."""
    return nameko_config["registry"]
