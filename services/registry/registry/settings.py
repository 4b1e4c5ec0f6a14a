"""registry's own configuration keys (its section of config.yml), validated at start."""

from marshmallow import ValidationError, fields, validate
from nameko import config as nameko_config

from sanbao_common.config import ServiceSectionSchema


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


class Settings(ServiceSectionSchema):
    # The private half of the county's token key (PEM, PKCS #8, unencrypted, mode 0600): only
    # registry signs tokens; every service verifies them with TOKEN_PUBLIC_KEYS.
    TOKEN_SIGNING_KEY_FILE = fields.String(required=True, validate=validate.Length(min=1))
    TOKEN_TTL_SECONDS = fields.Integer(
        load_default=3600, validate=validate.Range(min=60, max=86400)
    )
    LOGIN_MAX_FAILURES = fields.Integer(load_default=5, validate=validate.Range(min=1, max=100))
    LOGIN_LOCKOUT_SECONDS = fields.Integer(load_default=900, validate=validate.Range(min=1))
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


def configured() -> dict:
    """registry's section of the running service's configuration."""
    return nameko_config["registry"]
