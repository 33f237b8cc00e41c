"""`nox -s bench -- --pooler`: what DATABASE_POOLER=transaction costs, beside the direct rows.

Two more servers on the benchmark's database, each one uvicorn worker like the direct one:

- `cache off`: DATABASE_POOLER=transaction, still connected to PostgreSQL itself. Every
  statement is the unnamed one, parsed (and planned) again with each execution, in a second
  round trip: the setting's own cost.
- `PgBouncer`: the same, through PgBouncer 1.18 in transaction mode (tests/topology.py,
  `POOL_SIZE` server connections for the server's 15 client ones): the setting plus the hop
  through the pooler, whose process shares the same two cores.

They share the direct server's SECRET_KEY, so the same tokens and cursors work on all three.
"""

import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from app.children import child, free_port
from contracts_tests.live_server import wait_ready
from tests import topology

ROOT = Path(__file__).resolve().parents[2]
CACHE_OFF, BOUNCER = "cache off", "PgBouncer"
VARIANTS = (CACHE_OFF, BOUNCER)
POOL_SIZE = 10


@contextmanager
def pooled_servers(database_url: str, server_env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The base URL of each variant's server, ready."""
    with tempfile.TemporaryDirectory(prefix="inkwell-bench-") as folder, ExitStack() as stack:
        bouncer = stack.enter_context(
            topology.pgbouncer(database_url, Path(folder) / "pgbouncer", pool_size=POOL_SIZE)
        )
        urls = {}
        for variant, url in ((CACHE_OFF, database_url), (BOUNCER, bouncer)):
            env = {
                **os.environ,
                "ENVIRONMENT": "test",
                "LOG_LEVEL": "WARNING",
                **server_env,
                "DATABASE_URL": url,
                "DATABASE_POOLER": "transaction",
                "DATABASE_DIRECT_URL": database_url,
            }
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "app.asgi:app",
                "--port",
                str(port),
                "--no-access-log",
                "--no-server-header",
            ]
            process = stack.enter_context(child(command, env=env, cwd=ROOT))
            urls[variant] = f"http://127.0.0.1:{port}"
            wait_ready(f"{urls[variant]}/api/v1/health/ready", process)
        yield urls
