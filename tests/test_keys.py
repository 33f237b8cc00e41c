"""Where the signing keys come from: never the code; in development, one key per install."""

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.config import Settings
from app.keys import load_keys


def _development() -> Settings:
    return Settings(environment="development", secret_key=None)  # type: ignore[arg-type]


def test_development_generates_a_key_once_per_install_with_mode_0600(tmp_path: Path) -> None:
    key_file = tmp_path / ".data" / "secret_key"
    first = load_keys(_development(), key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text()) >= 32
    again = load_keys(_development(), key_file)
    assert again == first  # a restart keeps signing (and verifying) with the same key


def test_installs_do_not_share_a_key(tmp_path: Path) -> None:
    one = load_keys(_development(), tmp_path / "one")
    other = load_keys(_development(), tmp_path / "other")
    assert one.tokens.signing != other.tokens.signing


def test_workers_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: load_keys(_development(), key_file), range(8)))
    assert all(each == keys[0] for each in keys)
    assert not [path for path in tmp_path.iterdir() if path.name != "secret_key"]


def test_each_use_has_its_own_key(tmp_path: Path) -> None:
    keys = load_keys(Settings(secret_key="m" * 40), tmp_path / "unused")
    secrets = {keys.tokens.signing.secret, keys.cursors.signing.secret, keys.devices.signing.secret}
    assert len(secrets) == 3
    assert b"m" * 40 not in secrets
    assert not (tmp_path / "unused").exists()  # a configured key needs no file


def test_previous_keys_verify_but_do_not_sign(tmp_path: Path) -> None:
    settings = Settings(secret_key="n" * 40, previous_secret_keys=["o" * 40])
    keys = load_keys(settings, tmp_path / "unused")
    old = load_keys(Settings(secret_key="o" * 40), tmp_path / "unused")
    assert keys.tokens.signing == load_keys(Settings(secret_key="n" * 40)).tokens.signing
    assert keys.tokens.by_kid(old.tokens.signing.kid) == old.tokens.signing


@pytest.mark.parametrize("environment", ["production", "test"])
def test_no_known_key_exists_outside_development(environment: str) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY must be set"):
        Settings(environment=environment, secret_key=None)  # type: ignore[arg-type]
