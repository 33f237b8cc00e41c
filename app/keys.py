"""The keys that sign what the API hands out: access tokens, page cursors, device tokens.

No key is ever in the code. `SECRET_KEY` is the master key; outside development it is required
(app.config). In development without it, a random key is generated once per install and kept
in `.data/secret_key` (mode 0600, beside the embedded database's data), so tokens survive a
restart and nobody else's install shares it.

Each use gets its own key, derived from the master with HMAC-SHA256 over the use's name: a
cursor can never pass for a token. Rotation: the master in `SECRET_KEY` signs, the masters in
`PREVIOUS_SECRET_KEYS` only verify, so tokens signed before a rotation stay valid until they
expire. A key id (`kid`, a digest of the derived key, never the key) names the signer.
"""

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings

logger = logging.getLogger("app.keys")

DEVELOPMENT_KEY_FILE = Path(__file__).resolve().parents[1] / ".data" / "secret_key"
TOKENS, CURSORS, DEVICES = "access-tokens", "page-cursors", "device-tokens"


@dataclass(frozen=True, slots=True)
class Key:
    kid: str
    secret: bytes


@dataclass(frozen=True, slots=True)
class Keyring:
    """One use's keys: the one that signs, and every one that verifies (the signer first)."""

    signing: Key
    verifying: tuple[Key, ...]

    def by_kid(self, kid: object) -> Key | None:
        return next((key for key in self.verifying if key.kid == kid), None)


def _derive(master: str, use: str) -> Key:
    secret = hmac.digest(master.encode(), f"inkwell/{use}".encode(), "sha256")
    return Key(hashlib.sha256(secret).hexdigest()[:16], secret)


def keyring(masters: list[str], use: str) -> Keyring:
    keys = tuple(_derive(master, use) for master in masters)
    return Keyring(keys[0], keys)


@dataclass(frozen=True, slots=True)
class Keys:
    tokens: Keyring
    cursors: Keyring
    devices: Keyring


def load_keys(settings: Settings, key_file: Path = DEVELOPMENT_KEY_FILE) -> Keys:
    """The keyrings for every use, from the settings (or, in development without a
    `SECRET_KEY`, from the install's own generated key)."""
    masters = [settings.secret_key or development_key(key_file), *settings.previous_secret_keys]
    return Keys(keyring(masters, TOKENS), keyring(masters, CURSORS), keyring(masters, DEVICES))


def development_key(key_file: Path) -> str:
    """The install's development key, generated on first use; app.config allows this only in
    development."""
    if key_file.exists():
        logger.warning("SECRET_KEY is not set: signing with the development key in %s", key_file)
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written whole under another name, then linked into place: two workers starting at once
    # cannot both win, and the loser reads the winner's complete key.
    draft = key_file.with_name(f".{key_file.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    try:
        os.link(draft, key_file)
    except FileExistsError:
        return key_file.read_text().strip()
    finally:
        draft.unlink()
    logger.warning(
        "SECRET_KEY is not set: generated a development key in %s (mode 0600); set SECRET_KEY "
        "outside development",
        key_file,
    )
    return key


async def _keys(request: Request) -> Keys:
    """The keys the app was created with; async because FastAPI runs sync dependencies in a
    thread pool, a hop per request."""
    keys: Keys = request.app.state.keys
    return keys


KeysDep = Annotated[Keys, Depends(_keys)]
