import pytest
from pydantic import ValidationError

from app.config import DEVELOPMENT_SECRET, Settings


@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET, "short-secret"])
def test_production_refuses_a_weak_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key=secret)


def test_development_allows_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert Settings(environment="development").secret_key == DEVELOPMENT_SECRET


def test_cors_origins_are_comma_separated() -> None:
    settings = Settings(cors_origins="http://a.test, http://b.test")  # type: ignore[arg-type]
    assert settings.cors_origins == ["http://a.test", "http://b.test"]
