"""fund's own configuration keys (its section of config.yml), validated at start."""

from marshmallow import fields, validate

from sanbao_common.config import ServiceSectionSchema


class Settings(ServiceSectionSchema):
    # The fund's own key (PEM, PKCS #8, mode 0600) for signing checkpoints of its audit chain;
    # only the fund holds it, so nobody who can merely write to its database can forge one.
    CHECKPOINT_SIGNING_KEY_FILE = fields.String(required=True, validate=validate.Length(min=1))
    # At least this often (and after every payment) a checkpoint leaves the fund's database.
    CHECKPOINT_EVERY_SECONDS = fields.Integer(load_default=300, validate=validate.Range(min=5))
