"""The JWT rules, below HTTP: pinned algorithm, key ids and rotation, claims in range, expiry."""

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jose import jwt

from app.auth.tokens import (
    ALGORITHM,
    InvalidToken,
    create_access_token,
    decode_access_token,
    device_of,
    device_token,
)
from app.keys import TOKENS, keyring

KEYS = keyring(["s" * 48], TOKENS)
ROTATED = keyring(["n" * 48, "s" * 48], TOKENS)  # a new key signs, the old one still verifies
OTHER = keyring(["o" * 48], TOKENS)
FIFTEEN_MINUTES = timedelta(minutes=15)


def _token(keys: Any = KEYS, lifetime: timedelta = FIFTEEN_MINUTES) -> str:
    return create_access_token(keys, uuid.uuid4(), uuid.uuid4(), 3, lifetime)


def _signed(claims: dict[str, Any], kid: str | None = KEYS.signing.kid, **header: Any) -> str:
    headers = {"kid": kid, **header} if kid else header
    return str(jwt.encode(claims, KEYS.signing.secret, algorithm=ALGORITHM, headers=headers))


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "gen": 0,
        "iat": now,
        "exp": now + 900,
        "jti": "x",
        "type": "access",
    }
    return {**claims, **changes}


def test_round_trip_carries_the_claims() -> None:
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    token = create_access_token(KEYS, user_id, session_id, 7, FIFTEEN_MINUTES)
    claims = decode_access_token(token, KEYS)
    assert (claims.user_id, claims.session_id, claims.generation) == (user_id, session_id, 7)
    assert jwt.get_unverified_header(token)["kid"] == KEYS.signing.kid
    assert len(claims.token_id) == 32


def test_a_rotated_key_still_verifies_what_it_signed_and_no_longer_signs() -> None:
    before = _token(KEYS)
    assert decode_access_token(before, ROTATED).generation == 3
    after = _token(ROTATED)
    assert jwt.get_unverified_header(after)["kid"] == ROTATED.signing.kid != KEYS.signing.kid
    with pytest.raises(InvalidToken):
        decode_access_token(after, KEYS)  # an instance not rotated yet does not know it


def test_the_key_id_names_no_key_material() -> None:
    kid = KEYS.signing.kid
    assert "s" * 8 not in kid
    assert KEYS.signing.secret.hex()[:16] != kid


@pytest.mark.parametrize(
    "token",
    [
        _token(lifetime=timedelta(seconds=-1)),
        _token(OTHER),
        _signed(_claims(type="refresh")),
        str(jwt.encode(_claims(), KEYS.signing.secret, algorithm="HS512", headers={"kid": "x"})),
        _signed(_claims(), kid=None),
        _signed(_claims(), kid="unknown"),
        _signed(_claims(exp=1e300)),
        _signed(_claims(iat=1e300)),
        _signed(_claims(exp=2**40)),
        _signed(_claims(exp=int(time.time()) + 10 * 24 * 3600)),
        _signed(_claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 4000)),
        _signed(_claims(gen=True)),
        _signed(_claims(gen="0")),
        _signed(_claims(sub="not-a-uuid")),
        _signed({k: v for k, v in _claims().items() if k != "sid"}),
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwidHlwZSI6ImFjY2VzcyJ9.",
        "not-a-jwt",
    ],
    ids=[
        "expired",
        "wrong-key",
        "wrong-type",
        "other-algorithm",
        "no-kid",
        "unknown-kid",
        "exp-1e300",
        "iat-1e300",
        "exp-beyond-int32",
        "lifetime-10-days",
        "issued-in-the-future",
        "gen-bool",
        "gen-string",
        "sub-not-uuid",
        "no-sid",
        "alg-none",
        "garbage",
    ],
)
def test_decode_rejects(token: str) -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(token, KEYS)


def test_infinite_expiry_is_refused_not_a_crash() -> None:
    # json.dumps writes Infinity, which python-jose's own expiry check fails on.
    token = _signed(_claims(exp=float("inf")))
    with pytest.raises(InvalidToken):
        decode_access_token(token, KEYS)


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verified claims are cached; expiry is checked on every use all the same."""
    token = _token()
    decode_access_token(token, KEYS)  # verified, and remembered
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("app.auth.tokens.time.time", lambda: later)
    with pytest.raises(InvalidToken):
        decode_access_token(token, KEYS)


def test_a_remembered_token_does_not_verify_under_other_keys() -> None:
    token = _token()
    decode_access_token(token, KEYS)
    with pytest.raises(InvalidToken):
        decode_access_token(token, OTHER)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from(["sub", "sid", "gen", "iat", "exp", "jti", "type", "nbf", "aud"]),
        JSON_VALUES,
    ),
    header=st.dictionaries(st.sampled_from(["kid", "typ", "crit"]), JSON_VALUES, max_size=2),
)
def test_any_signed_claims_decode_to_valid_claims_or_invalid_token(
    changes: dict[str, Any], header: dict[str, Any]
) -> None:
    """Whatever a holder of the key could sign: valid claims in range, or InvalidToken, never
    another exception and never a token that outlives the longest configured lifetime."""
    header = {"kid": KEYS.signing.kid, **header}
    try:
        token = str(jwt.encode(_claims(**changes), KEYS.signing.secret, ALGORITHM, header))
    except (TypeError, ValueError, OverflowError):
        return  # not encodable as a JWT at all
    try:
        claims = decode_access_token(token, KEYS)
    except InvalidToken:
        return
    assert 0 < claims.expires_at - claims.issued_at <= 24 * 3600
    assert type(claims.generation) is int


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_a_token_is_refused_cleanly(text: str) -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(text, KEYS)


def test_device_tokens_are_bound_to_their_account() -> None:
    devices = keyring(["s" * 48], "device-tokens")
    token = device_token(devices, "ada@example.com")
    device_id = token.split(".")[0]
    assert device_of(token, devices, "ada@example.com") == device_id
    assert device_token(devices, "ada@example.com", device_id) == token  # the same, re-issued
    assert device_of(token, devices, "grace@example.com") is None
    assert device_of(token + "0", devices, "ada@example.com") is None
    assert device_of("ü.ü", devices, "ada@example.com") is None
    assert device_of(None, devices, "ada@example.com") is None
