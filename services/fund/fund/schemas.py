"""RPC arguments and replies of the fund. Amounts cross the wire as yuan strings ("1234.50") and
are integer fen inside."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from sanbao_common.money import InvalidAmount, parse_yuan


class Yuan(fields.String):
    """A positive amount in yuan, loaded as integer fen (docs/decisions/0003-money-text.md)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            fen = parse_yuan(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from None
        if fen <= 0:
            raise ValidationError("must be more than zero / 金额须大于零")
        return fen


class TermsSchema(Schema):
    class Meta:
        unknown = RAISE

    agreement_ref = fields.String(required=True, validate=validate.Length(min=1, max=100))
    county_org_id = fields.String(required=True)
    hr_org_id = fields.String(required=True)
    principal = Yuan(required=True)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    # The parties' confirmed seals, as the fund knows them; given, they must be those.
    county_seal = fields.String(load_default=None, validate=validate.Length(min=79, max=79))
    hr_seal = fields.String(load_default=None, validate=validate.Length(min=79, max=79))


class InflowSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True)
    amount = Yuan(required=True)
    bank_ref = fields.String(required=True, validate=validate.Length(min=1, max=100))
    reference = fields.String(load_default=None, allow_none=True)


class LineSchema(Schema):
    class Meta:
        unknown = RAISE

    payee = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount = Yuan(required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=500))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ProposalSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True)
    lines = fields.List(
        fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    expires_at = fields.AwareDateTime(required=True)


class VoucherSchema(Schema):
    class Meta:
        unknown = RAISE

    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    date = fields.Date(required=True)
    amount = Yuan(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["transport", "medical_exam", "training", "meals", "other"]),
    )
    attachment_sha256 = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$")
    )
