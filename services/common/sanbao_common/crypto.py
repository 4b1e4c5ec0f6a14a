"""Passwords, one-time codes, signing keys and the data key: the small cryptographic pieces.

- Passwords are stored as scrypt hashes (RFC 7914, from the standard library) with a random salt
  and the cost parameters in the stored string, so the cost can rise without invalidating old
  hashes. scrypt holds a CPU for 50 to 200 ms: under eventlet it runs in a real thread
  (`eventlet.tpool`), so the other green threads of the service keep answering meanwhile.
  Sign-in verifies an unknown user name against `dummy_password_hash`, so that it costs what a
  known one costs.
- TOTP is RFC 6238 (HMAC-SHA1, 30 s, 6 digits): what every authenticator app speaks.
- Ed25519 keys (tokens, seals, signatories) come from `cryptography`; a key's fingerprint is the
  SHA-256 of its raw public bytes, written in groups of four hex digits for paper.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import struct
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SCRYPT_N = 2**15  # about 50 ms here: slow enough for stolen hashes, fast enough for sign-in
SCRYPT_R = 8
SCRYPT_P = 1


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    return off_the_event_loop(_hash_password, password, n)


def verify_password(password: str, stored: str) -> bool:
    return off_the_event_loop(_verify_password, password, stored)


def _hash_password(password: str, n: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=2**27, dklen=32
    )
    encoded_salt, encoded_digest = (
        base64.b64encode(salt).decode(),
        base64.b64encode(digest).decode(),
    )
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${encoded_salt}${encoded_digest}"


def _verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
        maxmem=2**27, dklen=32,
    )  # fmt: skip
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def off_the_event_loop(function, *args):
    """`function(*args)` in one of eventlet's real threads when the process runs under eventlet
    (a nameko service), so that CPU-bound work does not stall every other green thread; called
    directly otherwise (the CLI, `python -m registry bootstrap`)."""
    try:
        from eventlet import patcher, tpool
    except ImportError:  # the CLI may be installed without eventlet
        return function(*args)
    if patcher.is_monkey_patched("thread"):
        return tpool.execute(function, *args)
    return function(*args)


@functools.cache
def dummy_password_hash(n: int = SCRYPT_N) -> str:
    """A hash of a random password nobody knows, with cost `n`, made once per process: what a
    sign-in with an unknown or inactive user name is verified against, so that it runs the same
    scrypt as a known one (and can never succeed)."""
    return off_the_event_loop(_hash_password, secrets.token_urlsafe(32), n)


def new_password() -> str:
    """A one-time password to hand over once: 16 characters, no look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


# -- TOTP (RFC 6238) ---------------------------------------------------------------------------


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp(secret: str, moment: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    counter = int((time.time() if moment is None else moment) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def verify_totp(secret: str, code: str, moment: float | None = None) -> bool:
    """Accept the current code and its neighbours (clocks drift by up to 30 s). Anything but six
    ASCII digits is simply wrong: compared, it would raise, and so tell a right password apart."""
    code = str(code).strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    now = time.time() if moment is None else moment
    return any(hmac.compare_digest(totp(secret, now + drift), code) for drift in (-30, 0, 30))


def totp_uri(secret: str, account: str, issuer: str = "sanbao") -> str:
    return f"otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}"


# -- Ed25519 ------------------------------------------------------------------------------------


def new_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(key) -> str:
    return base64.b64encode(public_bytes(key)).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def fingerprint(key) -> str:
    """SHA-256 of the raw public key, as 16 groups of 4 hex digits (for a paper agreement)."""
    digest = hashlib.sha256(public_bytes(key)).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


def statement_bytes(statement: dict) -> bytes:
    """The exact bytes a seal or signatory signs: canonical JSON (sorted keys, no spaces,
    UTF-8), so the signer and every verifier agree byte for byte."""
    import json

    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message)).decode()


def signature_valid(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def save_private_key(key: Ed25519PrivateKey, path, passphrase: str | None) -> None:
    """PEM (PKCS #8), encrypted with the passphrase when one is given; mode 0600."""
    import os

    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def load_private_key(path, passphrase: str | None) -> Ed25519PrivateKey:
    with open(path, "rb") as source:
        key = serialization.load_pem_private_key(
            source.read(), password=passphrase.encode("utf-8") if passphrase else None
        )
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


class DataKey:
    """The county's data key: encrypts personal identifiers at rest and keys their lookup hash.

    A database dump alone then reveals neither an ID number nor a phone: values are sealed with
    AES-256-GCM (a random nonce each time) and found again by HMAC-SHA256 under a second key,
    both derived from the one 32-byte secret in the key file (HKDF, distinct labels). The
    ciphertext carries the key's version so a later rotation can tell old from new."""

    VERSION = "k1"

    def __init__(self, secret: bytes):
        if len(secret) != 32:
            raise ValueError("a data key is 32 bytes")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(_derive(secret, b"sanbao data encryption"))
        self._lookup_key = _derive(secret, b"sanbao data lookup")

    @classmethod
    def load(cls, path) -> DataKey:
        """A key file holds the secret in base64 on one line (`new_data_key_text`)."""
        with open(path, encoding="ascii") as source:
            return cls(base64.b64decode(source.read().strip(), validate=True))

    def encrypt(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), None)
        return f"{self.VERSION}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        version, _, body = token.partition(":")
        if version != self.VERSION:
            raise ValueError(f"sealed with data key {version!r}, this is {self.VERSION!r}")
        raw = base64.b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], None).decode("utf-8")

    def seal_bytes(self, data: bytes) -> bytes:
        """A file's bytes sealed like a text (a roster staged for import): version, nonce, AEAD."""
        nonce = secrets.token_bytes(12)
        return f"{self.VERSION}:".encode("ascii") + nonce + self._aead.encrypt(nonce, data, None)

    def open_bytes(self, sealed: bytes) -> bytes:
        version, _, body = bytes(sealed).partition(b":")
        if version.decode("ascii", "replace") != self.VERSION:
            raise ValueError(f"sealed with data key {version!r}, this is {self.VERSION!r}")
        return self._aead.decrypt(body[:12], body[12:], None)

    def lookup_hash(self, text: str) -> str:
        """The same text always gives the same hash, under this county's key only."""
        return hmac.new(self._lookup_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _derive(secret: bytes, label: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


def new_data_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def save_data_key(path) -> None:
    """A new data key file, mode 0600; never overwrites one (that would orphan every record)."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(new_data_key_text() + "\n")
