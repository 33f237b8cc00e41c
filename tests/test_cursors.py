"""The cursor codec, below HTTP: signed per list, verified across key rotation, values in range."""

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.db.pagination import _sign, decode_cursor, encode_cursor
from app.errors import BadRequest
from app.keys import CURSORS, keyring

KEYS = keyring(["c" * 48], CURSORS)
ROTATED = keyring(["n" * 48, "c" * 48], CURSORS)
SCOPE = "posts|newest|None|None|None"


def _forged(payload: bytes, scope: str = SCOPE) -> str:
    """A cursor signed with the real key around any payload: what a leaked key could make."""
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_sign(KEYS.signing.secret, scope.encode() + b'|' + payload)}"


def test_round_trip() -> None:
    key = (datetime(2026, 11, 22, 10, 0, 0, 5, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(KEYS, SCOPE, encode_cursor(KEYS, SCOPE, key)) == key


def test_a_cursor_survives_key_rotation_and_not_another_list() -> None:
    key = (datetime(2026, 11, 22, tzinfo=UTC), uuid.uuid4())
    cursor = encode_cursor(KEYS, SCOPE, key)
    assert decode_cursor(ROTATED, SCOPE, cursor) == key
    with pytest.raises(BadRequest):
        decode_cursor(ROTATED, "posts|oldest|None|None|None", cursor)


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2026-11-22T10:00:00"],
    ids=["before-year-1-in-utc", "after-year-9999-in-utc", "no-offset"],
)
def test_signed_times_out_of_range_are_400(moment: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(KEYS, SCOPE, _forged(orjson.dumps([moment, str(uuid.uuid4())])))


def test_times_are_compared_in_utc() -> None:
    moment = datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    decoded, _ = decode_cursor(
        KEYS, SCOPE, _forged(orjson.dumps([moment.isoformat(), str(uuid.uuid4())]))
    )
    assert decoded == moment
    assert decoded.tzinfo is UTC


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_any_signed_payload_decodes_in_range_or_is_400(value: object) -> None:
    """Whatever a holder of the key could sign: an aware UTC time PostgreSQL can compare and a
    UUID, or BadRequest; never another exception."""
    try:
        payload = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return
    try:
        moment, row_id = decode_cursor(KEYS, SCOPE, _forged(payload))
    except BadRequest:
        return
    assert moment.tzinfo is UTC
    assert 1 <= moment.year <= 9999
    assert isinstance(row_id, uuid.UUID)


@settings(max_examples=400, deadline=None)
@given(st.datetimes(timezones=st.timezones()), st.uuids())
def test_any_aware_time_round_trips_or_is_400(moment: datetime, row_id: uuid.UUID) -> None:
    payload = orjson.dumps([moment.isoformat(), str(row_id)])
    try:
        decoded = decode_cursor(KEYS, SCOPE, _forged(payload))
    except BadRequest:
        return
    assert decoded == (moment, row_id)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_as_a_cursor_is_400(text: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(KEYS, SCOPE, text)
