"""The engine and the request-scoped session: the one place that commits."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.errors import AppError, Conflict, ServiceUnavailable


def create_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    # No pre-ping (a round trip per request): a connection that died is reported by its first
    # use, the pool is invalidated, and the request answers 503 (see get_session).
    # No overflow: requests beyond the pool wait for a connection instead of opening one that
    # is closed again on return (and loses its prepared statements).
    return create_async_engine(database_url, pool_size=pool_size, max_overflow=0, pool_recycle=1800)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """For GET and HEAD, which write nothing: no BEGIN/COMMIT, one round trip per query."""
    return create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


SAFE_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit once when the handler succeeds; roll back when it raises.

    An `AppError` with `keep_changes` (token reuse revokes a chain, then answers 401) commits
    what the service flushed before re-raising. A constraint the services did not foresee (two
    racing inserts) is 409; a database that does not answer is 503: never a 500.
    """
    state = request.app.state
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if request.method in SAFE_METHODS else state.sessionmaker
    )
    async with sessionmaker() as session:
        try:
            yield session
            if session.in_transaction():  # a request that never used its session skips it
                await session.commit()
        except AppError as error:
            await (session.commit() if error.keep_changes else session.rollback())
            raise
        except IntegrityError as error:
            await session.rollback()
            raise Conflict("The request conflicts with data that changed meanwhile.") from error
        except (OSError, InterfaceError, OperationalError) as error:
            raise ServiceUnavailable("The database does not answer; retry shortly.") from error
        except BaseException:
            await session.rollback()
            raise


# scope="function": commit before the response is sent, so a client never sees a success
# that was not committed (the default "request" scope exits after the response is sent).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
