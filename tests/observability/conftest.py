"""An app of the test's own under a real uvicorn server in the test loop, with the settings it
needs (a metrics port, a tracer provider), on the migrated scratch database."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from contracts_tests.live_server import free_port


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """`app` on a loopback port, its lifespan run; a client for it."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        base_url = f"http://127.0.0.1:{server.config.port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        await task
