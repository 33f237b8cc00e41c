"""Settings from the environment (and `.env`); unsafe defaults are refused outside development."""

import hashlib
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal

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


class DatabasePooler(StrEnum):
    """What sits between the API and PostgreSQL (Settings.database_pooler)."""

    none = "none"
    transaction = "transaction"


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

    # --- Beyond one database server (app/db): a transaction pooler, a direct URL, a replica.
    # DATABASE_POOLER=transaction: the API's database URLs lead to a pooler in transaction mode
    # (PgBouncer's `pool_mode = transaction`; Debian's 1.18 has no protocol-level prepared
    # statements), which hands each transaction, and each statement outside one, to any server
    # connection. No prepared statement may then outlive its statement: both database paths
    # (the sessions' engine and the plain asyncpg pools) keep no statement cache and send
    # every statement as the unnamed one, parsed again with each execution. A read then costs
    # two round trips and a fresh plan (see `nox -s bench -- --pooler`). `none`: PostgreSQL
    # itself, or a pooler in session mode; each connection prepares a statement once.
    database_pooler: DatabasePooler = DatabasePooler.none
    # PostgreSQL itself, never a transaction pooler: the job worker LISTENs for new jobs and
    # holds its session's state, and migrations run DDL in one session. Unset: DATABASE_URL;
    # with DATABASE_POOLER=transaction the worker and `python -m app.db.migrate` then refuse
    # to start rather than use the pooler.
    database_direct_url: str | None = None
    # A streaming replica (or a pooler in front of replicas) for anonymous public reads: the
    # post list, a post, a user's published posts and a post's comments without a bearer
    # token. Every request that carries a valid token reads from the primary, so a signed-in
    # author always sees their own writes (drafts, a post just created or changed, its new
    # ETag). An anonymous reader may see the replica's past: by its replication lag, usually
    # well under a second, more while the primary is busy or the replica replays a long
    # transaction; and with several replicas behind one URL, a newer version of a post and
    # then an older one. Unset: every read on the primary. Its pool has DATABASE_READ_POOL_SIZE
    # connections, readiness checks it, and DATABASE_POOLER applies to it too.
    database_read_url: str | None = None

    # Where the worker sends mail: smtp://host:port, smtp+starttls://user:pass@host:587 or
    # smtps://user:pass@host:465. Unset in development: `python -m app` starts a local sink.
    smtp_url: str | None = None
    mail_from: str = "Inkwell <no-reply@inkwell.localhost>"
    # The frontend's base URL: mailed links (reset, verification) point at its pages.
    app_url: str = "http://localhost:5173"
    # --- Shutdown (app.lifecycle): SIGTERM drains before the instance stops.
    # How long an instance keeps serving after SIGTERM while readiness answers 503, so a load
    # balancer's health check sees it leave. Unset: 5 s in production, 0 elsewhere (Ctrl-C and
    # tests stop at once).
    shutdown_drain_seconds: float | None = Field(default=None, ge=0, le=300)
    # Then, how long requests in flight may take to finish before they are cancelled.
    shutdown_timeout_seconds: int = Field(default=30, ge=1, le=600)

    # --- Observability (app/observability): metrics, logs; traces follow the OTEL_* variables.
    # Log lines: "json" (one object a line, uvicorn's own included) or "console" (readable).
    # Unset: console in development, json everywhere else.
    log_format: Literal["json", "console"] | None = None
    # Prometheus metrics on a listener of their own, never the API's port. Unset: no metrics
    # endpoint and no per-request counting. Loopback unless METRICS_HOST says otherwise.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"

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
