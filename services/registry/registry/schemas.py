"""RPC arguments, replies and event payloads of registry."""

from marshmallow import RAISE, Schema, fields

from sanbao_common import fields as codes
from sanbao_common.privacy import mask_id_number, mask_phone


class RegisterLabourerSchema(Schema):
    class Meta:
        unknown = RAISE

    name = codes.PersonName(required=True)
    id_number = codes.IdNumber(required=True)
    phone = codes.Phone(load_default=None, allow_none=True)
    village_code = codes.DivisionCode(level="village", required=True)


class LabourerSchema(Schema):
    """A labourer as callers see it: ID number and phone masked."""

    person_id = fields.String()
    name = fields.String()
    id_number_masked = fields.Function(lambda labourer: mask_id_number(labourer.id_number))
    sex = fields.String()
    birth_date = fields.Date()
    phone_masked = fields.Function(
        lambda labourer: mask_phone(labourer.phone) if labourer.phone else None
    )
    village_code = fields.String()
    registered_at = fields.AwareDateTime()
    version = fields.Integer()


class LabourerRegisteredPayload(Schema):
    """Payload of `labourer_registered`: the labourer's state, with nothing personal unmasked."""

    person_id = fields.String()
    name = fields.String()
    id_number_masked = fields.Function(lambda labourer: mask_id_number(labourer.id_number))
    sex = fields.String()
    birth_date = fields.Date()
    village_code = fields.String()
    registered_at = fields.AwareDateTime()
