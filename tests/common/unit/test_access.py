"""Passwords, TOTP, tokens and the permission matrix, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from sanbao_common.access import (
    PERMISSIONS,
    ROLES,
    Principal,
    TokenExpired,
    TokenInvalid,
    Unauthenticated,
    WrongCountyToken,
    issue_token,
    verify_token,
)
from sanbao_common.crypto import (
    fingerprint,
    hash_password,
    new_signing_key,
    sign,
    signature_valid,
    statement_bytes,
    totp,
    verify_password,
    verify_totp,
)

# RFC 6238, appendix B: the ASCII secret "12345678901234567890" (base32 below), SHA-1, 8 digits.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("moment", "code"), RFC_VECTORS)
def test_totp_matches_the_rfc_6238_vectors(moment, code):
    assert totp(RFC_SECRET, moment, digits=8) == code


def test_a_totp_code_is_accepted_within_one_step_of_drift_only():
    code = totp(RFC_SECRET, 1_000_000)
    assert verify_totp(RFC_SECRET, code, 1_000_000 + 25)
    assert not verify_totp(RFC_SECRET, code, 1_000_000 + 95)


def test_passwords_are_salted_and_verified():
    first, second = hash_password("correct horse", n=1024), hash_password("correct horse", n=1024)
    assert first != second  # salted
    assert verify_password("correct horse", first)
    assert not verify_password("correct horsf", first)
    assert not verify_password("correct horse", "md5$whatever")


def test_a_fingerprint_is_sha256_of_the_public_key_in_groups():
    text = fingerprint(new_signing_key())
    assert len(text.split()) == 16 and all(len(group) == 4 for group in text.split())


def test_a_statement_signature_covers_every_byte():
    key = new_signing_key()
    statement = {"purpose": "certify", "limit_fen": 500000, "user_id": "u1"}
    signature = sign(key, statement_bytes(statement))
    assert signature_valid(key.public_key(), statement_bytes(statement), signature)
    tampered = dict(statement, limit_fen=5000000)
    assert not signature_valid(key.public_key(), statement_bytes(tampered), signature)
    assert statement_bytes(statement) == statement_bytes(dict(reversed(statement.items())))


FIELDS = {
    "user_id": "u1",
    "username": "li",
    "organisation_id": "o1",
    "organisation_kind": "village_coop",
    "roles": ("coop_operator",),
    "scope": "532501001201",
    "county": "532501",
}


def test_a_token_round_trips():
    key = new_signing_key()
    token, issued = issue_token(key, FIELDS, timedelta(minutes=5))
    principal = verify_token(token, [key.public_key()], "532501")
    assert principal == issued and principal.roles == ("coop_operator",)


def test_a_token_signed_by_another_key_is_refused():
    token, _ = issue_token(new_signing_key(), FIELDS, timedelta(minutes=5))
    with pytest.raises(TokenInvalid):
        verify_token(token, [new_signing_key().public_key()], "532501")


def test_a_token_whose_payload_was_edited_is_refused():
    key = new_signing_key()
    token, _ = issue_token(key, FIELDS, timedelta(minutes=5))
    prefix, body, signature = token.split(".")
    _, forged_body, _ = issue_token(
        key, dict(FIELDS, roles=("county_admin",)), timedelta(minutes=5)
    )[0].split(".")
    with pytest.raises(TokenInvalid):
        verify_token(f"{prefix}.{forged_body}.{signature}", [key.public_key()], "532501")


def test_an_expired_token_is_refused():
    key = new_signing_key()
    token, _ = issue_token(
        key, FIELDS, timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1)
    )
    with pytest.raises(TokenExpired):
        verify_token(token, [key.public_key()], "532501")


def test_another_countys_token_is_refused():
    key = new_signing_key()
    token, _ = issue_token(key, dict(FIELDS, county="532528"), timedelta(minutes=5))
    with pytest.raises(WrongCountyToken):
        verify_token(token, [key.public_key()], "532501")


@pytest.mark.parametrize("token", [None, "", "garbage", "sb1.x.y", "sb2.a.b", "a.b"])
def test_no_token_or_a_malformed_one_is_refused(token):
    with pytest.raises(Unauthenticated):
        verify_token(token, [new_signing_key().public_key()], "532501")


def test_a_key_being_replaced_and_its_successor_are_both_accepted():
    old, new = new_signing_key(), new_signing_key()
    token, _ = issue_token(old, FIELDS, timedelta(minutes=5))
    assert verify_token(token, [new.public_key(), old.public_key()], "532501")


def test_every_permission_names_only_known_roles():
    for roles in PERMISSIONS.values():
        assert roles <= set(ROLES)


def principal(kind, scope, roles=("coop_operator",)):
    return Principal("u", "u", "o", kind, roles, scope, "532501", "2999-01-01T00:00:00+00:00", "t")


@pytest.mark.parametrize(
    ("kind", "scope", "place", "covered"),
    [
        ("village_coop", "532501001201", "532501001201", True),
        ("village_coop", "532501001201", "532501001202", False),
        ("township_coop", "532501001", "532501001299", True),
        ("township_coop", "532501001", "532501002201", False),
        ("county_coop", "532501", "532501002201", True),
        ("village_coop", "532501001201-03", "532501001201", True),  # an agent's village
        ("hr_company", "org-hr", "532501002201", True),  # not area-bound (and sees it masked)
    ],
)
def test_an_area_covers_what_lies_under_it(kind, scope, place, covered):
    assert principal(kind, scope).covers(place) is covered


def test_only_area_roles_see_personal_data_unmasked_and_only_in_their_area():
    assert principal("village_coop", "532501001201").sees_unmasked("532501001201")
    assert not principal("village_coop", "532501001201").sees_unmasked("532501001202")
    assert not principal("hr_company", "org", ("hr_operator",)).sees_unmasked("532501001201")
    assert not principal("county_coop", "532501", ("finance",)).sees_unmasked("532501001201")
