"""RPC arguments, replies and event payloads of registry."""

from marshmallow import RAISE, Schema, fields, validate

from registry.measures.domain import KINDS as MEASURE_KINDS
from registry.measures.domain import STATUSES as MEASURE_STATUSES
from sanbao_common import fields as codes
from sanbao_common.access import ROLES
from sanbao_common.privacy import mask_phone

# Labourers one `register_labourers` call may carry (docs/api.md, "Limits"): a village's people
# at a time, with room; a township's roster of thousands goes through a roster import instead.
MAX_LABOURERS_PER_BATCH = 1000


class LabourerBatchSchema(Schema):
    """`register_labourers`' list, bounded before any row is read; each row is then checked on
    its own, so that a bad row is refused alone (hence any value here, not only objects)."""

    labourers = fields.List(
        fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(min=1, max=MAX_LABOURERS_PER_BATCH),
    )


class NewMeasureSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(MEASURE_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner = fields.String(required=True, validate=validate.Length(min=1, max=100))
    due_date = fields.Date(load_default=None, allow_none=True)


class MeasureChangeSchema(Schema):
    class Meta:
        unknown = RAISE

    description = fields.String(validate=validate.Length(min=1, max=200))
    owner = fields.String(validate=validate.Length(min=1, max=100))
    due_date = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(MEASURE_STATUSES))
    note = fields.String(validate=validate.Length(min=1, max=500))


# -- the directory ------------------------------------------------------------------------------


class OrganisationSchema(Schema):
    """An organisation as everyone sees it, and the payload of its events."""

    org_id = fields.String()
    kind = fields.String()
    name = fields.String()
    division_code = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    active = fields.Boolean()
    version = fields.Integer()
    changed_at = fields.AwareDateTime()
    changed_by = fields.String()


class RegisterOrganisationSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True)
    name = fields.String(required=True)
    division_code = codes.DivisionCode(load_default=None, allow_none=True)
    credit_code = codes.CreditCode(load_default=None, allow_none=True)
    parent_id = fields.String(load_default=None, allow_none=True)


class VillageGroupSchema(Schema):
    group_code = fields.String()
    village_org_id = fields.String()
    name = fields.String()
    active = fields.Boolean()


def _masked_email(email: str | None) -> str | None:
    if not email:
        return None
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


class UserSchema(Schema):
    """A user as the directory shows them, and the payload of their events: contact details
    masked, never a password hash or a TOTP secret."""

    user_id = fields.String()
    username = fields.String()
    display_name = fields.String()
    org_id = fields.String()
    roles = fields.List(fields.String())
    village_group = fields.String(allow_none=True)
    phone_masked = fields.Function(lambda user: mask_phone(user.phone) if user.phone else None)
    email_masked = fields.Function(lambda user: _masked_email(user.email))
    totp_enabled = fields.Function(lambda user: user.totp_secret is not None)
    must_change_password = fields.Boolean()
    locked_until = fields.AwareDateTime(allow_none=True)
    active = fields.Boolean()
    version = fields.Integer()


class CreateUserSchema(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True)
    display_name = codes.PersonName(required=True)
    org_id = fields.String(required=True)
    # At most every role once (the directory refuses a role the organisation cannot hold).
    roles = fields.List(fields.String(), required=True, validate=validate.Length(max=len(ROLES)))
    village_group = fields.String(load_default=None, allow_none=True)
    phone = codes.Phone(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)


class SigningKeySchema(Schema):
    fingerprint = fields.String()
    org_id = fields.String()
    user_id = fields.String()
    public_key = fields.String()
    limit_fen = fields.Integer(allow_none=True)
    enrolled_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
