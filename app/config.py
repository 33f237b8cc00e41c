"""Settings from the environment (and `.env`); unsafe defaults are refused outside development."""

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me-0123456789"  # noqa: S105
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    # Unset: `python -m app` starts an embedded PostgreSQL under `.data/`.
    database_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    login_attempts_per_account: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=50, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    writes_per_minute: int = Field(default=60, ge=1)
    log_level: str = "INFO"
    # Connections per worker process. Small pools serve best: PostgreSQL runs one process per
    # connection, and more of them than its cores only contend (on 2 cores, 5 read
    # connections served more than 10 or 20; see `nox -s bench`).
    database_pool_size: int = Field(default=10, ge=1)
    database_read_pool_size: int = Field(default=5, ge=1)
    # How long a request waits for a pooled connection before it is answered 503: overload is
    # refused quickly rather than queued until clients give up.
    database_pool_timeout: float = Field(default=2.0, gt=0, le=30)
    # How long opening a connection may take (an unreachable host otherwise hangs ~60 s).
    database_connect_timeout: float = Field(default=5.0, gt=0, le=60)

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, data: dict[str, object]) -> dict[str, object]:
        origins = data.get("cors_origins")
        if isinstance(origins, str):
            data["cors_origins"] = [o.strip() for o in origins.split(",") if o.strip()]
        return data

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> "Settings":
        if self.environment is Environment.development:
            return self
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
                f"characters when ENVIRONMENT={self.environment.value}"
            )
        return self

    @property
    def cheap_password_hashing(self) -> bool:
        """Tests hash hundreds of passwords; production-strength argon2 would dominate them."""
        return self.environment is Environment.test


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def _settings(request: Request) -> Settings:
    """The settings the app was created with; async because FastAPI runs sync dependencies
    in a thread pool, a hop per request."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
