"""`python -m app`: migrate, then serve on http://127.0.0.1:8000.

With `DATABASE_URL` unset, an embedded PostgreSQL keeps its data under `.data/`.
"""

import argparse
import os

import uvicorn

from app.config import get_settings
from app.db import migrate
from app.db.embedded import resolve_database_url
from app.seed import seed_and_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--demo", action="store_true", help="load demo users, posts and comments")
    args = parser.parse_args()

    settings = get_settings()
    url = resolve_database_url(settings)
    # Workers and the reloader re-import the app: hand them the resolved URL.
    os.environ["DATABASE_URL"] = url
    migrate.upgrade(url)
    if args.demo:
        seed_and_report(url)
    trusted_proxies = settings.forwarded_allow_ips.strip()
    print(f"Inkwell API on http://{args.host}:{args.port}  (docs: /docs)", flush=True)
    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload=args.reload,
        # X-Forwarded-For is believed only from the proxies named in FORWARDED_ALLOW_IPS. None
        # named: the socket peer is the client (uvicorn's own default would trust loopback).
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        server_header=False,  # no banner naming the server software
        access_log=False,
    )


if __name__ == "__main__":
    main()
