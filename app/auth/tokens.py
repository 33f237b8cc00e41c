"""Access tokens (JWT, HS256), opaque refresh tokens and device tokens. The only module that
touches JWTs.

An access token names its user (`sub`), its sign-in (`sid`, the refresh-token family) and the
account's session generation (`gen`): the caller lookup refuses a token whose sign-in was
revoked or whose generation is past, so logout, password change and deactivation cut access
tokens off on the next request (app.auth.repository). The header's `kid` names the signing key
(app.keys), so a rotated key still verifies what it signed.
"""

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from jose import jwt

from app.keys import Keyring

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
# A token claiming a longer life than any setting allows (ACCESS_TOKEN_MINUTES ≤ 1440) was not
# issued by this server as it is configured: refuse it rather than trust it for ever.
MAX_LIFETIME_SECONDS = 24 * 3600
CLOCK_SKEW_SECONDS = 60


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired, or not an access token."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    generation: int
    token_id: str
    issued_at: int
    expires_at: int


def create_access_token(
    keys: Keyring, user_id: uuid.UUID, session_id: uuid.UUID, generation: int, lifetime: timedelta
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "gen": generation,
        "iat": now,
        "exp": now + int(lifetime.total_seconds()),
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TYPE,
    }
    key = keys.signing
    return str(jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid}))


def decode_access_token(token: str, keys: Keyring) -> AccessClaims:
    """Verify signature, claims and expiry. The algorithm is pinned: `alg: none` or RS256 fail.

    A client sends the same token for up to its lifetime, and verifying it costs about 80 µs
    of CPU here (python-jose), as much as the query that loads the caller. So a verified
    token's claims are remembered (bounded, only tokens that verified) and only its expiry is
    checked again; revocation does not depend on this, it is decided on the caller's row.
    """
    claims = _verified(token, keys)
    if claims.expires_at <= time.time():
        raise InvalidToken("Signature has expired.")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, keys: Keyring) -> AccessClaims:
    """The claims of a token whose signature and claims check out; raises (and so caches
    nothing) otherwise."""
    try:
        key = keys.by_kid(jwt.get_unverified_header(token).get("kid"))
        if key is None:
            raise InvalidToken("unknown key id")
        # Expiry and issue time are checked below, strictly: python-jose's own checks accept
        # `exp: 1e300` (a token that never expires) and fail on `exp: Infinity`.
        options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
        claims = jwt.decode(token, key.secret, algorithms=[ALGORITHM], options=options)
        return _access_claims(claims)
    except InvalidToken:
        raise
    except Exception as error:  # python-jose raises many kinds for malformed input
        raise InvalidToken("malformed token") from error


def _access_claims(claims: dict[str, Any]) -> AccessClaims:
    issued, expires = _int_claim(claims, "iat"), _int_claim(claims, "exp")
    if not 0 < expires - issued <= MAX_LIFETIME_SECONDS:
        raise InvalidToken("the token's lifetime is out of range")
    if issued > time.time() + CLOCK_SKEW_SECONDS:
        raise InvalidToken("issued in the future")
    if claims.get("type") != ACCESS_TYPE or not isinstance(claims.get("jti"), str):
        raise InvalidToken("not an access token")
    try:
        user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidToken("sub and sid must be UUIDs") from error
    generation = _int_claim(claims, "gen")
    return AccessClaims(user_id, session_id, generation, claims["jti"], issued, expires)


def _int_claim(claims: dict[str, Any], name: str) -> int:
    """A JSON integer in PostgreSQL's and the clock's range (not a bool, float or bignum)."""
    value = claims.get(name)
    if type(value) is not int or not 0 <= value < 2**31:
        raise InvalidToken(f"{name} must be an integer in range")
    return value


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque token and the digest stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    # 256 random bits need no salt or slow hash: a digest is enough to make the table useless.
    return hashlib.sha256(token.encode()).hexdigest()


def device_token(keys: Keyring, account: str, device_id: str | None = None) -> str:
    """A device token for `account` (its normalised email): the device's id (a new random one
    unless given) and a MAC that binds it to the account. Stateless: nothing is stored."""
    device_id = device_id or secrets.token_urlsafe(16)
    return f"{device_id}.{_device_mac(keys.signing.secret, account, device_id)}"


def device_of(token: str | None, keys: Keyring, account: str) -> str | None:
    """The device id a device token names, if it was issued for `account`; None otherwise."""
    if token is None or token.count(".") != 1:
        return None
    device_id, mac = token.split(".")
    for key in keys.verifying:
        if hmac.compare_digest(mac.encode(), _device_mac(key.secret, account, device_id).encode()):
            return device_id
    return None


def _device_mac(secret: bytes, account: str, device_id: str) -> str:
    digest = hmac.digest(secret, f"{account}\x00{device_id}".encode(), "sha256")
    return digest[:24].hex()
