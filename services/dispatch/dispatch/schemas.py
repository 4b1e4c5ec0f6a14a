"""Event payloads dispatch consumes, and its RPC replies."""

from marshmallow import EXCLUDE, Schema, fields


class LabourerStatePayload(Schema):
    """What dispatch reads of a labourer event; fields it does not use are ignored, so that
    registry can add fields without breaking it."""

    class Meta:
        unknown = EXCLUDE

    person_id = fields.String(required=True)
    name = fields.String(required=True)
    id_number_masked = fields.String(required=True)
    sex = fields.String(required=True)
    birth_date = fields.Date(required=True)
    village_code = fields.String(required=True)
