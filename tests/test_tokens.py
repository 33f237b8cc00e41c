"""The JWT rules, below HTTP: pinned algorithm, type, expiry, signature."""

import time
import uuid
from datetime import timedelta

import pytest
from jose import jwt

from app.auth.tokens import InvalidToken, create_access_token, decode_access_token

SECRET = "s" * 48


def test_round_trip_carries_the_claims() -> None:
    user_id = uuid.uuid4()
    claims = decode_access_token(
        create_access_token(user_id, SECRET, timedelta(minutes=15)), SECRET
    )
    assert claims.user_id == user_id
    assert len(claims.token_id) == 32


@pytest.mark.parametrize(
    "token",
    [
        create_access_token(uuid.uuid4(), SECRET, timedelta(seconds=-1)),
        create_access_token(uuid.uuid4(), "other" * 10, timedelta(minutes=1)),
        jwt.encode(
            {"sub": str(uuid.uuid4()), "type": "refresh", "exp": 9999999999, "iat": 1, "jti": "x"},
            SECRET,
            algorithm="HS256",
        ),
        jwt.encode(
            {"sub": str(uuid.uuid4()), "type": "access", "exp": 9999999999, "iat": 1, "jti": "x"},
            SECRET,
            algorithm="HS512",
        ),
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwidHlwZSI6ImFjY2VzcyJ9.",
        "not-a-jwt",
    ],
    ids=["expired", "wrong-key", "wrong-type", "other-algorithm", "alg-none", "garbage"],
)
def test_decode_rejects(token: str) -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(token, SECRET)


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verified claims are cached; expiry is checked on every use all the same."""
    token = create_access_token(uuid.uuid4(), SECRET, timedelta(minutes=15))
    decode_access_token(token, SECRET)  # verified, and remembered
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("app.auth.tokens.time.time", lambda: later)
    with pytest.raises(InvalidToken):
        decode_access_token(token, SECRET)


def test_a_remembered_token_does_not_verify_under_another_key() -> None:
    token = create_access_token(uuid.uuid4(), SECRET, timedelta(minutes=15))
    decode_access_token(token, SECRET)
    with pytest.raises(InvalidToken):
        decode_access_token(token, "other" * 10)
