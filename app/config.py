"""Settings from the environment (and `.env`); unsafe defaults are refused outside development."""

import hashlib
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32
# SHA-256 of keys that were once published (a development default in this repository's
# history): long enough, and known to everyone.
PUBLISHED_KEY_DIGESTS = frozenset(
    {"36620796abfc961346babb2e52970263066bf2764c43c11bbf63a42faeca14d7"}
)


# Where `npm run dev` serves a Vite app (both spellings of loopback).
VITE_DEV_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    # Unset: `python -m app` starts an embedded PostgreSQL under `.data/`.
    database_url: str | None = None
    # Signs access tokens, page cursors and device tokens (each with its own derived key).
    # Unset in development: a random key generated once per install (app.keys); required
    # everywhere else.
    secret_key: str | None = None
    # Keys that signed before the current one: they still verify (until what they signed
    # expires), they never sign. Comma-separated.
    previous_secret_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's
    # list: addresses or networks, comma-separated, or "*"). Empty: the socket peer is the
    # client, which is right only when nothing sits in front of the server.
    forwarded_allow_ips: str = ""
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    login_attempts_per_account: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=50, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    writes_per_minute: int = Field(default=60, ge=1)
    # Mails about one account (verification, reset, "you already have an account") per hour:
    # nobody can flood an inbox through the API.
    account_mails_per_hour: int = Field(default=5, ge=1)
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
    # Where the worker sends mail: smtp://host:port, smtp+starttls://user:pass@host:587 or
    # smtps://user:pass@host:465. Unset in development: `python -m app` starts a local sink.
    smtp_url: str | None = None
    mail_from: str = "Inkwell <no-reply@inkwell.localhost>"
    # The frontend's base URL: mailed links (reset, verification) point at its pages.
    app_url: str = "http://localhost:5173"

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: dict[str, object]) -> dict[str, object]:
        for name in ("cors_origins", "previous_secret_keys"):
            value = data.get(name)
            if isinstance(value, str):
                data[name] = [item.strip() for item in value.split(",") if item.strip()]
        return data

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> "Settings":
        given = [self.secret_key, *self.previous_secret_keys] if self.secret_key else []
        if any(len(key) < MIN_SECRET_LENGTH for key in given):
            raise ValueError(
                f"SECRET_KEY and PREVIOUS_SECRET_KEYS must be random values of at least "
                f"{MIN_SECRET_LENGTH} characters"
            )
        if any(hashlib.sha256(key.encode()).hexdigest() in PUBLISHED_KEY_DIGESTS for key in given):
            raise ValueError("SECRET_KEY is a published key: generate a random one")
        if self.secret_key is None and self.environment is not Environment.development:
            raise ValueError(f"SECRET_KEY must be set when ENVIRONMENT={self.environment.value}")
        if self.previous_secret_keys and self.secret_key is None:
            raise ValueError("PREVIOUS_SECRET_KEYS needs SECRET_KEY: the key that signs now")
        return self

    @model_validator(mode="after")
    def _vite_in_development(self) -> "Settings":
        """In development with CORS_ORIGINS unset, the Vite dev server's origins may call the
        API: a new frontend developer's first request works. Elsewhere, unset is none."""
        unset = "cors_origins" not in self.model_fields_set
        if unset and self.environment is Environment.development:
            self.cors_origins = list(VITE_DEV_ORIGINS)
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
