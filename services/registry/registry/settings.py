"""registry's own configuration keys (its section of config.yml), validated at start."""

from marshmallow import fields, validate

from sanbao_common.config import ServiceSectionSchema


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
