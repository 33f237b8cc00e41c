import pytest
from pydantic import ValidationError

from app.config import Settings


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_a_secret_key_is_required(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY must be set"):
        Settings(environment=environment)  # type: ignore[arg-type]


@pytest.mark.parametrize("environment", ["production", "development"])
def test_a_short_secret_key_is_refused_everywhere(environment: str) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment=environment, secret_key="short-secret")  # type: ignore[arg-type]


def test_previous_keys_are_comma_separated_and_must_be_strong() -> None:
    settings = Settings(
        secret_key="n" * 40,
        previous_secret_keys=f"{'a' * 40}, {'b' * 40}",  # type: ignore[arg-type]
    )
    assert settings.previous_secret_keys == ["a" * 40, "b" * 40]
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(secret_key="n" * 40, previous_secret_keys="weak")  # type: ignore[arg-type]


def test_development_may_leave_the_key_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert Settings(environment="development").secret_key is None  # type: ignore[arg-type]


def test_cors_origins_are_comma_separated() -> None:
    settings = Settings(cors_origins="http://a.test, http://b.test")  # type: ignore[arg-type]
    assert settings.cors_origins == ["http://a.test", "http://b.test"]


def test_a_once_published_key_is_refused() -> None:
    """The development default this repository used to ship; everyone knows it."""
    with pytest.raises(ValidationError, match="published"):
        Settings(secret_key="development-only-secret-change-me-0123456789")


def test_development_lets_the_vite_dev_server_call_the_api_unless_told_otherwise() -> None:
    development = Settings(environment="development", _env_file=None)  # type: ignore[arg-type,call-arg]
    assert development.cors_origins == ["http://localhost:5173", "http://127.0.0.1:5173"]
    chosen = Settings(environment="development", cors_origins="https://app.example", _env_file=None)  # type: ignore[arg-type,call-arg]
    assert chosen.cors_origins == ["https://app.example"]
    none = Settings(environment="development", cors_origins="", _env_file=None)  # type: ignore[arg-type,call-arg]
    assert none.cors_origins == []
    production = Settings(environment="production", secret_key="k" * 40, _env_file=None)  # type: ignore[arg-type,call-arg]
    assert production.cors_origins == []
