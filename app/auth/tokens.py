"""Access tokens (JWT, HS256) and opaque refresh tokens. The only module that touches JWTs."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from jose import JWTError, jwt

ALGORITHM = "HS256"
ACCESS_TYPE = "access"


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired, or not an access token."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    token_id: str
    issued_at: datetime


def create_access_token(user_id: uuid.UUID, secret: str, lifetime: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TYPE,
    }
    return str(jwt.encode(claims, secret, algorithm=ALGORITHM))


def decode_access_token(token: str, secret: str) -> AccessClaims:
    """Verify signature, expiry and type. The algorithm is pinned: `alg: none` or RS256 fail.

    A client sends the same token for up to its lifetime, and verifying it costs about 80 µs
    of CPU here (python-jose), as much as the query that loads the caller. So a verified
    token's claims are remembered (bounded, only tokens that verified) and only its expiry is
    checked again; revocation does not depend on this, it is decided on the caller's row.
    """
    claims, expires_at = _verified(token, secret)
    if expires_at <= time.time():
        raise InvalidToken("Signature has expired.")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[AccessClaims, float]:
    """The claims and expiry of a token whose signature, type and claims check out; raises
    (and so caches nothing) otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
        if claims.get("type") != ACCESS_TYPE or not isinstance(claims.get("jti"), str):
            raise InvalidToken("not an access token")
        access = AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            token_id=claims["jti"],
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        )
        return access, float(claims["exp"])
    except (JWTError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(str(error)) from error


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque token and the digest stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    # 256 random bits need no salt or slow hash: a digest is enough to make the table useless.
    return hashlib.sha256(token.encode()).hexdigest()
