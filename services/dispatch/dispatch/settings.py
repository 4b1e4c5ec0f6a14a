"""dispatch's own configuration keys (its section of config.yml), validated at start."""

from marshmallow import fields, validate

from dispatch_contract.placements import DEFAULT_GRACE_DAYS
from sanbao_common.config import ServiceSectionSchema


class Settings(ServiceSectionSchema):
    # Days after a follow-up falls due before it counts as overdue (docs/api.md list_follow_ups).
    FOLLOW_UP_GRACE_DAYS = fields.Integer(
        load_default=DEFAULT_GRACE_DAYS, validate=validate.Range(min=0, max=90)
    )
